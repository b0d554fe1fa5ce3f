-- name: alertRelease
-- keys: 1
-- Gives the alert evaluator's lease up (server/alerts/store.ts releaseLease), only if the caller
-- still holds it: a lease that expired and was taken by another process stays with that one.
-- Input: KEYS[1] = the lease ({<prefix>:alerts}:lease). ARGV[1] = the holder's id.
-- Output: 1 = released, 0 = the caller did not hold it.

if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
