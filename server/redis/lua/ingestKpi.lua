-- name: ingestKpi
-- keys: 1
-- include: common.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON settings {now, late, fret, iret, mid:[[ms,"YYYY-MM-DD"]...], chan, demo}
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
-- session, robot session) keeps its events and its applied contribution; a new event re-derives the
-- contribution from the whole set and applies the difference, so figures are a pure function of the
-- set of events whatever their order. Buckets: "kb:<level>:<startSec>:<dim>" at the engine's levels
-- and expiry (1/10/60 s: end + fret, 900 s: end + iret), kept apart from the core's "b:" buckets so
-- the core may change its bucket layout freely.

local P = KEYS[1]
local cfg = cjson.decode(ARGV[1])
local NOW, LATE, FRET, IRET, MID = cfg.now, cfg.late, cfg.fret, cfg.iret, cfg.mid

-- ---------------------------------------------------------------- accumulators
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

-- net change of "customer contacted on day in dim" memberships: key "day US dim" -> customer -> delta
local fcrDelta, fcrOrder, fcrTtl = {}, {}, {}
local function bumpFcr(day, dim, customer, delta, dayEnd)
  local k = day .. US .. dim
  local h = fcrDelta[k]
  if not h then
    h = {}
    fcrDelta[k] = h
    fcrOrder[#fcrOrder + 1] = k
    fcrTtl[k] = dayEnd
  end
  h[customer] = (h[customer] or 0) + delta
end

local function forLiveBuckets(ts, fn)
  for li = 1, 4 do
    local size = LEVEL_MS[li]
    local start = ts - ts % size
    local ttl = start + size + (li == 4 and IRET or FRET) - NOW
    if ttl > 0 then fn(P .. ':kb:' .. LEVEL_TAG[li] .. ':' .. (start / 1000) .. ':', ttl) end
  end
end

local function localDay(ts)
  return localDayOf(MID, ts)
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

local function eventsOf(h, prefix)
  local evs = {}
  for f, v in pairs(h) do
    if string.sub(f, 1, 2) == prefix then
      local p = split(v, US)
      p.id = string.sub(f, 3)
      p.t = tonumber(p[1])
      p.ts = tonumber(p[2])
      evs[#evs + 1] = p
    end
  end
  table.sort(evs, eventLess)
  return evs
end

-- ---------------------------------------------------------------- derivations
-- Each returns a contribution {i = {{ts, dims, field, delta, ...}}, a = {{day, agent, dayEnd, field, delta, ...}},
-- f = {{day, dayEnd, dim, customer}}} where customer '' = a contact without customerId.

local function deriveContact(h)
  local items, agentDay, fcr = {}, {}, {}
  -- contact events: e:<id> = type US ts US queue US channel US agent US customer
  local legs, leg, lastAnswered = {}, nil, nil
  local seenFcr = {}
  for _, e in ipairs(eventsOf(h, 'e:')) do
    local t, q, ag, cu = e.t, e[3] or '', e[5] or '', e[6] or ''
    if t == 0 then
      local day, dayEnd = localDay(e.ts)
      if day then
        -- one membership per (day, dim, customer): a transfer between queues of one dim is one contact
        for _, dim in ipairs(qdims(q).list) do
          local key = day .. US .. dim .. US .. cu
          if not seenFcr[key] then
            seenFcr[key] = true
            fcr[#fcr + 1] = { day, dayEnd, dim, cu }
          end
        end
      end
      if not (leg and leg.q == q) then
        if leg then leg.out, leg.closedAt = 'x', e.ts end
        leg = { q = q, at = e.ts }
        legs[#legs + 1] = leg
      end
    elseif leg then
      if t == 1 then
        leg.out, leg.closedAt = 'a', e.ts
        lastAnswered = { q = leg.q, ag = ag }
      elseif t == 2 then
        leg.out, leg.closedAt = 'b', e.ts
      else
        leg.out, leg.closedAt = 'x', e.ts
      end
      leg = nil
    end
  end
  local function transferred(i)
    local l = legs[i]
    return l.out == 'x' or (i < #legs and l.out ~= nil and l.out ~= 'b')
  end
  if #legs > 0 then items[#items + 1] = { legs[1].at, qdims(legs[1].q).enc, 'f', 1 } end
  for i, l in ipairs(legs) do
    if l.out then
      local it = { l.closedAt, qdims(l.q).enc, 'l', 1 }
      if transferred(i) then it[#it + 1] = 't'; it[#it + 1] = 1 end
      items[#items + 1] = it
      if i > 1 and transferred(i - 1) then
        local x = { l.closedAt, qdims(legs[i - 1].q).enc, 'x', 1 }
        if l.out == 'a' then x[#x + 1] = 'xa'; x[#x + 1] = 1 end
        items[#items + 1] = x
      end
    end
  end
  -- the contact's first survey (by ts, id): s:<id> = 0 US ts US rating US queue US channel US agent
  local s = eventsOf(h, 's:')[1]
  if s then
    local rating, q, ch, ag = s[3], s[4] or '', s[5] or '', s[6] or ''
    if q == '' and lastAnswered then q = lastAnswered.q end
    if ag == '' and lastAnswered then ag = lastAnswered.ag end
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
    local it = { s.ts, dims }
    for _, v in ipairs(fields) do it[#it + 1] = v end
    items[#items + 1] = it
    local day, dayEnd = localDay(s.ts)
    if day and ag ~= '' then
      local a = { day, ag, dayEnd }
      for _, v in ipairs(fields) do a[#a + 1] = v end
      agentDay[#agentDay + 1] = a
    end
  end
  return { i = items, a = agentDay, f = fcr }
end

-- IVR session: x:<id> = type US ts US outcome; counted once, at its first exit (ts, id)
local function deriveIvr(h)
  local items = {}
  for _, e in ipairs(eventsOf(h, 'x:')) do
    if e.t == 1 then
      local it = { e.ts, 'all' .. RS .. 'ch:voice', 'i', 1 }
      if e[3] == 'to_agent' then it[#it + 1] = 'ia'; it[#it + 1] = 1 end
      if e[3] == 'self_served' then it[#it + 1] = 'is'; it[#it + 1] = 1 end
      items[1] = it
      break
    end
  end
  return { i = items, a = {}, f = {} }
end

-- robot session: x:<id> = type US ts US channel US outcome US questions US recognized US unresolved
local function deriveBot(h)
  local items = {}
  for _, e in ipairs(eventsOf(h, 'x:')) do
    if e.t == 1 then
      local it = { e.ts, 'all' .. RS .. 'ch:' .. e[3], 'b', 1 }
      local function add(f, v)
        if v and v ~= 0 then it[#it + 1] = f; it[#it + 1] = v end
      end
      add('ba', e[4] == 'to_agent' and 1 or 0)
      add('br', e[4] == 'resolved' and 1 or 0)
      add('bq', tonumber(e[5]))
      add('bg', tonumber(e[6]))
      add('bu', tonumber(e[7]))
      items[1] = it
      break
    end
  end
  return { i = items, a = {}, f = {} }
end

local function applyContribution(enc, sign)
  if enc == nil or enc == '' then return end
  local c = cjson.decode(enc)
  for _, it in ipairs(c.i) do
    local dims = split(it[2], RS)
    forLiveBuckets(it[1], function(base, ttl)
      for d = 1, #dims do
        local key = base .. dims[d]
        for k = 3, #it, 2 do bump(key, it[k], sign * it[k + 1], ttl) end
      end
    end)
  end
  for _, a in ipairs(c.a) do
    local ttl = a[3] + LATE - NOW
    if ttl > 0 then
      for k = 4, #a, 2 do bump(P .. ':kad:' .. a[1], a[2] .. US .. a[k], sign * a[k + 1], ttl) end
    end
  end
  for _, f in ipairs(c.f) do bumpFcr(f[1], f[3], f[4], sign, f[2]) end
end

-- ---------------------------------------------------------------- intake
local kinds = {
  c = { key = ':kc:', derive = deriveContact },
  s = { key = ':kc:', derive = deriveContact },
  i = { key = ':ki:', derive = deriveIvr },
  b = { key = ':kbs:', derive = deriveBot },
}
local entities, entityOrder = {}, {}
local statuses = {}
local accepted = 0

for i = 2, #ARGV do
  local p = split(ARGV[i], US)
  local kind, id = p[1], p[2]
  local entityId, field, value, ts, counted
  if kind == 'c' then
    entityId, ts = p[5], tonumber(p[4])
    field = 'e:' .. id
    value = p[3] .. US .. p[4] .. US .. (p[6] or '') .. US .. (p[7] or '') .. US .. (p[8] or '') .. US .. (p[9] or '')
    counted = p[10] ~= '1'
  elseif kind == 's' then
    entityId, ts = p[4], tonumber(p[3])
    field = 's:' .. id
    value = '0' .. US .. p[3] .. US .. p[5] .. US .. (p[6] or '') .. US .. (p[7] or '') .. US .. (p[8] or '')
    counted = true
  elseif kind == 'i' then
    entityId, ts = p[5], tonumber(p[4])
    field = 'x:' .. id
    value = p[3] .. US .. p[4] .. US .. (p[6] or '')
    counted = true
  else
    entityId, ts = p[5], tonumber(p[4])
    field = 'x:' .. id
    value = table.concat({ p[3], p[4], p[6] or '', p[7] or '', p[8] or '', p[9] or '', p[10] or '' }, US)
    counted = true
  end
  local key = P .. kinds[kind].key .. entityId
  local ent = entities[key]
  if not ent then
    local raw = redis.call('HGETALL', key)
    local h = {}
    for k = 1, #raw, 2 do h[raw[k]] = raw[k + 1] end
    ent = { h = h, new = {}, derive = kinds[kind].derive }
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
    if counted then accepted = accepted + 1 end
  end
  statuses[#statuses + 1] = status
end

-- ---------------------------------------------------------------- re-derive each touched entity once
local changed = false
for _, key in ipairs(entityOrder) do
  local ent = entities[key]
  if #ent.new > 0 then
    local c = ent.derive(ent.h)
    local enc = ''
    if #c.i > 0 or #c.a > 0 or #c.f > 0 then enc = cjson.encode(c) end
    local old = ent.h.a or ''
    if enc ~= old then
      applyContribution(old, -1)
      applyContribution(enc, 1)
      ent.new[#ent.new + 1] = 'a'
      ent.new[#ent.new + 1] = enc
      changed = true
    end
    redis.call('HSET', key, unpack(ent.new))
    local maxTs = 0
    for f, v in pairs(ent.h) do
      if string.sub(f, 2, 2) == ':' and f ~= 'a' then
        local t = tonumber(split(v, US)[2])
        if t and t > maxTs then maxTs = t end
      end
    end
    local ttl = maxTs + LATE - NOW
    if ttl < 1000 then ttl = 1000 end
    redis.call('PEXPIRE', key, ttl)
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

-- FCR: "kfc:<day>:<dim>" customer -> contacts that day (kept while late events may still come);
-- "kfs:<day>:<dim>" {c = customers, o = customers with one contact, n = contacts without customerId}
-- (kept for the interval retention, so past days keep their figure).
for _, k in ipairs(fcrOrder) do
  local parts = split(k, US)
  local day, dim = parts[1], parts[2]
  local counts, summary = P .. ':kfc:' .. day .. ':' .. dim, P .. ':kfs:' .. day .. ':' .. dim
  local dayEnd = fcrTtl[k]
  local touched = false
  for customer, d in pairs(fcrDelta[k]) do
    if d ~= 0 then
      touched = true
      if customer == '' then
        redis.call('HINCRBY', summary, 'n', d)
      else
        local before = tonumber(redis.call('HGET', counts, customer) or '0')
        local after = before + d
        if after <= 0 then redis.call('HDEL', counts, customer) else redis.call('HSET', counts, customer, after) end
        local c = (after > 0 and 1 or 0) - (before > 0 and 1 or 0)
        local o = (after == 1 and 1 or 0) - (before == 1 and 1 or 0)
        if c ~= 0 then redis.call('HINCRBY', summary, 'c', c) end
        if o ~= 0 then redis.call('HINCRBY', summary, 'o', o) end
      end
    end
  end
  if touched then
    local ttlCounts = dayEnd + LATE - NOW
    local ttlSummary = dayEnd + IRET - NOW
    if ttlCounts > 0 and redis.call('EXISTS', counts) == 1 then redis.call('PEXPIRE', counts, ttlCounts) end
    if ttlSummary > 0 then redis.call('PEXPIRE', summary, ttlSummary) end
  end
end

local meta = P .. ':meta'
local seq = redis.call('HINCRBY', meta, 'seq', accepted)
if accepted > 0 then redis.call('HSET', meta, 'lastEventAt', NOW) end
if accepted > 0 or changed then redis.call('PUBLISH', cfg.chan, cjson.encode({ seq = seq })) end
if cfg.demo == 1 and accepted > 0 then redis.call('HSET', meta, 'demoAt', NOW) end
return cjson.encode({ seq = seq, r = table.concat(statuses) })
