-- name: alertOpen
-- keys: 3
-- Open an alert (server/alerts/store.ts open): the open slot (HSETNX), the alert and its escalation
-- progress in one step, so a process dying in between never leaves an open slot without its alert.
-- Input: KEYS[1] = open slots ({<prefix>:alerts}:open, rule|subject → alert id),
--   KEYS[2] = alerts ({<prefix>:alerts}:alerts, alert id → JSON alert),
--   KEYS[3] = escalation progress ({<prefix>:alerts}:esc, alert id → JSON progress).
--   ARGV[1] = the slot key (rule|subject), ARGV[2] = the alert id, ARGV[3] = the alert JSON,
--   ARGV[4] = the progress JSON.
-- Output: 1 = opened, 0 = an alert is already open for that key (nothing written).

if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 1
