-- Shared helpers of the metric scripts (prepended by scripts.ts where a script says `-- include: common.lua`).
-- Encodings: fields are joined by US (\31), list items by RS (\30). Identifiers cannot contain control
-- characters (zod checks that in Node), so these separators never collide with data.
local US, RS = '\31', '\30'

-- apply(item, ±1) for new − old, item by item (lists of item strings): a re-derived contact usually
-- only appends items, so unchanged ones cost a string compare instead of their bucket bumps
local function applyDiff(oldItems, newItems, apply)
  local count = {}
  for _, item in ipairs(oldItems) do count[item] = (count[item] or 0) + 1 end
  for _, item in ipairs(newItems) do
    local n = count[item]
    if n and n > 0 then
      count[item] = n - 1
    else
      apply(item, 1)
    end
  end
  for item, n in pairs(count) do
    for _ = 1, n do apply(item, -1) end
  end
end

-- t[k], created empty on first use (the accumulators' tables of tables)
local function subtable(t, k)
  local v = t[k]
  if not v then
    v = {}
    t[k] = v
  end
  return v
end

local function split(s, sep)
  local out, n, i = {}, 0, 1
  if s == nil or s == '' then return out end
  while true do
    local j = string.find(s, sep, i, true)
    n = n + 1
    if not j then
      out[n] = string.sub(s, i)
      return out
    end
    out[n] = string.sub(s, i, j - 1)
    i = j + 1
  end
end

-- Byte-order string comparison. Lua's `<` uses strcoll, and redis-server sets LC_COLLATE from the
-- environment, so `<` may not be byte order; SEMANTICS.md orders ties by event id bytes.
local function bytesLess(a, b)
  local la, lb = #a, #b
  local n = la < lb and la or lb
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end

-- Bucket levels: size in ms and the level tag used in key names (seconds).
local LEVEL_MS = { 1000, 10000, 60000, 900000 }
local LEVEL_TAG = { '1', '10', '60', '900' }

-- Short field names of timed agent states (n:<code> / m:<code>); logged_out is never timed.
local STATE_CODE = {
  available = 'av', ringing = 'rg', on_contact = 'oc', hold = 'ho', acw = 'aw', not_ready = 'nr',
}

-- qmap value: channel US slMs US shortMs US groups(RS-joined)
local function parseQueueInfo(q, v, defaults)
  local ch, sl, short, groups = '', nil, nil, {}
  if v then
    local p = split(v, US)
    ch = p[1] or ''
    sl = tonumber(p[2])
    short = tonumber(p[3])
    groups = split(p[4] or '', RS)
  end
  if defaults then
    if not sl and ch ~= '' then sl = defaults.sl[ch] end
    if not short then short = defaults.short end
  end
  return { q = q, ch = ch, sl = sl, short = short, groups = groups }
end

-- The local calendar day containing ts, from `mid` = {{midnightMs, "YYYY-MM-DD"}, ...} ascending
-- (Node computes the center's midnights; Lua has no time-zone database). Returns the date and the
-- next midnight, or nil outside the covered days.
local function localDayOf(mid, ts)
  for i = #mid - 1, 1, -1 do
    if mid[i][1] <= ts then
      if ts < mid[i + 1][1] then return mid[i][2], mid[i + 1][1] end
      return nil
    end
  end
  return nil
end
