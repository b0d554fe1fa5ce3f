-- name: alertEscalate
-- keys: 2
-- include: alertFiring.lua
-- Escalation compare-and-set (server/alerts/store.ts escalateStep): moves the level ARGV[2] →
-- ARGV[3] only if the stored progress is still at ARGV[2] and the alert is firing; only the
-- evaluation that made the move gets the alert back (and notifies).
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts), KEYS[2] = escalation progress
--   ({<prefix>:alerts}:esc). ARGV[1] = alert id, ARGV[2] = from level, ARGV[3] = to level,
--   ARGV[4] = now (ms; the level's start and the last notification), ARGV[5] = now (ISO, the
--   alert's updatedAt).
-- Output: the alert's JSON after the move, or false (nil in Node) when this call did not move it
--   (nothing written).

local p, _, a = firingAt(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
if not p then return false end
a.escalationLevel = tonumber(ARGV[3])
a.updatedAt = ARGV[5]
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
p.level = tonumber(ARGV[3])
p.levelSince = tonumber(ARGV[4])
p.lastNotifiedAt = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(p))
return out
