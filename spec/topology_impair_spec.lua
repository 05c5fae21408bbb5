-- vnet.topology with impaired cables: cable options for both directions or
-- per end, `up` sets them (and changes a different one in place), status
-- reports them, dot labels them, net:impair changes them at run time,
-- net:cable_down/up fail a cable, down removes them. Rates only here (tbf:
-- this host has no netem); tc is the oracle.
local H = require "spec.helper"
local topo = require "vnet.topology"
local json = require "dkjson"

local function root_qdisc(ns, dev)
  local ok, out = H.sh(("tc -n %s -j -s qdisc show dev %s"):format(H.quote(ns), dev))
  assert(ok, out)
  for _, q in ipairs(json.decode(out)) do if q.root then return q end end
end

local function states(net)
  local st, all = net:status()
  local by = {}
  for _, s in ipairs(st) do by[s.what] = s end
  return by, all, st
end

local function build(name, x)
  local net = topo.new{ name = name }
  local a, b, r = net:host("a"), net:host("b"), net:router("r")
  local sw = net:switch("sw", { subnet = "10.61.1.0/24" })
  net:link(a, sw, { rate = "10mbit" })                           -- both directions
  net:link(r, sw, { [sw] = { rate = "2mbit" } })                 -- the port's egress only
  net:link(r, b, { r = { "10.61.2.1/24", rate = "1mbit" }, b = { "10.61.2.2/24" } })
  if x then
    local X = net:external("X", x)
    net:link(X, r, { X = { "10.61.4.1/24", name = "xr0", rate = "3mbit" }, r = "10.61.4.2/24" })
  end
  net:route(a, "default", r)
  net:route(b, "default", "10.61.2.1")
  return net
end

