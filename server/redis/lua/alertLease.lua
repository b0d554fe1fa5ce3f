-- name: alertLease
-- keys: 1
-- The alert evaluator's lease (server/alerts/store.ts acquireLease): only its holder evaluates, so
-- any number of server processes raise each alert once. The holder renews, anybody takes an
-- expired lease.
-- Input: KEYS[1] = the lease ({<prefix>:alerts}:lease). ARGV[1] = the holder's id, ARGV[2] = the
--   lease length (ms).
-- Output: 1 = the caller holds the lease (renewed or taken), 0 = another holder has it.

local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
