-- name: ingestBatch
-- keys: 1
-- include: common.lua
-- include: buckets.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON settings {now, late, fret, mret, iret, sl:{voice,text,video}, short, wto, mid:[[ms,"YYYY-MM-DD"]...], demo, chan, seal, epoch}
--     now = clock ms; late = lateEventHours in ms; fret/mret/iret = retention after bucket end of 1 s (and
--     10 s), 60 s and 900 s buckets (server/metrics/plan.ts); wto = waitingTimeout ms; mid = local midnights covering the late-event horizon plus tomorrow.
--     seal/epoch: a change to a bucket that ended ≥ seal ms ago bumps meta sealGen; epoch (the
--     writer's random id) becomes meta sealEpoch if unset (lib/buckets.lua, server/metrics/sealed.ts).
--   ARGV[2..] = events, pre-validated in Node (server/metrics/codec.ts):
--     contact: "c" US id US type(0 queued,1 answered,2 abandoned,3 transferred,4 ended,5 wrapped) US ts US contactId US queue US channel US agent
--     agent:   "a" US id US ts US agentId US state US reason US team US hasQueues(0|1) US queues(RS) US name
-- Output: JSON {"seq": <center ingest sequence>, "r": "<one char per event: a = accepted, d = duplicate>"}
--
-- Cost model: every bucket increment is accumulated in a Lua table and flushed once per key (HINCRBY
-- for one or two fields, else HMGET + HSET, plus one PEXPIRE), so a 1,000-event chunk touches a few
-- hundred keys, not 1,000 x levels x dims. Contacts are loaded once per chunk; in-order events
-- resume the stored state machine, late ones re-derive the contact and apply the difference.

local GS = '\29'
local P = KEYS[1]
local cfg = cjson.decode(ARGV[1])
local NOW, LATE, FRET, MRET, IRET = cfg.now, cfg.late, cfg.fret, cfg.mret, cfg.iret
local DEFAULTS = { sl = cfg.sl, short = cfg.short }
local MID = cfg.mid
local EXPIRY_STEP = math.max(1000, math.min(600000, (LATE - LATE % 8000) / 8))

-- ---------------------------------------------------------------- accumulator (lib/buckets.lua)
-- Counter buckets "b:<level>:<startSec>:<dim>"; besides them, handledToday ("ad:<day>", per agent)
-- and live agent counts ("live:<dim>", no expiry) go through the same accumulator.
local target, liveBuckets, applyBuckets, flushBuckets = newBuckets(P .. ':b:', NOW, FRET, MRET, IRET, cfg.seal)
local function bump(t, dim, field, delta)
  local h = subtable(t.d, dim)
  h[field] = (h[field] or 0) + delta
end

-- ---------------------------------------------------------------- queues
local qcache = {}
-- agent dimension strings by team US queues, built from qcache: reset together with it
local agentDimsMemo = {}
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
  if qinfo(q).ch ~= '' then return end
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
  agentDimsMemo = {}
end

-- ---------------------------------------------------------------- contacts
local function localDay(ts)
  return localDayOf(MID, ts)
end

local function eventLess(x, y)
  if x.ts ~= y.ts then return x.ts < y.ts end
  if x.t ~= y.t then return x.t < y.t end
  return bytesLess(x.id, y.id)
end

-- The SEMANTICS.md state machine. `st` = {leg = {q, at}, conv = {q, at, ended}, last = sort key of
-- the last event applied}; `run` feeds sorted events into it and appends the contribution items
-- (already classified with the queue's thresholds and dimensions, so a later removal is exact even
-- if the config changes) as strings "ts US dims US field US delta ..." / "@ US day US agent US dayEnd".
local function run(st, evs, out, parsed)
  local leg, conv = st.leg, st.conv
  local function item(it)
    out[#out + 1] = table.concat(it, US)
    if parsed then parsed[#parsed + 1] = it end
  end
  for _, e in ipairs(evs) do
    local t = e.t
    if t == 0 then
      if not (leg and leg.q == e.q) then
        if leg then item({ e.ts, qinfo(leg.q).dims, 'xfr', 1 }) end
        leg = { q = e.q, at = e.ts }
        item({ e.ts, qinfo(e.q).dims, 'arr', 1 })
      end
    elseif t == 1 then
      if leg then
        local qi = qinfo(leg.q)
        local wait = e.ts - leg.at
        local it = { e.ts, qi.dims, 'ans', 1, 'awm', wait }
        if qi.sl and wait <= qi.sl then it[#it + 1] = 'ait'; it[#it + 1] = 1 end
        item(it)
        local day, dayEnd = localDay(e.ts)
        if day and e.ag ~= '' then
          local h = '@' .. US .. day .. US .. e.ag .. US .. dayEnd
          out[#out + 1] = h
          if parsed then parsed[#parsed + 1] = h end
        end
        conv = { q = leg.q, at = e.ts }
        leg = nil
      end
    elseif t == 2 then
      if leg then
        local qi = qinfo(leg.q)
        local wait = e.ts - leg.at
        if wait < (qi.short or 0) then
          item({ e.ts, qi.dims, 'sab', 1 })
        else
          local it = { e.ts, qi.dims, 'abn', 1 }
          if qi.sl and wait <= qi.sl then it[#it + 1] = 'bit'; it[#it + 1] = 1 end
          item(it)
        end
        leg = nil
      end
    elseif t == 3 then
      if leg then
        item({ e.ts, qinfo(leg.q).dims, 'xfr', 1 })
        leg = nil
      end
    elseif t == 4 then
      if conv and not conv.ended then
        item({ e.ts, qinfo(conv.q).dims, 'tc', 1, 'tm', e.ts - conv.at })
        conv.ended = true
      end
    elseif t == 5 then
      if conv then
        item({ e.ts, qinfo(conv.q).dims, 'hc', 1, 'hm', e.ts - conv.at })
        conv = nil
      end
    end
    st.last = e
  end
  st.leg, st.conv = leg, conv
end

local function parseEvent(f, v)
  local p = split(v, US)
  return { t = tonumber(p[1]), ts = tonumber(p[2]), q = p[3], ag = p[5], id = string.sub(f, 3) }
end

-- state field "s": lastTs US lastType US lastId US legQueue US legAt US convQueue US convAt US convEnded
local function encodeState(st)
  local l, leg, conv = st.last, st.leg, st.conv
  return table.concat({
    l.ts, l.t, l.id,
    leg and leg.q or '', leg and leg.at or '',
    conv and conv.q or '', conv and conv.at or '', conv and conv.ended and '1' or '',
  }, US)
end

local function decodeState(v)
  local p = split(v, US)
  local st = { last = { ts = tonumber(p[1]), t = tonumber(p[2]), id = p[3] } }
  if (p[4] or '') ~= '' then st.leg = { q = p[4], at = tonumber(p[5]) } end
  if (p[6] or '') ~= '' then st.conv = { q = p[6], at = tonumber(p[7]), ended = p[8] == '1' } end
  return st
end

-- The whole contribution from every stored event (out-of-order arrivals need this).
local function derive(h)
  local evs = {}
  for f, v in pairs(h) do
    if string.sub(f, 1, 2) == 'e:' then evs[#evs + 1] = parseEvent(f, v) end
  end
  table.sort(evs, eventLess)
  local st, out = {}, {}
  run(st, evs, out)
  return table.concat(out, GS), st
end

local function waitingOf(st)
  return st.leg and (st.leg.q .. US .. st.leg.at) or ''
end

-- One contribution item: "ts US dims(RS) US field US delta ..." (bucket sums) or
-- "@ US localDate US agentId US dayEndMs" (handledToday).
local function applyItem(item, sign)
  local it = split(item, US)
  if it[1] == '@' then
    local ttl = tonumber(it[4]) + LATE - NOW
    if ttl > 0 then bump(target(P .. ':ad:' .. it[2], ttl), '', it[3], sign) end
    return
  end
  it[1] = tonumber(it[1])
  for k = 4, #it, 2 do it[k] = tonumber(it[k]) end
  applyBuckets(it, sign)
end

-- ---------------------------------------------------------------- agents
local function parsePoint(v)
  local p = split(v, US)
  return { state = p[1], reason = p[2] or '', team = p[3] or '', queues = p[4] or '', name = p[5] or '', dims = p[6] or '' }
end

local function agentDims(team, queues)
  local memoKey = team .. US .. queues
  local memo = agentDimsMemo[memoKey]
  if memo then return memo end
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
  memo = table.concat(dims, RS)
  agentDimsMemo[memoKey] = memo
  return memo
end

-- sign x (state, dims) at time ts: n = count change, m = count change x offset into the bucket
local nFields, mFields = {}, {}
for s, code in pairs(STATE_CODE) do
  nFields[s], mFields[s] = 'n:' .. code, 'm:' .. code
end

local function transition(ts, state, dims, sign)
  if not STATE_CODE[state] then return end
  local nf, mf = nFields[state], mFields[state]
  for _, lb in ipairs(liveBuckets(ts)) do
    local h, sfx = subtable(lb[1].d, dims), lb[3]
    local n, m = fieldName(nf, sfx), fieldName(mf, sfx)
    h[n] = (h[n] or 0) + sign
    h[m] = (h[m] or 0) + sign * (ts - lb[2])
  end
end

-- start (ts, id) of the final run of equal (state, reason) of the agent's timeline; only for rows
-- written without sinceId (normally `since` is kept incrementally)
local function runStart(at, ap)
  local offset, step = 0, 8
  local lastKey, since, sinceId
  while true do
    local ids = redis.call('ZREVRANGE', at, offset, offset + step - 1, 'WITHSCORES')
    if #ids == 0 then return since, sinceId end
    local members = {}
    for i = 1, #ids, 2 do members[#members + 1] = ids[i] end
    local encs = redis.call('HMGET', ap, unpack(members))
    for j = 1, #members do
      local pt = parsePoint(encs[j] or '')
      local k = pt.state .. US .. pt.reason
      if lastKey == nil then
        lastKey = k
      elseif k ~= lastKey then
        return since, sinceId
      end
      since, sinceId = tonumber(ids[2 * j]), members[j]
    end
    offset = offset + step
    step = step * 4
  end
end

-- ---------------------------------------------------------------- intake
local statuses = {}
local accepted = 0
local contacts, contactOrder = {}, {}
local agentCache, agentOrder = {}, {}

-- an agent's last point and current row, read once per chunk
local function loadAgent(ag, at, ap)
  local c = { sinceDirty = false, points = {}, pointOrder = {} }
  local r = redis.call('ZREVRANGE', at, 0, 0, 'WITHSCORES')
  if r[1] then
    c.lastId, c.lastTs = r[1], tonumber(r[2])
    -- the last point, `since` (_s = ts US id) and the step of the last trim (_t) in one read
    local v = redis.call('HMGET', ap, r[1], '_s', '_t')
    c.last = parsePoint(v[1] or '')
    if v[2] then
      local sinceTs, sinceId = string.match(v[2], '^([^\31]*)\31(.*)$')
      c.since, c.sinceId = tonumber(sinceTs), sinceId
    end
    c.trimStep = v[3]
    if not c.sinceId then c.sinceDirty = true end
  end
  c.oldLastId, c.oldLast = c.lastId, c.last
  return c
end

-- A point of an agent's timeline: written in this chunk (not yet stored), or stored.
local function pointOf(c, ap, id)
  return parsePoint(c.points[id] or redis.call('HGET', ap, id) or '')
end

-- One string.match per event: a single C call instead of a Lua loop of find/sub per field (the
-- argument split was the largest single Lua cost of the script).
local F = '([^\31]*)'
local CONTACT_ARG = '^c\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '$'
local AGENT_ARG = '^a\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '\31' .. F .. '$'

for i = 2, #ARGV do
  local arg = ARGV[i]
  local status = 'a'
  local id, typ, tsS, cid, q, ch, ag = string.match(arg, CONTACT_ARG)
  if id then
    local ts = tonumber(tsS)
    local c = contacts[cid]
    if not c then
      local raw = redis.call('HGETALL', P .. ':ct:' .. cid)
      local h = {}
      for k = 1, #raw, 2 do h[raw[k]] = raw[k + 1] end
      c = { h = h, new = {}, added = {}, fresh = #raw == 0 }
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
      c.added[#c.added + 1] = { t = tonumber(typ), ts = ts, q = q, ag = ag, id = id }
    end
  else
    local tsA, state, reason, team, hasQueues, queues, name
    id, tsA, ag, state, reason, team, hasQueues, queues, name = string.match(arg, AGENT_ARG)
    if not id then return redis.error_reply('ERR malformed event argument ' .. (i - 1)) end
    local ts = tonumber(tsA)
    local at, ap = P .. ':at:' .. ag, P .. ':ap:' .. ag
    local cache = agentCache[ag]
    if not cache then
      cache = loadAgent(ag, at, ap)
      agentCache[ag] = cache
      agentOrder[#agentOrder + 1] = ag
    end
    if redis.call('ZADD', at, 'NX', ts, id) == 0 then
      status = 'd'
    else
      cache.changed = true
      local prev, nextTs
      local appended = cache.lastId == nil or ts > cache.lastTs or (ts == cache.lastTs and bytesLess(cache.lastId, id))
      if appended then
        -- in-order delivery (the common case): prev is the cached last point, there is no next
        prev = cache.last
      else
        local r = redis.call('ZRANK', at, id)
        local nb = redis.call('ZRANGE', at, r > 0 and r - 1 or 0, r + 1, 'WITHSCORES')
        local prevId, nextId
        for k = 1, #nb, 2 do
          if nb[k] ~= id then
            if k == 1 and r > 0 then
              prevId = nb[k]
            else
              nextId, nextTs = nb[k], tonumber(nb[k + 1])
            end
          end
        end
        if prevId then prev = pointOf(cache, ap, prevId) end
        -- keep `since` (start of the final run of equal state+reason) exact without walking the
        -- timeline: only an insertion inside the final run, or right before it, can move it
        if cache.sinceId and cache.last then
          local same = state == cache.last.state and reason == cache.last.reason
          local insideRun = ts > cache.since or (ts == cache.since and bytesLess(cache.sinceId, id))
          if insideRun and not same then
            cache.since, cache.sinceId = nextTs, nextId
          elseif not insideRun and same and nextId == cache.sinceId then
            cache.since, cache.sinceId = ts, id
          end
        else
          cache.sinceDirty = true
        end
      end
      if team == '' and prev then team = prev.team end
      if hasQueues ~= '1' then queues = prev and prev.queues or '' end
      if name == '' and prev then name = prev.name end
      local pt = { state = state, reason = reason, team = team, queues = queues, name = name, dims = agentDims(team, queues) }
      -- stored once per agent at the end of the chunk (one HSET with `since`)
      local enc = table.concat({ state, reason, team, queues, name, pt.dims }, US)
      if not cache.points[id] then cache.pointOrder[#cache.pointOrder + 1] = id end
      cache.points[id] = enc
      -- same timed state and dimensions as the point before: every bump below would cancel out
      if not (prev and prev.state == state and prev.dims == pt.dims) then
        if prev then transition(ts, prev.state, prev.dims, -1) end
        transition(ts, state, pt.dims, 1)
        if nextTs then
          if prev then transition(nextTs, prev.state, prev.dims, 1) end
          transition(nextTs, state, pt.dims, -1)
        end
      end
      if appended then
        if not (prev and prev.state == state and prev.reason == reason) then
          cache.since, cache.sinceId, cache.sinceDirty = ts, id, false
        end
        cache.lastId, cache.lastTs, cache.last = id, ts, pt
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
    local old = c.h.a or ''
    -- Fast path (events arriving in order, the common case): resume the state machine from the
    -- stored final state and append the new items; otherwise re-derive from every event and apply
    -- the difference.
    table.sort(c.added, eventLess)
    local st = c.fresh and {} or (c.h.s and decodeState(c.h.s))
    local enc
    if st and (st.last == nil or eventLess(st.last, c.added[1])) then
      local out, parsed = {}, {}
      run(st, c.added, out, parsed)
      for _, it in ipairs(parsed) do
        if type(it) == 'string' then applyItem(it, 1) else applyBuckets(it, 1) end
      end
      local more = table.concat(out, GS)
      enc = old == '' and more or (more == '' and old or old .. GS .. more)
    else
      enc, st = derive(c.h)
      if enc ~= old then applyDiff(split(old, GS), split(enc, GS), applyItem) end
    end
    if enc ~= old then
      c.new[#c.new + 1] = 'a'
      c.new[#c.new + 1] = enc
    end
    c.new[#c.new + 1] = 's'
    c.new[#c.new + 1] = encodeState(st)
    local waiting = waitingOf(st)
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
    -- events sort by ts first, so the last one applied carries the latest ts. The hash lives until
    -- its last event + lateEvent, rounded up to a step (10 min, or lateEvent / 8 if shorter) and
    -- stored as `x`, so an active contact is re-expired about once per step instead of once per
    -- chunk that touches it; memory stays bounded by lateEvent + one step.
    local deadline = st.last.ts + LATE
    deadline = deadline - deadline % EXPIRY_STEP + EXPIRY_STEP
    local expireIn, deadlineS = nil, string.format('%d', deadline)
    if deadline - NOW < 1000 then
      expireIn = 1000
    elseif deadlineS ~= c.h.x then
      expireIn = deadline - NOW
      c.new[#c.new + 1] = 'x'
      c.new[#c.new + 1] = deadlineS
    end
    redis.call('HSET', key, unpack(c.new))
    if expireIn then redis.call('PEXPIRE', key, expireIn) end
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
local liveTarget = target(P .. ':live:', nil)
for _, ag in ipairs(agentOrder) do
  local at, ap = P .. ':at:' .. ag, P .. ':ap:' .. ag
  local c = agentCache[ag]
  local pt = c.last
  if not c.changed then pt = nil end
  if pt and c.lastId ~= c.oldLastId then
    local op = c.oldLast
    if op and STATE_CODE[op.state] then
      for _, d in ipairs(dimList(op.dims)) do bump(liveTarget, d, op.state, -1) end
    end
    if STATE_CODE[pt.state] then
      for _, d in ipairs(dimList(pt.dims)) do bump(liveTarget, d, pt.state, 1) end
    end
  end
  if #c.pointOrder > 0 then
    local args = {}
    for _, id in ipairs(c.pointOrder) do
      args[#args + 1] = id
      args[#args + 1] = c.points[id]
    end
    if not c.sinceDirty and c.sinceId then
      args[#args + 1] = '_s'
      args[#args + 1] = string.format('%d', c.since) .. US .. c.sinceId
    end
    -- the timeline is trimmed to the late-event horizon at most once per step (memory bound:
    -- lateEvent + one step), not on every chunk that touches the agent
    local step = string.format('%d', (NOW - NOW % EXPIRY_STEP) / EXPIRY_STEP)
    local trim = step ~= c.trimStep
    if trim then
      args[#args + 1] = '_t'
      args[#args + 1] = step
    end
    redis.call('HSET', ap, unpack(args))
    if c.sinceDirty then
      c.since, c.sinceId = runStart(at, ap)
      if c.sinceId then redis.call('HSET', ap, '_s', string.format('%d', c.since) .. US .. c.sinceId) end
    end
    c.trim = trim
  end
  if pt then
    local row = {
      name = pt.name, state = pt.state, reason = pt.reason, since = c.since, sinceId = c.sinceId,
      team = pt.team, queues = split(pt.queues, RS),
    }
    redis.call('HSET', P .. ':agents', ag, cjson.encode(row))
  end
  local old = c.trim and redis.call('ZCOUNT', at, '-inf', '(' .. horizon) or 0
  if old > 1 then
    local ids = redis.call('ZRANGE', at, 0, old - 2)
    for k = 1, #ids, 1000 do
      redis.call('HDEL', ap, unpack(ids, k, math.min(k + 999, #ids)))
    end
    redis.call('ZREMRANGEBYRANK', at, 0, old - 2)
  end
end

-- ---------------------------------------------------------------- flush
local sealedChanged = flushBuckets()

local meta = P .. ':meta'
local seq = redis.call('HINCRBY', meta, 'seq', accepted)
if sealedChanged then redis.call('HINCRBY', meta, 'sealGen', 1) end
if accepted > 0 then
  redis.call('HSETNX', meta, 'sealEpoch', cfg.epoch)
  redis.call('HSET', meta, 'lastEventAt', NOW)
  redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq }))
end
if cfg.demo == 1 then redis.call('HSET', meta, 'demoAt', NOW) end
return cjson.encode({ seq = seq, r = table.concat(statuses) })
