local H = require "spec.helper"
local vnet = H.vnet

-- A scratch namespace with a veth pair v0/v1; returns ns, name, v0.
local function setup(tag)
  local ns, name = H.ns(tag)
  local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
  return ns, name, v
end

-- `ip -j addr show dev DEV` in namespace name: the list of addr_info.
local function oracle(name, dev)
  local out = H.ip(name, "addr", "show", "dev", dev or "v0")
  return out[1] and out[1].addr_info or {}
end

local function find(infos, lcl)
  for _, a in ipairs(infos) do
    if a["local"] == lcl then return a end
  end
end

local collect = H.collect

local FOREVER = 4294967295

describe("addresses", function()
  after_each(H.cleanup)

  describe("adding", function()
    it("link:addr_add adds IPv4 and IPv6 addresses, checked by ip", function()
      local ns, name, v = setup("add")
      local a = assert(v:addr_add("10.1.1.2/16"))
      local b = assert(v:addr_add("2001:db8::1/64", { flags = { "nodad" } }))
      local o = find(oracle(name), "10.1.1.2")
      assert.are.equal(16, o.prefixlen)
      assert.are.equal("inet", o.family)
      assert.are.equal("global", o.scope)
      assert.are.equal("v0", o.label)
      local o6 = find(oracle(name), "2001:db8::1")
      assert.are.equal(64, o6.prefixlen)
      assert.are.equal("inet6", o6.family)
      assert.is_true(o6.nodad)
      -- the returned objects are the kernel's view
      assert.are.equal("10.1.1.2", a.address)
      assert.are.equal(16, a.prefixlen)
      assert.are.equal("10.1.1.2/16", a.cidr)
      assert.are.equal("inet", a.family)
      assert.are.equal(v.index, a.dev)
      assert.are.equal("v0", a.label)
      assert.are.equal("global", a.scope)
      assert.is_nil(a.peer)
      assert.is_true(a.flags.permanent)
      assert.are.equal("forever", a.valid_lft)
      assert.are.equal("forever", a.preferred_lft)
      assert.are.equal("2001:db8::1", b.address)
      assert.are.equal("2001:db8::1/64", b.cidr)
      assert.are.equal("inet6", b.family)
      assert.is_nil(b.label)
      assert.is_true(b.flags.nodad)
      assert.are.equal(ns, a:ns())
    end)

    it("defaults to a host prefix (/32, /128)", function()
      local _, name, v = setup("host")
      assert.are.equal(32, assert(v:addr_add("10.0.0.1")).prefixlen)
      assert.are.equal(128, assert(v:addr_add("2001:db8::2")).prefixlen)
      assert.are.equal(32, find(oracle(name), "10.0.0.1").prefixlen)
      assert.are.equal(128, find(oracle(name), "2001:db8::2").prefixlen)
    end)

    it("ns:addr_add takes every option, checked by ip", function()
      local ns, name, v = setup("opts")
      local a = assert(ns:addr_add{ dev = "v0", address = "10.9.0.1/24", broadcast = true,
                                    label = "v0:x", scope = "link", valid_lft = 100,
                                    preferred_lft = 50, metric = 7 })
      local o = find(oracle(name), "10.9.0.1")
      assert.are.equal(24, o.prefixlen)
      assert.are.equal("10.9.0.255", o.broadcast)
      assert.are.equal("v0:x", o.label)
      assert.are.equal("link", o.scope)
      assert.are.equal(7, o.metric)
      assert.is_true(o.dynamic)
      assert.is_true(o.valid_life_time <= 100 and o.valid_life_time >= 90)
      assert.is_true(o.preferred_life_time <= 50 and o.preferred_life_time >= 40)
      assert.are.equal("10.9.0.255", a.broadcast)
      assert.are.equal("v0:x", a.label)
      assert.are.equal("link", a.scope)
      assert.is_true(a.valid_lft <= 100 and a.preferred_lft <= 50)
      assert.is_nil(a.flags.permanent)

      -- dev as a link box and as an index; broadcast given; scope as a number
      assert(ns:addr_add{ dev = v, address = "10.9.1.1/26", broadcast = "10.9.1.63",
                          scope = 200 })
      o = find(oracle(name), "10.9.1.1")
      assert.are.equal("10.9.1.63", o.broadcast)
      assert.are.equal("site", o.scope)
      assert(ns:addr_add{ dev = v.index, address = "10.9.2.1/31", broadcast = true })
      o = find(oracle(name), "10.9.2.1")
      assert.are.equal(31, o.prefixlen)
      assert.is_nil(o.broadcast)           -- like `brd +`: none on /31

      -- IPv6 flags, as a list and as a set
      local b = assert(ns:addr_add{ dev = "v0", address = "2001:db8::1/64",
                                    flags = { "nodad", "noprefixroute", "home" } })
      o = find(oracle(name), "2001:db8::1")
      assert.is_true(o.nodad and o.noprefixroute and o.home)
      assert.is_true(b.flags.nodad and b.flags.noprefixroute and b.flags.home)
      assert(ns:addr_add{ dev = "v0", address = "2001:db8:1::1/64",
                          flags = { nodad = true, noprefixroute = false } })
      o = find(oracle(name), "2001:db8:1::1")
      assert.is_true(o.nodad)
      assert.is_nil(o.noprefixroute)
    end)

    it("expresses the seed's `ip addr add 10.10.10.1 peer 10.10.10.2`", function()
      local ns, name = setup("peer")
      local a = assert(ns:addr_add{ dev = "v0", address = "10.10.10.1", peer = "10.10.10.2" })
      local o = find(oracle(name), "10.10.10.1")
      assert.are.equal("10.10.10.2", o.address)
      assert.are.equal(32, o.prefixlen)
      assert.are.equal("10.10.10.1", a.address)
      assert.are.equal("10.10.10.2", a.peer)
      assert.are.equal(32, a.prefixlen)
      assert.are.equal("vnet.addr: 10.10.10.1 peer 10.10.10.2/32 dev " .. a.dev, tostring(a))
      -- the prefix length goes with the peer
      a = assert(ns:addr_add{ dev = "v0", address = "10.10.20.1", peer = "10.10.20.2/24" })
      o = find(oracle(name), "10.10.20.1")
      assert.are.equal("10.10.20.2", o.address)
      assert.are.equal(24, o.prefixlen)
      assert.are.equal(24, a.prefixlen)
      -- IPv6 peers too
      a = assert(ns:addr_add{ dev = "v0", address = "2001:db8::9", peer = "2001:db8::10" })
      o = find(oracle(name), "2001:db8::9")
      assert.are.equal("2001:db8::10", o.address)
      assert.are.equal(128, o.prefixlen)
      assert.are.equal("2001:db8::10", a.peer)
    end)

    it("addr_replace updates an existing address", function()
      local ns, name = setup("replace")
      assert(ns:addr_add{ dev = "v0", address = "10.3.0.1/24", valid_lft = 100 })
      H.fails("EEXIST", ns:addr_add{ dev = "v0", address = "10.3.0.1/24" })
      local a = assert(ns:addr_replace{ dev = "v0", address = "10.3.0.1/24",
                                        valid_lft = "forever" })
      local o = find(oracle(name), "10.3.0.1")
      assert.are.equal(FOREVER, o.valid_life_time)
      assert.are.equal(FOREVER, o.preferred_life_time)
      assert.are.equal("forever", a.valid_lft)
      assert.are.equal(1, #oracle(name))
      -- replace also creates
      assert(ns:addr_replace{ dev = "v0", address = "10.3.1.1/24" })
      assert.truthy(find(oracle(name), "10.3.1.1"))
    end)
    it("answers with the kernel's echo: one request for inet, agreeing with ip -j", function()
      local ns, name, v = setup("echo")
      local r0 = ns.requests
      local a = assert(v:addr_add("10.9.0.1/24", { label = "v0:e", valid_lft = 600,
                                                  preferred_lft = 300, scope = "link" }))
      assert.are.equal(r0 + 1, ns.requests)
      local o = find(oracle(name), "10.9.0.1")
      assert.are.equal(o.prefixlen, a.prefixlen)
      assert.are.equal(o.label, a.label)
      assert.are.equal(o.scope, a.scope)
      assert.are.equal(v.index, a.dev)
      assert.is_true(type(a.valid_lft) == "number" and a.valid_lft <= 600 and a.valid_lft > 500)
      assert.is_true(a.preferred_lft <= 300 and a.preferred_lft > 200)
      -- ns:addr_add and addr_replace answer the same way
      r0 = ns.requests
      local b = assert(ns:addr_add{ dev = "v0", address = "10.9.1.1", peer = "10.9.1.2/32" })
      assert.are.equal(r0 + 1, ns.requests)
      assert.are.equal("10.9.1.1", b.address)
      assert.are.equal("10.9.1.2", b.peer)
      local c = assert(ns:addr_replace{ dev = "v0", address = "10.9.0.1/24", valid_lft = 100 })
      assert.are.equal("10.9.0.1", c.address)
      assert.is_true(c.valid_lft <= 100)
      assert.is_true(find(oracle(name), "10.9.0.1").valid_life_time <= 100)
    end)

    it("reads the address back where the kernel does not echo it (inet6 here)", function()
      local ns, name, v = setup("noecho")
      local r0 = ns.requests
      local a = assert(v:addr_add("2001:db8:9::1/64", { flags = { "nodad" } }))
      assert.is_true(ns.requests - r0 <= 2)   -- 2 on a kernel without the echo
      local o = find(oracle(name), "2001:db8:9::1")
      assert.are.equal(o.prefixlen, a.prefixlen)
      assert.are.equal("2001:db8:9::1", a.address)
      assert.is_true(a.flags.nodad)
      assert.are.equal(v.index, a.dev)
    end)
  end)

  describe("reading", function()
    it("reads addresses made by ip, field by field", function()
      local ns, name = setup("read")
      H.ipdo_batch(name, {
        "addr add 10.9.0.1/24 brd + dev v0 label v0:x scope link valid_lft 100 preferred_lft 50",
        "addr add 10.10.10.1 peer 10.10.10.2 dev v0",
        "addr add 10.1.1.2/16 dev v0",
        "addr add 10.1.1.3/16 dev v0",     -- a secondary
        "addr add 2001:db8::1/64 dev v0 nodad noprefixroute",
        "addr add 2001:db8::9 peer 2001:db8::10/128 dev v0",
        "addr add 10.2.0.1/24 dev v1" })
      local infos = oracle(name)
      local v0 = H.iplink(name, "v0").ifindex
      local mine = collect(ns:addrs{ dev = "v0" })
      assert.are.equal(#infos, #mine)
      for _, a in ipairs(mine) do
        local o = find(infos, a.address)
        assert.truthy(o, "ip does not show " .. a.address)
        assert.are.equal(o.family, a.family)
        assert.are.equal(o.prefixlen, a.prefixlen)
        assert.are.equal(a.address .. "/" .. a.prefixlen, a.cidr)
        assert.are.equal(o.scope, a.scope)
        assert.are.equal(o.label, a.label)
        assert.are.equal(o.broadcast, a.broadcast)
        assert.are.equal(o.address, a.peer)
        assert.are.equal(v0, a.dev)
        if o.valid_life_time == FOREVER then
          assert.are.equal("forever", a.valid_lft)
        else
          assert.is_true(math.abs(o.valid_life_time - a.valid_lft) <= 2)
        end
        for _, f in ipairs{ "nodad", "noprefixroute", "home", "secondary", "temporary" } do
          assert.are.equal(o[f] == true, a.flags[f] == true, f .. " of " .. a.address)
        end
      end
      local sec = find(infos, "10.1.1.3")
      assert.is_true(sec.secondary)
    end)

    it("filters by dev and family, on the namespace and on links", function()
      local ns, name, v = setup("filter")
      H.ipdo_batch(name, { "addr add 10.1.0.1/24 dev v0", "addr add 2001:db8::1/64 dev v0 nodad",
                           "addr add 10.2.0.1/24 dev v1" })
      local function cidrs(iter)
        local t = {}
        for a in iter do t[#t + 1] = a.cidr end
        table.sort(t)
        return t
      end
      assert.are.same({ "10.1.0.1/24", "10.2.0.1/24", "2001:db8::1/64" }, cidrs(ns:addrs()))
      assert.are.same({ "10.1.0.1/24", "2001:db8::1/64" }, cidrs(ns:addrs{ dev = "v0" }))
      assert.are.same({ "10.1.0.1/24", "2001:db8::1/64" }, cidrs(ns:addrs{ dev = v }))
      assert.are.same({ "10.2.0.1/24" }, cidrs(ns:addrs{ dev = "v1" }))
      assert.are.same({ "10.1.0.1/24", "10.2.0.1/24" }, cidrs(ns:addrs{ family = "inet" }))
      assert.are.same({ "2001:db8::1/64" }, cidrs(ns:addrs{ family = "inet6", dev = "v0" }))
      assert.are.same({ "2001:db8::1/64" }, cidrs(ns:addrs{ family = 6 }))
      assert.are.same({ "10.1.0.1/24", "2001:db8::1/64" }, cidrs(v:addrs()))
      assert.are.same({ "10.1.0.1/24" }, cidrs(v:addrs{ family = "inet" }))
      assert.are.same({ "2001:db8::1/64" }, cidrs(v:addrs{ family = "ipv6" }))
      -- loopback addresses appear once lo is up
      H.ipdo(name, "link", "set", "lo", "up")
      assert.are.same({ "127.0.0.1/8" }, cidrs(ns:addrs{ dev = "lo", family = "inet" }))
    end)

    it("objects print, compare and release", function()
      local ns, _, v = setup("obj")
      local a = assert(v:addr_add("10.1.1.2/16"))
      assert.are.equal("vnet.addr: 10.1.1.2/16 dev " .. v.index, tostring(a))
      local listed = collect(ns:addrs{ dev = "v0" })[1]
      assert.are.equal(a, listed)
      assert.are_not.equal(a, assert(v:addr_add("10.1.1.3/16")))
      local t = a:totable()
      assert.are.equal("10.1.1.2", t.address)
      assert.are.equal(16, t.prefixlen)
      assert.are.equal("inet", t.family)
      H.raises(function() a.address = "x" end, "read-only")
      -- an address owns no resource (no __gc); __close releases it
      assert.is_nil(getmetatable(a).__gc)
      getmetatable(a).__close(a)
      getmetatable(a).__close(a)   -- twice is fine
      H.raises(function() return a.address end, "released vnet.addr")
      H.raises(function() return a:delete() end, "released vnet.addr")
      assert.are.equal("vnet.addr (released)", tostring(a))
    end)
  end)

  describe("deleting", function()
    it("deletes by object, by cidr, by address alone and by options", function()
      local ns, name, v = setup("del")
      local a = assert(v:addr_add("10.1.1.2/16"))
      -- separate subnets: deleting a primary takes its secondaries along
      assert(v:addr_add("10.2.1.3/16"))
      assert(v:addr_add("10.3.1.4/16"))
      assert(ns:addr_add{ dev = "v0", address = "10.10.10.1", peer = "10.10.10.2" })
      assert(v:addr_add("2001:db8::1/64", { flags = { "nodad" } }))
      assert(ns:addr_add{ dev = "v0", address = "2001:db8::9", peer = "2001:db8::10" })
      assert.are.equal(6, #oracle(name))
      assert.is_true(a:delete())
      assert.is_nil(find(oracle(name), "10.1.1.2"))
      assert.is_true(v:addr_del("10.2.1.3/16"))
      assert.is_nil(find(oracle(name), "10.2.1.3"))
      assert.is_true(v:addr_del("10.3.1.4"))          -- the prefix is looked up
      assert.is_nil(find(oracle(name), "10.3.1.4"))
      assert.is_true(ns:addr_del{ dev = "v0", address = "10.10.10.1" })
      assert.is_true(ns:addr_del{ dev = v, address = "2001:db8::1/64" })
      local p6 = collect(v:addrs())[1]
      assert.are.equal("2001:db8::10", p6.peer)
      assert.is_true(p6:delete())
      assert.are.same({}, oracle(name))
    end)

    it("deletes every address of a link while iterating", function()
      local ns, name, v = setup("delall")
      for i = 1, 5 do assert(v:addr_add("10.5." .. i .. ".1/24")) end
      assert(v:addr_add("2001:db8::1/64", { flags = { "nodad" } }))
      for a in ns:addrs{ dev = v } do assert(a:delete()) end
      assert.are.same({}, oracle(name))
    end)
  end)

  describe("failures", function()
    it("a duplicate gives EEXIST and changes nothing", function()
      local ns, name, v = setup("dup")
      assert(v:addr_add("10.1.1.2/16"))
      assert(v:addr_add("2001:db8::1/64", { flags = { "nodad" } }))
      local before = #oracle(name)
      H.fails("EEXIST", v:addr_add("10.1.1.2/16"))
      H.fails("EEXIST", ns:addr_add{ dev = "v0", address = "10.1.1.2/16" })
      H.fails("EEXIST", v:addr_add("2001:db8::1/64"))
      local msg = H.fails("EEXIST", v:addr_add("10.1.1.2/16"))
      assert.truthy(msg:find("addr_add 10.1.1.2/16 dev v0", 1, true))
      assert.are.equal(before, #oracle(name))
    end)

    it("a device that does not exist gives ENODEV", function()
      local ns, name = setup("nodev")
      local msg = H.fails("ENODEV", ns:addr_add{ dev = "nosuch0", address = "10.1.1.2/16" })
      assert.truthy(msg:find("nosuch0", 1, true))
      H.fails("ENODEV", ns:addr_add{ dev = 4242, address = "10.1.1.2/16" })
      H.fails("ENODEV", ns:addr_del{ dev = "nosuch0", address = "10.1.1.2/16" })
      H.fails("ENODEV", ns:addr_del{ dev = 4242, address = "10.1.1.2/16" })
      H.fails("ENODEV", ns:addrs{ dev = "nosuch0" })
      assert.are.same({}, oracle(name))
    end)

    it("deleting an address that is not there gives EADDRNOTAVAIL", function()
      local ns, name, v = setup("noaddr")
      assert(v:addr_add("10.1.1.2/16"))
      H.fails("EADDRNOTAVAIL", v:addr_del("10.1.1.9/16"))
      H.fails("EADDRNOTAVAIL", v:addr_del("10.1.1.9"))
      H.fails("EADDRNOTAVAIL", v:addr_del("10.1.1.2/24"))      -- wrong prefix
      H.fails("EADDRNOTAVAIL", ns:addr_del{ dev = "v0", address = "2001:db8::1/64" })
      local a = collect(v:addrs())[1]
      assert(a:delete())
      H.fails("EADDRNOTAVAIL", a:delete())
      assert.are.same({}, oracle(name))
    end)
  end)

  describe("misuse raises, naming the function and the field, and leaves nothing behind", function()
    local ns, name, v
    before_each(function() ns, name, v = setup("bad") end)

    local function add(t) return function() return ns:addr_add(t) end end
    local cases = {
      { "bad IPv4 octet", function() return v:addr_add("10.0.0.300/24") end,
        "addr_add", "'10.0.0.300/24'", "not a valid" },
      { "prefix too long", function() return v:addr_add("10.0.0.1/33") end, "'10.0.0.1/33'" },
      { "IPv6 prefix too long", function() return v:addr_add("2001:db8::1/129") end, "/129" },
      { "empty prefix", function() return v:addr_add("10.0.0.1/") end, "not a valid" },
      { "word prefix", function() return v:addr_add("10.0.0.1/x") end, "not a valid" },
      { "not an address", function() return v:addr_add("abc") end, "'abc'" },
      { "empty address", function() return v:addr_add("") end, "not a valid" },
      { "default", function() return v:addr_add("default") end, "not a valid" },
      { "number address", function() return v:addr_add(42) end, "addr_add", "address string" },
      { "no address", function() return v:addr_add() end, "addr_add", "address string" },
      { "opts not a table", function() return v:addr_add("10.0.0.1/24", "x") end,
        "options must be a table" },
      { "unknown key", function() return v:addr_add("10.0.0.1/24", { mtu = 1 }) end,
        "unknown option 'mtu'" },
      { "dev key on link", function() return v:addr_add("10.0.0.1/24", { dev = "v0" }) end,
        "unknown option 'dev'" },
      { "ns opts not a table", function() return ns:addr_add("10.0.0.1/24") end,
        "addr_add", "options must be a table" },
      { "unknown ns key", add{ dev = "v0", address = "10.0.0.1/24", adress = 1 },
        "unknown option 'adress'" },
      { "positional", add{ "10.0.0.1/24", dev = "v0" }, "positional" },
      { "missing address", add{ dev = "v0" }, "option 'address' is required" },
      { "missing dev", add{ address = "10.0.0.1/24" }, "option 'dev' is required" },
      { "address type", add{ dev = "v0", address = true }, "option 'address'", "address string" },
      { "malformed ns address", add{ dev = "v0", address = "10.0.0.300/24" },
        "option 'address' '10.0.0.300/24'" },
      { "dev type", add{ dev = {}, address = "10.0.0.1/24" }, "option 'dev'" },
      { "dev name too long", add{ dev = "averyveryverylongname", address = "10.0.0.1/24" },
        "option 'dev'", "1 to 15 bytes" },
      { "dev index zero", add{ dev = 0, address = "10.0.0.1/24" }, "option 'dev'" },
      { "peer of another family", add{ dev = "v0", address = "10.0.0.1", peer = "2001:db8::1" },
        "option 'peer'", "IPv4" },
      { "malformed peer", add{ dev = "v0", address = "10.0.0.1", peer = "10.0.0.256" },
        "option 'peer'" },
      { "prefix on address with peer", add{ dev = "v0", address = "10.0.0.1/24", peer = "10.0.0.2" },
        "peer" },
      { "broadcast on IPv6", add{ dev = "v0", address = "2001:db8::1/64", broadcast = true },
        "option 'broadcast'", "IPv4" },
      { "broadcast type", add{ dev = "v0", address = "10.0.0.1/24", broadcast = 5 },
        "option 'broadcast'" },
      { "malformed broadcast", add{ dev = "v0", address = "10.0.0.1/24", broadcast = "10.0.0.999" },
        "option 'broadcast'", "not a valid" },
      { "label too long", add{ dev = "v0", address = "10.0.0.1/24", label = "v0:0123456789abc" },
        "option 'label'", "15" },
      { "label on IPv6", add{ dev = "v0", address = "2001:db8::1/64", label = "v0:x" },
        "option 'label'" },
      { "label type", add{ dev = "v0", address = "10.0.0.1/24", label = 5 }, "option 'label'" },
      { "unknown scope", add{ dev = "v0", address = "10.0.0.1/24", scope = "galaxy" },
        "option 'scope'", "galaxy" },
      { "scope out of range", add{ dev = "v0", address = "10.0.0.1/24", scope = 300 },
        "option 'scope'" },
      { "unknown flag", add{ dev = "v0", address = "10.0.0.1/24", flags = { "permanent" } },
        "option 'flags'", "permanent" },
      { "flags type", add{ dev = "v0", address = "10.0.0.1/24", flags = 7 }, "option 'flags'" },
      { "negative lifetime", add{ dev = "v0", address = "10.0.0.1/24", valid_lft = -1 },
        "option 'valid_lft'" },
      { "word lifetime", add{ dev = "v0", address = "10.0.0.1/24", valid_lft = "soon" },
        "option 'valid_lft'", "forever" },
      { "preferred > valid", add{ dev = "v0", address = "10.0.0.1/24", valid_lft = 10,
                                  preferred_lft = 20 }, "preferred_lft" },
      { "fractional metric", add{ dev = "v0", address = "10.0.0.1/24", metric = 1.5 },
        "option 'metric'" },
      { "replace with unknown key", function()
          return ns:addr_replace{ dev = "v0", address = "10.0.0.1/24", x = 1 } end,
        "addr_replace", "unknown option 'x'" },
      { "del without address", function() return ns:addr_del{ dev = "v0" } end,
        "addr_del", "option 'address' is required" },
      { "del without dev", function() return ns:addr_del{ address = "10.0.0.1/24" } end,
        "addr_del", "option 'dev' is required" },
      { "del malformed", function() return ns:addr_del{ dev = "v0", address = "x" } end,
        "addr_del", "'x'" },
      { "del unknown key", function() return ns:addr_del{ dev = "v0", address = "10.0.0.1/24",
                                                          label = "x" } end,
        "unknown option 'label'" },
      { "link del malformed", function() return v:addr_del("10.0.0.1/40") end, "addr_del" },
      { "addrs unknown key", function() return ns:addrs{ devv = "v0" } end,
        "addrs", "unknown option 'devv'" },
      { "addrs bad family", function() return ns:addrs{ family = "ipx" } end,
        "addrs", "option 'family'" },
      { "addrs non-IP family", function() return ns:addrs{ family = "bridge" } end,
        "addrs", "option 'family'" },
      { "link addrs dev key", function() return v:addrs{ dev = "v0" } end,
        "unknown option 'dev'" },
      { "self is not a namespace", function() return ns.addr_add(v, {}) end, "vnet.netns" },
      { "self is not a link", function() return v.addr_add(ns, "10.0.0.1/24") end, "vnet.link" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        H.raises(c[2], select(3, (table.unpack or unpack)(c)))
        assert.are.same({}, oracle(name, "v0"))
        assert.are.same({}, oracle(name, "v1"))
      end)
    end
  end)

  it("require 'vnet' sets no globals and the types are named", function()
    local ns, _, v = setup("names")
    local a = assert(v:addr_add("10.1.1.2/16"))
    assert.are.equal("vnet.addr", getmetatable(a).__name)
    assert.is_nil(rawget(_G, "vnet"))
    assert.truthy(vnet.netns)
    assert.are.equal("function", type(ns.addrs))
  end)
end)
