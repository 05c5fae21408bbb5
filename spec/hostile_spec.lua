-- Hostile input to every option and argument reader of vnet.core: integers
-- past 2^31, 2^32 and 2^63, fractions, NaN and inf; strings with NUL bytes;
-- numbers written as strings; link objects of another namespace or objects
-- of another type where a link is expected; options handed out by __index
-- while the collector runs. Each misuse raises naming the function and the
-- field, and `ip -j` shows that nothing was made or changed.
local H = require "spec.helper"
local vnet = H.vnet
local unpack = table.unpack or unpack

-- x as the integer subtype where Lua has one (5.3+), else as it is
local function int(x)
  return math.tointeger and math.tointeger(x) or x
end

-- numbers no integer option of vnet may take, whatever its range
local NOT_INT = {
  { "1.5", 1.5 }, { "NaN", 0 / 0 }, { "inf", math.huge }, { "-inf", -math.huge },
  { "2^63", 2 ^ 63 }, { "-2^64", -2 ^ 64 },
}
-- integers out of the range of a u32 option
local PAST_U32 = {
  { "2^32", int(2 ^ 32) }, { "2^32+1", int(2 ^ 32 + 1) }, { "-1", -1 },
  { "-2^63", math.mininteger or -2 ^ 63 },
}
-- integers out of the range of an ifindex (a positive int to the kernel)
local PAST_IFINDEX = {
  { "0", 0 }, { "2^31", int(2 ^ 31) }, { "2^32", int(2 ^ 32) },
  { "2^32+1", int(2 ^ 32 + 1) }, { "-1", -1 },
}

-- What ip sees of a namespace: links (what options can change of them),
-- addresses, routes of every table, neighbours and rules. (A bridge's timers
-- tick, and the kernel adds NOARP multicast neighbours on its own.)
local function snap(name)
  local r = H.ipb(name, { "link show", "addr show", "route show table all",
                          "neigh show", "rule show" })
  local links = {}
  for _, l in ipairs(r[1]) do
    links[#links + 1] = { l.ifindex, l.ifname, l.mtu, l.txqlen, l.group, l.master,
                          l.ifalias, l.address, table.concat(l.flags, ","),
                          l.linkinfo and l.linkinfo.info_kind }
  end
  r[1] = links
  local addrs = {}
  for _, l in ipairs(r[2]) do
    for _, a in ipairs(l.addr_info or {}) do
      addrs[#addrs + 1] = { l.ifname, a["local"], a.prefixlen, a.label, a.scope, a.address,
                            a.broadcast, a.valid_life_time }
    end
  end
  r[2] = addrs
  return r
end

-- A namespace with a bridge br0 (up, 10.9.0.1/24) and a veth pair v0/v1,
-- without IPv6 (whose addresses and routes come and go on their own).
local function setup(tag)
  local ns, name = H.ns(tag)
  assert(ns:sysctl("net.ipv6.conf.all.disable_ipv6", "1"))
  assert(ns:sysctl("net.ipv6.conf.default.disable_ipv6", "1"))
  local br = assert(ns:link_add{ name = "br0", kind = "bridge", up = true })
  assert(br:addr_add("10.9.0.1/24"))
  local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
  return ns, name, br, v0
end

-- Runs each case { desc, fn(ctx), fragments... } as an `it` that checks fn
-- raises with every fragment and that ip sees the namespace unchanged. The
-- cases of one call share one context, made by make() when first needed.
local function raising(cases, make)
  local ctx, before
  for _, c in ipairs(cases) do
    it("raises: " .. c[1], function()
      if not ctx then
        ctx = make()
        before = snap(ctx.name)
      end
      H.raises(function() return c[2](ctx) end, unpack(c, 3))
      assert.are.same(before, snap(ctx.name))
    end)
  end
end

-- For each value of list, a case calling call(ctx, value).
local function each(list, desc, call, ...)
  local out, frags = {}, { ... }
  for _, v in ipairs(list) do
    out[#out + 1] = { desc .. " = " .. v[1], function(ctx) return call(ctx, v[2]) end,
                      unpack(frags) }
  end
  return out
end

