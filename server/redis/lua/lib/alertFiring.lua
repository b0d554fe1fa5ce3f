-- The shared head of alertEscalate.lua and alertRenotify.lua (prepended by scripts.ts where a
-- script says `-- include: alertFiring.lua`): their compare-and-set on the escalation progress,
-- which applies only while the alert is firing.
--
-- firingAt(items, esc, id, level[, lastNotifiedAt]): the progress of alert `id` (hash `esc`) must
-- be at `level` (and, when given, at `lastNotifiedAt`), and the alert (hash `items`) must exist and
-- be firing. Returns the progress (decoded), the alert's stored JSON and the alert (decoded); nil
-- when any check fails. Read-only.
local function firingAt(items, esc, id, level, lastNotifiedAt)
  local praw = redis.call('HGET', esc, id)
  if not praw then return nil end
  local p = cjson.decode(praw)
  if tonumber(p.level) ~= tonumber(level) then return nil end
  if lastNotifiedAt ~= nil and tonumber(p.lastNotifiedAt) ~= tonumber(lastNotifiedAt) then return nil end
  local raw = redis.call('HGET', items, id)
  if not raw then return nil end
  local a = cjson.decode(raw)
  if a.state ~= 'firing' then return nil end
  return p, raw, a
end
