local H = require "spec.helper"
local vnet = H.vnet

-- `ip -j -n NS netns list-id` as { [nsid] = name or false }
local function oracle(name)
  local out = {}
  for _, e in ipairs(H.ip(name, "netns", "list-id")) do out[e.nsid] = e.name or false end
  return out
end

local function ids(ns)
  local out = {}
  for id, name in ns:nsids() do out[id] = name or false end
  return out
end

describe("namespace ids", function()
  after_each(H.cleanup)

  it("reads the id a veth peer's namespace got, and its name, as ip does", function()
    local a, an = H.ns("nsida")
    local b, bn = H.ns("nsidb")
    local v0 = assert(a:link_add{ name = "v0", kind = "veth", peer = { name = "v1", netns = b } })
    local id = a:nsid(b)
    assert.is_number(id)
    assert.are.equal(id, v0.link_netnsid)
    assert.are.equal(bn, v0.link_netns)
    assert.are.equal(id, a:nsid(bn))                 -- by name
    assert.are.same({ [id] = bn }, oracle(an))
    assert.are.same(oracle(an), ids(a))
    assert.are.equal(bn, v0:totable().link_netns)
    -- a link with no peer elsewhere has neither
    local lo = assert(a:link("lo"))
    assert.is_nil(lo.link_netnsid)
    assert.is_nil(lo.link_netns)
  end)

  it("sets an id as ip netns set, and refuses a second one (EEXIST)", function()
    local a, an = H.ns("nsidset")
    local b, bn = H.ns("nsidset2")
    local c = H.ns("nsidset3")
    -- none yet: a failure triple like every other nil of vnet (it was a
    -- bare nil, which `assert(a:nsid(b))` reported as "assertion failed!")
    local msg = H.fails("ENOENT", a:nsid(b))
    assert.are.equal("nsid " .. bn .. ": no id assigned: No such file or directory", msg)
    H.fails("ENOENT", a:nsid(bn))
    assert.are.equal(42, a:set_nsid(b, 42))
    assert.are.equal(42, a:nsid(b))
    assert.are.same({ [42] = bn }, oracle(an))
    H.fails("EEXIST", a:set_nsid(b, 43))
    H.fails("EEXIST", a:set_nsid(c, 42))            -- taken
    local auto = a:set_nsid(c, "auto")
    assert.is_number(auto)
    assert.are_not.equal(42, auto)
    assert.are.equal(auto, a:nsid(c))
    -- the other side is not changed
    assert.is_nil(b:nsid(a))
  end)

  it("works for namespaces without a name, whose links name none", function()
    local a, an = H.ns("nsidanon")
    local anon = assert(vnet.netns.new())
    local v0 = assert(a:link_add{ name = "v0", kind = "veth", peer = { name = "v1", netns = anon } })
    local id = assert(a:nsid(anon))
    assert.are.equal(id, v0.link_netnsid)
    assert.is_nil(v0.link_netns)
    local got = ids(a)
    assert.is_false(got[id])
    assert.are.same({ [id] = false }, oracle(an))
    anon:close()
  end)

  it("set_nsid raises inside ns:batch (the other namespace's fd goes with it)", function()
    local a = H.ns("nsidbatch")
    local b = H.ns("nsidbatch2")
    H.raises(function() a:batch(function() a:set_nsid(b, 7) end) end, "set_nsid", "batch")
    assert.is_nil(a:nsid(b))
    -- nsid is a read: it is answered inside the batch
    assert(a:batch(function() assert.is_nil(a:nsid(b)) end))
  end)

  it("raises on bad arguments, fails on a namespace that is not there", function()
    local a = H.ns("nsidbad")
    local b = H.ns("nsidbad2")
    local lo = a:link("lo")
    local before = a.requests
    for _, v in ipairs{ 5, true, {}, lo } do
      H.raises(function() a:nsid(v) end, "nsid")
      H.raises(function() a:set_nsid(v, 1) end, "set_nsid")
    end
    H.raises(function() a:nsid() end, "nsid")
    H.raises(function() a:nsid("bad/name") end, "nsid")
    H.raises(function() a:nsid("a\0b") end, "nsid")
    for _, id in ipairs{ -1, 2^31, 2^32 + 1, 2^63, 1.5, 0/0, "5", "", true, {} } do
      H.raises(function() a:set_nsid(b, id) end, "set_nsid", "id")
    end
    H.raises(function() a:set_nsid(b) end, "set_nsid", "id")
    H.raises(function() a.nsid(lo, b) end, "vnet.netns")
    assert.are.equal(before, a.requests)
    H.fails("ENOENT", a:nsid(H.name("nsidnone")))
    H.fails("ENOENT", a:set_nsid(H.name("nsidnone"), 3))
    local c = assert(vnet.netns.open(b.name))
    c:close()
    H.raises(function() a:nsid(c) end, "closed")
    H.raises(function() c:nsid(a) end, "closed")
  end)
end)
