local H = require "spec.helper"

local LONG = "a-long-alternative-name-for-v0"   -- 30 bytes: past IFNAMSIZ

-- `ip -j link show dev DEV`'s altnames (a list, empty when none)
local function oracle(name, dev)
  return H.ip(name, "link", "show", "dev", dev)[1].altnames or {}
end

describe("link altnames", function()
  after_each(H.cleanup)

  it("adds and removes alternative names, read back like ip link", function()
    local ns, name = H.ns("altadd")
    local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    assert.are.same({}, v0.altnames)
    local l = assert(v0:altname_add("alt0"))
    assert.are.equal(v0, l)
    assert.are.same({ "alt0" }, v0.altnames)
    assert(v0:altname_add(LONG))
    assert.are.same({ "alt0", LONG }, v0.altnames)
    assert.are.same(oracle(name, "v0"), v0.altnames)
    assert.are.same({ "alt0", LONG }, v0:totable().altnames)
    assert.are.same({ "alt0", LONG }, ns:link("v0").altnames)
    -- the listing reads them too
    for l2 in ns:links() do
      if l2.name == "v0" then assert.are.same({ "alt0", LONG }, l2.altnames) end
    end
    assert(v0:altname_del("alt0"))
    assert.are.same({ LONG }, v0.altnames)
    assert.are.same({ LONG }, oracle(name, "v0"))
    H.fails("ENOENT", v0:altname_del("alt0"))
  end)

  it("finds a link by an alternative name wherever a link is named", function()
    local ns, name = H.ns("altfind")
    local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    assert(v0:altname_add("alt0"))
    assert(v0:altname_add(LONG))
    assert.are.equal(v0.index, assert(ns:link("alt0")).index)
    local byl = assert(ns:link(LONG))
    assert.are.equal(v0.index, byl.index)
    assert.are.equal("v0", byl.name)
    -- dev = options (names up to 15 bytes)
    assert(ns:addr_add{ dev = "alt0", address = "10.9.0.1/24" })
    assert.are.equal("10.9.0.1", H.ip(name, "-4", "addr", "show", "dev", "v0")[1].addr_info[1]["local"])
    -- an alternative name that no link has
    H.fails("ENODEV", ns:link("no-such-alternative-name"))
    H.fails("ENODEV", ns:link("nosuchalt"))
  end)

  it("refuses a name a link already has (EEXIST), as ip does", function()
    local ns = H.ns("altdup")
    local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    H.fails("EEXIST", v0:altname_add("v1"))
    assert(v0:altname_add("alt0"))
    H.fails("EEXIST", ns:link("v1"):altname_add("alt0"))
    H.fails("EEXIST", v0:altname_add("alt0"))
    assert.are.same({ "alt0" }, v0.altnames)
  end)

  it("queues inside ns:batch", function()
    local ns, name = H.ns("altbatch")
    local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    assert(ns:batch(function()
      assert.is_true(v0:altname_add("alt0"))
      assert.is_true(v0:altname_add(LONG))
    end))
    assert.are.same({ "alt0", LONG }, oracle(name, "v0"))
    assert.are.same({ "alt0", LONG }, assert(ns:link("v0")).altnames)
  end)

  it("raises on bad names before sending anything", function()
    local ns = H.ns("altbad")
    local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    local before = ns.requests
    for _, c in ipairs{
      { "", "empty" }, { ("x"):rep(128), "longer than 127" }, { "a\0b", "NUL" },
      { "a/b", "not a valid name" }, { "a b", "not a valid name" }, { "a\tb", "not a valid name" },
      { ("x"):rep(100000), "longer than 127" },
    } do
      H.raises(function() v0:altname_add(c[1]) end, "altname_add", c[2])
      H.raises(function() v0:altname_del(c[1]) end, "altname_del", c[2])
    end
    for _, v in ipairs{ 5, true, {}, setmetatable({}, { __tostring = function() return "alt" end }) } do
      H.raises(function() v0:altname_add(v) end, "altname_add", "must be a string")
    end
    H.raises(function() v0:altname_add() end, "altname_add", "must be a string")
    H.raises(function() v0.altname_add(ns, "alt0") end, "vnet.link")
    H.raises(function() ns:link(("x"):rep(128)) end, "link", "longer than 127")
    H.raises(function() ns:link("a-long/name-with-slash") end, "link", "not a valid name")
    assert.are.equal(before, ns.requests)
    -- 127 bytes is the longest the kernel keeps
    local max = ("y"):rep(127)
    assert(v0:altname_add(max))
    assert.are.equal(v0.index, assert(ns:link(max)).index)
    local l = ns:link("v1")
    getmetatable(l).__gc(l)
    H.raises(function() l:altname_add("alt1") end, "released")
  end)
end)
