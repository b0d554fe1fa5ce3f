-- The counter-bucket layout's read half (the write half is server/metrics/write/buckets.ts, which
-- documents the layout): piece reading for readBuckets.lua ("b:" keys) and readKpi.lua ("kb:" keys).
-- Included after common.lua (split, subtable).
--
-- Levels: the 1 s level lives as fields "<field>.<second 0-9>" of one hash per 10 s
-- ("<prefix>1:<10 s start>:<dim>"); there is no stored 10 s level: a 10 s piece is the sum of the ten
-- seconds of that hash. 60 s and 900 s buckets are plain hashes.

-- ---------------------------------------------------------------- reading (readBuckets, readKpi)
-- readPieces(prefix, dims, pieces, agentTime) → {{dimIndex0, pieceIndex0, {field, value, ...}}, ...}
-- for the non-empty buckets of dims x pieces ("<levelSec>:<startSec>", from server/metrics/plan.ts).
-- A 1 s hash is read once per dim however many of its seconds are wanted; a 10 s piece is the sum of
-- its ten seconds. With agentTime, fields m:<state> hold count x offset into THEIR second, so a
-- second k adds m + n x k s to the 10 s bucket's m (n:<state> of the same second). A field without a
-- ".<digit>" suffix was written by the KPI pack's earlier layout (one hash per second: the hash of a
-- 10 s start was its second 0).
-- With agentTime, a field p:<state> of a second is n x PACK + m (server/metrics/codec.ts
-- agentPackBase: one HINCRBY for both), unpacked here into n:<state> and m:<state>, added to the
-- separate n:/m: fields an earlier version wrote into the same hash.
local DOT = string.byte('.')
local P_ = string.byte('p')
local COLON = string.byte(':')
local PACK = 17179869184 -- 2^34
local function secondsOf(key, agentTime)
  local bySecond = {}
  local raw = redis.call('HGETALL', key)
  for i = 1, #raw, 2 do
    local f = raw[i]
    local n = #f
    local name, sec = f, 0
    if n > 2 and string.byte(f, n - 1) == DOT then name, sec = string.sub(f, 1, n - 2), tonumber(string.sub(f, n)) end
    local h = subtable(bySecond, sec)
    local v = tonumber(raw[i + 1])
    if agentTime and string.byte(name, 1) == P_ and string.byte(name, 2) == COLON then
      local code = string.sub(name, 3)
      local count = math.floor((v + PACK / 2) / PACK)
      h['n:' .. code] = (h['n:' .. code] or 0) + count
      h['m:' .. code] = (h['m:' .. code] or 0) + (v - count * PACK)
    else
      h[name] = (h[name] or 0) + v
    end
  end
  return bySecond
end

local function flatOf(h)
  local out = {}
  for name, v in pairs(h) do
    if v ~= 0 then
      out[#out + 1] = name
      out[#out + 1] = string.format('%d', v)
    end
  end
  return out
end

local function tenSecondsOf(bySecond, agentTime)
  local sum = {}
  for sec, h in pairs(bySecond) do
    for name, v in pairs(h) do
      if agentTime and sec > 0 and string.sub(name, 1, 2) == 'm:' then v = v + (h['n:' .. string.sub(name, 3)] or 0) * sec * 1000 end
      sum[name] = (sum[name] or 0) + v
    end
  end
  return flatOf(sum)
end

-- skip (optional): skip[dimIndex] = {pieceIndex0, ...} pieces the caller already holds (sealed
-- pieces it cached under the current sealGen); they are neither read nor returned.
local function readPieces(prefix, dims, pieces, agentTime, skip)
  local buckets = {}
  for di, dim in ipairs(dims) do
    local skipped = {}
    for _, pi0 in ipairs(skip and skip[di] or {}) do skipped[pi0 + 1] = true end
    local hashes = {}
    local function hashOf(s10)
      local g = hashes[s10]
      if not g then
        g = secondsOf(prefix .. '1:' .. string.format('%d', s10) .. ':' .. dim, agentTime)
        hashes[s10] = g
      end
      return g
    end
    for pi, piece in ipairs(pieces) do
      if not skipped[pi] then
        local colon = string.find(piece, ':', 1, true)
        local level, start = string.sub(piece, 1, colon - 1), tonumber(string.sub(piece, colon + 1))
        local raw
        if level == '1' then
          local h = hashOf(start - start % 10)[start % 10]
          raw = h and flatOf(h) or {}
        elseif level == '10' then
          raw = tenSecondsOf(hashOf(start), agentTime)
        else
          raw = redis.call('HGETALL', prefix .. piece .. ':' .. dim)
        end
        if #raw > 0 then buckets[#buckets + 1] = { di - 1, pi - 1, raw } end
      end
    end
  end
  return buckets
end

-- The center's seal generation "<epoch>:<sealGen>" ('' before the first ingest: nothing may be kept).
-- The epoch is set once per meta hash by the ingest scripts, so a wiped and re-filled center never
-- repeats an earlier generation.
local function sealGeneration(metaKey)
  local v = redis.call('HMGET', metaKey, 'sealEpoch', 'sealGen')
  if not v[1] then return '' end
  return v[1] .. ':' .. (v[2] or '0')
end

-- the skip lists of a read request {g = generation the caller assumed, s = skip lists}, honoured
-- only when that generation is still current
local function skipFor(req, gen)
  if gen ~= '' and req.g == gen then return req.s end
  return nil
end
