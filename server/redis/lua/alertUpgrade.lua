-- name: alertUpgrade
-- keys: 2
-- Warning → critical, once (server/alerts/store.ts upgrade).
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts), KEYS[2] = escalation progress
--   ({<prefix>:alerts}:esc). ARGV[1] = alert id, ARGV[2] = JSON patch merged into the alert,
--   ARGV[3] = now (ms).
-- Output: the upgraded alert's JSON, or false (nil in Node) when it is missing, resolved, or not
--   a warning (nothing written).
-- Why: applies only while the stored alert is an open warning, so a second evaluation holding a
-- stale tracker (overlapping leases) gets nil and announces nothing. An acknowledged warning fires
-- again (its acknowledgement is dropped); the escalation clock restarts at the upgrade (level kept)
-- and the upgrade's notification counts as the announcement.

local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local a = cjson.decode(raw)
if a.state == 'resolved' or a.severity ~= 'warning' then return false end
local p = cjson.decode(ARGV[2])
for k, v in pairs(p) do a[k] = v end
a.severity = 'critical'
a.state = 'firing'
a.acknowledgedBy = nil
a.acknowledgedAt = nil
a.note = nil
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
local praw = redis.call('HGET', KEYS[2], ARGV[1])
local level = a.escalationLevel or 0
if praw then level = cjson.decode(praw).level or level end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({level = level, levelSince = tonumber(ARGV[3]), lastNotifiedAt = tonumber(ARGV[3]), announced = true}))
return out
