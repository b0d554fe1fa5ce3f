-- Lua line profiler for the ingest script, outside Redis (a dev tool, not part of npm test).
-- Needs Lua 5.1 and lua-cjson (Debian: apt-get install lua5.1 lua-cjson), and chunks recorded by
-- test/bench/dump-chunks.ts:
--   npx tsx test/bench/dump-chunks.ts .bench/chunks.json
--   lua5.1 test/bench/lua-profile.lua server/redis/lua/ingestBatch.lua .bench/chunks.json [noprof]
-- redis.call is an in-memory mock (hashes, sorted sets), so lines that call Redis show the mock's
-- cost, not Redis's; the other lines are the script's own Lua time (os.clock per 100 VM
-- instructions, attributed to the innermost script line). Prints µs per event of the whole run,
-- Redis calls and arguments per event, then the hottest lines.

local cjson = require('cjson')
_G.cjson = cjson
local scriptPath, chunksPath, noprof = arg[1], arg[2], arg[3]
local function readAll(p) local f = assert(io.open(p)) local s = f:read('*a') f:close() return s end
-- the script with its `-- include: lib.lua` libraries in front, as server/redis/scripts.ts builds it
local script = readAll(scriptPath)
local src = ''
for lib in script:gmatch('%-%-%s*include:%s*([%w%.%-_]+)') do
  src = src .. readAll((scriptPath:match('^(.*)/[^/]*$') or '.') .. '/lib/' .. lib) .. '\n'
end
src = src .. script
local fn = assert(loadstring('local KEYS, ARGV = ...\n' .. src, '@script'))
local data = cjson.decode(readAll(chunksPath))

