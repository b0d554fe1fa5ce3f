-- name: loadState
-- keys: 1
-- Read-only: what a Node writer (server/metrics/write/) needs to compute one batch, read in one
-- atomic snapshot together with the writer version it belongs to.
-- Input: KEYS[1] = the center's hash tag "{<prefix>:<center>}" (every key below starts with it).
--   ARGV[1] = JSON {
--     h = [key, ...]            hashes to read whole (contact / session records),
--     a = [[timelineKey, pointsKey], ...]   an agent's last point: ZREVRANGE 0 0 + HMGET last, '' (meta),
--                                           _s, _t (the meta's fields before it, in records written earlier),
--     z = [timelineKey, member, ...]        is this event id already in the timeline (ZSCORE); flat,
--                                           one table per batch instead of one per agent event,
--     t = [[timelineKey, pointsKey], ...]   an agent's whole timeline (out-of-order inserts),
--     q = true                  the whole queue map }
-- Output: { version or false, { flat HGETALL, ... }, { {lastId, lastScore, point, meta, _s, _t} (false
--   when absent), ... }, { score or false, ... }, { {flat ZRANGE WITHSCORES, flat HGETALL}, ... },
--   flat qmap HGETALL or false }
-- Cost: one command per requested item; nothing is written.

local P = KEYS[1]
local req = cjson.decode(ARGV[1])
local out = {}
out[1] = redis.call('HGET', P .. ':meta', 'wv') or false

local hashes = {}
for i, key in ipairs(req.h or {}) do hashes[i] = redis.call('HGETALL', key) end
out[2] = hashes

local lasts = {}
for i, pair in ipairs(req.a or {}) do
  local r = redis.call('ZREVRANGE', pair[1], 0, 0, 'WITHSCORES')
  if r[1] then
    local v = redis.call('HMGET', pair[2], r[1], '', '_s', '_t')
    lasts[i] = { r[1], r[2], v[1] or false, v[2] or false, v[3] or false, v[4] or false }
  else
    lasts[i] = { false, false, false, false, false, false }
  end
end
out[3] = lasts

local scores = {}
local z = req.z or {}
for i = 1, #z - 1, 2 do scores[#scores + 1] = redis.call('ZSCORE', z[i], z[i + 1]) or false end
out[4] = scores

local timelines = {}
for i, pair in ipairs(req.t or {}) do
  timelines[i] = { redis.call('ZRANGE', pair[1], 0, -1, 'WITHSCORES'), redis.call('HGETALL', pair[2]) }
end
out[5] = timelines

out[6] = req.q and redis.call('HGETALL', P .. ':qmap') or false
return out
