-- name: ingestKpi
-- keys: 1
-- include: common.lua
-- include: buckets.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON settings {now, late, fret, mret, iret, mid:[[ms,"YYYY-MM-DD"]...], chan, demo, seal, epoch}
--     seal/epoch: a change to a bucket that ended ≥ seal ms ago bumps meta sealGen; epoch (the
--     writer's random id) becomes meta sealEpoch if unset (lib/buckets.lua, server/metrics/sealed.ts).
--     (the same meaning as ingestBatch.lua's settings; server/kpi/engine.ts builds both from one config)
--   ARGV[2..] = events, pre-validated in Node (server/kpi/codec.ts), one per arg, fields joined by US:
--     contact: "c" id type(0 queued,1 answered,2 abandoned,3 transferred) ts contactId queue channel agent customerId mirror(0|1)
--     survey:  "s" id ts contactId rating(1-5|satisfied|neutral|dissatisfied) queue channel agent
--     ivr:     "i" id type(0 entered,1 exited) ts sessionId outcome
--     bot:     "b" id type(0 started,1 ended) ts sessionId channel outcome questions recognized unresolvedRated
--   mirror = 1: a contact event the core script (ingestBatch) also took; its status is the core's, so it
--   is not counted in the ingest sequence here.
-- Output: JSON {"seq": <center ingest sequence>, "r": "<one char per event: a = accepted, d = duplicate>"}
--
-- Counting rules: shared/metrics/SEMANTICS-KPI.md. Like ingestBatch, every entity (contact, IVR
-- session, robot session) keeps its events and its applied contribution, so figures are a pure
-- function of the set of events whatever their order. Buckets (kept apart from the core's "b:" buckets
-- so the core may change its layout freely), the core's layout:
--   "kb:1:<10 s startSec>:<dim>"  the ten 1 s buckets of a 10 s span as fields "<field>.<0-9>";
--                                 expires at 10 s end + fret (no stored 10 s level: readKpi sums it)
--   "kb:60:<startSec>:<dim>"      expires at end + mret
--   "kb:900:<startSec>:<dim>"     expires at end + iret
--   fields: f, l, t, x, xa, r, rd, rn, rs, i, ia, is, b, ba, br, bq, bg, bu — plain additive counters
--
-- Entity hashes: events (e:<id> contact events, s:<id> surveys, x:<id> session events); a = applied
-- contribution items joined by GS (contacts: the leg/FCR items of the state machine; sessions: the
-- counted exit); v = a contact's applied survey items; z = a contact's state machine after its last
-- contact event (see encodeState). Item strings:
--   "ts US dims(RS) US field US delta ..."              bucket sums
--   "@ US day US agentId US dayEndMs US field US delta ..." per-agent day ratings (kad)
--   "% US day US dayEndMs US customerId US dims(RS)"     FCR memberships ('' = no customerId)
-- Cost model (as ingestBatch.lua): contact events arriving in order resume the stored state and only
-- append items; a late one re-derives the contact from every event and applies new − old item by item
-- (unchanged items cost a string compare). Bumps go to a Lua accumulator keyed by bucket base then
-- dimension list and are flushed once per key (HINCRBY for one or two fields, else HMGET + HSET, plus
-- one PEXPIRE when the key may be new).
-- Entities written by the earlier format (a = JSON, no z) are re-derived once and migrate.

local GS = '\29'
local P = KEYS[1]
local cfg = cjson.decode(ARGV[1])
local NOW, LATE, FRET, MRET, IRET, MID = cfg.now, cfg.late, cfg.fret, cfg.mret, cfg.iret, cfg.mid

-- ---------------------------------------------------------------- accumulators
-- Counter buckets "kb:<level>:<startSec>:<dim>" (lib/buckets.lua; every kb field is a plain additive
-- counter, so readKpi serves a 10 s piece as the plain sum of the 1 s hash); per-agent day ratings
-- ("kad:<day>") go through the same accumulator.
local target, _, addBucketItem, flushBuckets = newBuckets(P .. ':kb:', NOW, FRET, MRET, IRET, cfg.seal)

-- net change of "customer contacted on day in dim" memberships: fcrDelta[day][dim][customer] = delta
local fcrDelta, fcrOrder = {}, {}
local function bumpFcr(day, dayEnd, dim, customer, delta)
  local byDay = fcrDelta[day]
  if not byDay then
    byDay = { dayEnd = dayEnd, d = {} }
    fcrDelta[day] = byDay
  end
  local h = byDay.d[dim]
  if not h then
    h = {}
    byDay.d[dim] = h
    fcrOrder[#fcrOrder + 1] = { day, dim }
  end
  h[customer] = (h[customer] or 0) + delta
end

local function localDay(ts)
  return localDayOf(MID, ts)
end

-- ---------------------------------------------------------------- applying items
-- parsed item: {ts, dims, field, delta, ...} | {'@', day, agent, dayEnd, field, delta, ...} |
-- {'%', day, dayEnd, customer, dims}; numbers as numbers
local function applyParsed(it, sign)
  local k1 = it[1]
  if k1 == '@' then
    local ttl = it[4] + LATE - NOW
    if ttl > 0 then
      local h = subtable(target(P .. ':kad:' .. it[2], ttl).d, '')
      for k = 5, #it, 2 do
        local f = it[3] .. US .. it[k]
        h[f] = (h[f] or 0) + sign * it[k + 1]
      end
    end
  elseif k1 == '%' then
    for _, dim in ipairs(dimList(it[5])) do bumpFcr(it[2], it[3], dim, it[4], sign) end
  else
    addBucketItem(it, sign)
  end
end

local function applyItem(item, sign)
  local it = split(item, US)
  local k1 = it[1]
  if k1 == '@' then
    it[4] = tonumber(it[4])
    for k = 6, #it, 2 do it[k] = tonumber(it[k]) end
  elseif k1 == '%' then
    it[3] = tonumber(it[3])
  else
    it[1] = tonumber(k1)
    for k = 4, #it, 2 do it[k] = tonumber(it[k]) end
  end
  applyParsed(it, sign)
end

local function append(list, enc)
  if enc == nil or enc == '' then return list end
  for _, item in ipairs(split(enc, GS)) do list[#list + 1] = item end
  return list
end

-- the earlier format: a = cjson {i = {{ts, dims, field, delta, ...}}, a = {{day, agent, dayEnd, field, delta, ...}},
-- f = {{day, dayEnd, dim, customer}}}, as item strings
local function legacyItems(enc, list)
  local c = cjson.decode(enc)
  for _, it in ipairs(c.i or {}) do list[#list + 1] = table.concat(it, US) end
  for _, a in ipairs(c.a or {}) do
    local s = { '@', a[1], a[2], a[3] }
    for k = 4, #a do s[#s + 1] = a[k] end
    list[#list + 1] = table.concat(s, US)
  end
  for _, f in ipairs(c.f or {}) do list[#list + 1] = table.concat({ '%', f[1], f[2], f[4], f[3] }, US) end
  return list
end

local function storedItems(h, list)
  local a = h.a
  if a and string.sub(a, 1, 1) == '{' then legacyItems(a, list) else append(list, a) end
  return list
end

-- ---------------------------------------------------------------- queues (the core's qmap, read only)
local qcache = {}
local function qdims(q)
  local d = qcache[q]
  if d then return d end
  local qi = parseQueueInfo(q, redis.call('HGET', P .. ':qmap', q), nil)
  local dims = { 'all', 'q:' .. q }
  if qi.ch ~= '' then dims[#dims + 1] = 'ch:' .. qi.ch end
  for _, g in ipairs(qi.groups) do dims[#dims + 1] = 'g:' .. g end
  d = { list = dims, enc = table.concat(dims, RS), ch = qi.ch }
  qcache[q] = d
  return d
end

local function eventLess(x, y)
  if x.ts ~= y.ts then return x.ts < y.ts end
  if x.t ~= y.t then return x.t < y.t end
  return bytesLess(x.id, y.id)
end

-- ---------------------------------------------------------------- contacts
-- The contact state machine over its contact events sorted by (ts, type, id): legs (SEMANTICS.md),
-- transfers, the first leg, FCR memberships. `st` = {last = sort key of the last event applied,
-- leg = open leg {q, at}, prev = last closed leg {q, closedAt, out = a|b|x}, n = legs opened,
-- la = last leg closed answered {q, ag}, seen = FCR memberships (day US dim US customer)}. Feeding
-- events one by one appends exactly the items a run over the whole sorted set appends, so the
-- in-order fast path and a re-derivation produce the same item list. An answered leg becomes a
-- transfer when a later leg opens: its "t" is then an item of its own.
local function run(st, evs, out)
  local leg, prev, n = st.leg, st.prev, st.n
  local function item(it)
    out[#out + 1] = it
  end
  local function close(ts, outcome)
    local it = { ts, qdims(leg.q).enc, 'l', 1 }
    if outcome == 'x' then it[5] = 't'; it[6] = 1 end
    item(it)
    if prev and prev.out ~= 'b' then
      local x = { ts, qdims(prev.q).enc, 'x', 1 }
      if outcome == 'a' then x[5] = 'xa'; x[6] = 1 end
      item(x)
    end
    prev = { q = leg.q, closedAt = ts, out = outcome }
    leg = nil
  end
  for _, e in ipairs(evs) do
    local t = e.t
    if t == 0 then
      local q = e.q
      local day, dayEnd = localDay(e.ts)
      if day then
        local seen = st.seen
        if not seen then
          seen = {}
          st.seen = seen
          -- resumed state: the memberships already applied are the stored "%" items
          if st.seenFrom then
            for _, s in ipairs(split(st.seenFrom, GS)) do
              if string.sub(s, 1, 1) == '%' then
                local p = split(s, US)
                for _, dim in ipairs(dimList(p[5])) do seen[p[2] .. US .. dim .. US .. p[4]] = true end
              end
            end
          end
        end
        local qd = qdims(q)
        local fresh
        for _, dim in ipairs(qd.list) do
          local key = day .. US .. dim .. US .. e.cu
          if not seen[key] then
            seen[key] = true
            fresh = fresh or {}
            fresh[#fresh + 1] = dim
          end
        end
        if fresh then
          item({ '%', day, dayEnd, e.cu, #fresh == #qd.list and qd.enc or table.concat(fresh, RS) })
        end
      end
      if not (leg and leg.q == q) then
        if leg then close(e.ts, 'x') end
        if prev and prev.out == 'a' then item({ prev.closedAt, qdims(prev.q).enc, 't', 1 }) end
        leg = { q = q, at = e.ts }
        n = n + 1
        if n == 1 then item({ e.ts, qdims(q).enc, 'f', 1 }) end
      end
    elseif leg then
      if t == 1 then
        st.la = { q = leg.q, ag = e.ag }
        close(e.ts, 'a')
      elseif t == 2 then
        close(e.ts, 'b')
      else
        close(e.ts, 'x')
      end
    end
    st.last = e
  end
  st.leg, st.prev, st.n = leg, prev, n
end

-- state field "z": lastTs lastType lastId legQ legAt prevQ prevClosedAt prevOut n laSet laQ laAgent maxTs (US)
local function encodeState(st)
  local l, leg, prev, la = st.last, st.leg, st.prev, st.la
  return table.concat({
    l and l.ts or '', l and l.t or '', l and l.id or '',
    leg and leg.q or '', leg and leg.at or '',
    prev and prev.q or '', prev and prev.closedAt or '', prev and prev.out or '',
    st.n, la and '1' or '', la and la.q or '', la and la.ag or '', st.maxTs,
  }, US)
end

local statePattern = '^([^' .. US .. ']*)' .. string.rep(US .. '([^' .. US .. ']*)', 12) .. '$'
local function decodeState(v)
  local p = { string.match(v, statePattern) }
  local st = { n = tonumber(p[9]), maxTs = tonumber(p[13]) }
  if p[1] ~= '' then st.last = { ts = tonumber(p[1]), t = tonumber(p[2]), id = p[3] } end
  if p[4] ~= '' then st.leg = { q = p[4], at = tonumber(p[5]) } end
  if p[6] ~= '' then st.prev = { q = p[6], closedAt = tonumber(p[7]), out = p[8] } end
  if p[10] == '1' then st.la = { q = p[11], ag = p[12] } end
  return st
end

-- stored contact event e:<id> = type US ts US queue US channel US agent US customer
local function parseContact(f, v)
  local p = split(v, US)
  return { t = tonumber(p[1]), ts = tonumber(p[2]), q = p[3] or '', ag = p[5] or '', cu = p[6] or '', id = string.sub(f, 3) }
end

-- The contact's survey items from its first survey (by ts, id) and its last answered leg.
-- stored survey s:<id> = 0 US ts US rating US queue US channel US agent
local function surveyItems(h, la)
  local best, bestId, bestTs
  for f, v in pairs(h) do
    if string.sub(f, 1, 2) == 's:' then
      local id = string.sub(f, 3)
      local p = split(v, US)
      local ts = tonumber(p[2])
      if not best or ts < bestTs or (ts == bestTs and bytesLess(id, bestId)) then
        best, bestId, bestTs = p, id, ts
      end
    end
  end
  if not best then return {} end
  local rating, q, ch, ag = best[3], best[4] or '', best[5] or '', best[6] or ''
  if q == '' and la then q = la.q end
  if ag == '' and la then ag = la.ag end
  local dims
  if q ~= '' then
    local qd = qdims(q)
    dims = qd.enc
    if qd.ch == '' and ch ~= '' then dims = dims .. RS .. 'ch:' .. ch end
  else
    dims = 'all'
    if ch ~= '' then dims = dims .. RS .. 'ch:' .. ch end
  end
  local score = tonumber(rating)
  local dis = (rating == 'dissatisfied' or (score and score <= 2)) and 1 or 0
  local fields = { 'r', 1 }
  if dis == 1 then fields[#fields + 1] = 'rd'; fields[#fields + 1] = 1 end
  if score then
    fields[#fields + 1] = 'rn'; fields[#fields + 1] = 1
    fields[#fields + 1] = 'rs'; fields[#fields + 1] = score
  end
  local items = { table.concat({ bestTs, dims, unpack(fields) }, US) }
  local day, dayEnd = localDay(bestTs)
  if day and ag ~= '' then items[2] = table.concat({ '@', day, ag, dayEnd, unpack(fields) }, US) end
  return items, bestTs
end

local function itemString(it)
  return table.concat(it, US)
end

-- Returns the fields to write besides the new events, and whether the contribution changed.
local function updateContact(ent)
  local h = ent.h
  local w = {}
  local changed = false
  local st
  if ent.fresh then
    st = { n = 0, maxTs = 0 }
  elseif h.z then
    st = decodeState(h.z)
  end
  local added = ent.added
  table.sort(added, eventLess)
  local oldA = h.a or ''
  local newA
  if st and (#added == 0 or st.last == nil or eventLess(st.last, added[1])) then
    -- fast path: resume the state machine, append its new items
    local out = {}
    st.seenFrom = oldA
    run(st, added, out)
    if #out > 0 then
      local strs = {}
      for i, it in ipairs(out) do
        applyParsed(it, 1)
        strs[i] = itemString(it)
      end
      local more = table.concat(strs, GS)
      newA = oldA == '' and more or oldA .. GS .. more
    else
      newA = oldA
    end
    local maxTs = st.maxTs
    for _, e in ipairs(added) do
      if e.ts > maxTs then maxTs = e.ts end
    end
    for _, ts in ipairs(ent.surveyTs) do
      if ts > maxTs then maxTs = ts end
    end
    st.maxTs = maxTs
    -- the survey items depend on the first survey, the last answered leg and the queue map: cheap
    -- to recompute for the few contacts that have a survey
    local oldV = h.v or ''
    if ent.surveys then
      local newV = table.concat(surveyItems(h, st.la), GS)
      if newV ~= oldV then
        applyDiff(append({}, oldV), append({}, newV), applyItem)
        w[#w + 1] = 'v'
        w[#w + 1] = newV
        changed = true
      end
    end
  else
    -- slow path: re-derive from every event, apply the difference
    local evs = {}
    local maxTs = 0
    for f, v in pairs(h) do
      if string.sub(f, 1, 2) == 'e:' then evs[#evs + 1] = parseContact(f, v) end
    end
    table.sort(evs, eventLess)
    st = { n = 0 }
    local out = {}
    run(st, evs, out)
    if st.last then maxTs = st.last.ts end
    local strs = {}
    for i, it in ipairs(out) do strs[i] = itemString(it) end
    newA = table.concat(strs, GS)
    local sv, sts = surveyItems(h, st.la)
    for f, v in pairs(h) do
      if string.sub(f, 1, 2) == 's:' then
        local ts = tonumber(split(v, US)[2])
        if ts > maxTs then maxTs = ts end
      end
    end
    st.maxTs = maxTs
    local newV = table.concat(sv, GS)
    local oldV = h.v or ''
    local oldItems = append(storedItems(h, {}), oldV)
    local newItems = append(append({}, newA), newV)
    applyDiff(oldItems, newItems, applyItem)
    if newV ~= oldV then
      w[#w + 1] = 'v'
      w[#w + 1] = newV
      changed = true
    end
  end
  if newA ~= oldA then
    w[#w + 1] = 'a'
    w[#w + 1] = newA
    changed = true
  end
  w[#w + 1] = 'z'
  w[#w + 1] = encodeState(st)
  return w, changed, st.maxTs
end

-- ---------------------------------------------------------------- IVR / robot sessions
-- counted once, at the first exit by (ts, id); x:<id> = type US ts US ...
local function firstExit(h)
  local best, bestId, bestTs
  local maxTs = 0
  for f, v in pairs(h) do
    if string.sub(f, 1, 2) == 'x:' then
      local p = split(v, US)
      local ts = tonumber(p[2])
      if ts > maxTs then maxTs = ts end
      if p[1] == '1' then
        local id = string.sub(f, 3)
        if not best or ts < bestTs or (ts == bestTs and bytesLess(id, bestId)) then
          best, bestId, bestTs = p, id, ts
        end
      end
    end
  end
  return best, bestTs, maxTs
end

-- IVR: x:<id> = type US ts US outcome
local function ivrItems(e, ts)
  local it = { ts, 'all' .. RS .. 'ch:voice', 'i', 1 }
  if e[3] == 'to_agent' then it[#it + 1] = 'ia'; it[#it + 1] = 1 end
  if e[3] == 'self_served' then it[#it + 1] = 'is'; it[#it + 1] = 1 end
  return it
end

-- robot: x:<id> = type US ts US channel US outcome US questions US recognized US unresolved
local function botItems(e, ts)
  local it = { ts, 'all' .. RS .. 'ch:' .. e[3], 'b', 1 }
  local function add(f, v)
    if v and v ~= 0 then it[#it + 1] = f; it[#it + 1] = v end
  end
  add('ba', e[4] == 'to_agent' and 1 or 0)
  add('br', e[4] == 'resolved' and 1 or 0)
  add('bq', tonumber(e[5]))
  add('bg', tonumber(e[6]))
  add('bu', tonumber(e[7]))
  return it
end

local function updateSession(ent)
  local h = ent.h
  local e, ts, maxTs = firstExit(h)
  local newA = ''
  if e then newA = itemString(ent.kind == 'i' and ivrItems(e, ts) or botItems(e, ts)) end
  local w = {}
  if newA ~= (h.a or '') then
    applyDiff(storedItems(h, {}), append({}, newA), applyItem)
    w[1] = 'a'
    w[2] = newA
    return w, true, maxTs
  end
  return w, false, maxTs
end

-- ---------------------------------------------------------------- intake
local entityKey = { c = ':kc:', s = ':kc:', i = ':ki:', b = ':kbs:' }
local entities, entityOrder = {}, {}
local statuses = {}
local accepted = 0

-- contact: c id (type US ts) contactId (queue US channel US agent US customer) mirror, fields captured
-- in one match (queue, agent, customer also on their own)
local F = '([^' .. US .. ']*)'
local contactPattern = '^c' .. US .. F .. US .. '(' .. F .. US .. F .. ')' .. US .. F .. US
  .. '(' .. F .. US .. '[^' .. US .. ']*' .. US .. F .. US .. F .. ')' .. US .. F .. '$'

for i = 2, #ARGV do
  local arg = ARGV[i]
  local p
  local kind, id
  local entityId, field, value, counted
  local cid, tts, ct, cts, cq, cag, ccu
  if string.byte(arg, 1) == 99 then -- 'c'
    local rest, mirror
    id, tts, ct, cts, cid, rest, cq, cag, ccu, mirror = string.match(arg, contactPattern)
    if id then
      p = { 'c', id, ct, cts, cid, cq, '', cag, ccu, mirror }
      value = tts .. US .. rest
    else
      p = split(arg, US)
      id = p[2]
      value = p[3] .. US .. p[4] .. US .. (p[6] or '') .. US .. (p[7] or '') .. US .. (p[8] or '') .. US .. (p[9] or '')
    end
  else
    p = split(arg, US)
    id = p[2]
  end
  kind = p[1]
  if kind == 'c' then
    entityId = p[5]
    field = 'e:' .. id
    counted = p[10] ~= '1'
  elseif kind == 's' then
    entityId = p[4]
    field = 's:' .. id
    value = '0' .. US .. p[3] .. US .. p[5] .. US .. (p[6] or '') .. US .. (p[7] or '') .. US .. (p[8] or '')
    counted = true
  elseif kind == 'i' then
    entityId = p[5]
    field = 'x:' .. id
    value = p[3] .. US .. p[4] .. US .. (p[6] or '')
    counted = true
  else
    entityId = p[5]
    field = 'x:' .. id
    value = table.concat({ p[3], p[4], p[6] or '', p[7] or '', p[8] or '', p[9] or '', p[10] or '' }, US)
    counted = true
  end
  local key = P .. entityKey[kind] .. entityId
  local ent = entities[key]
  if not ent then
    local raw = redis.call('HGETALL', key)
    local h = {}
    local surveys = false
    for k = 1, #raw, 2 do
      local f = raw[k]
      h[f] = raw[k + 1]
      if not surveys and string.sub(f, 1, 2) == 's:' then surveys = true end
    end
    ent = {
      h = h, new = {}, added = {}, surveyTs = {}, surveys = surveys, fresh = #raw == 0,
      contact = kind == 'c' or kind == 's', kind = kind,
    }
    entities[key] = ent
    entityOrder[#entityOrder + 1] = key
  end
  local status = 'a'
  if ent.h[field] then
    status = 'd'
  else
    ent.h[field] = value
    ent.new[#ent.new + 1] = field
    ent.new[#ent.new + 1] = value
    if kind == 'c' then
      ent.added[#ent.added + 1] = {
        t = tonumber(p[3]), ts = tonumber(p[4]), q = p[6] or '', ag = p[8] or '', cu = p[9] or '', id = id,
      }
    elseif kind == 's' then
      ent.surveys = true
      ent.surveyTs[#ent.surveyTs + 1] = tonumber(p[3])
    end
    if counted then accepted = accepted + 1 end
  end
  statuses[#statuses + 1] = status
end

-- ---------------------------------------------------------------- update each touched entity once
local changed = false
for _, key in ipairs(entityOrder) do
  local ent = entities[key]
  if #ent.new > 0 then
    local w, ch, maxTs
    if ent.contact then
      w, ch, maxTs = updateContact(ent)
    else
      w, ch, maxTs = updateSession(ent)
    end
    if ch then changed = true end
    local new = ent.new
    for k = 1, #w do new[#new + 1] = w[k] end
    redis.call('HSET', key, unpack(new))
    local ttl = maxTs + LATE - NOW
    if ttl < 1000 then ttl = 1000 end
    redis.call('PEXPIRE', key, ttl)
  end
end

-- ---------------------------------------------------------------- flush
local sealedChanged = flushBuckets()

-- FCR: "kfc:<day>:<dim>" customer -> contacts that day (kept while late events may still come);
-- "kfs:<day>:<dim>" {c = customers, o = customers with one contact, n = contacts without customerId}
-- (kept for the interval retention, so past days keep their figure).
for _, dd in ipairs(fcrOrder) do
  local day, dim = dd[1], dd[2]
  local byDay = fcrDelta[day]
  local deltas = byDay.d[dim]
  local counts, summary = P .. ':kfc:' .. day .. ':' .. dim, P .. ':kfs:' .. day .. ':' .. dim
  local customers, n = {}, 0
  local dn = 0
  for customer, d in pairs(deltas) do
    if d ~= 0 then
      if customer == '' then
        dn = d
      else
        n = n + 1
        customers[n] = customer
      end
    end
  end
  local dc, dO = 0, 0
  local wroteCounts = false
  if n > 0 then
    local cur = redis.call('HMGET', counts, unpack(customers))
    local set, del = {}, {}
    for k = 1, n do
      local before = tonumber(cur[k] or '0')
      local after = before + deltas[customers[k]]
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
  if n > 0 or dn ~= 0 then
    if dn ~= 0 then redis.call('HINCRBY', summary, 'n', dn) end
    if dc ~= 0 then redis.call('HINCRBY', summary, 'c', dc) end
    if dO ~= 0 then redis.call('HINCRBY', summary, 'o', dO) end
    local ttlCounts = byDay.dayEnd + LATE - NOW
    local ttlSummary = byDay.dayEnd + IRET - NOW
    if ttlCounts > 0 and n > 0 and (wroteCounts or redis.call('EXISTS', counts) == 1) then redis.call('PEXPIRE', counts, ttlCounts) end
    if ttlSummary > 0 then redis.call('PEXPIRE', summary, ttlSummary) end
  end
end

local meta = P .. ':meta'
local seq = redis.call('HINCRBY', meta, 'seq', accepted)
if accepted > 0 then redis.call('HSET', meta, 'lastEventAt', NOW) end
if accepted > 0 or changed then redis.call('HSETNX', meta, 'sealEpoch', cfg.epoch) end
if sealedChanged then redis.call('HINCRBY', meta, 'sealGen', 1) end
if accepted > 0 or changed then redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq })) end
if cfg.demo == 1 and accepted > 0 then redis.call('HSET', meta, 'demoAt', NOW) end
return cjson.encode({ seq = seq, r = table.concat(statuses) })
