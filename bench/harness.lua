-- harness.lua - runs the workloads of issue 5 for vnet and its peers, checks
-- that every peer left the same kernel state, prints medians (min/max), the
-- ratio vnet/peer and peak RSS.  Started by bench/run, which builds the C
-- helpers, sets LUA_PATH/LUA_CPATH and removes every vnbench-<runid>-*
-- namespace on exit, even on failure or interrupt.
--
-- Environment:
--   BENCH_REPS=5               repetitions per peer (each in fresh namespaces
--                              where the workload changes state)
--   BENCH_SCALE=full|small     sizes of issue 5, or a quick smoke run
--   BENCH_WORKLOADS="0 1 2 3 4 5 6 7 8"   0 = process start-up baseline
--   BENCH_PEERS="vnet vnet-plain vnet-fields vnet-kept raw ip batch pyroute2 mininet"
--                              (vnet-plain: workload 1 as a plain loop, no batch;
--                              vnet-fields: workload 4 with routes{ fields = },
--                              each route's fields read as vnet reads the
--                              objects'; vnet-kept: the same, every value kept)
--                              (workload 7: vnet-plain is link:impair per cable,
--                              the ip columns are tc per change and tc -batch)
--   BENCH_W1=N ... BENCH_W8=N  sizes
--   BENCH_SH_MAX_STEPS=5000    skip the one-`ip`-per-step peer above this many
--                              processes in one phase (5-20 ms each here)
--   BENCH_TIMEOUT=600          seconds one command may take; a peer that hits it
--                              is not run again on that workload
--   BENCH_OUT=FILE             samples as TSV (default bench/out/bench-<runid>.tsv)

local gen = require "gen_ip"
local fmt = string.format

local B = os.getenv("BENCH_DIR") or "bench"
local RUNID = os.getenv("BENCH_RUNID") or tostring(os.time())
local PFX = "vnbench-" .. RUNID .. "-"
local TMP = assert(os.getenv("BENCH_TMP"), "BENCH_TMP not set: start bench/run, not harness.lua")
local PY = "/usr/bin/python3"
local LUA = os.getenv("BENCH_LUA") or "lua5.4"

local function words(s) local t = {} for w in s:gmatch("%S+") do t[#t + 1] = w end return t end
local function getenv_num(k, d) local v = os.getenv(k) return v and assert(tonumber(v), k) or d end

local REPS = getenv_num("BENCH_REPS", 5)
local SCALE = os.getenv("BENCH_SCALE") or "full"
local PEERS = words(os.getenv("BENCH_PEERS") or "vnet vnet-plain vnet-fields vnet-kept raw ip batch pyroute2 mininet")
local WORKLOADS = words(os.getenv("BENCH_WORKLOADS") or "0 1 2 3 4 5 6 7 8")
local SH_MAX = getenv_num("BENCH_SH_MAX_STEPS", 5000)

local TIMEOUT = getenv_num("BENCH_TIMEOUT", 600)
local OUT = os.getenv("BENCH_OUT") or fmt("%s/out/bench-%s.tsv", B, RUNID)

local SIZES = {
  full  = { w1 = 1000, w2 = 200, w3 = 100000, w4 = 1000000, w4small = 10, w5 = 10000, w5k = 1000, w6 = 10000, w7 = 200, w8 = 200 },
  small = { w1 = 100,  w2 = 20,  w3 = 10000,  w4 = 100000,  w4small = 10, w5 = 1000,  w5k = 100,  w6 = 1000, w7 = 20, w8 = 20 },
}
local S = assert(SIZES[SCALE], "BENCH_SCALE must be full or small")
for _, k in ipairs{ "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8" } do
  S[k] = getenv_num("BENCH_" .. k:upper(), S[k])
end
S.w5k = math.min(S.w5k, S.w5)

-- nil, or why the one-ip-per-step peer is skipped
local function too_many(steps)
  if steps > SH_MAX then
    return fmt("n/a (%d ip processes in one phase > BENCH_SH_MAX_STEPS=%d)", steps, SH_MAX)
  end
end

local PEER_LABEL = { vnet = "vnet", ["vnet-plain"] = "vnet plain",
                     ["vnet-fields"] = "vnet fields", ["vnet-kept"] = "fields kept", raw = "raw C",
                     ip = "ip (sh)", batch = "ip -batch",
                     pyroute2 = "pyroute2", mininet = "Mininet" }

------------------------------------------------------------------------------
-- running things

local function q(s)
  s = tostring(s)
  if s:match("^[%w%-%./_=:,+@]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function argv_str(argv)
  local t = {}
  for i, a in ipairs(argv) do t[i] = q(a) end
  return table.concat(t, " ")
end

local interrupted = false
-- lua5.4's own SIGINT handler raises "interrupted!" wherever Lua was
local function is_interrupt(err)
  if interrupted or tostring(err):find("interrupted", 1, true) then
    interrupted = true
    return true
  end
end
local function check_signal(ok, how, code)
  if how == "signal" and (code == 2 or code == 15) then
    interrupted = true
    error("interrupted", 0)
  end
  return ok, how, code
end

-- run a shell command line, return ok and its output (stdout+stderr)
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, how, code = p:close()
  check_signal(ok, how, code)
  return ok, out
end

local function must(cmd)
  local ok, out = sh(cmd)
  if not ok then error("setup failed: " .. cmd .. "\n" .. out, 0) end
  return out
end

local function readfile(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local TM = B .. "/tm"
local nrun = 0

-- time one command: argv table, or { sh = "command line" }
local function timed(cmd)
  nrun = nrun + 1
  local res, out, err = fmt("%s/r%d", TMP, nrun), fmt("%s/o%d", TMP, nrun), fmt("%s/e%d", TMP, nrun)
  local line
  if cmd.sh then
    line = fmt("%s -t %d %s sh -c %s >%s 2>%s", TM, TIMEOUT, res, q(cmd.sh), out, err)
  else
    line = fmt("%s -t %d %s %s >%s 2>%s", TM, TIMEOUT, res, argv_str(cmd), out, err)
  end
  check_signal(os.execute(line))
  local w, u, s, rss, code = readfile(res):match("^(%S+) (%S+) (%S+) (%S+) (%S+)")
  local r = { wall = tonumber(w), user = tonumber(u), sys = tonumber(s), rss = tonumber(rss),
              code = tonumber(code) or -1, out = readfile(out), err = readfile(err) }
  os.remove(res) os.remove(out) os.remove(err)
  if r.code == 130 or r.code == 143 then interrupted = true error("interrupted", 0) end
  return r
end

local function count_lines(s)
  local n = 0
  for _ in s:gmatch("[^\n]+") do n = n + 1 end
  return n
end

local function kv(out, key)
  return out:match("%f[%w]" .. key .. "=(%S+)")
end

------------------------------------------------------------------------------
-- namespaces

local function ns_add(name)
  must("ip netns add " .. q(name))
  return name
end

local function ns_list(prefix)
  local t = {}
  for name in must("ip netns list"):gmatch("([^%s]+)[^\n]*\n?") do
    if name:sub(1, #prefix) == prefix then t[#t + 1] = name end
  end
  return t
end

-- Dropping a namespace returns at once; the kernel destroys its devices and
-- routes later, holding the RTNL lock, which would slow down whatever runs
-- next.  So each namespace gets a sentinel veth whose other end is in a
-- long-lived namespace; the end there disappears when the kernel has
-- unregistered the dropped namespace's devices, and we wait for that.
local SENTINEL = PFX .. "sentinel"
local nsent = 0

-- remove every namespace whose name starts with prefix, and wait for it
local function ns_purge(prefix, nowait)
  local names = ns_list(prefix)
  local waited = false
  for _, name in ipairs(names) do
    if name ~= SENTINEL then
      if not nowait then
        nsent = nsent + 1
        waited = sh(fmt("ip -n %s link add vnbs%d type veth peer name vnbs netns %s",
                        SENTINEL, nsent, q(name))) or waited
      end
      sh("ip netns del " .. q(name))
    end
  end
  if waited then
    local ok, out = sh(fmt("%s/raw -n %s wait-links 1 300", B, SENTINEL))
    if not ok then io.stderr:write("bench: namespace cleanup did not finish: ", out) end
  end
end

-- veth d0/d0p, both up, 10.0.0.1/8 on d0: the device routes point at
local function route_dev(ns)
  must(fmt("ip -n %s link add d0 type veth peer name d0p && ip -n %s link set d0 up && " ..
           "ip -n %s link set d0p up && ip -n %s addr add 10.0.0.1/8 dev d0", ns, ns, ns, ns))
end

------------------------------------------------------------------------------
-- availability of each peer

local avail = {}
do
  local ok, out = sh(LUA .. " -e 'require \"vnet\"'")
  avail.vnet = ok or ("n/a (vnet not built: " .. (out:match("[^\n]+") or "require failed") .. ")")
  avail["vnet-plain"] = avail.vnet
  avail["vnet-fields"] = avail.vnet
  avail["vnet-kept"] = avail.vnet
  avail.raw = true
  avail.ip = true
  avail.batch = true
  ok = sh(PY .. " -c 'import pyroute2'")
  avail.pyroute2 = ok or "n/a (python3-pyroute2 not installed)"
  ok = sh(PY .. " -c 'import mininet.net' && command -v brctl")
  avail.mininet = ok or "n/a (mininet or bridge-utils not installed)"
end

------------------------------------------------------------------------------
-- workloads
--
-- Each workload: title, phases, fresh (new namespaces for every run of a peer)
-- or shared (one read-only fixture for all), setup/teardown, the command of
-- each peer for each phase, and a check of what the peer left (fresh) or
-- printed (shared).  A command is an argv table or { sh = "..." }; a peer
-- without one gets a string: why it is n/a.

local W = {}

local function ipsh(ns, file) return { sh = fmt("ip netns exec %s sh %s", ns, file) } end
local function ipbatch(ns, file) return { sh = fmt("ip -n %s -batch %s", ns, file) } end
local function genfile(ctx, mode, w, ...)
  return gen.write(fmt("%s/%s-%s.txt", TMP, ctx.tag, mode), mode, w, ...)
end

-- 0: process start-up + library load, to read the other rows against
W[0] = {
  title = function() return "0. start-up: process + library load" end,
  phases = { "start" },
  shared = true,
  setup = function() end,
  teardown = function() end,
  cmd = function(peer)
    if peer == "vnet" then return { LUA, "-e", "require 'vnet'" } end
    if peer == "raw" then return { B .. "/raw", "nop" } end
    if peer == "ip" then return { "ip", "-V" } end
    if peer == "batch" then return "n/a (same process as ip)" end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "startup" } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function() return true, "ok" end,
}

-- 1: N veth pairs in one namespace, up, an address each
W[1] = {
  title = function() return fmt("1. %d veth pairs: add, up, address", S.w1) end,
  phases = { "create" },
  setup = function(ctx) ctx.ns = ns_add(ctx.name) end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, _, ctx)
    local ns, n = ctx.ns, S.w1
    if peer == "vnet" then return { LUA, B .. "/vnet_veth.lua", ns, n } end
    if peer == "vnet-plain" then return { LUA, B .. "/vnet_veth_plain.lua", ns, n } end
    if peer == "raw" then return { B .. "/raw", "-n", ns, "veth", n } end
    if peer == "ip" then return too_many(4 * n) or ipsh(ns, genfile(ctx, "sh", "veth", n)) end
    if peer == "batch" then return ipbatch(ns, genfile(ctx, "batch", "veth", n)) end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "veth", n } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(ctx)
    local ns, n = ctx.ns, S.w1
    local _, all = sh(fmt("ip -n %s -o link show type veth", ns))
    local _, up = sh(fmt("ip -n %s -o link show type veth up", ns))
    local _, addrs = sh(fmt("ip -n %s -o -4 addr show", ns))
    local want, got = {}, 0
    for i = 0, n - 1 do want[fmt("va%d 10.%d.%d.1/24", i, (i >> 8) & 255, i & 255)] = true end
    for dev, a in addrs:gmatch("%d+: (%S+)%s+inet (%S+)") do
      if want[dev .. " " .. a] then got = got + 1 else got = -1e9 end
    end
    local nall, nup = count_lines(all), count_lines(up)
    local ok = nall == 2 * n and nup == 2 * n and got == n
    return ok, fmt("veth=%d up=%d addrs=%d", nall, nup, math.max(got, -1))
  end,
}

-- 2: star of N namespaces on one bridge; bring-up and teardown timed apart
W[2] = {
  title = function() return fmt("2. star of %d namespaces on a bridge", S.w2) end,
  phases = { "up", "down", "down+settle" },
  setup = function(ctx)
    ctx.hub = ns_add(ctx.name .. "-hub")
    ctx.pfx = ctx.name .. "-n"
  end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    local hub, pfx, n = ctx.hub, ctx.pfx, S.w2
    if phase == "down+settle" then return nil end -- derived from "down"
    if peer == "vnet" then return { LUA, B .. "/vnet_star.lua", phase, hub, pfx, n } end
    if peer == "raw" then return { B .. "/raw", "-n", hub, "star-" .. phase, n, pfx } end
    if peer == "ip" and too_many(5 * n) then return too_many(5 * n) end
    if peer == "ip" or peer == "batch" then
      local mode = peer == "ip" and "sh" or "batch"
      return { "sh", genfile(ctx, mode, "star_" .. phase, hub, pfx, n) }
    end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", hub, "star-" .. phase, n, pfx } end
    if peer == "mininet" then
      -- one run does both phases and reports their times itself
      if phase == "up" then return { "ip", "netns", "exec", hub, PY, B .. "/mininet_star.py", n }, "self" end
      return nil
    end
  end,
  check = function(ctx, phase, out, peer)
    local n = S.w2
    if peer == "mininet" then
      return kv(out, "nodes") == tostring(n), "nodes=" .. tostring(kv(out, "nodes"))
    end
    local nodes = ns_list(ctx.pfx)
    if phase == "up" then
      local _, ports = sh(fmt("ip -n %s -o link show master br0 up", ctx.hub))
      local _, br = sh(fmt("ip -n %s -o link show br0 up", ctx.hub))
      local _, addrs = sh(fmt("for i in $(seq 1 %d); do nsenter --net=/run/netns/%s$i " ..
                              "ip -o -4 addr show dev eth0 up | sed \"s/^/%s$i /\"; done",
                              n, ctx.pfx, ctx.pfx))
      local got = 0
      for node, a in addrs:gmatch("(%S+) %d+: eth0%s+inet (%S+)") do
        local i = tonumber(node:sub(#ctx.pfx + 1))
        if i and a == fmt("10.200.%d.%d/16", (i >> 8) & 255, i & 255) then got = got + 1 end
      end
      local nports = count_lines(ports)
      return #nodes == n and nports == n and count_lines(br) == 1 and got == n,
             fmt("netns=%d ports=%d addrs=%d", #nodes, nports, got)
    end
    -- down: namespaces gone at once; their veths leave the hub when the
    -- kernel's netns cleanup has run (waited for: "down+settle")
    return #nodes == 0, fmt("netns=%d", #nodes)
  end,
  -- after "down": how long until the kernel has cleaned up after the dropped
  -- namespaces, i.e. only lo is left in the hub (raw polls every 1 ms)
  settle = function(ctx) return { B .. "/raw", "-n", ctx.hub, "wait-links", 1, 60 } end,
}

-- 3: add N routes to one table, then delete them
W[3] = {
  title = function() return fmt("3. %d IPv4 routes in one table", S.w3) end,
  phases = { "add", "del" },
  setup = function(ctx) ctx.ns = ns_add(ctx.name) route_dev(ctx.ns) end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    local ns, n = ctx.ns, S.w3
    if peer == "vnet" then return { LUA, B .. "/vnet_routes.lua", phase, ns, n, 100, "d0" } end
    if peer == "raw" then return { B .. "/raw", "-n", ns, "routes-" .. phase, n, 100, "d0" } end
    if peer == "ip" then
      return too_many(n) or ipsh(ns, genfile(ctx, "sh", "routes_" .. phase, n, 100, "d0"))
    end
    if peer == "batch" then return ipbatch(ns, genfile(ctx, "batch", "routes_" .. phase, n, 100, "d0")) end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "routes-" .. phase, n, 100, "d0" } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(ctx, phase)
    local n = S.w3
    local _, out = sh(fmt("ip -n %s route show table 100", ctx.ns))
    if phase == "del" then
      local left = count_lines(out)
      return left == 0, fmt("routes=%d", left)
    end
    local want = {}
    for i = 0, n - 1 do want[gen.prefix(i) .. " dev d0 scope link"] = true end
    local got, other = 0, nil
    for l in out:gmatch("[^\n]+") do
      l = l:gsub("%s+", " "):gsub(" $", "")
      if want[l] then got = got + 1 else other = other or l end
    end
    return got == n and not other,
           fmt("routes=%d%s", got, other and (" unexpected: " .. other) or "")
  end,
}

-- 4: dump a table of N routes into values; dump a small table meanwhile
W[4] = {
  title = function() return fmt("4. dump of %d routes, and of a %d-route table", S.w4, S.w4small) end,
  phases = { "big", "small" },
  shared = true,
  setup = function(ctx)
    ctx.ns = ns_add(ctx.name)
    route_dev(ctx.ns)
    must(fmt("%s/raw -n %s routes-add %d 100 d0", B, ctx.ns, S.w4))
    must(fmt("%s/raw -n %s routes-add %d 200 d0", B, ctx.ns, S.w4small))
  end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    local ns, t = ctx.ns, phase == "big" and 100 or 200
    local count = " | awk 'END { print \"routes=\" NR }'"
    if peer == "vnet" then return { LUA, B .. "/vnet_dump.lua", ns, t } end
    if peer == "vnet-fields" then return { LUA, B .. "/vnet_dump_fields.lua", ns, t, "read" } end
    if peer == "vnet-kept" then return { LUA, B .. "/vnet_dump_fields.lua", ns, t, "kept" } end
    if peer == "raw" then return { B .. "/raw", "-n", ns, "dump", t } end
    if peer == "ip" then return { sh = ipsh(ns, genfile(ctx, "sh", "dump", t)).sh .. count } end
    if peer == "batch" then return { sh = ipbatch(ns, genfile(ctx, "batch", "dump", t)).sh .. count } end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "dump", t } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(_, phase, out)
    local want = phase == "big" and S.w4 or S.w4small
    return kv(out, "routes") == tostring(want), "routes=" .. tostring(kv(out, "routes"))
  end,
}

-- 5: N links, each with an address: list them all; look some up by name
W[5] = {
  title = function() return fmt("5. %d links: list with addresses; %d lookups by name", S.w5, S.w5k) end,
  phases = { "list", "lookup" },
  shared = true,
  setup = function(ctx)
    ctx.ns = ns_add(ctx.name)
    must(fmt("%s/raw -n %s fixture-links %d", B, ctx.ns, S.w5))
  end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    local ns, n, k = ctx.ns, S.w5, S.w5k
    if phase == "list" then
      local count = " | awk '/^[0-9]+:/ { l++ } /^    inet/ { a++ } END { print \"links=\" l \" addrs=\" a }'"
      if peer == "vnet" then return { LUA, B .. "/vnet_links.lua", "list", ns } end
      if peer == "raw" then return { B .. "/raw", "-n", ns, "links" } end
      if peer == "ip" then return { sh = ipsh(ns, genfile(ctx, "sh", "links")).sh .. count } end
      if peer == "batch" then return { sh = ipbatch(ns, genfile(ctx, "batch", "links")).sh .. count } end
      if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "links" } end
    else
      local count = " | awk '/^[0-9]+:/ { n++ } END { print \"found=\" n }'"
      if peer == "vnet" then return { LUA, B .. "/vnet_links.lua", "lookup", ns, k, n } end
      if peer == "raw" then return { B .. "/raw", "-n", ns, "lookup", k, n } end
      if peer == "ip" then
        return too_many(k) or { sh = ipsh(ns, genfile(ctx, "sh", "lookup", k, n)).sh .. count }
      end
      if peer == "batch" then return { sh = ipbatch(ns, genfile(ctx, "batch", "lookup", k, n)).sh .. count } end
      if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "lookup", k, n } end
    end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(_, phase, out)
    if phase == "list" then
      local l, a = kv(out, "links"), kv(out, "addrs")
      return l == tostring(S.w5 + 1) and a == tostring(S.w5), fmt("links=%s addrs=%s", l, a)
    end
    return kv(out, "found") == tostring(S.w5k), "found=" .. tostring(kv(out, "found"))
  end,
}

-- 6: N route lookups
W[6] = {
  title = function() return fmt("6. %d route_get lookups", S.w6) end,
  phases = { "get" },
  shared = true,
  setup = function(ctx) ctx.ns = ns_add(ctx.name) route_dev(ctx.ns) end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, _, ctx)
    local ns, n = ctx.ns, S.w6
    local count = " | awk '/ dev d0 / { n++ } END { print \"found=\" n }'"
    if peer == "vnet" then return { LUA, B .. "/vnet_route_get.lua", ns, n } end
    if peer == "raw" then return { B .. "/raw", "-n", ns, "route-get", n } end
    if peer == "ip" then
      if too_many(n) then return too_many(n) end
      return { sh = ipsh(ns, genfile(ctx, "sh", "route_get", n)).sh .. count }
    end
    if peer == "batch" then return { sh = ipbatch(ns, genfile(ctx, "batch", "route_get", n)).sh .. count } end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", ns, "route-get", n } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(_, _, out)
    return kv(out, "found") == tostring(S.w6), "found=" .. tostring(kv(out, "found"))
  end,
}

