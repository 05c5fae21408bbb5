local H = require "spec.helper"
local vnet = H.vnet

-- A scratch namespace with a veth pair v0/v1; returns ns, name, v0.
local function setup(tag)
  local ns, name = H.ns(tag)
  local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
  return ns, name, v
end

-- `ip -j neigh show nud all [dev DEV]`: every entry, NOARP ones included.
local function oracle(name, dev)
  if dev then return H.ip(name, "neigh", "show", "nud", "all", "dev", dev) end
  return H.ip(name, "neigh", "show", "nud", "all")
end

local function find(list, dst)
  for _, n in ipairs(list) do
    if n.dst == dst then return n end
  end
end

local collect = H.collect

describe("neighbours", function()
  after_each(H.cleanup)

  describe("adding", function()
    it("adds IPv4 and IPv6 neighbours, checked by ip", function()
      local ns, name, v = setup("add")
      local n = assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local o = find(oracle(name), "10.0.0.5")
      assert.are.equal("v0", o.dev)
      assert.are.equal("02:00:00:00:00:01", o.lladdr)
      assert.are.same({ "PERMANENT" }, o.state)
      assert.are.equal("10.0.0.5", n.dst)
      assert.are.equal("02:00:00:00:00:01", n.lladdr)
      assert.are.equal(v.index, n.dev)
      assert.are.equal("permanent", n.state)
      assert.are.equal("inet", n.family)
      assert.is_false(n.router)
      assert.are.equal(ns, n:ns())

      local m = assert(ns:neigh_add{ dst = "2001:db8::5", lladdr = "02:00:00:00:00:03",
                                     dev = v, state = "stale", router = true })
      o = find(oracle(name), "2001:db8::5")
      assert.are.same({ "STALE" }, o.state)
      assert.are.equal("02:00:00:00:00:03", o.lladdr)
      assert.is_not_nil(o.router)
      assert.are.equal("inet6", m.family)
      assert.are.equal("stale", m.state)
      assert.is_true(m.router)
    end)

    it("takes every state name", function()
      local ns, name = setup("states")
      local states = { "permanent", "reachable", "stale", "delay", "probe", "failed",
                       "incomplete", "noarp", "none" }
      for i, st in ipairs(states) do
        local dst = "10.0.1." .. i
        local n = assert(ns:neigh_add{ dst = dst, lladdr = "02:00:00:00:01:0" .. i,
                                       dev = "v0", state = st })
        local o = find(oracle(name, "v0"), dst)
        assert.truthy(o, st .. " entry missing")
        -- the kernel moves delay/probe/incomplete entries on by itself
        if st == "permanent" or st == "noarp" or st == "stale" or st == "reachable" then
          assert.are.equal(st, n.state)
          assert.are.equal(st, o.state[1]:lower())
        else
          local known = {}
          for _, s in ipairs(states) do known[s] = true end
          assert.is_true(known[n.state], n.state)
        end
      end
    end)

    it("neigh_replace updates an entry and creates a missing one", function()
      local ns, name = setup("replace")
      assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local n = assert(ns:neigh_replace{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:02",
                                         dev = "v0", state = "reachable" })
      local o = find(oracle(name), "10.0.0.5")
      assert.are.equal("02:00:00:00:00:02", o.lladdr)
      assert.are.same({ "REACHABLE" }, o.state)
      assert.are.equal("02:00:00:00:00:02", n.lladdr)
      assert.are.equal("reachable", n.state)
      assert(ns:neigh_replace{ dst = "10.0.0.6", lladdr = "02:00:00:00:00:06", dev = "v0" })
      assert.are.same({ "PERMANENT" }, find(oracle(name), "10.0.0.6").state)
      assert.are.equal(2, #oracle(name))
    end)
  end)

  describe("reading", function()
    it("reads neighbours made by ip, field by field", function()
      local ns, name = setup("read")
      H.ipdo_batch(name, {
        "neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev v0",
        "neigh add 10.0.0.6 dev v0 nud noarp",
        "neigh add 2001:db8::5 lladdr 02:00:00:00:00:03 dev v0 nud stale router",
        "neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev v1 nud reachable" })
      local list = oracle(name)
      local mine = collect(ns:neighs())
      assert.are.equal(#list, #mine)
      for _, n in ipairs(mine) do
        local o = find(list, n.dst)
        assert.truthy(o, "ip does not show " .. n.dst)
        assert.are.equal(H.iplink(name, o.dev).ifindex, n.dev)
        assert.are.equal(o.lladdr, n.lladdr)
        assert.are.equal(o.state[1]:lower(), n.state)
        assert.are.equal(o.router ~= nil, n.router)
        assert.are.equal(n.dst:find(":") and "inet6" or "inet", n.family)
      end
    end)

    it("filters by dev, family and state", function()
      local ns, name, v = setup("filter")
      H.ipdo_batch(name, {
        "neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev v0",
        "neigh add 2001:db8::5 lladdr 02:00:00:00:00:03 dev v0",
        "neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev v1 nud stale" })
      local function dsts(iter)
        local t = {}
        for n in iter do t[#t + 1] = n.dst end
        table.sort(t)
        return t
      end
      assert.are.same({ "10.0.0.7", "10.0.0.8", "2001:db8::5" }, dsts(ns:neighs()))
      assert.are.same({ "10.0.0.7", "2001:db8::5" }, dsts(ns:neighs{ dev = "v0" }))
      assert.are.same({ "10.0.0.7", "2001:db8::5" }, dsts(ns:neighs{ dev = v }))
      assert.are.same({ "10.0.0.8" }, dsts(ns:neighs{ dev = "v1" }))
      assert.are.same({ "10.0.0.7", "10.0.0.8" }, dsts(ns:neighs{ family = "inet" }))
      assert.are.same({ "2001:db8::5" }, dsts(ns:neighs{ family = "inet6" }))
      assert.are.same({ "10.0.0.8" }, dsts(ns:neighs{ state = "stale" }))
      assert.are.same({ "10.0.0.7" }, dsts(ns:neighs{ state = "permanent", family = 4 }))
    end)

    it("objects print, compare and release", function()
      local ns, _, v = setup("obj")
      local n = assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = v })
      assert.are.equal("vnet.neigh: 10.0.0.5 lladdr 02:00:00:00:00:01 dev " .. v.index ..
                       " permanent", tostring(n))
      assert.are.equal(n, collect(ns:neighs())[1])
      local m = assert(ns:neigh_add{ dst = "10.0.0.6", dev = v, state = "noarp" })
      assert.are_not.equal(n, m)
      local t = n:totable()
      assert.are.equal("10.0.0.5", t.dst)
      assert.are.equal("permanent", t.state)
      assert.are.equal("vnet.neigh", getmetatable(n).__name)
      H.raises(function() n.state = "stale" end, "read-only")
      getmetatable(n).__gc(n)
      getmetatable(n).__gc(n)
      H.raises(function() return n.dst end, "released vnet.neigh")
      H.raises(function() return n:delete() end, "released vnet.neigh")
      assert.are.equal("vnet.neigh (released)", tostring(n))
      assert.is_nil(rawget(_G, "vnet"))
      assert.truthy(vnet.netns)
    end)
  end)

  describe("deleting", function()
    it("deletes by options and by object", function()
      local ns, name, v = setup("del")
      assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local m = assert(ns:neigh_add{ dst = "2001:db8::5", lladdr = "02:00:00:00:00:03", dev = v })
      H.ipdo(name, "neigh", "add", "10.0.0.9", "lladdr", "02:00:00:00:00:09", "dev", "v0")
      assert.is_true(ns:neigh_del{ dst = "10.0.0.5", dev = "v0" })
      assert.is_nil(find(oracle(name), "10.0.0.5"))
      assert.is_true(m:delete())
      assert.is_nil(find(oracle(name), "2001:db8::5"))
      for n in ns:neighs{ dev = v } do assert.is_true(n:delete()) end
      assert.are.same({}, oracle(name))
    end)
  end)

  describe("failures", function()
    it("a duplicate gives EEXIST and changes nothing", function()
      local ns, name = setup("dup")
      assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local msg = H.fails("EEXIST", ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:02",
                                                  dev = "v0" })
      assert.truthy(msg:find("neigh_add 10.0.0.5 dev v0", 1, true))
      local o = find(oracle(name), "10.0.0.5")
      assert.are.equal("02:00:00:00:00:01", o.lladdr)
      assert.are.equal(1, #oracle(name))
    end)

    it("a device that does not exist gives ENODEV", function()
      local ns, name = setup("nodev")
      local msg = H.fails("ENODEV", ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01",
                                                  dev = "nosuch0" })
      assert.truthy(msg:find("nosuch0", 1, true))
      H.fails("ENODEV", ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = 4242 })
      H.fails("ENODEV", ns:neigh_del{ dst = "10.0.0.5", dev = "nosuch0" })
      H.fails("ENODEV", ns:neighs{ dev = "nosuch0" })
      assert.are.same({}, oracle(name))
    end)

    it("deleting a missing entry gives ENOENT", function()
      local ns, name = setup("noent")
      H.fails("ENOENT", ns:neigh_del{ dst = "10.0.0.5", dev = "v0" })
      local n = assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      assert(n:delete())
      H.fails("ENOENT", n:delete())
      assert.are.same({}, oracle(name))
    end)

    it("a link-layer address of the wrong length is refused by the kernel", function()
      local ns, name = setup("short")
      H.fails("EINVAL", ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00", dev = "v0" })
      assert.are.same({}, oracle(name))
    end)
  end)

  describe("misuse raises, naming the function and the field, and leaves nothing behind", function()
    local ns, name, v
    before_each(function() ns, name, v = setup("bad") end)
    local LL = "02:00:00:00:00:01"
    local function add(t) return function() return ns:neigh_add(t) end end
    local cases = {
      { "opts not a table", function() return ns:neigh_add("10.0.0.5") end,
        "neigh_add", "options must be a table" },
      { "unknown key", add{ dst = "10.0.0.5", lladdr = LL, dev = "v0", nud = "permanent" },
        "neigh_add", "unknown option 'nud'" },
      { "positional", add{ "10.0.0.5", lladdr = LL, dev = "v0" }, "positional" },
      { "missing dst", add{ lladdr = LL, dev = "v0" }, "option 'dst' is required" },
      { "missing dev", add{ dst = "10.0.0.5", lladdr = LL }, "option 'dev' is required" },
      { "bad IPv4 octet", add{ dst = "10.0.0.300", lladdr = LL, dev = "v0" },
        "neigh_add", "option 'dst' '10.0.0.300'", "not a valid" },
      { "not an address", add{ dst = "abc", lladdr = LL, dev = "v0" }, "option 'dst' 'abc'" },
      { "empty dst", add{ dst = "", lladdr = LL, dev = "v0" }, "option 'dst'" },
      { "prefix too long", add{ dst = "10.0.0.1/33", lladdr = LL, dev = "v0" }, "option 'dst'" },
      { "a network", add{ dst = "10.0.0.0/24", lladdr = LL, dev = "v0" },
        "option 'dst'", "host address" },
      { "default", add{ dst = "default", lladdr = LL, dev = "v0" }, "option 'dst'" },
      { "dst type", add{ dst = 10, lladdr = LL, dev = "v0" }, "option 'dst'", "address string" },
      { "malformed lladdr", add{ dst = "10.0.0.5", lladdr = "zz:00:00:00:00:01", dev = "v0" },
        "option 'lladdr'", "zz:00" },
      { "lladdr without colons", add{ dst = "10.0.0.5", lladdr = "020000000001", dev = "v0" },
        "option 'lladdr'" },
      { "lladdr trailing colon", add{ dst = "10.0.0.5", lladdr = "02:00:", dev = "v0" },
        "option 'lladdr'" },
      { "empty lladdr", add{ dst = "10.0.0.5", lladdr = "", dev = "v0" }, "option 'lladdr'" },
      { "lladdr type", add{ dst = "10.0.0.5", lladdr = 5, dev = "v0" }, "option 'lladdr'" },
      { "unknown state", add{ dst = "10.0.0.5", lladdr = LL, dev = "v0", state = "bogus" },
        "option 'state'", "bogus" },
      { "state type", add{ dst = "10.0.0.5", lladdr = LL, dev = "v0", state = 128 },
        "option 'state'" },
      { "router type", add{ dst = "10.0.0.5", lladdr = LL, dev = "v0", router = "yes" },
        "option 'router'", "boolean" },
      { "dev type", add{ dst = "10.0.0.5", lladdr = LL, dev = {} }, "option 'dev'" },
      { "dev name too long", add{ dst = "10.0.0.5", lladdr = LL, dev = "averyveryverylongname" },
        "option 'dev'", "1 to 15 bytes" },
      { "replace unknown key", function()
          return ns:neigh_replace{ dst = "10.0.0.5", lladdr = LL, dev = "v0", x = 1 } end,
        "neigh_replace", "unknown option 'x'" },
      { "del missing dst", function() return ns:neigh_del{ dev = "v0" } end,
        "neigh_del", "option 'dst' is required" },
      { "del missing dev", function() return ns:neigh_del{ dst = "10.0.0.5" } end,
        "neigh_del", "option 'dev' is required" },
      { "del unknown key", function() return ns:neigh_del{ dst = "10.0.0.5", dev = "v0",
                                                           lladdr = LL } end,
        "neigh_del", "unknown option 'lladdr'" },
      { "del malformed", function() return ns:neigh_del{ dst = "10.0.0.300", dev = "v0" } end,
        "neigh_del", "option 'dst'" },
      { "neighs unknown key", function() return ns:neighs{ devv = "v0" } end,
        "neighs", "unknown option 'devv'" },
      { "neighs bad family", function() return ns:neighs{ family = "ipx" } end,
        "neighs", "option 'family'" },
      { "neighs bad state", function() return ns:neighs{ state = "gone" } end,
        "neighs", "option 'state'" },
      { "self is not a namespace", function() return ns.neigh_add(v, {}) end, "vnet.netns" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        H.raises(c[2], select(3, (table.unpack or unpack)(c)))
        assert.are.same({}, oracle(name))
      end)
    end
  end)
end)
