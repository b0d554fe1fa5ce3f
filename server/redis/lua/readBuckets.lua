-- name: readBuckets
-- keys: 1
-- include: common.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], l: [live dims], w: [[kind, value], ...], wf: ms}
--     d x p = the bucket hashes to read (server/metrics/plan.ts decides the pieces);
--     l = dimensions whose live agent counts are wanted; w = waiting scopes (kind: all | q | ch | g),
--     counted over entries with score >= wf (now - waitingTimeout).
-- Output: JSON {b: [[dimIndex, pieceIndex, [field, value, ...]], ...] (non-empty buckets only),
--   l: [[state, count, ...] per live dim], w: [[count, oldestQueuedMs or -1] per waiting scope],
--   q: [queue, qmapValue, ...], demoAt}
-- Read-only; one call answers a whole board (every scope of one center) in one round trip.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])

-- 1 s buckets are fields "<field>.<second>" of one hash per 10 s (see ingestBatch.lua): read that
-- hash once and split it by second.
local function secondsOf(key)
  local bySecond = {}
  local raw = redis.call('HGETALL', key)
  for i = 1, #raw, 2 do
    local f = raw[i]
    local dot = #f - 1
    local sec = string.sub(f, dot + 1)
    local list = bySecond[sec]
    if not list then
      list = {}
      bySecond[sec] = list
    end
    list[#list + 1] = string.sub(f, 1, dot - 1)
    list[#list + 1] = raw[i + 1]
  end
  return bySecond
end

-- A 10 s piece is the sum of the ten seconds of its 1 s hash (the ingest script stores no 10 s level).
-- Agent-time fields m:<state> hold count x offset into THEIR bucket, so a second k contributes
-- m + n x k s to the 10 s bucket's m (n:<state> of the same second).
local function tenSecondsOf(key)
  local sums, order = {}, {}
  local raw = redis.call('HGETALL', key)
  local values = {}
  for i = 1, #raw, 2 do values[raw[i]] = raw[i + 1] end
  for i = 1, #raw, 2 do
    local f = raw[i]
    local name = string.sub(f, 1, #f - 2)
    local v = tonumber(raw[i + 1])
    if string.sub(name, 1, 2) == 'm:' then
      local sec = tonumber(string.sub(f, #f))
      local n = tonumber(values['n:' .. string.sub(name, 3) .. '.' .. sec] or '0')
      v = v + n * sec * 1000
    end
    local sum = sums[name]
    if sum == nil then order[#order + 1] = name end
    sums[name] = (sum or 0) + v
  end
  local out = {}
  for _, name in ipairs(order) do
    if sums[name] ~= 0 then
      out[#out + 1] = name
      out[#out + 1] = string.format('%d', sums[name])
    end
  end
  return out
end

local buckets = {}
for di, dim in ipairs(req.d) do
  local tens = {}
  for pi, piece in ipairs(req.p) do
    local raw
    local level = string.sub(piece, 1, 3)
    if string.sub(piece, 1, 2) == '1:' then
      local start = tonumber(string.sub(piece, 3))
      local s10 = start - start % 10
      local group = tens[s10]
      if not group then
        group = secondsOf(P .. ':b:1:' .. s10 .. ':' .. dim)
        tens[s10] = group
      end
      raw = group[tostring(start - s10)] or {}
    elseif level == '10:' then
      raw = tenSecondsOf(P .. ':b:1:' .. string.sub(piece, 4) .. ':' .. dim)
    else
      raw = redis.call('HGETALL', P .. ':b:' .. piece .. ':' .. dim)
    end
    if #raw > 0 then buckets[#buckets + 1] = { di - 1, pi - 1, raw } end
  end
end

local live = {}
for i, dim in ipairs(req.l or {}) do
  live[i] = redis.call('HGETALL', P .. ':live:' .. dim)
end

local qraw = redis.call('HGETALL', P .. ':qmap')
local waiting = {}
if req.w and #req.w > 0 then
  local queues = {}
  for i = 1, #qraw, 2 do queues[#queues + 1] = parseQueueInfo(qraw[i], qraw[i + 1], nil) end
  local cache = {}
  local function countQueue(q)
    local c = cache[q]
    if c then return c end
    local key = P .. ':w:' .. q
    local n = redis.call('ZCOUNT', key, req.wf, '+inf')
    local oldest = -1
    if n > 0 then oldest = tonumber(redis.call('ZRANGEBYSCORE', key, req.wf, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]) end
    c = { n, oldest }
    cache[q] = c
    return c
  end
  for i, scope in ipairs(req.w) do
    local kind, value = scope[1], scope[2]
    local total, oldest = 0, -1
    local function add(q)
      local c = countQueue(q)
      total = total + c[1]
      if c[2] >= 0 and (oldest < 0 or c[2] < oldest) then oldest = c[2] end
    end
    if kind == 'q' then
      add(value)
    else
      for _, qi in ipairs(queues) do
        local member = kind == 'all' or (kind == 'ch' and qi.ch == value)
        if kind == 'g' then
          for _, g in ipairs(qi.groups) do
            if g == value then member = true end
          end
        end
        if member then add(qi.q) end
      end
    end
    waiting[i] = { total, oldest }
  end
end

return cjson.encode({ b = buckets, l = live, w = waiting, q = qraw, demoAt = redis.call('HGET', P .. ':meta', 'demoAt') })
