--- Shared helpers for the specs: scratch namespaces that are always removed,
-- iproute2's JSON output as the independent oracle, kernel feature probes,
-- and child Lua processes run the way the suite itself runs.
--
--   local H = require "spec.helper"
--   local ns, name = H.ns("link")        -- a fresh namespace, removed by H.cleanup()
--   local links = H.ip(name, "link", "show")   -- `ip -j -d -n NAME link show` as Lua
--   local l, a = unpack(H.ipb(name, { "link show", "addr show" }))  -- one `ip -batch`
--   H.it_kinds({ "vlan" }, "desc", fn)   -- pending (or failing in the VM tier) without vlan
--   local code, out, err = H.run("x.lua", { "up" })   -- with this suite's interpreter
--   local r = H.world({ H.lua_cmd() .. " examples/x.lua", "ip netns list" })
--   teardown(H.cleanup)  (or after_each)
--
-- Every `ip` (or other) process costs far more than the work it does, above
-- all in the VM tier, which runs under software emulation: ask `ip` once for
-- everything a check needs (H.ipb, H.snapshot) rather than once per item.
local json = require "dkjson"
local busted = require "busted"
local vnet = require "vnet"

local H = { vnet = vnet }

local function pid()
  local f = assert(io.open("/proc/self/stat"))
  local s = f:read("*l")
  f:close()
  return s:match("^(%d+)")
end

--- The pid of this Lua process.
H.pid = tonumber(pid())

-- Every scratch namespace carries this prefix; cleanup removes all of them.
H.prefix = "vnt" .. H.pid .. "-"
local counter = 0

--- True when the suite runs in the full-kernel VM tier, where every kind must
-- exist (a missing one is a failure, not a pending test).
H.full_kernel = os.getenv("VNET_FULL_KERNEL") == "1"

