-- Shared helpers of the read scripts (prepended by scripts.ts where a script says `-- include: common.lua`).
-- Encodings: fields are joined by US (\31), list items by RS (\30). Identifiers cannot contain control
-- characters (zod checks that in Node), so these separators never collide with data.
local US, RS = '\31', '\30'

-- t[k], created empty on first use
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
