local H = require "spec.helper"

-- ns:routes{ fields = { ... } }: a dump that returns the fields asked as
-- plain values, one call of the iterator per route.

local net = H.two_subnets

local function ifnames(name)
  local m = {}
  for _, l in ipairs(H.ip(name, "link", "show")) do m[l.ifindex] = l.ifname end
  return m
end

local function full(dst)
  if dst == "default" or dst:find("/") then return dst end
  return dst .. (dst:find(":") and "/128" or "/32")
end

-- one line per route from `ip -j route show table T` (family given)
local function ipkeys(name, family, tbl)
  local out = {}
  for _, e in ipairs(H.ip(name, family == "inet6" and "-6" or "-4", "route", "show",
                          "table", tostring(tbl))) do
    local nh = {}
    for _, n in ipairs(e.nexthops or {}) do
      nh[#nh + 1] = (n.gateway or "-") .. "@" .. (n.dev or "-") .. "*" .. (n.weight or 1)
    end
    local mtu
    for _, m in ipairs(e.metrics or {}) do mtu = mtu or m.mtu end
    out[#out + 1] = table.concat({ e.type or "unicast", full(e.dst), tostring(tbl),
      e.gateway or "-", e.dev or "-", e.protocol or "boot", tostring(e.metric or 0),
      e.prefsrc or "-", family == "inet6" and "-" or (e.scope or "-"), tostring(mtu or "-"),
      table.concat(nh, ",") }, " ")
  end
  table.sort(out)
  return out
end

local ASKED = { "type", "dst", "table", "gateway", "dev", "protocol", "metric", "src", "scope",
                "mtu", "nexthops", "family" }

-- the same lines from routes{ fields = ASKED }
local function fieldkeys(ns, name, family, tbl)
  local names, out = ifnames(name), {}
  for typ, dst, t, gw, dev, proto, metric, src, scope, mtu, nexthops, fam in
      assert(ns:routes{ table = tbl, family = family, fields = ASKED }) do
    assert.are.equal(family, fam)
    local nh = {}
    for _, n in ipairs(nexthops or {}) do
      nh[#nh + 1] = (n.gateway or "-") .. "@" .. (names[n.dev] or "-") .. "*" .. n.weight
    end
    out[#out + 1] = table.concat({ typ, dst, tostring(t), gw or "-", dev and names[dev] or "-",
      tostring(proto), tostring(metric), src or "-", family == "inet6" and "-" or scope,
      tostring(mtu or "-"), table.concat(nh, ",") }, " ")
  end
  table.sort(out)
  return out
end