-- 7: an impairment on every cable of the star of N (the egress of the
-- hub's h<i>): put on, changed, taken off. netem + rate where the kernel has
-- netem, else tbf alone. The ip columns are `tc` per change and `tc -batch`.
local IMPAIR_KIND
do
  local ok = sh("unshare --net sh -c 'ip link add pa type veth peer name pb && "
                .. "tc qdisc add dev pa root netem delay 1ms'")
  IMPAIR_KIND = ok and "netem" or "tbf"
end
local TC_ARGS = {
  netem = { add = "handle e1: netem delay 10ms loss 1% rate 10mbit",
            change = "handle e1: netem delay 20ms loss 2% rate 20mbit", del = "handle e1:" },
  tbf = { add = "handle e2: tbf rate 10mbit burst 12500 limit 1514000",
          change = "handle e2: tbf rate 20mbit burst 25000 limit 1514000", del = "handle e2:" },
}
local function tc_file(ctx, mode, phase, n)
  local path = fmt("%s/%s-tc-%s-%s.txt", TMP, ctx.tag, mode, phase)
  local f = assert(io.open(path, "w"))
  for i = 1, n do
    f:write(mode == "sh" and "tc " or "", fmt("qdisc %s dev h%d root %s\n", phase, i,
                                             TC_ARGS[IMPAIR_KIND][phase]))
  end
  f:close()
  return path
end
W[7] = {
  title = function()
    return fmt("7. impairment on every cable of a star of %d (%s): on, change, off",
               S.w7, IMPAIR_KIND == "netem" and "netem delay+loss+rate" or "tbf rate, no netem here")
  end,
  phases = { "add", "change", "del" },
  setup = function(ctx)
    ctx.hub = ns_add(ctx.name .. "-hub")
    ctx.pfx = ctx.name .. "-n"
    must(fmt("%s/raw -n %s star-up %d %s", B, ctx.hub, S.w7, ctx.pfx))
  end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    local hub, n, k = ctx.hub, S.w7, IMPAIR_KIND
    if peer == "vnet" then return { LUA, B .. "/vnet_impair.lua", phase, hub, n, k } end
    if peer == "vnet-plain" then return { LUA, B .. "/vnet_impair.lua", phase, hub, n, k, "plain" } end
    if peer == "raw" then return { B .. "/raw", "-n", hub, "impair", phase, n, k } end
    if peer == "ip" then
      return too_many(n) or { sh = fmt("ip netns exec %s sh %s", hub, tc_file(ctx, "sh", phase, n)) }
    end
    if peer == "batch" then return { sh = fmt("tc -n %s -batch %s", hub, tc_file(ctx, "batch", phase, n)) } end
    if peer == "pyroute2" then return { PY, B .. "/pyroute2_bench.py", "-n", hub, "impair", phase, n, k } end
    return "n/a (Mininet builds topologies only)"
  end,
  check = function(ctx, phase)
    local _, out = sh(fmt("tc -n %s qdisc show", ctx.hub))
    local want
    if phase ~= "del" then
      local ch = phase == "change"
      want = IMPAIR_KIND == "netem"
        and fmt("qdisc netem e1: dev h%%d root .*delay %s loss %s rate %s",
                ch and "20ms" or "10ms", ch and "2%%" or "1%%", ch and "20Mbit" or "10Mbit")
        or fmt("qdisc tbf e2: dev h%%d root .*rate %s burst %s", ch and "20Mbit" or "10Mbit",
               ch and "25000b" or "12500b")
    end
    local got, ours = 0, 0
    for l in out:gmatch("[^\n]+") do
      if l:find(" e1: ", 1, true) or l:find(" e2: ", 1, true) then ours = ours + 1 end
      local i = want and tonumber(l:match("dev h(%d+) "))
      if i and l:match(want:format(i)) then got = got + 1 end
    end
    if phase == "del" then return ours == 0, fmt("impaired=%d", ours) end
    return got == S.w7 and ours == S.w7, fmt("impaired=%d (of %d qdiscs of ours)", got, ours)
  end,
}

-- 8: a lab of N hosts on one switch as a vnet.topology script, converged by
-- `up` after each edit (bench/vnet_topo.lua): from nothing, again with no
-- change, one address changed, an impairment put on every cable, down. No
-- peer converges a lab from its description; workload 2 compares building one.
W[8] = {
  title = function()
    return fmt("8. topology converge, a star of %d: up, up unchanged, one address, %d impairments (%s), down",
               S.w8, S.w8, IMPAIR_KIND)
  end,
  phases = { "up", "noop", "addr", "imp", "down" },
  setup = function(ctx) ctx.topo = ctx.name .. "t" end,
  teardown = function(ctx) ns_purge(ctx.name) end,
  cmd = function(peer, phase, ctx)
    if peer == "vnet" then return { LUA, B .. "/vnet_topo.lua", phase, ctx.topo, S.w8, IMPAIR_KIND } end
    return "n/a (vnet.topology only: no peer converges a lab from its script)"
  end,
  check = function(ctx, phase)
    local nss = #ns_list(ctx.topo)
    if phase == "down" then return nss == 0, fmt("namespaces=%d", nss) end
    local ok = nss == S.w8 + 1
    local detail = fmt("namespaces=%d", nss)
    if phase == "addr" or phase == "imp" then
      local _, out = sh(fmt("ip -n %s-h1 -o addr show dev eth0", ctx.topo))
      local has = out:find("10.201.0.1/16", 1, true) ~= nil
      ok = ok and has
      detail = detail .. (has and " h1=10.201.0.1" or " h1 not changed")
    end
    local _, out = sh(fmt("tc -n %s qdisc show", ctx.topo))
    local imp = 0
    for l in out:gmatch("[^\n]+") do if l:find("qdisc " .. IMPAIR_KIND, 1, true) then imp = imp + 1 end end
    ok = ok and imp == (phase == "imp" and S.w8 or 0)
    return ok, detail .. fmt(" impaired=%d", imp)
  end,
}

------------------------------------------------------------------------------
-- results

local results = {}  -- results[w][phase][peer] = { samples = {r...}, fails = {str...}, na = str }

local function slot(w, phase, peer)
  results[w] = results[w] or {}
  results[w][phase] = results[w][phase] or {}
  local r = results[w][phase][peer]
  if not r then
    r = { samples = {}, fails = {} }
    results[w][phase][peer] = r
  end
  return r
end

os.execute("mkdir -p " .. q(OUT:match("^(.*)/[^/]*$") or "."))
local tsv = assert(io.open(OUT, "w"))
tsv:write("workload\tphase\tpeer\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tstate\tdetail\n")

local function record(w, phase, peer, rep, r, ok, detail)
  local s = slot(w, phase, peer)
  if ok then s.samples[#s.samples + 1] = r else s.fails[#s.fails + 1] = detail end
  tsv:write(fmt("%s\t%s\t%s\t%d\t%.6f\t%.6f\t%.6f\t%d\t%s\t%s\n", w, phase, peer, rep,
                r.wall or -1, r.user or -1, r.sys or -1, r.rss or -1, ok and "ok" or "FAIL",
                (detail or ""):gsub("[\t\n]", " ")))
  tsv:flush()
end

-- the first two non-empty lines of an error output, on one line
local function first_line(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do
    if l:find("%S") then t[#t + 1] = l:gsub("^%s+", "") end
    if #t == 2 then break end
  end
  return table.concat(t, " | "):sub(1, 240)
end

local function progress(...) io.stderr:write(fmt(...)) end

-- run one phase command, check it, record it
local function run_phase(wn, w, peer, rep, ctx, phase)
  local cmd, self_timed
  if peer == "vnet-plain" and w ~= W[1] and w ~= W[7] then
    cmd = "n/a (workloads 1 and 7 only: the plain loop beside the batched script)"
  elseif (peer == "vnet-fields" or peer == "vnet-kept") and w ~= W[4] then
    cmd = "n/a (workload 4 only: routes{ fields = } beside route objects)"
  else
    cmd, self_timed = w.cmd(peer, phase, ctx)
  end
  if type(cmd) == "string" then
    slot(wn, phase, peer).na = cmd
    return true
  elseif not cmd then
    return true
  end
  progress("  w%d %-6s %-10s rep %d: ", wn, phase, peer, rep)
  local r = timed(cmd)
  local good, detail
  if r.code == 124 then
    good, detail = false, fmt("timeout: killed after %d s (BENCH_TIMEOUT)", TIMEOUT)
    ctx.timed_out = true
  elseif r.code ~= 0 then
    good, detail = false, fmt("exit %d: %s", r.code, first_line(r.err .. "\n" .. r.out))
  else
    good, detail = w.check(ctx, phase, r.out, peer)
    if not good then detail = "state differs: " .. detail end
  end
  progress("%8.3f s  %s\n", r.wall, good and detail or ("FAIL " .. detail))
  if self_timed then
    -- the command timed its phases itself (Mininet: one process for both)
    for _, ph in ipairs(w.phases) do
      local t = tonumber(kv(r.out, "time:" .. ph))
      if t or not good then
        record(wn, ph, peer, rep, { wall = t, rss = r.rss }, good, detail)
        slot(wn, ph, peer).self_timed = true
      elseif not slot(wn, ph, peer).na then
        slot(wn, ph, peer).na = "n/a (not measured)"
      end
    end
    return good
  end
  record(wn, phase, peer, rep, r, good, detail)
  if good and w.settle and phase == "down" then
    local s = timed(w.settle(ctx))
    local sr = { wall = r.wall + s.wall, user = r.user, sys = r.sys, rss = r.rss }
    record(wn, "down+settle", peer, rep, sr, s.code == 0,
           s.code == 0 and "settled" or ("did not settle: " .. first_line(s.err)))
  end
  return good
end

-- run one peer once on one workload (all its phases); fresh namespaces
-- unless the workload shares one read-only fixture
local gave_up = {}  -- gave_up[wn .. peer]: hit the timeout, not run again

local function run_peer(wn, w, peer, rep, shared_ctx)
  if gave_up[wn .. peer] then return end
  local ctx = shared_ctx or { name = fmt("%sw%d-%s-%d", PFX, wn, peer, rep) }
  ctx.tag = fmt("w%d-%s-%d", wn, peer, rep)
  ctx.timed_out = nil
  local ok, err = pcall(function()
    if not shared_ctx then w.setup(ctx) end
    for _, phase in ipairs(w.phases) do
      -- a failed phase leaves a state the next phase of a fresh workload
      -- cannot start from; phases on a shared fixture are independent
      if not run_phase(wn, w, peer, rep, ctx, phase) and not shared_ctx then break end
    end
  end)
  if not shared_ctx then pcall(w.teardown, ctx) end
  if ctx.timed_out then gave_up[wn .. peer] = true end
  if not ok then
    if is_interrupt(err) then error("interrupted", 0) end
    progress("\n  w%d %s rep %d: %s\n", wn, peer, rep, tostring(err))
    local s = slot(wn, w.phases[1], peer)
    s.fails[#s.fails + 1] = tostring(err)
  end
end

------------------------------------------------------------------------------
-- the table

local function median(t)
  local n = #t
  if n == 0 then return nil end
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

local function stats(samples, key)
  local v = {}
  for _, r in ipairs(samples) do if r[key] then v[#v + 1] = r[key] end end
  table.sort(v)
  return median(v), v[1], v[#v]
end

local function secs(x)
  if not x then return "-" end
  if x < 0.01 then return fmt("%.4f", x) end
  if x < 100 then return fmt("%.3f", x) end
  return fmt("%.1f", x)
end

local function machine()
  local cpu = readfile("/proc/cpuinfo"):match("model name%s*:%s*([^\n]+)") or "?"
  local _, kernel = sh("uname -r")
  local load = readfile("/proc/loadavg"):match("^(%S+ %S+ %S+)") or "?"
  local _, ncpu = sh("nproc")
  local mem = readfile("/proc/meminfo"):match("MemTotal:%s*(%d+)")
  local _, ipv = sh("ip -V")
  return fmt("%s, %s cores, %.0f GiB; kernel %s; %s; load average at start %s",
             cpu, ncpu:gsub("%s", ""), (tonumber(mem) or 0) / 1048576, kernel:gsub("%s+$", ""),
             ipv:gsub("%s+$", ""), load)
end

local function print_table(header)
  local out = {}
  local function p(...) out[#out + 1] = fmt(...) end
  p("%s", header)
  p("times in seconds (wall clock of the whole command, process start included; see workload 0):")
  p("median (min-max) of the runs that passed; user/sys are medians; RSS is the peak over runs;")
  p("vnet/peer = vnet median / peer median (below 1: vnet is faster); on the fields rows, their median / raw C median")
  p("")
  p("%-14s %-11s %9s %9s %9s %8s %8s %8s %9s  %s", "phase", "peer", "median", "min", "max",
    "user", "sys", "RSS MB", "vnet/peer", "state")
  local problems = {}
  for _, wn in ipairs(WORKLOADS) do
    local w = W[tonumber(wn)]
    local rw = results[tonumber(wn)]
    if w and rw then
      p("%s", w.title())
      local phases = {}
      for _, ph in ipairs(w.phases) do phases[#phases + 1] = ph end
      if w.settle then
        -- "down+settle" is derived; keep it next to "down"
        local seen = {}
        for _, ph in ipairs(phases) do seen[ph] = true end
        if not seen["down+settle"] then phases[#phases + 1] = "down+settle" end
      end
      for _, ph in ipairs(phases) do
        local rp = rw[ph] or {}
        local vmed = rp.vnet and stats(rp.vnet.samples, "wall")
        local first = true
        for _, peer in ipairs(PEERS) do
          local s = rp[peer]
          local label = first and ph or ""
          if s then
            first = false
            local nrun = #s.samples + #s.fails
            if #s.samples > 0 then
              local med, lo, hi = stats(s.samples, "wall")
              local um = stats(s.samples, "user")
              local sm = stats(s.samples, "sys")
              local _, _, rss = stats(s.samples, "rss")
              local ratio = "-"
              local raw = rp.raw and #rp.raw.samples > 0 and stats(rp.raw.samples, "wall")
              if peer == "vnet-fields" or peer == "vnet-kept" then
                -- its own ratio, to raw C (the vnet column compares route objects)
                if raw and med and raw > 0 then ratio = fmt("%.2f/raw", med / raw) end
              elseif peer ~= "vnet" and peer ~= "vnet-plain" and vmed and med and med > 0 then
                ratio = fmt("%.2f", vmed / med)
              end
              local state = (#s.fails == 0 and "ok " or "FAIL ") .. fmt("%d/%d", #s.samples, nrun)
              if s.self_timed then state = state .. " (self-timed)" end
              p("%-14s %-11s %9s %9s %9s %8s %8s %8s %9s  %s", label, PEER_LABEL[peer], secs(med),
                secs(lo), secs(hi), secs(um), secs(sm), rss and fmt("%.1f", rss / 1024) or "-",
                ratio, state)
            elseif #s.fails > 0 then
              p("%-14s %-11s %s", label, PEER_LABEL[peer], fmt("FAIL 0/%d", nrun))
            elseif s.na then
              p("%-14s %-11s %s", label, PEER_LABEL[peer], s.na)
            end
            if #s.fails > 0 then
              problems[#problems + 1] = fmt("w%s %s %s: %s", wn, ph, PEER_LABEL[peer], s.fails[1])
            end
          end
        end
      end
    end
  end
  if #problems > 0 then
    p("")
    p("problems (first failure of each row):")
    for _, l in ipairs(problems) do p("  %s", l) end
  end
  p("")
  p("samples: %s", OUT)
  return table.concat(out, "\n")
end

------------------------------------------------------------------------------
-- main

local function main()
  local header = fmt("vnet benchmarks (issue 5), %s, scale %s, %d reps\nmachine: %s",
                     os.date("%Y-%m-%d %H:%M"), SCALE, REPS, machine())
  progress("%s\n", header)
  for _, peer in ipairs(PEERS) do
    if not PEER_LABEL[peer] then error("unknown peer " .. peer .. " in BENCH_PEERS", 0) end
    if avail[peer] ~= true then progress("%s: %s\n", peer, avail[peer]) end
  end
  ns_add(SENTINEL)
  for _, wns in ipairs(WORKLOADS) do
    local wn = tonumber(wns)
    local w = W[wn] or error("unknown workload " .. wns .. " in BENCH_WORKLOADS", 0)
    progress("%s\n", w.title())
    for _, peer in ipairs(PEERS) do
      if avail[peer] ~= true then
        for _, ph in ipairs(w.phases) do slot(wn, ph, peer).na = avail[peer] end
      end
    end
    local shared
    if w.shared then
      shared = { name = fmt("%sw%d", PFX, wn) }
      progress("  setup ...\n")
      w.setup(shared)
    end
    local ok, err = pcall(function()
      for rep = 1, REPS do
        -- rotate the order of the peers from one repetition to the next
        for k = 0, #PEERS - 1 do
          local peer = PEERS[(rep - 1 + k) % #PEERS + 1]
          if avail[peer] == true then run_peer(wn, w, peer, rep, shared) end
        end
      end
    end)
    if shared then pcall(w.teardown, shared) end
    if not ok then error(err, 0) end
  end
  local text = print_table(header)
  print(text)
  tsv:close()
  local f = io.open((OUT:gsub("%.tsv$", "") .. ".txt"), "w")
  if f then f:write(text, "\n") f:close() end
end

local ok, err = xpcall(main, function(e)
  if is_interrupt(e) then return "interrupted" end
  return debug.traceback(e)
end)
ns_purge(PFX, interrupted)
sh("ip netns del " .. q(SENTINEL))
if not ok then
  io.stderr:write("bench: ", tostring(err), "\n")
  if #results > 0 or next(results) then
    io.stderr:write("partial results:\n", print_table("(interrupted)"), "\n")
  end
  os.exit(interrupted and 130 or 1)
end
