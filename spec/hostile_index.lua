-- Run by spec/hostile_spec.lua (best with the AddressSanitizer build): every
-- call of vnet.core that reads options, with options handed out by __index
-- after a full collection, as fresh strings nothing else refers to. A reader
-- that keeps a pointer into a string it has popped reads freed memory, which
-- AddressSanitizer reports (and the process fails).
--
-- This script loads vnet.core alone, and holds no string constant equal to
-- a value it hands out: every value is kept behind a '#' and the '#' is
-- stripped on the way out, so the string vnet sees is referenced by nothing
-- but the stack slot it was popped from. arg[1] is "#" .. the name of a
-- scratch namespace the caller made (and removes).
local core = require "vnet.core"
local netns = core.netns

local function strip(s) return (s:sub(2)) end

local function proxy(vals)
  return setmetatable({}, { __index = function(_, k)
    collectgarbage()
    collectgarbage()
    local v = vals[k]
    if type(v) == "string" then return strip(v) end
    return v
  end })
end

local function check(what, ok, msg)
  if not ok then
    io.stderr:write(what, ": ", tostring(msg), "\n")
    os.exit(1)
  end
  return ok
end

local hname = arg[1]
local ns = check("open", netns.open(proxy{ name = hname }))
check("open path", netns.open(proxy{ path = "#/run/netns/" .. strip(hname) }))

-- link_add: kind and name (the kind is used after the name was read, the
-- name after every other option was read)
local br = check("link_add bridge", ns:link_add(proxy{
  name = "#hb" .. "r", kind = "#br" .. "idge", alias = "#al" .. "ias", mtu = 1400 }))
check("bridge kind", br.kind == strip("#br" .. "idge"), br.kind)
check("bridge name", br.name == strip("#hb" .. "r"), br.name)
local v = check("link_add veth", ns:link_add(proxy{
  name = "#hv" .. "0", kind = "#ve" .. "th", master = "#hb" .. "r",
  peer = proxy{ name = "#hv" .. "1" } }))
check("veth name", v.name == strip("#hv" .. "0"), v.name)
local _, msg = ns:link_add(proxy{ name = "#hv" .. "0", kind = "#br" .. "idge" })
check("duplicate names the link", msg and msg:find(strip("#hv" .. "0"), 1, true), msg)
check("set", v:set(proxy{ name = "#hv" .. "2", alias = "#a" .. "2", up = true }))
check("set name", v.name == strip("#hv" .. "2"), v.name)
check("set up", br:set(proxy{ up = true }))

local n = 0
for l in ns:links(proxy{ kind = "#ve" .. "th", master = "#hb" .. "r" }) do
  n = n + 1
  check("links", l.name == strip("#hv" .. "2"), l.name)
end
check("links count", n == 1, n)

-- addresses, routes, neighbours, rules
check("addr_add", ns:addr_add(proxy{ dev = "#hb" .. "r", address = "#10.9.0." .. "1/24",
                                     label = "#hbr" .. ":x", scope = "#gl" .. "obal",
                                     valid_lft = "#fore" .. "ver" }))
check("addr_add link", br:addr_add("10.9.1.1/24", proxy{ label = "#hbr" .. ":y" }))
for _ in ns:addrs(proxy{ dev = "#hb" .. "r", family = "#in" .. "et" }) do end
check("route_add", ns:route_add(proxy{ dst = "#10.7.0." .. "0/16", gateway = "#10.9.0." .. "2",
                                       dev = "#hb" .. "r", table = "#1" .. "00",
                                       protocol = "#st" .. "atic", scope = "#uni" .. "verse",
                                       type = "#uni" .. "cast", family = "#in" .. "et" }))
check("route_add nexthops", ns:route_add(proxy{ dst = "#10.6.0." .. "0/16", table = "#m" .. "ain",
  nexthops = { proxy{ gateway = "#10.9.0." .. "3", dev = "#hb" .. "r" },
               proxy{ gateway = "#10.9.0." .. "4", dev = "#hb" .. "r" } } }))
for _ in ns:routes(proxy{ table = "#1" .. "00", dev = "#hb" .. "r", protocol = "#st" .. "atic",
                          type = "#uni" .. "cast" }) do end
check("route_get", ns:route_get("10.9.0.5", proxy{ from = "#10.9.0." .. "1",
                                                   oif = "#hb" .. "r" }))
check("route_del", ns:route_del(proxy{ dst = "#10.7.0." .. "0/16", table = "#1" .. "00" }))
check("neigh_add", ns:neigh_add(proxy{ dst = "#10.9.0." .. "5", lladdr = "#02:00:00:00:00:" .. "05",
                                       dev = "#hb" .. "r", state = "#st" .. "ale" }))
for _ in ns:neighs(proxy{ dev = "#hb" .. "r", state = "#st" .. "ale" }) do end
check("neigh_del", ns:neigh_del(proxy{ dst = "#10.9.0." .. "5", dev = "#hb" .. "r" }))
check("rule_add", ns:rule_add(proxy{ iif = "#hb" .. "r", oif = "#hv" .. "2", table = "#1" .. "00",
                                     priority = 1234, from = "#10.1.0." .. "0/16",
                                     protocol = "#st" .. "atic", action = "#loo" .. "kup" }))
for _ in ns:rules(proxy{ family = "#in" .. "et", protocol = "#st" .. "atic" }) do end
check("rule_del", ns:rule_del(proxy{ iif = "#hb" .. "r", oif = "#hv" .. "2", priority = 1234 }))

-- a veth end created in another namespace named from __index
check("link_add netns", ns:link_add(proxy{ name = "#hw" .. "0", kind = "#ve" .. "th",
                                           peer = proxy{ name = "#hw" .. "1", netns = hname } }))
