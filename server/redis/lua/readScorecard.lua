-- name: readScorecard
-- keys: 1
-- include: common.lua
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}".
--   ARGV[1] = JSON {a: ms, b: ms, day: "YYYY-MM-DD"}: the local day so far [a, b).
-- Output: JSON {agents: [agentId, currentRowJson, loggedInMs, ...], handled: [agentId, n, ...],
--   ratings: ["<agentId>US<field>", n, ...]}
-- Logged-in time comes from the core's agent timelines ("at:<agent>" zset ordered by (ts, id) +
-- "ap:<agent>" points whose first field is the state): every state but logged_out, overlapped with
-- [a, b). Timelines are kept for lateEventHours (>= 2 h; default 48 h), which covers the day when
-- lateEventHours >= 24 (the default); with a shorter setting the earliest hours are missing.
-- Read-only.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])
local A, B = req.a, req.b

local rows = redis.call('HGETALL', P .. ':agents')
local out = {}
for i = 1, #rows, 2 do
  local ag = rows[i]
  local at, ap = P .. ':at:' .. ag, P .. ':ap:' .. ag
  -- the point in force at A (last with ts < A), then every point in [A, B)
  local before = redis.call('ZREVRANGEBYSCORE', at, '(' .. A, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local inside = redis.call('ZRANGEBYSCORE', at, A, '(' .. B, 'WITHSCORES')
  local ids, tss = {}, {}
  if before[1] then
    ids[1] = before[1]
    tss[1] = A
  end
  for k = 1, #inside, 2 do
    ids[#ids + 1] = inside[k]
    tss[#tss + 1] = tonumber(inside[k + 1])
  end
  local ms = 0
  if #ids > 0 then
    local encs = redis.call('HMGET', ap, unpack(ids))
    for k = 1, #ids do
      local state = split(encs[k] or '', US)[1]
      if state and state ~= 'logged_out' and state ~= '' then
        local to = tss[k + 1] or B
        if to > tss[k] then ms = ms + (to - tss[k]) end
      end
    end
  end
  out[#out + 1] = ag
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = ms
end

return cjson.encode({
  agents = out,
  handled = redis.call('HGETALL', P .. ':ad:' .. req.day),
  ratings = redis.call('HGETALL', P .. ':kad:' .. req.day),
})