-- every field name routes have (README's routes section), "dst" first
local FIELDS = { "dst", "family", "table", "gateway", "dev", "src", "metric", "scope",
  "protocol", "type", "mtu", "onlink", "nexthops", "nhid", "pref", "window", "rtt", "rttvar",
  "ssthresh", "cwnd", "advmss", "reordering", "hoplimit", "initcwnd", "features", "rto_min",
  "initrwnd", "quickack", "congctl", "fastopen_no_cookie", "lock", "newdst", "encap" }

-- FIELDS, after checking that every key of every route's totable is in it
local function all_fields(ns)
  local known = {}
  for _, f in ipairs(FIELDS) do known[f] = true end
  for r in ns:routes{ table = "all" } do
    for k in pairs(r:totable()) do assert(known[k], "field " .. k .. " not in FIELDS") end
  end
  return FIELDS
end

local function fill(name)
  H.ipdo_batch(name, {
    "route add 10.7.0.0/16 via 10.0.0.9 dev va proto static metric 7 mtu 1300 src 10.0.0.1 table 100",
    "route add 10.9.0.0/16 table 100 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.1.2 weight 1",
    "route add blackhole 10.6.0.0/16 table 100",
    "route add prohibit 10.5.0.0/16 table 100",
    "route add default via 10.0.1.2 table 100 metric 9",
    "route add 10.4.0.0/16 dev vb scope link proto bird table 100 window 1000 rtt 3 mtu lock 1200",
    "route add 10.3.0.0/16 dev va table 100 quickack 1 congctl lock cubic",
    "route add 2001:db8:9::/48 via 2001:db8:b::2 metric 5 mtu 1400 table 100",
    "route add unreachable 2001:db8:8::/48 table 100",
    "route add 2001:db8:7::/48 table 100 pref high nexthop via 2001:db8:a::2 dev va nexthop via 2001:db8:b::2 dev vb",
  })
end

describe("routes{ fields = }", function()
  teardown(H.cleanup)

  it("gives the fields ip shows, IPv4 and IPv6, multipath included", function()
    local ns, name = net("fld")
    fill(name)
    local v4 = ipkeys(name, "inet", 100)
    assert.are.equal(7, #v4)
    assert.are.same(v4, fieldkeys(ns, name, "inet", 100))
    local v6 = ipkeys(name, "inet6", 100)
    assert.are.equal(3, #v6)
    assert.are.same(v6, fieldkeys(ns, name, "inet6", 100))
  end)

  it("accepts every field a route has, and each value is the object's field", function()
    local ns, name = net("every")
    fill(name)
    local names = all_fields(ns)
    assert.are.equal(33, #names)
    local objs = {}
    for r in ns:routes{ table = "all" } do objs[#objs + 1] = r end
    local i = 0
    for dst in ns:routes{ table = "all", fields = names } do
      i = i + 1
      assert.are.equal(objs[i].dst, dst)
    end
    assert.are.equal(#objs, i)
    local it = ns:routes{ table = "all", fields = names }
    for k = 1, #objs do
      local vals = table.pack(it())
      assert.are.equal(#names, vals.n)
      for j, f in ipairs(names) do
        assert.are.same(objs[k][f], vals[j], "field " .. f .. " of " .. objs[k].dst)
      end
    end
    assert.is_nil(it())
    assert.is_nil(it())
    -- a multipath route's nexthops is a list of tables, as the object gives it
    local seen
    for dst, nh in ns:routes{ table = 100, family = "inet", fields = { "dst", "nexthops" } } do
      if dst == "10.9.0.0/16" then
        seen = nh
        assert.are.equal(2, #nh)
        assert.are.equal("10.0.0.2", nh[1].gateway)
        assert.are.equal(3, nh[1].weight)
        assert.are.equal(H.iplink(name, "va").ifindex, nh[1].dev)
      else
        assert.is_nil(nh)
      end
    end
    assert.truthy(seen)
  end)

  it("returns the fields in the order asked, duplicates included, nil for absent ones", function()
    local ns, name = net("order")
    H.ipdo(name, "route", "add", "10.8.0.0/16", "dev", "va", "table", "100", "metric", "4")
    local n = 0
    for m, gw, dev, dst, m2, dst2, src in ns:routes{ table = 100,
        fields = { "metric", "gateway", "dev", "dst", "metric", "dst", "src" } } do
      n = n + 1
      assert.are.equal(4, m)
      assert.is_nil(gw)
      assert.are.equal(H.iplink(name, "va").ifindex, dev)
      assert.are.equal("10.8.0.0/16", dst)
      assert.are.equal(4, m2)
      assert.are.equal("10.8.0.0/16", dst2)
      assert.is_nil(src)
    end
    assert.are.equal(1, n)
  end)

  it("keeps the other filters", function()
    local ns, name = net("filt")
    fill(name)
    local function list(opts)
      local out = {}
      for dst in assert(ns:routes(opts)) do out[#out + 1] = dst end
      table.sort(out)
      return out
    end
    -- the multipath route has a next hop through vb
    assert.are.same({ "10.4.0.0/16", "10.9.0.0/16", "default" }, list{ table = 100, dev = "vb", family = "inet",
                                                       fields = { "dst" } })
    assert.are.same({ "10.7.0.0/16" }, list{ table = 100, protocol = "static", fields = { "dst" } })
    assert.are.same({ "10.6.0.0/16" }, list{ table = 100, type = "blackhole", fields = { "dst" } })
    assert.are.same({ "2001:db8:7::/48", "2001:db8:8::/48", "2001:db8:9::/48" },
                    list{ table = 100, family = "inet6", fields = { "dst" } })
    -- table = "all" with fields
    local tables = {}
    for t in ns:routes{ table = "all", fields = { "table" } } do tables[tostring(t)] = true end
    assert.truthy(tables["100"] and tables["main"] and tables["local"])
  end)

  it("gives nothing for an empty table and a table that does not exist", function()
    local ns, name = net("empty")
    H.ipdo(name, "route", "add", "10.8.0.0/16", "dev", "va", "table", "150")
    H.ipdo(name, "route", "del", "10.8.0.0/16", "dev", "va", "table", "150")
    for _, t in ipairs{ 150, 151, 4000000000 } do
      local n = 0
      for _ in assert(ns:routes{ table = t, fields = { "dst", "gateway" } }) do n = n + 1 end
      assert.are.equal(0, n)
      if t == 150 then assert.are.equal(0, #H.ip(name, "route", "show", "table", "150")) end
    end
  end)

  it("reads its options through __index", function()
    local ns, name = net("idx")
    H.ipdo(name, "route", "add", "10.8.0.0/16", "dev", "va", "table", "100")
    local opts = setmetatable({}, { __index = function(_, k)
      return ({ table = 100, fields = { "dst", "dev" } })[k]
    end })
    local got = {}
    for dst, dev in ns:routes(opts) do got[#got + 1] = dst .. " " .. dev end
    assert.are.same({ "10.8.0.0/16 " .. H.iplink(name, "va").ifindex }, got)
  end)

  it("raises on fields that are not a non-empty list of known field names", function()
    local ns = net("bad")
    local function r(v) return function() return ns:routes{ table = 100, fields = v } end end
    for _, v in ipairs{ "dst", 1, true, print, ns } do
      H.raises(r(v), "routes: option 'fields' must be a list of field names, got " .. type(v))
    end
    H.raises(r{}, "routes: option 'fields' is empty")
    H.raises(r{ [2] = "dst" }, "routes: option 'fields' is empty")
    H.raises(r{ "dst", 7 }, "routes: fields[2] must be a field name, got number")
    H.raises(r{ "dst", { "dev" } }, "routes: fields[2] must be a field name, got table")
    H.raises(r{ "dst", ns }, "routes: fields[2] must be a field name, got userdata")
    H.raises(r{ "dst", "bogus" }, "routes: fields[2]: unknown field 'bogus'")
    H.raises(r{ "DST" }, "routes: fields[1]: unknown field 'DST'")
    H.raises(r{ "" }, "routes: fields[1]: unknown field ''")
    H.raises(r{ "dst", "delete" }, "unknown field 'delete'")      -- a method, not a field
    H.raises(r{ "dst", "dst\0x" }, "routes: ", "NUL")
    H.raises(r{ "dst", ("x"):rep(100000) }, "routes: fields[2]: unknown field 'xxx")
    -- a first field that may be nil would end the loop at once
    for _, f in ipairs{ "gateway", "dev", "src", "nexthops", "mtu", "nhid", "lock", "pref" } do
      H.raises(r{ f, "dst" }, "routes: fields[1]: '" .. f .. "' may be nil")
    end
    -- the option table's other checks still hold
    H.raises(function() return ns:routes{ table = 100, fields = { "dst" }, bogus = 1 } end,
             "routes", "bogus")
    -- misuse raises before anything is asked of the kernel: a missing dev
    -- would be a failure, the bad fields come first
    H.raises(function() return ns:routes{ dev = "nosuch", fields = { 1 } } end, "fields[1]")
  end)

  it("returns 1000 fields when asked 1000", function()
    local ns, name = net("many")
    H.ipdo(name, "route", "add", "10.8.0.0/16", "via", "10.0.0.2", "table", "100", "metric", "3")
    local f = {}
    for i = 1, 1000 do f[i] = ({ "dst", "metric", "gateway", "nexthops" })[i % 4 + 1] end
    f[1] = "dst"
    local it = ns:routes{ table = 100, fields = f }
    local v = table.pack(it())
    assert.are.equal(1000, v.n)
    for i = 1, 1000 do
      local want = ({ dst = "10.8.0.0/16", metric = 3, gateway = "10.0.0.2" })[f[i]]
      assert.are.equal(want, v[i])
    end
    assert.is_nil(it())
  end)

  it("gives back the dump's memory when the loop stops early", function()
    local ns, name = net("early")
    local cmds = {}
    for i = 1, 3000 do cmds[#cmds + 1] = ("route add 10.%d.%d.0/24 dev va table 100"):format(
      20 + math.floor(i / 256), i % 256) end
    H.ipdo_batch(name, cmds)
    local n = 0
    for _ in ns:routes{ table = 100, fields = { "dst", "dev" } } do
      n = n + 1
      if n == 10 then break end
    end
    collectgarbage()
    collectgarbage()
    local c = 0
    for dst, dev in ns:routes{ table = 100, fields = { "dst", "dev" } } do
      assert.truthy(dst and dev)
      c = c + 1
    end
    assert.are.equal(3000, c)
  end)
end)
