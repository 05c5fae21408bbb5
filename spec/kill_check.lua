-- kill -9 during a topology's `up`, at random instants: whatever is left,
-- `down` in a new process must find and remove, and `up` must work again.
-- Run by the fuzz tier of `make test` (not by busted), as root:
--
--   lua5.4 spec/kill_check.lua [runs] [seed]     (default: 30 runs, seed 1)
--
-- (The build of the interpreter's flavour is used, build/lua5.4/ or
-- build/luajit/, unless LUA_CPATH says otherwise. No run starts once 70 s
-- have passed, VNET_KILL_BUDGET to change: the count printed is of the
-- runs done.)
--
-- Each run brings up (in a child process) one of two topologies, kills it
-- with SIGKILL after a delay drawn (seeded) from the whole duration of its
-- `up` (measured first), runs `down` in a new process, and checks with
-- iproute2 and /proc/mounts that nothing of the topology is left: no file
-- or mount under /run/netns with its names, no link, route or rule of it in
-- the namespaces it does not own, while the look-alikes a user made there
-- survive. Then `up` and `down` run once more, whole, and are checked too.
--   star   a switch and 30 hosts cabled to it
--   ext    hosts cabled to the caller's own namespace and to an existing
--          one, a switch (bridge) in the caller's namespace, a cable
--          between the two external namespaces, a tap, a route and a rule there
-- Everything happens in a world of its own: the script runs itself again
-- under `unshare --mount --net` with an empty tmpfs on /run/netns, so "the
-- caller's namespace" is a scratch one and nothing can outlive the run.
-- Prints "kill_check: N runs, N leftovers" and exits 1 if any run left
-- something (each one is described on stderr).
package.path = "./?.lua;lua/?.lua;" .. package.path
if not (os.getenv("LUA_CPATH") or os.getenv("LUA_CPATH_5_4") or os.getenv("LUA_CPATH_5_3")) then
  -- the build of this interpreter's flavour, as `make` leaves it
  local flavour = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
  package.cpath = "build/" .. flavour .. "/?.so;" .. package.cpath
end

local HOSTS = 30

local function build(topo, which)
  local net
  if which == "star" then
    net = topo.new{ name = "ks" }
    local sw = net:switch("sw", { subnet = "10.1.0.0/24" })
    for i = 1, HOSTS do net:link(net:host("h" .. i), sw) end
  else
    net = topo.new{ name = "kx" }
    local X = net:external("X")               -- the caller's own namespace
    local E = net:external("E", "kc-ext")     -- an existing namespace
    local xs = net:switch("xs", { at = X, ip = "10.2.0.254/24" })
    local a, b, c, d = net:host("a"), net:host("b"), net:host("c"), net:host("d")
    net:link(a, X, { a = "10.3.0.2/24", X = "10.3.0.1/24" })
    net:link(b, xs, { b = "10.2.0.2/24" })
    net:link(c, xs, { c = "10.2.0.3/24" })
    net:link(d, E, { subnet = "10.5.0.0/30" })
    net:link(E, xs, { E = "10.2.0.9/24" })
    net:iface(X, "kxt0", { kind = "tap" })
    net:route(X, "10.4.0.0/16", "10.3.0.2")
    net:rule(X, { from = "10.4.0.0/16", table = 104, priority = 1004 })
    net:route(a, "default", X)
  end
  return net
end

-- ---- the child: one command of one topology --------------------------------

if arg[1] == "--child" then
  local topo = require "vnet.topology"
  local net = build(topo, arg[3])
  local ok, msg
  if arg[2] == "up" then ok, msg = net:up() else ok, msg = net:down() end
  if not ok then io.stderr:write(tostring(msg), "\n") end
  os.exit(ok and 0 or 1)
end