--- Quotes s for /bin/sh.
function H.quote(s)
  s = tostring(s)
  if s:match("^[%w@%%+=:,./-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The shell words that run a Lua script the way this suite runs: the same
-- interpreter (lua5.4, luajit, or the AddressSanitizer host of `make test`)
-- with the same module paths, e.g. H.lua_cmd() .. " examples/x.lua up".
-- (The versioned variables are set too: lua5.4 prefers LUA_CPATH_5_4 to
-- LUA_CPATH, so one inherited from the caller would pick another build.)
function H.lua_cmd()
  local interp = arg and arg[-1] or "lua5.4"
  local p, c = H.quote(package.path), H.quote(package.cpath)
  local env = ("LUA_PATH=%s LUA_CPATH=%s "):format(p, c)
  local v = not rawget(_G, "jit") and _VERSION:match("^Lua (%d+)%.(%d+)$")
  if v then
    local sfx = _VERSION:gsub("^Lua (%d+)%.(%d+)$", "_%1_%2")
    env = env .. ("LUA_PATH%s=%s LUA_CPATH%s=%s "):format(sfx, p, sfx, c)
  end
  return env .. H.quote(interp)
end

--- Runs a shell command; returns ok, stdout+stderr, exit status. (The status
-- is echoed because Lua 5.1's popen:close() does not report it.)
function H.sh(cmd)
  local p = assert(io.popen("{ " .. cmd .. "\n} 2>&1; echo \"vnet-rc=$?\""))
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("vnet%-rc=(%d+)%s*$"))
  out = out:gsub("vnet%-rc=%d+%s*$", "")
  return rc == 0, out, rc
end

--- The contents of the file at path, or nil when it cannot be read.
function H.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
local slurp = H.slurp

--- The pids of processes whose command line contains marker (digits and
-- a dot; the pattern is written so that grep's own command line does not
-- match).
function H.procs_with(marker)
  local re = marker:sub(1, 1) .. "[" .. marker:sub(2, 2) .. "]" .. marker:sub(3):gsub("%.", "\\.")
  local _, out = H.sh("grep -l -E -- " .. H.quote(re) .. " /proc/[0-9]*/cmdline 2>/dev/null")
  local pids = {}
  for p in out:gmatch("/proc/(%d+)/cmdline") do pids[#pids + 1] = tonumber(p) end
  return pids
end

--- The children of this process (running or zombie), read from /proc
-- without starting one.
function H.children()
  local s = assert(slurp(("/proc/%d/task/%d/children"):format(H.pid, H.pid)))
  local kids = {}
  for p in s:gmatch("%d+") do kids[#kids + 1] = tonumber(p) end
  return kids
end

--- Builds spec/reaper.c (a preload whose SIGCHLD handler reaps every child
-- with waitpid(-1), as nginx's does, and prints "reaped N" at exit) and
-- returns the environment that preloads it into a Lua run by H.run, and
-- the .so's path (the caller removes it).
function H.reaper()
  local so = ("/tmp/vnet-reaper-%d-%d.so"):format(H.pid, math.random(1e9))
  local ok, out = H.sh("cc -shared -fPIC -o " .. so .. " spec/reaper.c")
  assert(ok, out)
  return "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=" .. so, so
end

--- The number of this process's open descriptors, counted through a file:
-- io.popen's own pipe would be in the count or not, depending on the
-- instant ls reads the directory.
function H.fd_count()
  local tmp = os.tmpname()
  os.execute("ls /proc/" .. H.pid .. "/fd > " .. tmp)
  local n = 0
  for _ in io.lines(tmp) do n = n + 1 end
  os.remove(tmp)
  return n
end

--- Runs a Lua script with H.lua_cmd(): H.run(path, args, env) -> exit status,
-- stdout, stderr. args is a list of strings; env, if given, is a string of
-- shell assignments put before the command ("BREAK=1").
function H.run(path, args, env)
  local q = {}
  for i, a in ipairs(args or {}) do q[i] = H.quote(a) end
  local err = os.tmpname()
  local p = assert(io.popen((env and env .. " " or "") .. H.lua_cmd() .. " " .. H.quote(path)
                            .. " " .. table.concat(q, " ") .. " 2>" .. err
                            .. " </dev/null; echo \"vnet-rc=$?\""))
  local out = p:read("*a")
  p:close()
  local e = slurp(err) or ""
  os.remove(err)
  return tonumber(out:match("vnet%-rc=(%d+)%s*$")), (out:gsub("vnet%-rc=%d+%s*$", "")), e
end

-- decodes the JSON values of s one after another
local function decode_all(s, what)
  local vals, pos = {}, 1
  while true do
    local from = s:find("%S", pos)
    if not from then break end
    local v, nextpos, err = json.decode(s, from, json.null)
    if err then error(what .. ": bad JSON: " .. err .. "\n" .. s, 3) end
    vals[#vals + 1] = v
    pos = nextpos
  end
  return vals
end

-- Runs `TOOL -j [-n ns] args...` and decodes its JSON; raises on failure.
local function tool_json(tool, ns, args)
  if type(args[1]) == "table" then args = args[1] end
  local q = {}
  for i, a in ipairs(args) do q[i] = H.quote(a) end
  local cmd = tool .. " -j " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. table.concat(q, " ")
  -- stderr apart: `ip netns list-id` warns on stderr about namespaces that
  -- other programs are deleting while it walks /run/netns
  local errf = os.tmpname()
  local ok, out = H.sh(cmd .. " 2>" .. errf)
  local e = slurp(errf) or ""
  os.remove(errf)
  if not ok then error("`" .. cmd .. "` failed: " .. out .. e, 3) end
  if out:match("^%s*$") then return {} end
  local v, _, err = json.decode(out, 1, json.null)
  if err then error("`" .. cmd .. "`: bad JSON: " .. err .. "\n" .. out, 3) end
  return v
end

--- Runs `tc -j [-n ns] args...` and decodes its JSON; args may be one
-- string of words ("-s qdisc show dev a"). Raises on failure.
function H.tc(ns, ...)
  local args = { ... }
  if #args == 1 and type(args[1]) == "string" then
    local words = args[1]
    args = {}
    for w in words:gmatch("%S+") do args[#args + 1] = w end
  end
  return tool_json("tc", ns, args)
end

--- Runs `ip -j -d [-n ns] args...` and decodes its JSON. Raises on failure.
-- args may be strings or one table; pass ns = nil for the caller's namespace.
function H.ip(ns, ...)
  return tool_json("ip -d", ns, { ... })
end

--- The same with `bridge -j [-n ns] args...`.
function H.bridge(ns, ...)
  return tool_json("bridge", ns, { ... })
end

--- A fresh namespace (see H.ns) holding veth va/vb, up, with 10.0.0.1/24 and
-- 2001:db8:a::1/64 on va, 10.0.1.1/24 and 2001:db8:b::1/64 on vb (no DAD,
-- no link-local addresses): the network of the route specs. -> ns, name
function H.two_subnets(tag)
  local ns, name = H.ns(tag)
  H.ipdo_batch(name, {
    "link add va type veth peer name vb", "link set va addrgenmode none",
    "link set vb addrgenmode none", "link set lo up", "link set va up", "link set vb up",
    "addr add 10.0.0.1/24 dev va", "addr add 10.0.1.1/24 dev vb",
    "addr add 2001:db8:a::1/64 dev va nodad", "addr add 2001:db8:b::1/64 dev vb nodad",
  })
  return ns, name
end

--- The values an iterator gives, as a list.
function H.collect(iter)
  local t = {}
  for v in iter do t[#t + 1] = v end
  return t
end

-- " <<'VNET_EOF'" and the lines: feeds them to a command's stdin (put any
-- other redirection before it)
local function heredoc(lines)
  return " <<'VNET_EOF'\n" .. table.concat(lines, "\n") .. "\nVNET_EOF"
end

--- Runs several `ip` commands in one process: `ip -j -d [-n ns] -batch -`
-- with one command a line ("link show", "route show table all root ::/0"),
-- and returns the list of their decoded JSON results, in order. Raises on
-- any failure. (Batch lines take no options: select the IPv6 routes with
-- `root ::/0`, the IPv4 ones with `root 0.0.0.0/0`.)
function H.ipb(ns, cmds)
  local cmd = "ip -j -d " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. "-batch -"
  local ok, out = H.sh(cmd .. heredoc(cmds))
  local what = "`" .. cmd .. "` of " .. table.concat(cmds, "; ")
  if not ok then error(what .. " failed: " .. out, 2) end
  local vals = decode_all(out, what)
  if #vals ~= #cmds then
    error(what .. ": " .. #cmds .. " commands gave " .. #vals .. " results:\n" .. out, 2)
  end
  return vals
end

--- Runs `ip [-n ns] args...` (not JSON) and raises on failure: for making
-- objects with iproute2 that vnet's readers are then checked against.
function H.ipdo(ns, ...)
  local q = {}
  for i, a in ipairs({ ... }) do q[i] = H.quote(a) end
  local cmd = "ip " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. table.concat(q, " ")
  local ok, out = H.sh(cmd)
  if not ok then error("`" .. cmd .. "` failed: " .. out, 2) end
  return out
end

--- Runs many `ip` commands that make objects in one process (`ip -batch`,
-- stopping at the first failure, which raises naming the line).
function H.ipdo_batch(ns, cmds)
  local cmd = "ip " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. "-batch -"
  local ok, out = H.sh(cmd .. heredoc(cmds))
  if not ok then error("`" .. cmd .. "` of " .. table.concat(cmds, "; ") .. " failed: " .. out, 2) end
  return out
end

--- The link named name in ns as `ip -j -d link show` sees it, or nil.
function H.iplink(ns, name)
  for _, l in ipairs(H.ip(ns, "link", "show")) do
    if l.ifname == name then return l end
  end
end

--- The links of ns as `ip -j -d link show` sees them, by name.
function H.iplinks(ns)
  local t = {}
  for _, l in ipairs(H.ip(ns, "link", "show")) do t[l.ifname] = l end
  return t
end

--- The names `ip netns list` shows, sorted.
function H.netns_list()
  local ok, out = H.sh("ip netns list")
  assert(ok, out)
  local t = {}
  for n in out:gmatch("([^%s]+)[^\n]*\n?") do t[#t + 1] = n end
  table.sort(t)
  return t
end

--- The namespaces named name or name-* (a topology's), sorted.
function H.leftovers(name)
  local left = {}
  for _, n in ipairs(H.netns_list()) do
    if n == name or n:sub(1, #name + 1) == name .. "-" then left[#left + 1] = n end
  end
  return left
end

local tc_probed = {}
local PROBE = {
  qdisc = "tc qdisc add dev pa root %s",
  filter = "tc qdisc add dev pa ingress && tc filter add dev pa parent ffff: prio 1 %s",
  action = "tc qdisc add dev pa ingress && tc filter add dev pa parent ffff: prio 1 "
           .. "u32 match u32 0 0 action %s",
}
local PROBE_ARGS = {
  ["qdisc tbf"] = "tbf rate 1mbit burst 10kb latency 10ms",
  -- matchall and basic take no filter without options (the kernel's EINVAL)
  ["filter u32"] = "u32 match u32 0 0", ["filter flower"] = "protocol ip flower",
  ["filter matchall"] = "protocol all matchall classid 1:1",
  ["filter basic"] = "protocol all basic classid 1:1",
  ["filter fw"] = "protocol all handle 1 fw classid 1:1",
  ["action mirred"] = "mirred egress redirect dev pb", ["action gact"] = "gact pass",
  ["action skbedit"] = "skbedit mark 1",
}
--- Why the running kernel cannot run the tc kinds needs (e.g. { "qdisc
-- netem", "action gact" }), probed once each in a scratch network
-- namespace; nil when it can.
function H.tc_lacks(needs)
  for _, n in ipairs(needs) do
    if tc_probed[n] == nil then
      local what, k = n:match("^(%a+) (.+)$")
      local cmd = PROBE[what]:format(PROBE_ARGS[n] or (what == "filter" and "protocol all " or "") .. k)
      local ok, out = H.sh("unshare --net sh -c " .. H.quote(
        "ip link add pa type veth peer name pb && " .. cmd))
      tc_probed[n] = ok or ("the running kernel has no " .. n .. ": " .. out:gsub("%s+$", ""))
    end
    if tc_probed[n] ~= true then return tc_probed[n] end
  end
end

--- it() for a test that builds C (H.reaper): pending without a C compiler.
function H.it_cc(desc, fn)
  if H.sh("command -v cc") then return busted.it(desc, fn) end
  return busted.pending(desc .. " [no C compiler]")
end

--- A scratch namespace with bridge br0 (link_add options bropts) and veth
-- v0/v1, v1 a port of br0; returns ns, name, br, v1.
function H.bridge_port(tag, bropts)
  local ns, name = H.ns(tag)
  local o = { name = "br0", kind = "bridge", up = true }
  for k, v in pairs(bropts or {}) do o[k] = v end
  local br = assert(ns:link_add(o))
  assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
  assert(assert(ns:link("v1")):set{ master = br, up = true })
  return ns, name, br, assert(ns:link("v1"))
end

--- Writes Lua source to a temporary file (finding this tree's modules) and
-- returns its path.
function H.lua_script(src)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write('package.path = "./?.lua;lua/?.lua;" .. package.path\n', src)
  f:close()
  return path
end

--- Runs Lua source as a child process (prefix: shell words put before it);
-- -> exit code, stdout, stderr.
function H.run_src(src, prefix)
  local path = H.lua_script(src)
  local code, out, err = H.run(path, {}, prefix)
  os.remove(path)
  return code, out, err
end

--- The changes of a topology's plan as "op what" strings ("create address
-- 10.0.0.1/24 on a:eth0"...), in order.
function H.plan_ops(plan)
  local t = {}
  for _, op in ipairs(plan) do t[#t + 1] = op.op .. " " .. op.what end
  return t
end

--- A fresh named namespace (made with vnet) whose name starts with H.prefix.
-- Returns the handle and its name.
function H.ns(tag)
  counter = counter + 1
  local name = H.prefix .. (tag or "ns") .. counter
  local ns = assert(vnet.netns.add(name))
  return ns, name
end

--- A unique name with the scratch prefix, not yet created.
function H.name(tag)
  counter = counter + 1
  return H.prefix .. (tag or "x") .. counter
end

--- Removes every namespace this process made (by prefix, so ones made by
-- `ip` in a test, or by topologies named with H.name, are removed too), in
-- one `ip -batch`. Safe to call many times.
function H.cleanup()
  collectgarbage()
  local doomed = {}
  for name in vnet.netns.list() do
    if name:sub(1, #H.prefix) == H.prefix then doomed[#doomed + 1] = "netns delete " .. name end
  end
  if #doomed > 0 then H.sh("ip -force -batch - >/dev/null" .. heredoc(doomed)) end
end

-- A run of the suite that was killed (a tier's time limit, ^C) could not
-- clean up: its namespaces carry the prefix of a pid that no longer exists.
-- They are removed when the next run starts.
do
  local stale = {}
  for name in vnet.netns.list() do
    local p = name:match("^vnt(%d+)%-")
    local alive = p and io.open("/proc/" .. p .. "/stat")
    if alive then alive:close() end
    if p and not alive then stale[#stale + 1] = "netns delete " .. name end
  end
  if #stale > 0 then H.sh("ip -force -batch - >/dev/null" .. heredoc(stale)) end
end

-- ---- kernel probes ---------------------------------------------------------

-- What `ip link add kN ...` needs to make each kind ("link P": on the veth
-- P); tun and tap are made with `ip tuntap`; bridge_vlan is a bridge with
-- VLAN filtering. Every kind a spec names is probed at once, in a throwaway
-- network namespace, by one `ip -force -batch`.
local PROBES = {
  veth = "type veth", bridge = "type bridge", bridge_vlan = "type bridge vlan_filtering 1",
  vlan = "link P type vlan id 5", macvlan = "link P type macvlan",
  macvtap = "link P type macvtap", ipvlan = "link P type ipvlan",
  ipvtap = "link P type ipvtap", macsec = "link P type macsec",
  vxlan = "type vxlan id 5 dstport 4789", geneve = "type geneve id 5 remote 10.0.0.1",
  vrf = "type vrf table 10", dummy = "type dummy", ifb = "type ifb", nlmon = "type nlmon",
  bond = "type bond", ipip = "type ipip", sit = "type sit", ip6tnl = "type ip6tnl",
  gre = "type gre", gretap = "type gretap", ip6gre = "type ip6gre",
  ip6gretap = "type ip6gretap",
  erspan = "type erspan seq key 1 erspan_ver 1 erspan 1 local 10.0.0.1 remote 10.0.0.2",
  ip6erspan = "type ip6erspan seq key 1 erspan_ver 1 erspan 1 local 2001:db8::1 "
              .. "remote 2001:db8::2",
  vti = "type vti", vti6 = "type vti6",
  tun = "tuntap", tap = "tuntap",
}
-- kinds that are not link kinds of vnet (so the build is not asked about them)
local PSEUDO = { bridge_vlan = true }

local probed = {}

-- probes the kinds of list (not yet probed) with one `ip -force -batch`;
-- a kind made on a parent gets a veth of its own (macvlan, ipvlan and macsec
-- cannot share one)
local function probe(list)
  local lines, kinds = {}, {}
  table.sort(list)
  for _, k in ipairs(list) do
    local name = "k" .. #lines
    local p = PROBES[k] or ("type " .. k)
    if p == "tuntap" then
      lines[#lines + 1] = "tuntap add mode " .. k .. " name " .. name
    elseif p:find("link P", 1, true) then
      lines[#lines + 1] = "link add " .. name .. "p type veth peer name " .. name .. "q"
      kinds[#lines] = k
      lines[#lines + 1] = "link add " .. name .. " " .. p:gsub("link P", "link " .. name .. "p")
    else
      lines[#lines + 1] = "link add " .. name .. " " .. p
    end
    kinds[#lines] = k
  end
  -- stdout is dropped: only the errors ("...\nCommand failed -:N") matter
  local _, out = H.sh("unshare --net ip -force -batch - 2>&1 >/dev/null" .. heredoc(lines))
  local failed, text = {}, {}
  for line in out:gmatch("[^\n]+") do
    local n = tonumber(line:match("^Command failed %-:(%d+)$"))
    if n then
      failed[n] = table.concat(text, " ")
      text = {}
    else
      text[#text + 1] = line
    end
  end
  if #text > 0 then   -- not a failure of `ip` (no unshare?): nothing was probed
    for i = 1, #lines do failed[i] = failed[i] or table.concat(text, " ") end
  end
  for _, k in ipairs(list) do probed[k] = { true } end
  for i = #lines, 1, -1 do
    local k = kinds[i]
    if failed[i] then
      probed[k] = { false, "the running kernel has no '" .. k .. "' links: " .. failed[i] }
    end
  end
end

--- Whether the running kernel answers a request that makes a link ("link")
-- or an IPv4 address ("addr") and asks for NLM_F_ECHO with the object it
-- made, as `ip -echo` shows (6.3 and later do; the VM tier's 6.1 does not).
local echoes
function H.kernel_echoes(what)
  if not echoes then
    local n = H.name("echo")
    local _, out = H.sh(("ip netns add %s && { ip -n %s -echo link add ec0 type bridge; "
                         .. "ip -n %s -echo addr add 10.99.0.1/32 dev lo; }; ip netns del %s")
                        :format(n, n, n, n))
    echoes = { link = out:find("ec0", 1, true) ~= nil,
               addr = out:find("10.99.0.1", 1, true) ~= nil }
  end
  return echoes[what]
end

--- Whether the running kernel can make a link of this kind (also "tun",
-- "tap", and "bridge_vlan": a VLAN-filtering bridge). Returns true, or false
-- and the reason. All kinds are probed together on the first call.
function H.kernel_has(kind)
  if not probed[kind] then
    local list = {}
    if not next(probed) then
      for k in pairs(PROBES) do list[#list + 1] = k end
    end
    if not PROBES[kind] or next(probed) then list[#list + 1] = kind end
    probe(list)
  end
  return probed[kind][1], probed[kind][2]
end

local known
--- Why these kinds cannot be tested here (the kernel or this build of vnet
-- lacks one), or nil when they all can.
function H.lacks(kinds)
  if type(kinds) == "string" then kinds = { kinds } end
  if not known then
    known = {}
    for _, k in ipairs(vnet.core.kinds()) do known[k] = true end
  end
  for _, k in ipairs(kinds) do
    local ok, why = H.kernel_has(k)
    if not ok then return why end
    if not known[k] and not PSEUDO[k] then return "this build of vnet has no '" .. k .. "' links" end
  end
end

--- it() for a test that needs link kinds: on a kernel without one of them it
-- is marked pending with the reason (outside the VM tier) or fails (in it).
function H.it_kinds(kinds, desc, fn)
  return H.it_unless(H.lacks(kinds), desc, fn)
end

--- it(desc, fn) unless why (what the running kernel lacks, nil if nothing):
-- then pending with the reason, or failing in the full-kernel (VM) tier,
-- which must have everything.
function H.it_unless(why, desc, fn)
  if not why then return busted.it(desc, fn) end
  if H.full_kernel then
    return busted.it(desc, function() error("full-kernel tier: " .. why, 0) end)
  end
  return busted.pending(desc .. " [" .. why .. "]")
end

-- ---- a private world for programs with fixed namespace names -------------

--- Runs shell commands one after another in a world of their own: a new
-- network namespace (so the caller's links are not theirs to touch) and a
-- new mount namespace whose /run/netns is empty and private (so the names
-- they give namespaces cannot meet those of anything else running, another
-- tier of the suite included, and nothing they make can outlive the world:
-- its namespaces go when its last process does). Returns one { code =,
-- out =, err = } per command.
function H.world(cmds)
  local dir = os.tmpname()
  os.remove(dir)
  local script = { "set -u", "mkdir " .. H.quote(dir), "mkdir -p /run/netns",
                   "mount -t tmpfs vnet-spec-world /run/netns || exit 97",
                   "ip link set lo up" }
  for i, c in ipairs(cmds) do
    local f = H.quote(dir .. "/" .. i)
    script[#script + 1] = ("( %s ) >%s.out 2>%s.err </dev/null; echo $? >%s.rc")
                          :format(c, f, f, f)
  end
  -- processes a failing program left in its namespaces would keep them
  script[#script + 1] = "for n in $(ip netns list | cut -d' ' -f1); do "
                        .. "ip netns pids \"$n\" | xargs -r kill -9; done"
  local ok, out = H.sh("unshare --mount --net --propagation private sh -c "
                       .. H.quote(table.concat(script, "\n")))
  local res = {}
  for i = 1, #cmds do
    local f = dir .. "/" .. i
    local rc = slurp(f .. ".rc")
    res[i] = { code = tonumber(rc), out = slurp(f .. ".out") or "", err = slurp(f .. ".err") or "" }
    for _, x in ipairs({ ".rc", ".out", ".err" }) do os.remove(f .. x) end
    if not rc then
      os.remove(dir)
      error("the private world did not run command " .. i .. " (" .. cmds[i] .. "): "
            .. tostring(ok) .. " " .. out, 2)
    end
  end
  os.remove(dir)
  return res
end

-- ---- assertions ------------------------------------------------------------

--- Asserts that a call returned the failure triple with errname.
function H.fails(errname, ok, msg, name)
  assert(ok == nil, "expected a failure, got " .. tostring(ok))
  assert(type(msg) == "string" and #msg > 0, "expected a message")
  assert(name == errname, "expected " .. errname .. ", got " .. tostring(name) .. ": " .. tostring(msg))
  return msg
end

--- Asserts that fn raises an error whose message contains every fragment.
function H.raises(fn, ...)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error")
  err = tostring(err)
  for _, frag in ipairs({ ... }) do
    assert(err:find(frag, 1, true), "error '" .. err .. "' does not mention '" .. frag .. "'")
  end
  return err
end

return H
