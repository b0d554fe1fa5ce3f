-- name: ingestBatch
-- keys: 1
-- include: common.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON settings {now, late, fret, iret, sl:{voice,text,video}, short, wto, mid:[[ms,"YYYY-MM-DD"]...], demo, chan}
--     now = clock ms; late = lateEventHours in ms; fret/iret = retention after bucket end of fine (1/10/60 s)
--     and 900 s buckets; wto = waitingTimeout ms; mid = local midnights covering the late-event horizon plus tomorrow.
--   ARGV[2..] = events, pre-validated in Node (server/metrics/codec.ts):
--     contact: "c" US id US type(0 queued,1 answered,2 abandoned,3 transferred,4 ended,5 wrapped) US ts US contactId US queue US channel US agent
--     agent:   "a" US id US ts US agentId US state US reason US team US hasQueues(0|1) US queues(RS) US name
-- Output: JSON {"seq": <center ingest sequence>, "r": "<one char per event: a = accepted, d = duplicate>"}
--
-- Cost model: every bucket increment is accumulated in a Lua table and flushed once (HINCRBY per
-- non-zero field + one PEXPIRE per key), so a 1,000-event chunk touches a few hundred keys, not
-- 1,000 x levels x dims. Contacts are loaded once per chunk and re-derived once at the end.

local P = KEYS[1]
local cfg = cjson.decode(ARGV[1])
local NOW, LATE, FRET, IRET = cfg.now, cfg.late, cfg.fret, cfg.iret
local DEFAULTS = { sl = cfg.sl, short = cfg.short }
local MID = cfg.mid

