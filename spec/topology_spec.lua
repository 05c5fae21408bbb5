-- vnet.topology: declaring, planning, up as one transaction, down by
-- ownership read from the kernel, status, checks, dot and the command line.
-- Everything happens inside scratch namespaces; iproute2 is the oracle.
local H = require "spec.helper"
local topo = require "vnet.topology"
local json = require "dkjson"

local unpack = table.unpack or unpack

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- runs a Lua script file with args, as the suite runs; -> exit code, stdout, stderr
local function run_script(path, ...) return H.run(path, { ... }) end

local leftovers = H.leftovers
local links = H.iplinks

local function addrs(ns, dev)
  local r = {}
  for _, l in ipairs(H.ip(ns, "addr", "show", "dev", dev)) do
    for _, a in ipairs(l.addr_info or {}) do r[a["local"] .. "/" .. a.prefixlen] = true end
  end
  return r
end

local function routes(ns, family)
  return H.ip(ns, family or "-4", "route", "show", "table", "all")
end

-- Everything `ip` shows of namespace ns, asked in one `ip -batch`: links by
-- name, addresses ("10.0.1.1/24" = true) by device, IPv4 and IPv6 routes of
-- every table, rules; and the nft tables if nft is true.
local function state(ns, nft)
  local r = H.ipb(ns, { "link show", "addr show", "route show table all root 0.0.0.0/0",
                        "route show table all root ::/0", "rule show" })
  local s = { links = {}, addrs = {}, routes = r[3], routes6 = r[4], rules = r[5] }
  for _, l in ipairs(r[1]) do s.links[l.ifname] = l end
  for _, l in ipairs(r[2]) do
    local t = {}
    for _, a in ipairs(l.addr_info or {}) do t[a["local"] .. "/" .. a.prefixlen] = true end
    s.addrs[l.ifname] = t
  end
  setmetatable(s.addrs, { __index = function() return {} end })
  if nft then
    local ok, out = H.sh("ip netns exec " .. H.quote(ns) .. " nft list tables")
    assert(ok, out)
    s.nft = out
  end
  return s
end

