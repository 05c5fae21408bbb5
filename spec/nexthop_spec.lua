local H = require "spec.helper"

-- A scratch namespace with lo up (blackholes need it) and an up veth pair
-- v0/v1, v0 with 10.0.0.1/24 and 2001:db8::1/64; returns ns, name, v0.
local function setup(tag)
  local ns, name = H.ns(tag)
  local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
  assert(ns:link("v1"):set{ up = true })
  assert(ns:link("lo"):set{ up = true })
  assert(v:addr_add("10.0.0.1/24"))
  assert(v:addr_add("2001:db8::1/64", { flags = { "nodad" } }))
  return ns, name, v
end

-- `ip -j -d nexthop show` by id
local function oracle(name)
  local t = {}
  for _, n in ipairs(H.ip(name, "nexthop", "show")) do t[n.id] = n end
  return t
end

local collect = H.collect

local function ids(list)
  local t = {}
  for i, n in ipairs(list) do t[i] = n.id end
  table.sort(t)
  return t
end

describe("nexthops", function()
  after_each(H.cleanup)

  describe("adding", function()
    it("adds a gateway nexthop, checked by ip", function()
      local ns, name, v = setup("nhadd")
      local n = assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      local o = oracle(name)[1]
      assert.are.equal("10.0.0.2", o.gateway)
      assert.are.equal("v0", o.dev)
      assert.are.equal(1, n.id)
      assert.are.equal("10.0.0.2", n.gateway)
      assert.are.equal(v.index, n.dev)
      assert.are.equal("inet", n.family)
      assert.is_false(n.blackhole)
      assert.is_false(n.onlink)
      assert.is_false(n.fdb)
      assert.is_nil(n.group)
      assert.are.equal("link", n.scope)
      assert.are.equal(ns, n:ns())
      assert.are.equal("vnet.nexthop: id 1 via 10.0.0.2 dev " .. v.index .. " scope link",
                       tostring(n))
    end)

    it("adds IPv6, onlink, protocol and device-only nexthops", function()
      local ns, name, v = setup("nhkinds")
      local a = assert(ns:nexthop_add{ id = 2, gateway = "2001:db8::2", dev = v })
      local b = assert(ns:nexthop_add{ id = 3, gateway = "10.9.9.9", dev = "v0", onlink = true,
                                       protocol = "static" })
      local c = assert(ns:nexthop_add{ id = 4, dev = v.index })
      local o = oracle(name)
      assert.are.equal("2001:db8::2", o[2].gateway)
      assert.are.equal("inet6", a.family)
      assert.are.same({ "onlink" }, o[3].flags)
      assert.are.equal("static", o[3].protocol)
      assert.is_true(b.onlink)
      assert.is_true(b.flags.onlink)
      assert.are.equal("static", b.protocol)
      assert.are.equal("v0", o[4].dev)
      assert.is_nil(c.gateway)
      assert.are.equal(v.index, c.dev)
    end)

    it("adds a blackhole", function()
      local ns, name = setup("nhbh")
      local n = assert(ns:nexthop_add{ id = 5, blackhole = true })
      assert.is_not_nil(oracle(name)[5].blackhole)
      assert.is_true(n.blackhole)
      assert.are.equal("vnet.nexthop: id 5 blackhole", tostring(n))
    end)

    it("adds groups with weights: { id =, weight = } or a bare id", function()
      local ns, name = setup("nhgrp")
      assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      assert(ns:nexthop_add{ id = 2, gateway = "10.0.0.3", dev = "v0" })
      local g = assert(ns:nexthop_add{ id = 10, group = { 1, { id = 2, weight = 5 } } })
      local o = oracle(name)[10]
      assert.are.same({ { id = 1 }, { id = 2, weight = 5 } }, o.group)
      assert.are.same({ { id = 1, weight = 1 }, { id = 2, weight = 5 } }, g.group)
      assert.are.equal("mpath", g.group_type)
      assert.are.equal("vnet.nexthop: id 10 group 1/2,5", tostring(g))
      assert(ns:nexthop_add{ id = 11, group = { { id = 1, weight = 256 }, 2 },
                             group_type = "mpath" })
      assert.are.equal(256, oracle(name)[11].group[1].weight)
    end)

    it("adds a resilient group with buckets and idle_timer", function()
      local ns, name = setup("nhres")
      assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      assert(ns:nexthop_add{ id = 2, gateway = "10.0.0.3", dev = "v0" })
      local g = assert(ns:nexthop_add{ id = 12, group = { 1, 2 }, group_type = "resilient",
                                       buckets = 8, idle_timer = 10 })
      local o = oracle(name)[12]
      assert.are.equal("resilient", o.type)
      assert.are.equal(8, o.resilient_args.buckets)
      assert.are.equal(10, o.resilient_args.idle_timer)
      assert.are.equal("resilient", g.group_type)
      assert.are.equal(8, g.buckets)
      assert.are.equal(10, g.idle_timer)
      assert.matches("type resilient buckets 8 idle_timer 10", tostring(g), 1, true)
      -- as ip prints it: the unbalanced timer too
      local _, txt = H.sh("ip -n " .. name .. " nexthop show id 12")
      assert.truthy(txt:find("idle_timer 10 unbalanced_timer 0", 1, true), txt)
      assert.matches("type resilient buckets 8 idle_timer 10 unbalanced_timer 0$", tostring(g))
      local u = assert(ns:nexthop_add{ id = 13, group = { 1, 2 }, group_type = "resilient",
                                       buckets = 8, idle_timer = 10, unbalanced_timer = 20 })
      assert.matches("idle_timer 10 unbalanced_timer 20$", tostring(u))
    end)

    it("adds fdb nexthops (a gateway, no device) and an fdb group", function()
      local ns, name = setup("nhfdb")
      local a = assert(ns:nexthop_add{ id = 20, gateway = "10.0.0.5", fdb = true })
      assert(ns:nexthop_add{ id = 21, gateway = "10.0.0.6", fdb = true })
      local g = assert(ns:nexthop_add{ id = 22, group = { 20, 21 }, fdb = true })
      local o = oracle(name)
      assert.is_not_nil(o[20].fdb)
      assert.is_not_nil(o[22].fdb)
      assert.is_true(a.fdb)
      assert.is_true(g.fdb)
      assert.is_nil(a.dev)
      -- the kernel's rule: an fdb nexthop takes no device
      local ok, msg, err = ns:nexthop_add{ id = 23, gateway = "10.0.0.7", dev = "v0", fdb = true }
      assert.is_nil(ok)
      assert.are.equal("EINVAL", err)
      assert.matches("nexthop_add 23", msg, 1, true)
    end)

    it("lets the kernel choose the id when none is given", function()
      local ns, name = setup("nhauto")
      local n = assert(ns:nexthop_add{ gateway = "10.0.0.2", dev = "v0" })
      assert.is_true(n.id > 0)
      assert.is_not_nil(oracle(name)[n.id])
    end)

    it("nexthop_replace changes a nexthop and creates a missing one", function()
      local ns, name = setup("nhrepl")
      assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      local n = assert(ns:nexthop_replace{ id = 1, gateway = "10.0.0.9", dev = "v0" })
      assert.are.equal("10.0.0.9", n.gateway)
      assert.are.equal("10.0.0.9", oracle(name)[1].gateway)
      assert(ns:nexthop_replace{ id = 7, blackhole = true })
      assert.is_not_nil(oracle(name)[7])
    end)

    it("queues changes inside ns:batch", function()
      local ns, name = setup("nhbatch")
      assert(ns:batch(function(b)
        assert.is_true(b:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
        assert.is_true(b:nexthop_add{ id = 2, group = { 1 } })
      end))
      assert.are.same({ { id = 1 } }, oracle(name)[2].group)
      local ok, msg, err, failures = ns:batch(function(b)
        assert.is_true(b:nexthop_del(2))
        assert.is_true(b:nexthop_del(99))
      end)
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
      assert.are.equal(2, failures[1].index)
      assert.is_nil(oracle(name)[2])
    end)

    it("takes options inherited through __index", function()
      local ns, name = setup("nhidx")
      local opts = setmetatable({}, { __index = { id = 9, gateway = "10.0.0.2", dev = "v0" } })
      local n = assert(ns:nexthop_add(opts))
      assert.are.equal(9, n.id)
      assert.are.equal("10.0.0.2", oracle(name)[9].gateway)
    end)
  end)

  describe("failures", function()
    it("a taken id is EEXIST, a missing device ENODEV", function()
      local ns = setup("nhexist")
      assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      local ok, msg, err = ns:nexthop_add{ id = 1, gateway = "10.0.0.3", dev = "v0" }
      assert.is_nil(ok)
      assert.are.equal("EEXIST", err)
      assert.matches("nexthop_add 1", msg, 1, true)
      ok, msg, err = ns:nexthop_add{ id = 2, gateway = "10.0.0.3", dev = "nosuch0" }
      assert.is_nil(ok)
      assert.are.equal("ENODEV", err)
      assert.matches("nosuch0", msg, 1, true)
      -- a group of ids that do not exist
      ok, msg, err = ns:nexthop_add{ id = 3, group = { 77, 78 } }
      assert.is_nil(ok)
      assert.are.equal("EINVAL", err)
    end)

    it("deleting twice is ENOENT; nexthop(id) of none is ENOENT", function()
      local ns, name = setup("nhdel")
      local n = assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "v0" })
      assert(ns:nexthop_add{ id = 2, gateway = "10.0.0.3", dev = "v0" })
      assert(ns:nexthop_add{ id = 3, blackhole = true })
      assert.is_true(n:delete())
      local ok, msg, err = n:delete()
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
      assert.matches("delete nexthop 1", msg, 1, true)
      assert.is_true(ns:nexthop_del(2))
      assert.is_true(ns:nexthop_del{ id = 3 })
      ok, msg, err = ns:nexthop_del(2)
      assert.are.equal("ENOENT", err)
      assert.are.same({}, oracle(name))
      ok, msg, err = ns:nexthop(4294967295)
      assert.is_nil(ok)
      assert.are.equal("ENOENT", err)
      assert.matches("nexthop 4294967295", msg, 1, true)
    end)

    it("raises on misuse, naming the function and the option", function()
      local ns = setup("nhbad")
      local cases = {
        { { id = 1, gateway = "10.0.0.2", dev = "v0", mtu = 5 }, "unknown option 'mtu'" },
        { { id = 0, blackhole = true }, "'id' must be an integer between 1 and 4294967295" },
        { { id = 4294967296, blackhole = true }, "'id' must be an integer between" },
        { { id = math.maxinteger or 2^63, blackhole = true }, "option 'id'" },
        { { id = 2^63, blackhole = true }, "option 'id'" },
        { { id = -1, blackhole = true }, "'id' must be an integer between" },
        { { id = 1.5, blackhole = true }, "'id' must be an integer" },
        { { id = 0/0, blackhole = true }, "'id' must be an integer" },
        { { id = "1", blackhole = true }, "'id' must be an integer" },
        { { id = 1, gateway = "10.0.0.300", dev = "v0" }, "'gateway'" },
        { { id = 1, gateway = "10.0.0.0/24", dev = "v0" }, "'gateway' must be a host address" },
        { { id = 1, gateway = 5, dev = "v0" }, "'gateway'" },
        { { id = 1, blackhole = "yes" }, "'blackhole' must be a boolean" },
        { { id = 1, blackhole = true, gateway = "10.0.0.2" }, "a blackhole takes no" },
        { { id = 1 }, "give 'gateway', 'dev', 'blackhole' or 'group'" },
        { { id = 1, group = {} }, "'group' must be a non-empty list" },
        { { id = 1, group = "1/2" }, "'group' must be a non-empty list" },
        { { id = 1, group = { 1, "x" } }, "group[2] must be an id" },
        { { id = 1, group = { 0 } }, "group[1] must be an integer between 1 and 4294967295" },
        { { id = 1, group = { 4294967297 } }, "group[1] must be an integer between" },
        { { id = 1, group = { { id = 2, weight = 0 } } }, "group[1]: option 'weight' must be an integer between 1 and 256" },
        { { id = 1, group = { { id = 2, weight = 257 } } }, "option 'weight' must be an integer between 1 and 256" },
        { { id = 1, group = { { id = 2, w = 2 } } }, "group[1]: unknown option 'w'" },
        { { id = 1, group = { { weight = 2 } } }, "group[1]: 'id' is required" },
        { { id = 1, group = { 2 }, group_type = "ecmp" }, "option 'group_type' must be one of" },
        { { id = 1, group = { 2 }, gateway = "10.0.0.2" }, "a group takes no" },
        { { id = 1, group = { 2 }, dev = "v0" }, "a group takes no 'dev'" },
        { { id = 1, gateway = "10.0.0.2", dev = "v0", group_type = "mpath" }, "'group_type' needs 'group'" },
        { { id = 1, group = { 2 }, buckets = 8 }, "need group_type = 'resilient'" },
        { { id = 1, protocol = "nosuchproto", blackhole = true }, "option 'protocol'" },
        { { id = 1, protocol = "static\0x", blackhole = true }, "option 'protocol'" },
        { { id = 1, protocol = 256, blackhole = true }, "option 'protocol'" },
        { { id = 1, family = "bridge", blackhole = true }, "'family' must be 'inet' or 'inet6'" },
        { { 1, blackhole = true }, "must be named" },
      }
      local wide = {}
      for i = 1, 257 do wide[i] = i end
      cases[#cases + 1] = { { id = 1000, group = wide }, "'group' has 257 entries, at most 256" }
      for _, c in ipairs(cases) do
        local ok, err = pcall(ns.nexthop_add, ns, c[1])
        assert.is_false(ok, c[2])
        assert.matches("nexthop_add", err, 1, true)
        assert.matches(c[2], err, 1, true)
      end
      assert.has_error(function() ns:nexthop_add("x") end, "nexthop_add: options must be a table, got string")
      for _, bad in ipairs({ 0, -1, 2^32, 1.5, "1", true }) do
        assert.has_error(function() ns:nexthop_del(bad) end)
        assert.has_error(function() ns:nexthop(bad) end)
      end
      assert.has_error(function() ns:nexthop_del{ idd = 1 } end, "nexthop_del: unknown option 'idd'")
      assert.has_error(function() ns:nexthop_del{} end, "nexthop_del: option 'id' is required")
      assert.has_error(function() ns:nexthops{ dev = "v0", bogus = 1 } end,
                       "nexthops: unknown option 'bogus'")
      assert.has_error(function() ns:nexthops{ groups = 1 } end)
    end)
  end)

  describe("reading", function()
    it("reads nexthops made by ip, field by field", function()
      local ns, name, v = setup("nhread")
      H.ipdo_batch(name, {
        "nexthop add id 1 via 10.0.0.2 dev v0",
        "nexthop add id 2 via 2001:db8::2 dev v0 proto 99",
        "nexthop add id 3 blackhole",
        "nexthop add id 4 via 10.0.0.3 dev v0 onlink",
        "nexthop add id 5 group 1/4,7",
        "nexthop add id 6 via 10.0.0.9 fdb" })
      local o = oracle(name)
      local mine = collect(ns:nexthops())
      assert.are.same({ 1, 2, 3, 4, 5, 6 }, ids(mine))
      for _, n in ipairs(mine) do
        local x = o[n.id]
        assert.are.equal(x.gateway, n.gateway)
        assert.are.equal(x.dev and v.index or nil, n.dev)
        assert.are.equal(x.blackhole ~= nil, n.blackhole)
        assert.are.equal(x.fdb ~= nil, n.fdb)
        local onlink = false
        for _, f in ipairs(x.flags) do if f == "onlink" then onlink = true end end
        assert.are.equal(onlink, n.onlink)
        if x.group then
          for i, gm in ipairs(x.group) do
            assert.are.equal(gm.id, n.group[i].id)
            assert.are.equal(gm.weight or 1, n.group[i].weight)
          end
        else
          assert.is_nil(n.group)
        end
        local t = n:totable()
        assert.are.equal(n.id, t.id)
        assert.are.equal(n.gateway, t.gateway)
      end
      assert.are.equal(o[2].protocol, tostring(ns:nexthop(2).protocol))
      assert.are.equal("inet6", ns:nexthop(2).family)
    end)

    it("filters by id, dev, groups and fdb", function()
      local ns, name = setup("nhfilt")
      assert(ns:link_add{ name = "w0", kind = "veth", peer = "w1", up = true })
      assert(ns:link("w1"):set{ up = true })
      H.ipdo_batch(name, {
        "nexthop add id 1 via 10.0.0.2 dev v0",
        "nexthop add id 2 dev w0",
        "nexthop add id 3 blackhole",
        "nexthop add id 5 group 1/2",
        "nexthop add id 6 via 10.0.0.9 fdb",
        "nexthop add id 7 group 6 fdb" })
      assert.are.same({ 1 }, ids(collect(ns:nexthops{ dev = "v0" })))
      assert.are.same({ 2 }, ids(collect(ns:nexthops{ dev = ns:link("w0") })))
      assert.are.same({ 5, 7 }, ids(collect(ns:nexthops{ groups = true })))
      assert.are.same({ 6, 7 }, ids(collect(ns:nexthops{ fdb = true })))
      assert.are.same({ 3 }, ids(collect(ns:nexthops{ id = 3 })))
      assert.are.same({}, ids(collect(ns:nexthops{ id = 4 })))
      local ok, msg, err = ns:nexthops{ dev = "nosuch0" }
      assert.is_nil(ok)
      assert.are.equal("ENODEV", err)
      assert.matches("nosuch0", msg, 1, true)
    end)

    it("compares by id and namespace; objects stay with their namespace", function()
      local ns = setup("nheq")
      local other = setup("nheq2")
      local a = assert(ns:nexthop_add{ id = 1, blackhole = true })
      local b = assert(ns:nexthop(1))
      local c = assert(other:nexthop_add{ id = 1, blackhole = true })
      assert.are.equal(a, b)
      assert.are_not.equal(a, c)
      assert.are_not.equal(a, assert(ns:nexthop_add{ id = 2, blackhole = true }))
      -- deleting c removes it from its own namespace, not from ns
      assert.is_true(c:delete())
      assert.is_nil((other:nexthop(1)))
      assert.are.equal(1, ns:nexthop(1).id)
      -- a released object raises
      local closed = ns:nexthop(1)
      getmetatable(closed).__close(closed)
      assert.has_error(function() return closed.id end, "attempt to use a released vnet.nexthop")
      assert.are.equal("vnet.nexthop (released)", tostring(closed))
    end)
  end)
end)
