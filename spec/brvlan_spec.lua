local H = require "spec.helper"

local bridge = H.bridge   -- `bridge -j`: the oracle of this spec

-- `bridge -j vlan show dev DEV` (what = "vlan") or `tunnelshow` as a list of
-- { vid =, vid_end =, pvid =, untagged =, tunnel_id =, tunnel_id_end = }
-- (iproute2 names the keys vlan/vid, vlanEnd/vidEnd, tunid/tunidEnd by version)
local function oracle(name, dev, what)
  local out = {}
  -- -compressvlans: ranges as ranges, as the kernel keeps them
  for _, port in ipairs(bridge(name, "-compressvlans", "vlan", what or "show", "dev", dev)) do
    if port.ifname == dev then
      for _, e in ipairs(port.vlans or port.tunnels or {}) do
        local o = { vid = e.vid or e.vlan, pvid = false, untagged = false }
        o.vid_end = e.vidEnd or e.vlanEnd or o.vid
        for _, f in ipairs(e.flags or {}) do
          if f == "PVID" then o.pvid = true end
          if f == "Egress Untagged" then o.untagged = true end
        end
        o.tunnel_id = e.tunid
        o.tunnel_id_end = e.tunidEnd or e.tunid
        out[#out + 1] = o
      end
    end
  end
  table.sort(out, function(a, b) return a.vid < b.vid end)
  return out
end

local function listed(iter)
  local out = {}
  for e in iter do
    out[#out + 1] = { vid = e.vid, vid_end = e.vid_end, pvid = e.pvid or false,
                      untagged = e.untagged or false, tunnel_id = e.tunnel_id,
                      tunnel_id_end = e.tunnel_id_end }
  end
  table.sort(out, function(a, b) return a.vid < b.vid end)
  return out
end

local setup = H.bridge_port

describe("bridge vlan", function()
  after_each(H.cleanup)

  H.it_kinds({ "bridge_vlan" }, "adds a port's VLANs and ranges, read back like bridge vlan show", function()
    local ns, name, br, v1 = setup("bvadd", { vlan_filtering = true })
    assert.is_true(br.info.vlan_filtering)
    local e = assert(v1:vlan_add{ vid = 10, pvid = true, untagged = true })
    assert.are.equal(10, e.vid)
    assert.are.equal(10, e.vid_end)
    assert.is_true(e.pvid)
    assert.is_true(e.untagged)
    assert.are.equal(v1.index, e.dev)
    assert.is_nil(e.tunnel_id)
    assert.are.equal(("vnet.brvlan: dev %d vid 10 pvid untagged"):format(v1.index), tostring(e))
    local r = assert(v1:vlan_add{ vid = { 20, 30 } })
    assert.are.equal(20, r.vid)
    assert.are.equal(30, r.vid_end)
    assert.is_false(r.pvid)
    assert.are.equal(("vnet.brvlan: dev %d vid 20-30"):format(v1.index), tostring(r))
    local t = r:totable()
    assert.are.equal(30, t.vid_end)
    assert.are.equal(ns, r:ns())
    -- the default VLAN 1 lost its pvid to 10
    local got, want = listed(v1:vlans()), oracle(name, "v1")
    assert.are.same(want, got)
    assert.are.equal(3, #got)
    assert.are.same({ vid = 10, vid_end = 10, pvid = true, untagged = true }, got[2])
    assert.are.same({ vid = 20, vid_end = 30, pvid = false, untagged = false }, got[3])
    -- the listing's objects compare as the kernel's entries
    local again
    for x in v1:vlans() do if x.vid == 20 then again = x end end
    assert.is_true(again == r)
    assert.is_false(again == e)
  end)

  H.it_kinds({ "bridge_vlan" }, "removes VLANs by vlan_del, a range's middle, and vlan:delete()", function()
    local ns, name, br, v1 = setup("bvdel", { vlan_filtering = true })
    assert(v1:vlan_add{ vid = { 20, 30 } })
    assert.is_true(v1:vlan_del{ vid = 25 })
    assert.are.same({ { vid = 20, vid_end = 24 }, { vid = 26, vid_end = 30 } },
      (function()
        local out = {}
        for _, o in ipairs(oracle(name, "v1")) do
          if o.vid ~= 1 then out[#out + 1] = { vid = o.vid, vid_end = o.vid_end } end
        end
        return out
      end)())
    assert.is_true(v1:vlan_del{ vid = { 26, 30 } })
    for x in v1:vlans() do if x.vid == 20 then assert.is_true(x:delete()) end end
    local left = oracle(name, "v1")
    assert.are.equal(1, #left)
    assert.are.equal(1, left[1].vid)
    -- a VLAN the port does not have: the kernel acks it, and nothing changes
    assert.is_true(v1:vlan_del{ vid = 99 })
    assert.are.same(left, oracle(name, "v1"))
  end)

  H.it_kinds({ "bridge_vlan" }, "a bridge's own VLANs are its self, as bridge vlan add ... self", function()
    local ns, name, br = setup("bvself", { vlan_filtering = true })
    local e = assert(br:vlan_add{ vid = 100 })
    assert.are.equal(100, e.vid)
    assert.are.equal(br.index, e.dev)
    local found = false
    for _, o in ipairs(oracle(name, "br0")) do if o.vid == 100 then found = true end end
    assert.is_true(found)
    assert.is_true(e:delete())
    for _, o in ipairs(oracle(name, "br0")) do assert.are_not.equal(100, o.vid) end
    -- asked of the master, a bridge that has none refuses
    local ok, msg, err = br:vlan_add{ vid = 101, master = true }
    assert.is_nil(ok)
    assert.is_string(msg)
    assert.is_string(err)
  end)

  H.it_kinds({ "bridge_vlan" }, "vlan_filtering is set and read through the bridge's info", function()
    local ns, name, br = setup("bvfilt")
    assert.is_false(br.info.vlan_filtering)
    assert(br:set_info{ vlan_filtering = true })
    assert.is_true(ns:link("br0").info.vlan_filtering)
    assert.are.equal(1, H.ip(name, "-d", "link", "show", "br0")[1].linkinfo.info_data.vlan_filtering)
  end)

  H.it_kinds({ "bridge_vlan", "vxlan" }, "maps VLANs to tunnel ids on a vxlan port (bridge vlan tunnelshow)", function()
    local ns, name, br = setup("bvtun", { vlan_filtering = true })
    local vx = assert(ns:link_add{ name = "vx0", kind = "vxlan", id = 100, dstport = 4789,
                                   master = br, up = true })
    assert(vx:vlan_add{ vid = 10 })
    assert(vx:vlan_add{ vid = { 20, 22 } })
    local m = assert(vx:vlan_add{ vid = 10, tunnel_id = 1010 })
    assert.are.equal(10, m.vid)
    assert.are.equal(1010, m.tunnel_id)
    assert.is_nil(m.pvid)
    assert.are.equal(("vnet.brvlan: dev %d vid 10 tunnel_id 1010"):format(vx.index), tostring(m))
    local r = assert(vx:vlan_add{ vid = { 20, 22 }, tunnel_id = 2020 })
    assert.are.equal(22, r.vid_end)
    assert.are.equal(2022, r.tunnel_id_end)
    local got = listed(vx:vlan_tunnels())
    local want = oracle(name, "vx0", "tunnelshow")
    for _, o in ipairs(want) do o.pvid, o.untagged = false, false end
    assert.are.same(want, got)
    assert.are.same({ vid = 10, vid_end = 10, pvid = false, untagged = false,
                      tunnel_id = 1010, tunnel_id_end = 1010 }, got[1])
    -- removing the mapping leaves the VLAN
    assert.is_true(vx:vlan_del{ vid = 10, tunnel_id = 1010 })
    got = listed(vx:vlan_tunnels())
    assert.are.equal(1, #got)
    assert.are.equal(20, got[1].vid)
    local has10 = false
    for e in vx:vlans() do if e.vid <= 10 and 10 <= e.vid_end then has10 = true end end
    assert.is_true(has10)
    for e in vx:vlan_tunnels() do assert.is_true(e:delete()) end
    assert.are.same({}, oracle(name, "vx0", "tunnelshow"))
  end)

  H.it_kinds({ "bridge_vlan" }, "queues inside ns:batch", function()
    local ns, name, br, v1 = setup("bvbatch", { vlan_filtering = true })
    assert(ns:batch(function()
      assert.is_true(v1:vlan_add{ vid = 7 })
      assert.is_true(v1:vlan_add{ vid = { 8, 9 }, untagged = true })
    end))
    local got = listed(v1:vlans())
    assert.are.same(oracle(name, "v1"), got)
    local by = {}
    for _, e in ipairs(got) do by[e.vid] = e end
    assert.are.equal(7, by[7].vid_end)
    assert.are.equal(9, by[8].vid_end)
    assert.is_true(by[8].untagged)
  end)

  it("a kernel without bridge VLAN filtering refuses with EOPNOTSUPP", function()
    if H.kernel_has("bridge_vlan") then return end
    local ns, name, br, v1 = setup("bvnone")
    local msg = H.fails("EOPNOTSUPP", v1:vlan_add{ vid = 10 })
    assert.truthy(msg:find("vlan_add v1 vid 10", 1, true))
    assert.are.same({}, listed(v1:vlans()))
  end)

  -- the kernel turns the port's vlan_tunnel on before it looks at the
  -- mapping, and keeps it on when the mapping is refused (a VLAN the port
  -- does not have) or not kept (no VLAN filtering): vnet turns it off again
  it("a refused tunnel mapping leaves the port's vlan_tunnel as it was", function()
    local ns, name, br, v1 = setup("bvtunfail", { vlan_filtering = H.kernel_has("bridge_vlan") or nil })
    local function tunnel()
      local l = H.ip(name, "link", "show", "dev", "v1")[1]
      return l.linkinfo.info_slave_data.vlan_tunnel
    end
    assert.is_false(tunnel())
    local ok, msg, err = v1:vlan_add{ vid = 99, tunnel_id = 9999 }
    assert.is_nil(ok)
    assert.truthy(err == "EINVAL" or err == "EOPNOTSUPP", tostring(msg))
    assert.truthy(msg:find("vlan_add v1 vid 99 tunnel_id 9999", 1, true), msg)
    assert.is_false(tunnel())
    assert.are.same({}, listed(v1:vlan_tunnels()))
  end)

  it("raises on bad options before sending anything", function()
    local ns, name, br, v1 = setup("bvbad")
    local before = ns.requests
    local bad = {
      { { vid = 0 }, "'vid'" }, { { vid = 4095 }, "'vid'" }, { { vid = 4096 }, "'vid'" },
      { { vid = 2^31 }, "'vid'" }, { { vid = 2^63 }, "'vid'" }, { { vid = 0/0 }, "'vid'" },
      { { vid = 1.5 }, "'vid'" }, { { vid = "10" }, "'vid'" }, { { vid = true }, "'vid'" },
      { {}, "'vid' is required" }, { { vid = {} }, "'vid'" }, { { vid = { 1 } }, "'vid'" },
      { { vid = { 1, 2, 3 } }, "'vid'" }, { { vid = { 5, 3 } }, "ends before" },
      { { vid = { 1, 4095 } }, "'vid' to" }, { { vid = { "1", 2 } }, "'vid' from" },
      { { vid = setmetatable({ 1, 2 }, {}) }, "plain table" },
      { { vid = 10, vlan = 3 }, "unknown option 'vlan'" }, { { 10 }, "positional" },
      { { vid = { 10, 20 }, pvid = true }, "'pvid'" }, { { vid = 10, pvid = 1 }, "'pvid'" },
      { { vid = 10, untagged = "yes" }, "'untagged'" },
      { { vid = 10, tunnel_id = 0 }, "'tunnel_id'" }, { { vid = 10, tunnel_id = 2^24 }, "'tunnel_id'" },
      { { vid = { 10, 20 }, tunnel_id = 2^24 - 5 }, "'tunnel_id'" },
      { { vid = 10, tunnel_id = 5, pvid = true }, "'tunnel_id'" },
      { { vid = 10, master = false, self = false }, "'master' and 'self'" },
      { { vid = 10, master = "x" }, "'master'" },
    }
    for _, c in ipairs(bad) do
      H.raises(function() v1:vlan_add(c[1]) end, "vlan_add", c[2])
    end
    H.raises(function() v1:vlan_del{ vid = 10, pvid = true } end, "vlan_del", "unknown option 'pvid'")
    H.raises(function() v1:vlan_del{ vid = 4095 } end, "vlan_del", "'vid'")
    H.raises(function() v1:vlan_add(nil) end, "vlan_add")
    H.raises(function() v1:vlan_add("10") end, "vlan_add")
    H.raises(function() v1.vlan_add(ns, { vid = 10 }) end, "vnet.link")
    H.raises(function() v1.vlans(br:totable()) end, "vnet.link")
    assert.are.equal(before, ns.requests)
    -- options from __index reach the kernel
    local proxy = setmetatable({}, { __index = function(_, k)
      if k == "vid" then return 12 elseif k == "untagged" then return true end
    end })
    local ok, msg, err = v1:vlan_add(proxy)
    if H.kernel_has("bridge_vlan") then
      assert.truthy(ok, msg)
      assert.is_true(ok.untagged)
    else
      H.fails("EOPNOTSUPP", ok, msg, err)
    end
    local l = ns:link("v0")
    getmetatable(l).__gc(l)
    H.raises(function() l:vlan_add{ vid = 10 } end, "released")
    H.raises(function() l:vlans() end, "released")
  end)
end)