local function quote(s)
  s = tostring(s)
  if s:match("^[%w@%%+=:,./-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local interp = arg[-1] or "lua5.4"
local lua_cmd
do
  local p, c = quote(package.path), quote(package.cpath)
  lua_cmd = ("LUA_PATH=%s LUA_CPATH=%s "):format(p, c)
  local v = not rawget(_G, "jit") and _VERSION:match("^Lua (%d+)%.(%d+)$")
  if v then
    local sfx = _VERSION:gsub("^Lua (%d+)%.(%d+)$", "_%1_%2")
    lua_cmd = lua_cmd .. ("LUA_PATH%s=%s LUA_CPATH%s=%s "):format(sfx, p, sfx, c)
  end
  lua_cmd = lua_cmd .. quote(interp) .. " " .. quote(arg[0])
end

local runs = tonumber(arg[1] or "") or 30
-- no run starts after this many seconds (VNET_KILL_BUDGET), so that the
-- whole check stays under 90 s on a busy machine too
local BUDGET = tonumber(os.getenv("VNET_KILL_BUDGET") or "") or 70
local seed = tonumber(arg[2] or "") or 1

-- ---- into a world of its own -------------------------------------------------

if os.getenv("VNET_KILL_WORLD") ~= "1" then
  local script = table.concat({
    "set -e", "mkdir -p /run/netns", "mount -t tmpfs vnet-kill-check /run/netns",
    "ip link set lo up",
    "VNET_KILL_WORLD=1 " .. lua_cmd .. " " .. runs .. " " .. seed }, "\n")
  local ok, how, code = os.execute("unshare --mount --net --propagation private sh -c "
                                   .. quote(script))
  if type(ok) == "number" then code = ok ~= 0 and 1 or 0   -- Lua 5.1
  elseif how ~= "exit" then code = 1 end
  os.exit(code == 0 and 0 or 1)
end

local json = require "dkjson"

local function sh(cmd)
  local p = assert(io.popen("{ " .. cmd .. "\n} 2>&1; echo \"rc=$?\""))
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, (out:gsub("rc=%d+%s*$", ""))
end

local function must(cmd)
  local rc, out = sh(cmd)
  if rc ~= 0 then error("`" .. cmd .. "` failed: " .. out, 2) end
  return out
end

local function ipj(ns, args)
  local out = must("ip -j -d " .. (ns and ("-n " .. ns .. " ") or "") .. args)
  if out:match("^%s*$") then return {} end
  return assert(json.decode(out))
end

-- the user's own things, which every down must leave alone: a veth, a
-- route and a rule in the caller's namespace, a link in the existing one,
-- and namespaces named with each topology's prefix
must("ip netns add kc-ext && ip -n kc-ext link set lo up")
must("ip link add keep0 type veth peer name keep1 && ip link set keep0 up && ip link set keep1 up"
     .. " && ip addr add 10.0.4.100/24 dev keep0"
     .. " && ip route add 10.99.0.0/16 via 10.0.4.200 proto static"
     .. " && ip rule add from 10.0.99.0/24 table 99 priority 99")
must("ip -n kc-ext link add keep2 type veth peer name keep3")
must("ip netns add ks-zz && ip netns add kx-zz && ip -n kx-zz link set lo up")

local function linkset(ns)
  local t = {}
  for _, l in ipairs(ipj(ns, "link show")) do t[#t + 1] = l.ifname end
  table.sort(t)
  return table.concat(t, " ")
end

local function ruleset()
  local t = {}
  for _, fam in ipairs({ "-4", "-6" }) do
    for _, r in ipairs(ipj(nil, fam .. " rule show")) do
      local kv = {}
      for k, v in pairs(r) do kv[#kv + 1] = k .. "=" .. tostring(v) end
      table.sort(kv)
      t[#t + 1] = table.concat(kv, " ")
    end
  end
  table.sort(t)
  return table.concat(t, "\n")
end

local base = { links = linkset(nil), ext = linkset("kc-ext"), rules = ruleset() }

local function proto_of(which)
  return build(require "vnet.topology", which).proto
end
local PROTO = { star = proto_of("star"), ext = proto_of("ext") }
local NAME = { star = "ks", ext = "kx" }

-- what is left of topology `which`: a list of descriptions
local function leftovers(which)
  local left = {}
  local name = NAME[which]
  local function ours(n) return n == name or (n:sub(1, #name + 1) == name .. "-" and n ~= name .. "-zz") end
  for n in must("ls -A /run/netns"):gmatch("[^\n]+") do
    if ours(n) then left[#left + 1] = "/run/netns/" .. n end
  end
  for n in must("ip netns list"):gmatch("([^%s]+)[^\n]*\n?") do
    if ours(n) then left[#left + 1] = "ip netns list: " .. n end
  end
  for line in io.lines("/proc/mounts") do
    local mp = line:match("^%S+ (%S+)")
    local n = mp and mp:match("^/run/netns/(.+)$")
    if n and ours(n) then left[#left + 1] = "mount " .. mp end
  end
  for _, z in ipairs({ "ks-zz", "kx-zz" }) do
    if sh("ip -n " .. z .. " link show lo >/dev/null") ~= 0 then
      left[#left + 1] = "the user's namespace " .. z .. " is gone"
    end
  end
  local links, ext = linkset(nil), linkset("kc-ext")
  if links ~= base.links then left[#left + 1] = "links here: " .. links end
  if ext ~= base.ext then left[#left + 1] = "links in kc-ext: " .. ext end
  for _, fam in ipairs({ "-4", "-6" }) do
    for _, r in ipairs(ipj(nil, fam .. " route show table all")) do
      if tostring(r.protocol) == tostring(PROTO[which]) then
        left[#left + 1] = "route " .. tostring(r.dst) .. " proto " .. tostring(r.protocol)
      end
    end
  end
  local ok = false
  for _, r in ipairs(ipj(nil, "-4 route show table all")) do
    if r.dst == "10.99.0.0/16" and r.protocol == "static" then ok = true end
  end
  if not ok then left[#left + 1] = "the user's route 10.99.0.0/16 is gone" end
  if ruleset() ~= base.rules then left[#left + 1] = "rules differ: " .. ruleset() end
  return left
end

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("*l"))
  p:close()
  return t
end

local function child(cmd, which)
  return sh(lua_cmd .. " --child " .. cmd .. " " .. which)
end

-- cmd with SIGKILL after `delay` seconds; -> rc (137 when it was killed)
local function killed(cmd, which, delay)
  local rc = sh(("%s --child %s %s >/dev/null 2>&1 & p=$!; sleep %.4f; kill -9 $p 2>/dev/null; wait $p")
                :format(lua_cmd, cmd, which, delay))
  return rc
end

-- ---- measure, then kill ------------------------------------------------------

local started = now()
local dur, ddur = {}, {}
for _, which in ipairs({ "star", "ext" }) do
  local total, dtotal = 0, 0
  for _ = 1, 2 do
    local t0 = now()
    local rc, out = child("up", which)
    local t1 = now()
    total = total + (t1 - t0)
    if rc ~= 0 then error("kill_check: up of " .. which .. " failed: " .. out) end
    rc, out = child("down", which)
    dtotal = dtotal + (now() - t1)
    if rc ~= 0 then error("kill_check: down of " .. which .. " failed: " .. out) end
  end
  dur[which], ddur[which] = total / 2, dtotal / 2
  local left = leftovers(which)
  if #left > 0 then error("kill_check: a whole up and down of " .. which .. " left: "
                          .. table.concat(left, "; ")) end
  io.stderr:write(("kill_check: up of %s takes %.3f s, down %.3f s\n"):format(which, dur[which], ddur[which]))
end

math.randomseed(seed)
local bad, kills, badof = 0, 0, { star = 0, ext = 0 }
local done = 0
for i = 1, runs do
  if now() - started > BUDGET then
    io.stderr:write(("kill_check: stopped after %d runs: the %d s budget is spent (a busy machine?)\n")
                    :format(done, BUDGET))
    break
  end
  done = i
  local which = i % 2 == 1 and "star" or "ext"
  local delay = math.random() * dur[which]
  local rc = killed("up", which, delay)
  if rc == 137 then kills = kills + 1 end
  -- every other pair of runs, the first down is killed too
  local ddelay = i % 4 >= 2 and math.random() * ddur[which]
  if ddelay then killed("down", which, ddelay) end
  local problems = {}
  local drc, dout = child("down", which)
  if drc ~= 0 then problems[#problems + 1] = "down failed: " .. dout end
  for _, l in ipairs(leftovers(which)) do problems[#problems + 1] = l end
  if #problems == 0 then
    local urc, uout = child("up", which)
    if urc ~= 0 then problems[#problems + 1] = "up after down failed: " .. uout end
    drc, dout = child("down", which)
    if drc ~= 0 then problems[#problems + 1] = "second down failed: " .. dout end
    for _, l in ipairs(leftovers(which)) do problems[#problems + 1] = "after up again: " .. l end
  end
  if #problems > 0 then
    bad = bad + 1
    badof[which] = badof[which] + 1
    io.stderr:write(("kill_check: run %d (%s, up killed at %.4f s, rc %s%s):\n  %s\n"):format(
      i, which, delay, tostring(rc), ddelay and (", down killed at %.4f s"):format(ddelay) or "",
      table.concat(problems, "\n  ")))
    -- clear the way for the next run
    for n in must("ls -A /run/netns"):gmatch("[^\n]+") do
      if n:match("^k[sx]%-") and n ~= "ks-zz" and n ~= "kx-zz" or n == "ks" or n == "kx" then
        sh("ip netns pids " .. n .. " | xargs -r kill -9; ip netns delete " .. n
           .. " || { umount /run/netns/" .. n .. "; rm -f /run/netns/" .. n .. "; }")
      end
    end
    for l in linkset(nil):gmatch("%S+") do
      if not (" " .. base.links .. " "):find(" " .. l .. " ", 1, true) then sh("ip link del " .. l) end
    end
    for l in linkset("kc-ext"):gmatch("%S+") do
      if not (" " .. base.ext .. " "):find(" " .. l .. " ", 1, true) then sh("ip -n kc-ext link del " .. l) end
    end
    sh("ip rule del priority 1004")
    sh("ip route flush proto " .. PROTO.ext .. " table all")
  end
end
io.stderr:write(("kill_check: seed %d, %d of %d runs killed during up; leftovers: star %d, ext %d\n")
                :format(seed, kills, done, badof.star, badof.ext))
print(("kill_check: %d runs, %d leftovers"):format(done, bad))
os.exit(bad == 0 and 0 or 1)
