-- name: alertRenotify
-- keys: 2
-- include: alertFiring.lua
-- Re-notify compare-and-set (server/alerts/store.ts renotifyStep) on the progress (level,
-- lastNotifiedAt) and, like alertEscalate.lua, only while the alert is firing: an acknowledgement
-- (or resolution) landing after the caller read the alert stops the re-notify.
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts), KEYS[2] = escalation progress
--   ({<prefix>:alerts}:esc). ARGV[1] = alert id, ARGV[2] = the level, ARGV[3] = the
--   lastNotifiedAt the caller read (ms), ARGV[4] = now (ms, the new lastNotifiedAt).
-- Output: the alert's JSON as it is now, to the one caller that re-notifies; false (nil in Node)
--   otherwise (nothing written).

local p, raw = firingAt(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
if not p then return false end
p.lastNotifiedAt = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(p))
return raw