-- the scratch namespace X plays the part of a namespace the topology does
-- not own (the caller's own, in real use): things made by hand in it must
-- survive everything the topology does.
local function external_ns()
  local _, x = H.ns("x")
  H.ipdo_batch(x, { "link set lo up",
                    "link add keep0 type veth peer name keep1",
                    "link set keep0 up",
                    "addr add 10.0.4.100/24 dev keep0",
                    "route add 10.99.0.0/16 via 10.0.4.200 proto static",
                    "rule add from 10.0.99.0/24 table 99 priority 99" })
  return x
end

-- s: state(x)
local function external_untouched(s)
  assert.is_truthy(s.links.keep0, "keep0 is gone")
  assert.is_truthy(s.links.keep1, "keep1 is gone")
  assert.is_true(s.addrs.keep0["10.0.4.100/24"])
  local found = false
  for _, r in ipairs(s.routes) do
    if r.dst == "10.99.0.0/16" and r.protocol == "static" then found = true end
  end
  assert.is_true(found, "the hand-made route is gone")
  found = false
  for _, r in ipairs(s.rules) do if r.priority == 99 then found = true end end
  assert.is_true(found, "the hand-made rule is gone")
end

-- nothing of topology net remains, in its namespaces or in x
local function nothing_left(net, x)
  assert.are.same({}, leftovers(net.name))
  if x then
    local s = state(x, true)
    for name, l in pairs(s.links) do
      assert.is_not.equal(net.tag, l.ifalias, name .. " carries the tag")
    end
    for _, routes_ in ipairs({ s.routes, s.routes6 }) do
      for _, r in ipairs(routes_) do
        assert.is_not.equal(tostring(net.proto), tostring(r.protocol), r.dst)
      end
    end
    for _, r in ipairs(s.rules) do
      assert.is_not.equal(200, r.priority)
      assert.is_not.equal(tostring(net.proto), tostring(r.protocol))
    end
    assert.is_falsy(s.nft:find("vnet_", 1, true))
    external_untouched(s)
  end
end

-- A topology with every kind of step the host kernel supports, as source
-- text so that child processes can build the very same one.
local FIXTURE = [[
return function(topo, name, x)
  local net = topo.new{ name = name }
  local a, b = net:host("a"), net:host("b", { sysctl = { ["net.ipv4.conf.all.rp_filter"] = 0 } })
  local r = net:router("r")
  local sw = net:switch("sw", { subnet = "10.0.1.0/24" })
  local X = net:external("X", x)
  local xs = net:switch("xs", { at = X, ip = "10.0.3.254/24" })
  net:link(a, sw)                                          -- a:eth0, 10.0.1.1
  net:link(r, sw, { r = "10.0.1.254/24" })                 -- r:eth0
  net:link(r, b, { r = { "10.0.2.1/24", "fd00:2::1/64" },  -- r:eth1 -- b:eth0
                   b = { "10.0.2.2/24", "fd00:2::2/64" }, mtu = 1400 })
  net:link(X, r, { X = { "10.0.4.1/24", name = "xr0" }, r = "10.0.4.2/24" })  -- r:eth2
  net:link(b, xs)                                          -- b:eth1 -- X:xsp1
  net:address(b, "eth1", "10.0.3.1/24")
  net:address(a, "lo", "10.255.0.1/32")
  net:route(a, "default", r)
  net:route(b, "default", "10.0.2.1")
  net:route(b, "::/0", "fd00:2::1")
  net:route(X, "10.0.1.0/24", "10.0.4.2")
  net:route(r, "default", "10.0.2.2", { table = 100 })
  net:rule(r, { from = "10.0.1.0/24", table = 100, priority = 100 })
  net:rule(X, { from = "10.0.4.0/24", table = 200, priority = 200 })
  net:nat(r, { out = "eth1" })
  net:nat(X, { out = "xr0", src = "10.0.3.0/24" })
  return net
end
]]
local build = assert(load(FIXTURE))()

describe("vnet.topology", function()
  after_each(H.cleanup)

  describe("addresses", function()
    it("parses and prints IPv4 and IPv6 the canonical way", function()
      local cases = {
        { "10.0.0.1/24", "10.0.0.1/24", "inet" }, { "10.0.0.1", "10.0.0.1/32", "inet" },
        { "fd00::1/64", "fd00::1/64", "inet6" }, { "::", "::/128", "inet6" },
        { "FD00:0:0:0:0:0:0:1/128", "fd00::1/128", "inet6" }, { "1::", "1::/128", "inet6" },
        { "1:0:0:2:0:0:0:3", "1:0:0:2::3/128", "inet6" }, { "::ffff:1.2.3.4", "::ffff:1.2.3.4/128", "inet6" },
        { "1:2:3:4:5:6:7:8/0", "1:2:3:4:5:6:7:8/0", "inet6" },
      }
      for _, c in ipairs(cases) do
        local p = topo.parse_cidr(c[1])
        assert.is_truthy(p, c[1])
        assert.are.equal(c[2], p.cidr)
        assert.are.equal(c[3], p.family)
      end
      for _, bad in ipairs({ "10.0.0.256", "10.0.0", "10.0.0.1/33", "1:::2", "1::2::3", "fd00::1/129",
                             "1:2:3:4:5:6:7:8:9", "12345::", "x", "", "10.0.0.1/", "/24" }) do
        assert.is_nil(topo.parse_cidr(bad), bad)
      end
    end)
  end)

  describe("declaring", function()
    it("names devices eth0.. in hosts and <switch>p1.. on switches, in order", function()
      local net = topo.new{ name = "n" }
      local a, r = net:host("a"), net:router("r")
      local sw = net:switch("sw")
      local c1 = net:link(a, sw)
      local c2 = net:link(r, sw)
      local c3 = net:link(r, a, { r = { name = "up0" } })
      assert.are.equal("eth0", c1.a.dev); assert.are.equal("swp1", c1.b.dev)
      assert.are.equal("eth0", c2.a.dev); assert.are.equal("swp2", c2.b.dev)
      assert.are.equal("up0", c3.a.dev); assert.are.equal("eth1", c3.b.dev)
    end)

    it("hands out addresses of a switch's subnet, skipping explicit ones", function()
      local net = topo.new{ name = "n" }
      local sw = net:switch("sw", { subnet = "10.0.0.0/29", ip = "10.0.0.1/29" })
      local hs = {}
      for i = 1, 4 do hs[i] = net:host("h" .. i) end
      net:link(hs[1], sw)
      net:link(hs[2], sw, { h2 = "10.0.0.3/29" })
      net:link(hs[3], sw)
      net:link(hs[4], sw)
      local p = net:link(hs[1], hs[2], { subnet = "192.168.9.0/30" })
      net:steps()
      assert.are.equal("10.0.0.2", net:addr(hs[1]))
      assert.are.equal("10.0.0.3", net:addr(hs[2]))
      assert.are.equal("10.0.0.4", net:addr(hs[3]))
      assert.are.equal("10.0.0.5", net:addr(hs[4]))
      assert.are.equal("192.168.9.1/30", p.a.auto[1].cidr)
      assert.are.equal("192.168.9.2/30", p.b.auto[1].cidr)
      -- .6 is the last host address of a /29; .7 is broadcast
      net:link(net:host("h5"), sw)
      net:link(net:host("h6"), sw)
      assert.has_error(function() net:steps() end)
      local ok, err = pcall(net.plan, net)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("no free address", 1, true))
    end)

    it("allocates IPv6 addresses too", function()
      local net = topo.new{ name = "n" }
      local sw = net:switch("sw", { subnet = "fd00:1::/64" })
      local a, b = net:host("a"), net:host("b")
      net:link(a, sw); net:link(b, sw)
      assert.are.equal("fd00:1::1", net:addr(a))
      assert.are.equal("fd00:1::2", net:addr(b, "inet6"))
      assert.is_nil(net:addr(b, "inet"))
    end)

    it("resolves a gateway given as a node to its address on a shared subnet", function()
      local net = topo.new{ name = "n" }
      local a, r, b = net:host("a"), net:router("r"), net:host("b")
      local sw = net:switch("sw", { subnet = "10.0.1.0/24" })
      net:link(r, b, { r = "10.0.2.1/24", b = "10.0.2.2/24" })
      net:link(a, sw); net:link(r, sw)
      net:route(a, "default", r)
      net:route(b, "10.0.1.0/24", "r")
      local plan = net:steps()
      local whats = {}
      for _, s in ipairs(plan) do whats[#whats + 1] = s.what end
      local text = table.concat(whats, "\n")
      assert.truthy(text:find("route default via 10.0.1.2 on a", 1, true), text)
      assert.truthy(text:find("route 10.0.1.0/24 via 10.0.2.1 on b", 1, true), text)
      -- an IPv6-only pair: "default" via a node finds the inet6 address
      local c, d = net:host("c"), net:host("d")
      net:link(c, d, { c = "fd00:9::1/64", d = "fd00:9::2/64" })
      net:route(c, "default", d)
      text = {}
      for _, s in ipairs(net:steps()) do text[#text + 1] = s.what end
      assert.truthy(table.concat(text, "\n"):find("route default via fd00:9::2 on c", 1, true))
      net:route(b, "10.9.0.0/16", a)
      H.raises(function() net:steps() end, "a shares no inet subnet with b")
    end)

    it("orders the plan: namespaces, sysctls, switches, cables, links, addresses, routes, rules, nat", function()
      local net = build(topo, "n", nil)
      local order = { netns = 1, sysctl = 2, bridge = 3, cable = 4, iface = 5, tunnel = 6,
                      addr = 7, route = 8, rule = 9, nat = 10 }
      local last = 0
      for i, s in ipairs(net:steps()) do
        assert.are.equal(i, s.index)
        assert.is_true(order[s.kind] >= last, s.what)
        last = order[s.kind]
      end
      local first = net:steps()[1]
      assert.are.equal("namespace n (switches of n)", first.what)
    end)

    it("rejects bad declarations, naming the function and the field", function()
      local net = topo.new{ name = "n" }
      local a = net:host("a")
      local b = net:host("b")
      local sw = net:switch("sw")
      local cases = {
        { function() topo.new{} end, "topology.new", "name" },
        { function() topo.new{ name = "a/b" } end, "name" },
        { function() topo.new{ name = string.rep("x", 41) } end, "name" },
        { function() topo.new{ name = "n", prot = 3 } end, "unknown option 'prot'" },
        { function() topo.new{ name = "n", proto = 300 } end, "proto" },
        { function() net:host("a") end, "host", "already declared" },
        { function() net:host("bad name") end, "host", "name" },
        { function() net:host("mtu") end, "reserved" },
        { function() net:host("c", { forwrd = true }) end, "unknown option 'forwrd'" },
        { function() net:switch("s2", { subnet = "10.0.0.300/24" }) end, "subnet" },
        { function() net:switch("a-very-long-bridge") end, "interface name" },
        { function() net:link(a, "nope") end, "link", "node of this topology" },
        { function() net:link(a, a) end, "both ends" },
        { function() net:link(a, b, { a = "10.0.0.1/99" }) end, "not a valid address" },
        { function() net:link(a, b, { a = { "10.0.0.1/24", nme = "x" } }) end, "unknown endpoint option 'nme'" },
        { function() net:link(a, b, { mtuu = 1 }) end, "unknown option or node 'mtuu'" },
        { function() net:link(a, b, { sw = "10.0.0.1/24" }) end, "'sw' is not an end" },
        { function() net:link(a, b, { a = { name = "a234567890123456" } }) end, "interface name" },
        { function() net:tunnel(a, b, {}) end, "mode" },
        { function() net:tunnel(a, sw, { mode = "gre" }) end, "hosts, routers or external" },
        { function() net:tunnel(a, b, { mode = "gre", remote = "1.2.3.4" }) end, "via" },
        { function() net:iface(a, "m0", {}) end, "kind" },
        { function() net:route(a, "10.0.0.0/99", "10.0.0.1") end, "destination" },
        { function() net:route(a, "default") end, "gateway" },
        { function() net:route(a, "default", "10.0.0.1", { tabel = 1 }) end, "unknown option 'tabel'" },
        { function() net:rule(a, { frm = "10.0.0.0/8" }) end, "unknown option 'frm'" },
        { function() net:nat(a, {}) end, "nat" },
        { function() net:nat(a, { out = "eth0", src = "nope" }) end, "src" },
        { function() net:nat(a, { forward = { { port = "x" } } }) end, "forward[1]" },
        { function() net:sysctl(net:external("X"), "net.ipv4.ip_forward", 1) end, "external" },
        { function() net:exec(a, {}) end, "argv" },
      }
      for _, c in ipairs(cases) do
        H.raises(c[1], select(2, unpack(c)))
      end
    end)

    it("finds device name clashes when it plans", function()
      local net = topo.new{ name = "n" }
      local a, b = net:host("a"), net:host("b")
      net:link(a, b, { a = { name = "x0" } })
      net:link(b, a, { a = { name = "x0" } })
      H.raises(function() net:steps() end, "device name x0 is already used in a")
    end)

    it("refuses an address on an external device it does not make", function()
      local net = topo.new{ name = "n" }
      net:address(net:external("X", "somewhere"), "eth0", "10.0.0.1/24")
      H.raises(function() net:steps() end, "could not remove")
    end)
  end)

  describe("dot", function()
    it("prints nodes, cables with addresses and dashed tunnels", function()
      local net = topo.new{ name = "lab" }
      local a, b, r = net:host("a"), net:host("b"), net:router("r")
      local sw = net:switch("sw", { subnet = "10.0.1.0/24" })
      net:link(a, sw); net:link(r, sw)
      net:link(r, b, { r = "10.0.2.1/24", b = "10.0.2.2/24" })
      net:tunnel(a, b, { mode = "gre", a = "10.9.0.1/30", b = "10.9.0.2/30" })
      local d = net:dot()
      assert.truthy(d:find('^graph "lab" {'))
      assert.truthy(d:find('"r" [shape=box3d', 1, true))
      assert.truthy(d:find('"sw" [shape=ellipse', 1, true))
      assert.truthy(d:find('"a" -- "sw" [taillabel="eth0\\n10.0.1.1/24", headlabel="swp1"]', 1, true), d)
      assert.truthy(d:find('"r" -- "b" [taillabel="eth1\\n10.0.2.1/24", headlabel="eth0\\n10.0.2.2/24"]', 1, true), d)
      assert.truthy(d:find('"a" -- "b" [style=dashed, label="gre"', 1, true), d)
      assert.truthy(d:find("}\n$"))
    end)
  end)

  describe("up and down", function()
    it("builds the network the script describes", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      assert.are.equal(net, assert(net:up()))
      local n = net.name
      assert.are.same({ n, n .. "-a", n .. "-b", n .. "-r" }, leftovers(n))
      local S = {}
      for _, ns in ipairs(leftovers(n)) do S[ns] = state(ns, ns == n .. "-r") end
      S[x] = state(x, true)
      -- every namespace is tagged through its lo
      for _, ns in ipairs(leftovers(n)) do
        local lo = S[ns].links.lo
        assert.are.equal(net.tag, lo.ifalias)
        local up = false
        for _, f in ipairs(lo.flags) do if f == "UP" then up = true end end
        assert.is_true(up)
      end
      -- switch in the topology's own namespace, ports enslaved
      local fab = S[n].links
      assert.are.equal("bridge", fab.sw.linkinfo.info_kind)
      assert.are.equal("sw", fab.swp1.master)
      assert.are.equal("sw", fab.swp2.master)
      assert.are.equal(net.tag, fab.swp1.ifalias)
      -- the cable with an mtu, v4 and v6 addresses
      local b = S[n .. "-b"]
      assert.are.equal(1400, b.links.eth0.mtu)
      assert.are.equal("veth", b.links.eth0.linkinfo.info_kind)
      assert.is_true(b.addrs.eth0["10.0.2.2/24"])
      assert.is_true(b.addrs.eth0["fd00:2::2/64"])
      assert.is_true(b.addrs.eth1["10.0.3.1/24"])
      assert.is_true(S[n .. "-a"].addrs.eth0["10.0.1.1/24"])
      assert.is_true(S[n .. "-a"].addrs.lo["10.255.0.1/32"])
      -- the external namespace: bridge, port and cable end, tagged
      local xl = S[x].links
      assert.are.equal("bridge", xl.xs.linkinfo.info_kind)
      assert.are.equal("xs", xl.xsp1.master)
      for _, d in ipairs({ "xs", "xsp1", "xr0" }) do assert.are.equal(net.tag, xl[d].ifalias, d) end
      assert.is_true(S[x].addrs.xs["10.0.3.254/24"])
      assert.is_true(S[x].addrs.xr0["10.0.4.1/24"])
      -- routes carry the topology's protocol
      local function route(ns, dst, fam, tbl)
        for _, r in ipairs(fam == "-6" and S[ns].routes6 or S[ns].routes) do
          if r.dst == dst and (tbl == nil or r.table == tbl) and r.protocol == tostring(net.proto) then return r end
        end
      end
      assert.are.equal("10.0.1.254", route(n .. "-a", "default").gateway)
      assert.are.equal("10.0.2.1", route(n .. "-b", "default").gateway)
      assert.are.equal("fd00:2::1", route(n .. "-b", "default", "-6").gateway)
      assert.are.equal("10.0.4.2", route(x, "10.0.1.0/24").gateway)
      assert.are.equal("10.0.2.2", route(n .. "-r", "default", "-4", "100").gateway)
      -- rules, sysctls, nat
      local found
      for _, r in ipairs(S[n .. "-r"].rules) do
        if r.priority == 100 then found = r end
      end
      assert.are.equal("10.0.1.0", found.src)
      assert.are.equal("100", found.table)
      local rn = net:ns("r")
      assert.are.equal("1", (rn:sysctl("net.ipv4.ip_forward"):gsub("%s", "")))
      assert.are.equal("1", (rn:sysctl("net.ipv6.conf.all.forwarding"):gsub("%s", "")))
      assert.are.equal("0", (net:ns("b"):sysctl("net.ipv4.conf.all.rp_filter"):gsub("%s", "")))
      assert.are.equal("0", (net:ns("a"):sysctl("net.ipv4.ip_forward"):gsub("%s", "")))
      assert.truthy(S[n .. "-r"].nft:find("table ip vnet_", 1, true))
      assert.truthy(S[x].nft:find("table ip vnet_", 1, true))
      local st, all = net:status()
      assert.is_true(all)
      assert.are.equal(#net:steps(), #st)
      -- down removes all of it and only it
      assert.is_true(net:down())
      nothing_left(net, x)
    end)

    it("runs packets: ping, reach, exec", function()
      local net = topo.new{ name = H.name("t") }
      local a, b, r = net:host("a"), net:host("b"), net:router("r")
      local sw = net:switch("sw", { subnet = "10.0.1.0/24" })
      net:link(a, sw); net:link(r, sw)
      net:link(r, b, { subnet = "10.0.2.0/30" })
      net:route(a, "default", r)
      net:route(b, "default", r)
      finally(function() net:down() end)
      assert(net:up())
      local ok, out = net:ping(a, b)
      assert.is_true(ok, out)
      assert.is_true((net:ping(b, "10.0.1.1")))
      assert.is_false((net:ping(a, "10.0.9.9")))
      local all, res = net:reach{ quiet = true }
      assert.is_true(all)
      assert.are.equal(6, #res)
      local e, so = net:exec(a, { "ip", "-j", "addr", "show", "dev", "eth0" }, { capture = true })
      assert.is_true(e)
      assert.are.equal("10.0.1.1", json.decode(so)[1].addr_info[1]["local"])
      local ok2, _, _, code = net:exec(b, { "sh", "-c", "exit 3" }, { capture = true })
      assert.is_false(ok2)
      assert.are.equal(3, code)
      local ok3, _, _, sig, how = net:exec(b, { "sleep", "30" }, { timeout = 0.2 })
      assert.is_false(ok3)
      assert.are.equal("timeout", how)
      assert.are.equal(9, sig)
    end)

    it("is harmless twice: the second up changes nothing", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      assert(net:up())
      -- what the kernel holds, without what changes by itself (DAD, stats)
      local function snapshot()
        local s = {}
        local all = leftovers(net.name)
        all[#all + 1] = x
        for _, ns in ipairs(all) do
          local r = H.ipb(ns, { "link show", "addr show", "route show table all root 0.0.0.0/0",
                                "route show table all root ::/0", "rule show" })
          local t = {}
          -- (the admin state, not operstate: a bridge's turns UP by itself
          -- some time after its ports do)
          for _, l in ipairs(r[1]) do
            local up = "down"
            for _, f in ipairs(l.flags) do if f == "UP" then up = "up" end end
            t[#t + 1] = table.concat({ "link", l.ifname, l.ifindex, l.mtu, tostring(l.master),
                                       tostring(l.ifalias), up, l.address }, " ")
          end
          for _, l in ipairs(r[2]) do
            for _, a in ipairs(l.addr_info or {}) do
              if a.scope ~= "link" then t[#t + 1] = table.concat({ "addr", l.ifname, a["local"], a.prefixlen }, " ") end
            end
          end
          for i = 3, 4 do
            for _, x_ in ipairs(r[i]) do
              if not x_.dst:match("^fe80") then t[#t + 1] = table.concat({ "route", x_.dst, tostring(x_.gateway), tostring(x_.dev),
                                         tostring(x_.table), tostring(x_.protocol), tostring(x_.metric) }, " ") end
            end
          end
          for _, x_ in ipairs(r[5]) do
            t[#t + 1] = table.concat({ "rule", x_.priority, tostring(x_.src), tostring(x_.table) }, " ")
          end
          t[#t + 1] = select(2, H.sh("ip netns exec " .. ns .. " nft list ruleset"))
          table.sort(t)
          s[ns] = t
        end
        return s
      end
      local before = snapshot()
      -- a fresh topology object (as a new process would have) and the same one
      assert(build(topo, net.name, x):up())
      assert(net:up())
      assert.are.same(before, snapshot())
    end)

    it("reports present, missing and different; up adds what is missing", function()
      local net = build(topo, H.name("t"), external_ns())
      finally(function() net:down() end)
      assert(net:up())
      local n = net.name
      H.ipdo(n .. "-a", "addr", "del", "10.0.1.1/24", "dev", "eth0")
      H.ipdo(n .. "-b", "route", "del", "default")
      local st, all = net:status()
      assert.is_false(all)
      local states = {}
      for _, s in ipairs(st) do states[s.what] = s.state end
      assert.are.equal("missing", states["address 10.0.1.1/24 on a:eth0"])
      assert.are.equal("missing", states["route default via 10.0.2.1 on b"])
      assert.are.equal("present", states["cable a:eth0 -- sw:swp1"])
      assert(net:up())
      assert.is_true(addrs(n .. "-a", "eth0")["10.0.1.1/24"])
      st, all = net:status()
      assert.is_true(all)
      -- different: a port pulled off its switch, a route made by someone else
      H.ipdo(n, "link", "set", "swp1", "nomaster")
      H.ipdo(n .. "-b", "route", "del", "default")
      H.ipdo(n .. "-b", "route", "add", "default", "via", "10.0.2.1", "proto", "static")
      st = net:status()
      for _, s in ipairs(st) do states[s.what] = s end
      assert.are.equal("different", states["cable a:eth0 -- sw:swp1"].state)
      assert.truthy(states["cable a:eth0 -- sw:swp1"].detail:find("not a port of sw", 1, true))
      assert.are.equal("different", states["route default via 10.0.2.1 on b"].state)
      assert.truthy(states["route default via 10.0.2.1 on b"].detail:find("not made by", 1, true))
      -- the port is put back in place, but the route is not this topology's:
      -- up refuses, naming that step, and undoes the port's change too
      local ok, msg, err = net:up()
      assert.is_nil(ok)
      assert.are.equal("EEXIST", err)
      assert.truthy(msg:find("(route default via 10.0.2.1 on b)", 1, true), msg)
      assert.truthy(msg:find("run down first", 1, true), msg)
      assert.is_nil(H.iplink(n, "swp1").master)
      assert.are.same({ n, n .. "-a", n .. "-b", n .. "-r" }, leftovers(n))
      assert.is_true(addrs(n .. "-a", "eth0")["10.0.1.1/24"])
      -- without the stranger's route, up converges: the port goes back on
      -- its switch, the route is made
      H.ipdo(n .. "-b", "route", "del", "default")
      assert(net:up())
      assert.are.equal("sw", H.iplink(n, "swp1").master)
      st, all = net:status()
      assert.is_true(all)
      assert.is_true(net:down())
      assert.are.same({}, leftovers(n))
    end)

    it("leaves alone a namespace of the same name it did not make", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      H.ipdo(nil, "netns", "add", net.name .. "-b")
      local ok, msg = net:up()
      assert.is_nil(ok)
      assert.truthy(msg:find("(namespace " .. net.name .. "-b (host b))", 1, true), msg)
      assert.truthy(msg:find("not made by topology", 1, true), msg)
      assert.are.same({ net.name .. "-b" }, leftovers(net.name))
      assert.is_true(net:down())
      assert.are.same({ net.name .. "-b" }, leftovers(net.name))
      local st = net:status()
      assert.are.equal("different", st[3].state)
      H.ipdo(nil, "netns", "delete", net.name .. "-b")
      nothing_left(net, x)
    end)

    it("leaves alone links and routes of the same names it did not make", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      H.ipdo(x, "link", "add", "xr0", "type", "veth", "peer", "name", "xr1")
      local ok, msg = net:up()
      assert.is_nil(ok)
      assert.truthy(msg:find("(cable X:xr0 -- r:eth2)", 1, true), msg)
      assert.truthy(msg:find("not made by topology", 1, true), msg)
      assert.is_truthy(links(x).xr0)
      assert.is_true(net:down())
      assert.is_truthy(links(x).xr0)
      assert.are.same({}, leftovers(net.name))
      H.ipdo(x, "link", "del", "xr0")
      -- a route to the same destination made by someone else
      H.ipdo(x, "route", "add", "10.0.1.0/24", "dev", "keep0", "proto", "static")
      ok, msg = net:up()
      assert.is_nil(ok)
      assert.truthy(msg:find("route 10.0.1.0/24 via 10.0.4.2 on X", 1, true), msg)
      nothing_left(net, x)
      local r = routes(x)
      local kept = false
      for _, y in ipairs(r) do if y.dst == "10.0.1.0/24" and y.protocol == "static" then kept = true end end
      assert.is_true(kept)
    end)

    it("is one transaction: failing any step at any point leaves nothing", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      local k = #net:steps()
      assert.is_true(k >= 30, "the fixture should have many steps, has " .. k)
      -- failing after step i has made its objects: for every i; failing
      -- before it starts (the state "after i-1" reached another way): a few
      local runs = {}
      for i = 1, k do runs[#runs + 1] = { i, "after" } end
      for _, i in ipairs({ 1, math.floor(k / 2), k }) do runs[#runs + 1] = { i, "before" } end
      for _, run in ipairs(runs) do
        local i, phase = run[1], run[2]
        do
          net._fault = function(j, _, ph)
            if j == i and ph == phase then return nil, "injected fault", "EINJECT" end
            return true
          end
          local ok, msg, err = net:up()
          assert.is_nil(ok, "step " .. i)
          assert.are.equal("EINJECT", err)
          local what = net:steps()[i].what
          assert.truthy(msg:find(("step %d/%d (%s): injected fault"):format(i, k, what), 1, true), msg)
          assert.is_falsy(msg:find("undo", 1, true), msg)
          nothing_left(net, x)
        end
      end
      net._fault = nil
      assert(net:up())
      local _, all = net:status()
      assert.is_true(all)
    end)

    it("undoes only what this up made when a later step fails on a partial network", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      assert(net:up())
      local n = net.name
      -- take away some objects, then fail the up that would restore them
      H.ipdo(n .. "-a", "addr", "del", "10.0.1.1/24", "dev", "eth0")
      H.ipdo(x, "link", "del", "xr0")
      local before = links(n .. "-r")
      net._fault = function(_, s, ph)
        if s.kind == "nat" and ph == "before" then return nil, "late failure", "EINJECT" end
        return true
      end
      local ok, msg = net:up()
      net._fault = nil
      assert.is_nil(ok, msg)
      -- what it re-made is gone again; what was there stays
      assert.is_nil(addrs(n .. "-a", "eth0")["10.0.1.1/24"])
      assert.is_nil(links(x).xr0)
      assert.is_nil(links(n .. "-r").eth2)
      assert.are.same({ n, n .. "-a", n .. "-b", n .. "-r" }, leftovers(n))
      assert.are.equal(before.eth0.ifindex, links(n .. "-r").eth0.ifindex)
      assert(net:up())
      assert.is_true(select(2, net:status()))
    end)

    it("is torn down by down in a new process after the creating one was killed", function()
      local x = external_ns()
      local name = H.name("t")
      local fixture = write(os.tmpname(), FIXTURE)
      local script = write(os.tmpname(), ([[
local topo = require "vnet.topology"
local net = dofile(%q)(topo, %q, %q)
if arg[1] == "crash" then
  local f = io.open("/proc/self/stat"); local pid = f:read("*l"):match("^%%d+"); f:close()
  net._fault = function(i, s, phase)
    if s.kind == tostring(arg[2]) and phase == "after" then os.execute("kill -9 " .. pid) end
    return true
  end
  net:up()
  os.exit(0)
end
return net:main(arg)
]]):format(fixture, name, x))
      finally(function()
        run_script(script, "down")
        os.remove(script); os.remove(fixture)
      end)
      for _, at in ipairs({ "route", "nat", "cable" }) do
        local code = run_script(script, "crash", at)
        assert.are.equal(137, code)                -- killed by SIGKILL
        assert.is_true(#leftovers(name) > 0)
        assert.are.equal(1, (run_script(script, "status")))
        local c2, out, err = run_script(script, "down")
        assert.are.equal(0, c2, out .. err)
        assert.truthy(out:find("down " .. name .. ": done", 1, true))
        nothing_left({ name = name, tag = "vnet:" .. name, proto = build(topo, name, x).proto }, x)
      end
    end)

    it("down ends processes left running in its hosts, then removes them", function()
      local x = external_ns()
      local net = build(topo, H.name("t"), x)
      finally(function() net:down() end)
      assert(net:up())
      local ok, out = H.sh("ip netns exec " .. net.name .. "-a sleep 60 >/dev/null 2>&1 & echo $!")
      assert(ok, out)
      local pid = tonumber(out:match("%d+"))
      finally(function() os.execute("kill -9 " .. pid .. " 2>/dev/null") end)
      local h = assert(H.vnet.netns.open(net.name .. "-a"))
      for _ = 1, 100 do   -- until ip netns exec has entered the namespace
        if #h:pids() > 0 then break end
        H.sh("sleep 0.02")
      end
      assert.are.equal(1, #h:pids())
      h:close()
      assert(net:down())
      nothing_left(net, x)
      -- the process was killed (and reaped by the shell that started it)
      for _ = 1, 100 do
        if not H.sh("kill -0 " .. pid) then break end
        H.sh("sleep 0.02")
      end
      assert.is_false((H.sh("kill -0 " .. pid)))
    end)

    if _VERSION == "Lua 5.4" then
      it("tears down at scope exit with <close>", function()
        local name = H.name("t")
        local chunk = assert(load([[
          local topo, name = ...
          do
            local net <close> = topo.new{ name = name }
            local a, b = net:host("a"), net:host("b")
            net:link(a, b, { subnet = "10.0.0.0/30" })
            assert(net:up())
            assert(net:ping(a, b))
            coroutine.yield(true)
          end
        ]]))
        local co = coroutine.create(chunk)
        assert(coroutine.resume(co, topo, name))
        assert.are.same({ name .. "-a", name .. "-b" }, leftovers(name))
        assert(coroutine.resume(co))
        assert.are.equal("dead", coroutine.status(co))
        assert.are.same({}, leftovers(name))
        -- and on an error leaving the scope
        local ok = pcall(assert(load([[
          local topo, name = ...
          local net <close> = topo.new{ name = name }
          net:host("a")
          assert(net:up())
          error("boom")
        ]])), topo, name)
        assert.is_false(ok)
        assert.are.same({}, leftovers(name))
      end)
    end

    it("masquerades and forwards ports with nftables inside the router", function()
      local net = topo.new{ name = H.name("t") }
      local a, r, b = net:host("a"), net:router("r"), net:host("b")
      net:link(a, r, { a = "10.0.1.2/24", r = "10.0.1.1/24" })
      net:link(r, b, { r = "10.0.2.1/24", b = "10.0.2.2/24" })
      net:route(a, "default", r)
      finally(function() net:down() end)
      assert(net:up())
      -- b has no route back to 10.0.1.0/24: without NAT a cannot reach it
      assert.is_false((net:ping(a, b)))
      net:nat(r, { out = "eth1", forward = { { proto = "tcp", port = 8080, to = "10.0.1.2:5201", ["in"] = "eth1" } } })
      assert(net:up())
      local ok, out = net:ping(a, b)
      assert.is_true(ok, out)
      -- port forwarding: b talks to r:8080 and reaches iperf3 in a
      -- (a run the server ends early, as a loaded machine makes happen,
      -- reports no totals: the server is started again for another try)
      local done, res, got
      for _ = 1, 3 do
        assert(net:exec(a, { "iperf3", "-s", "-1", "-D", "-B", "10.0.1.2" }, { capture = true }))
        for _ = 1, 50 do
          done, res = net:exec(b, { "iperf3", "-c", "10.0.2.1", "-p", "8080", "-t", "1", "-J" }, { capture = true })
          if done then break end
          os.execute("sleep 0.1")
        end
        got = done and (json.decode(res)["end"] or {}).sum_received
        if got then break end
        net:exec(a, { "pkill", "-x", "iperf3" })
      end
      assert.is_true(done, res)
      assert.truthy(got, res)
      assert.is_true(got.bytes > 0)
      -- status knows the nat table; down removes it with the namespace
      local st = net:status()
      assert.are.equal("present", st[#st].state)
      assert.is_true(net:down())
      assert.are.same({}, leftovers(net.name))
    end)

    H.it_kinds({ "gre" }, "makes tunnels between nodes (gre)", function()
      local net = topo.new{ name = H.name("t") }
      local a, b = net:host("a"), net:host("b")
      net:link(a, b, { a = "172.16.0.1/24", b = "172.16.0.2/24" })
      net:tunnel(a, b, { mode = "gre", a = "10.9.0.1/30", b = "10.9.0.2/30", ttl = 64 })
      finally(function() net:down() end)
      assert(net:up())
      local l = H.iplink(net.name .. "-a", "gre-b")
      assert.are.equal("gre", l.linkinfo.info_kind)
      assert.are.equal("172.16.0.2", l.linkinfo.info_data.remote)
      assert.are.equal("172.16.0.1", l.linkinfo.info_data["local"])
      assert.are.equal(net.tag, l.ifalias)
      assert.is_true((net:ping(a, "10.9.0.2")))
      assert.is_true(select(2, net:status()))
      assert(net:up())
      assert.is_true(net:down())
      assert.are.same({}, leftovers(net.name))
    end)

    H.it_kinds({ "macvlan" }, "makes links of other kinds on a parent in another node (macvlan)", function()
      local net = topo.new{ name = H.name("t") }
      local lan, gw = net:host("lan"), net:host("gw")
      net:link(lan, gw, { gw = "10.0.5.1/24" })
      local hs = {}
      for i = 1, 2 do
        hs[i] = net:host("h" .. i)
        net:iface(hs[i], "eth0", { kind = "macvlan", parent = { lan, "eth0" }, mode = "bridge",
                                   ip = "10.0.5." .. (10 + i) .. "/24" })
      end
      finally(function() net:down() end)
      assert(net:up())
      assert.are.equal("macvlan", H.iplink(net.name .. "-h1", "eth0").linkinfo.info_kind)
      assert.is_true((net:ping(hs[1], hs[2])))
      assert.is_true((net:ping(hs[1], gw)))
      assert.is_true(net:down())
      assert.are.same({}, leftovers(net.name))
    end)
  end)

  describe("the command line", function()
    local script, name
    before_each(function()
      name = H.name("t")
      script = write(os.tmpname(), ([[
local topo = require "vnet.topology"
local net = topo.new{ name = %q }
local a, b = net:host("a"), net:host("b")
net:link(a, b, { subnet = "10.0.0.0/30" })
if os.getenv("BREAK") then net:route(a, "10.9.0.0/16", "10.0.0.2", { table = "nosuchtable" }) end
return net:main(arg, { hello = function(n, who) print("hello " .. tostring(who) .. " from " .. n.name); return true end,
                       nope = function() return nil, "nope failed" end })
]]):format(name))
    end)
    after_each(function()
      run_script(script, "down")
      os.remove(script)
    end)

    it("prints usage and exits 2 on bad input", function()
      for _, args in ipairs({ {}, { "bogus" }, { "up", "extra" }, { "exec" }, { "exec", "nobody", "true" },
                              { "ping", "a" } }) do
        local code, _, err = run_script(script, unpack(args))
        assert.are.equal(2, code, table.concat(args, " "))
        assert.truthy(err:find("usage:", 1, true), err)
        assert.truthy(err:find("hello", 1, true), err)
      end
    end)

    it("runs up, status, reach, ping, exec, dot, extra commands and down", function()
      local code, out, err = run_script(script, "status")
      assert.are.equal(1, code)
      assert.truthy(out:find("missing    namespace " .. name .. "-a (host a)", 1, true), out)
      code, out, err = run_script(script, "up")
      assert.are.equal(0, code, err)
      assert.truthy(out:find("up " .. name .. ": ", 1, true))
      code, out = run_script(script, "status")
      assert.are.equal(0, code, out)
      assert.truthy(out:find("0 missing, 0 different", 1, true), out)
      code, out = run_script(script, "reach")
      assert.are.equal(0, code, out)
      assert.truthy(out:find("a   -   ok", 1, true), out)
      assert.truthy(out:find("2/2 pairs ok", 1, true), out)
      assert.are.equal(0, (run_script(script, "ping", "a", "b")))
      assert.are.equal(0, (run_script(script, "ping", "b", "10.0.0.1")))
      assert.are.equal(1, (run_script(script, "ping", "b", "10.0.0.9")))
      code, out = run_script(script, "exec", "a", "ip", "-br", "addr", "show", "dev", "eth0")
      assert.are.equal(0, code)
      assert.truthy(out:find("10.0.0.1/30", 1, true), out)
      assert.are.equal(4, (run_script(script, "exec", "b", "sh", "-c", "exit 4")))
      code, out = run_script(script, "dot")
      assert.are.equal(0, code)
      assert.truthy(out:find('"a" -- "b"', 1, true))
      code, out = run_script(script, "hello", "you")
      assert.are.equal(0, code)
      assert.truthy(out:find("hello you from " .. name, 1, true))
      code, out, err = run_script(script, "nope")
      assert.are.equal(1, code)
      assert.truthy(err:find("nope failed", 1, true))
      code, out = run_script(script, "down")
      assert.are.equal(0, code)
      assert.are.same({}, leftovers(name))
    end)

    it("exits 1 with the failing step on failure", function()
      local code, _, err = H.run(script, { "up" }, "BREAK=1")
      assert.are.equal(1, code)
      assert.truthy(err:find("step 6/6 (route 10.9.0.0/16 via 10.0.0.2 table nosuchtable on a)", 1, true), err)
      assert.are.same({}, leftovers(name))
    end)
  end)
  -- issue 4: kill -9 during up left what down could not remove (an empty
  -- file under /run/netns, an untagged namespace, an untagged link in a
  -- namespace the topology does not own), and every later up failed
  describe("after a kill at any instant of up (issue 4)", function()
    -- the script of a topology with hosts a, b, c, a switch xs and a tap
    -- in the external namespace x and c cabled to x; `crash WHAT N [NS]` runs up
    -- and SIGKILLs it right after the N-th object made by WHAT ("netns":
    -- a namespace gets its name; "link_add": a link is made) in namespace
    -- NS (or any)
    local function kill_script(name, x)
      return write(os.tmpname(), ([[
local topo = require "vnet.topology"
local vnet = require "vnet"
local net = topo.new{ name = %q }
local X = net:external("X", %q)
local a, b, c = net:host("a"), net:host("b"), net:host("c")
local xs = net:switch("xs", { at = X })
net:link(a, b, { subnet = "10.0.0.0/30" })
net:link(c, X, { subnet = "10.0.1.0/30", X = { name = "xc0" } })
net:link(b, xs)
net:iface(X, "xt0", { kind = "tap" })
net:route(X, "10.9.0.0/16", "10.0.1.1")
if arg[1] == "crash" then
  local what, count, where, seen = arg[2], tonumber(arg[3]), arg[4], 0
  local function hit(ns)
    if where == nil or ns.name == where then
      seen = seen + 1
      if seen == count then
        local f = io.open("/proc/self/stat"); local pid = f:read("*l"):match("^%%d+"); f:close()
        os.execute("kill -9 " .. pid)
      end
    end
  end
  local function after(t, k, nsof)
    local real = t[k]
    if real then
      t[k] = function(...)
        local r, m, e = real(...)
        if r then hit(nsof(r, ...)) end
        return r, m, e
      end
    end
  end
  local methods = select(2, debug.getupvalue(getmetatable(vnet.netns.current()).__index, 1))
  if what == "link_add" then
    after(methods, "link_add", function(_, ns) return ns end)
  else   -- a namespace appears under /run/netns: made by add, or pinned
    after(vnet.netns, "add", function(r) return r end)
    after(methods, "pin", function(_, ns) return ns end)
  end
  net:up()
  os.exit(0)
end
return net:main(arg)
]]):format(name, x))
    end

    local function linknames(ns)
      local t = {}
      for n in pairs(links(ns)) do t[#t + 1] = n end
      table.sort(t)
      return t
    end

    -- down in a new process leaves nothing; then up and down work again
    local function recovers(script, name, x, proto)
      local code, out, err = run_script(script, "down")
      assert.are.equal(0, code, out .. err)
      assert.are.same({}, leftovers(name))
      assert.are.same({ "keep0", "keep1", "lo" }, linknames(x))
      nothing_left({ name = name, tag = "vnet:" .. name, proto = proto }, x)
      code, out, err = run_script(script, "up")
      assert.are.equal(0, code, out .. err)
      code, out, err = run_script(script, "down")
      assert.are.equal(0, code, out .. err)
      assert.are.same({}, leftovers(name))
      assert.are.same({ "keep0", "keep1", "lo" }, linknames(x))
    end

    it("a namespace has its tag before its name", function()
      local x = external_ns()
      local name = H.name("t")
      local script = kill_script(name, x)
      finally(function() run_script(script, "down"); os.remove(script) end)
      local proto = topo.new{ name = name }.proto
      for n = 1, 3 do
        assert.are.equal(137, (run_script(script, "crash", "netns", tostring(n))))
        local left = leftovers(name)
        assert.are.equal(n, #left)
        for _, ns in ipairs(left) do assert.are.equal("vnet:" .. name, H.iplink(ns, "lo").ifalias, ns) end
        recovers(script, name, x, proto)
      end
    end)

    it("a link made in a namespace it does not own is found by down", function()
      local x = external_ns()
      local name = H.name("t")
      local script = kill_script(name, x)
      finally(function() run_script(script, "down"); os.remove(script) end)
      local proto = topo.new{ name = name }.proto
      -- the bridge xs, the end of cable c -- X, the port of b on xs, the tap
      for n = 1, 4 do
        assert.are.equal(137, (run_script(script, "crash", "link_add", tostring(n), x)))
        -- the n-th is there, under its temporary name
        local made, tmp = linknames(x), 0
        for _, l in ipairs(made) do
          if l:match("^vn%x+_%x+$") then tmp = tmp + 1 end
        end
        assert.are.equal(3 + n, #made)
        assert.are.equal(1, tmp)
        recovers(script, name, x, proto)
      end
    end)

    it("down removes the empty files a killed creation or removal leaves, nothing else", function()
      local x = external_ns()
      local name = H.name("t")
      local script = kill_script(name, x)
      finally(function()
        run_script(script, "down"); os.remove(script)
        os.remove("/run/netns/" .. name .. "-zz")
      end)
      local function touch(n) assert(io.open("/run/netns/" .. n, "w")):close() end
      -- a creation killed before the namespace was mounted on its file
      touch(name .. "-a")
      local code, out = run_script(script, "status")
      assert.are.equal(1, code)
      assert.truthy(out:find("namespace " .. name .. "-a (host a): /run/netns/" .. name
                             .. "-a is left from a namespace never made or half removed", 1, true), out)
      local code2, _, err = run_script(script, "up")
      assert.are.equal(1, code2)
      assert.truthy(err:find("run down first", 1, true), err)
      assert.are.same({ name .. "-a" }, leftovers(name))
      assert.are.equal(0, (run_script(script, "down")))
      assert.are.same({}, leftovers(name))
      assert.are.equal(0, (run_script(script, "up")))
      -- a removal killed between unmounting and unlinking
      assert(H.sh("umount /run/netns/" .. name .. "-b"))
      -- not this topology's: a file under a name the script does not use, a
      -- user's namespaces under the prefix and under a name the script uses
      touch(name .. "-zz")
      H.ipdo(nil, "netns", "add", name .. "-user")
      H.ipdo(nil, "netns", "add", name .. "-c-")
      local code3, out3, err3 = run_script(script, "down")
      assert.are.equal(0, code3, out3 .. err3)
      assert.are.same({ name .. "-c-", name .. "-user", name .. "-zz" }, leftovers(name))
      assert.are.same({ "keep0", "keep1", "lo" }, linknames(x))
      os.remove("/run/netns/" .. name .. "-zz")
      H.ipdo(nil, "netns", "delete", name .. "-c-")
      -- a user's namespace under a name the script uses survives down, and up
      -- refuses to take it over
      H.ipdo(nil, "netns", "add", name .. "-c")
      H.ipdo(name .. "-c", "link", "add", "mine", "type", "veth", "peer", "name", "mine2")
      assert.are.equal(0, (run_script(script, "down")))
      assert.truthy(links(name .. "-c").mine)
      local code4, _, err4 = run_script(script, "up")
      assert.are.equal(1, code4)
      assert.truthy(err4:find("exists but was not made by topology " .. name, 1, true), err4)
      assert.are.same({ name .. "-c", name .. "-user" }, leftovers(name))
      assert.truthy(links(name .. "-c").mine)
    end)

    it("down removes a link left under its temporary name, and a user's look-alike stays", function()
      local x = external_ns()
      local name = H.name("t")
      local script = kill_script(name, x)
      finally(function() run_script(script, "down"); os.remove(script) end)
      local net = topo.new{ name = name }
      local tmp = net:_tmp_name(7)
      assert.truthy(#tmp <= 15 and tmp:match("^vn%x%x%x%x%x%x_7$"), tmp)
      assert.are_not.equal(tmp, topo.new{ name = name .. "x" }:_tmp_name(7))
      H.ipdo_batch(x, { "link add " .. tmp .. " type veth peer name " .. tmp .. "p",
                        "link add " .. net:_tmp_name(8) .. " type bridge",
                        -- the names up gives them, made by hand: not the topology's
                        "link add xs type bridge",
                        "link add xc0 type veth peer name xc0p",
                        -- a temporary name with an alias is someone else's
                        "link add " .. net:_tmp_name(9) .. " type bridge",
                        "link set " .. net:_tmp_name(9) .. " alias other" })
      assert.are.equal(0, (run_script(script, "down")))
      local want = { "keep0", "keep1", "lo", "xc0", "xc0p", net:_tmp_name(9), "xs" }
      table.sort(want)
      assert.are.same(want, linknames(x))
    end)
  end)
end)
