-- name: alertClaimAnnouncement
-- keys: 2
-- Claim the "raised" announcement of an alert that was opened but not yet announced
-- (progress.announced == false; server/alerts/store.ts claimAnnouncement).
-- Input: KEYS[1] = escalation progress ({<prefix>:alerts}:esc), KEYS[2] = the history stream
--   ({<prefix>:alerts}:history). ARGV[1] = alert id, ARGV[2] = the entry id ("<nowMs>-*"),
--   ARGV[3] = at (ISO time), ARGV[4] = the alert JSON, ARGV[5] = the stream's MAXLEN (approximate).
-- Output: 1 = this caller claimed it (and the "raised" entry is written), 0 = no progress, or
--   announced already (nothing written).
-- Why: only one caller ever gets 1, so the raise is notified once even when the process that opened
-- it died before notifying, or two evaluations overlap. The claim writes the "raised" history entry
-- in the same step: a claimer slowed down after it cannot record "raised" after an overlapping
-- evaluation's "resolved" (which needs the claim done, or takes the announcement itself). An entry
-- id below the stream's last (clock skew) falls back to a server-time id, as AlertStore.xadd does.

local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local p = cjson.decode(raw)
if p.announced ~= false then return 0 end
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], ARGV[2], 'type', 'raised', 'at', ARGV[3], 'alert', ARGV[4])
if type(added) == 'table' and added.err then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', 'raised', 'at', ARGV[3], 'alert', ARGV[4])
end
p.announced = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1
