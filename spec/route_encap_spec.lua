local H = require "spec.helper"

-- MPLS routes (`ip -f mpls route`), and the MPLS and seg6 encapsulations of
-- IP routes (`ip route add ... encap mpls 200/300`, `encap seg6 ...`).
-- MPLS needs mpls_router and mpls_iptunnel, which this host's kernel lacks:
-- those cases run in the VM tier and are pending here.

local collect = H.collect

-- whether the kernel routes MPLS (loading the modules where it can)
local mpls_why
local function mpls_lacks()
  if mpls_why == nil then
    H.sh("modprobe mpls_router 2>/dev/null; modprobe mpls_iptunnel 2>/dev/null")
    local f = io.open("/proc/sys/net/mpls/platform_labels")
    if f then f:close() mpls_why = false
    else mpls_why = "the kernel has no MPLS routing (mpls_router, mpls_iptunnel)" end
  end
  return mpls_why or nil
end

local function it_mpls(desc, fn) return H.it_unless(mpls_lacks(), desc, fn) end

-- a namespace with v0 (10.1.1.1/24, 2001:db8::1/64) up, its peer v1 up too
local function setup(tag, mpls)
  local ns, name = H.ns(tag)
  if mpls then assert(ns:sysctl("net.mpls.platform_labels", 1000)) end
  local v = assert(ns:link_add{ name = "v0", kind = "veth", up = true,
                                peer = { name = "v1", up = true } })
  assert(v:addr_add("10.1.1.1/24"))
  H.ipdo(name, "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad")
  return ns, name, v
end

-- `ip route show DST` as text: ip's JSON of an MPLS encapsulation gives the
-- labels under a second "dst" key, which hides the route's own
local function iptext(name, dst)
  local ok, out = H.sh("ip -n " .. H.quote(name) .. (dst:find(":") and " -6" or " -4")
                       .. " route show " .. dst)
  assert(ok, out)
  return out
end

local function find(list, dst)
  for _, e in ipairs(list) do
    if tostring(e.dst) == tostring(dst) then return e end
  end
end

