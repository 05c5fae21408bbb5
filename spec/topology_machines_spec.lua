-- vnet.topology across machines: one script, each machine applying its own
-- slice. Here the machines are played by namespaces on one kernel (each
-- with an underlay veth to the other), so the slicing and the ownership of
-- each slice run everywhere; the tunnels between machines need vxlan, gre
-- or ipip (the VM tier has them). The two-VM tier (vm/run2) runs the same
-- on two kernels.
local H = require "spec.helper"
local topo = require "vnet.topology"

-- two namespaces playing machines A (192.168.9.125) and B (192.168.9.183),
-- joined by a veth: their underlay
local function machines()
  local _, a = H.ns("mA")
  local _, b = H.ns("mB")
  H.ipdo(nil, "link", "add", "uA", "netns", a, "type", "veth", "peer", "name", "uB", "netns", b)
  H.ipdo_batch(a, { "link set lo up", "link set uA up", "addr add 192.168.9.125/24 dev uA" })
  H.ipdo_batch(b, { "link set lo up", "link set uB up", "addr add 192.168.9.183/24 dev uB" })
  return a, b
end

local function names(list)
  local t = {}
  for _, x in ipairs(list) do t[#t + 1] = x end
  table.sort(t)
  return t
end

local ops = H.plan_ops

-- the links carrying a tag of topology `name` in namespace ns
local function tagged(ns, name)
  local t = {}
  for _, l in ipairs(H.ip(ns, "link", "show")) do
    if (l.ifalias or ""):sub(1, #name + 5) == "vnet:" .. name then t[#t + 1] = l.ifname end
  end
  return t
end

-- both slices down: nothing of the lab left, in its namespaces or in the machines'
local function down_both(net, name, ma, mb)
  assert(net:down{ machine = "A" })
  assert(net:down{ machine = "B" })
  assert.are.same({}, H.leftovers(name))
  assert.are.same({}, tagged(ma, name))
  assert.are.same({}, tagged(mb, name))
end

describe("topology across machines", function()
  after_each(H.cleanup)

  local function lab(name, ma, mb, via)
    local net = topo.new{ name = name }
    local A = net:machine("A", { underlay = "192.168.9.125", netns = ma })
    local B = net:machine("B", { underlay = "192.168.9.183", netns = mb })
    local a1, a2 = net:host("a1", { machine = A }), net:host("a2", { machine = A })
    local b1, b2 = net:host("b1", { machine = B }), net:host("b2", { machine = B })
    local s = net:switch("s", { machine = A, subnet = "10.61.0.0/24" })
    net:link(a1, s)
    net:link(a2, s)
    net:link(b1, b2, { b1 = "10.62.0.1/24", b2 = "10.62.0.2/24" })
    if via then
      net:link(a1, b1, { a1 = "10.63.0.1/30", b1 = "10.63.0.2/30", via = via })
      net:link(b2, s, { b2 = "10.61.0.200/24" })     -- s stretched to B over vxlan
    end
    return net
  end

  it("each machine applies its own slice; down on one leaves the other", function()
    local ma, mb = machines()
    local name = H.name("mm")
    local net = lab(name, ma, mb)
    finally(function() net:down{ machine = "A" }; net:down{ machine = "B" } end)
    local pa = ops(net:plan{ machine = "A" })
    assert.is_true(#pa > 0)
    for _, op in ipairs(pa) do
      assert.is_nil(op:find("b1", 1, true), op)
      assert.is_nil(op:find("b2", 1, true), op)
    end
    assert(net:up{ machine = "A" })
    assert.are.same({ name .. "-@A", name .. "-a1", name .. "-a2" }, names(H.leftovers(name)))
    assert(net:up{ machine = "B" })
    assert.are.same({ name .. "-@A", name .. "-a1", name .. "-a2", name .. "-b1", name .. "-b2" },
                    names(H.leftovers(name)))
    -- each slice carries its own tag
    assert.are.equal("vnet:" .. name .. "@A", H.iplink(name .. "-a1", "lo").ifalias)
    assert.are.equal("vnet:" .. name .. "@B", H.iplink(name .. "-b1", "lo").ifalias)
    assert.are.same({}, net:plan{ machine = "A" })
    assert.are.same({}, net:plan{ machine = "B" })
    local _, all = net:status{ machine = "B" }
    assert.is_true(all)
    assert.is_true(net:ping("b1", "b2"))
    assert.is_true(net:ping("a1", "a2"))
    -- a new process of B's slice sees A's objects as not its own
    assert(net:down{ machine = "A" })
    assert.are.same({ name .. "-b1", name .. "-b2" }, names(H.leftovers(name)))
    assert.is_true(net:ping("b1", "b2"))
    assert(net:down{ machine = "B" })
    assert.are.same({}, H.leftovers(name))
  end)

  it("the command line takes --machine; without one, the machine whose underlay is here", function()
    local ma, mb = machines()
    local name = H.name("mc")
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local path = dir .. "/lab.lua"
    local f = assert(io.open(path, "w"))
    f:write(([[
local topo = require "vnet.topology"
local net = topo.new{ name = %q }
local A = net:machine("A", { underlay = "192.168.9.125", netns = %q })
local B = net:machine("B", { underlay = "192.168.9.183", netns = %q })
local a, b = net:host("a", { machine = A }), net:host("b", { machine = B })
net:link(a, A, { a = "10.64.0.2/24", A = "10.64.0.1/24" })
net:link(b, B, { b = "10.65.0.2/24", B = "10.65.0.1/24" })
return net:main(arg)
]]):format(name, ma, mb))
    f:close()
    finally(function()
      H.run(path, { "down", "--machine", "A" })
      H.run(path, { "down", "--machine", "B" })
      os.execute("rm -rf " .. dir)
    end)
    local code, out, err = H.run(path, { "up", "--machine", "A" })
    assert.are.equal(0, code, out .. err)
    assert.are.same({ name .. "-a" }, H.leftovers(name))
    -- the machine's own namespace got its end of the cable, tagged for A
    assert.are.equal("vnet:" .. name .. "@A", H.iplink(ma, name .. "-a").ifalias)
    code, out = H.run(path, { "plan", "--machine", "B" })
    assert.are.equal(2, code, out)
    code, out, err = H.run(path, { "up", "--machine", "Z" })
    assert.are.equal(2, code, out .. err)
    assert.truthy(err:find("Z is not a machine", 1, true), err)
    -- machines played by namespaces are never this host's by default
    code, out, err = H.run(path, { "up" })
    assert.are.equal(1, code, out .. err)
    assert.truthy(err:find("--machine NAME", 1, true), err)
    code, out, err = H.run(path, { "down", "--machine", "A" })
    assert.are.equal(0, code, out .. err)
    assert.are.same({}, H.leftovers(name))
    assert.are.same({}, tagged(ma, name))
  end)

  it("the README's Ansible playbook passes ansible-playbook --syntax-check #host_only", function()
    local ok, out = H.sh("ansible-playbook --syntax-check -i examples/ansible/inventory.ini "
                         .. "examples/ansible/lab.yml 2>&1")
    assert.is_true(ok, out)
    assert.truthy(out:find("playbook: examples/ansible/lab.yml", 1, true), out)
    -- and the scripts it names are this tree's
    local f = assert(io.open("examples/ansible/lab.yml"))
    local text = f:read("*a")
    f:close()
    for script in text:gmatch("(examples/[%w_]+%.lua)") do
      assert.truthy(io.open(script), script .. " is named by the playbook but missing")
    end
  end)

  it("checks the machines' options", function()
    local net = topo.new{ name = "x" }
    H.raises(function() net:machine("A", { underlay = "192.168.9.1/24" }) end,
             "option 'underlay' must be an address without a prefix")
    H.raises(function() net:machine("A", { underlay = 5 }) end, "option 'underlay'")
    H.raises(function() net:machine("A", { underlay = "192.168.9.1", dev = "eth0" }) end,
             "machine: unknown option 'dev'")
    H.raises(function() net:machine("A", { underlay = "192.168.9.1", netns = 5 }) end,
             "option 'netns' must be")
    local A = net:machine("A", { underlay = "192.168.9.1" })
    H.raises(function() net:machine("A2", { underlay = "192.168.9.1" }) end, "has underlay 192.168.9.1")
    local B = net:machine("B", { underlay = "192.168.9.2" })
    local a = net:host("a", { machine = A })
    H.raises(function() net:machine("C", { underlay = "192.168.9.3" }) end,
             "declare the machines before the other nodes")
    H.raises(function() net:host("h", { machine = "a" }) end, "a is not a machine")
    H.raises(function() net:host("h", { machine = "nope" }) end, "option 'machine'")
    local b = net:host("b", { machine = B })
    local c = net:host("c", { machine = A })
    H.raises(function() net:link(a, c, { via = "gre" }) end, "option 'via' is for a cable between two machines")
    H.raises(function() net:link(a, b, { via = "pigeon" }) end, "option 'via' must be one of")
    net:link(a, b, { via = "ipip" })
    net:link(b, c, { via = "gre" })
    H.raises(function() net:link(c, b, { via = "ipip" }) end,
             "a second ipip cable between the same two machines")
    local s1 = net:switch("s1", { machine = A })
    local s2 = net:switch("s2", { machine = B })
    H.raises(function() net:link(s1, s2) end, "two switches on different machines")
    H.raises(function() net:link(s1, b, { via = "gre" }) end, "stretched over vxlan only")
    H.raises(function() net:switch("s3", { machine = A, at = a }) end, "not both")
    H.raises(function() net:up{ machine = "a" } end, "a is not a machine")
    H.raises(function() net:plan{ machine = 1 } end, "option 'machine'")
    H.raises(function() net:down{ mchine = "A" } end, "down: unknown option 'mchine'")
    -- dot draws each machine as a cluster of its nodes
    local d = net:dot()
    assert.truthy(d:find('subgraph "cluster_A" {\n    label="A (192.168.9.1)"', 1, true), d)
    assert.truthy(d:find('subgraph "cluster_B"', 1, true), d)
    assert.truthy(d:find('\n    "b" [shape=box', 1, true), d)
    local plain = topo.new{ name = "y" }
    H.raises(function() plain:up{ machine = "A" } end, "this topology has no machines")
  end)

  -- the tunnels between machines (this host's kernel has none of these kinds)
  H.it_kinds({ "vxlan" }, "a cable between machines is a VXLAN tunnel; a switch stretches over VXLAN", function()
    local ma, mb = machines()
    local name = H.name("mv")
    local net = lab(name, ma, mb, "vxlan")
    finally(function() net:down{ machine = "A" }; net:down{ machine = "B" } end)
    assert(net:up{ machine = "A" })
    assert(net:up{ machine = "B" })
    assert.are.same({}, net:plan{ machine = "A" })
    assert.are.same({}, net:plan{ machine = "B" })
    -- the cable's two ends: vxlan over the underlay, MTU for its 50 bytes
    local ea = H.iplink(name .. "-a1", "eth1")
    assert.are.equal("vxlan", ea.linkinfo.info_kind)
    assert.are.equal("192.168.9.183", ea.linkinfo.info_data.remote)
    assert.are.equal(1450, ea.mtu)
    assert.are.equal(1450, H.iplink(name .. "-b1", "eth1").mtu)
    assert.is_true(net:ping("a1", "10.63.0.2"))
    -- the stretched switch: a part on B, a vxlan port on each side with the
    -- other machine as its remote; its cables carry 1450
    local fdb = H.bridge(name .. "-@A", "fdb", "show", "dev", "vxs1")
    local dsts = {}
    for _, e in ipairs(fdb) do if e.mac == "00:00:00:00:00:00" then dsts[#dsts + 1] = e.dst end end
    assert.are.same({ "192.168.9.183" }, dsts)
    assert.are.equal("s", H.iplink(name .. "-@B", "vxs1").master)
    assert.are.equal(1450, H.iplink(name .. "-b2", "eth1").mtu)
    assert.is_true(net:ping("a1", "10.61.0.200"))
    assert.is_true(net:ping("a2", "10.61.0.200"))
    down_both(net, name, ma, mb)
  end)

  H.it_kinds({ "ipip" }, "the seed's ServerA/ServerB: ipip between the machines, a route, MASQUERADE, ip_forward", function()
    local ma, mb = machines()
    local name = H.name("ms")
    local net = topo.new{ name = name }
    local A = net:machine("A", { underlay = "192.168.9.125", netns = ma })
    local B = net:machine("B", { underlay = "192.168.9.183", netns = mb })
    local srv = net:host("srv", { machine = B })                 -- 192.168.33.0/24 behind B
    net:link(B, srv, { B = { "192.168.33.1/24", name = "lan0" }, srv = "192.168.33.2/24" })
    -- ip tunnel add tunl666 mode ipip remote 192.168.9.183 local 192.168.9.125 (and back)
    net:tunnel(A, B, { mode = "ipip", A = { "172.31.2.1/24", name = "tunl666" },
                       B = { "172.31.2.2/24", name = "tunl666" } })
    net:route(A, "192.168.33.0/24", "172.31.2.2")                -- route add -net ... gw 172.31.2.2
    net:nat(B, { out = "lan0", src = "172.31.2.1/32" })          -- MASQUERADE -s 172.31.2.1
    net:sysctl(B, "net.ipv4.ip_forward", 1)
    finally(function() net:down{ machine = "A" }; net:down{ machine = "B" } end)
    assert(net:up{ machine = "B" })
    assert(net:up{ machine = "A" })
    local t = H.iplink(ma, "tunl666")
    assert.are.equal("ipip", t.linkinfo.info_kind)
    assert.are.equal("192.168.9.183", t.linkinfo.info_data.remote)
    -- A reaches srv, which has no route back: B masquerades
    assert.is_true(net:ping(A, "192.168.33.2"))
    down_both(net, name, ma, mb)
  end)
end)
