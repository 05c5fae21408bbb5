local H = require "spec.helper"

describe("ns:batch", function()
  teardown(H.cleanup)

  it("queues changes and sends them pipelined", function()
    local ns, name = H.ns("batch")
    local ok = ns:batch(function(n)
      for i = 1, 300 do
        assert.is_true(n:link_add{ name = "a" .. i, kind = "veth", peer = "b" .. i,
                                   up = true, alias = "tag" .. i })
      end
    end)
    assert.is_true(ok)
    local count, tagged = 0, 0
    for _, l in ipairs(H.ip(name, "link", "show")) do
      if l.ifname:match("^[ab]%d+$") then count = count + 1 end
      if l.ifname:match("^a%d+$") and l.ifalias == "tag" .. l.ifname:sub(2) then
        tagged = tagged + 1
      end
    end
    assert.are.equal(600, count)
    assert.are.equal(300, tagged)
  end)

  it("reports each failed request by its position, and sends the rest", function()
    local ns, name = H.ns("batch")
    assert(ns:link_add{ name = "taken", kind = "bridge" })
    local ok, msg, err, failures = ns:batch(function(n)
      n:link_add{ name = "ok1", kind = "bridge" }
      n:link_add{ name = "taken", kind = "bridge" }
      n:link_add{ name = "ok2", kind = "bridge" }
      n:link_add{ name = "taken", kind = "bridge" }
    end)
    assert.is_nil(ok)
    assert.are.equal("EEXIST", err)
    assert.truthy(msg:find("2 of 4 requests failed; request 2: File exists", 1, true), msg)
    assert.are.same({ 2, 4 }, { failures[1].index, failures[2].index })
    assert.are.equal("EEXIST", failures[2].errname)
    assert.truthy(H.iplink(name, "ok1") and H.iplink(name, "ok2"))
  end)

  it("keeps the kernel's text for each failure", function()
    local ns = H.ns("batch")
    local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
    local _, _, err, failures = ns:batch(function(n)
      n:link_add{ name = "br1", kind = "bridge", master = br }
    end)
    assert.are.equal("ELOOP", err)
    assert.truthy(failures[1].message:find("Can not enslave a bridge to a bridge", 1, true))
  end)

  it("sends nothing when the function raises", function()
    local ns, name = H.ns("batch")
    H.raises(function()
      ns:batch(function(n)
        n:link_add{ name = "never0", kind = "bridge" }
        error("changed my mind")
      end)
    end, "changed my mind")
    assert.is_nil(H.iplink(name, "never0"))
    -- the handle works normally afterwards
    assert(ns:link_add{ name = "after0", kind = "bridge" })
    assert.truthy(H.iplink(name, "after0"))
  end)

  it("queues set and delete too; an empty batch is fine", function()
    local ns, name = H.ns("batch")
    local l = assert(ns:link_add{ name = "s0", kind = "veth", peer = "s1" })
    assert.is_true(ns:batch(function()
      assert.is_true(l:set{ mtu = 1400, up = true })
    end))
    assert.are.equal(1400, H.iplink(name, "s0").mtu)
    assert.is_true(ns:batch(function() end))
    assert.is_true(ns:batch(function() assert.is_true(l:delete()) end))
    assert.is_nil(H.iplink(name, "s0"))
  end)

  it("a link set inside a batch reads its new values once the batch is sent", function()
    local ns, name = H.ns("batch")
    local x = assert(ns:link_add{ name = "x0", kind = "bridge" })
    assert.is_true(ns:batch(function()
      assert.is_true(x:set{ mtu = 1400, alias = "queued" })
      -- a read inside the batch sees the kernel as it was
      assert.are.equal(1500, x.mtu)
    end))
    assert.are.equal(1400, x.mtu)
    assert.are.equal("queued", x.alias)
    assert.are.equal(1400, H.iplink(name, "x0").mtu)
    -- a rename is found by index afterwards (made while the link is down:
    -- kernels before 6.2 refuse to rename a device that is up)
    assert.is_true(ns:batch(function() assert.is_true(x:set{ name = "x5", mtu = 1300 }) end))
    assert.are.equal("x5", x.name)
    assert.are.equal(1300, x.mtu)
    assert.truthy(H.iplink(name, "x5"))
    assert.is_true(ns:batch(function() assert.is_true(x:set{ up = true }) end))
    assert.is_true(x.up)
    assert.truthy(table.concat(H.iplink(name, "x5").flags, ","):find("UP", 1, true))
  end)

  it("refuses a queued move of a link object, and pin, inside a batch", function()
    local ns, name = H.ns("batch")
    local other = H.ns("batch")
    local x = assert(ns:link_add{ name = "m0", kind = "veth", peer = "m1" })
    H.raises(function()
      ns:batch(function() x:set{ netns = other } end)
    end, "set: 'netns' cannot be queued in ns:batch")
    assert.truthy(H.iplink(name, "m0"))
    local pinned = H.name("pin")
    local fresh = assert(require("vnet").netns.new())
    H.raises(function()
      fresh:batch(function(n) n:pin(pinned) end)
    end, "pin: cannot be used inside ns:batch")
    assert.is_nil(io.open("/run/netns/" .. pinned))
    -- the handle still works and pins outside the batch
    assert(fresh:pin(pinned))
    assert.truthy(io.open("/run/netns/" .. pinned))
    fresh:close()
  end)

  it("rejects misuse", function()
    local ns = H.ns("batch")
    H.raises(function() ns:batch() end, "function expected")
    H.raises(function() ns:batch(function(n) n:batch(function() end) end) end, "already in a batch")
  end)
end)

