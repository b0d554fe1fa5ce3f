-- name: applyWrites
-- keys: 1
-- The one write of an ingest batch computed in Node (server/metrics/write/): fenced, atomic.
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON {v, nv, acc, now, pub, sealed, epoch, demo, chan}
--     v = the writer version (meta wv) the batch was computed against ("" = none yet); nv = the
--     version it leaves (= v when it writes no state).
--     acc = events accepted (added to meta seq); pub = publish {seq} on chan and set sealEpoch
--     (epoch) if unset; sealed = a sealed bucket changed (bump sealGen); demo = stamp demoAt.
--     now = the writer's clock (ms).
--   ARGV[2] = MessagePack array of operations, each an array: opcode, then its arguments
--     ["B", key, ttl, field, delta, ...]   counter increments; ttl ms (-1 = no expiry) is set only
--                                         when none of the fields existed (deadlines are absolute,
--                                         so a key that already has fields already has its expiry)
--     ["H", key, field, value, ...]        HSET
--     ["X", key, ms]                       PEXPIRE
--     ["Z", key, score, member]            ZADD
--     ["R", key, member]                   ZREM
--     ["C", key, max]                      ZREMRANGEBYSCORE key -inf (max
--     ["T", timeline, points, horizon]     trim an agent's timeline to the last point before horizon
--                                         and everything after it (and those points' hash fields)
--     ["F", counts, summary, ttlCounts, ttlSummary, dn, customer, delta, ...]
--                                         FCR: customer → contacts that day; summary c (customers),
--                                         o (exactly one contact), n (contacts without customer id)
-- Output: the center's ingest sequence after the batch, or -1 (nothing written) when meta wv is not
--   v: another writer changed the state the batch was computed from; the writer reloads and retries.
-- Time is an argument (now, ttls, horizon, max): this script never reads the clock.

local P = KEYS[1]
local cfg = cjson.decode(ARGV[1])
local meta = P .. ':meta'
if (redis.call('HGET', meta, 'wv') or '') ~= cfg.v then return -1 end
local ops = cmsgpack.unpack(ARGV[2])

-- Check the whole list before writing anything: a malformed one is refused whole rather than half
-- applied (a Lua error does not undo the writes before it). [min length, pairs from index or 0]
local shape = { B = { 5, 4 }, H = { 4, 3 }, X = { 3, 0 }, Z = { 4, 0 }, R = { 3, 0 }, C = { 3, 0 }, T = { 4, 0 }, F = { 6, 7 } }
for i, op in ipairs(ops) do
  local s = type(op) == 'table' and shape[op[1]]
  local n = s and #op
  if not s or n < s[1] or (s[2] > 0 and (n - s[2]) % 2 == 0) or (s[2] == 0 and n ~= s[1]) or type(op[2]) ~= 'string' then
    return redis.error_reply('ERR applyWrites: malformed operation ' .. i)
  end
end

for _, op in ipairs(ops) do
  local code, key = op[1], op[2]
  if code == 'B' then
    local ttl, n = op[3], #op
    local existed = false
    if n <= 7 then
      for k = 4, n, 2 do
        local d = op[k + 1]
        if redis.call('HINCRBY', key, op[k], d) ~= d then existed = true end
      end
    else
      local fields = {}
      for k = 4, n, 2 do fields[#fields + 1] = op[k] end
      local cur = redis.call('HMGET', key, unpack(fields))
      local args = {}
      for j = 1, #fields do
        if cur[j] then existed = true end
        args[2 * j - 1] = fields[j]
        args[2 * j] = (tonumber(cur[j]) or 0) + op[3 + 2 * j]
      end
      redis.call('HSET', key, unpack(args))
    end
    if ttl >= 0 and not existed then redis.call('PEXPIRE', key, ttl) end
  elseif code == 'H' then
    redis.call('HSET', key, unpack(op, 3))
  elseif code == 'X' then
    redis.call('PEXPIRE', key, op[3])
  elseif code == 'Z' then
    redis.call('ZADD', key, op[3], op[4])
  elseif code == 'R' then
    redis.call('ZREM', key, op[3])
  elseif code == 'C' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', op[3]))
  elseif code == 'T' then
    local ap = op[3]
    local old = redis.call('ZCOUNT', key, '-inf', '(' .. string.format('%d', op[4]))
    if old > 1 then
      local ids = redis.call('ZRANGE', key, 0, old - 2)
      for k = 1, #ids, 1000 do
        redis.call('HDEL', ap, unpack(ids, k, math.min(k + 999, #ids)))
      end
      redis.call('ZREMRANGEBYRANK', key, 0, old - 2)
    end
  else -- 'F'
    local counts, summary, ttlCounts, ttlSummary, dn = key, op[3], op[4], op[5], op[6]
    local customers, deltas = {}, {}
    for k = 7, #op, 2 do
      customers[#customers + 1] = op[k]
      deltas[#deltas + 1] = op[k + 1]
    end
    local count = #customers
    local dc, dO = 0, 0
    local wroteCounts = false
    if count > 0 then
      local cur = redis.call('HMGET', counts, unpack(customers))
      local set, del = {}, {}
      for k = 1, count do
        local before = tonumber(cur[k] or '0')
        local after = before + deltas[k]
        if after <= 0 then
          if before ~= 0 or cur[k] then del[#del + 1] = customers[k] end
        else
          set[#set + 1] = customers[k]
          set[#set + 1] = after
        end
        dc = dc + (after > 0 and 1 or 0) - (before > 0 and 1 or 0)
        dO = dO + (after == 1 and 1 or 0) - (before == 1 and 1 or 0)
      end
      if #set > 0 then
        redis.call('HSET', counts, unpack(set))
        wroteCounts = true
      end
      if #del > 0 then redis.call('HDEL', counts, unpack(del)) end
    end
    if dn ~= 0 then redis.call('HINCRBY', summary, 'n', dn) end
    if dc ~= 0 then redis.call('HINCRBY', summary, 'c', dc) end
    if dO ~= 0 then redis.call('HINCRBY', summary, 'o', dO) end
    if ttlCounts > 0 and count > 0 and (wroteCounts or redis.call('EXISTS', counts) == 1) then redis.call('PEXPIRE', counts, ttlCounts) end
    if ttlSummary > 0 then redis.call('PEXPIRE', summary, ttlSummary) end
  end
end

if cfg.nv ~= cfg.v then redis.call('HSET', meta, 'wv', cfg.nv) end
local seq = redis.call('HINCRBY', meta, 'seq', cfg.acc)
if cfg.sealed then redis.call('HINCRBY', meta, 'sealGen', 1) end
if cfg.acc > 0 then redis.call('HSET', meta, 'lastEventAt', cfg.now) end
if cfg.pub then
  redis.call('HSETNX', meta, 'sealEpoch', cfg.epoch)
  redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq }))
end
if cfg.demo then redis.call('HSET', meta, 'demoAt', cfg.now) end
return seq