local function concat(...)
  local out = {}
  for _, l in ipairs({ ... }) do
    for _, x in ipairs(l) do out[#out + 1] = x end
  end
  return out
end

-- An options table whose every value comes from __index, which first runs a
-- full collection and then hands out a fresh copy (never an interned
-- constant of this file: a string the collector may free as soon as vnet has
-- popped it). vals holds each value behind a '#', stripped on the way out.
local function proxy(vals)
  return setmetatable({}, { __index = function(_, k)
    collectgarbage()
    collectgarbage()
    local v = vals[k]
    if type(v) == "string" then return (v:sub(2) .. string.rep("", 3)) end
    return v
  end })
end

describe("hostile input", function()
  -- (not after each case: the cases of one call share a namespace)
  teardown(H.cleanup)

  -- issue 3: options from __index, collected as soon as vnet pops them
  it("reads every call's options from __index while the collector frees them", function()
    local _, name = H.ns("gc")
    local code, out, err = H.run("spec/hostile_index.lua", { "#" .. name })
    assert.are.equal(0, code, out .. err)
    assert.truthy(out:find("ok", 1, true), out .. err)
    assert.falsy(err:find("AddressSanitizer", 1, true), err)
  end)

  describe("link", function()
    local function make()
      local ns, name, br, v0 = setup("hl")
      return { ns = ns, name = name, br = br, v0 = v0 }
    end

    raising(concat(
      -- issue 2: ns:link(1 << 32) aborted in libnl, (1 << 32) + 1 gave lo
      each(PAST_IFINDEX, "ns:link", function(c, v) return c.ns:link(v) end,
           "link: index must be an integer between 1 and 2147483647"),
      each(NOT_INT, "ns:link", function(c, v) return c.ns:link(v) end, "link: index"),
      each(concat(NOT_INT, PAST_U32), "link_add mtu", function(c, v)
        return c.ns:link_add{ name = "x0", kind = "bridge", mtu = v }
      end, "link_add", "option 'mtu'"),
      each(concat(NOT_INT, PAST_U32), "link_add txqlen", function(c, v)
        return c.ns:link_add{ name = "x0", kind = "bridge", txqlen = v }
      end, "link_add", "option 'txqlen'"),
      each(concat(NOT_INT, PAST_U32), "link_add group", function(c, v)
        return c.ns:link_add{ name = "x0", kind = "bridge", group = v }
      end, "link_add", "option 'group'"),
      each(concat(NOT_INT, PAST_U32), "set txqlen", function(c, v)
        return c.br:set{ txqlen = v }
      end, "set", "option 'txqlen'"),
      each(concat(NOT_INT, PAST_IFINDEX), "link_add master", function(c, v)
        return c.ns:link_add{ name = "x0", kind = "bridge", master = v }
      end, "link_add", "option 'master'"),
      each(concat(NOT_INT, PAST_IFINDEX), "set master", function(c, v)
        return c.v0:set{ master = v }
      end, "set", "option 'master'"),
      each(concat(NOT_INT, PAST_IFINDEX), "links master", function(c, v)
        return c.ns:links{ master = v }
      end, "links", "option 'master'"),
      {
        -- issue 13: NUL bytes
        { "NUL in ns:link's name", function(c) return c.ns:link("br0\0x") end,
          "link: name may not contain a NUL byte" },
        { "NUL in the name", function(c)
          return c.ns:link_add{ name = "x0\0y", kind = "bridge" }
        end, "link_add: option 'name' may not contain a NUL byte" },
        { "NUL in the kind", function(c)
          return c.ns:link_add{ name = "x0", kind = "bridge\0x" }
        end, "link_add: option 'kind' may not contain a NUL byte" },
        { "NUL in the alias", function(c)
          return c.ns:link_add{ name = "x0", kind = "bridge", alias = "a\0b" }
        end, "link_add: option 'alias' may not contain a NUL byte" },
        { "NUL in the address", function(c)
          return c.ns:link_add{ name = "x0", kind = "bridge", address = "02:00:00:00:00:01\0x" }
        end, "link_add: address may not contain a NUL byte" },
        { "NUL in the master's name", function(c)
          return c.ns:link_add{ name = "x0", kind = "bridge", master = "br0\0x" }
        end, "link_add: option 'master' may not contain a NUL byte" },
        { "NUL in the netns name", function(c)
          return c.ns:link_add{ name = "x0", kind = "bridge", netns = c.name .. "\0x" }
        end, "link_add: option 'netns' may not contain a NUL byte" },
        { "NUL in the peer's name", function(c)
          return c.ns:link_add{ name = "x0", kind = "veth", peer = "p0\0x" }
        end, "link_add: option 'name' may not contain a NUL byte" },
        { "NUL in the links kind filter", function(c) return c.ns:links{ kind = "veth\0x" } end,
          "links: option 'kind' may not contain a NUL byte" },
        { "NUL in set's name", function(c) return c.br:set{ name = "br1\0x" } end,
          "set: option 'name' may not contain a NUL byte" },
        -- issue 12: another vnet object where a link is expected
        { "an addr as master", function(c)
          local a
          for x in c.ns:addrs{ dev = "br0" } do a = x end
          return c.ns:link_add{ name = "x0", kind = "bridge", master = a }
        end, "link_add: option 'master' must be a link, a name or an index, got vnet.addr" },
        { "a namespace as master", function(c) return c.v0:set{ master = c.ns } end,
          "set: option 'master' must be a link, a name or an index, got vnet.netns" },
        { "a released link as master", function(c)
          local l = assert(c.ns:link("br0"))
          getmetatable(l).__close(l)
          return c.v0:set{ master = l }
        end, "set: option 'master' is a released vnet.link" },
      }), make)

    it("takes txqlen and group over their whole u32 range (ip reads them back)", function()
      local ns, name = H.ns("u32")
      local l = assert(ns:link_add{ name = "x0", kind = "bridge", txqlen = 4294967295,
                                    group = 4294967295 })
      -- ip prints both as a signed int: -1 is the u32 4294967295
      local function u32(v) return math.floor(tonumber(v)) % 4294967296 end
      local o = H.iplink(name, "x0")
      assert.are.equal(4294967295, u32(o.txqlen))
      assert.are.equal(4294967295, u32(o.group))
      assert.are.equal(4294967295, l.txqlen)
      -- a change: taken by this kernel, or refused by the kernel (6.1 says
      -- ERANGE), never raised by vnet
      local ok, _, e = l:set{ txqlen = 2147483648, group = 2147483648 }
      o = H.iplink(name, "x0")
      if ok then
        assert.are.equal(2147483648, u32(o.txqlen))
        assert.are.equal(2147483648, u32(o.group))
        assert.are.equal(2147483648, l.txqlen)
      else
        assert.are.equal("ERANGE", e)
        assert.are.equal(4294967295, u32(o.txqlen))
      end
      -- an integral float is an integer (all numbers are floats in 5.1)
      assert(l:set{ mtu = 1400.0 })
      assert.are.equal(1400, H.iplink(name, "x0").mtu)
    end)

    it("fails (ENOENT) for a netns name that does not exist, making nothing", function()
      local ns, name = H.ns("nons")
      local missing = H.name("none")
      local before = snap(name)
      local msg = H.fails("ENOENT", ns:link_add{ name = "x0", kind = "bridge", netns = missing })
      assert.truthy(msg:find("link_add x0", 1, true), msg)
      assert.truthy(msg:find("netns", 1, true), msg)
      H.fails("ENOENT", ns:link_add{ name = "x0", kind = "veth",
                                     peer = { name = "p0", netns = missing } })
      assert.are.same(before, snap(name))
      local l = ns:link("x0")
      assert.is_nil(l)
    end)

    -- issue 5: a link object of namespace A used in namespace B
    it("refuses a link of another namespace, and takes one of the same namespace", function()
      local a, aname = setup("xa")
      local b, bname = setup("xb")
      local abr = assert(a:link("br0"))
      local bv0 = assert(b:link("v0"))
      local beforeb = snap(bname)
      H.raises(function() return b:link_add{ name = "x0", kind = "bridge", master = abr } end,
               "link_add: option 'master': link br0 belongs to another namespace")
      H.raises(function() return bv0:set{ master = abr } end,
               "set: option 'master': link br0 belongs to another namespace")
      H.raises(function() return b:links{ master = abr } end,
               "links: option 'master': link br0 belongs to another namespace")
      assert.are.same(beforeb, snap(bname))
      -- another handle of namespace A is the same namespace
      local a2 = assert(vnet.netns.open(aname))
      local av0 = assert(a2:link("v0"))
      assert(av0:set{ master = abr })
      assert.are.equal(abr.index, assert(a:link("v0")).master)
      assert(a2:link_add{ name = "x1", kind = "veth", peer = "x2", master = abr })
      assert.are.equal("br0", H.iplink(aname, "x1").master)
    end)

    it("looks for the master of a link made or moved elsewhere in that namespace", function()
      local a, aname = setup("ma")
      local b, bname = setup("mb")
      local abr, bbr = assert(a:link("br0")), assert(b:link("br0"))
      local before = snap(bname)
      H.raises(function()
        return a:link_add{ name = "x0", kind = "bridge", netns = b, master = abr }
      end, "link_add: option 'master': link br0 belongs to another namespace")
      assert.are.same(before, snap(bname))
      assert(a:link_add{ name = "x0", kind = "veth", peer = "x1", netns = b, master = bbr })
      assert.are.equal("br0", H.iplink(bname, "x0").master)
      assert.is_nil(H.iplink(aname, "x0"))
      -- by name: a bridge only the target has
      local b9 = assert(b:link_add{ name = "br9", kind = "bridge" })
      local v = assert(a:link("v0"))
      assert(v:set{ netns = bname, name = "x2", master = "br9" })
      assert.are.equal("br9", H.iplink(bname, "x2").master)
      assert.are.equal(b9.index, v.master)
    end)

    -- issue 3: strings handed out by __index and collected at once
    it("reads link_add's options from __index while the collector runs", function()
      local ns, name = H.ns("idx")
      local peer = H.name("pn")
      assert(vnet.netns.add(peer))
      local l = assert(ns:link_add(proxy{
        name = "#x" .. "0", kind = "#ve" .. "th", alias = "#al" .. "ias-" .. H.pid,
        mtu = 1400, txqlen = 77, up = false,
        peer = proxy{ name = "#p" .. "0", netns = "#" .. peer },
      }))
      assert.are.equal("x0", l.name)
      local o = H.iplink(name, "x0")
      assert.are.equal("veth", o.linkinfo.info_kind)
      assert.are.equal("alias-" .. H.pid, o.ifalias)
      assert.are.equal(1400, o.mtu)
      assert.are.equal(77, o.txqlen)
      assert.is_not_nil(H.iplink(peer, "p0"))
      -- fetch by name, set, filters, and a master by name, all from __index
      assert(ns:link_add(proxy{ name = "#b" .. "r9", kind = "#bri" .. "dge" }))
      assert(l:set(proxy{ name = "#x" .. "9", master = "#b" .. "r9" }))
      assert.are.equal("br9", H.iplink(name, "x9").master)
      local n = 0
      for x in ns:links(proxy{ kind = "#ve" .. "th", master = "#b" .. "r9" }) do
        n = n + 1
        assert.are.equal("x9", x.name)
      end
      assert.are.equal(1, n)
      -- a failure names the link it could not make
      local _, msg = ns:link_add(proxy{ name = "#x" .. "9", kind = "#bri" .. "dge" })
      assert.truthy(msg:find("x9", 1, true), msg)
    end)
  end)

  describe("addr", function()
    local function make()
      local ns, name, br, v0 = setup("ha")
      return { ns = ns, name = name, br = br, v0 = v0 }
    end
    local function add(extra)
      return function(c)
        local o = { dev = "v0", address = "10.8.0.1/24" }
        for k, v in pairs(extra) do o[k] = v end
        return c.ns:addr_add(o)
      end
    end

    raising(concat(
      each(concat(NOT_INT, PAST_IFINDEX), "addr_add dev", function(c, v)
        return c.ns:addr_add{ dev = v, address = "10.8.0.1/24" }
      end, "addr_add", "option 'dev'"),
      each(concat(NOT_INT, PAST_U32), "addr_add metric", function(c, v)
        return add{ metric = v }(c)
      end, "addr_add", "option 'metric'"),
      each(concat(NOT_INT, PAST_U32), "addr_add valid_lft", function(c, v)
        return add{ valid_lft = v }(c)
      end, "addr_add", "option 'valid_lft'"),
      each(concat(NOT_INT, { { "256", 256 }, { "-1", -1 }, { "2^32", int(2 ^ 32) } }),
           "addr_add scope", function(c, v) return add{ scope = v }(c) end,
           "addr_add", "option 'scope'"),
      {
        { "NUL in the address", add{ address = "10.8.0.1/24\0junk" },
          "addr_add: option 'address' may not contain a NUL byte" },
        { "NUL in link:addr_add's address", function(c) return c.v0:addr_add("10.8.0.1\0/8") end,
          "addr_add", "may not contain a NUL byte" },
        { "NUL in the dev", add{ dev = "v0\0x" },
          "addr_add: option 'dev' may not contain a NUL byte" },
        { "NUL in the peer", add{ address = "10.8.0.1", peer = "10.8.0.2/24\0x" },
          "addr_add: option 'peer' may not contain a NUL byte" },
        { "NUL in the broadcast", add{ broadcast = "10.8.0.255\0x" },
          "addr_add: option 'broadcast' may not contain a NUL byte" },
        { "NUL in the label", add{ label = "v0:a\0b" },
          "addr_add: option 'label' may not contain a NUL byte" },
        { "NUL in the scope", add{ scope = "host\0x" },
          "addr_add: option 'scope' may not contain a NUL byte" },
        { "numeric string scope past 255", add{ scope = "256" }, "addr_add: option 'scope'" },
        { "NUL in a flag", add{ flags = { "nodad\0x" } },
          "addr_add: option 'flags' may not contain a NUL byte" },
        { "NUL in a lifetime", add{ valid_lft = "forever\0x" },
          "addr_add: option 'valid_lft' may not contain a NUL byte" },
        { "a route as dev", function(c)
          local r
          for x in c.ns:routes() do r = x end
          return c.ns:addr_add{ dev = r, address = "10.8.0.1/24" }
        end, "addr_add: option 'dev' must be a link, a name or an index, got vnet.route" },
      }), make)

    it("refuses a link of another namespace as dev", function()
      local a = setup("aa")
      local b, bname = setup("ab")
      local av0 = assert(a:link("v0"))
      local before = snap(bname)
      H.raises(function() return b:addr_add{ dev = av0, address = "10.8.0.1/24" } end,
               "addr_add: option 'dev': link v0 belongs to another namespace")
      H.raises(function() return b:addr_replace{ dev = av0, address = "10.8.0.1/24" } end,
               "addr_replace: option 'dev': link v0 belongs to another namespace")
      H.raises(function() return b:addrs{ dev = av0 } end,
               "addrs: option 'dev': link v0 belongs to another namespace")
      assert.are.same(before, snap(bname))
    end)

    it("reads addr_add's options from __index while the collector runs", function()
      local ns, name = setup("aidx")
      local a = assert(ns:addr_add(proxy{ dev = "#v" .. "0", address = "#10.8.0." .. "1/24",
                                          label = "#v0" .. ":lab", scope = "#li" .. "nk",
                                          flags = { "nodad" } }))
      assert.are.equal("10.8.0.1", a.address)
      local found
      for _, l in ipairs(H.ip(name, "addr", "show", "dev", "v0")) do
        for _, x in ipairs(l.addr_info) do
          if x["local"] == "10.8.0.1" then found = x end
        end
      end
      assert.are.equal("v0:lab", found.label)
      assert.are.equal("link", found.scope)
    end)
  end)

  describe("route", function()
    local function make()
      local ns, name, br, v0 = setup("hr")
      return { ns = ns, name = name, br = br, v0 = v0 }
    end
    local function add(extra)
      return function(c)
        local o = { dst = "10.7.0.0/16", dev = "br0" }
        for k, v in pairs(extra) do o[k] = v end
        return c.ns:route_add(o)
      end
    end

    raising(concat(
      -- issue 2: route_add{ dev = (1 << 32) + 1 } used device 1
      each(concat(NOT_INT, PAST_IFINDEX), "route_add dev", function(c, v)
        return add{ dev = v }(c)
      end, "route_add", "option 'dev'"),
      each(concat(NOT_INT, PAST_IFINDEX), "nexthop dev", function(c, v)
        return c.ns:route_add{ dst = "10.7.0.0/16", nexthops = { { dev = v } } }
      end, "route_add", "nexthops[1]", "option 'dev'"),
      each(concat(NOT_INT, PAST_U32), "route_add metric", function(c, v)
        return add{ metric = v }(c)
      end, "route_add", "option 'metric'"),
      each(concat(NOT_INT, PAST_U32), "route_add table", function(c, v)
        return add{ table = v }(c)
      end, "route_add", "option 'table'"),
      each(concat(NOT_INT, PAST_U32), "route_add mtu", function(c, v)
        return add{ mtu = v }(c)
      end, "route_add", "option 'mtu'"),
      each(concat(NOT_INT, { { "256", 256 }, { "2^32", int(2 ^ 32) } }), "route_add protocol",
           function(c, v) return add{ protocol = v }(c) end, "route_add", "option 'protocol'"),
      each(concat(NOT_INT, { { "256", 256 }, { "2^32+1", int(2 ^ 32 + 1) } }), "route_add scope",
           function(c, v) return add{ scope = v }(c) end, "route_add", "option 'scope'"),
      each(concat(NOT_INT, PAST_U32), "route_get mark", function(c, v)
        return c.ns:route_get("10.9.0.5", { mark = v })
      end, "route_get", "option 'mark'"),
      each(concat(NOT_INT, PAST_IFINDEX), "route_get oif", function(c, v)
        return c.ns:route_get("10.9.0.5", { oif = v })
      end, "route_get", "option 'oif'"),
      each(concat(NOT_INT, { { "5", 5 }, { "2^32+4", int(2 ^ 32 + 4) } }), "routes family",
           function(c, v) return c.ns:routes{ family = v } end, "routes", "option 'family'"),
      -- issue 16: numbers in strings are read whole and range-checked
      each({ { '"4294967296"', "4294967296" }, { '"-1"', "-1" }, { '"1e3"', "1e3" },
             { '" 5"', " 5" }, { '"5 "', "5 " }, { '"+5"', "+5" },
             { '"0x100000000"', "0x100000000" }, { '"99999999999999999999"', "99999999999999999999" } },
           "route_add table", function(c, v) return add{ table = v }(c) end,
           "route_add", "option 'table'"),
      each({ { '"256"', "256" }, { '"-1"', "-1" }, { '"0x1ff"', "0x1ff" } },
           "route_add protocol", function(c, v) return add{ protocol = v }(c) end,
           "route_add", "option 'protocol'"),
      {
        { "NUL in dst", add{ dst = "10.7.0.0/16\0junk" },
          "route_add: option 'dst' may not contain a NUL byte" },
        { "NUL in gateway", add{ gateway = "10.9.0.2\0x" },
          "route_add: option 'gateway' may not contain a NUL byte" },
        { "NUL in dev", add{ dev = "br0\0x" },
          "route_add: option 'dev' may not contain a NUL byte" },
        { "NUL in table", add{ table = "main\0x" },
          "route_add: option 'table' may not contain a NUL byte" },
        { "NUL in type", add{ type = "unicast\0x" },
          "route_add: option 'type' may not contain a NUL byte" },
        { "NUL in protocol", add{ protocol = "static\0x" },
          "route_add: option 'protocol' may not contain a NUL byte" },
        { "NUL in family", add{ family = "inet\0x" },
          "route_add: option 'family' may not contain a NUL byte" },
        { "NUL in route_get's address", function(c) return c.ns:route_get("10.9.0.5\0x") end,
          "route_get: address may not contain a NUL byte" },
        { "NUL in routes' table", function(c) return c.ns:routes{ table = "all\0x" } end,
          "routes: option 'table' may not contain a NUL byte" },
        { "an addr as dev", function(c)
          local a
          for x in c.ns:addrs{ dev = "br0" } do a = x end
          return add{ dev = a }(c)
        end, "route_add: option 'dev' must be a link, a name or an index, got vnet.addr" },
      }), make)

    it("takes a table number in a string, read whole", function()
      local ns, name = setup("rtab")
      assert(ns:route_add{ dst = "10.7.0.0/16", dev = "br0", table = "10" })
      assert(ns:route_add{ dst = "10.6.0.0/16", dev = "br0", table = "0x10" })
      assert(ns:route_add{ dst = "10.5.0.0/16", dev = "br0", table = 4294967295 })
      assert.are.equal("10.7.0.0/16", H.ip(name, "route", "show", "table", "10")[1].dst)
      assert.are.equal("10.6.0.0/16", H.ip(name, "route", "show", "table", "16")[1].dst)
      assert.are.equal("10.5.0.0/16", H.ip(name, "route", "show", "table", "4294967295")[1].dst)
    end)

    it("refuses a link of another namespace as dev or oif", function()
      local a = setup("ra")
      local b, bname = setup("rb")
      local abr = assert(a:link("br0"))
      local before = snap(bname)
      H.raises(function() return b:route_add{ dst = "10.7.0.0/16", dev = abr } end,
               "route_add: option 'dev': link br0 belongs to another namespace")
      H.raises(function() return b:route_replace{ dst = "10.7.0.0/16", dev = abr } end,
               "route_replace: option 'dev': link br0 belongs to another namespace")
      H.raises(function()
        return b:route_add{ dst = "10.7.0.0/16", nexthops = { { dev = abr } } }
      end, "nexthops[1]", "option 'dev': link br0 belongs to another namespace")
      H.raises(function() return b:route_get("10.9.0.5", { oif = abr }) end,
               "route_get: option 'oif': link br0 belongs to another namespace")
      H.raises(function() return b:routes{ dev = abr } end,
               "routes: option 'dev': link br0 belongs to another namespace")
      assert.are.same(before, snap(bname))
    end)

    it("reads route_add's options from __index while the collector runs", function()
      local ns, name = setup("ridx")
      assert(ns:route_add(proxy{ dst = "#10.7.0." .. "0/16", gateway = "#10.9.0." .. "2",
                                 dev = "#b" .. "r0", table = "#1" .. "00",
                                 protocol = "#sta" .. "tic", scope = "#uni" .. "verse",
                                 type = "#uni" .. "cast", metric = 7 }))
      local r = H.ip(name, "route", "show", "table", "100")[1]
      assert.are.equal("10.7.0.0/16", r.dst)
      assert.are.equal("10.9.0.2", r.gateway)
      assert.are.equal("br0", r.dev)
      assert.are.equal("static", r.protocol)
      assert.are.equal(7, r.metric)
    end)
  end)

  describe("neigh", function()
    local function make()
      local ns, name, br, v0 = setup("hn")
      return { ns = ns, name = name, br = br, v0 = v0 }
    end
    local function add(extra)
      return function(c)
        local o = { dst = "10.9.0.5", lladdr = "02:00:00:00:00:05", dev = "br0" }
        for k, v in pairs(extra) do o[k] = v end
        return c.ns:neigh_add(o)
      end
    end

    raising(concat(
      each(concat(NOT_INT, PAST_IFINDEX), "neigh_add dev", function(c, v)
        return add{ dev = v }(c)
      end, "neigh_add", "option 'dev'"),
      each(concat(NOT_INT, PAST_IFINDEX), "neighs dev", function(c, v)
        return c.ns:neighs{ dev = v }
      end, "neighs", "option 'dev'"),
      {
        { "NUL in dst", add{ dst = "10.9.0.5\0x" },
          "neigh_add: option 'dst' may not contain a NUL byte" },
        { "NUL in lladdr", add{ lladdr = "02:00:00:00:00:05\0x" },
          "neigh_add: option 'lladdr' may not contain a NUL byte" },
        { "NUL in dev", add{ dev = "br0\0x" },
          "neigh_add: option 'dev' may not contain a NUL byte" },
        { "NUL in state", add{ state = "stale\0x" },
          "neigh_add: option 'state' may not contain a NUL byte" },
        { "an addr as dev", function(c)
          local a
          for x in c.ns:addrs{ dev = "br0" } do a = x end
          return add{ dev = a }(c)
        end, "neigh_add: option 'dev' must be a link, a name or an index, got vnet.addr" },
      }), make)

    it("refuses a link of another namespace as dev", function()
      local a = setup("na")
      local b, bname = setup("nb")
      local abr = assert(a:link("br0"))
      local before = snap(bname)
      H.raises(function()
        return b:neigh_add{ dst = "10.9.0.5", lladdr = "02:00:00:00:00:05", dev = abr }
      end, "neigh_add: option 'dev': link br0 belongs to another namespace")
      H.raises(function() return b:neigh_del{ dst = "10.9.0.5", dev = abr } end,
               "neigh_del: option 'dev': link br0 belongs to another namespace")
      H.raises(function() return b:neighs{ dev = abr } end,
               "neighs: option 'dev': link br0 belongs to another namespace")
      assert.are.same(before, snap(bname))
    end)

    it("reads neigh_add's options from __index while the collector runs", function()
      local ns, name = setup("nidx")
      assert(ns:neigh_add(proxy{ dst = "#10.9.0." .. "5", lladdr = "#02:00:00:00:00:" .. "05",
                                 dev = "#b" .. "r0", state = "#st" .. "ale" }))
      local o = H.ip(name, "neigh", "show", "dev", "br0")[1]
      assert.are.equal("10.9.0.5", o.dst)
      assert.are.equal("02:00:00:00:00:05", o.lladdr)
    end)
  end)

  describe("netns.open", function()
    local function make()
      local ns, name = setup("ho")
      return { ns = ns, name = name }
    end
    raising(concat(
      each(concat(NOT_INT, { { "0", 0 }, { "2^31", int(2 ^ 31) }, { "2^32+1", int(2 ^ 32 + 1) } }),
           "open pid", function(_, v) return vnet.netns.open{ pid = v } end,
           "netns.open", "option 'pid'"),
      {
        { "NUL in the name", function(c) return vnet.netns.open(c.name .. "\0x") end,
          "netns.open: name may not contain a NUL byte" },
        { "NUL in option name", function(c) return vnet.netns.open{ name = c.name .. "\0x" } end,
          "netns.open: option 'name' may not contain a NUL byte" },
        { "NUL in option path", function() return vnet.netns.open{ path = "/proc/1/ns/net\0x" } end,
          "netns.open: option 'path' may not contain a NUL byte" },
        { "a path too long", function() return vnet.netns.open{ path = "/" .. ("x"):rep(300) } end,
          "netns.open: option 'path' is longer than 255 bytes" },
      }), make)

    it("fails (ENOENT) for an empty option name rather than reading garbage", function()
      H.raises(function() return vnet.netns.open{ name = "" } end, "netns.open", "1 to 63 bytes")
    end)

    it("reads open's options from __index while the collector runs", function()
      local ns, name = H.ns("oidx")
      local h = assert(vnet.netns.open(proxy{ name = "#" .. name }))
      assert.are.equal(name, h.name)
      assert.are.equal(ns, h)
      local p = assert(vnet.netns.open(proxy{ path = "#/run/netns/" .. name }))
      assert.are.equal(ns, p)
    end)
  end)

  describe("rule", function()
    local function make()
      local ns, name = setup("hu")
      return { ns = ns, name = name }
    end
    raising({
      { "NUL in iif", function(c) return c.ns:rule_add{ iif = "br0\0x", table = 5 } end,
        "rule_add: option 'iif' may not contain a NUL byte" },
      { "table past u32 in a string", function(c)
        return c.ns:rule_add{ from = "10.1.0.0/16", table = "4294967296" }
      end, "rule_add: option 'table'" },
      { "protocol past 255 in a string", function(c)
        return c.ns:rule_add{ from = "10.1.0.0/16", table = 5, protocol = "256" }
      end, "rule_add: option 'protocol'" },
      { "NUL in from", function(c) return c.ns:rule_add{ from = "all\0x", table = 5 } end,
        "rule_add", "from", "NUL" },
    }, make)

    it("reads rule iif/oif from __index while the collector runs", function()
      local ns, name = setup("uidx")
      assert(ns:rule_add(proxy{ iif = "#b" .. "r0", oif = "#v" .. "0", table = 5,
                                priority = 1234 }))
      local found
      for _, r in ipairs(H.ip(name, "rule", "show")) do
        if r.priority == 1234 then found = r end
      end
      assert.are.equal("br0", found.iif)
      assert.are.equal("v0", found.oif)
    end)
  end)

  describe("metamethods and facade methods called by hand (fuzz finds)", function()
    it("__index ignores arguments past the key", function()
      local ns = H.ns("mm")
      local lo = assert(ns:link("lo"))
      local index = getmetatable(lo).__index
      assert.are.equal("lo", index(lo, "name", int(2 ^ 32)))
      assert.are.equal("lo", index(lo, "name", -1, "x"))
    end)

    it("an iterator's __gc given something else does nothing", function()
      local ns = H.ns("mg")
      local it = assert(ns:links())
      local _, state = debug.getupvalue(it, 1)
      local gc = type(state) == "userdata" and getmetatable(state) and getmetatable(state).__gc
      if gc then
        assert.has_no.errors(function() gc(nil); gc({}); gc(ns) end)
      end
      for _ in it do end
    end)

    it("tunnel_add with a wrong self raises naming itself", function()
      local ns = H.ns("mt")
      for _, bad in ipairs{ false, 1, "x", {}, print } do
        H.raises(function() return ns.tunnel_add(bad, { mode = "gre", name = "t" }) end,
                 "tunnel_add", "vnet.netns expected")
      end
    end)

    it("a namespace name must be a string, not a number made into one", function()
      for _, bad in ipairs{ 1.5, -1, 0 } do
        H.raises(function() return vnet.netns.add(bad) end, "netns.add", "must be a string")
      end
      assert.are.same({}, (function()
        local left = {}
        for _, n in ipairs(H.netns_list()) do
          if n == "1.5" or n == "-1" or n == "0" then left[#left + 1] = n end
        end
        return left
      end)())
    end)
  end)
end)
