local H = require "spec.helper"

local bridge = H.bridge   -- `bridge -j`: the oracle of this spec

-- `bridge fdb show dev DEV` entries for mac (of the bridge when master is
-- true, the device's own when false, any when nil)
-- (A bridge whose ports have VLANs, as one built with VLAN filtering has
-- even when it is off, keeps a static entry added without a vlan once per
-- port VLAN too: those copies are left out when the entry itself is there.)
local function oracle(name, dev, mac, master)
  local t, plain = {}, false
  for _, e in ipairs(bridge(name, "fdb", "show", "dev", dev)) do
    local self = false
    for _, f in ipairs(e.flags or {}) do if f == "self" then self = true end end
    if e.mac == mac and (master == nil or master == not self) then
      t[#t + 1] = e
      plain = plain or e.vlan == nil
    end
  end
  if not plain then return t end
  local out = {}
  for _, e in ipairs(t) do if e.vlan == nil then out[#out + 1] = e end end
  return out
end

local function has_flag(e, flag)
  for _, f in ipairs(e.flags or {}) do if f == flag then return true end end
  return false
end

local setup = H.bridge_port

local collect = H.collect

local MAC = "02:00:00:00:00:01"

describe("bridge fdb", function()
  after_each(H.cleanup)

  describe("on a bridge port", function()
    it("adds a static entry of the bridge, checked by bridge fdb", function()
      local ns, name, br, v1 = setup("fdbadd")
      local e = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local o = oracle(name, "v1", MAC, true)
      assert.are.equal(1, #o)
      assert.are.equal("br0", o[1].master)
      assert.are.equal("static", o[1].state)
      assert.are.equal(MAC, e.lladdr)
      assert.are.equal(v1.index, e.dev)
      assert.are.equal(br.index, e.master)
      assert.are.equal("static", e.state)
      assert.is_nil(e.flags.self)
      assert.is_nil(e.vlan)
      assert.is_nil(e.dst)
      assert.are.equal(ns, e:ns())
      assert.are.equal(("vnet.fdb: %s dev %d master %d static"):format(MAC, v1.index, br.index),
                       tostring(e))
      -- a released entry says so; __tostring of another value names the type
      local closed = ns:fdbs{ dev = "v1" }()
      getmetatable(closed).__close(closed)
      assert.are.equal("vnet.fdb (released)", tostring(closed))
      H.raises(function() return getmetatable(e).__tostring(ns) end, "vnet.fdb expected")
      local t = e:totable()
      assert.are.equal(MAC, t.lladdr)
      assert.are.equal("static", t.state)
    end)

    it("returns the entry the kernel keeps when it drops the dst (a veth, a bridge)", function()
      local ns, name, br, v1 = setup("fdbdst")
      local e = ns:fdb_add{ dev = "v1", lladdr = MAC, dst = "10.0.0.1" }
      assert.is_not_true(e == true)
      assert.are.equal(1, #oracle(name, "v1", MAC, false))
      assert.are.equal(MAC, e.lladdr)
      assert.are.equal(v1.index, e.dev)
      assert.is_nil(e.dst)
      local b = ns:fdb_add{ dev = br, lladdr = "02:00:00:00:00:09", dst = "10.0.0.1" }
      assert.is_not_true(b == true)
      assert.are.equal("02:00:00:00:00:09", b.lladdr)
      assert.are.equal(br.index, b.dev)
    end)

    it("adds the device's own entry (self, the default) and permanent, dynamic ones", function()
      local ns, name = setup("fdbself")
      local e = assert(ns:fdb_add{ dev = "v1", lladdr = MAC })
      local o = oracle(name, "v1", MAC, false)
      assert.are.equal(1, #o)
      assert.are.equal("permanent", o[1].state)
      assert.is_true(e.flags.self)
      assert.are.equal("permanent", e.state)
      assert.matches("self permanent$", tostring(e))

      local p = assert(ns:fdb_add{ dev = "v1", lladdr = "02:00:00:00:00:02", master = true,
                                   permanent = true })
      assert.are.equal("permanent", oracle(name, "v1", "02:00:00:00:00:02", true)[1].state)
      assert.are.equal("permanent", p.state)
      local d = assert(ns:fdb_add{ dev = "v1", lladdr = "02:00:00:00:00:03", master = true,
                                   dynamic = true })
      local od = oracle(name, "v1", "02:00:00:00:00:03", true)[1]
      assert.is_not_nil(od)
      assert.is_true(od.state ~= "static" and od.state ~= "permanent")
      assert.are.equal("dynamic", d.state)
    end)

    it("adds sticky and extern_learn entries", function()
      local ns, name = setup("fdbflags")
      local s = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true,
                                   sticky = true })
      assert.is_true(has_flag(oracle(name, "v1", MAC, true)[1], "sticky"))
      assert.is_true(s.flags.sticky)
      local x = assert(ns:fdb_add{ dev = "v1", lladdr = "02:00:00:00:00:09", master = true,
                                   extern_learn = true })
      assert.is_true(has_flag(oracle(name, "v1", "02:00:00:00:00:09", true)[1], "extern_learn"))
      assert.is_true(x.flags.extern_learn)
    end)

    it("fdb_replace changes an entry and creates a missing one", function()
      local ns, name = setup("fdbrepl")
      assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local e = assert(ns:fdb_replace{ dev = "v1", lladdr = MAC, master = true, permanent = true })
      assert.are.equal("permanent", e.state)
      assert.are.equal("permanent", oracle(name, "v1", MAC, true)[1].state)
      assert(ns:fdb_replace{ dev = "v1", lladdr = "02:00:00:00:00:05", master = true, static = true })
      assert.are.equal(1, #oracle(name, "v1", "02:00:00:00:00:05", true))
    end)

    it("a duplicate is EEXIST, a missing device ENODEV; deleting twice is ENOENT", function()
      local ns, name = setup("fdbfail")
      local e = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local ok, msg, err = ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true }
      assert.is_nil(ok)
      assert.are.equal("EEXIST", err)
      assert.matches("fdb_add " .. MAC .. " dev v1", msg, 1, true)
      ok, msg, err = ns:fdb_add{ dev = "nosuch0", lladdr = MAC }
      assert.is_nil(ok)
      assert.are.equal("ENODEV", err)
      assert.matches("nosuch0", msg, 1, true)
      ok, msg, err = ns:fdb_del{ dev = "nosuch0", lladdr = MAC }
      assert.are.equal("ENODEV", err)
      ok, msg, err = ns:fdb_add{ dev = "v1", lladdr = MAC, via = "nosuch1" }
      assert.are.equal("ENODEV", err)
      assert.matches("nosuch1", msg, 1, true)

      assert.is_true(ns:fdb_del{ dev = "v1", lladdr = MAC, master = true })
      assert.are.same({}, oracle(name, "v1", MAC, true))
      ok, msg, err = ns:fdb_del{ dev = "v1", lladdr = MAC, master = true }
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
      assert.matches("fdb_del " .. MAC .. " dev v1", msg, 1, true)
      ok, msg, err = e:delete()
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
    end)

    it("entry:delete() removes the bridge's and the device's own entries", function()
      local ns, name = setup("fdbdel")
      local a = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local b = assert(ns:fdb_add{ dev = "v1", lladdr = "02:00:00:00:00:07" })
      local c = assert(ns:fdb_add{ dev = "br0", lladdr = "02:00:00:00:00:08", self = true })
      assert.is_true(a:delete())
      assert.is_true(b:delete())
      assert.is_true(c:delete())
      assert.are.same({}, oracle(name, "v1", MAC))
      assert.are.same({}, oracle(name, "v1", "02:00:00:00:00:07"))
      assert.are.same({}, oracle(name, "br0", "02:00:00:00:00:08"))
    end)

    it("lists entries made by bridge, filtered by dev and master", function()
      local ns, name, br, v1 = setup("fdblist")
      H.sh("bridge -n " .. name .. " fdb add 02:00:00:00:00:0a dev v1 master static")
      H.sh("bridge -n " .. name .. " fdb add 02:00:00:00:00:0b dev v1 self permanent")
      -- unicast entries that do not age only: multicast ones come and go as
      -- links come up, and the bridge learns addresses whenever a packet passes
      local function kept(state) return state == "static" or state == "permanent" end
      local function uni(mac) return tonumber(mac:sub(1, 2), 16) % 2 == 0 end
      local idx = { [br.index] = "br0", [v1.index] = "v1", [ns:link("v0").index] = "v0" }
      local want, got = {}, {}
      for _, e in ipairs(bridge(name, "fdb", "show")) do
        if uni(e.mac) and kept(e.state) then
          want[#want + 1] = e.mac .. " " .. e.ifname .. (has_flag(e, "self") and " self" or "")
        end
      end
      for e in assert(ns:fdbs()) do
        if uni(e.lladdr) and kept(e.state) then
          got[#got + 1] = e.lladdr .. " " .. idx[e.dev] .. (e.flags.self and " self" or "")
        end
      end
      table.sort(want)
      table.sort(got)
      assert.are.same(want, got)
      local byport = collect(ns:fdbs{ dev = v1 })
      local seen = {}
      for _, e in ipairs(byport) do
        assert.are.equal(v1.index, e.dev)
        seen[e.lladdr .. (e.flags.self and " self" or " master")] = e.state
      end
      assert.are.equal("static", seen["02:00:00:00:00:0a master"])
      assert.are.equal("permanent", seen["02:00:00:00:00:0b self"])
      for _, e in ipairs(collect(ns:fdbs{ master = br })) do
        assert.is_true(e.dev == v1.index or e.dev == br.index)
      end
      local ok, msg, err = ns:fdbs{ dev = "nosuch0" }
      assert.is_nil(ok)
      assert.are.equal("ENODEV", err)
      assert.matches("nosuch0", msg, 1, true)
    end)

    it("queues changes inside ns:batch", function()
      local ns, name = setup("fdbbatch")
      assert(ns:batch(function(b)
        assert.is_true(b:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
        assert.is_true(b:fdb_add{ dev = "v1", lladdr = "02:00:00:00:00:02" })
      end))
      assert.are.equal(1, #oracle(name, "v1", MAC, true))
      assert.are.equal(1, #oracle(name, "v1", "02:00:00:00:00:02", false))
      assert(ns:batch(function(b)
        assert.is_true(b:fdb_del{ dev = "v1", lladdr = MAC, master = true })
      end))
      assert.are.same({}, oracle(name, "v1", MAC))
    end)

    it("takes options inherited through __index", function()
      local ns, name = setup("fdbidx")
      local opts = setmetatable({}, { __index = { dev = "v1", lladdr = MAC, master = true,
                                                  static = true } })
      local e = assert(ns:fdb_add(opts))
      assert.are.equal("static", e.state)
      assert.are.equal(1, #oracle(name, "v1", MAC, true))
    end)

    it("compares entries; an entry stays with its namespace", function()
      local ns = setup("fdbeq")
      local other = setup("fdbeq2")
      local a = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local c = assert(other:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true })
      local b
      for e in ns:fdbs{ dev = "v1" } do if e.lladdr == MAC then b = e end end
      assert.are.equal(a, b)
      assert.are_not.equal(a, c)
      assert.is_true(c:delete())
      local still = false
      for e in ns:fdbs{ dev = "v1" } do if e.lladdr == MAC then still = true end end
      assert.is_true(still)
      getmetatable(a).__close(a)
      assert.has_error(function() return a.lladdr end, "attempt to use a released vnet.fdb")
    end)

    it("raises on misuse, naming the function and the option", function()
      local ns = setup("fdbbad")
      local cases = {
        { { dev = "v1", lladdr = MAC, bogus = 1 }, "unknown option 'bogus'" },
        { { dev = "v1" }, "option 'lladdr' is required" },
        { { lladdr = MAC }, "option 'dev' is required" },
        { { dev = "v1", lladdr = 5 }, "option 'lladdr' must be a string" },
        { { dev = "v1", lladdr = "02:00:00:00:00" }, "is not a MAC address" },
        { { dev = "v1", lladdr = "02:00:00:00:00:01\0" }, "is not a MAC address" },
        { { dev = "v1", lladdr = "02:00:00:00:00\0:01" }, "is not a MAC address" },
        { { dev = "v1", lladdr = "zz:00:00:00:00:01" }, "is not a MAC address" },
        { { dev = "v1", lladdr = "02-00-00-00-00-01" }, "is not a MAC address" },
        { { dev = "v1", lladdr = " 2:00:00:00:00:01" }, "is not a MAC address" },
        { { dev = "v1", lladdr = MAC, dst = "10.0.0.0/8" }, "'dst' must be a host address" },
        { { dev = "v1", lladdr = MAC, dst = "nope" }, "option 'dst'" },
        { { dev = "v1", lladdr = MAC, vni = 16777216 }, "option 'vni' must be an integer between" },
        { { dev = "v1", lladdr = MAC, vni = -1 }, "option 'vni' must be an integer between" },
        { { dev = "v1", lladdr = MAC, port = 0 }, "option 'port' must be an integer between" },
        { { dev = "v1", lladdr = MAC, port = 65536 }, "option 'port' must be an integer between" },
        { { dev = "v1", lladdr = MAC, vlan = 0 }, "option 'vlan' must be an integer between 1 and 4094" },
        { { dev = "v1", lladdr = MAC, vlan = 4095 }, "option 'vlan' must be an integer between" },
        { { dev = "v1", lladdr = MAC, vlan = 2^63 }, "option 'vlan'" },
        { { dev = "v1", lladdr = MAC, vlan = 0/0 }, "option 'vlan'" },
        { { dev = "v1", lladdr = MAC, nhid = 0 }, "option 'nhid' must be an integer between" },
        { { dev = "v1", lladdr = MAC, master = "yes" }, "option 'master' must be a boolean" },
        { { dev = "v1", lladdr = MAC, static = true, dynamic = true }, "give only one of" },
        { { dev = 1.5, lladdr = MAC }, "option 'dev'" },
        { { dev = {}, lladdr = MAC }, "option 'dev'" },
        { { MAC, dev = "v1" }, "must be named" },
      }
      for _, c in ipairs(cases) do
        local ok, err = pcall(ns.fdb_add, ns, c[1])
        assert.is_false(ok, c[2])
        assert.matches("fdb_add", err, 1, true)
        assert.matches(c[2], err, 1, true)
      end
      assert.has_error(function() ns:fdb_add("x") end, "fdb_add: options must be a table, got string")
      assert.has_error(function() ns:fdb_del{ dev = "v1", lladdr = MAC, static = true } end,
                       "fdb_del: unknown option 'static'")
      assert.has_error(function() ns:fdbs{ vlan = 5000 } end)
      assert.has_error(function() ns:fdbs{ port = 1 } end, "fdbs: unknown option 'port'")
    end)
  end)

  H.it_kinds({ "bridge_vlan" }, "adds and filters entries by vlan", function()
    local ns, name = setup("fdbvlan", { vlan_filtering = true })
    local e = assert(ns:fdb_add{ dev = "v1", lladdr = MAC, master = true, static = true, vlan = 1 })
    assert.are.equal(1, e.vlan)
    local o = oracle(name, "v1", MAC, true)
    assert.are.equal(1, #o)
    assert.are.equal(1, o[1].vlan)
    assert.matches("vlan 1", tostring(e), 1, true)
    local n = 0
    for x in ns:fdbs{ vlan = 1 } do
      assert.are.equal(1, x.vlan)
      n = n + 1
    end
    assert.is_true(n >= 1)
    assert.are.same({}, collect(ns:fdbs{ vlan = 7 }))
    assert.is_true(ns:fdb_del{ dev = "v1", lladdr = MAC, master = true, vlan = 1 })
    assert.are.same({}, oracle(name, "v1", MAC, true))
  end)

  describe("on a vxlan device", function()
    -- a namespace with vxlan vx0 (vni 42, port 4789) over an up veth
    local function vx(tag)
      local ns, name = H.ns(tag)
      assert(ns:link_add{ name = "u0", kind = "veth", peer = "u1", up = true })
      assert(ns:link("u0"):addr_add("10.0.0.1/24"))
      local v = assert(ns:link_add{ name = "vx0", kind = "vxlan", id = 42, dstport = 4789,
                                    up = true })
      return ns, name, v
    end
    local ZERO = "00:00:00:00:00:00"

    H.it_kinds({ "vxlan" }, "adds an entry with dst, vni and port", function()
      local ns, name, v = vx("fdbvx")
      local e = assert(ns:fdb_add{ dev = "vx0", lladdr = MAC, dst = "10.0.0.2", vni = 100,
                                   port = 4790 })
      local o = oracle(name, "vx0", MAC)
      assert.are.equal(1, #o)
      assert.are.equal("10.0.0.2", o[1].dst)
      assert.are.equal(100, o[1].vni)
      assert.are.equal(4790, o[1].port)
      assert.is_true(has_flag(o[1], "self"))
      assert.are.equal("10.0.0.2", e.dst)
      assert.are.equal(100, e.vni)
      assert.are.equal(4790, e.port)
      assert.are.equal(v.index, e.dev)
      assert.is_true(e.flags.self)
      assert.matches("dst 10.0.0.2 port 4790 vni 100", tostring(e), 1, true)
      assert.is_true(e:delete())
      assert.are.same({}, oracle(name, "vx0", MAC))
    end)

    H.it_kinds({ "vxlan" }, "adds an entry whose remotes are an fdb nexthop group (nhid)", function()
      local ns, name = vx("fdbnh")
      assert(ns:nexthop_add{ id = 20, gateway = "10.0.0.5", fdb = true })
      assert(ns:nexthop_add{ id = 21, gateway = "10.0.0.6", fdb = true })
      assert(ns:nexthop_add{ id = 22, group = { 20, 21 }, fdb = true })
      local e = assert(ns:fdb_add{ dev = "vx0", lladdr = MAC, nhid = 22 })
      assert.are.equal(22, oracle(name, "vx0", MAC)[1].nhid)
      assert.are.equal(22, e.nhid)
      assert.matches("nhid 22", tostring(e), 1, true)
      assert.is_true(e:delete())
      assert.are.same({}, oracle(name, "vx0", MAC))
    end)

    H.it_kinds({ "vxlan" }, "fdb_append: several remotes for the all-zeros address", function()
      local ns, name = vx("fdbhre")
      local a = assert(ns:fdb_append{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.2" })
      local b = assert(ns:fdb_append{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.3" })
      local c = assert(ns:fdb_append{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.4" })
      assert.are.equal("10.0.0.2", a.dst)
      assert.are.equal("10.0.0.3", b.dst)
      assert.are.equal("10.0.0.4", c.dst)
      local dsts = {}
      for _, e in ipairs(oracle(name, "vx0", ZERO)) do dsts[#dsts + 1] = e.dst end
      table.sort(dsts)
      assert.are.same({ "10.0.0.2", "10.0.0.3", "10.0.0.4" }, dsts)
      local mine = {}
      for e in ns:fdbs{ dev = "vx0" } do
        if e.lladdr == ZERO then mine[#mine + 1] = e.dst end
      end
      table.sort(mine)
      assert.are.same(dsts, mine)
      -- one remote goes, the others stay
      assert.is_true(ns:fdb_del{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.3" })
      dsts = {}
      for _, e in ipairs(oracle(name, "vx0", ZERO)) do dsts[#dsts + 1] = e.dst end
      table.sort(dsts)
      assert.are.same({ "10.0.0.2", "10.0.0.4" }, dsts)
      assert.is_true(c:delete())
      assert.are.equal(1, #oracle(name, "vx0", ZERO))
      -- (the kernel acks the removal of a remote the address does not have)
      assert.is_true(ns:fdb_del{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.2" })
      assert.are.same({}, oracle(name, "vx0", ZERO))
      local ok, _, err = ns:fdb_del{ dev = "vx0", lladdr = ZERO, dst = "10.0.0.2" }
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
    end)
  end)
end)
