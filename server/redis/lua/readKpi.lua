-- name: readKpi
-- keys: 1
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], f: [[day, dim], ...]}
--     d x p = the KPI buckets to read (pieces from server/metrics/plan.ts, the engine's own
--     decomposition): a "1:<sec>" piece is the fields "<field>.<sec − s10>" of the hash
--     "kb:1:<s10>:<dim>" (s10 = the 10 s span holding sec), a "10:<s10>" piece the sum of that
--     hash's ten seconds (ingestKpi.lua stores no 10 s level), "60:<start>" / "900:<start>" the hash
--     "kb:<piece>:<dim>"; f = first-contact-resolution summaries "kfs:<day>:<dim>" wanted.
-- Output: JSON {b: [[dimIndex, pieceIndex, [field, value, ...]], ...] (non-empty buckets only; a
--   1 s / 10 s piece lists only its non-zero fields), f: [[field, value, ...] per requested summary]}
-- Read-only; each kb:1 hash is read once per dim, however many of its pieces are wanted.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])

-- A kb:1 hash split by second: bySecond["0".."9"] = {field = sum}. Every kb field is a plain
-- additive counter, so a 10 s piece is the plain sum of the seconds. A field without a ".<digit>"
-- suffix was written by the earlier layout (one hash per second: "kb:1:<s10>" was second 0).
local DOT = string.byte('.')
local function secondsOf(key)
  local bySecond = {}
  local raw = redis.call('HGETALL', key)
  for i = 1, #raw, 2 do
    local f = raw[i]
    local n = #f
    local name, sec
    if n > 2 and string.byte(f, n - 1) == DOT then
      name, sec = string.sub(f, 1, n - 2), string.sub(f, n)
    else
      name, sec = f, '0'
    end
    local h = bySecond[sec]
    if not h then
      h = {}
      bySecond[sec] = h
    end
    h[name] = (h[name] or 0) + tonumber(raw[i + 1])
  end
  return bySecond
end

local function flat(h, out)
  for name, v in pairs(h) do
    if v ~= 0 then
      out[#out + 1] = name
      out[#out + 1] = string.format('%d', v)
    end
  end
  return out
end

local function tenSeconds(bySecond)
  local sum = {}
  for _, h in pairs(bySecond) do
    for name, v in pairs(h) do sum[name] = (sum[name] or 0) + v end
  end
  return flat(sum, {})
end

local buckets = {}
for di, dim in ipairs(req.d) do
  local hashes = {}
  local function hashOf(s10)
    local g = hashes[s10]
    if not g then
      g = secondsOf(P .. ':kb:1:' .. s10 .. ':' .. dim)
      hashes[s10] = g
    end
    return g
  end
  for pi, piece in ipairs(req.p) do
    local raw
    local colon = string.find(piece, ':', 1, true)
    local level = string.sub(piece, 1, colon - 1)
    if level == '1' then
      local start = tonumber(string.sub(piece, colon + 1))
      local s10 = start - start % 10
      local h = hashOf(string.format('%d', s10))[string.format('%d', start - s10)]
      raw = h and flat(h, {}) or {}
    elseif level == '10' then
      raw = tenSeconds(hashOf(string.sub(piece, colon + 1)))
    else
      raw = redis.call('HGETALL', P .. ':kb:' .. piece .. ':' .. dim)
    end
    if #raw > 0 then buckets[#buckets + 1] = { di - 1, pi - 1, raw } end
  end
end

local fcr = {}
for i, f in ipairs(req.f or {}) do
  fcr[i] = redis.call('HGETALL', P .. ':kfs:' .. f[1] .. ':' .. f[2])
end

return cjson.encode({ b = buckets, f = fcr })
