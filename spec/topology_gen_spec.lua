-- vnet.topology's generators (lua/vnet/topology/gen.lua): linear, star,
-- tree and clos. Small instances come up, reach every pair, show the
-- addresses and routes `ip -j` reads back, and go down without a trace;
-- bad arguments raise naming the argument and leave the net untouched.
local H = require "spec.helper"
local topo = require "vnet.topology"
local gen = require "vnet.topology.gen"

local leftovers = H.leftovers

-- { [dev] = { "10.0.0.1/24", ... } } of a node's namespace, as `ip` sees it
local function addrs(net, node, family)
  local r = {}
  for _, l in ipairs(H.ip(net.name .. "-" .. node.name, family or "-4", "addr", "show")) do
    for _, a in ipairs(l.addr_info or {}) do
      if a.scope ~= "host" and a.scope ~= "link" then
        r[l.ifname] = r[l.ifname] or {}
        table.insert(r[l.ifname], a["local"] .. "/" .. a.prefixlen)
      end
    end
  end
  return r
end

-- { "dst via gateway"... } of a node's static routes (the topology's
-- protocol), sorted, as `ip` sees them
local function routes(net, node, family)
  local r = {}
  for _, e in ipairs(H.ip(net.name .. "-" .. node.name, family or "-4", "route", "show",
                          "proto", tostring(net.proto))) do
    r[#r + 1] = e.dst .. " via " .. tostring(e.gateway)
  end
  table.sort(r)
  return r
end

-- the bridge ports of switch sw (in the topology's namespace), sorted
local function ports(net, sw)
  local r = {}
  for _, l in ipairs(H.ip(net.name, "link", "show", "master", sw)) do r[#r + 1] = l.ifname end
  table.sort(r)
  return r
end

local function names(list)
  local r = {}
  for i, n in ipairs(list) do r[i] = n.name end
  return r
end

local function reach_all(net, opts)
  local all, res = net:reach(opts or { quiet = true })
  local bad = {}
  for _, r in ipairs(res) do if not r.ok then bad[#bad + 1] = r.x .. " -> " .. r.y end end
  assert.are.same({}, bad)
  assert.is_true(all)
  return #res
end

-- waits (up to ~5 s) until no IPv6 address of the nodes is tentative: a
-- fresh link's neighbour discovery can drop the first packet before then
local function settle6(net, nodes)
  for _, n in ipairs(nodes) do
    for _ = 1, n.kind ~= "switch" and 50 or 0 do
      if #H.ip(net.name .. "-" .. n.name, "-6", "addr", "show", "tentative") == 0 then break end
      H.sh("sleep 0.1")
    end
  end
end

local function up(net)
  finally(function() net:down() end)
  assert(net:up())
end

local function down(net)
  assert.is_true(net:down())
  assert.are.same({}, leftovers(net.name))
end

describe("topology generators", function()
  after_each(H.cleanup)

  it("linear: a routed chain of 4 that reaches every pair, as ip shows it", function()
    local net = topo.new{ name = H.name("lin") }
    local t = topo.linear(net, 4)
    assert.are.same({ "h1", "r2", "r3", "h4" }, names(t.nodes))
    assert.are.same({ "h1", "h4" }, names(t.hosts))
    assert.are.same({ "r2", "r3" }, names(t.routers))
    assert.are.equal(3, #t.cables)
    up(net)
    assert.are.same({ eth0 = { "10.255.0.1/30" } }, addrs(net, t.nodes[1]))
    assert.are.same({ eth0 = { "10.255.0.2/30" }, eth1 = { "10.255.0.5/30" } }, addrs(net, t.nodes[2]))
    assert.are.same({ eth0 = { "10.255.0.6/30" }, eth1 = { "10.255.0.9/30" } }, addrs(net, t.nodes[3]))
    assert.are.same({ eth0 = { "10.255.0.10/30" } }, addrs(net, t.nodes[4]))
    assert.are.same({ "default via 10.255.0.2" }, routes(net, t.nodes[1]))
    assert.are.same({ "10.255.0.8/30 via 10.255.0.6" }, routes(net, t.nodes[2]))
    assert.are.same({ "10.255.0.0/30 via 10.255.0.5" }, routes(net, t.nodes[3]))
    assert.are.same({ "default via 10.255.0.9" }, routes(net, t.nodes[4]))
    assert.are.equal(12, reach_all(net))
    -- the routers forward
    local ok, out = H.sh("ip netns exec " .. H.quote(net.name .. "-r2") .. " sysctl -n net.ipv4.ip_forward")
    assert.is_true(ok, out)
    assert.are.equal("1", out:match("%d"))
    down(net)
  end)

  it("linear: the routers' far cables are summarized, and the whole chain is reached", function()
    local net = topo.new{ name = H.name("lin") }
    local t = topo.linear(net, 7, { subnet = "10.9.0.0/24" })
    up(net)
    -- r4 (cables 1..6 are 10.9.0.0/30 ... 10.9.0.20/30): left far cables
    -- 1, 2 (one /29), right far cables 5, 6 (10.9.0.16/29)
    assert.are.same({ "10.9.0.0/29 via 10.9.0.9", "10.9.0.16/29 via 10.9.0.14" }, routes(net, t.nodes[4]))
    -- r2: 10.9.0.8/29 (cables 3, 4) and 10.9.0.16/29 (cables 5, 6)
    assert.are.same({ "10.9.0.16/29 via 10.9.0.6", "10.9.0.8/29 via 10.9.0.6" }, routes(net, t.nodes[2]))
    assert.are.same({ "default via 10.9.0.21" }, routes(net, t.nodes[7]))
    -- end to end, both ways, and each end to every router's far side
    local pairs_ = { { t.nodes[1], t.nodes[7] }, { t.nodes[7], t.nodes[1] } }
    for i = 2, 6 do
      pairs_[#pairs_ + 1] = { t.nodes[1], t.nodes[i] }
      pairs_[#pairs_ + 1] = { t.nodes[7], t.nodes[i] }
    end
    reach_all(net, { pairs = pairs_, quiet = true })
    local ok = net:ping(t.nodes[1], "10.9.0.21")         -- r6's address towards h7
    assert.is_true(ok)
    down(net)
  end)

  it("linear: routes = false leaves the routers unrouted (neighbours reach, far pairs do not)", function()
    local net = topo.new{ name = H.name("lin") }
    local t = topo.linear(net, 4, { routes = false })
    up(net)
    assert.are.same({}, routes(net, t.nodes[2]))
    assert.are.same({}, routes(net, t.nodes[3]))
    assert.are.same({ "default via 10.255.0.2" }, routes(net, t.nodes[1]))
    local n = t.nodes
    reach_all(net, { pairs = { { n[1], n[2] }, { n[2], n[3] }, { n[3], n[4] }, { n[4], n[3] } }, quiet = true })
    local all, res = net:reach{ pairs = { { n[1], n[4] } }, quiet = true }
    assert.is_false(all)
    assert.is_false(res[1].ok)
    down(net)
  end)

  it("linear: 1 node is a host alone, 2 are two hosts on one cable without routes", function()
    local net = topo.new{ name = H.name("lin") }
    local one = topo.linear(net, 1, { prefix = "a" })
    assert.are.same({ "ah1" }, names(one.nodes))
    assert.are.same({}, one.routers)
    assert.are.same({}, one.cables)
    local two = topo.linear(net, 2, { prefix = "b" })
    assert.are.same({ "bh1", "bh2" }, names(two.nodes))
    assert.are.equal(0, #net.routes)
    assert.are.equal("10.255.0.2", net:addr(two.nodes[2]))
  end)

  it("star: 5 hosts on one switch, addresses from its subnet", function()
    local net = topo.new{ name = H.name("star") }
    local t = topo.star(net, 5)
    assert.are.equal("s", t.switch.name)
    assert.are.same({ "h1", "h2", "h3", "h4", "h5" }, names(t.hosts))
    -- a host cabled to the switch later gets the next address
    local extra = net:host("x")
    net:link(extra, t.switch)
    up(net)
    assert.are.same({ "sp1", "sp2", "sp3", "sp4", "sp5", "sp6" }, ports(net, "s"))
    for i, h in ipairs(t.hosts) do
      assert.are.same({ eth0 = { "10.0.0." .. i .. "/16" } }, addrs(net, h))
    end
    assert.are.same({ eth0 = { "10.0.0.6/16" } }, addrs(net, extra))
    assert.are.equal(30, reach_all(net))
    down(net)
  end)

  it("star: 2000 hosts fit the default subnet (planned, not brought up)", function()
    local net = topo.new{ name = H.name("star") }
    local t = topo.star(net, 2000, { switch = "big" })
    assert.are.equal(2000, #t.hosts)
    assert.are.equal("10.0.7.208", net:addr(t.hosts[2000]))
    assert.are.equal("big", t.switch.name)
  end)

  -- the ports each switch of net gets: { [switch name] = count }
  local function planned_ports(net)
    local r = {}
    for _, c in ipairs(net.cables) do
      for _, e in ipairs({ c.a, c.b }) do
        if e.node.kind == "switch" then r[e.node.name] = (r[e.node.name] or 0) + 1 end
      end
    end
    return r
  end

  it("star: more hosts than a bridge's 1023 ports spread over switches cabled to the first (planned)", function()
    assert.are.equal(1023, gen.BRIDGE_PORTS)
    local net = topo.new{ name = H.name("star") }
    local t = topo.star(net, 2100)
    assert.are.same({ s = 1023, s2 = 1023, s3 = 58 }, planned_ports(net))
    assert.are.same({ "s", "s2", "s3" }, names(t.switches))
    assert.are.equal(t.switches[1], t.switch)
    assert.are.equal(2, #t.uplinks)
    assert.are.equal(2100, #t.cables)
    -- host i keeps the i-th address of the subnet, each one its own
    local seen = {}
    for i, h in ipairs(t.hosts) do
      local a = net:addr(h)
      assert.is_nil(seen[a], a)
      seen[a] = true
      if i == 1 then assert.are.equal("10.0.0.1", a) end
    end
    assert.are.equal("10.0.8.52", net:addr(t.hosts[2100]))
    -- one bridge's worth stays on one switch with its subnet
    local one = topo.new{ name = H.name("star") }
    local t1 = topo.star(one, 1023)
    assert.are.same({ s = 1023 }, planned_ports(one))
    assert.are.same({}, t1.uplinks)
  end)

  it("star: spread over switches of (here) 4 ports, it comes up as one L2 subnet", function()
    -- star with the limit lowered to n ports (put back before anything can fail)
    local function star(net, n, ports)
      local saved = gen.BRIDGE_PORTS
      gen.BRIDGE_PORTS = ports
      local ok, t = pcall(topo.star, net, n)
      gen.BRIDGE_PORTS = saved
      if not ok then error(t, 0) end
      return t
    end
    local net = topo.new{ name = H.name("star") }
    local t = star(net, 9, 4)
    assert.are.same({ "s", "s2", "s3", "s4" }, names(t.switches))
    up(net)
    -- s: h1 and the three uplinks; s2, s3: an uplink and 3 hosts; s4: 2
    assert.are.same({ "sp1", "sp2", "sp3", "sp4" }, ports(net, "s"))
    assert.are.same({ "s2p1", "s2p2", "s2p3", "s2p4" }, ports(net, "s2"))
    assert.are.same({ "s4p1", "s4p2", "s4p3" }, ports(net, "s4"))
    for i, h in ipairs(t.hosts) do
      assert.are.same({ eth0 = { "10.0.0." .. i .. "/16" } }, addrs(net, h))
    end
    local h = t.hosts
    assert.are.equal(6, reach_all(net, { quiet = true, pairs = {
      { h[1], h[9] }, { h[9], h[1] }, { h[2], h[5] }, { h[5], h[8] }, { h[4], h[3] }, { h[7], h[1] } } }))
    down(net)
    -- too many hosts for a two-level star of 3-port switches raises
    H.raises(function() star(topo.new{ name = H.name("star") }, 7, 3) end,
             "topology.star", "needs more than 4 switches of 3 ports")
    for _, bad in ipairs({ 2, 0 / 0, 3.5, "1023", 2 ^ 63 }) do
      local other = topo.new{ name = H.name("star") }
      H.raises(function() star(other, 5, bad) end, "topology.star", "BRIDGE_PORTS must be an integer from 3")
      assert.are.same({}, other.nodes)
    end
    assert.are.equal(1023, gen.BRIDGE_PORTS)
  end)

  it("tree: depth 2, fanout 2 as Mininet's TreeTopo", function()
    local net = topo.new{ name = H.name("tree") }
    local t = topo.tree(net, 2, 2)
    assert.are.same({ "s1", "s2", "s3" }, names(t.switches))
    assert.are.equal(t.switches[1], t.root)
    assert.are.same({ "h1", "h2", "h3", "h4" }, names(t.hosts))
    assert.are.equal(6, #t.cables)
    up(net)
    -- s1 has s2 and s3 below it; s2 has h1, h2 (and the uplink), s3 h3, h4
    assert.are.same({ "s1p1", "s1p2" }, ports(net, "s1"))
    assert.are.same({ "s2p1", "s2p2", "s2p3" }, ports(net, "s2"))
    assert.are.same({ "s3p1", "s3p2", "s3p3" }, ports(net, "s3"))
    for i, h in ipairs(t.hosts) do
      assert.are.same({ eth0 = { "10.0.0." .. i .. "/16" } }, addrs(net, h))
      assert.are.same({}, routes(net, h))
    end
    assert.are.equal(12, reach_all(net))
    down(net)
  end)

  it("tree: depth 1 is one switch; fanout 1 a line of switches", function()
    local net = topo.new{ name = H.name("tree") }
    local a = topo.tree(net, 1, 3, { prefix = "a" })
    assert.are.same({ "as1" }, names(a.switches))
    assert.are.same({ "ah1", "ah2", "ah3" }, names(a.hosts))
    local b = topo.tree(net, 3, 1, { prefix = "b", subnet = "10.7.0.0/30" })
    assert.are.same({ "bs1", "bs2", "bs3" }, names(b.switches))
    assert.are.same({ "bh1" }, names(b.hosts))
    assert.are.equal("10.7.0.1", net:addr(b.hosts[1]))
    local c = topo.tree(net, 3, 3, { prefix = "c" })
    assert.are.equal(13, #c.switches)
    assert.are.equal(27, #c.hosts)
    assert.are.equal("10.0.0.27", net:addr(c.hosts[27]))
  end)

  it("clos: 2 spines x 3 leaves x 2 hosts, routed, every pair reaches", function()
    local net = topo.new{ name = H.name("clos") }
    local t = topo.clos(net, { spines = 2, leaves = 3, hosts_per_leaf = 2 })
    assert.are.same({ "sp1", "sp2" }, names(t.spines))
    assert.are.same({ "lf1", "lf2", "lf3" }, names(t.leaves))
    assert.are.same({ "h1_1", "h1_2", "h2_1", "h2_2", "h3_1", "h3_2" }, names(t.hosts))
    assert.are.same({ "h2_1", "h2_2" }, names(t.by_leaf[2]))
    assert.are.same({ "lf1s", "lf2s", "lf3s" }, names(t.switches))
    up(net)
    assert.are.same({ eth0 = { "10.0.0.1/24" }, eth1 = { "10.128.0.1/30" }, eth2 = { "10.128.0.5/30" } },
                    addrs(net, t.leaves[1]))
    assert.are.same({ eth0 = { "10.128.0.2/30" }, eth1 = { "10.128.0.10/30" }, eth2 = { "10.128.0.18/30" } },
                    addrs(net, t.spines[1]))
    assert.are.same({ eth0 = { "10.0.1.3/24" } }, addrs(net, t.by_leaf[2][2]))
    assert.are.same({ "default via 10.0.1.1" }, routes(net, t.by_leaf[2][2]))
    -- leaf 1 reaches leaf 2 through spine (1+2)%2+1 = 2, leaf 3 through spine 1
    assert.are.same({ "10.0.1.0/24 via 10.128.0.6", "10.0.2.0/24 via 10.128.0.2",
                      "10.128.0.16/29 via 10.128.0.2", "10.128.0.8/29 via 10.128.0.6" },
                    routes(net, t.leaves[1]))
    -- the same spine back
    assert.are.same({ "10.0.0.0/24 via 10.128.0.14", "10.0.2.0/24 via 10.128.0.14",
                      "10.128.0.0/29 via 10.128.0.14", "10.128.0.16/29 via 10.128.0.14" },
                    routes(net, t.leaves[2]))
    assert.are.same({ "10.0.0.0/24 via 10.128.0.5", "10.0.1.0/24 via 10.128.0.13",
                      "10.0.2.0/24 via 10.128.0.21", "10.128.0.0/29 via 10.128.0.5",
                      "10.128.0.16/29 via 10.128.0.21", "10.128.0.8/29 via 10.128.0.13" },
                    routes(net, t.spines[2]))
    assert.are.equal(110, reach_all(net))
    down(net)
  end)

  it("clos: routes = false gives addresses and the hosts' default routes only", function()
    local net = topo.new{ name = H.name("clos") }
    local t = topo.clos(net, { spines = 1, leaves = 2, hosts_per_leaf = 2, routes = false,
                               subnet = "172.16.0.0/16" })
    up(net)
    for _, r in ipairs({ t.spines[1], t.leaves[1], t.leaves[2] }) do
      assert.are.same({}, routes(net, r))
    end
    assert.are.same({ "default via 172.16.0.1" }, routes(net, t.by_leaf[1][1]))
    local h = t.by_leaf
    reach_all(net, { pairs = { { h[1][1], h[1][2] }, { h[1][1], t.leaves[1] }, { h[2][2], t.leaves[2] },
                               { t.leaves[1], t.spines[1] } }, quiet = true })
    local all = net:reach{ pairs = { { h[1][1], h[2][1] } }, quiet = true }
    assert.is_false(all)
    down(net)
  end)

  it("clos: leaf subnets grow past a /24 with the hosts, and shrink to fit a small subnet", function()
    local net = topo.new{ name = H.name("clos") }
    local a = topo.clos(net, { spines = 1, leaves = 2, hosts_per_leaf = 300, prefix = "a" })
    assert.are.equal("10.0.2.1", net:addr(a.leaves[2]))          -- a /23 each
    assert.are.equal("10.0.3.45", net:addr(a.by_leaf[2][300]))
    local b = topo.clos(net, { spines = 2, leaves = 2, hosts_per_leaf = 2, prefix = "b",
                               subnet = "192.168.1.0/26" })
    assert.are.equal("192.168.1.1", net:addr(b.leaves[1]))      -- a /29 each
    assert.are.equal("192.168.1.10", net:addr(b.by_leaf[2][1]))
    assert.are.equal("192.168.1.34", net:addr(b.spines[1]))     -- cables in 192.168.1.32/27
  end)

  it("builds two generators in one net with different prefixes", function()
    local net = topo.new{ name = H.name("two") }
    local c = topo.linear(net, 3, { prefix = "c" })
    local s = topo.star(net, 3, { prefix = "s", subnet = "10.1.0.0/24" })
    assert.are.same({ "ch1", "cr2", "ch3" }, names(c.nodes))
    assert.are.same({ "sh1", "sh2", "sh3" }, names(s.hosts))
    assert.are.equal("ss", s.switch.name)
    -- wired together: c's router on the star's switch
    net:link(c.routers[1], s.switch)
    up(net)
    assert.are.same({ "ssp1", "ssp2", "ssp3", "ssp4" }, ports(net, "ss"))
    assert.are.same({ eth0 = { "10.255.0.2/30" }, eth1 = { "10.255.0.5/30" }, eth2 = { "10.1.0.4/24" } },
                    addrs(net, c.routers[1]))
    reach_all(net, { nodes = { c.nodes[1], c.nodes[2], c.nodes[3] }, quiet = true })
    reach_all(net, { nodes = s.hosts, quiet = true })
    assert.is_true((net:ping(s.hosts[1], "10.1.0.4")))
    down(net)
  end)

  it("reads options through __index, as the rest of vnet.topology does", function()
    local net = topo.new{ name = H.name("idx") }
    local t = topo.linear(net, 3, setmetatable({}, { __index = { prefix = "p", subnet = "10.3.0.0/24",
                                                                  routes = false } }))
    assert.are.same({ "ph1", "pr2", "ph3" }, names(t.nodes))
    assert.are.equal("10.3.0.1", net:addr(t.nodes[1]))
    assert.are.equal(2, #net.routes)               -- the ends' default routes only
    local c = topo.clos(net, setmetatable({}, { __index = { spines = 1, leaves = 1, hosts_per_leaf = 1,
                                                            prefix = "q" } }))
    assert.are.same({ "qh1_1" }, names(c.hosts))
    -- an __index that raises raises through the generator
    H.raises(function()
      topo.star(net, 2, setmetatable({}, { __index = function(_, k) error("no field " .. k, 0) end }))
    end, "no field")
  end)

  describe("raises on misuse, naming the argument, and adds nothing", function()
    local net
    before_each(function() net = topo.new{ name = H.name("bad") } end)
    after_each(function()
      assert.are.equal(0, #net.nodes)
      assert.are.equal(0, #net.cables)
      assert.are.equal(0, #net.routes)
      assert.is_nil(net.fabric)
    end)

    local counts = { 0, -1, 1.5, "3", true, {}, 0 / 0, math.huge, -math.huge, 2 ^ 31, 2 ^ 32 + 1,
                     2 ^ 53, 2 ^ 63 }
    -- nil last: a table constructor's trailing nil is no element
    local function each_count(f)
      for _, v in ipairs(counts) do f(v) end
      f(nil)
    end

    it("counts that are not integers from 1", function()
      each_count(function(v)
        H.raises(function() topo.linear(net, v) end, "topology.linear", "argument 'n'", "integer")
        H.raises(function() topo.star(net, v) end, "topology.star", "argument 'n'")
        H.raises(function() topo.tree(net, v, 2) end, "topology.tree", "argument 'depth'")
        H.raises(function() topo.tree(net, 2, v) end, "topology.tree", "argument 'fanout'")
        for _, k in ipairs({ "spines", "leaves", "hosts_per_leaf" }) do
          local o = { spines = 1, leaves = 1, hosts_per_leaf = 1 }
          o[k] = v
          H.raises(function() topo.clos(net, o) end, "topology.clos", "option '" .. k .. "'")
        end
      end)
    end)

    it("shapes that do not fit the subnet", function()
      H.raises(function() topo.linear(net, 20000) end, "topology.linear", "10.255.0.0/16", "16384 cables")
      H.raises(function() topo.linear(net, 2 ^ 31 - 1) end, "topology.linear", "room")
      H.raises(function() topo.linear(net, 3, { subnet = "10.0.0.0/30" }) end, "room for 1 cables")
      H.raises(function() topo.linear(net, 2, { subnet = "10.0.0.0/31" }) end, "room for 0 cables")
      H.raises(function() topo.star(net, 70000) end, "topology.star", "room for 65534 addresses")
      H.raises(function() topo.star(net, 3, { subnet = "10.0.0.0/30" }) end, "room for 2 addresses")
      H.raises(function() topo.star(net, 2 ^ 31 - 1, { subnet = "10.0.0.0/8" }) end, "room")
      H.raises(function() topo.tree(net, 3, 3, { subnet = "10.0.0.0/28" }) end, "room for 14 addresses")
      H.raises(function() topo.tree(net, 2 ^ 31 - 1, 1) end, "topology.tree", "more than")
      H.raises(function() topo.tree(net, 40, 40) end, "topology.tree", "more than")
      H.raises(function() topo.clos(net, { spines = 2, leaves = 3, hosts_per_leaf = 2, subnet = "10.0.0.0/28" }) end,
               "topology.clos", "no room for 3 leaf subnets")
      H.raises(function() topo.clos(net, { spines = 8, leaves = 8, hosts_per_leaf = 1, subnet = "10.0.0.0/24" }) end,
               "no room for 64 leaf-spine cables")
      H.raises(function() topo.clos(net, { spines = 1, leaves = 1, hosts_per_leaf = 1, subnet = "10.0.0.0/30" }) end,
               "too small")
      H.raises(function() topo.clos(net, { spines = 2 ^ 31 - 1, leaves = 2 ^ 31 - 1, hosts_per_leaf = 1 }) end,
               "more than")
    end)

    it("unknown option keys, named", function()
      H.raises(function() topo.linear(net, 2, { prefx = "a" }) end, "topology.linear", "unknown option 'prefx'")
      H.raises(function() topo.star(net, 2, { routes = false }) end, "topology.star", "unknown option 'routes'")
      H.raises(function() topo.tree(net, 2, 2, { switch = "x" }) end, "topology.tree", "unknown option 'switch'")
      H.raises(function() topo.clos(net, { spines = 1, leaves = 1, hosts_per_leaf = 1, hosts = 3 }) end,
               "topology.clos", "unknown option 'hosts'")
      H.raises(function() topo.linear(net, 2, { [1] = "x" }) end, "unknown option '1'")
    end)

    it("options of the wrong type or form", function()
      local bad = {
        { { prefix = 5 }, "option 'prefix'" }, { { prefix = "a b" }, "option 'prefix'" },
        { { prefix = "a\0b" }, "option 'prefix'" }, { { prefix = "-a" }, "option 'prefix'" },
        { { prefix = {} }, "option 'prefix'" },
        { { subnet = "x" }, "option 'subnet'" }, { { subnet = "10.0.0.1" }, "option 'subnet'" },
        { { subnet = "10.0.0.0/8\0" }, "option 'subnet'" }, { { subnet = "10.0.0.0/33" }, "option 'subnet'" },
        { { subnet = 10 }, "option 'subnet'" }, { { subnet = ("1"):rep(100000) }, "option 'subnet'" },
      }
      for _, b in ipairs(bad) do
        H.raises(function() topo.linear(net, 2, b[1]) end, "topology.linear", b[2])
        H.raises(function() topo.star(net, 2, b[1]) end, "topology.star", b[2])
        H.raises(function() topo.tree(net, 1, 2, b[1]) end, "topology.tree", b[2])
        local o = { spines = 1, leaves = 1, hosts_per_leaf = 1 }
        for k, v in pairs(b[1]) do o[k] = v end
        H.raises(function() topo.clos(net, o) end, "topology.clos", b[2])
      end
      H.raises(function() topo.linear(net, 2, { routes = "yes" }) end, "option 'routes'", "boolean")
      H.raises(function() topo.clos(net, { spines = 1, leaves = 1, hosts_per_leaf = 1, routes = 0 }) end,
               "option 'routes'")
      H.raises(function() topo.star(net, 2, { switch = 7 }) end, "option 'switch'")
      H.raises(function() topo.star(net, 2, { switch = "a/b" }) end, "option 'switch'")
      H.raises(function() topo.star(net, 2, { switch = "" }) end, "option 'switch'")
      H.raises(function() topo.star(net, 2, { switch = "via" }) end, "topology.star", "'via' is reserved")
      H.raises(function() topo.linear(net, 2, "opts") end, "topology.linear", "options table")
      H.raises(function() topo.clos(net) end, "topology.clos", "options table")
      H.raises(function() topo.clos(net, 3) end, "topology.clos", "options table")
    end)

    it("a net that is not a topology", function()
      for _, v in ipairs({ 1, "net", {}, setmetatable({}, { __index = net }) }) do
        H.raises(function() topo.linear(v, 2) end, "topology.linear", "argument 'net'")
        H.raises(function() topo.star(v, 2) end, "topology.star", "argument 'net'")
        H.raises(function() topo.tree(v, 1, 1) end, "topology.tree", "argument 'net'")
        H.raises(function() topo.clos(v, { spines = 1, leaves = 1, hosts_per_leaf = 1 }) end,
                 "topology.clos", "argument 'net'")
      end
      H.raises(function() topo.linear(nil, 2) end, "argument 'net'")
    end)

    it("names that are taken or would be too long", function()
      local other = topo.new{ name = H.name("bad") }
      topo.star(other, 2)
      H.raises(function() topo.star(other, 2) end, "topology.star", "node 'h1' is already declared")
      H.raises(function() topo.linear(other, 3) end, "node 'h1' is already declared")
      -- one name taken at the end of the list: still nothing added
      other:host("zh9")
      local before = #other.nodes
      H.raises(function() topo.linear(other, 9, { prefix = "z" }) end, "node 'zh9'")
      assert.are.equal(before, #other.nodes)
      -- namespace names: topology name + "-" + node name <= 63 bytes
      H.raises(function() topo.linear(net, 2, { prefix = ("p"):rep(60) }) end, "longer than 63 bytes")
      H.raises(function() topo.linear(net, 2, { prefix = ("p"):rep(1000000) }) end, "longer than 63 bytes")
      -- bridge port names <= 15 bytes
      H.raises(function() topo.star(net, 2, { prefix = "abcdefghijklm" }) end, "longer than 15 bytes")
      H.raises(function() topo.star(net, 10, { switch = "s2345678901234" }) end, "'s2345678901234p10'")
      H.raises(function() topo.tree(net, 1, 2, { prefix = "abcdefghijkl" }) end, "longer than 15 bytes")
      H.raises(function() topo.clos(net, { spines = 1, leaves = 1, hosts_per_leaf = 1, prefix = "abcdefghij" }) end,
               "longer than 15 bytes")
    end)

    it("points the error at the caller's line", function()
      local err = H.raises(function() topo.linear(net, 0) end, "argument 'n'")
      assert.truthy(err:find("topology_gen_spec.lua:", 1, true), err)
      err = H.raises(function() gen.star(net, 2, { x = 1 }) end, "unknown option 'x'")
      assert.truthy(err:find("topology_gen_spec.lua:", 1, true), err)
      err = H.raises(function() topo.linear(net, 20000) end, "room")
      assert.truthy(err:find("topology_gen_spec.lua:", 1, true), err)
      err = H.raises(function() topo.clos(net, { spines = 1, leaves = 1, hosts_per_leaf = 1, subnet = "10.0.0.0/30" }) end)
      assert.truthy(err:find("topology_gen_spec.lua:", 1, true), err)
    end)
  end)

  it("are vnet.topology's linear, star, tree and clos", function()
    assert.are.equal(gen.linear, topo.linear)
    assert.are.equal(gen.star, topo.star)
    assert.are.equal(gen.tree, topo.tree)
    assert.are.equal(gen.clos, topo.clos)
  end)

  it("carves IPv6 subnets too (/126 cables, leaf subnets as small as fit)", function()
    local net = topo.new{ name = H.name("six") }
    local t = topo.linear(net, 3, { subnet = "fd00:1::/64" })
    local c = topo.clos(net, { spines = 1, leaves = 2, hosts_per_leaf = 1, subnet = "fd00:2::/48", prefix = "c" })
    assert.are.equal("fd00:1::1", net:addr(t.nodes[1]))
    assert.are.equal("fd00:1::6", net:addr(t.nodes[3]))
    assert.are.equal("fd00:2::6", net:addr(c.by_leaf[2][1]))      -- a /126 each
    up(net)
    assert.are.same({ eth0 = { "fd00:1::2/126" }, eth1 = { "fd00:1::5/126" } }, addrs(net, t.nodes[2], "-6"))
    assert.are.same({ "default via fd00:1::2" }, routes(net, t.nodes[1], "-6"))
    settle6(net, net.nodes)
    reach_all(net, { nodes = t.nodes, quiet = true })
    reach_all(net, { nodes = { c.by_leaf[1][1], c.by_leaf[2][1], c.spines[1] }, quiet = true })
    down(net)
  end)
end)