-- (a veth: kernels before 6.x refuse to move a bridge, EINVAL)
check("set netns", check("hw0", ns:link("hw0")):set(proxy{ netns = hname }))
-- traffic control: kinds, handles, units, u32 keys and actions
local hv = check("hv2", ns:link("hv2"))
check("qdisc_add tbf", hv:qdisc_add(proxy{ kind = "#t" .. "bf", handle = "#1" .. ":",
  parent = "#ro" .. "ot", rate = "#10mb" .. "it", burst = "#32" .. "kb", latency = "#50" .. "ms" }))
check("qdisc_change tbf", hv:qdisc_change(proxy{ kind = "#t" .. "bf", handle = "#1" .. ":",
  rate = "#20mb" .. "it", burst = "#16" .. "kb", limit = "#10" .. "kb" }))
for _ in hv:qdiscs() do end
for _ in ns:qdiscs(proxy{ dev = "#hv" .. "2" }) do end
check("qdisc_del", hv:qdisc_del(proxy{ parent = "#ro" .. "ot" }))
check("qdisc_add htb", hv:qdisc_add(proxy{ kind = "#h" .. "tb", handle = "#1" .. ":",
                                           default = "#1" .. "0" }))
check("class_add", hv:class_add(proxy{ kind = "#h" .. "tb", parent = "#1" .. ":",
  classid = "#1:" .. "10", rate = "#1mb" .. "it", ceil = "#2mb" .. "it", burst = "#15" .. "k" }))
for _ in hv:classes(proxy{ parent = "#1" .. ":" }) do end
check("filter_add u32", hv:filter_add(proxy{ kind = "#u" .. "32", parent = "#1" .. ":",
  protocol = "#i" .. "p", classid = "#1:" .. "10",
  match = proxy{ dst = "#10.0.0." .. "0/8", protocol = "#t" .. "cp", dport = 80 } }))
check("filter_add u32 keys", hv:filter_add(proxy{ kind = "#u" .. "32", parent = "#1" .. ":",
  prio = 2, match = { proxy{ value = 1, mask = 255, at = 8 } } }))
check("qdisc_add ingress", hv:qdisc_add(proxy{ kind = "#ing" .. "ress" }))
check("filter_add mirred", hv:filter_add(proxy{ kind = "#u" .. "32", parent = "#ing" .. "ress",
  action = proxy{ kind = "#mir" .. "red", mode = "#mir" .. "ror", direction = "#eg" .. "ress",
                  dev = "#hb" .. "r" } }))
for _ in hv:filters(proxy{ parent = "#ing" .. "ress" }) do end
check("filter_del", hv:filter_del(proxy{ parent = "#1" .. ":", prio = 2 }))
check("class_del", hv:class_change(proxy{ kind = "#h" .. "tb", parent = "#1" .. ":",
  classid = "#1:" .. "10", rate = "#3mb" .. "it" }))

-- neighbours: get, proxy entries, ntables
check("neigh_add 2", ns:neigh_add(proxy{ dst = "#10.9.0." .. "6", lladdr = "#02:00:00:00:00:" .. "06",
                                         dev = "#hb" .. "r" }))
check("neigh", ns:neigh(proxy{ dst = "#10.9.0." .. "6", dev = "#hb" .. "r" }))
check("neigh_add proxy", ns:neigh_add(proxy{ dst = "#10.9.0." .. "7", dev = "#hb" .. "r",
                                             proxy = true }))
for _ in ns:neighs(proxy{ proxy = true, dev = "#hb" .. "r" }) do end
check("neigh_del proxy", ns:neigh_del(proxy{ dst = "#10.9.0." .. "7", dev = "#hb" .. "r",
                                             proxy = true }))
for _ in ns:ntables(proxy{ name = "#arp_" .. "cache", dev = "#hb" .. "r", family = "#in" .. "et" }) do end
check("ntable_change", ns:ntable_change(proxy{ name = "#arp_" .. "cache", dev = "#hb" .. "r",
                                               family = "#in" .. "et", queue = 50 }))

-- encapsulation (seg6 is built into IPv6; mpls needs mpls_iptunnel, so its
-- request may be refused, but its options are read all the same)
check("route_add seg6", ns:route_add(proxy{ dst = "#10.5.0." .. "0/24", dev = "#hb" .. "r",
  encap = proxy{ type = "#se" .. "g6", mode = "#en" .. "cap", segs = { "fc00::" .. "5" } } }))
ns:route_add(proxy{ dst = "#10.4.0." .. "0/24", dev = "#hb" .. "r",
  encap = proxy{ type = "#mp" .. "ls", labels = { 100, 200 }, ttl = 5 } })
ns:route_add(proxy{ family = "#mp" .. "ls", dst = 100, newdst = { 200 },
                    gateway = "#10.9.0." .. "2", dev = "#hb" .. "r" })
for _ in ns:routes(proxy{ family = "#mp" .. "ls" }) do end

-- alternative names, bridge port VLANs (refused without VLAN filtering), ids
check("altname_add", br:altname_add(strip("#hbr-" .. "altname-long-name")))
check("altname lookup", ns:link(strip("#hbr-" .. "altname-long-name")))
check("altname_del", br:altname_del(strip("#hbr-" .. "altname-long-name")))
local hv1 = check("hv1", ns:link("hv1"))
hv1:vlan_add(proxy{ vid = 10, pvid = true, untagged = true })
for _ in hv1:vlans() do end
check("nsid by name", ns:set_nsid(strip(hname), strip("#au" .. "to")))
ns:nsid(strip(hname))
print("ok")