describe("topology impairments", function()
  local nets = {}
  local function new(tag, x)
    local net = build(H.prefix .. tag, x)
    nets[#nets + 1] = net
    return net
  end
  teardown(function()
    for _, n in ipairs(nets) do pcall(n.down, n) end
    H.cleanup()
  end)

  it("up sets each end's egress; status is all present; dot labels the impaired cables", function()
    local net = new("ti1")
    assert(net:up())
    local n = net.name
    assert.equal(1250000, root_qdisc(n .. "-a", "eth0").options.rate)   -- a -> sw
    assert.equal(1250000, root_qdisc(n, "swp1").options.rate)           -- sw -> a
    assert.equal(250000, root_qdisc(n, "swp2").options.rate)            -- sw -> r only
    assert.not_equal("tbf", root_qdisc(n .. "-r", "eth0").kind)
    assert.equal(125000, root_qdisc(n .. "-r", "eth1").options.rate)    -- r -> b only
    assert.not_equal("tbf", root_qdisc(n .. "-b", "eth0").kind)
    local by, all = states(net)
    assert.is_true(all)
    assert.equal("present", by["impairment on r:eth1 (rate 1mbit)"].state)
    local dot = net:dot()
    assert.matches('label="a->sw: rate 10mbit\\nsw->a: rate 10mbit", color=red', dot, 1, true)
    assert.matches('label="r->b: rate 1mbit", color=red', dot, 1, true)
    -- up again changes nothing
    local before = root_qdisc(n .. "-r", "eth1")
    assert(net:up())
    assert.equal(before.handle, root_qdisc(n .. "-r", "eth1").handle)
    assert(net:down())
    assert.same({}, H.leftovers(n))
  end)

  it("status reports an impairment missing or different; up changes it back in place", function()
    local net = new("ti2")
    assert(net:up())
    local n = net.name
    assert(H.sh(("tc -n %s qdisc del dev eth1 root"):format(n .. "-r")))
    assert(H.sh(("tc -n %s qdisc change dev eth0 root handle e2: tbf rate 5mbit burst 10000 limit 100000")
                :format(n .. "-a")))
    local by, all = states(net)
    assert.is_false(all)
    assert.equal("missing", by["impairment on r:eth1 (rate 1mbit)"].state)
    local d = by["impairment on a:eth0 (rate 10mbit)"]
    assert.equal("different", d.state)
    assert.matches("rate 5mbit", d.detail, 1, true)
    -- up converges: the different one in place (its counter goes on)
    H.sh(("ip netns exec %s ping -c 2 -i 0.01 -W 1 10.61.1.2"):format(n .. "-a"))
    local pk = root_qdisc(n .. "-a", "eth0").packets
    assert.is_true(pk > 0)
    assert(net:up())
    local q = root_qdisc(n .. "-a", "eth0")
    assert.equal(1250000, q.options.rate)
    assert.is_true(q.packets >= pk, "made again")
    assert.equal(125000, root_qdisc(n .. "-r", "eth1").options.rate)
    local _, all2 = states(net)
    assert.is_true(all2)
  end)

  it("net:impair changes a cable at run time, in place; false clears it; status follows", function()
    local net = new("ti3")
    assert(net:up())
    local n = net.name
    H.sh(("ip netns exec %s ping -c 2 -i 0.01 -W 1 10.61.2.2"):format(n .. "-r"))
    local pk = root_qdisc(n .. "-r", "eth1").packets
    assert(net:impair("r", "b", { rate = "4mbit", b = { rate = "500kbit" } }))
    local q = root_qdisc(n .. "-r", "eth1")
    assert.equal(500000, q.options.rate)
    assert.is_true(q.packets >= pk and pk > 0)
    assert.equal(62500, root_qdisc(n .. "-b", "eth0").options.rate)
    local _, all = states(net)
    assert.is_true(all)
    assert.matches("b->r: rate 500kbit", net:dot(), 1, true)
    assert(net:impair("b", "r", false))
    assert.not_equal("tbf", root_qdisc(n .. "-r", "eth1").kind)
    assert.not_equal("tbf", root_qdisc(n .. "-b", "eth0").kind)
    _, all = states(net)
    assert.is_true(all)
    -- a kernel refusal names the cable; nothing changed
    H.raises(function() net:impair("a", "b", { rate = "1mbit" }) end, "impair", "no cable or tunnel between a and b")
    H.raises(function() net:impair("r", "b", { rate = "1" }) end, "option 'rate'")
    H.raises(function() net:impair("r", "b", { nope = 1 }) end, "unknown option or node 'nope'")
    H.raises(function() net:impair("r", "b", 5) end, "options must be a table or false")
    -- the cable named by its object (as net:link returned it)
    local cable = net.cables[3]
    assert(net:impair(cable, { b = { rate = "6mbit" } }))
    assert.equal(750000, root_qdisc(n .. "-b", "eth0").options.rate)
    assert.not_equal("tbf", root_qdisc(n .. "-r", "eth1").kind)
  end)

  it("cable_down fails a cable (both ends down), cable_up brings it back", function()
    local net = new("ti4")
    assert(net:up())
    local n = net.name
    assert.is_true((net:ping("r", "b", { count = 1, timeout = 2 })))
    assert(net:cable_down("r", "b"))
    assert.is_false(H.iplink(n .. "-r", "eth1").flags[1] == "UP")
    local up = false
    for _, f in ipairs(H.iplink(n .. "-b", "eth0").flags) do up = up or f == "UP" end
    assert.is_false(up)
    assert.is_false((net:ping("r", "b", { count = 1, timeout = 1 })))
    local by = states(net)
    assert.equal("different", by["cable r:eth1 -- b:eth0"].state)
    assert(net:cable_up("r", "b"))
    local ok
    for _ = 1, 20 do
      ok = net:ping("r", "b", { count = 1, timeout = 1 })
      if ok then break end
    end
    assert.is_true(ok)
    local _, all = states(net)
    assert.is_true(all)
    H.raises(function() net:cable_down("a", "b") end, "cable_down", "no cable or tunnel between a and b")
  end)

  it("down removes the impairments and the ifbs made for a link in an external namespace", function()
    local x, xn = H.ns("tix")
    local net = new("ti5", x)
    assert(net:up())
    assert.equal(375000, root_qdisc(xn, "xr0").options.rate)
    local l = assert(x:link("xr0"))
    assert(l:impair{ rate = "3mbit", ingress = { rate = "1mbit" } })   -- by hand, on top
    assert.is_table(H.iplink(xn, "vnifb" .. l.index))
    local by, all = states(net)
    assert.is_false(all)                                  -- the script has no ingress
    assert.equal("different", by["impairment on X:xr0 (rate 3mbit)"].state)
    assert(net:down())
    assert.is_nil(H.iplink(xn, "xr0"))
    assert.is_nil(H.iplink(xn, "vnifb" .. l.index))
    assert.same({}, H.leftovers(net.name))
  end)

  H.it_kinds({ "gre" }, "a tunnel's impairment is set on its devices, changed by net:impair, reported", function()
    local net = topo.new{ name = H.prefix .. "ti7" }
    nets[#nets + 1] = net
    local a, b = net:host("a"), net:host("b")
    net:link(a, b, { a = "172.16.7.1/24", b = "172.16.7.2/24" })
    local t = net:tunnel(a, b, { mode = "gre", a = "10.9.7.1/30", b = { "10.9.7.2/30", rate = "2mbit" },
                                 rate = "1mbit", ttl = 64 })
    assert(net:up())
    local n = net.name
    assert.equal(125000, root_qdisc(n .. "-a", "gre-b").options.rate)
    assert.equal(250000, root_qdisc(n .. "-b", "gre-a").options.rate)
    local _, all = states(net)
    assert.is_true(all)
    assert.is_true((net:ping(a, "10.9.7.2")))
    -- between a and b there is a cable too: the tunnel is named by its object
    assert(net:impair(t, { rate = "3mbit" }))
    assert.equal(375000, root_qdisc(n .. "-a", "gre-b").options.rate)
    assert.equal(375000, root_qdisc(n .. "-b", "gre-a").options.rate)
    _, all = states(net)
    assert.is_true(all)
    assert(net:down())
    assert.same({}, H.leftovers(n))
  end)

  it("declaring: bad options raise naming the cable; tunnels take them too", function()
    local net = topo.new{ name = H.prefix .. "ti6" }
    local a, b = net:host("a"), net:host("b")
    H.raises(function() net:link(a, b, { delay = "5" }) end, "link a -- b", "option 'delay' '5' needs a unit")
    H.raises(function() net:link(a, b, { a = { dealy = "5ms" } }) end, "link a -- b", "unknown endpoint option 'dealy'")
    H.raises(function() net:link(a, b, { loss = "200%" }) end, "option 'loss' is out of range")
    net:link(a, b, { a = "10.62.0.1/24", b = "10.62.0.2/24", limit = 10 })   -- a limit alone: nothing to set
    local t = net:tunnel(a, b, { mode = "gre", delay = "5ms", b = { loss = "1%" } })
    assert.is_nil(t.kopts.delay)
    local kinds = {}
    for _, s in ipairs(net:steps()) do kinds[#kinds + 1] = s.kind == "impair" and s.what or nil end
    assert.same({ "impairment on a:gre-b (delay 5ms)", "impairment on b:gre-a (delay 5ms loss 1%)" }, kinds)
    assert.matches('label="gre\\na->b: delay 5ms\\nb->a: delay 5ms loss 1%"', net:dot(), 1, true)
  end)
end)
