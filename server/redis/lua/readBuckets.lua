-- name: readBuckets
-- keys: 1
-- include: common.lua
-- include: buckets.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], l: [live dims], w: [[kind, value], ...], wf: ms,
--     g: seal generation the caller assumes, s: [[pieceIndex0, ...] per dim] sealed pieces it holds,
--     qh: SHA-1 of the queue map the caller holds, as this script last returned it ('' = none)}
--     d x p = the bucket hashes to read (server/metrics/plan.ts decides the pieces);
--     l = dimensions whose live agent counts are wanted; w = waiting scopes (kind: all | q | ch | g),
--     counted over entries with score >= wf (now - waitingTimeout); s is honoured only if g is current
--     (lib/buckets.lua sealGeneration).
-- Output: JSON {b: [[dimIndex, pieceIndex, [field, value, ...]], ...] (non-empty buckets only),
--   l: [[state, count, ...] per live dim], w: [[count, oldestQueuedMs or -1] per waiting scope],
--   q: [queue, qmapValue, ...] or false when its SHA-1 equals req.qh, qh: that SHA-1, demoAt,
--   g: current seal generation ('' = keep nothing)}
-- Read-only; one call answers a whole board (every scope of one center) in one round trip.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])

-- 1 s and 10 s pieces come from the per-10 s hashes of the 1 s level (lib/buckets.lua)
local gen = sealGeneration(P .. ':meta')
local buckets = readPieces(P .. ':b:', req.d, req.p, true, skipFor(req, gen))

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

-- The queue map goes back only when it differs from the caller's: it changes when a queue is first
-- seen or the config changes, and for 50 queues it was ≈ 3 KB of JSON that every read encoded and
-- the server decoded. The digest covers the map in the order read ('\0' never occurs in queue ids or
-- values), so an equal digest means the very list the caller parsed.
local qh = redis.sha1hex(table.concat(qraw, '\0'))
local q = qraw
if req.qh == qh then q = false end
return cjson.encode({ b = buckets, l = live, w = waiting, q = q, qh = qh, demoAt = redis.call('HGET', P .. ':meta', 'demoAt'), g = gen })
