-- name: applyWrites
-- keys: 1
-- The one write of an ingest batch computed in Node (server/metrics/write/): fenced, atomic.
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON {v, nv, acc, now, pub, sealed, epoch, demo, chan}
--     v = the writer version (meta wv) the batch was computed against ("" = none yet); nv = the
--     version it leaves (= v when it writes no state).
--     acc = events accepted (added to meta seq); pub = publish {seq} on chan and set sealEpoch
--     (epoch) if unset; sealed = '' or, when a sealed bucket changed, the new sealGen (a token
--     never used before: a counter would come back to a value readers hold after Redis restarts
--     from an older snapshot or fails over to a lagging replica); demo = stamp demoAt.
--     now = the writer's clock (ms).
--   ARGV[2] = one flat MessagePack array of operations: per operation its opcode, the number n of
--     values that follow, then those n values (the key first). Values are strings, numbers too
--     (decimal): Redis 7.0 formats a Lua number passed to redis.call with "%.17g", which cost an
--     eighth of this script's instructions, while a string passes through as it is.
--     B key ttl field delta ...            counter increments: HINCRBY per field; a key the first one
--                                         created gets the rest with one HSET and ttl ms (-1 = no
--                                         expiry); an existing key keeps its expiry (deadlines are
--                                         absolute)
--     H key field value ...                HSET
--     X key ms                             PEXPIRE
--     Z key score member                   ZADD
--     R key member                         ZREM
--     C key max                            ZREMRANGEBYSCORE key -inf (max
--     T timeline points horizon            trim an agent's timeline to the last point before horizon
--                                         and everything after it (and those points' hash fields)
--     F counts summary ttlCounts ttlSummary dn customer delta ...
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
local nops = #ops

-- Check the whole list before writing anything: a malformed one is refused whole rather than half
-- applied (a Lua error does not undo the writes before it). [min values n, pairs from value index or 0]
local shape = { B = { 4, 3 }, H = { 3, 2 }, X = { 2, 0 }, Z = { 3, 0 }, R = { 2, 0 }, C = { 2, 0 }, T = { 3, 0 }, F = { 5, 6 } }
local i, o = 1, 0
while i <= nops do
  o = o + 1
  local s, n = shape[ops[i]], ops[i + 1]
  if not s or type(n) ~= 'number' or i + 1 + n > nops or n < s[1] or (s[2] > 0 and (n - s[2]) % 2 == 0) or (s[2] == 0 and n ~= s[1]) or type(ops[i + 2]) ~= 'string' then
    return redis.error_reply('ERR applyWrites: malformed operation ' .. o)
  end
  i = i + 2 + n
end

local fmt = string.format
i = 1
while i <= nops do
  local code, n, key = ops[i], ops[i + 1], ops[i + 2]
  local a = i + 2 -- index of the key; values follow
  local last = a + n - 1
  if code == 'B' then
    -- The first field's HINCRBY tells whether the key is new: it answers the delta itself and the
    -- hash then holds that one field. A new key (the buckets a batch spanning minutes opens) gets
    -- its other fields in one HSET, since a redis.call costs far more than the command's work; an
    -- existing one (live traffic writes a bucket every second) one HINCRBY per field, with no
    -- extra call. A lone field at 0 taken for a new key is harmless: the others did not exist, and
    -- the deadline is absolute.
    local d = ops[a + 3]
    if redis.call('HINCRBY', key, ops[a + 2], d) == tonumber(d) and redis.call('HLEN', key) == 1 then
      if a + 4 <= last then redis.call('HSET', key, unpack(ops, a + 4, last)) end
      if tonumber(ops[a + 1]) >= 0 then redis.call('PEXPIRE', key, ops[a + 1]) end
    else
      for k = a + 4, last, 2 do redis.call('HINCRBY', key, ops[k], ops[k + 1]) end
    end
  elseif code == 'H' then
    redis.call('HSET', unpack(ops, a, last))
  elseif code == 'X' then
    redis.call('PEXPIRE', key, ops[a + 1])
  elseif code == 'Z' then
    redis.call('ZADD', key, ops[a + 1], ops[a + 2])
  elseif code == 'R' then
    redis.call('ZREM', key, ops[a + 1])
  elseif code == 'C' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ops[a + 1])
  elseif code == 'T' then
    local ap = ops[a + 1]
    local old = redis.call('ZCOUNT', key, '-inf', '(' .. ops[a + 2])
    if old > 1 then
      local ids = redis.call('ZRANGE', key, 0, old - 2)
      for k = 1, #ids, 1000 do
        redis.call('HDEL', ap, unpack(ids, k, math.min(k + 999, #ids)))
      end
      redis.call('ZREMRANGEBYRANK', key, 0, old - 2)
    end
  else -- 'F'
    local counts, summary, ttlCounts, ttlSummary, dn = key, ops[a + 1], tonumber(ops[a + 2]), tonumber(ops[a + 3]), tonumber(ops[a + 4])
    local customers, deltas = {}, {}
    for k = a + 5, last, 2 do
      customers[#customers + 1] = ops[k]
      deltas[#deltas + 1] = tonumber(ops[k + 1])
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
          set[#set + 1] = fmt('%d', after)
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
  i = last + 1
end

if cfg.nv ~= cfg.v then redis.call('HSET', meta, 'wv', cfg.nv) end
local seq = redis.call('HINCRBY', meta, 'seq', cfg.acc)
if cfg.sealed ~= '' then redis.call('HSET', meta, 'sealGen', cfg.sealed) end
if cfg.acc > 0 then redis.call('HSET', meta, 'lastEventAt', cfg.now) end
if cfg.pub then
  redis.call('HSETNX', meta, 'sealEpoch', cfg.epoch)
  redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq }))
end
if cfg.demo then redis.call('HSET', meta, 'demoAt', cfg.now) end
return seq
