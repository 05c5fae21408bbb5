-- vnet.netns.new() and ns:pin(name): a namespace that is made first and
-- given its name under /run/netns only when it is ready, so that no one
-- sees it half set up (what the topology layer needs to tag it first).
local H = require "spec.helper"
local vnet = H.vnet

local function listed(name)
  for _, n in ipairs(H.netns_list()) do if n == name then return true end end
  return false
end

local function mounted(name)
  for line in io.lines("/proc/mounts") do
    if line:match("^%S+ (%S+)") == "/run/netns/" .. name then return true end
  end
  return false
end

describe("vnet.netns.new and ns:pin", function()
  teardown(H.cleanup)

  it("makes an unnamed namespace that nothing lists", function()
    local before = H.netns_list()
    local ns = assert(vnet.netns.new())
    assert.is_nil(ns.name)
    assert.are.equal("", ns.path)
    assert.are.equal("vnet.netns: (no name)", tostring(ns))
    assert.are_not.equal(vnet.netns.current(), ns)
    assert.are_not.equal(vnet.netns.current().id, ns.id)
    assert.are.same(before, H.netns_list())
    -- it works like any other: a link made in it, read back
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    assert.are.equal("veth", ns:link("v1").kind)
    ns:close()
  end)

  it("pins it under /run/netns once it is set up, and the handle takes the name", function()
    local ns = assert(vnet.netns.new())
    local lo = assert(ns:link("lo"))
    assert(lo:set{ alias = "made before pinned", up = true })
    local name = H.name("pin")
    assert.is_false(listed(name))
    assert.are.equal(ns, ns:pin(name))
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
    assert.is_true(listed(name))
    assert.is_true(mounted(name))
    -- the very namespace, as iproute2 sees it by its name
    assert.are.equal("made before pinned", H.iplink(name, "lo").ifalias)
    assert.are.equal(ns, assert(vnet.netns.open(name)))
    assert.is_true(vnet.netns.delete(ns))
    assert.is_false(listed(name))
    assert.is_false(mounted(name))
  end)

  it("netns.delete of an unpinned handle raises naming the function", function()
    local ns = assert(vnet.netns.new())
    local err = H.raises(function() vnet.netns.delete(ns) end,
      "netns.delete: namespace has no name under /run/netns")
    assert.is_nil(err:find("'?'", 1, true), err)
    ns:close()
  end)

  it("refuses a name that is taken and leaves the other namespace alone", function()
    local other, name = H.ns("taken")
    assert(other:link("lo"):set{ alias = "the first" })
    local ns = assert(vnet.netns.new())
    H.fails("EEXIST", ns:pin(name))
    assert.is_nil(ns.name)
    assert.are.equal("the first", H.iplink(name, "lo").ifalias)
    assert.are.equal(other, assert(vnet.netns.open(name)))
    -- the handle is still good, and can be pinned elsewhere
    local name2 = H.name("pin")
    assert(ns:pin(name2))
    assert.is_true(listed(name2))
    -- a file that is not a mount point is a taken name too
    local name3 = H.name("file")
    assert(io.open("/run/netns/" .. name3, "w")):close()
    H.fails("EEXIST", assert(vnet.netns.new()):pin(name3))
    assert.is_false(mounted(name3))
    os.remove("/run/netns/" .. name3)
  end)

  it("pins a namespace it did not make, as ip netns attach", function()
    local a, name = H.ns("a")
    local b = H.name("b")
    assert(vnet.netns.open(name):pin(b))
    assert.are.equal(a.id, assert(vnet.netns.open(b)).id)
  end)

  it("raises on bad names and closed handles", function()
    local ns = assert(vnet.netns.new())
    for _, bad in ipairs({ "", "a/b", ".", "..", ("x"):rep(64), "a\0b" }) do
      H.raises(function() ns:pin(bad) end, "pin")
    end
    H.raises(function() ns:pin() end, "pin", "must be a string")
    H.raises(function() ns:pin({}) end, "pin", "must be a string")
    H.raises(function() ns.pin(nil, "x") end, "vnet.netns")
    ns:close()
    H.raises(function() ns:pin(H.name("closed")) end, "closed")
    H.raises(function() vnet.netns.new():pin(true) end, "pin", "must be a string")
    H.raises(function() vnet.netns.add("a\0b") end, "netns.add", "NUL")
  end)

  it("is gone with its last holder when never pinned", function()
    local keeper, kname = H.ns("keep")
    local ns = assert(vnet.netns.new())
    -- a veth between the two: its end in keeper lives as long as ns does
    assert(ns:link_add{ name = "in", kind = "veth", peer = { name = "out", netns = keeper } })
    assert.truthy(H.iplink(kname, "out"))
    ns:close()
    ns = nil
    collectgarbage(); collectgarbage()
    local gone = false
    for _ = 1, 200 do           -- the kernel frees a namespace asynchronously
      if not H.iplink(kname, "out") then gone = true; break end
      H.sh("sleep 0.02")
    end
    assert.is_true(gone)
  end)
end)
