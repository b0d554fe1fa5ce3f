-- name: readBuckets
-- keys: 1
-- include: common.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {d: [dims], p: ["<levelSec>:<startSec>", ...], l: [live dims], w: [[kind, value], ...], wf: ms}
--     d x p = the bucket hashes to read (server/metrics/plan.ts decides the pieces);
--     l = dimensions whose live agent counts are wanted; w = waiting scopes (kind: all | q | ch | g),
--     counted over entries with score >= wf (now - waitingTimeout).
--   Optional ARGV[1].s = {t: [timed piece indices, 0-based], u: [untimed indices], e: timeEndMs,
--     cf: [contact fields], sc: [state codes]}: sum mode for a single-row plan (windows). Instead of
--     `b`, the reply then has S: [[c_1..c_n, rowN_1..rowN_k, timed_1..timed_k, tailN_1..tailN_k] per
--     dim] as exact integer strings: contact sums over row pieces, Σ n:<code> over row pieces, Σ
--     (n × (e − start) − m) over timed pieces, Σ n:<code> over the other (tail) pieces.
--     (server/metrics/compute.ts rowSums does the same from `b`; a board push then gets ~10 KB, not ~100 KB.)
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

local buckets = {}
local S = {}
local sum = req.s
local kindOf, startOf, cIdx, nIdx, mIdx, NC, NS, E = {}, {}, {}, {}, {}, 0, 0, 0
if sum then
  for i = 1, #req.p do kindOf[i] = 'tail' end
  for _, i in ipairs(sum.t) do kindOf[i + 1] = 't' end
  for _, i in ipairs(sum.u) do kindOf[i + 1] = 'u' end
  for i, piece in ipairs(req.p) do
    local colon = string.find(piece, ':', 1, true)
    startOf[i] = tonumber(string.sub(piece, colon + 1)) * 1000
  end
  NC, NS, E = #sum.cf, #sum.sc, sum.e
  for i, f in ipairs(sum.cf) do cIdx[f] = i end
  for i, c in ipairs(sum.sc) do
    nIdx['n:' .. c] = i
    mIdx['m:' .. c] = i
  end
end

-- sum mode: fold one field of piece pi into acc (layout in the header)
local function foldField(acc, f, value, pi)
  local kind = kindOf[pi]
  local ci = cIdx[f]
  if ci then
    if kind ~= 'tail' then acc[ci] = acc[ci] + tonumber(value) end
    return
  end
  local ns = nIdx[f]
  if ns then
    local v = tonumber(value)
    if kind == 'tail' then
      acc[NC + 2 * NS + ns] = acc[NC + 2 * NS + ns] + v
    else
      acc[NC + ns] = acc[NC + ns] + v
      if kind == 't' then acc[NC + NS + ns] = acc[NC + NS + ns] + v * (E - startOf[pi]) end
    end
  elseif kind == 't' then
    local ms = mIdx[f]
    if ms then acc[NC + NS + ms] = acc[NC + NS + ms] - tonumber(value) end
  end
end

-- sum mode, 1 s level: the plan's 1 s pieces by start second, and every 10 s hash they live in;
-- such a hash is folded field by field ("<field>.<second>", split once per distinct name) without
-- regrouping it by second
local oneSecPiece, tensNeeded, splitName = {}, {}, {}
if sum then
  for pi, piece in ipairs(req.p) do
    if string.sub(piece, 1, 2) == '1:' then
      local start = tonumber(string.sub(piece, 3))
      oneSecPiece[start] = pi
      local s10 = start - start % 10
      if not tensNeeded[s10] then
        tensNeeded[s10] = true
        tensNeeded[#tensNeeded + 1] = s10
      end
    end
  end
end
local function foldTens(acc, dim)
  for _, s10 in ipairs(tensNeeded) do
    local raw = redis.call('HGETALL', P .. ':b:1:' .. s10 .. ':' .. dim)
    for i = 1, #raw, 2 do
      local f = raw[i]
      local sp = splitName[f]
      if not sp then
        sp = { string.sub(f, 1, #f - 2), tonumber(string.sub(f, #f)) }
        splitName[f] = sp
      end
      local pi = oneSecPiece[s10 + sp[2]]
      if pi then foldField(acc, sp[1], raw[i + 1], pi) end
    end
  end
end

for di, dim in ipairs(req.d) do
  local tens = {}
  local acc
  if sum then
    acc = {}
    for i = 1, NC + 3 * NS do acc[i] = 0 end
  end
  if acc then foldTens(acc, dim) end
  for pi, piece in ipairs(req.p) do
    local raw
    if acc then
      -- 1 s pieces were folded by foldTens
      raw = string.sub(piece, 1, 2) == '1:' and {} or redis.call('HGETALL', P .. ':b:' .. piece .. ':' .. dim)
    elseif string.sub(piece, 1, 2) == '1:' then
      local start = tonumber(string.sub(piece, 3))
      local s10 = start - start % 10
      local group = tens[s10]
      if not group then
        group = secondsOf(P .. ':b:1:' .. s10 .. ':' .. dim)
        tens[s10] = group
      end
      raw = group[tostring(start - s10)] or {}
    else
      raw = redis.call('HGETALL', P .. ':b:' .. piece .. ':' .. dim)
    end
    if #raw > 0 then
      if acc then
        for i = 1, #raw, 2 do foldField(acc, raw[i], raw[i + 1], pi) end
      else
        buckets[#buckets + 1] = { di - 1, pi - 1, raw }
      end
    end
  end
  if acc then
    -- integers below 2^53 are exact in a double; %.0f prints them exactly (cjson would round to 14 digits)
    for i = 1, #acc do acc[i] = string.format('%.0f', acc[i]) end
    S[di] = acc
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

return cjson.encode({ b = buckets, S = S, l = live, w = waiting, q = qraw, demoAt = redis.call('HGET', P .. ':meta', 'demoAt') })
