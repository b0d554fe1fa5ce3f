-- The counter-bucket layout, in one place: accumulation and flush for the ingest scripts
-- (ingestBatch.lua: "b:" keys, ingestKpi.lua: "kb:" keys) and piece reading for the read scripts
-- (readBuckets.lua, readKpi.lua). Included after common.lua (split, RS, LEVEL_MS, LEVEL_TAG).
--
-- Levels: the 1 s level lives as fields "<field>.<second 0-9>" of one hash per 10 s
-- ("<prefix>1:<10 s start>:<dim>"), written while that hash lives (10 s end + fret > now) and
-- expiring then: ten times fewer keys than one hash per second. There is no stored 10 s level: the
-- readers serve a 10 s piece by summing the ten seconds of that hash. 60 s buckets expire at end +
-- mret, 900 s buckets at end + iret (retentions: server/metrics/plan.ts). A bucket is written only while alive, so removing an earlier
-- contribution hits exactly the buckets its addition hit, or buckets that already expired.
--
-- Accumulator: acc[keyBase] = {ttl, d = {[dims] = {[field] = delta}}}; no string is built per bump.
-- Bucket targets (`expand`) accumulate per dimension LIST (the RS-joined dims of a queue, or of an
-- agent's team + queues): every contact of a queue and every agent of a skill group share one
-- entry, expanded into single dimensions once per call at flush. Other targets accumulate per
-- single key part ('' for the key itself).

-- field name with a per-second suffix ("ans" .. ".3"), memoised
local fieldNames = {}
local function fieldName(f, sfx)
  if sfx == '' then return f end
  local byF = subtable(fieldNames, f)
  local n = byF[sfx]
  if not n then
    n = f .. sfx
    byF[sfx] = n
  end
  return n
end

local dimLists = {}
local function dimList(dims)
  local l = dimLists[dims]
  if not l then
    l = split(dims, RS)
    dimLists[dims] = l
  end
  return l
end

-- Sealed buckets: a bucket that ended at least `seal` ms before now is sealed; readers may keep its
-- contents (server/metrics/sealed.ts) for as long as the center's `sealGen` (meta) is unchanged, so
-- flush reports whether it changed a sealed bucket and the script then bumps sealGen. In-order
-- producers never write sealed buckets; late events, replays and re-derived contacts do.
--
-- newBuckets(keyPrefix, now, fret, mret, iret, seal) returns:
--   target(base, ttl, expand)  the accumulator entry of a key base (created on first use)
--   liveBuckets(ts)            {target, bucketStartMs, fieldSuffix} of every live level bucket of ts
--                              (depends only on the second: memoised per second)
--   addItem(it, sign)          a parsed item {ts, dims(RS), field, delta, ...} x sign into them
--   flush()                    writes every accumulated key once; true if a sealed bucket changed
local function newBuckets(prefix, now, fret, mret, iret, seal)
  local acc, accOrder = {}, {}
  local sealedBefore = now - seal
  -- endMs: the bucket's end (a 1 s level hash: its 10 s span's end), for bucket targets only
  local function target(base, ttl, expand, endMs)
    local t = acc[base]
    if not t then
      t = { ttl = ttl, d = {}, expand = expand, sealed = endMs ~= nil and endMs <= sealedBefore }
      acc[base] = t
      accOrder[#accOrder + 1] = base
    end
    return t
  end

  local bucketsAt = {}
  local function liveBuckets(ts)
    local sec = ts - ts % 1000
    local out = bucketsAt[sec]
    if out then return out end
    out = {}
    local s10 = ts - ts % 10000
    if s10 + 10000 + fret > now then
      out[1] = { target(prefix .. '1:' .. (s10 / 1000) .. ':', s10 + 10000 + fret - now, true, s10 + 10000), sec, '.' .. ((sec - s10) / 1000) }
    end
    for li = 3, 4 do
      local size = LEVEL_MS[li]
      local start = ts - ts % size
      local ttl = start + size + (li == 4 and iret or mret) - now
      if ttl > 0 then out[#out + 1] = { target(prefix .. LEVEL_TAG[li] .. ':' .. (start / 1000) .. ':', ttl, true, start + size), start, '' } end
    end
    bucketsAt[sec] = out
    return out
  end

  local function addItem(it, sign)
    local dims, nf = it[2], #it
    for _, lb in ipairs(liveBuckets(it[1])) do
      local h, sfx = subtable(lb[1].d, dims), lb[3]
      for k = 3, nf, 2 do
        local f = fieldName(it[k], sfx)
        h[f] = (h[f] or 0) + sign * it[k + 1]
      end
    end
  end

  local function expandDims(byDims)
    local byDim = {}
    for dims, h in pairs(byDims) do
      for _, dim in ipairs(dimList(dims)) do
        local out = subtable(byDim, dim)
        for f, d in pairs(h) do out[f] = (out[f] or 0) + d end
      end
    end
    return byDim
  end

  -- Each key once: few changed fields, HINCRBY each; many (a 10 s hash of per-second fields, a busy
  -- `all` bucket): one HMGET + one HSET, whatever the field count. A key's deadline is absolute
  -- (bucket end + retention, day end + lateEvent) and kept by later writes, so PEXPIRE goes only to a
  -- key that may be new: none of the written fields existed (a 10 s hash getting a later second's
  -- fields only looks new and is re-expired to the same deadline). Targets without ttl never expire.
  local function flush()
    local sealedChanged = false
    for _, base in ipairs(accOrder) do
      local t = acc[base]
      local byDim = t.expand and expandDims(t.d) or t.d
      for dim, h in pairs(byDim) do
        local fields, n = {}, 0
        for f, d in pairs(h) do
          if d ~= 0 then
            n = n + 1
            fields[n] = f
          end
        end
        if n > 0 then
          if t.sealed then sealedChanged = true end
          local key = base .. dim
          local existed = false
          if n <= 2 then
            for k = 1, n do
              local d = h[fields[k]]
              if redis.call('HINCRBY', key, fields[k], d) ~= d then existed = true end
            end
          else
            local cur = redis.call('HMGET', key, unpack(fields))
            local args = {}
            for k = 1, n do
              if cur[k] then existed = true end
              args[2 * k - 1] = fields[k]
              args[2 * k] = (tonumber(cur[k]) or 0) + h[fields[k]]
            end
            redis.call('HSET', key, unpack(args))
          end
          if t.ttl and not existed then redis.call('PEXPIRE', key, t.ttl) end
        end
      end
    end
    return sealedChanged
  end

  return target, liveBuckets, addItem, flush
end

-- ---------------------------------------------------------------- reading (readBuckets, readKpi)
-- readPieces(prefix, dims, pieces, agentTime) → {{dimIndex0, pieceIndex0, {field, value, ...}}, ...}
-- for the non-empty buckets of dims x pieces ("<levelSec>:<startSec>", from server/metrics/plan.ts).
-- A 1 s hash is read once per dim however many of its seconds are wanted; a 10 s piece is the sum of
-- its ten seconds. With agentTime, fields m:<state> hold count x offset into THEIR second, so a
-- second k adds m + n x k s to the 10 s bucket's m (n:<state> of the same second). A field without a
-- ".<digit>" suffix was written by the KPI pack's earlier layout (one hash per second: the hash of a
-- 10 s start was its second 0).
local DOT = string.byte('.')
local function secondsOf(key)
  local bySecond = {}
  local raw = redis.call('HGETALL', key)
  for i = 1, #raw, 2 do
    local f = raw[i]
    local n = #f
    local name, sec = f, 0
    if n > 2 and string.byte(f, n - 1) == DOT then name, sec = string.sub(f, 1, n - 2), tonumber(string.sub(f, n)) end
    local h = subtable(bySecond, sec)
    h[name] = (h[name] or 0) + tonumber(raw[i + 1])
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
        g = secondsOf(prefix .. '1:' .. string.format('%d', s10) .. ':' .. dim)
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