describe("seg6 encapsulation", function()
  after_each(H.cleanup)

  it("adds IPv4 and IPv6 routes with seg6 encap, read back and checked by ip", function()
    local ns, name, v = setup("seg6")
    local r = assert(ns:route_add{ dst = "10.0.0.0/24", dev = "v0",
      encap = { type = "seg6", mode = "encap", segs = { "fc00::1", "fc00::2" } } })
    assert.are.same({ type = "seg6", mode = "encap", segs = { "fc00::1", "fc00::2" } }, r.encap)
    assert.are.equal("vnet.route: 10.0.0.0/24 encap seg6 mode encap segs 2 [ fc00::1 fc00::2 ] dev "
                     .. v.index .. " proto boot scope link", tostring(r))
    local o = find(H.ip(name, "-4", "route", "show"), "10.0.0.0/24")
    assert.are.equal("seg6", o.encap)
    assert.are.equal("encap", o.mode)
    assert.are.same({ "fc00::1", "fc00::2" }, o.segs)
    -- the default mode is encap; inline for IPv6
    local r6 = assert(ns:route_add{ dst = "2001:db8:5::/64", dev = v,
      encap = { type = "seg6", mode = "inline", segs = { "fc00::3" } } })
    assert.are.same({ type = "seg6", mode = "inline", segs = { "fc00::3" } }, r6.encap)
    o = find(H.ip(name, "-6", "route", "show"), "2001:db8:5::/64")
    assert.are.equal("inline", o.mode)
    assert.are.same({ "fc00::3" }, o.segs)
    local r3 = assert(ns:route_add{ dst = "10.0.2.0/24", dev = "v0",
      encap = { type = "seg6", segs = { "fc00::a", "fc00::b", "fc00::c" } } })
    assert.are.equal("encap", r3.encap.mode)
    assert.are.same({ "fc00::a", "fc00::b", "fc00::c" },
                    find(H.ip(name, "-4", "route", "show"), "10.0.2.0/24").segs)
    -- the listing reads it too, and a route without one has none
    local seen = {}
    for x in ns:routes() do seen[x.dst] = x end
    assert.are.same(r.encap, seen["10.0.0.0/24"].encap)
    assert.is_nil(seen["10.1.1.0/24"].encap)
    assert.are.same(r.encap, (select(2, assert(ns:routes{ fields = { "dst", "encap" } })())))
    -- route get sees it
    assert.are.equal("seg6", assert(ns:route_get("10.0.0.9")).encap.type)
    -- replaced by one without, deleted by object
    local p = assert(ns:route_replace{ dst = "10.0.2.0/24", dev = "v0" })
    assert.is_nil(p.encap)
    assert.is_nil(find(H.ip(name, "-4", "route", "show"), "10.0.2.0/24").encap)
    assert.is_true(r:delete())
    assert.is_nil(find(H.ip(name, "-4", "route", "show"), "10.0.0.0/24"))
    assert.is_true(ns:route_del{ dst = "2001:db8:5::/64", dev = "v0" })
    assert.is_nil(find(H.ip(name, "-6", "route", "show"), "2001:db8:5::/64"))
  end)

  it("reads routes ip made with every seg6 mode", function()
    local ns, name = setup("seg6ip")
    H.ipdo_batch(name, {
      "route add 10.0.3.0/24 encap seg6 mode encap segs fc00::1,fc00::2 dev v0",
      "route add 2001:db8:7::/64 encap seg6 mode inline segs fc00::9 dev v0",
      "route add 10.0.4.0/24 encap seg6 mode encap.red segs fc00::4,fc00::5 dev v0",
    })
    local mine = {}
    for x in ns:routes{ table = "all" } do mine[x.dst] = x end
    for _, fam in ipairs({ "-4", "-6" }) do
      for _, o in ipairs(H.ip(name, fam, "route", "show")) do
        if o.encap then
          local r = mine[o.dst]
          assert.truthy(r, o.dst)
          assert.are.same({ type = "seg6", mode = o.mode, segs = o.segs }, r.encap)
        end
      end
    end
    assert.are.equal("encap.red", mine["10.0.4.0/24"].encap.mode)
  end)
end)

