-- bench/scale.lua - one machine's ceiling: the largest star this host brings
-- up with vnet.topology, and what it costs per namespace.
--
--   lua5.4 bench/scale.lua [--nofile N] [--budget S] [--keep-going] N1 N2 ...
--
-- (as root, from the work tree after `make`). For each N, a new process
-- builds `topo.star(net, N)` (N hosts on one switch, so N+1 namespaces) and
-- times `up`, `plan` and `status` of the running lab, `reach` on a sample of
-- 4 pairs, then `down`. It reports the process's peak RSS (VmHWM), the file
-- descriptors it holds after `up`, and the kernel's memory per namespace:
-- the drop of MemAvailable (less the process's own RSS growth) and the
-- growth of Slab between just before and just after `up`, divided by N+1.
-- Before each N the machine is let settle (the kernel frees a dropped
-- namespace's memory later, in a work queue) until Slab stops falling.
--
-- It stops at the first N that fails (the limit; --keep-going: runs the
-- rest), before an N that the memory measured so far says would take more
-- than half of MemAvailable, and before starting an N once S seconds
-- (default 600) have gone by. --nofile N runs each measurement under
-- `ulimit -n N` (a soft limit such as the usual 1024).
--
-- Whatever happens - a failure, an error, Ctrl-C - every namespace of the
-- run (topology "vnscale<pid>": namespaces "vnscale<pid>" and
-- "vnscale<pid>-*") is removed before it exits: by the topology's own
-- `down` (which reads what it owns from the kernel), then by name.
local fmt = string.format

local dir = (arg and arg[0] or ""):match("^(.*)/bench/[^/]*$") or "."
package.path = dir .. "/lua/?.lua;" .. dir .. "/lua/?/init.lua;" .. package.path
package.cpath = dir .. "/?.so;" .. package.cpath

local topo = require "vnet.topology"
local vnet = require "vnet"

-- ---- readings ------------------------------------------------------------

local function slurp(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- seconds on a clock that only goes forward (10 ms resolution)
local function now()
  return tonumber(slurp("/proc/uptime"):match("^(%S+)"))
end

-- { MemAvailable =, Slab =, SUnreclaim = ... } in kB
local function meminfo()
  local m = {}
  for k, v in slurp("/proc/meminfo"):gmatch("(%w+):%s+(%d+)") do m[k] = tonumber(v) end
  return m
end

-- VmRSS, VmHWM of this process, kB
local function status_kb(key)
  return tonumber(slurp("/proc/self/status"):match(key .. ":%s+(%d+)"))
end

-- packets the kernel dropped because a CPU's input backlog was full
-- (/proc/net/softnet_stat, second column, summed over CPUs)
local function backlog_drops()
  local d = 0
  for line in slurp("/proc/net/softnet_stat"):gmatch("[^\n]+") do
    d = d + tonumber(line:match("^%x+%s+(%x+)"), 16)
  end
  return d
end

-- user and system CPU seconds of this process
local function cpu()
  local f = {}
  for v in slurp("/proc/self/stat"):match("%) (.*)$"):gmatch("%S+") do f[#f + 1] = v end
  return tonumber(f[12]) / 100, tonumber(f[13]) / 100
end

local function nfds()
  local pid = slurp("/proc/self/stat"):match("^(%d+)")
  local p = io.popen("ls /proc/" .. pid .. "/fd | wc -l")
  local n = tonumber(p:read("a"))
  p:close()
  return n - 1   -- the pipe of this popen
end

-- ---- one measurement (a process of its own) ------------------------------

local function one(name, n)
  local out = { n = n }
  local function report(fail)
    out.hwm_kb = status_kb("VmHWM")
    local parts = {}
    for k, v in pairs(out) do parts[#parts + 1] = k .. "=" .. tostring(v) end
    table.sort(parts)
    io.write("result ", table.concat(parts, " "), "\n")
    if fail then io.write("fail ", (tostring(fail):gsub("\n", " ")), "\n") end
    io.flush()
  end
  local t = now()
  local net = topo.new{ name = name }
  topo.star(net, n)
  out.build_s = now() - t

  collectgarbage()
  local m0, rss0, fd0 = meminfo(), status_kb("VmRSS"), nfds()
  local d0, u0, s0 = backlog_drops(), cpu()
  t = now()
  local ok, msg = net:up()
  out.up_s = now() - t
  local u1, s1 = cpu()
  out.up_user_s, out.up_sys_s, out.up_drops = u1 - u0, s1 - s0, backlog_drops() - d0
  if not ok then
    t = now()
    net:down()
    out.down_s = now() - t
    return report("up: " .. tostring(msg))
  end
  local m1, rss1 = meminfo(), status_kb("VmRSS")
  out.fds = nfds() - fd0
  local nns = n + 1
  out.avail_kb_ns = fmt("%.0f", ((m0.MemAvailable - m1.MemAvailable) - (rss1 - rss0)) / nns)
  out.slab_kb_ns = fmt("%.0f", (m1.Slab - m0.Slab) / nns)

  t = now()
  local plan = net:plan()
  out.plan_s = now() - t
  out.plan_ops = #plan
  t = now()
  local _, present = net:status()
  out.status_s = now() - t
  out.present = present
  local sample, h = {}, {}
  for i = 1, n do h[i] = "h" .. i end
  for k = 0, 3 do
    local x, y = h[1 + (k * 997) % n], h[1 + (k * 997 + n // 2) % n]
    if x ~= y then sample[#sample + 1] = { x, y } end
  end
  -- one ping each (reach's default: one try, 1 s), then the pairs that
  -- failed again with 3 tries in 3 s
  t = now()
  local d1 = backlog_drops()
  local _, res = net:reach{ pairs = sample, quiet = true }
  local good, again = 0, 0
  for _, r in ipairs(res) do
    if r.ok then good = good + 1
    elseif net:ping(r.x, r.y, { count = 3, timeout = 3 }) then again = again + 1 end
  end
  out.reach = fmt("%d/%d", good, #sample)
  out.reach_retry = fmt("%d/%d", again, #sample - good)
  out.reach_drops = backlog_drops() - d1
  out.reach_s = now() - t
  t = now()
  ok, msg = net:down()
  out.down_s = now() - t
  report(not ok and ("down: " .. tostring(msg)) or nil)
end

if arg[1] == "--one" then
  one(arg[2], tonumber(arg[3]))
  os.exit(0)
end

-- ---- the driver ----------------------------------------------------------

local nofile, budget, keep_going, sizes = nil, 600, false, {}
do
  local i = 1
  while i <= #arg do
    local a = arg[i]
    if a == "--nofile" then nofile = tonumber(arg[i + 1]); i = i + 1
    elseif a == "--budget" then budget = tonumber(arg[i + 1]); i = i + 1
    elseif a == "--keep-going" then keep_going = true
    elseif tonumber(a) and tonumber(a) >= 1 then sizes[#sizes + 1] = math.floor(tonumber(a))
    else
      io.stderr:write("usage: lua5.4 bench/scale.lua [--nofile N] [--budget S] [--keep-going] N1 N2 ...\n")
      os.exit(2)
    end
    i = i + 1
  end
end
if #sizes == 0 or (nofile and nofile < 1) or not budget then
  io.stderr:write("usage: lua5.4 bench/scale.lua [--nofile N] [--budget S] [--keep-going] N1 N2 ...\n")
  os.exit(2)
end

local runid = slurp("/proc/self/stat"):match("^(%d+)")
local NAME = "vnscale" .. runid

local function cleanup()
  local ok, err = pcall(function() return topo.new{ name = NAME }:down() end)
  if not ok then io.stderr:write("scale: down: ", tostring(err), "\n") end
  local prefix = NAME .. "-"
  local left = {}
  for ns in vnet.netns.list() do
    if ns == NAME or ns:sub(1, #prefix) == prefix then left[#left + 1] = ns end
  end
  for _, ns in ipairs(left) do vnet.netns.delete(ns) end
  if #left > 0 then io.stderr:write(fmt("scale: removed %d namespaces by name\n", #left)) end
end

-- waits until the kernel has freed what dropped namespaces held: Slab
-- stops falling (two readings 1 s apart within 2 MB), at most 60 s
local function settle()
  local t0, last = now(), meminfo().Slab
  while now() - t0 < 60 do
    os.execute("sleep 1")
    local s = meminfo().Slab
    if math.abs(s - last) < 2048 then return now() - t0 end
    last = s
  end
  return now() - t0
end

local lua = arg[-1] or "lua5.4"
local script = arg[0]
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local rows, started = {}, now()
local function measure(n)
  local cmd = fmt("%s %s --one %s %d 2>&1", q(lua), q(script), NAME, n)
  if nofile then cmd = fmt("sh -c %s", q(fmt("ulimit -n %d && exec %s", nofile, cmd))) end
  local t = now()
  local p = io.popen(cmd)
  local r, other = nil, {}
  for line in p:lines() do
    local rest = line:match("^result (.*)$")
    if rest then
      r = {}
      for k, v in rest:gmatch("(%S+)=(%S+)") do r[k] = tonumber(v) or v end
    elseif r and line:match("^fail ") then
      r.fail = line:sub(6)
    else
      other[#other + 1] = line
    end
  end
  p:close()
  if not r then
    r = { n = n, fail = table.concat(other, " | "):sub(1, 400) }
    if r.fail == "" then r.fail = "the measuring process ended without a result" end
  end
  r.wall_s = now() - t
  return r
end

local function main()
  io.stderr:write(fmt("scale: %s, ulimit -n %s, %d MB available, %d cores\n", NAME,
    nofile or io.popen("ulimit -n"):read("l"), meminfo().MemAvailable // 1024,
    tonumber(io.popen("nproc"):read("l")) or 0))
  local per_ns_kb = 0
  for _, n in ipairs(sizes) do
    if now() - started > budget then
      io.stderr:write(fmt("scale: %d s gone by (budget %d s): not running n=%d\n", math.floor(now() - started), budget, n))
      break
    end
    local settled = settle()
    local avail = meminfo().MemAvailable
    if per_ns_kb > 0 and per_ns_kb * (n + 1) * 1.3 > avail / 2 then
      io.stderr:write(fmt("scale: n=%d would take about %d MB of the %d MB available: not run\n",
                          n, per_ns_kb * (n + 1) * 1.3 // 1024, avail // 1024))
      break
    end
    io.stderr:write(fmt("scale: n=%d (settled in %.1f s) ...\n", n, settled))
    local r = measure(n)
    cleanup()
    rows[#rows + 1] = r
    io.stderr:write(fmt("scale: n=%d %s in %.1f s\n", n, r.fail and ("FAILED: " .. r.fail) or "done", r.wall_s))
    per_ns_kb = math.max(per_ns_kb, tonumber(r.avail_kb_ns) or 0)
    if r.fail and not keep_going then break end
  end
end

local ok, err = pcall(main)
cleanup()

local function f(v, p) return type(v) == "number" and fmt("%." .. p .. "f", v) or "-" end
print("| n | up s (user+sys of vnet's process) | plan s | status s | down s | Lua RSS MB | fds | kernel MB/ns (MemAvailable) | Slab KB/ns | backlog drops in up | pings ok (1 try; failed ones in 3) | result |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for _, r in ipairs(rows) do
  local res = r.fail or ((r.plan_ops == 0 and r.present == "true") and "ok"
                         or fmt("plan %s ops, present %s", r.plan_ops, r.present))
  print(fmt("| %d | %s (%s+%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", r.n, f(r.up_s, 2),
    f(r.up_user_s, 1), f(r.up_sys_s, 1), f(r.plan_s, 2),
    f(r.status_s, 2), f(r.down_s, 2), f(r.hwm_kb and r.hwm_kb / 1024, 0), r.fds or "-",
    f(tonumber(r.avail_kb_ns) and tonumber(r.avail_kb_ns) / 1024, 2), r.slab_kb_ns or "-",
    r.up_drops or "-", r.reach and (r.reach .. (r.reach_retry ~= "0/0" and (" (" .. r.reach_retry .. ")") or "")) or "-",
    res))
end
if not ok then
  io.stderr:write("scale: ", tostring(err), "\n")
  os.exit(1)
end
for _, r in ipairs(rows) do if r.fail then os.exit(1) end end
