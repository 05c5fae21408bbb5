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
print("ok")