-- ---------------------------------------------------------------- accumulator
local acc, accTtl, accOrder = {}, {}, {}
local function bump(key, field, delta, ttl)
  local h = acc[key]
  if not h then
    h = {}
    acc[key] = h
    accTtl[key] = ttl
    accOrder[#accOrder + 1] = key
  end
  h[field] = (h[field] or 0) + delta
end

-- A bucket is written only while alive (end + retention > now): removals of an earlier
-- contribution then hit exactly the buckets its addition hit, or buckets that already expired.
local function forLiveBuckets(ts, fn)
  for li = 1, 4 do
    local size = LEVEL_MS[li]
    local start = ts - ts % size
    local ttl = start + size + (li == 4 and IRET or FRET) - NOW
    if ttl > 0 then fn(P .. ':b:' .. LEVEL_TAG[li] .. ':' .. (start / 1000) .. ':', start, ttl) end
  end
end

-- ---------------------------------------------------------------- queues
local qcache = {}
local function qinfo(q)
  local qi = qcache[q]
  if qi then return qi end
  qi = parseQueueInfo(q, redis.call('HGET', P .. ':qmap', q), DEFAULTS)
  local dims = { 'all', 'q:' .. q }
  if qi.ch ~= '' then dims[#dims + 1] = 'ch:' .. qi.ch end
  for _, g in ipairs(qi.groups) do dims[#dims + 1] = 'g:' .. g end
  qi.dims = table.concat(dims, RS)
  qcache[q] = qi
  return qi
end

-- A queue first named by a contact.queued gets its channel from the event and default thresholds.
local function learnQueue(q, ch)
  local key = P .. ':qmap'
  local v = redis.call('HGET', key, q)
  if v then
    local p = split(v, US)
    if (p[1] or '') ~= '' then return end
    redis.call('HSET', key, q, ch .. US .. (p[2] or '') .. US .. (p[3] or '') .. US .. (p[4] or ''))
  else
    redis.call('HSET', key, q, ch .. US .. US .. US)
  end
  qcache[q] = nil
end

-- ---------------------------------------------------------------- contacts
local function localDay(ts)
  for i = #MID - 1, 1, -1 do
    if MID[i][1] <= ts then
      if ts < MID[i + 1][1] then return MID[i][2], MID[i + 1][1] end
      return nil
    end
  end
  return nil
end

local function eventLess(x, y)
  if x.ts ~= y.ts then return x.ts < y.ts end
  if x.t ~= y.t then return x.t < y.t end
  return bytesLess(x.id, y.id)
end

-- The SEMANTICS.md state machine over all of a contact's events. Returns the contribution:
-- items {ts, dims, field, delta, ...} (already classified with the queue's thresholds, so a later
-- removal is exact even if thresholds change), handled-today entries, and the waiting leg.
local function derive(h)
  local evs = {}
  for f, v in pairs(h) do
    if string.sub(f, 1, 2) == 'e:' then
      local p = split(v, US)
      evs[#evs + 1] = { t = tonumber(p[1]), ts = tonumber(p[2]), q = p[3], ag = p[5], id = string.sub(f, 3) }
    end
  end
  table.sort(evs, eventLess)
  local items, handled = {}, {}
  local leg, conv
  for _, e in ipairs(evs) do
    local t = e.t
    if t == 0 then
      if not (leg and leg.q == e.q) then
        if leg then items[#items + 1] = { e.ts, qinfo(leg.q).dims, 'xfr', 1 } end
        leg = { q = e.q, at = e.ts }
        items[#items + 1] = { e.ts, qinfo(e.q).dims, 'arr', 1 }
      end
    elseif t == 1 then
      if leg then
        local qi = qinfo(leg.q)
        local wait = e.ts - leg.at
        local it = { e.ts, qi.dims, 'ans', 1, 'awm', wait }
        if qi.sl and wait <= qi.sl then it[#it + 1] = 'ait'; it[#it + 1] = 1 end
        items[#items + 1] = it
        local day, dayEnd = localDay(e.ts)
        if day and e.ag ~= '' then handled[#handled + 1] = { day, e.ag, dayEnd } end
        conv = { q = leg.q, at = e.ts }
        leg = nil
      end
    elseif t == 2 then
      if leg then
        local qi = qinfo(leg.q)
        local wait = e.ts - leg.at
        if wait < (qi.short or 0) then
          items[#items + 1] = { e.ts, qi.dims, 'sab', 1 }
        else
          local it = { e.ts, qi.dims, 'abn', 1 }
          if qi.sl and wait <= qi.sl then it[#it + 1] = 'bit'; it[#it + 1] = 1 end
          items[#items + 1] = it
        end
        leg = nil
      end
    elseif t == 3 then
      if leg then
        items[#items + 1] = { e.ts, qinfo(leg.q).dims, 'xfr', 1 }
        leg = nil
      end
    elseif t == 4 then
      if conv and not conv.ended then
        items[#items + 1] = { e.ts, qinfo(conv.q).dims, 'tc', 1, 'tm', e.ts - conv.at }
        conv.ended = true
      end
    elseif t == 5 then
      if conv then
        items[#items + 1] = { e.ts, qinfo(conv.q).dims, 'hc', 1, 'hm', e.ts - conv.at }
        conv = nil
      end
    end
  end
  local waiting = ''
  if leg then waiting = leg.q .. US .. leg.at end
  return items, handled, waiting
end

local function applyContribution(enc, sign)
  if enc == nil or enc == '' then return end
  local c = cjson.decode(enc)
  for _, it in ipairs(c.i) do
    local ts = it[1]
    local dims = split(it[2], RS)
    forLiveBuckets(ts, function(base, _, ttl)
      for d = 1, #dims do
        local key = base .. dims[d]
        for k = 3, #it, 2 do bump(key, it[k], sign * it[k + 1], ttl) end
      end
    end)
  end
  for _, hd in ipairs(c.h) do
    local ttl = hd[3] + LATE - NOW
    if ttl > 0 then bump(P .. ':ad:' .. hd[1], hd[2], sign, ttl) end
  end
end

-- ---------------------------------------------------------------- agents
local function parsePoint(v)
  local p = split(v, US)
  return { state = p[1], reason = p[2] or '', team = p[3] or '', queues = p[4] or '', name = p[5] or '', dims = p[6] or '' }
end

local function agentDims(team, queues)
  local dims, seen = { 'all' }, {}
  if team ~= '' then dims[#dims + 1] = 't:' .. team end
  local qs = split(queues, RS)
  for _, q in ipairs(qs) do
    local cand = { 'q:' .. q }
    local qi = qinfo(q)
    if qi.ch ~= '' then cand[#cand + 1] = 'ch:' .. qi.ch end
    for _, g in ipairs(qi.groups) do cand[#cand + 1] = 'g:' .. g end
    for _, d in ipairs(cand) do
      if not seen[d] then
        seen[d] = true
        dims[#dims + 1] = d
      end
    end
  end
  return table.concat(dims, RS)
end

-- sign x (state, dims) at time ts: n = count change, m = count change x offset into the bucket
local function transition(ts, state, dims, sign)
  local code = STATE_CODE[state]
  if not code then return end
  local ds = split(dims, RS)
  local nf, mf = 'n:' .. code, 'm:' .. code
  forLiveBuckets(ts, function(base, start, ttl)
    local off = sign * (ts - start)
    for d = 1, #ds do
      local key = base .. ds[d]
      bump(key, nf, sign, ttl)
      bump(key, mf, off, ttl)
    end
  end)
end

local function lastPointId(at)
  local r = redis.call('ZREVRANGE', at, 0, 0)
  return r[1]
end

-- start time of the final run of equal (state, reason) of the agent's timeline
local function runStart(at, ap)
  local offset, step = 0, 8
  local lastKey, since
  while true do
    local ids = redis.call('ZREVRANGE', at, offset, offset + step - 1, 'WITHSCORES')
    if #ids == 0 then return since end
    local members = {}
    for i = 1, #ids, 2 do members[#members + 1] = ids[i] end
    local encs = redis.call('HMGET', ap, unpack(members))
    for j = 1, #members do
      local pt = parsePoint(encs[j] or '')
      local k = pt.state .. US .. pt.reason
      if lastKey == nil then
        lastKey = k
      elseif k ~= lastKey then
        return since
      end
      since = tonumber(ids[2 * j])
    end
    offset = offset + step
    step = step * 4
  end
end

-- ---------------------------------------------------------------- intake
local statuses = {}
local accepted = 0
local contacts, contactOrder = {}, {}
local agentsTouched, agentOrder = {}, {}

for i = 2, #ARGV do
  local p = split(ARGV[i], US)
  local id = p[2]
  local status = 'a'
  if p[1] == 'c' then
    local typ, ts, cid, q, ch, ag = p[3], tonumber(p[4]), p[5], p[6], p[7], p[8] or ''
    local c = contacts[cid]
    if not c then
      local raw = redis.call('HGETALL', P .. ':ct:' .. cid)
      local h = {}
      for k = 1, #raw, 2 do h[raw[k]] = raw[k + 1] end
      c = { h = h, new = {}, maxTs = 0 }
      contacts[cid] = c
      contactOrder[#contactOrder + 1] = cid
    end
    local f = 'e:' .. id
    if c.h[f] then
      status = 'd'
    else
      if typ == '0' then learnQueue(q, ch) end
      local v = typ .. US .. ts .. US .. q .. US .. ch .. US .. ag
      c.h[f] = v
      c.new[#c.new + 1] = f
      c.new[#c.new + 1] = v
    end
  else
    local ts, ag, state, reason, team, hasQueues, queues, name =
      tonumber(p[3]), p[4], p[5], p[6] or '', p[7] or '', p[8], p[9] or '', p[10] or ''
    local at, ap = P .. ':at:' .. ag, P .. ':ap:' .. ag
    if redis.call('ZSCORE', at, id) then
      status = 'd'
    else
      if not agentsTouched[ag] then
        agentsTouched[ag] = { oldLast = lastPointId(at) }
        agentOrder[#agentOrder + 1] = ag
      end
      redis.call('ZADD', at, ts, id)
      local r = redis.call('ZRANK', at, id)
      local prevId, nextId, nextTs
      if r > 0 then prevId = redis.call('ZRANGE', at, r - 1, r - 1)[1] end
      local nx = redis.call('ZRANGE', at, r + 1, r + 1, 'WITHSCORES')
      if nx[1] then
        nextId = nx[1]
        nextTs = tonumber(nx[2])
      end
      local prev
      if prevId then prev = parsePoint(redis.call('HGET', ap, prevId) or '') end
      if team == '' and prev then team = prev.team end
      if hasQueues ~= '1' then queues = prev and prev.queues or '' end
      if name == '' and prev then name = prev.name end
      local dims = agentDims(team, queues)
      redis.call('HSET', ap, id, table.concat({ state, reason, team, queues, name, dims }, US))
      if prev then transition(ts, prev.state, prev.dims, -1) end
      transition(ts, state, dims, 1)
      if nextId then
        if prev then transition(nextTs, prev.state, prev.dims, 1) end
        transition(nextTs, state, dims, -1)
      end
    end
  end
  if status == 'a' then accepted = accepted + 1 end
  statuses[#statuses + 1] = status
end

-- ---------------------------------------------------------------- contacts: re-derive once
local waitingTouched = {}
for _, cid in ipairs(contactOrder) do
  local c = contacts[cid]
  if #c.new > 0 then
    local key = P .. ':ct:' .. cid
    local items, handled, waiting = derive(c.h)
    local enc = cjson.encode({ i = items, h = handled })
    if #items == 0 and #handled == 0 then enc = '' end
    local old = c.h.a or ''
    if enc ~= old then
      applyContribution(old, -1)
      applyContribution(enc, 1)
      c.new[#c.new + 1] = 'a'
      c.new[#c.new + 1] = enc
    end
    local oldW = c.h.w or ''
    if waiting ~= oldW then
      if oldW ~= '' then redis.call('ZREM', P .. ':w:' .. split(oldW, US)[1], cid) end
      if waiting ~= '' then
        local wq = split(waiting, US)
        redis.call('ZADD', P .. ':w:' .. wq[1], tonumber(wq[2]), cid)
        waitingTouched[wq[1]] = true
      end
      c.new[#c.new + 1] = 'w'
      c.new[#c.new + 1] = waiting
    end
    redis.call('HSET', key, unpack(c.new))
    local maxTs = 0
    for f, v in pairs(c.h) do
      if string.sub(f, 1, 2) == 'e:' then
        local ts = tonumber(split(v, US)[2])
        if ts > maxTs then maxTs = ts end
      end
    end
    local ttl = maxTs + LATE - NOW
    if ttl < 1000 then ttl = 1000 end
    redis.call('PEXPIRE', key, ttl)
  end
end

-- A contact that never got an exit event stops counting as waiting after waitingTimeout (queries
-- filter by score); trimming it here keeps the set bounded. Its hash keeps `w`, so a late exit
-- event's ZREM is a harmless no-op.
for q in pairs(waitingTouched) do
  redis.call('ZREMRANGEBYSCORE', P .. ':w:' .. q, '-inf', '(' .. (NOW - cfg.wto))
end

-- ---------------------------------------------------------------- agents: live, current row, trim
local horizon = NOW - LATE
for _, ag in ipairs(agentOrder) do
  local at, ap = P .. ':at:' .. ag, P .. ':ap:' .. ag
  local oldLast = agentsTouched[ag].oldLast
  local newLast = lastPointId(at)
  local pt = parsePoint(redis.call('HGET', ap, newLast))
  if newLast ~= oldLast then
    if oldLast then
      local op = parsePoint(redis.call('HGET', ap, oldLast) or '')
      if STATE_CODE[op.state] then
        for _, d in ipairs(split(op.dims, RS)) do bump(P .. ':live:' .. d, op.state, -1, nil) end
      end
    end
    if STATE_CODE[pt.state] then
      for _, d in ipairs(split(pt.dims, RS)) do bump(P .. ':live:' .. d, pt.state, 1, nil) end
    end
  end
  local row = {
    name = pt.name, state = pt.state, reason = pt.reason, since = runStart(at, ap),
    team = pt.team, queues = split(pt.queues, RS),
  }
  redis.call('HSET', P .. ':agents', ag, cjson.encode(row))
  local old = redis.call('ZCOUNT', at, '-inf', '(' .. horizon)
  if old > 1 then
    local ids = redis.call('ZRANGE', at, 0, old - 2)
    for k = 1, #ids, 1000 do
      redis.call('HDEL', ap, unpack(ids, k, math.min(k + 999, #ids)))
    end
    redis.call('ZREMRANGEBYRANK', at, 0, old - 2)
  end
end

-- ---------------------------------------------------------------- flush
for _, key in ipairs(accOrder) do
  local touched = false
  for f, d in pairs(acc[key]) do
    if d ~= 0 then
      redis.call('HINCRBY', key, f, d)
      touched = true
    end
  end
  if touched and accTtl[key] then redis.call('PEXPIRE', key, accTtl[key]) end
end

local meta = P .. ':meta'
local seq = redis.call('HINCRBY', meta, 'seq', accepted)
if accepted > 0 then
  redis.call('HSET', meta, 'lastEventAt', NOW)
  redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq }))
end
if cfg.demo == 1 then redis.call('HSET', meta, 'demoAt', NOW) end
return cjson.encode({ seq = seq, r = table.concat(statuses) })
