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
  describe("one entry (ns:neigh, `ip neigh get`)", function()
    it("gets an entry by dst and dev, as ip shows it", function()
      local ns, name, v = setup("get")
      H.ipdo(name, "neigh", "add", "10.0.0.7", "lladdr", "02:00:00:00:00:07", "dev", "v0",
             "nud", "stale")
      H.ipdo(name, "neigh", "add", "2001:db8::7", "lladdr", "02:00:00:00:00:08", "dev", "v1",
             "router")
      local n = assert(ns:neigh{ dst = "10.0.0.7", dev = "v0" })
      local o = find(oracle(name, "v0"), "10.0.0.7")
      assert.are.equal("vnet.neigh", getmetatable(n).__name)
      assert.are.equal(o.dst, n.dst)
      assert.are.equal(o.lladdr, n.lladdr)
      assert.are.equal(o.state[1]:lower(), n.state)
      assert.are.equal(v.index, n.dev)
      assert.is_false(n.proxy)
      local m = assert(ns:neigh{ dst = "2001:db8::7", dev = assert(ns:link("v1")) })
      assert.are.equal("02:00:00:00:00:08", m.lladdr)
      assert.are.equal("inet6", m.family)
      assert.is_true(m.router)
      -- it is a live entry: deleting it through the object works
      assert.is_true(n:delete())
      assert.is_nil(find(oracle(name), "10.0.0.7"))
    end)

    it("one request, not a dump", function()
      local ns = setup("get1")
      assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local before = ns.requests
      assert(ns:neigh{ dst = "10.0.0.5", dev = "v0" })
      assert.are.equal(before + 1, ns.requests)
    end)

    it("a missing entry gives ENOENT with the kernel's words, a missing device ENODEV", function()
      local ns = setup("getmiss")
      local msg = H.fails("ENOENT", ns:neigh{ dst = "10.0.0.5", dev = "v0" })
      assert.truthy(msg:find("neigh 10.0.0.5 dev v0", 1, true), msg)
      H.fails("ENOENT", ns:neigh{ dst = "2001:db8::5", dev = "v0" })
      H.fails("ENOENT", ns:neigh{ dst = "10.0.0.5", dev = "v0", proxy = true })
      msg = H.fails("ENODEV", ns:neigh{ dst = "10.0.0.5", dev = "nosuch0" })
      assert.truthy(msg:find("nosuch0", 1, true), msg)
      H.fails("ENODEV", ns:neigh{ dst = "10.0.0.5", dev = 4242 })
    end)
  end)

  describe("proxy entries (`ip neigh add proxy`)", function()
    it("adds, lists, gets and deletes proxy entries, checked by ip", function()
      local ns, name, v = setup("proxy")
      assert(ns:neigh_add{ dst = "10.0.0.5", lladdr = "02:00:00:00:00:01", dev = "v0" })
      local p = assert(ns:neigh_add{ dst = "10.0.0.9", dev = "v0", proxy = true })
      assert.is_true(p.proxy)
      assert.are.equal("10.0.0.9", p.dst)
      assert.are.equal(v.index, p.dev)
      assert.is_nil(p.lladdr)
      assert.are.equal("vnet.neigh: 10.0.0.9 dev " .. v.index .. " proxy", tostring(p))
      assert(ns:neigh_add{ dst = "2001:db8::9", dev = v, proxy = true })
      H.ipdo(name, "neigh", "add", "proxy", "10.0.0.10", "dev", "v1")
      local o = H.ip(name, "neigh", "show", "proxy")
      local mine = collect(ns:neighs{ proxy = true })
      assert.are.equal(3, #o)
      assert.are.equal(#o, #mine)
      for _, n in ipairs(mine) do
        local e = find(o, n.dst)
        assert.truthy(e, "ip does not show proxy " .. n.dst)
        assert.are.equal(H.iplink(name, e.dev).ifindex, n.dev)
        assert.is_true(n.proxy)
      end
      -- the ordinary listing leaves them out, the proxy one has only them
      local plain = collect(ns:neighs())
      assert.are.equal(1, #plain)
      assert.is_false(plain[1].proxy)
      assert.are.same({ "10.0.0.9" }, (function()
        local t = {}
        for n in ns:neighs{ proxy = true, dev = "v0", family = "inet" } do t[#t + 1] = n.dst end
        return t end)())
      -- get one
      local g = assert(ns:neigh{ dst = "10.0.0.10", dev = "v1", proxy = true })
      assert.is_true(g.proxy)
      H.fails("ENOENT", ns:neigh{ dst = "10.0.0.10", dev = "v1" })
      -- adding it again is no failure (the kernel keeps one entry, as for ip)
      assert(ns:neigh_add{ dst = "10.0.0.9", dev = "v0", proxy = true })
      assert.are.equal(3, #H.ip(name, "neigh", "show", "proxy"))
      -- delete by options, by object
      assert.is_true(ns:neigh_del{ dst = "10.0.0.9", dev = "v0", proxy = true })
      assert.is_nil(find(H.ip(name, "neigh", "show", "proxy"), "10.0.0.9"))
      H.fails("ENOENT", ns:neigh_del{ dst = "10.0.0.9", dev = "v0", proxy = true })
      assert.is_true(g:delete())
      assert.is_nil(find(H.ip(name, "neigh", "show", "proxy"), "10.0.0.10"))
      -- deleting without proxy does not touch a proxy entry
      H.fails("ENOENT", ns:neigh_del{ dst = "2001:db8::9", dev = "v0" })
      assert.are.equal(1, #H.ip(name, "neigh", "show", "proxy"))
      -- the ordinary entry is still there
      assert.are.equal("02:00:00:00:00:01", find(oracle(name), "10.0.0.5").lladdr)
    end)
  end)

  describe("neighbour tables (`ip ntable`)", function()
    local function ipnt(name, ...)
      return H.ip(name, "ntable", "show", ...)
    end
    local fields = { "thresh1", "thresh2", "thresh3", "gc_interval", "base_reachable",
                     "retrans", "gc_stale", "delay_probe", "queue", "app_probes",
                     "ucast_probes", "mcast_probes", "anycast_delay", "proxy_delay",
                     "proxy_queue", "locktime" }

    it("reads every table and device entry as ip does", function()
      local ns, name = setup("nt")
      local o = ipnt(name)
      local mine = collect(ns:ntables())
      assert.are.equal(#o, #mine)
      assert.truthy(#mine >= 6)   -- arp_cache and ndisc_cache: own, lo, v0, v1
      local byname = {}
      for _, e in ipairs(o) do
        byname[e.family .. " " .. e.name .. " " .. (e.dev or "-")] = e
      end
      local devs = {}
      for _, t in ipairs(mine) do
        assert.are.equal("vnet.ntable", getmetatable(t).__name)
        local dev = "-"
        if t.dev then
          for _, l in ipairs(H.ip(name, "link", "show")) do
            if l.ifindex == t.dev then dev = l.ifname end
          end
        end
        local e = byname[t.family .. " " .. t.name .. " " .. dev]
        assert.truthy(e, "ip does not show " .. tostring(t))
        for _, f in ipairs(fields) do
          assert.are.equal(e[f], t[f], tostring(t) .. ": " .. f)
        end
        assert.are.equal(e.refcnt, t.refcnt)
        assert.is_number(t.reachable)
        devs[dev] = true
        if t.dev then assert.is_nil(t.thresh1) else assert.is_number(t.thresh1) end
      end
      assert.is_true(devs.v0 and devs.lo and devs["-"])
      -- filters
      local v0 = collect(ns:ntables{ dev = "v0" })
      assert.are.equal(2, #v0)
      local arp = collect(ns:ntables{ dev = "v0", family = "inet" })
      assert.are.equal(1, #arp)
      assert.are.equal("arp_cache", arp[1].name)
      assert.are.equal(H.iplink(name, "v0").ifindex, arp[1].dev)
      local nd = collect(ns:ntables{ name = "ndisc_cache" })
      assert.are.equal(#ipnt(name, "name", "ndisc_cache"), #nd)
      for _, t in ipairs(nd) do assert.are.equal("inet6", t.family) end
      assert.are.same({}, collect(ns:ntables{ name = "nosuch" }))
      H.fails("ENODEV", ns:ntables{ dev = "nosuch0" })
      -- tostring like ip, totable, identity
      assert.truthy(tostring(arp[1]):find("^vnet.ntable: inet arp_cache dev %d+ refcnt"))
      assert.truthy(tostring(arp[1]):find(" queue %d+ "))
      local closed = ns:ntables{ dev = "v0" }()
      getmetatable(closed).__close(closed)
      assert.are.equal("vnet.ntable (released)", tostring(closed))
      H.raises(function() return getmetatable(arp[1]).__tostring(arp[1]:ns()) end,
               "vnet.ntable expected")
      assert.are.equal("arp_cache", arp[1]:totable().name)
      assert.are.equal(arp[1], collect(ns:ntables{ dev = "v0", family = 4 })[1])
      assert.are_not.equal(arp[1], v0[2] ~= arp[1] and v0[2] or v0[1])
    end)

    it("changes a device's parameters, read back and checked by ip", function()
      local ns, name, v = setup("ntc")
      local t = assert(ns:ntable_change{ name = "arp_cache", dev = "v0", queue = 10,
        base_reachable = 12000, retrans = 500, gc_stale = 30000, delay_probe = 2000,
        app_probes = 2, ucast_probes = 4, mcast_probes = 1, anycast_delay = 700,
        proxy_delay = 600, proxy_queue = 32, locktime = 500 })
      assert.are.equal("vnet.ntable", getmetatable(t).__name)
      assert.are.equal(v.index, t.dev)
      local o = ipnt(name, "dev", "v0", "name", "arp_cache")[1]
      local want = { queue = 10, base_reachable = 12000, retrans = 500, gc_stale = 30000,
        delay_probe = 2000, app_probes = 2, ucast_probes = 4, mcast_probes = 1,
        anycast_delay = 700, proxy_delay = 600, proxy_queue = 32, locktime = 500 }
      for k, x in pairs(want) do
        assert.are.equal(x, o[k], k)
        assert.are.equal(x, t[k], k)
      end
      -- the other device and the other table are untouched
      assert.are.equal(101, ipnt(name, "dev", "v1", "name", "arp_cache")[1].queue)
      assert.are.equal(101, ipnt(name, "dev", "v0", "name", "ndisc_cache")[1].queue)
      -- IPv6, by link object, with the family
      t = assert(ns:ntable_change{ name = "ndisc_cache", family = "inet6", dev = v,
                                   ucast_probes = 7 })
      assert.are.equal(7, t.ucast_probes)
      assert.are.equal(7, ipnt(name, "dev", "v0", "name", "ndisc_cache")[1].ucast_probes)
    end)

    it("refusals: the table's own settings outside the initial namespace, unknown names", function()
      local ns, name = setup("ntf")
      local before = ipnt(name)
      -- thresholds and gc_interval belong to the initial namespace only
      H.fails("ENOENT", ns:ntable_change{ name = "arp_cache", thresh1 = 64 })
      H.fails("ENOENT", ns:ntable_change{ name = "arp_cache", gc_interval = 1000 })
      -- no defaults of this namespace's own either
      H.fails("ENOENT", ns:ntable_change{ name = "arp_cache", queue = 5 })
      local msg = H.fails("ENOENT", ns:ntable_change{ name = "nosuch", dev = "v0", queue = 5 })
      assert.truthy(msg:find("ntable_change nosuch dev v0", 1, true), msg)
      -- the family must be the table's
      H.fails("ENOENT", ns:ntable_change{ name = "ndisc_cache", family = "inet", dev = "v0",
                                          queue = 5 })
      H.fails("ENODEV", ns:ntable_change{ name = "arp_cache", dev = "nosuch0", queue = 5 })
      -- an index no device has: the kernel finds no parameters for it
      H.fails("ENOENT", ns:ntable_change{ name = "arp_cache", dev = 4242, queue = 5 })
      assert.are.same(#before, #ipnt(name))
      assert.are.equal(101, ipnt(name, "dev", "v0", "name", "arp_cache")[1].queue)
    end)
  end)

  describe("misuse of neigh, proxy and ntables raises", function()
    local ns, name, v
    before_each(function() ns, name, v = setup("bad2") end)
    local proxy_idx = setmetatable({}, { __index = function(_, k)
      return ({ dst = "10.0.0.5", dev = "v0", proxy = true })[k] end })
    local cases = {
      { "neigh opts", function() return ns:neigh("10.0.0.5") end, "neigh", "table" },
      { "neigh unknown key", function() return ns:neigh{ dst = "10.0.0.5", dev = "v0", x = 1 } end,
        "neigh", "unknown option 'x'" },
      { "neigh missing dst", function() return ns:neigh{ dev = "v0" } end,
        "neigh", "option 'dst' is required" },
      { "neigh missing dev", function() return ns:neigh{ dst = "10.0.0.5" } end,
        "neigh", "option 'dev' is required" },
      { "neigh bad dst", function() return ns:neigh{ dst = "10.0.0.5/24", dev = "v0" } end,
        "neigh", "option 'dst'" },
      { "neigh NUL dst", function() return ns:neigh{ dst = "10.0.0.5\0", dev = "v0" } end,
        "neigh", "option 'dst'" },
      { "neigh NUL dev", function() return ns:neigh{ dst = "10.0.0.5", dev = "v0\0x" } end,
        "neigh", "option 'dev'" },
      { "neigh dev 2^31", function() return ns:neigh{ dst = "10.0.0.5", dev = 2^31 } end,
        "neigh", "option 'dev'" },
      { "neigh proxy type", function() return ns:neigh{ dst = "10.0.0.5", dev = "v0", proxy = 1 } end,
        "neigh", "option 'proxy'" },
      { "neigh positional", function() return ns:neigh{ "10.0.0.5", dev = "v0" } end,
        "neigh", "positional" },
      { "proxy with lladdr", function() return ns:neigh_add{ dst = "10.0.0.5", dev = "v0",
          proxy = true, lladdr = "02:00:00:00:00:01" } end, "neigh_add", "proxy", "lladdr" },
      { "proxy type", function() return ns:neigh_add{ dst = "10.0.0.5", dev = "v0", proxy = "yes" } end,
        "neigh_add", "option 'proxy'" },
      { "del proxy type", function() return ns:neigh_del{ dst = "10.0.0.5", dev = "v0", proxy = 0 } end,
        "neigh_del", "option 'proxy'" },
      { "neighs proxy type", function() return ns:neighs{ proxy = "x" } end,
        "neighs", "option 'proxy'" },
      { "ntables unknown key", function() return ns:ntables{ table = "arp_cache" } end,
        "ntables", "unknown option 'table'" },
      { "ntables family", function() return ns:ntables{ family = "bridge" } end,
        "ntables", "option 'family'" },
      { "ntables name NUL", function() return ns:ntables{ name = "arp\0cache" } end,
        "ntables", "option 'name'" },
      { "ntables name long", function() return ns:ntables{ name = ("x"):rep(100) } end,
        "ntables", "option 'name'" },
      { "ntables dev type", function() return ns:ntables{ dev = {} } end,
        "ntables", "option 'dev'" },
      { "change no name", function() return ns:ntable_change{ dev = "v0", queue = 1 } end,
        "ntable_change", "option 'name' is required" },
      { "change nothing", function() return ns:ntable_change{ name = "arp_cache", dev = "v0" } end,
        "ntable_change", "nothing to change" },
      { "change unknown key", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", queue_len = 1 } end,
        "ntable_change", "unknown option 'queue_len'" },
      { "change read-only", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", reachable = 1 } end,
        "ntable_change", "unknown option 'reachable'" },
      { "change 2^31", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", queue = 2^31 } end,
        "ntable_change", "option 'queue'" },
      { "change 2^32+1", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", retrans = 2^32 + 1 } end,
        "ntable_change", "option 'retrans'" },
      { "change negative", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", locktime = -1 } end,
        "ntable_change", "option 'locktime'" },
      { "change NaN", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", queue = 0/0 } end,
        "ntable_change", "option 'queue'" },
      { "change 1.5", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", queue = 1.5 } end,
        "ntable_change", "option 'queue'" },
      { "change string number", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", queue = "10" } end,
        "ntable_change", "option 'queue'" },
      { "change own with dev", function()
          return ns:ntable_change{ name = "arp_cache", dev = "v0", thresh1 = 10 } end,
        "ntable_change", "thresh1", "no 'dev'" },
      { "change name NUL", function()
          return ns:ntable_change{ name = "arp_cache\0", dev = "v0", queue = 1 } end,
        "ntable_change", "option 'name'" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        H.raises(c[2], select(3, (table.unpack or unpack)(c)))
        assert.are.same({}, oracle(name))
        assert.are.same({}, H.ip(name, "neigh", "show", "proxy"))
        assert.are.equal(101, H.ip(name, "ntable", "show", "dev", "v0", "name", "arp_cache")[1].queue)
      end)
    end

    it("options from __index are read", function()
      assert(ns:neigh_add(proxy_idx))
      assert.is_true(ns:neigh(proxy_idx).proxy)
      assert.is_true(ns:neigh_del(proxy_idx))
      local t = assert(ns:ntable_change(setmetatable({}, { __index = { name = "arp_cache",
        dev = v, queue = 11 } })))
      assert.are.equal(11, t.queue)
    end)
  end)
end)

-- A small randomized differential test (fixed seed): random neighbours,
-- proxy entries and device parameters, each read back by vnet and by ip.
describe("neighbours, randomized against ip", function()
  after_each(H.cleanup)

  it("entries, proxies and ntable parameters (seed 20261203)", function()
    math.randomseed(20261203)
    local ns, name, v = setup("rnd")
    -- Both ends up, so v0 has a carrier: a device that is up without one has
    -- its entries flushed when the kernel's deferred link event arrives.
    -- A long reachable time keeps "reachable" entries from going stale
    -- between the two reads.
    assert(v:set{ up = true })
    assert(assert(ns:link("v1")):set{ up = true })
    for _, t in ipairs{ "arp_cache", "ndisc_cache" } do
      assert(ns:ntable_change{ name = t, dev = "v0", base_reachable = 3600000 })
    end
    -- (no delay or probe: the kernel moves those on within seconds)
    local states = { "permanent", "stale", "noarp", "reachable" }
    local made, proxies = {}, {}
    for i = 1, 10 do
      local six = math.random() < 0.5
      local dst = six and ("fc00::%x"):format(math.random(1, 0xffff))
                      or ("10.%d.%d.%d"):format(math.random(0, 255), math.random(0, 255), i)
      if math.random() < 0.25 then
        assert(ns:neigh_add{ dst = dst, dev = "v0", proxy = true })
        proxies[dst] = true
      else
        local ll = ("02:%02x:%02x:%02x:%02x:%02x"):format(math.random(0, 255),
          math.random(0, 255), math.random(0, 255), math.random(0, 255), i)
        local st = states[math.random(#states)]
        local n = assert(ns:neigh_replace{ dst = dst, dev = "v0", lladdr = ll, state = st })
        assert.are.equal(ll, n.lladdr)
        made[dst] = n
      end
    end
    local o = oracle(name, "v0")
    for dst, n in pairs(made) do
      local e = find(o, dst)
      assert.truthy(e, dst)
      local got = assert(ns:neigh{ dst = dst, dev = "v0" })
      assert.are.equal(e.lladdr, got.lladdr, dst)
      assert.are.equal(e.state[1]:lower(), got.state, dst)
      assert.are.equal(n, got)
    end
    local po = H.ip(name, "neigh", "show", "proxy")
    local seen = 0
    for p in ns:neighs{ proxy = true } do
      assert.is_true(proxies[p.dst], p.dst)
      assert.truthy(find(po, p.dst), p.dst)
      seen = seen + 1
    end
    assert.are.equal(#po, seen)
    local n = 0
    for _ in pairs(proxies) do n = n + 1 end
    assert.are.equal(n, seen)
    -- device parameters: vnet's echo and ip agree, whatever the kernel rounded
    local fields = { "queue", "base_reachable", "retrans", "gc_stale", "delay_probe",
                     "app_probes", "ucast_probes", "mcast_probes", "anycast_delay",
                     "proxy_delay", "proxy_queue", "locktime" }
    for _ = 1, 3 do
      local opts = { name = math.random() < 0.5 and "arp_cache" or "ndisc_cache", dev = "v0" }
      for _, f in ipairs(fields) do
        if math.random() < 0.5 then opts[f] = math.random(0, 100000) end
      end
      opts.queue = math.random(1, 1000)
      local t = assert(ns:ntable_change(opts))
      local e = H.ip(name, "ntable", "show", "dev", "v0", "name", opts.name)[1]
      for _, f in ipairs(fields) do
        assert.are.equal(e[f], t[f], opts.name .. " " .. f)
      end
      assert.are.equal(opts.queue, t.queue)
    end
  end)
end)