local db = {}
local function hash(k, create) local e = db[k] if not e and create then e = { t = 'h', h = {} } db[k] = e end return e end
local function zset(k, create) local e = db[k] if not e and create then e = { t = 'z', z = {} } db[k] = e end return e end
local function sorted(e)
  local arr = {}
  for m, s in pairs(e.z) do arr[#arr + 1] = { m, s } end
  table.sort(arr, function(a, b) if a[2] ~= b[2] then return a[2] < b[2] end return a[1] < b[1] end)
  return arr
end
local function num(x) if x == '-inf' then return -math.huge elseif x == '+inf' then return math.huge end
  if type(x) == 'string' and x:sub(1,1) == '(' then return tonumber(x:sub(2)) - 1e-9 end return tonumber(x) end
local function fmt(n) if n == math.floor(n) then return string.format('%d', n) end return tostring(n) end
local C = {}
function C.HGET(k, f) local e = hash(k) return e and e.h[f] or false end
function C.HSET(k, ...) local e = hash(k, true) local a = { ... } local n = 0 for i = 1, #a, 2 do if not e.h[a[i]] then n = n + 1 end e.h[a[i]] = tostring(a[i + 1]) end return n end
function C.HGETALL(k) local e = hash(k) local out = {} if e then for f, v in pairs(e.h) do out[#out + 1] = f out[#out + 1] = v end end return out end
function C.HMGET(k, ...) local e = hash(k) local out = {} for i, f in ipairs({ ... }) do out[i] = e and e.h[f] or false end return out end
function C.HINCRBY(k, f, d) local e = hash(k, true) local v = (tonumber(e.h[f]) or 0) + tonumber(d) e.h[f] = fmt(v) return v end
function C.HDEL(k, ...) local e = hash(k) if e then for _, f in ipairs({ ... }) do e.h[f] = nil end end return 1 end
function C.PEXPIRE() return 1 end
function C.EXISTS(k) return db[k] and 1 or 0 end
function C.PUBLISH() return 0 end
function C.ZADD(k, ...) local a = { ... } local nx = false if a[1] == 'NX' then nx = true table.remove(a, 1) end
  local e = zset(k, true) local n = 0
  for i = 1, #a, 2 do local m = a[i + 1] if e.z[m] == nil then n = n + 1 e.z[m] = tonumber(a[i]) elseif not nx then e.z[m] = tonumber(a[i]) end end return n end
function C.ZREM(k, ...) local e = zset(k) local n = 0 if e then for _, m in ipairs({ ... }) do if e.z[m] then n = n + 1 e.z[m] = nil end end end return n end
local function range(arr, a, b, withscores)
  local n = #arr if a < 0 then a = n + a end if b < 0 then b = n + b end if b >= n then b = n - 1 end
  local out = {} for i = a, b do out[#out + 1] = arr[i + 1][1] if withscores then out[#out + 1] = fmt(arr[i + 1][2]) end end return out end
function C.ZRANGE(k, a, b, ws) local e = zset(k) if not e then return {} end return range(sorted(e), tonumber(a), tonumber(b), ws) end
function C.ZREVRANGE(k, a, b, ws) local e = zset(k) if not e then return {} end local s = sorted(e) local r = {} for i = #s, 1, -1 do r[#r + 1] = s[i] end return range(r, tonumber(a), tonumber(b), ws) end
function C.ZRANK(k, m) local e = zset(k) for i, x in ipairs(sorted(e)) do if x[1] == m then return i - 1 end end return false end
function C.ZCOUNT(k, a, b) local e = zset(k) if not e then return 0 end local lo, hi = num(a), num(b) local n = 0 for _, s in pairs(e.z) do if s >= lo and s <= hi then n = n + 1 end end return n end
function C.ZREMRANGEBYSCORE(k, a, b) local e = zset(k) if not e then return 0 end local lo, hi = num(a), num(b) for m, s in pairs(e.z) do if s >= lo and s <= hi then e.z[m] = nil end end return 0 end
function C.ZREMRANGEBYRANK(k, a, b) local e = zset(k) if not e then return 0 end for _, m in ipairs(range(sorted(e), tonumber(a), tonumber(b))) do e.z[m] = nil end return 0 end
local calls, fieldsIn = {}, {}
_G.redis = { call = function(cmd, ...) calls[cmd] = (calls[cmd] or 0) + 1 fieldsIn[cmd] = (fieldsIn[cmd] or 0) + select("#", ...) local f = C[cmd] if not f then error('no mock ' .. cmd) end return f(...) end }

-- initial qmap
local tag = data.chunks[1][1]
local qm = hash(tag .. ':qmap', true)
for q, v in pairs(data.qmap) do qm.h[q] = v end

local prof, last = {}, os.clock()
local function hook()
  local now = os.clock()
  local lvl = 2
  while true do
    local info = debug.getinfo(lvl, 'Sl')
    if not info then break end
    if info.source == '@script' then
      prof[info.currentline] = (prof[info.currentline] or 0) + (now - last)
      break
    end
    lvl = lvl + 1
  end
  last = os.clock()
end
local events = 0
local t0 = os.clock()
for _, ch in ipairs(data.chunks) do
  local keys = { ch[1] }
  local argv = {}
  for i = 2, #ch do argv[#argv + 1] = ch[i] end
  events = events + #argv - 1
  if not noprof then debug.sethook(hook, '', 100) end
  fn(keys, argv)
  debug.sethook()
end
local total = os.clock() - t0
io.stderr:write(string.format('events %d, %.2f us/event (mock)\n', events, total * 1e6 / events))
for c, n in pairs(calls) do io.stderr:write(string.format("  %s %.2f/event, args %.2f/event\n", c, n / events, fieldsIn[c] / events)) end
if not noprof then
  local lines = {}
  local s = 0
  for l, t in pairs(prof) do lines[#lines + 1] = { l, t } s = s + t end
  table.sort(lines, function(a, b) return a[2] > b[2] end)
  local srcLines = {}
  for line in (('local KEYS, ARGV = ...\n' .. src) .. '\n'):gmatch('(.-)\n') do srcLines[#srcLines + 1] = line end
  for i = 1, math.min(45, #lines) do
    local l = lines[i]
    print(string.format('%5.1f%% %4d  %s', l[2] * 100 / s, l[1], (srcLines[l[1]] or ''):sub(1, 110)))
  end
end
