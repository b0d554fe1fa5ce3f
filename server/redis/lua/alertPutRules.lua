-- name: alertPutRules
-- keys: 2
-- Thresholds compare-and-set (server/alerts/store.ts putRules): Node builds the new document, Lua
-- checks nobody saved in between, and writes it with its audit record in the same step.
-- Input: KEYS[1] = the thresholds document ({<prefix>:alerts}:rules), KEYS[2] = the audit stream
--   ({<prefix>:alerts}:audit). ARGV[1] = the version the document was based on (0 = none stored),
--   ARGV[2] = the new document JSON, ARGV[3] = the audit entry id ("<nowMs>-*"), ARGV[4] = the
--   audit record JSON.
-- Output: {1, stored version} = saved, {0, stored version} = the stored version is no longer
--   ARGV[1] (nothing written).

local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(cjson.decode(cur).version) end
if v ~= tonumber(ARGV[1]) then return {0, v} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', ARGV[3], 'json', ARGV[4])
return {1, v}