describe("ns:batch: calls of several steps", function()
  teardown(H.cleanup)

  -- why link_add sends an alias as a second request: the kernel ignores
  -- IFLA_IFALIAS in the request that creates a device
  it("needs a second request for an alias (the kernel ignores it on creation)", function()
    local _, name = H.ns("balias")
    H.ipdo(name, "link", "add", "k0", "alias", "lost", "type", "bridge")
    assert.is_nil(H.iplink(name, "k0").ifalias)
  end)

  it("a refused link_add with alias leaves the older link's alias alone", function()
    local ns, name = H.ns("balias")
    assert(ns:link_add{ name = "taken", kind = "bridge", alias = "mine" })
    local ok, msg, err, failures = ns:batch(function(n)
      assert.is_true(n:link_add{ name = "new0", kind = "bridge", alias = "a0" })
      assert.is_true(n:link_add{ name = "taken", kind = "bridge", alias = "theirs" })
      assert.is_true(n:link_add{ name = "new1", kind = "bridge" })
      assert.is_true(n:link_add{ name = "taken", kind = "bridge", alias = "again" })
      assert.is_true(n:link_add{ name = "new2", kind = "bridge", alias = "a2" })
    end)
    assert.is_nil(ok)
    assert.are.equal("EEXIST", err)
    -- indexes count the calls, not the requests sent for them
    assert.truthy(msg:find("2 of 5 requests failed; request 2: File exists", 1, true), msg)
    assert.are.same({ 2, 4 }, { failures[1].index, failures[2].index })
    assert.are.equal(2, #failures)
    local o = H.iplinks(name)
    assert.are.equal("mine", o.taken.ifalias)
    assert.are.equal("a0", o.new0.ifalias)
    assert.truthy(o.new1)
    assert.are.equal("a2", o.new2.ifalias)
  end)

  it("counts set{ up = false, name = } as one call", function()
    local ns, name = H.ns("bset")
    local l = assert(ns:link_add{ name = "s0", kind = "veth", peer = "s1", up = true })
    assert(ns:link_add{ name = "b2", kind = "bridge" })
    local ok, _, err, failures = ns:batch(function(n)
      assert.is_true(l:set{ up = false, name = "b2" })
      assert.is_true(n:link_add{ name = "x9", kind = "bridge" })
      assert.is_true(n:link_add{ name = "b2", kind = "bridge" })
    end)
    assert.is_nil(ok)
    assert.are.equal("EEXIST", err)
    assert.are.same({ 1, 3 }, { failures[1].index, failures[2].index })
    assert.truthy(H.iplink(name, "s0"))
    assert.truthy(H.iplink(name, "x9"))
  end)

  it("brings a veth peer up after making the pair", function()
    local ns, name = H.ns("bpeer")
    assert(ns:link_add{ name = "old1", kind = "bridge" })
    local ok, _, err, failures = ns:batch(function(n)
      assert.is_true(n:link_add{ name = "v0", kind = "veth", up = true,
                                 peer = { name = "v1", up = true } })
      -- refused: old1 (a bridge, down) must not be brought up
      assert.is_true(n:link_add{ name = "w0", kind = "veth", peer = { name = "old1", up = true } })
    end)
    assert.is_nil(ok)
    assert.are.equal("EEXIST", err)
    assert.are.same({ 2 }, { failures[1].index })
    local o = H.iplinks(name)
    assert.truthy(table.concat(o.v0.flags, ","):find("UP", 1, true))
    assert.truthy(table.concat(o.v1.flags, ","):find("UP", 1, true))
    assert.falsy(table.concat(o.old1.flags, ","):find("UP", 1, true))
    assert.is_nil(o.w0)
    -- a peer in another namespace, or without a name, cannot be queued
    local other = H.ns("bpeer")
    H.raises(function()
      ns:batch(function(n)
        n:link_add{ name = "q0", kind = "veth", peer = { name = "q1", netns = other, up = true } }
      end)
    end, "link_add", "'up'", "batch")
    H.raises(function()
      ns:batch(function(n) n:link_add{ name = "q0", kind = "veth", peer = { up = true } } end)
    end, "link_add", "'up'", "batch")
    assert.is_nil(H.iplink(name, "q0"))
  end)
end)

describe("ns:batch and what cannot be queued", function()
  teardown(H.cleanup)

  it("refuses tun and tap devices, and the batch makes nothing", function()
    local ns, name = H.ns("btun")
    for _, kind in ipairs({ "tap", "tun" }) do
      H.raises(function()
        ns:batch(function(n)
          n:link_add{ name = "b0", kind = "bridge" }
          n:link_add{ name = "t0", kind = kind }
        end)
      end, "link_add", "a " .. kind .. " device cannot be made inside ns:batch")
      local o = H.iplinks(name)
      assert.is_nil(o.t0)
      assert.is_nil(o.b0)
    end
    -- nor are a tap's own settings changed inside one
    local t = assert(ns:link_add{ name = "t1", kind = "tap" })
    H.raises(function()
      ns:batch(function() t:set_info{ vnet_hdr = true } end)
    end, "set_info", "batch")
    assert.is_false(H.iplink(name, "t1").linkinfo.info_data.vnet_hdr)
    -- its common settings are queued as for any link
    assert.is_true(ns:batch(function() assert.is_true(t:set{ mtu = 1400 }) end))
    assert.are.equal(1400, H.iplink(name, "t1").mtu)
  end)

  it("raises when the handle is closed inside the function, and sends nothing", function()
    local ns, name = H.ns("bclose")
    H.raises(function()
      ns:batch(function(n)
        n:link_add{ name = "c0", kind = "bridge" }
        n:close()
      end)
    end, "batch", "closed inside the batch function", "nothing was sent")
    assert.is_nil(H.iplink(name, "c0"))
    assert.is_true(ns.closed)
  end)
end)

describe("ns:batch across object types", function()
  teardown(H.cleanup)

  it("queues addresses, routes, rules and neighbours", function()
    local ns, name = H.ns("bulk")
    local l = assert(ns:link_add{ name = "d0", kind = "veth", peer = "d1", up = true })
    assert(ns:link("d1")):set{ up = true }
    assert.is_true(ns:batch(function(n)
      assert.is_true(l:addr_add("10.9.0.1/24"))
      for i = 1, 200 do
        assert.is_true(n:route_add{ dst = ("10.%d.%d.0/24"):format(100 + math.floor(i / 256), i % 256),
                                    gateway = "10.9.0.2", table = 100 })
      end
      assert.is_true(n:rule_add{ from = "10.9.0.0/24", table = 100, priority = 1000 })
      assert.is_true(n:neigh_add{ dst = "10.9.0.7", lladdr = "02:00:00:00:00:07", dev = l })
    end))
    assert.are.equal(200, #H.ip(name, "route", "show", "table", "100"))
    local info = H.ip(name, "addr", "show", "dev", "d0")[1].addr_info
    assert.are.equal("10.9.0.1", info[1]["local"])
    local rules = 0
    for _, r in ipairs(H.ip(name, "rule", "show")) do
      if r.priority == 1000 and r.table == "100" then rules = rules + 1 end
    end
    assert.are.equal(1, rules)
    local neigh = H.ip(name, "neigh", "show", "dev", "d0")
    assert.are.equal("02:00:00:00:00:07", neigh[1].lladdr)
  end)
end)
