-- vnet.topology converging: an edited script's `up` makes the kernel match
-- it (create, change in place, replace, remove) as one transaction, `plan`
-- says what it would do, processes in namespaces that stay keep running.
-- iproute2 is the oracle; every namespace is a scratch one of this run.
-- (host_only: veth, bridges and tbf, which the host tiers run; the VM tier,
-- slow under emulation, runs what needs its kernel: the tunnel case)
local H = require "spec.helper"
local topo = require "vnet.topology"

-- The lab before and after the edit (edit = true). Before: hosts a, b, d
-- and router r on switch sw1, host e behind r. The edit moves a to a new
-- switch sw2 (its cable is replaced, sw1's ports are renumbered), changes
-- b's address and a route's gateway, removes d, adds c, changes the mtu of
-- the r -- e cable and a sysctl, replaces a policy rule by another.
local function lab(name, edit)
  local net = topo.new{ name = name }
  local a, b = net:host("a"), net:host("b")
  local d = not edit and net:host("d")
  local c = edit and net:host("c")
  local r, e = net:router("r"), net:host("e")
  local sw1 = net:switch("sw1")
  local sw2 = edit and net:switch("sw2")
  net:link(a, edit and sw2 or sw1, { a = "10.9.1.10/24" })
  if edit then net:link(r, sw2, { r = "10.9.1.1/24" }) end
  net:link(b, sw1, { b = edit and "10.9.1.21/24" or "10.9.1.11/24" })
  if d then net:link(d, sw1, { d = "10.9.1.13/24" }) end
  if c then net:link(c, sw1, { c = "10.9.1.14/24" }) end
  if not edit then net:link(r, sw1, { r = "10.9.1.1/24" }) end
  net:link(r, e, { r = "10.9.2.1/24", e = "10.9.2.2/24", mtu = edit and 1400 or nil })
  net:route(a, "default", r)
  net:route(e, "default", r)
  net:route(b, "10.9.2.0/24", edit and "10.9.1.10" or "10.9.1.1")
  net:sysctl(a, "net.ipv4.ip_default_ttl", edit and "65" or "64")
  net:rule(a, { from = "10.9.1.10/32", table = 100, priority = edit and 200 or 100 })
  return net
end

-- What ip shows of every namespace of topology `name`, without what a
-- remade object cannot keep (ifindex, counters, operstate): a plain table
-- of sorted strings per namespace, to compare before and after.
local function snapshot(name)
  local out = {}
  for _, ns in ipairs(H.leftovers(name)) do
    local r = H.ipb(ns, { "link show", "addr show", "route show table all",
                          "route show table all root ::/0", "rule show" })
    local t = {}
    local names = {}
    for _, l in ipairs(r[1]) do names[l.ifindex] = l.ifname end
    for _, l in ipairs(r[1]) do
      local up = false
      for _, f in ipairs(l.flags or {}) do if f == "UP" then up = true end end
      local info = l.linkinfo and l.linkinfo.info_data or {}
      t[#t + 1] = ("link %s %s mtu %s master %s mac %s alias %s up %s ageing %s ttl %s"):format(l.ifname,
        tostring(l.linkinfo and l.linkinfo.info_kind), tostring(l.mtu), tostring(l.master),
        tostring(l.address), tostring(l.ifalias), tostring(up), tostring(info.ageing_time),
        tostring(info.ttl))
    end
    for _, l in ipairs(r[2]) do
      for _, a in ipairs(l.addr_info or {}) do
        if not (a.family == "inet6" and a["local"]:match("^fe80")) then
          t[#t + 1] = ("addr %s %s/%s"):format(l.ifname, a["local"], a.prefixlen)
        end
      end
    end
    for _, list in ipairs({ r[3], r[4] }) do
      for _, x in ipairs(list) do
        -- (not the kernel's routes of IPv6 link-local addresses, left out above)
        if not tostring(x.dst):match("^fe80") then t[#t + 1] = ("route %s via %s dev %s table %s metric %s proto %s type %s"):format(
          tostring(x.dst), tostring(x.gateway), tostring(x.dev), tostring(x.table),
          tostring(x.metric), tostring(x.protocol), tostring(x.type)) end
      end
    end
    for _, x in ipairs(r[5]) do
      t[#t + 1] = ("rule %s from %s table %s proto %s"):format(tostring(x.priority),
        tostring(x.src), tostring(x.table), tostring(x.protocol))
    end
    for _, q in ipairs(H.tc(ns, "qdisc", "show")) do
      if q.kind ~= "noqueue" then
        t[#t + 1] = ("qdisc %s %s %s"):format(tostring(q.dev), tostring(q.kind), tostring(q.handle))
      end
    end
    local ok, ttl = H.sh("ip netns exec " .. H.quote(ns) .. " cat /proc/sys/net/ipv4/ip_default_ttl")
    assert(ok, ttl)
    t[#t + 1] = "ttl " .. ttl:gsub("%s+$", "")
    table.sort(t)
    out[ns] = t
  end
  return out
end

local ops = H.plan_ops

local function has(list, s)
  for _, x in ipairs(list) do if x:find(s, 1, true) then return true end end
  return false
end

local function alive(pid)
  return H.sh("kill -0 " .. pid)
end

-- fails every action of old -> new in turn, checking the kernel is as
-- before each time; then applies it; returns the messages of the failures
local function fail_each(new, name, each)
  local before = snapshot(name)
  local k, m, which = #new:steps(), 0, {}
  for _, op in ipairs(new:plan()) do
    if op.step then which[#which + 1] = op.step else m = m + 1 end
  end
  for j = k + 1, k + m do which[#which + 1] = j end
  local seen = {}
  for _, i in ipairs(which) do
    local hit = false
    new._fault = function(j, _, phase)
      if j == i and phase == "after" then hit = true; return nil, "injected", "EINJECT" end
      return true
    end
    local ok, msg, err = new:up()
    assert.is_true(hit, "action " .. i .. " did not run")
    assert.is_nil(ok)
    assert.are.equal("EINJECT", err, msg)
    assert.is_falsy(msg:find("undo", 1, true), msg)
    seen[#seen + 1] = msg
    assert.are.same(before, snapshot(name), msg)
    if each then each(msg) end
  end
  new._fault = nil
  assert(new:up())
  assert.are.same({}, new:plan())
  return seen
end

describe("topology converging", function()
  after_each(H.cleanup)

  it("an edited script's up makes the kernel match it; plan says so first; processes stay #host_only", function()
    local name = H.name("cv")
    local old, new = lab(name, false), lab(name, true)
    finally(function() old:down(); new:down() end)
    assert(old:up())
    local p = assert(old:spawn("a", { "sleep", "300" }))
    local pb = assert(old:spawn("b", { "sleep", "300" }))
    assert.are.same({}, old:plan())

    local plan = ops(new:plan())
    assert.is_true(has(plan, "remove namespace " .. name .. "-d"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "create namespace " .. name .. "-c"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "create switch sw2"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "change cable r:eth1 -- e:eth0"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "change sysctl net.ipv4.ip_default_ttl=65 on a"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "change route 10.9.2.0/24 via 10.9.1.10 on b"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "create address 10.9.1.21/24 on b:eth0"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "remove address 10.9.1.11/24 on b:eth0"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "remove rule priority 100 on a"), table.concat(plan, "\n"))
    -- plan holds no handle of the namespace it would remove
    local fds = H.fd_count()
    for _ = 1, 5 do new:plan() end
    assert.are.equal(fds, H.fd_count())
    -- the plan changed nothing
    assert.are.same({ name, name .. "-a", name .. "-b", name .. "-d", name .. "-e", name .. "-r" },
                    H.leftovers(name))
    local mtu = new:plan()
    for _, op in ipairs(mtu) do
      if op.what:find("cable r:eth1", 1, true) then
        assert.are.equal(1500, op.old["r:eth1"].mtu)
        assert.are.equal(1400, op.new["r:eth1"].mtu)
      end
    end

    assert(new:up())
    assert.are.same({ name, name .. "-a", name .. "-b", name .. "-c", name .. "-e", name .. "-r" },
                    H.leftovers(name))
    local function addrs(ns, dev)
      local t = {}
      for _, l in ipairs(H.ip(ns, "addr", "show", "dev", dev)) do
        for _, a in ipairs(l.addr_info or {}) do
          if a.family == "inet" then t[#t + 1] = a["local"] .. "/" .. a.prefixlen end
        end
      end
      return t
    end
    assert.are.same({ "10.9.1.21/24" }, addrs(name .. "-b", "eth0"))
    assert.are.equal(1400, H.iplink(name .. "-r", "eth1").mtu)
    assert.are.equal(1400, H.iplink(name .. "-e", "eth0").mtu)
    -- a's cable now ends on sw2; sw1's ports were renumbered
    assert.are.equal("sw2", H.iplink(name, "sw2p1").master)
    assert.are.equal("sw1", H.iplink(name, "sw1p1").master)
    local routes = H.ip(name .. "-b", "route", "show", "10.9.2.0/24")
    assert.are.equal("10.9.1.10", routes[1].gateway)
    local ok, ttl = H.sh("ip netns exec " .. H.quote(name .. "-a") .. " cat /proc/sys/net/ipv4/ip_default_ttl")
    assert(ok)
    assert.are.equal("65", (ttl:gsub("%s+$", "")))
    local prios = {}
    for _, x in ipairs(H.ip(name .. "-a", "rule", "show")) do prios[x.priority] = true end
    assert.is_true(prios[200])
    assert.is_nil(prios[100])
    -- processes in namespaces that stayed were not disturbed
    assert.is_true(alive(p.pid))
    assert.is_true(alive(pb.pid))
    local _, all = new:status()
    assert.is_true(all)
    assert.are.same({}, new:plan())
    assert.is_true(new:ping("b", "c"))
    assert.is_true(new:ping("a", "e"))
    -- and back: the old script converges the kernel to what it was
    assert(old:up())
    assert.are.same({}, old:plan())
    assert.is_true(old:ping("a", "e"))
    assert.is_true(old:ping("d", "b"))
    assert.is_true(alive(p.pid))
    p:kill(); pb:kill()
    assert.is_true(new:down())
    assert.are.same({}, H.leftovers(name))
  end)

  it("is one transaction: failing any change of a delta puts the kernel back as it was #host_only", function()
    local name = H.name("cf")
    local old, new = lab(name, false), lab(name, true)
    finally(function() old:down(); new:down() end)
    assert(old:up())
    local p = assert(old:spawn("d", { "sleep", "300" }))
    -- the process in d (removed by the delta) runs until the delta commits
    local seen = fail_each(new, name, function(msg) assert.is_true(alive(p.pid), msg) end)
    assert.is_true(#seen >= 15, table.concat(seen, "\n"))
    assert.is_true(has(seen, "remove namespace"), table.concat(seen, "\n"))
    assert.is_true(has(seen, "remove link"), table.concat(seen, "\n"))
    assert.is_true(has(seen, "remove address"), table.concat(seen, "\n"))
    -- the last run had no fault: the delta is applied, d's process ended
    local _, all = new:status()
    assert.is_true(all)
    local ok, _, how = p:wait(5)
    assert.is_false(ok)
    assert.are.equal("signal", how)
    assert(new:down())
    assert.are.same({}, H.leftovers(name))
  end)

  it("plan and status as JSON; their options are checked #host_only", function()
    local name = H.name("js")
    local net = lab(name, false)
    finally(function() net:down() end)
    local json = require "dkjson"
    local p = json.decode(net:plan{ format = "json" })
    assert.are.equal(name, p.name)
    assert.are.equal(#net:plan(), #p.changes)
    for _, c in ipairs(p.changes) do assert.are.equal("create", c.op) end
    assert(net:up())
    assert.are.same({ name = name, changes = {} }, json.decode(net:plan{ format = "json" }))
    local st = json.decode(net:status{ format = "json" })
    assert.is_true(st.all_present)
    assert.are.equal(#net:steps(), #st.steps)
    assert.are.same({}, st.processes)
    H.raises(function() net:plan{ fromat = "json" } end, "plan: unknown option 'fromat'")
    H.raises(function() net:status{ format = "yaml" } end, "status: format must be")
    H.raises(function() net:plan("json") end, "plan: options table expected")
    -- options from __index are read, as everywhere in vnet
    assert.are.equal("string", type(net:plan(setmetatable({}, { __index = { format = "json" } }))))
  end)

  it("NAT: a changed table is replaced, a dropped one removed, both undone on failure #host_only", function()
    local name = H.name("nt")
    local function build(v)
      local net = topo.new{ name = name }
      local r, e = net:router("r"), net:host("e")
      net:link(r, e, { r = "10.9.2.1/24", e = "10.9.2.2/24" })
      if v == 1 then net:nat(r, { out = "eth0" }) end
      if v == 2 then net:nat(r, { out = "eth0", forward = { { port = 8080, to = "10.9.2.2:80" } } }) end
      return net
    end
    local v1, v2, v3 = build(1), build(2), build(3)
    finally(function() v1:down() end)
    local function tables()
      local ok, out = H.sh("ip netns exec " .. H.quote(name .. "-r") .. " nft list ruleset")
      assert(ok, out)
      return out
    end
    local function marked()
      return H.iplink(name .. "-r", "lo").altnames ~= nil
    end
    assert(v1:up())
    assert.is_true(marked())
    local t1 = tables()
    assert.truthy(t1:find("masquerade", 1, true))
    assert.are.same({ "change nat on r (masquerade out eth0, tcp port 8080 to 10.9.2.2:80)" }, ops(v2:plan()))
    v2._fault = function(_, s, ph)
      if s.kind == "nat" and ph == "after" then return nil, "injected", "EINJECT" end
      return true
    end
    assert.is_nil(v2:up())
    assert.are.equal(t1, tables())
    v2._fault = nil
    assert(v2:up())
    assert.truthy(tables():find("dnat to 10.9.2.2:80", 1, true))
    assert.are.same({}, v2:plan())
    assert.are.same({ "remove nat on r" }, ops(v3:plan()))
    local t2 = tables()
    v3._fault = function(_, s, ph)
      if s.kind == "nat" and ph == "after" then return nil, "injected", "EINJECT" end
      return true
    end
    assert.is_nil(v3:up())
    assert.are.equal(t2, tables())
    assert.is_true(marked())
    v3._fault = nil
    assert(v3:up())
    assert.are.equal("", (tables():gsub("%s+", "")))
    assert.is_false(marked())
    assert.are.same({}, v3:plan())
    assert(v3:down())
  end)

  it("switch options, a MAC, an mtu change in place; a dropped impairment goes; all undone on failure #host_only", function()
    local name = H.name("ch")
    local function build(v2)
      local net = topo.new{ name = name }
      local a, b = net:host("a"), net:host("b")
      local sw = net:switch("sw", { bridge = { ageing_time = v2 and 40000 or 30000 } })
      net:link(a, sw, { a = { "10.7.0.1/24", mac = v2 and "02:00:00:00:00:02" or "02:00:00:00:00:01" },
                        rate = not v2 and "10mbit" or nil })
      net:link(b, sw, { b = "10.7.0.2/24", mtu = v2 and 1300 or nil })
      return net
    end
    local old, new = build(false), build(true)
    finally(function() old:down() end)
    assert(old:up())
    assert.are.equal("tbf", H.tc(name .. "-a", "qdisc", "show", "dev", "eth0")[1].kind)
    local plan = ops(new:plan())
    assert.is_true(has(plan, "change switch sw"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "change cable a:eth0 -- sw:swp1"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "change cable b:eth0 -- sw:swp2"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "remove impairment on a:eth0"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "remove impairment on " .. name .. ":swp1"), table.concat(plan, "\n"))
    local seen = fail_each(new, name)
    assert.is_true(#seen >= 5, table.concat(seen, "\n"))
    local br = H.iplink(name, "sw")
    assert.are.equal(40000, br.linkinfo.info_data.ageing_time)
    assert.are.equal("02:00:00:00:00:02", H.iplink(name .. "-a", "eth0").address)
    assert.are.equal(1300, H.iplink(name .. "-b", "eth0").mtu)
    assert.are.equal(1300, H.iplink(name, "swp2").mtu)
    assert.are.equal("noqueue", H.tc(name .. "-a", "qdisc", "show", "dev", "eth0")[1].kind)
    assert.is_true(new:ping("a", "b"))
    assert(new:down())
  end)

  H.it_kinds({ "gre" }, "a tunnel whose settings changed is replaced; undone on failure", function()
    local name = H.name("tu")
    local function build(ttl)
      local net = topo.new{ name = name }
      local a, b = net:host("a"), net:host("b")
      net:link(a, b, { a = "192.168.9.1/24", b = "192.168.9.2/24" })
      net:tunnel(a, b, { mode = "gre", ttl = ttl, a = "10.8.0.1/30", b = "10.8.0.2/30" })
      return net
    end
    local old, new = build(64), build(32)
    finally(function() old:down() end)
    assert(old:up())
    assert.are.same({}, old:plan())
    local plan = ops(new:plan())
    assert.is_true(has(plan, "replace tunnel a:gre-b"), table.concat(plan, "\n"))
    assert.is_true(has(plan, "replace tunnel b:gre-a"), table.concat(plan, "\n"))
    fail_each(new, name)
    assert.are.equal(32, H.iplink(name .. "-a", "gre-b").linkinfo.info_data.ttl)
    assert.are.equal(32, H.iplink(name .. "-b", "gre-a").linkinfo.info_data.ttl)
    assert.is_true(new:ping("a", "10.8.0.2"))
    assert(new:down())
  end)

  it("down removes its NAT table from an external namespace even when the script no longer has NAT #host_only", function()
    local _, x = H.ns("x")
    local name = H.name("nx")
    local function build(nat)
      local net = topo.new{ name = name }
      local ext, a = net:external("X", x), net:host("a")
      net:link(ext, a, { X = "10.66.0.1/24", a = "10.66.0.2/24" })
      if nat then net:nat(ext, { out = "keep0" }) end
      return net
    end
    local v1, v2 = build(true), build(false)
    finally(function() v1:down() end)
    assert(v1:up())
    local function tables()
      local ok, out = H.sh("ip netns exec " .. H.quote(x) .. " nft list tables")
      assert(ok, out)
      return out
    end
    assert.truthy(tables():find("vnet_", 1, true))
    assert(v2:down())
    assert.is_nil(tables():find("vnet_", 1, true))
    assert.are.same({}, H.leftovers(name))
  end)

  it("never touches what it does not own #host_only", function()
    local name = H.name("co")
    local old, new = lab(name, false), lab(name, true)
    finally(function() old:down(); new:down() end)
    assert(old:up())
    -- things made by hand inside the lab's namespaces
    H.ipdo_batch(name .. "-b", { "link add hand0 type veth peer name hand1",
                                 "link set hand0 up", "link set hand1 up",
                                 "addr add 10.77.0.1/24 dev hand0",
                                 "route add 10.78.0.0/16 dev hand0 proto static",
                                 "rule add from 10.77.0.0/24 table 77 priority 77" })
    assert(new:up())
    assert.truthy(H.iplink(name .. "-b", "hand0"))
    assert.truthy(H.iplink(name .. "-b", "hand1"))
    local found = false
    for _, r in ipairs(H.ip(name .. "-b", "route", "show", "table", "all")) do
      if r.dst == "10.78.0.0/16" then found = true end
    end
    assert.is_true(found)
    local prios = {}
    for _, x in ipairs(H.ip(name .. "-b", "rule", "show")) do prios[x.priority] = true end
    assert.is_true(prios[77])
    assert.are.same({}, new:plan())
    assert(new:down())
  end)

  it("the command line: plan exits 0 when nothing would change, 2 when something would; apply = up #host_only", function()
    local name = H.name("cl")
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    finally(function() os.execute("rm -rf " .. dir); topo.new{ name = name }:down() end)
    local function script(edit)
      local path = dir .. (edit and "/new.lua" or "/old.lua")
      local f = assert(io.open(path, "w"))
      f:write(([[
local topo = require "vnet.topology"
local net = topo.new{ name = %q }
local a, b = net:host("a"), net:host("b")
net:link(a, b, { a = %q, b = "10.5.0.2/24" })
return net:main(arg)
]]):format(name, edit and "10.5.0.3/24" or "10.5.0.1/24"))
      f:close()
      return path
    end
    local old, new = script(false), script(true)
    local function run(path, cmd)
      local code, out = H.run(path, { cmd })
      return code, (out:gsub("[ \t]+", " "))
    end
    local code, out = run(old, "plan")
    assert.are.equal(2, code, out)
    assert.truthy(out:find("create namespace " .. name .. "-a", 1, true), out)
    code, out = run(old, "apply")
    assert.are.equal(0, code, out)
    code, out = run(old, "plan")
    assert.are.equal(0, code, out)
    code, out = run(new, "plan")
    assert.are.equal(2, code, out)
    assert.truthy(out:find("create address 10.5.0.3/24 on a:eth0", 1, true), out)
    assert.truthy(out:find("remove address 10.5.0.1/24 on a:eth0", 1, true), out)
    code, out = run(new, "up")
    assert.are.equal(0, code, out)
    code, out = run(new, "plan")
    assert.are.equal(0, code, out)
    -- as JSON, for tools (dkjson is the independent reader)
    local json = require "dkjson"
    local c2, text = H.run(new, { "plan", "--json" })
    assert.are.equal(0, c2, text)
    assert.are.same({ name = name, changes = {} }, json.decode(text))
    H.ipdo(name .. "-b", "addr", "del", "10.5.0.2/24", "dev", "eth0")
    c2, text = H.run(new, { "plan", "--json" })
    assert.are.equal(2, c2, text)
    local p = json.decode(text)
    assert.are.equal(1, #p.changes)
    assert.are.equal("create", p.changes[1].op)
    assert.are.equal("address 10.5.0.2/24 on b:eth0", p.changes[1].what)
    c2, text = H.run(new, { "status", "--json" })
    assert.are.equal(1, c2, text)
    local st = json.decode(text)
    assert.is_false(st.all_present)
    local missing = {}
    for _, x in ipairs(st.steps) do if x.state ~= "present" then missing[#missing + 1] = x.what end end
    assert.are.same({ "address 10.5.0.2/24 on b:eth0" }, missing)
    code, out = run(new, "down")
    assert.are.equal(0, code, out)
    assert.are.same({}, H.leftovers(name))
  end)
end)
