-- name: readKpi
-- keys: 1
-- include: common.lua
-- include: buckets.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], f: [[day, dim], ...]}
--     d x p = the KPI buckets to read (pieces from server/metrics/plan.ts, the engine's own
--     decomposition): a "1:<sec>" piece is the fields "<field>.<sec − s10>" of the hash
--     "kb:1:<s10>:<dim>" (s10 = the 10 s span holding sec), a "10:<s10>" piece the sum of that
--     hash's ten seconds (the writer stores no 10 s level), "60:<start>" / "900:<start>" the hash
--     "kb:<piece>:<dim>"; f = first-contact-resolution summaries "kfs:<day>:<dim>" wanted;
--     g, s = seal generation and held sealed pieces, as in readBuckets.lua.
-- Output: JSON {b: [[dimIndex, pieceIndex, [field, value, ...]], ...] (non-empty buckets only; a
--   1 s / 10 s piece lists only its non-zero fields), f: [[field, value, ...] per requested summary],
--   g: current seal generation}
-- Read-only; each kb:1 hash is read once per dim, however many of its pieces are wanted.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])

-- every kb field is a plain additive counter: a 10 s piece is the plain sum of its seconds
local gen = sealGeneration(P .. ':meta')
local buckets = readPieces(P .. ':kb:', req.d, req.p, false, skipFor(req, gen))

local fcr = {}
for i, f in ipairs(req.f or {}) do
  fcr[i] = redis.call('HGETALL', P .. ':kfs:' .. f[1] .. ':' .. f[2])
end

return cjson.encode({ b = buckets, f = fcr, g = gen })
