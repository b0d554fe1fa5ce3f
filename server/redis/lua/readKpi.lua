-- name: readKpi
-- keys: 1
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], f: [[day, dim], ...]}
--     d x p = the KPI bucket hashes "kb:<piece>:<dim>" to read (pieces from server/metrics/plan.ts, the
--     engine's own decomposition); f = first-contact-resolution summaries "kfs:<day>:<dim>" wanted.
-- Output: JSON {b: [[dimIndex, pieceIndex, [field, value, ...]], ...] (non-empty buckets only),
--   f: [[field, value, ...] per requested summary]}
-- Read-only.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])

local buckets = {}
for di, dim in ipairs(req.d) do
  for pi, piece in ipairs(req.p) do
    local raw = redis.call('HGETALL', P .. ':kb:' .. piece .. ':' .. dim)
    if #raw > 0 then buckets[#buckets + 1] = { di - 1, pi - 1, raw } end
  end
end

local fcr = {}
for i, f in ipairs(req.f or {}) do
  fcr[i] = redis.call('HGETALL', P .. ':kfs:' .. f[1] .. ':' .. f[2])
end

return cjson.encode({ b = buckets, f = fcr })