describe("MPLS encapsulation and routes", function()
  after_each(H.cleanup)

  it_mpls("adds IP routes with MPLS encap, read back and checked by ip", function()
    local ns, name, v = setup("mplsenc", true)
    local r = assert(ns:route_add{ dst = "10.0.0.0/24", gateway = "10.1.1.2", dev = "v0",
                                   encap = { type = "mpls", labels = { 200, 300 } } })
    assert.are.same({ type = "mpls", labels = { 200, 300 } }, r.encap)
    assert.are.equal("vnet.route: 10.0.0.0/24 encap mpls 200/300 via 10.1.1.2 dev " .. v.index
                     .. " proto boot scope global", tostring(r))
    assert.truthy(iptext(name, "10.0.0.0/24"):find("^10.0.0.0/24%s+encap mpls%s+200/300 via "
                                                   .. "10.1.1.2 dev v0"), iptext(name, "10.0.0.0/24"))
    local t = assert(ns:route_add{ dst = "2001:db8:9::/64", gateway = "2001:db8::2", dev = "v0",
                                   encap = { type = "mpls", labels = { 1048575 }, ttl = 9 } })
    assert.are.same({ type = "mpls", labels = { 1048575 }, ttl = 9 }, t.encap)
    assert.truthy(tostring(t):find(" encap mpls 1048575 ttl 9 via 2001:db8::2 ", 1, true))
    assert.truthy(iptext(name, "2001:db8:9::/64"):find("encap mpls%s+1048575 ttl 9 via 2001:db8::2"),
                  iptext(name, "2001:db8:9::/64"))
    -- ip's own, read
    H.ipdo(name, "route", "add", "10.0.1.0/24", "encap", "mpls", "16/17/18", "via", "10.1.1.2",
           "dev", "v0")
    local seen = {}
    for x in ns:routes() do seen[x.dst] = x end
    assert.are.same({ 16, 17, 18 }, seen["10.0.1.0/24"].encap.labels)
    assert.are.same(r.encap, seen["10.0.0.0/24"].encap)
    assert.is_true(r:delete())
    assert.are.equal("", iptext(name, "10.0.0.0/24"))
    assert.is_true(ns:route_del{ dst = "10.0.1.0/24" })
    assert.are.equal("", iptext(name, "10.0.1.0/24"))
  end)

  it_mpls("adds MPLS routes (ip -f mpls route), read back and checked by ip", function()
    local ns, name, v = setup("mpls", true)
    local r = assert(ns:route_add{ family = "mpls", dst = 100, newdst = { 200, 300 },
                                   gateway = "10.1.1.2", dev = "v0" })
    assert.are.equal("mpls", r.family)
    assert.are.equal(100, r.dst)
    assert.are.same({ 200, 300 }, r.newdst)
    assert.are.equal("10.1.1.2", r.gateway)
    assert.are.equal(v.index, r.dev)
    assert.are.equal("vnet.route: 100 as to 200/300 via inet 10.1.1.2 dev " .. v.index ..
                     " proto boot", tostring(r))
    local r6 = assert(ns:route_add{ family = "mpls", dst = 101, gateway = "2001:db8::2",
                                    dev = v })
    assert.are.equal("2001:db8::2", r6.gateway)
    assert.is_nil(r6.newdst)
    local o = H.ip(name, "-f", "mpls", "route", "show")
    assert.are.equal(2, #o)
    local e = find(o, 100)
    assert.truthy(e, "ip does not show 100")
    assert.are.equal("v0", e.dev)
    assert.are.equal("200/300", e.to)
    assert.are.same({ family = "inet", host = "10.1.1.2" }, e.via)
    assert.are.same({ family = "inet6", host = "2001:db8::2" }, find(o, 101).via)
    assert.truthy(find(o, 101))
    -- ip's own, read; the listing of MPLS routes holds only them
    H.ipdo(name, "-f", "mpls", "route", "add", "102", "as", "500", "via", "inet", "10.1.1.3",
           "dev", "v0")
    local mine = {}
    for x in ns:routes{ family = "mpls" } do
      assert.are.equal("mpls", x.family)
      mine[x.dst] = x
    end
    assert.are.same({ 500 }, mine[102].newdst)
    assert.are.equal("10.1.1.3", mine[102].gateway)
    assert.are.equal(3, #collect(ns:routes{ family = "mpls" }))
    -- the IP listings leave them out
    for x in ns:routes() do assert.are_not.equal("mpls", x.family) end
    for x in ns:routes{ table = "all" } do assert.are_not.equal("mpls", x.family) end
    -- duplicates, deletes
    H.fails("EEXIST", ns:route_add{ family = "mpls", dst = 100, gateway = "10.1.1.2", dev = "v0" })
    assert.is_true(ns:route_del{ family = "mpls", dst = 100 })
    assert.is_nil(find(H.ip(name, "-f", "mpls", "route", "show"), 100))
    -- (the kernel does not refuse to delete a label that has no route)
    assert.is_true(ns:route_del{ family = "mpls", dst = 100 })
    assert.is_true(mine[102]:delete())
    assert.is_true(r6:delete())
    assert.are.same({}, H.ip(name, "-f", "mpls", "route", "show"))
  end)

  it_mpls("refusals: a label past platform_labels, a reserved label", function()
    local ns, name = setup("mplsno", true)
    H.fails("EINVAL", ns:route_add{ family = "mpls", dst = 5000, gateway = "10.1.1.2", dev = "v0" })
    H.fails("EINVAL", ns:route_add{ family = "mpls", dst = 3, gateway = "10.1.1.2", dev = "v0" })
    H.fails("ENODEV", ns:route_add{ family = "mpls", dst = 100, gateway = "10.1.1.2",
                                    dev = "nosuch0" })
    assert.are.same({}, H.ip(name, "-f", "mpls", "route", "show"))
  end)
end)

describe("misuse of encap and MPLS routes raises", function()
  after_each(H.cleanup)
  local ns, name
  before_each(function() ns, name = setup("encbad") end)
  local function add(t) return function() return ns:route_add(t) end end
  local S = { type = "seg6", segs = { "fc00::1" } }
  local cases = {
    { "encap not a table", add{ dst = "10.0.0.0/24", dev = "v0", encap = "mpls 200" },
      "route_add", "option 'encap'" },
    { "encap unknown key", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { "fc00::1" }, hmac = 1 } }, "route_add", "encap",
      "unknown option 'hmac'" },
    { "encap no type", add{ dst = "10.0.0.0/24", dev = "v0", encap = { labels = { 1 } } },
      "route_add", "option 'type' is required" },
    { "encap unknown type", add{ dst = "10.0.0.0/24", dev = "v0", encap = { type = "ip6" } },
      "route_add", "option 'type'" },
    { "encap type NUL", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls\0", labels = { 1 } } }, "route_add", "option 'type'" },
    { "mpls no labels", add{ dst = "10.0.0.0/24", dev = "v0", encap = { type = "mpls" } },
      "route_add", "option 'labels' is required" },
    { "mpls labels not a list", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = 200 } }, "route_add", "option 'labels'" },
    { "mpls label 2^20", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 2^20 } } }, "route_add", "labels[1]", "1048575" },
    { "mpls label negative", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 16, -1 } } }, "route_add", "labels[2]" },
    { "mpls label 1.5", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 1.5 } } }, "route_add", "labels[1]" },
    { "mpls label NaN", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 0/0 } } }, "route_add", "labels[1]" },
    { "mpls label string", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { "200" } } }, "route_add", "labels[1]" },
    { "mpls label 2^63", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 2^63 } } }, "route_add", "labels[1]" },
    { "mpls labels empty", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = {} } }, "route_add", "1 to 30 labels" },
    { "mpls 31 labels", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
          16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16 } } },
      "route_add", "1 to 30 labels" },
    { "mpls labels with a metatable", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = setmetatable({}, { __index = { 16 } }) } },
      "route_add", "plain table" },
    { "mpls ttl 256", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 16 }, ttl = 256 } }, "route_add", "option 'ttl'" },
    { "mpls with segs", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "mpls", labels = { 16 }, segs = { "fc00::1" } } }, "route_add", "segs",
      "seg6" },
    { "seg6 no segs", add{ dst = "10.0.0.0/24", dev = "v0", encap = { type = "seg6" } },
      "route_add", "option 'segs'" },
    { "seg6 empty segs", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = {} } }, "route_add", "option 'segs'" },
    { "seg6 IPv4 seg", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { "10.0.0.1" } } }, "route_add", "segs[1]" },
    { "seg6 prefix seg", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { "fc00::/64" } } }, "route_add", "segs[1]" },
    { "seg6 NUL seg", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { "fc00::1\0" } } }, "route_add", "segs[1]" },
    { "seg6 seg type", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { 5 } } }, "route_add", "segs[1]" },
    { "seg6 17 segs", add{ dst = "10.0.0.0/24", dev = "v0", encap = { type = "seg6", segs = {
        "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1",
        "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1", "fc00::1",
        "fc00::1" } } }, "route_add", "1 to 16" },
    { "seg6 bad mode", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", mode = "tunnel", segs = { "fc00::1" } } }, "route_add",
      "option 'mode'" },
    { "seg6 with labels", add{ dst = "10.0.0.0/24", dev = "v0",
        encap = { type = "seg6", segs = { "fc00::1" }, labels = { 16 } } }, "route_add",
      "labels", "mpls" },
    { "encap with nexthops", add{ dst = "10.0.0.0/24", encap = S,
        nexthops = { { dev = "v0" }, { dev = "v1" } } }, "route_add", "encap", "nexthops" },
    { "encap with nhid", add{ dst = "10.0.0.0/24", encap = S, nhid = 5 }, "route_add",
      "encap", "nhid" },
    { "encap on an MPLS route", add{ family = "mpls", dst = 100, dev = "v0", encap = S },
      "route_add", "option 'encap'", "MPLS" },
    { "newdst on an IP route", add{ dst = "10.0.0.0/24", dev = "v0", newdst = { 16 } },
      "route_add", "option 'newdst'", "mpls" },
    { "mpls dst missing", add{ family = "mpls", dev = "v0" }, "route_add", "option 'dst'" },
    { "mpls dst 2^20", add{ family = "mpls", dst = 2^20, dev = "v0" }, "route_add",
      "option 'dst'", "1048575" },
    { "mpls dst string", add{ family = "mpls", dst = "100", dev = "v0" }, "route_add",
      "option 'dst'" },
    { "mpls dst 2^32+1", add{ family = "mpls", dst = 2^32 + 1, dev = "v0" }, "route_add",
      "option 'dst'" },
    { "mpls dst negative", add{ family = "mpls", dst = -1, dev = "v0" }, "route_add",
      "option 'dst'" },
    { "mpls newdst 2^20", add{ family = "mpls", dst = 100, dev = "v0", newdst = { 16, 2^20 } },
      "route_add", "newdst[2]" },
    { "mpls newdst not a list", add{ family = "mpls", dst = 100, dev = "v0", newdst = 16 },
      "route_add", "option 'newdst'" },
    { "mpls with metric", add{ family = "mpls", dst = 100, dev = "v0", metric = 5 },
      "route_add", "option 'metric'", "MPLS" },
    { "mpls with table", add{ family = "mpls", dst = 100, dev = "v0", table = 10 },
      "route_add", "option 'table'", "MPLS" },
    { "mpls with src", add{ family = "mpls", dst = 100, dev = "v0", src = "10.1.1.1" },
      "route_add", "option 'src'", "MPLS" },
    { "mpls with mtu", add{ family = "mpls", dst = 100, dev = "v0", mtu = 1400 },
      "route_add", "option 'mtu'", "MPLS" },
    { "mpls with a metric of TCP", add{ family = "mpls", dst = 100, dev = "v0", rtt = 5 },
      "route_add", "option 'rtt'", "MPLS" },
    { "mpls gateway malformed", add{ family = "mpls", dst = 100, gateway = "10.1.1.300" },
      "route_add", "option 'gateway'" },
    { "family unknown", add{ family = "mpls2", dst = 100 }, "route_add", "option 'family'" },
    { "family NUL", add{ family = "mpls\0", dst = 100 }, "route_add", "option 'family'" },
    { "routes family NUL", function() return ns:routes{ family = "mpls\0" } end, "routes",
      "option 'family'" },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      H.raises(c[2], select(3, (table.unpack or unpack)(c)))
      assert.is_nil(find(H.ip(name, "-4", "route", "show"), "10.0.0.0/24"))
    end)
  end

  -- (a failure, not misuse: refused without mpls_router, or past
  -- platform_labels with it; the message read "route_add 1048575.0: ...")
  it("a label given as a float is named as an integer in a failure", function()
    local ok, msg, err = ns:route_add{ family = "mpls", dst = 2 ^ 20 - 1, newdst = { 200 },
                                       gateway = "10.1.1.2", dev = "v0" }
    assert.is_nil(ok)
    assert.is_string(err)
    assert.truthy(msg:find("^route_add 1048575: "), msg)
  end)

  it("options from __index are read", function()
    local r = assert(ns:route_add(setmetatable({}, { __index = { dst = "10.0.0.0/24",
      dev = "v0", encap = setmetatable({}, { __index = S }) } })))
    assert.are.same({ type = "seg6", mode = "encap", segs = { "fc00::1" } }, r.encap)
  end)
end)
