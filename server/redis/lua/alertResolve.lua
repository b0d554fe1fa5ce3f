-- name: alertResolve
-- keys: 3
-- Resolve in one step (server/alerts/store.ts resolve): mark the alert resolved, free its open slot
-- (only if the slot still names this alert: a successor may hold it), drop its escalation progress.
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts), KEYS[2] = open slots ({<prefix>:alerts}:open),
--   KEYS[3] = escalation progress ({<prefix>:alerts}:esc). ARGV[1] = alert id, ARGV[2] = its slot
--   key (rule|subject), ARGV[3] = JSON patch merged into the alert (resolvedAt, …).
-- Output: {alert JSON, progress JSON ('' if none), alert JSON before} when this call resolved it,
--   {} when it was resolved already (or is missing).
-- Why: a resolved alert is final; an evaluation outliving its lease may repeat the step and must get
-- {}. Dropping the progress also takes an unclaimed "raised" announcement (alertClaimAnnouncement.lua
-- finds no progress afterwards): the caller announces it, once.

if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
local praw = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {} end
local a = cjson.decode(raw)
if a.state == 'resolved' then return {} end
local p = cjson.decode(ARGV[3])
for k, v in pairs(p) do a[k] = v end
a.state = 'resolved'
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return {out, praw or '', raw}
