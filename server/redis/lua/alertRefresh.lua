-- name: alertRefresh
-- keys: 1
-- Keep an open alert's figure and text current (server/alerts/store.ts refresh; escalations and
-- re-notifications quote them).
-- Input: KEYS[1] = alerts ({<prefix>:alerts}:alerts). ARGV[1] = alert id, ARGV[2] = the value,
--   ARGV[3] = JSON {warning: {threshold, message, headline, baseline?}, critical: {…}} (either may
--   be absent; `baseline`: a spike rule's, which changes when the fallback hands over).
-- Output: 1 = written (something changed), 0 = nothing written (missing, resolved, or unchanged).
-- Why: the text for the stored severity is used, so an evaluation holding a stale tracker cannot
-- write a warning's text onto an alert that turned critical. Nothing is written when nothing
-- changed: numbers are compared with a relative tolerance, because cjson re-encodes them with 14
-- significant digits (1/3 is stored as 0.33333333333333 and never equals it again).

local function same(x, y)
  if type(x) ~= 'number' or type(y) ~= 'number' then return x == y end
  return math.abs(x - y) <= 1e-12 * math.max(1, math.abs(x), math.abs(y))
end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state == 'resolved' then return 0 end
local v = tonumber(ARGV[2])
local texts = cjson.decode(ARGV[3])
local t = texts[a.severity]
local changed = not same(a.value, v)
a.value = v
if t then
  if not same(a.threshold, t.threshold) or cjson.encode(a.message) ~= cjson.encode(t.message) then changed = true end
  a.threshold = t.threshold
  a.message = t.message
  a.headline = t.headline
  if t.baseline ~= nil then
    -- compared field by field: cjson's key order is the table's, not stable between decodes
    local b = a.baseline
    if type(b) ~= 'table' or b.kind ~= t.baseline.kind or not same(b.samples, t.baseline.samples) or b.dayKind ~= t.baseline.dayKind then
      changed = true
    end
    a.baseline = t.baseline
  end
end
if not changed then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1
