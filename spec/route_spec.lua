local H = require "spec.helper"
local unpack = table.unpack or unpack

-- A namespace with a veth pair va <-> vb, both up, with IPv4 and IPv6
-- subnets on each end: 10.0.0.1/24 and 2001:db8:a::1/64 on va,
-- 10.0.1.1/24 and 2001:db8:b::1/64 on vb.
local net = H.two_subnets

local function ifindex(name, dev) return H.iplink(name, dev).ifindex end

local function ifnames(name)
  local m = {}
  for _, l in ipairs(H.ip(name, "link", "show")) do m[l.ifindex] = l.ifname end
  return m
end

-- `ip -j -d [-6] route show table T` for one family
local function iproutes(name, family, table)
  return H.ip(name, family == "inet6" and "-6" or "-4", "route", "show", "table",
              tostring(table or "main"))
end

local function full(dst)
  if dst == "default" or dst:find("/") then return dst end
  return dst .. (dst:find(":") and "/128" or "/32")
end

-- The route with this dst in ip's list, or nil.
local function find(list, dst)
  for _, e in ipairs(list) do
    if full(e.dst) == full(dst) then return e end
  end
end

-- One comparable line per route, from ip's JSON and from a vnet route.
local function ipkey(e, tbl)
  local nh = {}
  for _, n in ipairs(e.nexthops or {}) do
    nh[#nh + 1] = (n.gateway or "-") .. "@" .. (n.dev or "-") .. "*" .. (n.weight or 1)
  end
  local mtu
  for _, m in ipairs(e.metrics or {}) do mtu = mtu or m.mtu end
  -- ip names the table only when it lists more than one
  local t = e.table or ((tbl == nil or tbl == "all") and "main" or tostring(tbl))
  return table.concat({ e.type or "unicast", full(e.dst), t,
    e.gateway or "-", e.dev or "-", e.protocol or "boot", tostring(e.metric or 0),
    e.prefsrc or "-", e.scope or "-", tostring(mtu or "-"), table.concat(nh, ",") }, " ")
end

local function vnkey(r, names, v6)
  local nh = {}
  for _, n in ipairs(r.nexthops or {}) do
    nh[#nh + 1] = (n.gateway or "-") .. "@" .. (names[n.dev] or "-") .. "*" .. n.weight
  end
  return table.concat({ r.type, r.dst, tostring(r.table), r.gateway or "-",
    r.dev and names[r.dev] or "-", tostring(r.protocol), tostring(r.metric), r.src or "-",
    v6 and "-" or r.scope, tostring(r.mtu or "-"), table.concat(nh, ",") }, " ")
end

-- Asserts that ns:routes{family, table} and ip agree on every route.
local function agree(ns, name, family, tbl)
  local names, mine, theirs = ifnames(name), {}, {}
  for r in assert(ns:routes{ family = family, table = tbl }) do
    mine[#mine + 1] = vnkey(r, names, family == "inet6")
  end
  for _, e in ipairs(iproutes(name, family, tbl)) do
    if family == "inet6" then e.scope = nil end
    theirs[#theirs + 1] = ipkey(e, tbl)
  end
  table.sort(mine)
  table.sort(theirs)
  assert.are.same(theirs, mine)
  return #mine
end

local function snapshot(name)
  return { iproutes(name, "inet", "all"), iproutes(name, "inet6", "all") }
end

describe("routes", function()
  teardown(H.cleanup)

  describe("adding", function()
    it("adds a route via a gateway, checked by ip", function()
      local ns, name = net("gw")
      local r = assert(ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.0.2" })
      local e = assert(find(iproutes(name), "10.9.0.0/16"))
      assert.are.equal("10.0.0.2", e.gateway)
      assert.are.equal("va", e.dev)
      assert.are.equal("boot", e.protocol)
      assert.are.equal("global", e.scope)
      assert.are.equal("10.9.0.0/16", r.dst)
      assert.are.equal("10.0.0.2", r.gateway)
      assert.are.equal(ifindex(name, "va"), r.dev)
      assert.are.equal("inet", r.family)
      assert.are.equal("main", r.table)
      assert.are.equal("unicast", r.type)
      assert.are.equal("boot", r.protocol)
      assert.are.equal("global", r.scope)
      assert.are.equal(0, r.metric)
      assert.is_nil(r.nexthops)
      assert.are.equal(ns, r:ns())
      assert.truthy(tostring(r):find("vnet.route: 10.9.0.0/16 via 10.0.0.2 dev " .. r.dev, 1, true))
    end)

    it("adds a default route in a numbered table with metric, mtu, protocol and src", function()
      local ns, name = net("tbl")
      local r = assert(ns:route_add{ dst = "default", gateway = "10.0.0.254", table = 100,
                                     metric = 5, mtu = 1400, protocol = "static",
                                     src = "10.0.0.1" })
      local e = assert(find(iproutes(name, "inet", 100), "default"))
      assert.are.equal("10.0.0.254", e.gateway)
      assert.are.equal(5, e.metric)
      assert.are.equal("static", e.protocol)
      assert.are.equal("10.0.0.1", e.prefsrc)
      assert.are.equal(1400, e.metrics[1].mtu)
      assert.are.equal("default", r.dst)
      assert.are.equal(100, r.table)
      assert.are.equal(5, r.metric)
      assert.are.equal(1400, r.mtu)
      assert.are.equal("static", r.protocol)
      assert.are.equal("10.0.0.1", r.src)
      assert.is_nil(find(iproutes(name), "default"))
      -- protocol by number; dev as a link object
      assert(ns:route_add{ dst = "10.20.0.0/16", dev = assert(ns:link("vb")), protocol = 99,
                           table = "main" })
      e = assert(find(iproutes(name), "10.20.0.0/16"))
      assert.are.equal("vb", e.dev)
      assert.are.equal("link", e.scope)
      assert.are.equal("openr", e.protocol)
    end)

    it("uses table names from rt_tables.d, as ip does", function()
      local ns, name = net("tname")
      local tname = H.prefix .. "tbl"
      local dir = "/etc/iproute2/rt_tables.d"
      local path = dir .. "/" .. H.prefix .. "spec.conf"
      local copy
      finally(function()
        os.remove(path)
        if copy then H.sh("umount " .. dir .. "; rm -rf " .. copy) end
      end)
      local f = io.open(path, "w")
      if not f then
        -- a read-only /etc (the VM tier): a writable copy of the directory,
        -- bind-mounted over it for the length of this test
        copy = os.tmpname()
        os.remove(copy)
        local ok, out = H.sh(("mkdir %s && cp -a %s/. %s && mount --bind %s %s")
                             :format(copy, dir, copy, copy, dir))
        assert(ok, out)
        f = assert(io.open(path, "w"))
      end
      f:write("# scratch table of the vnet specs\n4242\t", tname, "\n")
      f:close()
      local r = assert(ns:route_add{ dst = "10.30.0.0/16", dev = "va", table = tname })
      assert.are.equal(tname, r.table)
      local e = assert(find(iproutes(name, "inet", 4242), "10.30.0.0/16"))
      assert.are.equal("va", e.dev)
      local n = 0
      for x in ns:routes{ table = tname } do
        n = n + 1
        assert.are.equal(tname, x.table)
      end
      assert.are.equal(1, n)
      assert(ns:route_add{ dst = "10.31.0.0/16", type = "blackhole", table = "local" })
      assert.are.equal("blackhole", find(iproutes(name, "inet", "local"), "10.31.0.0/16").type)
    end)

    it("adds IPv6 routes, the family taken from the addresses", function()
      local ns, name = net("v6")
      local r = assert(ns:route_add{ dst = "2001:db8:9::/48", gateway = "2001:db8:a::2" })
      assert.are.equal("inet6", r.family)
      assert.are.equal("2001:db8:a::2", r.gateway)
      assert.are.equal(ifindex(name, "va"), r.dev)
      assert.are.equal(1024, r.metric)
      local e = assert(find(iproutes(name, "inet6"), "2001:db8:9::/48"))
      assert.are.equal("2001:db8:a::2", e.gateway)
      assert.are.equal("va", e.dev)
      r = assert(ns:route_add{ dst = "default", gateway = "2001:db8:b::2", metric = 7 })
      assert.are.equal("inet6", r.family)
      assert.are.equal("default", r.dst)
      e = assert(find(iproutes(name, "inet6"), "default"))
      assert.are.equal("2001:db8:b::2", e.gateway)
      assert.are.equal(7, e.metric)
      assert.is_nil(find(iproutes(name, "inet"), "default"))
      -- family given explicitly for a route with no address to infer it from
      r = assert(ns:route_add{ dst = "default", dev = "vb", family = "inet6", table = 60 })
      assert.are.equal("inet6", r.family)
      assert.are.equal("vb", find(iproutes(name, "inet6", 60), "default").dev)
      assert.is_nil(find(iproutes(name, "inet", "all"), "default"))
    end)

    it("adds routes of every type", function()
      local ns, name = net("types")
      for _, t in ipairs({ "blackhole", "unreachable", "prohibit" }) do
        for _, fam in ipairs({ "inet", "inet6" }) do
          local dst = fam == "inet" and ("10.%d.0.0/16"):format(#t) or ("2001:db8:%x::/48"):format(#t)
          local r = assert(ns:route_add{ dst = dst, type = t })
          assert.are.equal(t, r.type)
          local e = assert(find(iproutes(name, fam), dst), t .. " " .. dst)
          assert.are.equal(t, e.type)
        end
      end
      local r = assert(ns:route_add{ dst = "10.50.0.0/16", type = "throw", table = 7 })
      assert.are.equal("throw", r.type)
      assert.are.equal("throw", find(iproutes(name, "inet", 7), "10.50.0.0/16").type)
      -- local routes go to table local, with scope host, like ip does
      r = assert(ns:route_add{ dst = "10.0.0.77", type = "local", dev = "va" })
      assert.are.equal("local", r.table)
      assert.are.equal("host", r.scope)
      local e = assert(find(iproutes(name, "inet", "local"), "10.0.0.77"))
      assert.are.equal("local", e.type)
      assert.are.equal("host", e.scope)
      r = assert(ns:route_add{ dst = "10.0.0.0/24", type = "unicast", dev = "va", scope = "link",
                               table = 9, metric = 3 })
      assert.are.equal("link", r.scope)
      assert.are.equal("link", find(iproutes(name, "inet", 9), "10.0.0.0/24").scope)
    end)

    it("adds multipath routes with weights over two veth peers", function()
      local ns, name = net("mp")
      local r = assert(ns:route_add{ dst = "10.40.0.0/16", nexthops = {
        { gateway = "10.0.0.2", dev = "va", weight = 3 },
        { gateway = "10.0.1.2", weight = 1 },
      } })
      local e = assert(find(iproutes(name), "10.40.0.0/16"))
      assert.are.same({ { "10.0.0.2", "va", 3 }, { "10.0.1.2", "vb", 1 } }, {
        { e.nexthops[1].gateway, e.nexthops[1].dev, e.nexthops[1].weight },
        { e.nexthops[2].gateway, e.nexthops[2].dev, e.nexthops[2].weight } })
      assert.is_nil(r.gateway)
      assert.is_nil(r.dev)
      assert.are.same({
        { gateway = "10.0.0.2", dev = ifindex(name, "va"), weight = 3 },
        { gateway = "10.0.1.2", dev = ifindex(name, "vb"), weight = 1 },
      }, r.nexthops)
      assert.truthy(tostring(r):find("nexthop via 10.0.0.2 dev " .. ifindex(name, "va") .. " weight 3", 1, true))
      -- IPv6 too
      r = assert(ns:route_add{ dst = "2001:db8:40::/48", nexthops = {
        { gateway = "2001:db8:a::2", dev = "va", weight = 2 },
        { gateway = "2001:db8:b::2", dev = "vb", weight = 5 },
      } })
      e = assert(find(iproutes(name, "inet6"), "2001:db8:40::/48"))
      assert.are.equal(2, #e.nexthops)
      local w = {}
      for _, n in ipairs(e.nexthops) do w[n.gateway] = n.weight end
      assert.are.same({ ["2001:db8:a::2"] = 2, ["2001:db8:b::2"] = 5 }, w)
      assert.are.equal(2, #r.nexthops)
      agree(ns, name, "inet6", "main")
    end)

    it("adds onlink routes through a gateway outside every subnet", function()
      local ns, name = net("onlink")
      local r = assert(ns:route_add{ dst = "10.60.0.0/16", gateway = "192.0.2.1", dev = "va",
                                     onlink = true })
      assert.is_true(r.onlink)
      local e = assert(find(iproutes(name), "10.60.0.0/16"))
      assert.are.same({ "onlink" }, e.flags)
      assert.truthy(tostring(r):find("onlink", 1, true))
    end)

    it("replaces a route, and creates it when missing", function()
      local ns, name = net("repl")
      assert(ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.0.2" })
      local r = assert(ns:route_replace{ dst = "10.9.0.0/16", gateway = "10.0.1.2", metric = 0 })
      assert.are.equal("10.0.1.2", r.gateway)
      local e = assert(find(iproutes(name), "10.9.0.0/16"))
      assert.are.equal("10.0.1.2", e.gateway)
      assert.are.equal("vb", e.dev)
      local n = 0
      for x in ns:routes() do if x.dst == "10.9.0.0/16" then n = n + 1 end end
      assert.are.equal(1, n)
      assert(ns:route_replace{ dst = "10.10.0.0/16", type = "unreachable" })
      assert.are.equal("unreachable", find(iproutes(name), "10.10.0.0/16").type)
    end)

    -- 11 next hops is the widest request written on the C stack, 12 the
    -- narrowest written into a buffer of its own
    it("adds routes of 11 and 12 next hops as ip shows them", function()
      local ns, name = net("nh1112")
      H.ipdo(name, "addr", "add", "10.2.0.1/16", "dev", "vb")
      for _, k in ipairs{ 11, 12 } do
        local hops, want = {}, {}
        for i = 1, k do
          hops[i] = { gateway = "10.2.0." .. (i + 1), dev = "vb", weight = i }
          want[i] = "10.2.0." .. (i + 1) .. "*" .. i
        end
        local dst = "10." .. (70 + k) .. ".0.0/16"
        local r = assert(ns:route_add{ dst = dst, nexthops = hops, metric = 7, table = 300 })
        assert.are.equal(k, #r.nexthops)
        local e = assert(find(iproutes(name, "inet", 300), dst))
        local got = {}
        for i, x in ipairs(e.nexthops) do got[i] = x.gateway .. "*" .. x.weight end
        assert.are.same(want, got)
        assert.are.equal(7, e.metric)
      end
    end)

    it("reads options a table inherits through __index", function()
      local ns, name = net("inherit")
      local defaults = { dev = "vb", table = 301, metric = 5 }
      local r = assert(ns:route_add(setmetatable({ dst = "10.77.0.0/16" }, { __index = defaults })))
      assert.are.equal(ifindex(name, "vb"), r.dev)
      local e = assert(find(iproutes(name, "inet", 301), "10.77.0.0/16"))
      assert.are.equal("vb", e.dev)
      assert.are.equal(5, e.metric)
    end)
  end)

  describe("deleting", function()
    it("deletes by options and by object, checked by ip", function()
      local ns, name = net("del")
      assert(ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.0.2" })
      assert(ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.1.2", metric = 20 })
      assert(ns:route_add{ dst = "10.8.0.0/16", type = "blackhole", table = 100 })
      H.ipdo(name, "route", "add", "10.7.0.0/16", "via", "10.0.1.2", "proto", "static")
      H.ipdo(name, "-6", "route", "add", "2001:db8:7::/48", "via", "2001:db8:a::2")
      -- the metric picks one of two routes to the same prefix
      assert.is_true(ns:route_del{ dst = "10.9.0.0/16", metric = 20 })
      local e = assert(find(iproutes(name), "10.9.0.0/16"))
      assert.are.equal("10.0.0.2", e.gateway)
      assert.is_true(ns:route_del{ dst = "10.9.0.0/16" })
      assert.is_nil(find(iproutes(name), "10.9.0.0/16"))
      -- a type and a table are found without naming the type
      assert.is_true(ns:route_del{ dst = "10.8.0.0/16", table = 100 })
      assert.is_nil(find(iproutes(name, "inet", "all"), "10.8.0.0/16"))
      -- routes made by ip, deleted as objects
      for r in ns:routes{ table = "all", protocol = "static" } do
        assert.is_true(r:delete())
      end
      assert.is_nil(find(iproutes(name), "10.7.0.0/16"))
      for r in ns:routes{ family = "inet6" } do
        if r.dst == "2001:db8:7::/48" then assert.is_true(r:delete()) end
      end
      assert.is_nil(find(iproutes(name, "inet6"), "2001:db8:7::/48"))
      -- the connected routes are untouched
      assert.truthy(find(iproutes(name), "10.0.0.0/24"))
      assert.truthy(find(iproutes(name), "10.0.1.0/24"))
    end)

    it("deletes multipath routes", function()
      local ns, name = net("delmp")
      H.ipdo(name, "route", "add", "10.40.0.0/16", "nexthop", "via", "10.0.0.2", "weight", "2",
             "nexthop", "via", "10.0.1.2")
      local r
      for x in ns:routes() do if x.dst == "10.40.0.0/16" then r = x end end
      assert.are.equal(2, #r.nexthops)
      assert.is_true(r:delete())
      assert.is_nil(find(iproutes(name), "10.40.0.0/16"))
      H.fails("ESRCH", r:delete())
    end)

    it("adds, replaces and deletes by options in a table above 255", function()
      local ns, name = net("big")
      local r = assert(ns:route_add{ dst = "10.42.0.0/16", gateway = "10.0.0.2", table = 70000,
                                     metric = 9 })
      assert.are.equal(70000, r.table)
      local e = assert(find(iproutes(name, "inet", 70000), "10.42.0.0/16"))
      assert.are.equal("10.0.0.2", e.gateway)
      assert.are.equal(9, e.metric)
      local seen = {}
      for _, x in ipairs(H.ip(name, "-4", "route", "show", "table", "all")) do
        if x.dst == "10.42.0.0/16" then seen[#seen + 1] = tostring(x.table) end
      end
      assert.are.same({ "70000" }, seen)
      r = assert(ns:route_replace{ dst = "10.42.0.0/16", dev = "vb", table = 70000, metric = 9 })
      assert.are.equal(ifindex(name, "vb"), r.dev)
      e = assert(find(iproutes(name, "inet", 70000), "10.42.0.0/16"))
      assert.are.equal("vb", e.dev)
      assert.is_nil(e.gateway)
      assert.is_true(ns:route_del{ dst = "10.42.0.0/16", table = 70000 })
      assert.are.same({}, H.ip(name, "route", "show", "table", "70000"))
      H.fails("ESRCH", ns:route_del{ dst = "10.42.0.0/16", table = 70000 })
    end)

    it("deletes objects of a table above 255 and of IPv6 multipath, as the kernel sent them", function()
      local ns, name = net("delbig")
      H.ipdo(name, "route", "add", "10.41.0.0/16", "via", "10.0.0.2", "table", "1000")
      H.ipdo(name, "-6", "route", "add", "2001:db8:41::/48", "nexthop", "via", "2001:db8:a::2",
             "nexthop", "via", "2001:db8:b::2")
      local r = assert(ns:routes{ table = 1000 }())
      assert.are.equal(1000, r.table)
      assert.truthy(tostring(r):find("10.41.0.0/16 via 10.0.0.2 dev %d+ table 1000"))
      assert.is_true(r:delete())
      assert.are.same({}, H.ip(name, "route", "show", "table", "1000"))
      local m
      for x in ns:routes{ family = "inet6" } do if x.dst == "2001:db8:41::/48" then m = x end end
      assert.are.equal(2, #m.nexthops)
      assert.are.equal("2001:db8:a::2", m.nexthops[1].gateway)
      assert.is_nil(m.gateway)
      assert.truthy(tostring(m):find("nexthop via 2001:db8:b::2 dev %d+ weight 1"))
      assert.is_true(m:delete())
      assert.is_nil(find(iproutes(name, "inet6"), "2001:db8:41::/48"))
    end)

    it("fails for a route that is not there and removes nothing else", function()
      local ns, name = net("delmiss")
      local before = snapshot(name)
      H.fails("ESRCH", ns:route_del{ dst = "10.99.0.0/16" })
      H.fails("ESRCH", ns:route_del{ dst = "10.0.0.0/24", gateway = "10.0.0.9" })
      H.fails("ESRCH", ns:route_del{ dst = "2001:db8:99::/48" })
      assert.are.same(before, snapshot(name))
    end)
  end)

  describe("reading", function()
    it("reads routes made by ip, field by field", function()
      local ns, name = net("read")
      H.ipdo_batch(name, {
        "route add 10.7.0.0/16 via 10.0.0.9 dev va proto static metric 7 mtu 1300 src 10.0.0.1",
        "route add 10.9.0.0/16 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.1.2 weight 1",
        "route add blackhole 10.6.0.0/16",
        "route add prohibit 10.5.0.0/16 table 100",
        "route add default via 10.0.1.2 table 100 metric 9",
        "route add 10.4.0.0/16 dev vb scope link proto bird" })
      H.ipdo(name, "-6", "route", "add", "2001:db8:9::/48", "via", "2001:db8:b::2", "metric", "5",
             "mtu", "1400")
      H.ipdo(name, "-6", "route", "add", "unreachable", "2001:db8:8::/48")
      assert.are.equal(6, agree(ns, name, "inet", "main"))
      assert.are.equal(2, agree(ns, name, "inet", 100))
      agree(ns, name, "inet", "local")
      agree(ns, name, "inet", "all")
      agree(ns, name, "inet6", "main")
      agree(ns, name, "inet6", "all")
      local r
      for x in ns:routes() do if x.dst == "10.7.0.0/16" then r = x end end
      assert.are.equal("10.0.0.9", r.gateway)
      assert.are.equal(1300, r.mtu)
      assert.are.equal(7, r.metric)
      assert.are.equal("static", r.protocol)
      assert.are.equal("10.0.0.1", r.src)
      local t = r:totable()
      assert.are.equal("10.7.0.0/16", t.dst)
      assert.are.equal("inet", t.family)
      assert.truthy(tostring(r):find("vnet.route: 10.7.0.0/16 via 10.0.0.9", 1, true))
    end)

    -- 200 next hops: iproute2 lists a route only while it fits in one page
    it("reads every next hop of a wide route, and finds it by its last one", function()
      local ns, name = net("wider")
      H.ipdo(name, "addr", "add", "10.2.0.1/16", "dev", "vb")
      local argv = { "route", "add", "10.61.0.0/16" }
      for i = 1, 199 do
        for _, w in ipairs{ "nexthop", "via", ("10.2.%d.%d"):format(math.floor(i / 250), i % 250 + 2),
                            "dev", "vb" } do argv[#argv + 1] = w end
      end
      for _, w in ipairs{ "nexthop", "via", "10.0.0.2", "dev", "va" } do argv[#argv + 1] = w end
      H.ipdo(name, unpack(argv))
      local e = assert(find(iproutes(name, "inet"), "10.61.0.0/16"))
      assert.are.equal(200, #e.nexthops)
      local r
      for x in assert(ns:routes{ dev = "va" }) do if x.dst == "10.61.0.0/16" then r = x end end
      assert.truthy(r, "routes{dev} finds a route by its last next hop")
      assert.are.equal(200, #r.nexthops)
      assert.are.equal("10.0.0.2", r.nexthops[200].gateway)
      assert.are.equal(ifindex(name, "va"), r.nexthops[200].dev)
      local _, n = tostring(r):gsub(" nexthop via ", "")
      assert.are.equal(200, n)
      assert.is_true(r:delete())
      assert.is_nil(find(iproutes(name, "inet"), "10.61.0.0/16"))
    end)

    -- a route wider than iproute2 lists: the kernel's FIB (/proc/net/fib_trie) is the oracle
    it("adds a route of as many next hops as a request may carry", function()
      local ns, name = net("maxnh")
      H.ipdo(name, "addr", "add", "10.2.0.1/16", "dev", "vb")
      local function in_fib()
        local ok, out = H.sh("ip netns exec " .. H.quote(name) .. " cat /proc/net/fib_trie")
        assert(ok, out)
        return out:find("10.62.0.0", 1, true) ~= nil
      end
      local hops = {}
      for i = 1, 256 do
        hops[i] = { gateway = ("10.2.%d.%d"):format(math.floor(i / 250), i % 250 + 2) }
      end
      local r = assert(ns:route_add{ dst = "10.62.0.0/16", nexthops = hops })
      assert.are.equal(256, #r.nexthops)
      assert.is_true(in_fib())
      local seen
      for x in assert(ns:routes()) do if x.dst == "10.62.0.0/16" then seen = x end end
      assert.are.equal(256, #seen.nexthops)
      assert.are.equal("10.2.1.8", seen.nexthops[256].gateway)
      -- the handle still answers in step
      assert.are.equal(ifindex(name, "va"), assert(ns:link("va")).index)
      assert.is_true(seen:delete())
      assert.is_false(in_fib())
    end)

    it("prints a route of 60 next hops whole, and its metatable cannot be misused", function()
      local ns, name = net("wide")
      local hops = {}
      for i = 1, 60 do hops[#hops + 1] = "nexthop via 10.0.0." .. (i + 1) end
      H.ipdo_batch(name, { "route add 10.60.0.0/16 " .. table.concat(hops, " ") })
      local r
      for x in ns:routes() do if x.dst == "10.60.0.0/16" then r = x end end
      assert.are.equal(60, #r.nexthops)
      local s = tostring(r)
      assert.is_true(#s > 1500)
      local n = 0
      for gw in s:gmatch("nexthop via (10%.0%.0%.%d+) dev %d+ weight 1") do
        n = n + 1
        assert.are.equal("10.0.0." .. (n + 1), gw)
      end
      assert.are.equal(60, n)
      -- metamethods given something else than a route do no harm
      local mt = getmetatable(r)
      mt.__close(setmetatable({}, mt))
      mt.__close(io.stdout)
      assert.is_nil(mt.__index(setmetatable({}, mt), 1))
      H.raises(function() return mt.__index(io.stdout, "dst") end, "vnet.route")
      assert.are.equal("10.60.0.0/16", r.dst)
    end)

    it("lists with filters: table, family, dev, protocol, type", function()
      local ns, name = net("filter")
      H.ipdo(name, "route", "add", "10.7.0.0/16", "via", "10.0.0.9", "proto", "static")
      H.ipdo(name, "route", "add", "10.8.0.0/16", "via", "10.0.1.9", "table", "5")
      H.ipdo(name, "route", "add", "blackhole", "10.6.0.0/16", "table", "5")
      local function dsts(opts)
        local t = {}
        for r in assert(ns:routes(opts)) do t[#t + 1] = r.dst end
        table.sort(t)
        return t
      end
      -- default: table main, both families
      assert.are.same({ "10.0.0.0/24", "10.0.1.0/24", "10.7.0.0/16", "2001:db8:a::/64",
                        "2001:db8:b::/64" }, dsts())
      assert.are.same({ "10.0.0.0/24", "10.0.1.0/24", "10.7.0.0/16" }, dsts{ family = "inet" })
      assert.are.same({ "10.6.0.0/16", "10.8.0.0/16" }, dsts{ table = 5 })
      assert.are.same({ "10.8.0.0/16" }, dsts{ table = 5, dev = "vb" })
      assert.are.same({ "10.6.0.0/16" }, dsts{ table = "all", type = "blackhole" })
      assert.are.same({ "10.7.0.0/16" }, dsts{ table = "all", protocol = "static" })
      assert.are.same({ "10.0.0.0/24", "10.7.0.0/16" }, dsts{ family = 4, dev = "va" })
      assert.are.same({}, dsts{ table = 777 })
      local all = dsts{ table = "all", family = "inet" }
      assert.are.equal(#H.ip(name, "-4", "route", "show", "table", "all"), #all)
      H.fails("ENODEV", ns:routes{ dev = "nosuch0" })
    end)

    it("route_get agrees with ip route get", function()
      local ns, name = net("get")
      H.ipdo(name, "route", "add", "10.9.0.0/16", "via", "10.0.1.2")
      H.ipdo(name, "route", "add", "10.9.0.0/16", "via", "10.0.0.2", "table", "50")
      H.ipdo(name, "rule", "add", "fwmark", "7", "table", "50")
      local function check(addr, opts, ipargs)
        local r = assert(ns:route_get(addr, opts))
        local e = H.ip(name, "route", "get", addr, unpack(ipargs or {}))[1]
        assert.are.equal(ifindex(name, e.dev), r.dev)
        assert.are.equal(e.prefsrc, r.src)
        assert.are.equal(e.gateway, r.gateway)
        assert.are.equal(full(e.dst), r.dst)
        return r
      end
      local r = check("10.0.0.5")
      assert.are.equal("10.0.0.1", r.src)
      assert.are.equal("main", r.table)
      r = check("10.0.1.7")
      assert.are.equal(ifindex(name, "vb"), r.dev)
      r = check("10.9.3.4")
      assert.are.equal("10.0.1.2", r.gateway)
      r = check("10.9.3.4", { mark = 7 }, { "mark", "7" })
      assert.are.equal("10.0.0.2", r.gateway)
      assert.are.equal(50, r.table)
      r = check("10.0.0.5", { from = "10.0.1.1", oif = "va" }, { "from", "10.0.1.1", "oif", "va" })
      assert.are.equal(ifindex(name, "va"), r.dev)
      r = check("2001:db8:b::5")
      assert.are.equal("inet6", r.family)
      H.fails("ENETUNREACH", ns:route_get("192.0.2.1"))
      H.fails("ENODEV", ns:route_get("10.0.0.5", { oif = "nosuch0" }))
    end)

    it("objects compare, print and release", function()
      local ns = net("obj")
      local a = assert(ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.0.2" })
      local b
      for r in ns:routes() do if r.dst == "10.9.0.0/16" then b = r end end
      assert.are.equal(a, b)
      local c = assert(ns:route_add{ dst = "10.8.0.0/16", gateway = "10.0.0.2" })
      assert.are_not.equal(a, c)
      assert.has_error(function() a.dst = "x" end)
      local mt = getmetatable(a)
      assert.are.equal("vnet.route", mt.__name)
      -- a route owns no resource (no __gc); __close releases it
      assert.is_nil(mt.__gc)
      mt.__close(a)
      mt.__close(a) -- twice is fine
      H.raises(function() return a.dst end, "released vnet.route")
      H.raises(function() return a:delete() end, "released vnet.route")
      assert.are.equal("vnet.route (released)", tostring(a))
    end)
  end)

  describe("bad input", function()
    -- one namespace for every case: each must leave it as it was
    local ns, name, before
    setup(function()
      ns, name = net("bad")
      before = snapshot(name)
    end)
    local function unchanged() assert.are.same(before, snapshot(name)) end

    local raising = {
      { "not a table", "route_add", 42, "options must be a table" },
      { "unknown key", "route_add", { dst = "10.1.0.0/16", dev = "va", gatewya = "1.2.3.4" },
        "unknown option 'gatewya'" },
      { "missing dst", "route_add", { gateway = "10.0.0.2" }, "'dst' is required" },
      { "dst wrong type", "route_add", { dst = 10 }, "'dst'", "address string" },
      { "malformed dst", "route_add", { dst = "10.0.0.300/24", dev = "va" }, "'dst'", "10.0.0.300/24" },
      { "prefix too long", "route_add", { dst = "10.0.0.0/33", dev = "va" }, "'dst'", "10.0.0.0/33" },
      { "prefix not a number", "route_add", { dst = "10.0.0.0/x", dev = "va" }, "'dst'" },
      { "malformed v6 dst", "route_add", { dst = "2001:db8:::1/64", dev = "va" }, "'dst'" },
      { "malformed gateway", "route_add", { dst = "10.1.0.0/16", gateway = "10.0.0.300" },
        "option 'gateway' '10.0.0.300' is not a valid" },
      { "gateway with prefix", "route_add", { dst = "10.1.0.0/16", gateway = "10.0.0.2/24" },
        "'gateway'", "without a prefix" },
      -- (an IPv4 route may have an IPv6 gateway: RTA_VIA; not the other way round)
      { "gateway of the other family", "route_add", { dst = "2001:db8:1::/48", gateway = "10.0.0.2" },
        "'gateway'", "IPv6" },
      { "gateway wrong type", "route_add", { dst = "10.1.0.0/16", gateway = true }, "'gateway'" },
      { "malformed src", "route_add", { dst = "10.1.0.0/16", dev = "va", src = "10.0.0" }, "'src'" },
      { "unknown table name", "route_add", { dst = "10.1.0.0/16", dev = "va", table = "nosuchtable" },
        "'table'", "nosuchtable" },
      { "table wrong type", "route_add", { dst = "10.1.0.0/16", dev = "va", table = {} }, "'table'" },
      { "unknown type", "route_add", { dst = "10.1.0.0/16", type = "blackholes" }, "'type'", "blackholes" },
      { "unknown scope", "route_add", { dst = "10.1.0.0/16", dev = "va", scope = "galaxy" },
        "'scope'", "galaxy" },
      { "scope out of range", "route_add", { dst = "10.1.0.0/16", dev = "va", scope = 300 }, "'scope'" },
      { "scope 2^32 + 1", "route_add", { dst = "10.1.0.0/16", dev = "va", scope = 2^32 + 1 }, "'scope'" },
      { "protocol 2^32 + 4", "route_add", { dst = "10.1.0.0/16", dev = "va", protocol = 2^32 + 4 },
        "'protocol'" },
      { "protocol NaN", "route_add", { dst = "10.1.0.0/16", dev = "va", protocol = 0/0 }, "'protocol'" },
      { "unknown protocol", "route_add", { dst = "10.1.0.0/16", dev = "va", protocol = "nosuchproto" },
        "'protocol'", "nosuchproto" },
      { "metric wrong type", "route_add", { dst = "10.1.0.0/16", dev = "va", metric = "5" },
        "'metric'", "integer" },
      { "metric negative", "route_add", { dst = "10.1.0.0/16", dev = "va", metric = -1 }, "'metric'" },
      { "mtu fraction", "route_add", { dst = "10.1.0.0/16", dev = "va", mtu = 1400.5 }, "'mtu'" },
      { "onlink not boolean", "route_add", { dst = "10.1.0.0/16", dev = "va", onlink = "yes" }, "'onlink'" },
      { "dev wrong type", "route_add", { dst = "10.1.0.0/16", dev = {} }, "'dev'" },
      { "dev name too long", "route_add", { dst = "10.1.0.0/16", dev = "abcdefghijklmnopq" }, "'dev'" },
      { "family unknown", "route_add", { dst = "default", dev = "va", family = "ipx" }, "'family'" },
      { "nexthops not a list", "route_add", { dst = "10.1.0.0/16", nexthops = "10.0.0.2" }, "'nexthops'" },
      { "nexthops empty", "route_add", { dst = "10.1.0.0/16", nexthops = {} }, "'nexthops'" },
      { "nexthop not a table", "route_add", { dst = "10.1.0.0/16", nexthops = { "10.0.0.2" } }, "'nexthops'" },
      { "more next hops than a request may carry", "route_add", { dst = "10.1.0.0/16",
        nexthops = (function()
          local t = {}
          for i = 1, 257 do t[i] = { gateway = "10.0.0." .. (i % 250 + 2) } end
          return t
        end)() }, "'nexthops'", "257", "at most 256" },
      { "nexthop unknown key", "route_add", { dst = "10.1.0.0/16", nexthops = { { via = "10.0.0.2" } } },
        "nexthops[1]", "unknown option 'via'" },
      { "nexthop bad weight", "route_add", { dst = "10.1.0.0/16", nexthops = {
        { gateway = "10.0.0.2" }, { gateway = "10.0.1.2", weight = 0 } } }, "nexthops[2]", "'weight'" },
      { "nexthop bad gateway", "route_add", { dst = "10.1.0.0/16", nexthops = {
        { gateway = "10.0.0.2" }, { gateway = "10.0.1.300" } } }, "nexthops[2]", "'gateway'" },
      { "gateway and nexthops", "route_add", { dst = "10.1.0.0/16", gateway = "10.0.0.2",
        nexthops = { { gateway = "10.0.1.2" } } }, "'nexthops'" },
      { "replace, unknown key", "route_replace", { dst = "10.1.0.0/16", dev = "va", x = 1 }, "unknown option 'x'" },
      { "del, malformed dst", "route_del", { dst = "10.0.0.0/40" }, "route_del", "'dst'" },
      { "routes, unknown key", "routes", { tabel = "main" }, "routes", "unknown option 'tabel'" },
      { "routes, unknown table", "routes", { table = "nosuchtable" }, "routes", "nosuchtable" },
      { "routes, unknown type", "routes", { type = "x" }, "routes", "'type'" },
      { "routes, bad family", "routes", { family = "ipx" }, "routes", "'family'" },
    }
    for _, c in ipairs(raising) do
      it("raises: " .. c[1], function()
        local frags = { unpack(c, 4) }
        H.raises(function() return ns[c[2]](ns, c[3]) end, c[2], unpack(frags))
        unchanged()
      end)
    end

    it("route_get raises on misuse", function()
      H.raises(function() return ns:route_get(42) end, "route_get", "must be a string")
      H.raises(function() return ns:route_get("10.0.0.300") end, "route_get", "10.0.0.300")
      H.raises(function() return ns:route_get("10.0.0.0/24") end, "route_get", "without a prefix")
      H.raises(function() return ns:route_get("10.0.0.5", { form = "10.0.0.1" }) end,
               "route_get", "unknown option 'form'")
      H.raises(function() return ns:route_get("10.0.0.5", { mark = "x" }) end, "'mark'")
      H.raises(function() return ns:route_get("10.0.0.5", { from = "1.2.3" }) end, "'from'")
    end)

    local failing = {
      { "unreachable gateway", "ENETUNREACH", { dst = "10.1.0.0/16", gateway = "10.99.0.1" },
        "Nexthop has invalid gateway" },
      { "unreachable v6 gateway", "EHOSTUNREACH", { dst = "2001:db8:1::/48", gateway = "2001:db8:99::1" } },
      { "missing dev", "ENODEV", { dst = "10.1.0.0/16", dev = "nosuch0" }, "nosuch0" },
      { "missing nexthop dev", "ENODEV", { dst = "10.1.0.0/16", nexthops = {
        { gateway = "10.0.0.2" }, { gateway = "10.0.1.2", dev = "nosuch0" } } }, "nexthops[2] dev 'nosuch0'" },
      { "missing dev index", "ENODEV", { dst = "10.1.0.0/16", dev = 4242 } },
      { "duplicate", "EEXIST", { dst = "10.0.0.0/24", dev = "va" } },
      { "bad prefix (host bits)", "EINVAL", { dst = "10.1.0.1/16", dev = "va" } },
    }
    for _, c in ipairs(failing) do
      it("fails: " .. c[1], function()
        local msg = H.fails(c[2], ns:route_add(c[3]))
        assert.truthy(msg:find("route_add", 1, true), msg)
        if c[4] then assert.truthy(msg:find(c[4], 1, true), msg) end
        unchanged()
      end)
    end

    it("fails to list the routes of a device index that does not exist", function()
      local msg = H.fails("ENODEV", ns:routes{ dev = 4242 })
      assert.truthy(msg:find("routes", 1, true), msg)
      H.fails("ENODEV", ns:routes{ dev = "nosuch0" })
    end)

    it("fails on a duplicate added twice and leaves one route", function()
      local dns, dname = net("dup")
      assert(dns:route_add{ dst = "10.1.0.0/16", gateway = "10.0.0.2" })
      local was = snapshot(dname)
      H.fails("EEXIST", dns:route_add{ dst = "10.1.0.0/16", gateway = "10.0.0.2" })
      H.fails("EEXIST", dns:route_add{ dst = "2001:db8:a::/64", dev = "va", metric = 256 })
      assert.are.same(was, snapshot(dname))
    end)
  end)
end)

-- Nexthop objects (`ip nexthop`, Linux 5.3): vnet makes none itself, so the
-- specs make them with ip. A probe in a namespace of its own says whether
-- this kernel has them.
local nh_why
do
  local ok, out = H.sh("unshare -n sh -c 'ip link add nhp0 type veth peer name nhp1 && " ..
                       "ip link set nhp0 up && ip link set nhp1 up && ip nexthop add id 1 dev nhp0'")
  if not ok then nh_why = "no nexthop objects in this kernel: " .. out:gsub("%s+$", "") end
end
local function it_nh(desc, fn)
  if not nh_why then return it(desc, fn) end
  if H.full_kernel then return it(desc, function() error(nh_why, 0) end) end
  return pending(desc .. " [" .. nh_why .. "]")
end

describe("routes over nexthop objects", function()
  teardown(H.cleanup)

  -- net() plus nexthops 1 (10.0.0.2 on va), 2 (10.0.1.2 on vb), 6
  -- (2001:db8:a::2 on va), 10 (group 1/2) and 20 (blackhole)
  local function nhnet(tag)
    local ns, name = net(tag)
    H.ipdo_batch(name, {
      "nexthop add id 1 via 10.0.0.2 dev va",
      "nexthop add id 2 via 10.0.1.2 dev vb",
      "nexthop add id 6 via 2001:db8:a::2 dev va",
      "nexthop add id 10 group 1/2",
      "nexthop add id 20 blackhole" })
    return ns, name
  end

  local function listed(ns, dst, family)
    for r in assert(ns:routes{ family = family }) do
      if r.dst == dst then return r end
    end
  end

  it_nh("reads and deletes routes that ip made over a nexthop object (IPv4 and IPv6)", function()
    local ns, name = nhnet("nhdel")
    H.ipdo_batch(name, {
      "route add 172.16.80.0/24 nhid 1",
      "route add 172.16.81.0/24 nhid 10",
      "route add 172.16.82.0/24 nhid 20",
      "route add 2001:db8:80::/64 nhid 6" })
    local va = ifindex(name, "va")
    local r = assert(listed(ns, "172.16.80.0/24", "inet"))
    assert.are.equal(1, r.nhid)
    assert.are.equal("10.0.0.2", r.gateway)
    assert.are.equal(va, r.dev)
    assert.are.equal(1, r:totable().nhid)
    assert.are.equal(("vnet.route: 172.16.80.0/24 nhid 1 via 10.0.0.2 dev %d proto boot scope global")
                     :format(va), tostring(r))
    local g = assert(listed(ns, "172.16.81.0/24", "inet"))
    assert.are.equal(10, g.nhid)
    assert.are.equal(2, #g.nexthops)
    local b = assert(listed(ns, "172.16.82.0/24", "inet"))
    assert.are.equal(20, b.nhid)
    local r6 = assert(listed(ns, "2001:db8:80::/64", "inet6"))
    assert.are.equal(6, r6.nhid)
    assert.are.equal("2001:db8:a::2", r6.gateway)
    assert.truthy(tostring(r6):find("2001:db8:80::/64 nhid 6 via 2001:db8:a::2 dev " .. va, 1, true))
    -- a route without a nexthop object has none
    assert.is_nil(assert(listed(ns, "10.0.0.0/24", "inet")).nhid)
    assert.is_nil(assert(listed(ns, "10.0.0.0/24", "inet")):totable().nhid)
    -- each delete removes that route only; the nexthop objects stay
    local others = #iproutes(name, "inet")
    for i, x in ipairs({ r, g, b }) do
      assert.is_true(x:delete())
      assert.is_nil(find(iproutes(name, "inet"), x.dst))
      assert.are.equal(others - i, #iproutes(name, "inet"))
    end
    assert.is_true(r6:delete())
    assert.is_nil(find(iproutes(name, "inet6"), "2001:db8:80::/64"))
    assert.truthy(find(iproutes(name, "inet6"), "2001:db8:a::/64"))
    assert.are.equal(5, #H.ip(name, "nexthop", "show"))
    H.fails("ESRCH", r:delete())
  end)

  it_nh("adds and deletes routes with nhid =", function()
    local ns, name = nhnet("nhadd")
    local r = assert(ns:route_add{ dst = "172.16.90.0/24", nhid = 1 })
    assert.are.equal(1, r.nhid)
    assert.are.equal("10.0.0.2", r.gateway)
    local e = assert(find(iproutes(name, "inet"), "172.16.90.0/24"))
    assert.are.equal(1, e.nhid)
    assert.are.equal("global", e.scope)  -- as `ip route add ... nhid` makes it
    local r6 = assert(ns:route_add{ dst = "2001:db8:90::/64", nhid = 6, metric = 7 })
    assert.are.equal(6, r6.nhid)
    assert.are.equal(6, assert(find(iproutes(name, "inet6"), "2001:db8:90::/64")).nhid)
    local g = assert(ns:route_replace{ dst = "172.16.91.0/24", nhid = 10 })
    assert.are.equal(10, g.nhid)
    assert.are.equal(10, assert(find(iproutes(name, "inet"), "172.16.91.0/24")).nhid)
    -- a delete naming another nexthop object matches nothing
    H.fails("ESRCH", ns:route_del{ dst = "172.16.90.0/24", nhid = 2 })
    assert.truthy(find(iproutes(name, "inet"), "172.16.90.0/24"))
    assert.is_true(ns:route_del{ dst = "172.16.90.0/24", nhid = 1 })
    assert.is_nil(find(iproutes(name, "inet"), "172.16.90.0/24"))
    assert.is_true(ns:route_del(setmetatable({}, { __index = { dst = "2001:db8:90::/64",
                                                               nhid = 6, metric = 7 } })))
    assert.is_nil(find(iproutes(name, "inet6"), "2001:db8:90::/64"))
    assert.is_true(g:delete())
    assert.is_nil(find(iproutes(name, "inet"), "172.16.91.0/24"))
    -- the kernel refuses a nexthop object that does not exist
    local was = snapshot(name)
    local msg = H.fails("EINVAL", ns:route_add{ dst = "172.16.92.0/24", nhid = 4242 })
    assert.truthy(msg:find("route_add 172.16.92.0/24", 1, true), msg)
    assert.are.same(was, snapshot(name))
  end)

  it_nh("takes nexthop ids, metrics and tables of 2^31 and more", function()
    local ns, name = nhnet("nhbig")
    H.ipdo(name, "nexthop", "add", "id", "3000000000", "via", "10.0.0.2", "dev", "va")
    local r = assert(ns:route_add{ dst = "172.16.93.0/24", nhid = 3000000000, metric = 3000000000,
                                   table = 3000000000 })
    assert.are.equal(3000000000, r.nhid)
    assert.are.equal(3000000000, r.metric)
    assert.are.equal(3000000000, r.table)
    assert.truthy(tostring(r):find("172.16.93.0/24 nhid 3000000000 via 10.0.0.2", 1, true), tostring(r))
    assert.truthy(tostring(r):find("table 3000000000", 1, true), tostring(r))
    assert.truthy(tostring(r):find("metric 3000000000", 1, true), tostring(r))
    local e = assert(find(iproutes(name, "inet", 3000000000), "172.16.93.0/24"))
    assert.are.equal(3000000000, e.nhid)
    assert.are.equal(3000000000, e.metric)
    assert.is_true(r:delete())
    assert.is_nil(find(iproutes(name, "inet", 3000000000), "172.16.93.0/24"))
  end)

  it("raises on a bad nhid and on nhid with another next hop", function()
    local ns, name = net("nhbad")
    local before = snapshot(name)
    for _, bad in ipairs({ 0, -1, 2^32, 2^32 + 1, 2^63, 0/0, 1/0, 1.5, "1", true, {} }) do
      H.raises(function() return ns:route_add{ dst = "172.16.0.0/24", nhid = bad } end,
               "route_add", "'nhid'")
      H.raises(function() return ns:route_del{ dst = "172.16.0.0/24", nhid = bad } end,
               "route_del", "'nhid'")
    end
    H.raises(function() return ns:route_add{ dst = "172.16.0.0/24", nhid = 1, gateway = "10.0.0.2" } end,
             "route_add", "'nhid'", "'gateway'")
    H.raises(function() return ns:route_add{ dst = "172.16.0.0/24", nhid = 1, dev = "va" } end,
             "route_add", "'nhid'", "'dev'")
    H.raises(function() return ns:route_replace{ dst = "172.16.0.0/24", nhid = 1,
                                                 nexthops = { { gateway = "10.0.0.2" } } } end,
             "route_replace", "'nhid'", "'nexthops'")
    H.raises(function() return ns:route_add(setmetatable({ dst = "172.16.0.0/24" },
                                            { __index = { nhid = 1, dev = "va" } })) end,
             "route_add", "'nhid'", "'dev'")
    assert.are.same(before, snapshot(name))
  end)
end)

describe("route_change and route_append", function()
  teardown(H.cleanup)

  it("changes a route that is there and fails with ENOENT for one that is not", function()
    local ns, name = net("change")
    local before = snapshot(name)
    H.fails("ENOENT", ns:route_change{ dst = "10.7.0.0/16", dev = "va" })
    H.fails("ENOENT", ns:route_change{ dst = "2001:db8:7::/48", dev = "va" })
    assert.are.same(before, snapshot(name))
    assert(ns:route_add{ dst = "10.7.0.0/16", gateway = "10.0.0.2" })
    local r = assert(ns:route_change{ dst = "10.7.0.0/16", gateway = "10.0.1.2", mtu = 1300 })
    assert.are.equal("10.0.1.2", r.gateway)
    assert.are.equal(1300, r.mtu)
    local e = assert(find(iproutes(name), "10.7.0.0/16"))
    assert.are.equal("10.0.1.2", e.gateway)
    assert.are.equal("vb", e.dev)
    assert.are.equal(1300, e.metrics[1].mtu)
    assert(ns:route_add{ dst = "2001:db8:7::/48", gateway = "2001:db8:a::2" })
    r = assert(ns:route_change{ dst = "2001:db8:7::/48", gateway = "2001:db8:b::2" })
    assert.are.equal("2001:db8:b::2", r.gateway)
    e = assert(find(iproutes(name, "inet6"), "2001:db8:7::/48"))
    assert.are.equal("2001:db8:b::2", e.gateway)
    -- one route each, changed in place
    local n = 0
    for _, x in ipairs(iproutes(name)) do if x.dst == "10.7.0.0/16" then n = n + 1 end end
    assert.are.equal(1, n)
    H.raises(function() return ns:route_change{ dst = "10.7.0.0/16", mtu = 0 } end, "route_change", "'mtu'")
    H.raises(function() return ns:route_change{ gateway = "10.0.0.2" } end, "route_change", "'dst'")
  end)

  it("appends next hops to an IPv6 route and a second IPv4 route of the same key", function()
    local ns, name = net("append")
    assert(ns:route_add{ dst = "2001:db8:8::/48", gateway = "2001:db8:a::2" })
    local r = assert(ns:route_append{ dst = "2001:db8:8::/48", gateway = "2001:db8:b::2" })
    local e = assert(find(iproutes(name, "inet6"), "2001:db8:8::/48"))
    assert.are.equal(2, #e.nexthops)
    assert.are.equal(2, #r.nexthops)
    local gws = {}
    for _, nh in ipairs(r.nexthops) do gws[#gws + 1] = nh.gateway end
    table.sort(gws)
    assert.are.same({ "2001:db8:a::2", "2001:db8:b::2" }, gws)
    local mine
    for x in ns:routes{ family = "inet6" } do if x.dst == "2001:db8:8::/48" then mine = x end end
    assert.are.equal(2, #mine.nexthops)
    assert.are.equal(e.nexthops[1].gateway, mine.nexthops[1].gateway)
    assert.are.equal(e.nexthops[2].gateway, mine.nexthops[2].gateway)
    -- the same next hop again is refused
    H.fails("EEXIST", ns:route_append{ dst = "2001:db8:8::/48", gateway = "2001:db8:b::2" })
    -- IPv4 keeps a second route of the same key (ip route append)
    assert(ns:route_add{ dst = "10.8.0.0/16", gateway = "10.0.0.2" })
    assert(ns:route_append{ dst = "10.8.0.0/16", gateway = "10.0.1.2" })
    local n = 0
    for _, x in ipairs(iproutes(name)) do if x.dst == "10.8.0.0/16" then n = n + 1 end end
    assert.are.equal(2, n)
    assert.is_true(mine:delete())
    assert.is_nil(find(iproutes(name, "inet6"), "2001:db8:8::/48"))
  end)
end)

describe("IPv4 routes via IPv6 gateways, and IPv6 route preference", function()
  teardown(H.cleanup)

  it("adds, reads back and deletes an IPv4 route via an IPv6 gateway (RTA_VIA)", function()
    local ns, name = net("via")
    local va = ifindex(name, "va")
    local r = assert(ns:route_add{ dst = "10.20.0.0/16", gateway = "fe80::1", dev = "va" })
    assert.are.equal("fe80::1", r.gateway)
    assert.are.equal("inet", r.family)
    assert.are.equal(va, r.dev)
    assert.are.equal(("vnet.route: 10.20.0.0/16 via inet6 fe80::1 dev %d proto boot scope global"):format(va),
                     tostring(r))
    local e = assert(find(iproutes(name), "10.20.0.0/16"))
    assert.are.same({ family = "inet6", host = "fe80::1" }, e.via)
    assert.is_nil(e.gateway)
    local mine
    for x in ns:routes{ family = "inet" } do if x.dst == "10.20.0.0/16" then mine = x end end
    assert.are.equal("fe80::1", mine.gateway)
    assert.are.equal(r, mine)
    -- multipath with one next hop of each family
    local m = assert(ns:route_add{ dst = "10.21.0.0/16", nexthops = {
      { gateway = "2001:db8:a::2", dev = "va" }, { gateway = "10.0.1.2", dev = "vb", weight = 2 } } })
    assert.are.equal("2001:db8:a::2", m.nexthops[1].gateway)
    assert.are.equal("10.0.1.2", m.nexthops[2].gateway)
    e = assert(find(iproutes(name), "10.21.0.0/16"))
    assert.are.same({ family = "inet6", host = "2001:db8:a::2" }, e.nexthops[1].via)
    assert.are.equal("10.0.1.2", e.nexthops[2].gateway)
    assert.truthy(tostring(m):find("nexthop via inet6 2001:db8:a::2 dev " .. va .. " weight 1", 1, true))
    -- replaced, deleted by fields and by object
    assert(ns:route_replace{ dst = "10.20.0.0/16", gateway = "fe80::2", dev = "va" })
    assert.are.same({ family = "inet6", host = "fe80::2" }, find(iproutes(name), "10.20.0.0/16").via)
    assert.is_true(ns:route_del{ dst = "10.20.0.0/16", gateway = "fe80::2", dev = "va" })
    assert.is_nil(find(iproutes(name), "10.20.0.0/16"))
    assert.is_true(m:delete())
    assert.is_nil(find(iproutes(name), "10.21.0.0/16"))
    -- a route made by ip reads the same
    H.ipdo(name, "route", "add", "10.22.0.0/16", "via", "inet6", "fe80::9", "dev", "vb")
    for x in ns:routes() do
      if x.dst == "10.22.0.0/16" then assert.are.equal("fe80::9", x.gateway) end
    end
  end)

  it("sets an IPv6 route's pref and reads it back", function()
    local ns, name = net("pref")
    for _, p in ipairs({ "low", "medium", "high" }) do
      local dst = ("2001:db8:%x::/48"):format(#p)
      local r = assert(ns:route_add{ dst = dst, gateway = "2001:db8:a::2", pref = p })
      assert.are.equal(p, r.pref)
      assert.are.equal(p, find(iproutes(name, "inet6"), dst).pref)
      assert.truthy(tostring(r):find(" pref " .. p, 1, true), tostring(r))
    end
    -- the kernel's default, and what ip made
    local r = assert(ns:route_add{ dst = "2001:db8:99::/48", dev = "va" })
    assert.are.equal("medium", r.pref)
    H.ipdo(name, "-6", "route", "add", "2001:db8:98::/48", "dev", "vb", "pref", "high")
    for x in ns:routes{ family = "inet6" } do
      local e = find(iproutes(name, "inet6"), x.dst)
      assert.are.equal(e.pref, x.pref)
    end
    r = assert(ns:route_replace{ dst = "2001:db8:99::/48", dev = "va", pref = "low" })
    assert.are.equal("low", find(iproutes(name, "inet6"), "2001:db8:99::/48").pref)
    -- IPv4 routes have none
    local v4 = assert(ns:route_add{ dst = "10.30.0.0/16", dev = "va" })
    assert.is_nil(v4.pref)
    assert.is_nil(tostring(v4):find("pref", 1, true))
    local before = snapshot(name)
    for _, bad in ipairs({ "highest", 1, true, "" }) do
      H.raises(function() return ns:route_add{ dst = "2001:db8:97::/48", dev = "va", pref = bad } end,
               "route_add", "'pref'")
    end
    H.raises(function() return ns:route_add{ dst = "10.31.0.0/16", dev = "va", pref = "high" } end,
             "route_add", "'pref'", "IPv6")
    assert.are.same(before, snapshot(name))
  end)
end)

describe("route metrics", function()
  teardown(H.cleanup)

  -- the metrics part of `ip route show` (text: the JSON leaves out locks)
  local function ipmetrics(name, dst)
    local ok, out = H.sh(("ip -n %s route show %s"):format(H.quote(name), dst))
    assert(ok, out)
    return assert(out:match(" scope link (.-)%s*\n"), out)
  end

  local all = { mtu = 1400, window = 100, rtt = 10, rttvar = 5, ssthresh = 7, cwnd = 8,
                advmss = 1000, reordering = 3, hoplimit = 5, initcwnd = 9, features = "ecn",
                rto_min = 20, initrwnd = 11, quickack = true, congctl = "reno",
                fastopen_no_cookie = true, lock = { "mtu", "congctl" } }

  it("sets every metric ip knows, reads them back and prints them as ip does", function()
    local ns, name = net("mx")
    local o = { dst = "10.5.0.0/16", dev = "va" }
    for k, v in pairs(all) do o[k] = v end
    local r = assert(ns:route_add(o))
    local e = assert(find(iproutes(name), "10.5.0.0/16")).metrics[1]
    for _, k in ipairs({ "mtu", "window", "rtt", "rttvar", "ssthresh", "cwnd", "advmss",
                         "reordering", "hoplimit", "initcwnd", "rto_min", "initrwnd" }) do
      assert.are.equal(all[k], e[k], k)
      assert.are.equal(all[k], r[k], k)
    end
    assert.are_not.equal(nil, e.ecn); assert.are.equal(1, r.features)
    assert.are.equal(1, e.quickack); assert.is_true(r.quickack)
    assert.are.equal(1, e.fastopen_no_cookie); assert.is_true(r.fastopen_no_cookie)
    assert.are.equal("reno", e.congestion); assert.are.equal("reno", r.congctl)
    -- rto_min is locked as ip locks it
    assert.are.same({ "mtu", "rto_min", "congctl" }, r.lock)
    local want = ipmetrics(name, "10.5.0.0/16")
    assert.are.equal("mtu lock 1400 window 100 rtt 10ms rttvar 5ms ssthresh 7 cwnd 8 advmss 1000 "
      .. "reordering 3 hoplimit 5 initcwnd 9 features ecn rto_min lock 20ms initrwnd 11 "
      .. "quickack 1 congctl lock reno fastopen_no_cookie 1", want)
    assert.truthy(tostring(r):find("scope link " .. want, 1, true), tostring(r))
    -- a route read from a dump is the same; one without metrics has none
    for x in ns:routes() do
      if x.dst == "10.5.0.0/16" then assert.are.same(r:totable(), x:totable()) end
      if x.dst == "10.0.0.0/24" then
        for k in pairs(all) do assert.is_nil(x[k], k) end
      end
    end
    -- made by ip, seconds printed as ip does, replaced by vnet
    H.ipdo(name, "route", "add", "10.6.0.0/16", "dev", "va", "rtt", "2s", "window", "lock", "7")
    local x
    for y in ns:routes() do if y.dst == "10.6.0.0/16" then x = y end end
    assert.are.equal(2000, x.rtt)
    assert.are.same({ "window" }, x.lock)
    assert.truthy(tostring(x):find("scope link " .. ipmetrics(name, "10.6.0.0/16"), 1, true))
    assert.truthy(tostring(x):find("window lock 7 rtt 2s", 1, true), tostring(x))
    r = assert(ns:route_replace{ dst = "10.6.0.0/16", dev = "va", hoplimit = 64, initcwnd = 10 })
    e = assert(find(iproutes(name), "10.6.0.0/16")).metrics[1]
    assert.are.equal(64, e.hoplimit); assert.are.equal(10, e.initcwnd); assert.is_nil(e.rtt)
    assert.is_nil(r.lock)
    -- IPv6 routes too
    local r6 = assert(ns:route_add{ dst = "2001:db8:5::/48", dev = "va", advmss = 1200, lock = { "advmss" } })
    assert.are.equal(1200, r6.advmss)
    assert.are.equal(1200, find(iproutes(name, "inet6"), "2001:db8:5::/48").metrics[1].advmss)
    assert.is_true(r6:delete())
  end)

  it("raises for metric values out of range and returns the kernel's refusals", function()
    local ns, name = net("mxbad")
    local before = snapshot(name)
    local bad = {
      window = { -1, 2^32, 2^32 + 1, 2^63, 0/0, 1.5, "100", true },
      rtt = { -1, 536870912, 2^32, "10ms" }, rttvar = { -1, 1073741824 },
      ssthresh = { -1, 2^32 }, cwnd = { 2^32 }, advmss = { -1 }, reordering = { 2^32 },
      hoplimit = { 256, -1 }, initcwnd = { 2^32 }, initrwnd = { -1 }, rto_min = { 2^32, "20ms" },
      features = { "ecn\0", "fast", -1, 2^32, {} }, quickack = { 1, "yes" },
      fastopen_no_cookie = { 0 }, congctl = { "", "abcdefghijklmnop", "re\0no", 5 },
      lock = { "mtu", { "mtu", "speed" }, { 1 }, { "mtu\0" }, true,
               -- items from __index would be missed by the raw read
               setmetatable({}, { __index = { "mtu" } }) },
    }
    for k, vals in pairs(bad) do
      for _, v in ipairs(vals) do
        for _, fn in ipairs({ "route_add", "route_replace", "route_change" }) do
          H.raises(function() return ns[fn](ns, { dst = "10.5.0.0/16", dev = "va", [k] = v }) end,
                   fn, "'" .. k .. "'")
        end
      end
    end
    H.raises(function()
      return ns:route_add{ dst = "10.5.0.0/16", dev = "va",
                           lock = setmetatable({}, { __index = { "mtu" } }) }
    end, "route_add: option 'lock' must be a plain table")
    assert.are.same(before, snapshot(name))
    H.fails("EINVAL", ns:route_add{ dst = "10.5.0.0/16", dev = "va", congctl = "nosuchcc" })
    H.fails("EINVAL", ns:route_add{ dst = "10.5.0.0/16", dev = "va", features = 0x10000 })
    assert.are.same(before, snapshot(name))
    -- feature bits ip has no name for are printed as ip prints them
    for i, f in ipairs({ 2, 3 }) do
      local dst = ("10.9.%d.0/24"):format(i)
      local r = assert(ns:route_add{ dst = dst, dev = "va", features = f })
      assert.are.equal(f, r.features)
      assert.truthy(tostring(r):find("scope link " .. ipmetrics(name, dst), 1, true), tostring(r))
    end
  end)
end)
