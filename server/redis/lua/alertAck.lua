-- name: alertAck
-- keys: 1
-- Acknowledge a firing alert (server/alerts/store.ts acknowledge), from any server process, atomic
-- against the evaluator updating the same alert.
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts). ARGV[1] = alert id, ARGV[2] = by (who),
--   ARGV[3] = at (ISO time; also the alert's updatedAt), ARGV[4] = note ('' = none).
-- Output: {code, alert JSON}: 0 = no such alert (JSON ''), 1 = not firing (unchanged; the stored
--   JSON), 2 = acknowledged now (the new JSON).

local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0, ''} end
local a = cjson.decode(raw)
if a.state ~= 'firing' then return {1, raw} end
a.state = 'acknowledged'
a.acknowledgedBy = ARGV[2]
a.acknowledgedAt = ARGV[3]
a.updatedAt = ARGV[3]
if ARGV[4] ~= '' then a.note = ARGV[4] end
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return {2, out}
