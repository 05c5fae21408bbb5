-- Every link kind: made with its options, read back, changed where the kind
-- allows, deleted; iproute2 (`ip -j -d link`) is the oracle for every setting.
-- Kinds the running kernel lacks are pending here and failures in the
-- full-kernel VM tier (VNET_FULL_KERNEL=1).
local H = require "spec.helper"
local vnet = H.vnet
local unpack = table.unpack or unpack

-- iproute2's ways of printing numbers
local function dotted(n)
  local t = {}
  for i = 4, 1, -1 do
    t[i] = n % 256
    n = math.floor(n / 256)
  end
  return table.concat(t, ".")
end
local function has(list, x)
  for _, v in ipairs(list or {}) do
    if v == x then return true end
  end
  return false
end
local function bool(v) return v == true or v == 1 end
local function merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b or {}) do t[k] = v end
  return t
end

-- Each case: the kind, the options to make it with, what link.info must
-- say afterwards, how to read the same settings from ip's info_data (keys
-- ip does not show are not compared), and a change with its outcome.
-- parent = true makes a veth pair par0/par1 and passes parent = "par0".
local cases = {
  { kind = "vlan", parent = true,
    opts = { id = 100, protocol = "802.1ad", gvrp = true, reorder_hdr = false },
    info = { id = 100, protocol = "802.1ad", gvrp = true, reorder_hdr = false,
             mvrp = false, loose_binding = false },
    ip = function(d)
      return { id = d.id, protocol = d.protocol, gvrp = has(d.flags, "GVRP"),
               reorder_hdr = has(d.flags, "REORDER_HDR"), mvrp = has(d.flags, "MVRP"),
               loose_binding = has(d.flags, "LOOSE_BINDING") }
    end,
    change = { mvrp = true, gvrp = false, loose_binding = true },
    changed = { mvrp = true, gvrp = false, loose_binding = true } },

  -- ip link add ... type vlan id 7 egress-qos-map 1:2 4000000000:7
  --   ingress-qos-map 0:100 7:3; a change adds to the maps (to 0: taken out)
  { kind = "vlan", desc = "vlan with QoS priority maps", parent = true,
    opts = { id = 7, egress_qos = { [1] = 2, [4000000000] = 7 },
             ingress_qos = { [0] = 100, [7] = 3 } },
    info = { id = 7, egress_qos = { [1] = 2, [4000000000] = 7 },
             ingress_qos = { [0] = 100, [7] = 3 } },
    ip = function(d)
      local function map(list)
        local t = {}
        for _, m in ipairs(list or {}) do t[m.from] = m.to end
        return t
      end
      return { id = d.id, egress_qos = map(d.egress_qos), ingress_qos = map(d.ingress_qos) }
    end,
    change = { egress_qos = { [1] = 0, [5] = 6 }, ingress_qos = { [7] = 4294967295 } },
    changed = { egress_qos = { [4000000000] = 7, [5] = 6 },
                ingress_qos = { [0] = 100, [7] = 4294967295 } } },

  { kind = "vxlan", dev = true,
    opts = { id = 4242, remote = "10.9.0.2", ["local"] = "10.9.0.1", dstport = 4789,
             ttl = 17, tos = 8, learning = false, port_range = { 40000, 41000 },
             ageing = 120 },
    info = { id = 4242, remote = "10.9.0.2", ["local"] = "10.9.0.1", dstport = 4789,
             ttl = 17, tos = 8, learning = false, port_range = { 40000, 41000 },
             ageing = 120, multicast = false },
    ip = function(d)
      return { id = d.id, remote = d.remote, ["local"] = d["local"], dstport = d.port,
               ttl = d.ttl, learning = d.learning, ageing = d.ageing,
               port_range = d.port_range and { d.port_range.low, d.port_range.high } }
    end,
    change = { ttl = 33, learning = true, ageing = 60, remote = "10.9.0.3" },
    changed = { ttl = 33, learning = true, ageing = 60, remote = "10.9.0.3" } },

  { kind = "vxlan", desc = "vxlan over IPv6 to a multicast group with ttl inherit",
    dev = true,
    opts = { id = 7, remote = "ff05::100", ["local"] = "2001:db8::1", ttl = "inherit" },
    info = { id = 7, remote = "ff05::100", ["local"] = "2001:db8::1", ttl = "inherit",
             multicast = true },
    ip = function(d)
      return { id = d.id, remote = d.group6, ["local"] = d.local6 }
    end },

  { kind = "macvlan", parent = true, opts = { mode = "private" },
    info = { mode = "private", nopromisc = false },
    ip = function(d) return { mode = d.mode } end,
    change = { mode = "vepa" }, changed = { mode = "vepa" } },

  { kind = "macvtap", parent = true, opts = { mode = "bridge", nopromisc = true },
    info = { mode = "bridge", nopromisc = true },
    ip = function(d) return { mode = d.mode, nopromisc = d.nopromisc or false } end,
    change = { mode = "vepa" }, changed = { mode = "vepa" } },

  { kind = "macvlan", desc = "macvlan in passthru mode", parent = true,
    opts = { mode = "passthru" }, info = { mode = "passthru" },
    ip = function(d) return { mode = d.mode } end },

  { kind = "ipvlan", parent = true, opts = { mode = "l3", flags = "vepa" },
    info = { mode = "l3", flags = "vepa" },
    ip = function(d)
      return { mode = d.mode, flags = d.private and "private" or d.vepa and "vepa"
                                     or "bridge" }
    end,
    change = { mode = "l3s", flags = "private" },
    changed = { mode = "l3s", flags = "private" } },

  { kind = "ipvtap", parent = true, opts = { mode = "l2" },
    info = { mode = "l2", flags = "bridge" },
    ip = function(d) return { mode = d.mode } end },

  { kind = "dummy", opts = {}, info = {} },
  { kind = "ifb", opts = {}, info = {} },
  { kind = "nlmon", opts = {}, info = {} },

  { kind = "bond",
    opts = { mode = "active-backup", miimon = 100, updelay = 200, downdelay = 300,
             xmit_hash_policy = "layer3+4", min_links = 1 },
    info = { mode = "active-backup", miimon = 100, updelay = 200, downdelay = 300,
             xmit_hash_policy = "layer3+4", min_links = 1 },
    ip = function(d)
      return { mode = d.mode, miimon = d.miimon, updelay = d.updelay,
               downdelay = d.downdelay, xmit_hash_policy = d.xmit_hash_policy,
               min_links = d.min_links }
    end,
    change = { min_links = 2, primary_reselect = "better", all_slaves_active = true },
    changed = { min_links = 2, primary_reselect = "better", all_slaves_active = true } },

  { kind = "bridge",
    opts = { stp = true, forward_delay = 400, ageing_time = 1000, hello_time = 300,
             max_age = 1500, priority = 4096, mcast_snooping = false },
    info = { stp = true, forward_delay = 400, ageing_time = 1000, hello_time = 300,
             max_age = 1500, priority = 4096, mcast_snooping = false,
             vlan_filtering = false },
    ip = function(d)
      return { stp = bool(d.stp_state), forward_delay = d.forward_delay,
               ageing_time = d.ageing_time, hello_time = d.hello_time,
               max_age = d.max_age, priority = d.priority,
               mcast_snooping = bool(d.mcast_snooping),
               vlan_filtering = bool(d.vlan_filtering) }
    end,
    change = { stp = false, ageing_time = 2000, forward_delay = 500 },
    changed = { stp = false, ageing_time = 2000, forward_delay = 500 } },

  { kind = "bridge", desc = "bridge with vlan filtering", needs = { "bridge_vlan" },
    opts = { vlan_filtering = true, vlan_protocol = "802.1ad", vlan_default_pvid = 10 },
    info = { vlan_filtering = true, vlan_protocol = "802.1ad", vlan_default_pvid = 10 },
    ip = function(d)
      return { vlan_filtering = bool(d.vlan_filtering), vlan_protocol = d.vlan_protocol,
               vlan_default_pvid = d.vlan_default_pvid }
    end,
    change = { vlan_filtering = false, vlan_protocol = "802.1Q" },
    changed = { vlan_filtering = false, vlan_protocol = "802.1Q" } },

  { kind = "vrf", opts = { table = 1001 }, info = { table = 1001 },
    ip = function(d) return { table = d.table } end },

  { kind = "geneve",
    opts = { id = 99, remote = "10.8.0.2", dstport = 6081, ttl = 40, tos = 16,
             label = 0 },
    info = { id = 99, remote = "10.8.0.2", dstport = 6081, ttl = 40, tos = 16 },
    ip = function(d)
      return { id = d.id, remote = d.remote, dstport = d.port, ttl = d.ttl }
    end },

  { kind = "geneve", desc = "geneve over IPv6 with ttl inherit",
    opts = { id = 98, remote = "2001:db8::8", ttl = "inherit" },
    info = { id = 98, remote = "2001:db8::8", ttl = "inherit", dstport = 6081 },
    ip = function(d) return { id = d.id, remote = d.remote6, dstport = d.port } end },

  { kind = "macsec", parent = true,
    opts = { port = 11, encrypt = true, cipher = "gcm-aes-256", icvlen = 16,
             validate = "check" },
    info = { port = 11, encrypt = true, cipher = "gcm-aes-256", icvlen = 16,
             validate = "check" },
    ip = function(d, o)
      return { encrypt = d.encrypt, cipher = d.cipher_suite:lower(), icvlen = d.icv_len,
               validate = d.validation,
               port = tonumber(d.sci:sub(13, 16), 16) }
    end,
    change = { encrypt = false, validate = "strict", replay = true, window = 32 },
    changed = { encrypt = false, validate = "strict", replay = true, window = 32 } },

  { kind = "macsec", desc = "macsec with an SCI", parent = true,
    opts = { sci = "020000000001000f" },
    info = { sci = "020000000001000f", port = 15, cipher = "gcm-aes-128" },
    ip = function(d) return { sci = d.sci, cipher = d.cipher_suite:lower() } end },

  -- tunnels
  { kind = "ipip", dev = true,
    opts = { remote = "192.0.2.2", ["local"] = "192.0.2.1", ttl = 64, tos = 16 },
    info = { remote = "192.0.2.2", ["local"] = "192.0.2.1", ttl = 64, tos = 16,
             pmtudisc = true, proto = "ipip" },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], ttl = d.ttl,
               pmtudisc = d.pmtudisc, proto = d.proto }
    end,
    change = { ttl = 30, remote = "192.0.2.3" },
    changed = { ttl = 30, remote = "192.0.2.3", ["local"] = "192.0.2.1", tos = 16 } },

  { kind = "sit",
    opts = { remote = "192.0.2.4", ["local"] = "192.0.2.1", ttl = "inherit", isatap = true },
    info = { remote = "192.0.2.4", ["local"] = "192.0.2.1", ttl = 0, isatap = true,
             proto = "ip6ip" },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], isatap = d.isatap or false,
               proto = d.proto }
    end,
    change = { ttl = 9, tos = 4 },
    changed = { ttl = 9, tos = 4, remote = "192.0.2.4", isatap = true } },

  { kind = "ip6tnl",
    opts = { remote = "2001:db8::2", ["local"] = "2001:db8::1", ttl = 33, encaplimit = 2,
             tclass = 4, flowlabel = 77, proto = "ipip6" },
    info = { remote = "2001:db8::2", ["local"] = "2001:db8::1", ttl = 33, encaplimit = 2,
             tclass = 4, flowlabel = 77, proto = "ipip6" },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], ttl = d.ttl,
               encaplimit = d.encap_limit, proto = d.proto,
               tclass = tonumber(d.tclass), flowlabel = tonumber(d.flowlabel) }
    end,
    change = { encaplimit = "none", tclass = "inherit", ttl = 70 },
    changed = { encaplimit = "none", tclass = "inherit", ttl = 70, flowlabel = 77,
                remote = "2001:db8::2" },
    ip_changed = function(d)
      return { encaplimit = d.ip6_tnl_f_ign_encap_limit and "none",
               tclass = d.ip6_tnl_f_use_orig_tclass and "inherit", ttl = d.ttl,
               flowlabel = tonumber(d.flowlabel) }
    end },

  { kind = "gre",
    opts = { remote = "192.0.2.5", ["local"] = "192.0.2.1", key = 42, ttl = 32,
             tos = "inherit", csum = true, pmtudisc = true },
    info = { remote = "192.0.2.5", ["local"] = "192.0.2.1", key = 42, ikey = 42, okey = 42,
             ttl = 32, tos = 1, csum = true, seq = false, pmtudisc = true },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], ikey = d.ikey and d.ikey,
               ttl = d.ttl, csum = (d.icsum and d.ocsum) or false,
               seq = d.iseq or false, pmtudisc = d.pmtudisc }
    end,
    ipkeys = true,
    change = { ttl = 10, remote = "192.0.2.6" },
    changed = { ttl = 10, remote = "192.0.2.6", key = 42, tos = 1, csum = true } },

  { kind = "gretap",
    opts = { remote = "192.0.2.7", ["local"] = "192.0.2.1", ikey = 1, okey = "0.0.1.2",
             seq = true },
    info = { remote = "192.0.2.7", ["local"] = "192.0.2.1", ikey = 1, okey = 258,
             iseq = true, oseq = true },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], iseq = d.iseq or false,
               oseq = d.oseq or false }
    end,
    ipkeys = true,
    change = { oseq = false, okey = 3 },
    changed = { iseq = true, oseq = false, ikey = 1, okey = 3 } },

  { kind = "ip6gre",
    opts = { remote = "2001:db8::3", ["local"] = "2001:db8::1", key = 5, encaplimit = 3,
             flowlabel = "inherit", ttl = 100 },
    info = { remote = "2001:db8::3", ["local"] = "2001:db8::1", key = 5, encaplimit = 3,
             flowlabel = "inherit", ttl = 100 },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], encaplimit = d.encap_limit,
               ttl = d.ttl, flowlabel = d.ip6_tnl_f_use_orig_flowlabel and "inherit" }
    end,
    ipkeys = true,
    change = { encaplimit = 8, flowlabel = 5 },
    changed = { encaplimit = 8, flowlabel = 5, key = 5, ttl = 100 } },

  { kind = "ip6gretap",
    opts = { remote = "2001:db8::4", ["local"] = "2001:db8::1" },
    info = { remote = "2001:db8::4", ["local"] = "2001:db8::1", encaplimit = 4, ttl = 64 },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], encaplimit = d.encap_limit,
               ttl = d.ttl }
    end },

  { kind = "erspan",
    opts = { remote = "192.0.2.8", ["local"] = "192.0.2.1", key = 9, version = 1,
             index = 123 },
    info = { remote = "192.0.2.8", ["local"] = "192.0.2.1", key = 9, version = 1,
             index = 123, iseq = true, oseq = true },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], version = d.erspan_ver,
               index = d.erspan_index, iseq = d.iseq, oseq = d.oseq }
    end,
    ipkeys = true,
    change = { index = 321 },
    changed = { index = 321, key = 9, remote = "192.0.2.8" } },

  { kind = "erspan", desc = "erspan version 2",
    opts = { remote = "192.0.2.9", ["local"] = "192.0.2.1", key = 10, version = 2,
             direction = "egress", hwid = 7 },
    info = { remote = "192.0.2.9", key = 10, version = 2, direction = "egress", hwid = 7 },
    ip = function(d)
      return { remote = d.remote, version = d.erspan_ver, direction = d.erspan_dir,
               hwid = tonumber(d.erspan_hwid) }
    end,
    ipkeys = true },

  { kind = "ip6erspan",
    opts = { remote = "2001:db8::5", ["local"] = "2001:db8::1", key = 11, version = 2,
             direction = "ingress", hwid = 3 },
    info = { remote = "2001:db8::5", ["local"] = "2001:db8::1", key = 11, version = 2,
             direction = "ingress", hwid = 3 },
    ip = function(d)
      return { remote = d.remote, ["local"] = d["local"], version = d.erspan_ver,
               direction = d.erspan_dir, hwid = tonumber(d.erspan_hwid) }
    end,
    ipkeys = true },

  { kind = "vti",
    opts = { remote = "192.0.2.10", ["local"] = "192.0.2.1", key = 5, fwmark = 7 },
    info = { remote = "192.0.2.10", ["local"] = "192.0.2.1", key = 5, fwmark = 7 },
    ip = function(d) return { remote = d.remote, ["local"] = d["local"] } end,
    ipkeys = true,
    change = { okey = 6 },
    changed = { ikey = 5, okey = 6, remote = "192.0.2.10", fwmark = 7 }, unset = { "key" } },

  { kind = "vti6",
    opts = { remote = "2001:db8::6", ["local"] = "2001:db8::1", ikey = 5, okey = 6 },
    info = { remote = "2001:db8::6", ["local"] = "2001:db8::1", ikey = 5, okey = 6 },
    ip = function(d) return { remote = d.remote, ["local"] = d["local"] } end,
    ipkeys = true },

  -- tun and tap (the kernel's kind is "tun" for both; ip shows the type in info_data)
  { kind = "tap", ip_kind = "tun",
    opts = { owner = 1234, owner_group = 4321, vnet_hdr = true },
    info = { type = "tap", owner = 1234, owner_group = 4321, vnet_hdr = true, pi = false,
             multi_queue = false, persist = true },
    ip = function(d)
      return { type = d.type, vnet_hdr = d.vnet_hdr, pi = d.pi, multi_queue = d.multi_queue,
               persist = d.persist, owner = tonumber(d.user), owner_group = tonumber(d.group) }
    end,
    change = { owner = 0, vnet_hdr = false, pi = true },
    changed = { owner = 0, vnet_hdr = false, pi = true } },

  { kind = "tun", opts = { multi_queue = true, owner = "root", owner_group = "root" },
    info = { type = "tun", owner = 0, owner_group = 0, multi_queue = true, pi = false },
    ip = function(d)
      return { type = d.type, multi_queue = d.multi_queue, pi = d.pi }
    end },
}

-- Compares the keys of want with got, naming the key on a mismatch.
local function agree(want, got, what)
  for k, v in pairs(want) do
    assert.are.same(v, got[k], what .. ": '" .. k .. "'")
  end
end

-- ip's view of the keys of a tunnel, as numbers
local function ip_keys(d, t)
  if d.ikey then t.ikey = d.ikey end
  if d.okey then t.okey = d.okey end
  return t
end
local function dotted_keys(info)
  local t = {}
  for _, k in ipairs({ "ikey", "okey" }) do
    if info[k] then t[k] = dotted(info[k]) end
  end
  if info.key then t.ikey, t.okey = dotted(info.key), dotted(info.key) end
  return t
end

describe("link kinds", function()
  after_each(H.cleanup)

  it("are all known to the core", function()
    local set = {}
    for _, k in ipairs(vnet.core.kinds()) do set[k] = true end
    for _, k in ipairs({ "veth", "bridge", "vlan", "vxlan", "macvlan", "macvtap", "ipvlan",
                         "ipvtap", "tun", "tap", "dummy", "ifb", "nlmon", "bond", "vrf",
                         "geneve", "macsec", "ipip", "sit", "ip6tnl", "gre", "gretap",
                         "ip6gre", "ip6gretap", "erspan", "ip6erspan", "vti", "vti6" }) do
      assert.is_true(set[k], k)
    end
  end)

  for _, c in ipairs(cases) do
    local needs = { c.kind }
    for _, n in ipairs(c.needs or {}) do needs[#needs + 1] = n end
    H.it_kinds(needs, (c.desc or c.kind)
             .. ": made, read back, changed and deleted as ip sees it",
               function()
      local ns, name = H.ns(c.kind)
      local opts = merge(c.opts, { name = "k0", kind = c.kind })
      if c.parent then
        assert(ns:link_add{ name = "par0", kind = "veth", peer = "par1" })
        opts.parent = "par0"
      end
      if c.dev then
        assert(ns:link_add{ name = "und0", kind = "veth", peer = "und1" })
        opts.dev = "und0"
      end
      local l = assert(ns:link_add(opts))
      local kind = c.read_kind or c.kind
      assert.are.equal(kind, l.kind)
      agree(c.info, l.info, "link.info")
      local iplinks = H.iplinks(name)
      local o = iplinks.k0
      assert.are.equal(c.ip_kind or kind, o.linkinfo.info_kind)
      local d = o.linkinfo.info_data or {}
      if c.ip then
        local seen = c.ip(d, o)
        if c.ipkeys then ip_keys(d, seen) end
        local want = merge(c.info, c.ipkeys and dotted_keys(c.info) or nil)
        for k, v in pairs(seen) do
          assert.are.same(want[k], v, "ip -d link: '" .. k .. "'")
        end
      end
      if c.parent then
        assert.are.equal(iplinks.par0.ifindex, l.link)
        assert.are.equal("par0", o.link)
      end
      if c.dev then
        assert.are.equal(iplinks.und0.ifindex, l.info.dev)
      end
      -- a fresh read agrees, and the kind filter finds it
      agree(c.info, assert(ns:link("k0")).info, "ns:link")
      local found = {}
      for x in ns:links{ kind = kind } do found[#found + 1] = x.name end
      assert.are.same({ "k0" }, found)
      if c.change then
        assert.are.equal(l, assert(l:set_info(c.change)))
        local want = merge(c.info, c.changed)
        for _, k in ipairs(c.unset or {}) do want[k] = nil end
        agree(want, l.info, "after set_info")
        for _, k in ipairs(c.unset or {}) do assert.is_nil(l.info[k], k) end
        agree(want, assert(ns:link("k0")).info, "after set_info, read again")
        d = H.iplink(name, "k0").linkinfo.info_data or {}
        local ipf = c.ip_changed or c.ip
        if ipf then
          local seen = ipf(d, o)
          if c.ipkeys then ip_keys(d, seen) end
          local w = merge(want, c.ipkeys and dotted_keys(want) or nil)
          for k, v in pairs(seen) do
            assert.are.same(w[k], v, "ip -d link after set_info: '" .. k .. "'")
          end
        end
      end
      assert.is_true(l:delete())
      assert.is_nil(H.iplink(name, "k0"))
    end)
  end

  describe("reading links made by ip", function()
    H.it_kinds({ "vlan" }, "vlan", function()
      local ns, name = H.ns("rvlan")
      H.ipdo_batch(name, { "link add p0 type veth peer name p1",
                           "link add link p0 name v0 type vlan id 7 protocol 802.1ad "
                           .. "mvrp on loose_binding on" })
      local i = assert(ns:link("v0")).info
      assert.are.same({ id = 7, protocol = "802.1ad", mvrp = true, loose_binding = true,
                        reorder_hdr = true, gvrp = false, bridge_binding = false }, i)
    end)

    H.it_kinds({ "gre" }, "gre", function()
      local ns, name = H.ns("rgre")
      H.ipdo(name, "link", "add", "g0", "type", "gre", "remote", "192.0.2.1", "local",
             "192.0.2.2", "ttl", "12", "ikey", "0.0.0.3", "okey", "4", "icsum", "oseq")
      local i = assert(ns:link("g0")).info
      agree({ remote = "192.0.2.1", ["local"] = "192.0.2.2", ttl = 12, ikey = 3, okey = 4,
              icsum = true, ocsum = false, iseq = false, oseq = true }, i, "gre")
      assert.is_nil(i.key)
    end)

    H.it_kinds({ "vxlan" }, "vxlan", function()
      local ns, name = H.ns("rvx")
      H.ipdo(name, "link", "add", "x0", "type", "vxlan", "id", "10", "remote", "10.1.1.1",
             "dstport", "4789", "srcport", "5000", "6000", "nolearning", "ttl", "3")
      agree({ id = 10, remote = "10.1.1.1", dstport = 4789, port_range = { 5000, 6000 },
              learning = false, ttl = 3 }, assert(ns:link("x0")).info, "vxlan")
    end)

    it("bridge", function()
      local ns, name = H.ns("rbr")
      H.ipdo(name, "link", "add", "b0", "type", "bridge", "stp_state", "1",
             "forward_delay", "700", "priority", "100")
      agree({ stp = true, forward_delay = 700, priority = 100 },
            assert(ns:link("b0")).info, "bridge")
      local id = assert(ns:link("b0")).info.bridge_id
      assert.truthy(id:match("^0064%.%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$"), id)
    end)

    H.it_kinds({ "tap", "tun" }, "tap and tun", function()
      local ns, name = H.ns("rtap")
      H.ipdo_batch(name, { "tuntap add t0 mode tap user 12 group 34 multi_queue",
                           "tuntap add t1 mode tun pi" })
      local t0, t1 = assert(ns:link("t0")), assert(ns:link("t1"))
      -- ip: info_kind "tun" for both, info_data.type tells them apart
      local o = H.iplinks(name)
      assert.are.same({ "tun", "tap", "tun", "tun" },
                      { o.t0.linkinfo.info_kind, o.t0.linkinfo.info_data.type,
                        o.t1.linkinfo.info_kind, o.t1.linkinfo.info_data.type })
      assert.are.equal("tap", t0.kind)
      assert.are.equal("tun", t1.kind)
      assert.truthy(tostring(t0):find("(tap,", 1, true), tostring(t0))
      agree({ type = "tap", owner = 12, owner_group = 34, multi_queue = true, pi = false,
              persist = true }, t0.info, "tap")
      agree({ type = "tun", pi = true, multi_queue = false }, t1.info, "tun")
      assert.is_nil(t1.info.owner)
      local function names(kind)
        local t = {}
        for l in ns:links{ kind = kind } do t[#t + 1] = l.name end
        table.sort(t)
        return t
      end
      assert.are.same({ "t0" }, names("tap"))
      assert.are.same({ "t1" }, names("tun"))
      -- and so for devices vnet makes
      assert(ns:link_add{ name = "t2", kind = "tap" })
      assert(ns:link_add{ name = "t3", kind = "tun" })
      assert.are.same({ "t0", "t2" }, names("tap"))
      assert.are.same({ "t1", "t3" }, names("tun"))
      assert.are.equal("tap", assert(ns:link("t2")).kind)
      assert.are.equal("tap", assert(ns:link("t2")).info.type)
    end)
  end)

  describe("bad options", function()
    -- each raises naming the field, and leaves nothing behind
    local bad = {
      { { kind = "vlan", parent = "p0", id = 5000 }, "link_add", "'id'", "4094" },
      { { kind = "vlan", parent = "p0", id = -1 }, "'id'" },
      { { kind = "vlan", parent = "p0" }, "'id'", "required" },
      { { kind = "vlan", id = 5 }, "'parent'", "required" },
      { { kind = "vlan", parent = "p0", id = 5, protocol = "802.1x" }, "'protocol'",
        "'802.1Q'" },
      { { kind = "vlan", parent = "p0", id = "5" }, "'id'", "integer" },
      { { kind = "vlan", parent = "p0", id = 5, gvrp = 1 }, "'gvrp'", "boolean" },
      { { kind = "vlan", parent = "p0", id = 5, mode = "l2" }, "unknown option 'mode'" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = 5 }, "'egress_qos'", "table" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [1] = 8 } }, "'egress_qos'",
        "7" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [2^32] = 1 } },
        "'egress_qos'", "4294967295" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [-1] = 1 } }, "'egress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [1.5] = 1 } }, "'egress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { a = 1 } }, "'egress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [1] = "2" } }, "'egress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, egress_qos = { [1] = 0 / 0 } }, "'egress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, ingress_qos = { [8] = 1 } }, "'ingress_qos'",
        "7" },
      { { kind = "vlan", parent = "p0", id = 5, ingress_qos = { [0] = 2^32 } },
        "'ingress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5, ingress_qos = { [0] = 2^63 } },
        "'ingress_qos'" },
      { { kind = "vlan", parent = "p0", id = 5,
          ingress_qos = setmetatable({}, { __index = function() return 1 end }) },
        "'ingress_qos'", "plain" },
      { { kind = "vlan", parent = "p0", id = 5,
          egress_qos = (function()
            local t = {}
            for i = 1, 300 do t[i] = 1 end
            return t
          end)() }, "'egress_qos'", "256" },
      { { kind = "vxlan", remote = "10.0.0.1" }, "'id'", "required" },
      { { kind = "vxlan", id = 16777216 }, "'id'", "16777215" },
      { { kind = "vxlan", id = 1, remote = "10.0.0.300" }, "'remote'", "10.0.0.300" },
      { { kind = "vxlan", id = 1, remote = "10.0.0.0/24" }, "'remote'" },
      { { kind = "vxlan", id = 1, ttl = "forever" }, "'ttl'", "inherit" },
      { { kind = "vxlan", id = 1, port_range = { 10 } }, "'port_range'" },
      { { kind = "vxlan", id = 1, port_range = { 20, 10 } }, "'port_range'" },
      { { kind = "vxlan", id = 1, dstport = 70000 }, "'dstport'" },
      { { kind = "macvlan", parent = "p0", mode = "bridged" }, "'mode'", "'bridge'" },
      { { kind = "macvtap", parent = "p0", mode = 4 }, "'mode'" },
      { { kind = "ipvlan", parent = "p0", mode = "l4" }, "'mode'", "'l3s'" },
      { { kind = "ipvlan", parent = "p0", flags = "public" }, "'flags'" },
      { { kind = "bond", mode = "fastest" }, "'mode'", "'802.3ad'" },
      { { kind = "bond", miimon = -5 }, "'miimon'" },
      { { kind = "bond", xmit_hash_policy = "layer9" }, "'xmit_hash_policy'" },
      { { kind = "bridge", stp = "yes" }, "'stp'", "boolean" },
      { { kind = "bridge", priority = 70000 }, "'priority'" },
      { { kind = "bridge", vlan_protocol = "qinq" }, "'vlan_protocol'" },
      { { kind = "vrf" }, "'table'", "required" },
      { { kind = "vrf", table = "no-such-table" }, "'table'", "no-such-table" },
      { { kind = "geneve", remote = "10.0.0.1" }, "'id'", "required" },
      { { kind = "geneve", id = 1, remote = "nowhere" }, "'remote'" },
      { { kind = "macsec", parent = "p0", sci = "xyz" }, "'sci'" },
      { { kind = "macsec", parent = "p0", sci = "1", port = 2 }, "'sci'", "'port'" },
      { { kind = "macsec", parent = "p0", cipher = "rot13" }, "'cipher'" },
      { { kind = "macsec", parent = "p0", icvlen = 4 }, "'icvlen'" },
      { { kind = "ipip", remote = "10.0.0.300" }, "'remote'", "10.0.0.300" },
      { { kind = "ipip", remote = "2001:db8::1" }, "'remote'", "IPv4" },
      { { kind = "ipip", ["local"] = "1.2.3" }, "'local'" },
      { { kind = "ipip", ttl = 256 }, "'ttl'" },
      { { kind = "ipip", proto = "ip6ip6" }, "'proto'" },
      { { kind = "sit", isatap = "on" }, "'isatap'", "boolean" },
      { { kind = "ip6tnl", remote = "192.0.2.1" }, "'remote'", "IPv6" },
      { { kind = "ip6tnl", encaplimit = "never" }, "'encaplimit'", "none" },
      { { kind = "ip6tnl", tclass = 256 }, "'tclass'" },
      { { kind = "ip6tnl", flowlabel = 1048576 }, "'flowlabel'" },
      { { kind = "gre", remote = "::1" }, "'remote'", "IPv4" },
      { { kind = "gre", key = "0.0.0" }, "'key'", "dotted quad" },
      { { kind = "gre", key = -1 }, "'key'" },
      { { kind = "gre", key = 1, ikey = 2 }, "'key'", "'ikey'" },
      { { kind = "gre", tos = "high" }, "'tos'", "inherit" },
      { { kind = "gretap", pmtudisc = "yes" }, "'pmtudisc'" },
      { { kind = "ip6gre", remote = "10.0.0.1" }, "'remote'", "IPv6" },
      { { kind = "erspan", remote = "10.0.0.1" }, "'key'", "required" },
      { { kind = "erspan", key = 1, version = 3 }, "'version'" },
      { { kind = "erspan", key = 1, version = 2, index = 5 }, "'index'", "version 1" },
      { { kind = "erspan", key = 1, version = 1, hwid = 5 }, "'hwid'", "version 2" },
      { { kind = "erspan", key = 1, index = 1048576 }, "'index'" },
      { { kind = "erspan", key = 1, seq = true }, "unknown option 'seq'" },
      { { kind = "vti", remote = "bad" }, "'remote'" },
      { { kind = "vti", ttl = 5 }, "unknown option 'ttl'" },
      { { kind = "vti6", key = {} }, "'key'" },
      { { kind = "tap", owner = "no-such-user-here" }, "'owner'", "no-such-user-here" },
      { { kind = "tap", owner = -1 }, "'owner'" },
      { { kind = "tun", owner_group = "no-such-group-here" }, "'owner_group'" },
      { { kind = "tun", multi_queue = "yes" }, "'multi_queue'", "boolean" },
      { { kind = "tun", id = 5 }, "unknown option 'id'" },
      { { kind = "dummy", id = 5 }, "unknown option 'id'" },
    }
    it("raise naming the field, and nothing is made", function()
      local ns, name = H.ns("bad")
      assert(ns:link_add{ name = "p0", kind = "veth", peer = "p1" })
      local before = #H.ip(name, "link", "show")
      -- each case its own name, so that what ip lists at the end tells
      -- which case made a link, if one did
      local errs = {}
      for i, b in ipairs(bad) do
        local opts = merge(b[1], { name = "bad" .. i })
        local frags = {}
        for j = 2, #b do frags[#frags + 1] = b[j] end
        local err = H.raises(function() ns:link_add(opts) end, unpack(frags))
        assert.truthy(err:find("link_add", 1, true), err)
        errs[i] = err
      end
      local after = H.ip(name, "link", "show")
      for _, l in ipairs(after) do
        local i = tonumber(l.ifname:match("^bad(%d+)$"))
        assert.is_nil(i, i and ("made a link for " .. errs[i]))
      end
      assert.are.equal(before, #after)
    end)

    H.it_kinds({ "vlan" }, "a missing parent or device is a failure naming it", function()
      local ns, name = H.ns("badref")
      local msg = H.fails("ENODEV", ns:link_add{ name = "v0", kind = "vlan", parent = "nope0",
                                                 id = 5 })
      assert.truthy(msg:find("nope0", 1, true), msg)
      assert.is_nil(H.iplink(name, "v0"))
    end)

    H.it_kinds({ "vxlan" }, "a missing vxlan device is a failure naming it", function()
      local ns, name = H.ns("badvx")
      local msg = H.fails("ENODEV", ns:link_add{ name = "x0", kind = "vxlan", id = 5,
                                                 dev = "nope1" })
      assert.truthy(msg:find("nope1", 1, true), msg)
      assert.is_nil(H.iplink(name, "x0"))
    end)

    H.it_kinds({ "tap", "tun" }, "a taken name is EEXIST, for tap too", function()
      local ns, name = H.ns("dup")
      assert(ns:link_add{ name = "t0", kind = "tap" })
      H.fails("EEXIST", ns:link_add{ name = "t0", kind = "tap" })
      H.fails("EEXIST", ns:link_add{ name = "t0", kind = "tun" })
      H.fails("EEXIST", ns:link_add{ name = "t0", kind = "bridge" })
      assert(ns:link_add{ name = "b0", kind = "bridge" })
      H.fails("EEXIST", ns:link_add{ name = "b0", kind = "tap" })
      assert.are.equal("bridge", H.iplink(name, "b0").linkinfo.info_kind)
    end)
  end)

  describe("tun and tap", function()
    H.it_kinds({ "tap" }, "are made directly in another namespace, with the common settings", function()
      local ns, name = H.ns("tapsrc")
      local other, oname = H.ns("tapdst")
      local t = assert(ns:link_add{ name = "t0", kind = "tap", netns = other, mtu = 1400,
                                    up = true, owner = 7 })
      assert.are.equal(other, t:ns())
      assert.is_nil(H.iplink(name, "t0"))
      local o = H.iplink(oname, "t0")
      assert.are.equal(1400, o.mtu)
      assert.truthy(has(o.flags, "UP"))
      assert.are.equal("tap", o.linkinfo.info_data.type)
      assert.are.equal(7, t.info.owner)
      assert.is_true(t:delete())
      assert.is_nil(H.iplink(oname, "t0"))
    end)

    H.it_kinds({ "tap", "tun" }, "are not made when a common option is bad", function()
      local ns, name = H.ns("tapbad")
      H.raises(function() ns:link_add{ name = "t0", kind = "tap", mtu = "big" } end,
               "link_add", "'mtu'")
      H.raises(function() ns:link_add{ name = "t1", kind = "tun", address = "nope" } end,
               "link_add", "'address'")
      local _, msg, err = ns:link_add{ name = "t2", kind = "tap", master = "nosuch0" }
      assert.are.equal("ENODEV", err, msg)
      for _, n in ipairs({ "t0", "t1", "t2" }) do assert.is_nil(H.iplink(name, n), n) end
    end)
  end)

  describe("set_info", function()
    it("refuses a veth's peer, which is made with the link", function()
      local ns = H.ns("vethset")
      local l = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
      H.raises(function() l:set_info{ peer = "v2" } end, "set_info", "'peer'", "cannot be changed")
      H.raises(function() l:set_info{ id = 2 } end, "set_info", "unknown option 'id'")
      assert.are.same({ "peer" }, vnet.core.kind("veth").options)
    end)

    it("checks its self before anything else", function()
      local ns = H.ns("selfchk")
      local l = assert(ns:link_add{ name = "b0", kind = "bridge" })
      for _, bad in ipairs({ 0, ns, "b0", {} }) do
        H.raises(function() l.set_info(bad, { stp = true }) end, "vnet.link")
        H.raises(function() l.set_port(bad, { cost = 1 }) end, "vnet.link")
        H.raises(function() l.port(bad) end, "vnet.link")
      end
    end)

    H.it_kinds({ "tap" }, "raises on options a kind cannot change, and on unknown ones", function()
      local ns = H.ns("setinfo")
      local t = assert(ns:link_add{ name = "t0", kind = "tap", multi_queue = false })
      H.raises(function() t:set_info{ multi_queue = true } end, "set_info", "'multi_queue'",
               "cannot be changed")
      H.raises(function() t:set_info{ mtu = 1400 } end, "set_info", "unknown option 'mtu'")
      H.raises(function() t:set_info{ owner = "no-such-user-here" } end, "'owner'")
      local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
      H.raises(function() v:set_info{ peer = "x" } end, "set_info", "veth")
      local b = assert(ns:link_add{ name = "b0", kind = "bridge" })
      H.raises(function() b:set_info{ stp = 1 } end, "'stp'", "boolean")
      H.raises(function() b:set_info{ nosuch = 1 } end, "unknown option 'nosuch'")
    end)

    H.it_kinds({ "vlan" }, "refuses to change a vlan's id", function()
      local ns = H.ns("setvlan")
      assert(ns:link_add{ name = "p0", kind = "veth", peer = "p1" })
      local v = assert(ns:link_add{ name = "v0", kind = "vlan", parent = "p0", id = 3 })
      H.raises(function() v:set_info{ id = 4 } end, "'id'", "cannot be changed")
      assert.are.equal(3, v.info.id)
    end)

    H.it_kinds({ "vxlan" }, "passes the kernel's refusal on as a failure", function()
      local ns, name = H.ns("setvx")
      local x = assert(ns:link_add{ name = "x0", kind = "vxlan", id = 3, dstport = 4789 })
      local _, msg, err = x:set_info{ dstport = 4790 }
      assert.is_string(msg)
      assert.truthy(err == "EOPNOTSUPP" or err == "EINVAL", err)
      assert.are.equal(4789, H.iplink(name, "x0").linkinfo.info_data.port)
    end)

    H.it_kinds({ "vrf" }, "refuses to change a vrf table", function()
      local ns = H.ns("setvrf")
      local v = assert(ns:link_add{ name = "vrf0", kind = "vrf", table = 10 })
      H.raises(function() v:set_info{ table = 11 } end, "'table'", "cannot be changed")
    end)
  end)

  describe("ports", function()
    it("of a bridge: read and changed, as ip sees them", function()
      local ns, name = H.ns("brport")
      local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
      local p = assert(ns:link_add{ name = "p0", kind = "veth", peer = "p1" })
      H.fails("ENOENT", p:port())
      assert(p:set{ master = br })
      local t = assert(p:port())
      assert.are.equal("bridge", t.kind)
      assert.are.equal(br.index, t.master)
      local d = H.iplink(name, "p0").linkinfo.info_slave_data
      assert.are.equal(d.cost, t.cost)
      assert.are.equal(d.priority, t.priority)
      assert.are.equal(d.state, t.state)
      assert.are.equal(d.learning, t.learning)
      assert.are.equal(p, assert(p:set_port{ cost = 42, priority = 7, learning = false,
                                             hairpin = true, flood = false, isolated = true }))
      d = H.iplink(name, "p0").linkinfo.info_slave_data
      assert.are.same({ 42, 7, false, true, false, true },
                      { d.cost, d.priority, d.learning, d.hairpin, d.flood, d.isolated })
      t = assert(p:port())
      assert.are.same({ 42, 7, false, true, false, true },
                      { t.cost, t.priority, t.learning, t.hairpin, t.flood, t.isolated })
      H.raises(function() p:set_port{ cost = 0 } end, "set_port", "'cost'")
      H.raises(function() p:set_port{ state = "asleep" } end, "'state'", "'forwarding'")
      H.raises(function() p:set_port{ id = 1 } end, "unknown option 'id'")
      local q = assert(ns:link("p1"))
      H.fails("ENOENT", q:set_port{ cost = 5 })
    end)

    -- The kernel applies a port's settings one at a time and keeps those it
    -- applied before one it refuses: a state is refused on a port that is
    -- down (ENETDOWN) after the cost and priority were set.
    it("of a bridge: a refused change changes nothing", function()
      local ns, name = H.ns("brport")
      local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
      local p = assert(ns:link_add{ name = "p0", kind = "veth", peer = "p1", master = br })
      assert(p:set_port{ cost = 10, priority = 2, learning = true })
      local msg = H.fails("ENETDOWN", p:set_port{ cost = 77, priority = 9, learning = false,
                                                   state = "forwarding" })
      assert.truthy(msg:find("set_port p0", 1, true), msg)
      local d = H.iplink(name, "p0").linkinfo.info_slave_data
      assert.are.same({ 10, 2, true }, { d.cost, d.priority, d.learning })
      local t = assert(p:port())
      assert.are.same({ 10, 2, true }, { t.cost, t.priority, t.learning })
      -- the same change is taken once the port can take the state
      assert(p:set{ up = true })
      assert(ns:link("p1")):set{ up = true }
      assert(br:set{ up = true })
      local ok
      for _ = 1, 100 do   -- the port's carrier comes up asynchronously
        ok = p:set_port{ cost = 77, priority = 9, learning = false, state = "forwarding" }
        if ok then break end
        H.sh("sleep 0.05")
      end
      assert(ok)
      d = H.iplink(name, "p0").linkinfo.info_slave_data
      assert.are.same({ 77, 9, false, "forwarding" }, { d.cost, d.priority, d.learning, d.state })
    end)

    it("of a bridge: queued inside a batch, returning true", function()
      local ns, name = H.ns("brport")
      local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
      local p = assert(ns:link_add{ name = "p0", kind = "veth", peer = "p1", master = br })
      assert.is_true(ns:batch(function()
        assert.is_true(p:set_port{ cost = 33 })
        assert.is_true(br:set_info{ priority = 5 })
      end))
      assert.are.equal(33, H.iplink(name, "p0").linkinfo.info_slave_data.cost)
      assert.are.equal(5, H.iplink(name, "br0").linkinfo.info_data.priority)
    end)

    H.it_kinds({ "bond", "dummy" }, "of a bond: enslaved with link:set{ master }", function()
      local ns, name = H.ns("bondport")
      local b = assert(ns:link_add{ name = "bond0", kind = "bond", mode = "active-backup",
                                    miimon = 100 })
      local d1 = assert(ns:link_add{ name = "d1", kind = "dummy" })
      local d2 = assert(ns:link_add{ name = "d2", kind = "dummy" })
      assert(d1:set{ master = b })
      assert(d2:set{ master = "bond0" })
      assert(b:set{ up = true })
      assert.are.equal("bond0", H.iplink(name, "d1").master)
      local ports = {}
      for l in ns:links{ master = b } do ports[#ports + 1] = l.name end
      table.sort(ports)
      assert.are.same({ "d1", "d2" }, ports)
      local t = assert(d1:port())
      assert.are.equal("bond", t.kind)
      local sd = H.iplink(name, "d1").linkinfo.info_slave_data
      assert.are.equal(sd.state:lower(), t.state)
      assert(d1:set_port{ queue_id = 3 })
      assert.are.equal(3, H.iplink(name, "d1").linkinfo.info_slave_data.queue_id)
      assert.are.equal(3, assert(d1:port()).queue_id)
      assert(d2:set{ master = false })
      assert.is_nil(H.iplink(name, "d2").master)
    end)

    H.it_kinds({ "vrf", "dummy" }, "of a vrf: enslaved with link:set{ master }", function()
      local ns, name = H.ns("vrfport")
      local v = assert(ns:link_add{ name = "vrf0", kind = "vrf", table = 100 })
      local d = assert(ns:link_add{ name = "d0", kind = "dummy", master = v })
      assert.are.equal("vrf0", H.iplink(name, "d0").master)
      assert.are.equal(v.index, d.master)
    end)
  end)

  describe("tunnel_add", function()
    H.it_kinds({ "ipip" }, "makes the seed's ipip tunnel", function()
      local ns, name = H.ns("tun")
      local t = assert(ns:tunnel_add{ name = "a2b", mode = "ipip", remote = "2.2.2.2",
                                      ["local"] = "1.1.1.1", ttl = 255 })
      assert.are.equal("ipip", t.kind)
      local d = H.iplink(name, "a2b").linkinfo.info_data
      assert.are.same({ "2.2.2.2", "1.1.1.1", 255 }, { d.remote, d["local"], d.ttl })
    end)

    H.it_kinds({ "ip6tnl", "sit" }, "maps the modes of ip tunnel", function()
      local ns, name = H.ns("tunm")
      assert(ns:tunnel_add{ name = "t1", mode = "ip6ip6", remote = "2001:db8::1" })
      assert(ns:tunnel_add{ name = "t2", mode = "ipip6", remote = "2001:db8::2" })
      assert(ns:tunnel_add{ name = "t3", mode = "isatap", remote = "192.0.2.1" })
      assert.are.equal("ip6ip6", H.iplink(name, "t1").linkinfo.info_data.proto)
      assert.are.equal("ipip6", H.iplink(name, "t2").linkinfo.info_data.proto)
      assert.is_true(H.iplink(name, "t3").linkinfo.info_data.isatap)
      assert.are.equal("sit", H.iplink(name, "t3").linkinfo.info_kind)
    end)

    it("raises on a bad mode or option, naming it", function()
      local ns, name = H.ns("tunbad")
      H.raises(function() ns:tunnel_add{ name = "t0", mode = "pigeon" } end,
               "tunnel_add", "'mode'", "'gre'", "pigeon")
      H.raises(function() ns:tunnel_add{ name = "t0" } end, "tunnel_add", "'mode'")
      H.raises(function() ns:tunnel_add{ name = "t0", mode = "gre", kind = "gre" } end,
               "tunnel_add", "'kind'")
      H.raises(function() ns:tunnel_add{ name = "t0", mode = "gre", remote = "1.2.3.400" } end,
               "tunnel_add", "'remote'", "1.2.3.400")
      H.raises(function() ns:tunnel_add{ name = "t0", mode = "ip6ip6", proto = "any" } end,
               "tunnel_add", "'proto'")
      H.raises(function() ns:tunnel_add("gre") end, "tunnel_add", "table")
      assert.is_nil(H.iplink(name, "t0"))
    end)

    it("returns the kernel's refusal as a failure named tunnel_add", function()
      local ns = H.ns("tunfail")
      assert(ns:link_add{ name = "t0", kind = "bridge" })
      local ok, msg, err = ns:tunnel_add{ name = "t0", mode = "gre", remote = "192.0.2.1" }
      assert.is_nil(ok)
      assert.truthy(msg:find("^tunnel_add t0"), msg)
      assert.truthy(err == "EEXIST" or err == "EOPNOTSUPP", err)
    end)
  end)

  describe("vnet.supports", function()
    it("says yes to veth and bridge, and no with a reason to unknown kinds", function()
      H.raises(function() vnet.supports("vlan\0x") end, "supports", "NUL")
      assert.is_true(vnet.supports("veth"))
      assert.is_true(vnet.supports("bridge"))
      local ok, why = vnet.supports("warp-drive")
      assert.is_false(ok)
      assert.truthy(why:find("warp-drive", 1, true))
      H.raises(function() vnet.supports(42) end, "supports", "string")
    end)

    it("agrees with what the kernel can make, and leaves no namespace behind", function()

      for _, k in ipairs({ "vlan", "vxlan", "bond", "gre", "erspan", "macsec", "tap",
                           "nlmon", "vrf", "ipvtap" }) do
        local ok, why = vnet.supports(k)
        local has = H.kernel_has(k)
        assert.are.equal(has, ok, k .. ": " .. tostring(why))
        if not ok then assert.truthy(why:find(k, 1, true), why) end
        if H.full_kernel then assert.is_true(ok, k .. ": " .. tostring(why)) end
      end
      local _, left = H.sh("ip netns list")
      assert.is_nil(left:find("vnet-probe-", 1, true), left)
    end)
  end)

  describe("the kind table, exported from the core", function()
    it("has a row for every kind, saying what it needs", function()
      for _, k in ipairs(vnet.core.kinds()) do
        local row = assert(vnet.core.kind(k), k)
        assert.are.equal(k, row.name)
        assert.are.equal("boolean", type(row.parent))
        assert.are.equal("boolean", type(row.tunnel))
        assert.are.equal("table", type(row.required))
        assert.are.equal("table", type(row.options))
        assert.are.equal("table", type(row.probe))
        for _, r in ipairs(row.required) do assert.is_true(has(row.options, r), k .. "." .. r) end
        for o in pairs(row.probe) do assert.is_true(has(row.options, o), k .. "." .. o) end
      end
      local vlan = vnet.core.kind("vlan")
      assert.is_true(vlan.parent)
      assert.are.same({ "id" }, vlan.required)
      assert.is_true(has(vlan.options, "egress_qos"))
      assert.is_false(vnet.core.kind("veth").parent)
      assert.are.same({ "peer" }, vnet.core.kind("veth").options)
      assert.is_true(vnet.core.kind("sit").tunnel)
      assert.are.same({ "sit", "isatap" }, vnet.core.kind("sit").modes)
      assert.is_false(vnet.core.kind("vxlan").tunnel)
      assert.are.same({ "table" }, vnet.core.kind("vrf").required)
      H.fails("ENOENT", vnet.core.kind("warp-drive"))
      H.raises(function() vnet.core.kind("vlan\0x") end, "kind", "NUL")
      H.raises(function() vnet.core.kind({}) end, "kind")
    end)

    it("has the modes of ip tunnel, each one of a tunnel kind", function()
      local modes = vnet.core.tunnel_modes()
      local n = 0
      for mode, m in pairs(modes) do
        n = n + 1
        local row = assert(vnet.core.kind(m.kind), mode)
        assert.is_true(row.tunnel, mode)
        assert.is_true(has(row.modes, mode), mode)
      end
      assert.are.equal(14, n)
      assert.are.same({ kind = "sit", isatap = true }, modes.isatap)
      assert.are.same({ kind = "ip6tnl", proto = "ip6ip6" }, modes.ip6ip6)
      assert.are.same({ kind = "gre" }, modes.gre)
    end)

    it("is what vnet.lua uses: no table of kinds restated in Lua, no registry hack", function()
      local f = assert(io.open("lua/vnet.lua"))
      local src = f:read("a")
      f:close()
      assert.is_nil(src:find("getregistry", 1, true))
      assert.is_nil(src:find("__vn_methods", 1, true))
      assert.is_nil(src:find("probe_opts", 1, true))
      assert.is_nil(src:find("isatap = true", 1, true))
    end)

    it("reads back the options a minimal link takes, for every kind the kernel has", function()
      local ns, name = H.ns("probe")
      local tried = 0
      for _, k in ipairs(vnet.core.kinds()) do
        local row = vnet.core.kind(k)
        if H.kernel_has(k) then
          local opts = { name = "m0", kind = k }
          for o, v in pairs(row.probe) do opts[o] = v end
          if row.parent then
            assert(ns:link_add{ name = "mp0", kind = "veth", peer = "mp1" })
            opts.parent = "mp0"
          end
          local l = assert(ns:link_add(opts))
          tried = tried + 1
          assert.are.equal(k, l.kind)
          local info = l.info
          for o, v in pairs(row.probe) do assert.are.same(v, info[o], k .. "." .. o) end
          info = assert(ns:link("m0")).info
          for o, v in pairs(row.probe) do assert.are.same(v, info[o], k .. "." .. o) end
          local o = H.iplink(name, "m0")
          assert.are.equal(k == "tap" and "tun" or k, o.linkinfo.info_kind)
          assert.is_true(l:delete())
          if row.parent then assert(ns:link("mp0"):delete()) end
        end
      end
      assert.is_true(tried >= 3, tried)   -- veth, bridge, tun, tap at least
    end)
  end)

  describe("libnl", function()
    it("is used through its public API only: no private layout, no handler override", function()
      local ok, out = H.sh("grep -rlE 'rtnl_link_info_ops|rtnl_link_(un)?register_info' csrc")
      assert.are.equal("", out)
    end)

    -- a host embedding vnet that uses libnl's own link kinds (LuaJIT's ffi
    -- stands for it): libnl's vlan, vxlan and bond support is its own
    local has_ffi, ffi = pcall(require, "ffi")
    local lib = has_ffi and pcall(ffi.load, "nl-route-3") and ffi.load("nl-route-3")
    local it_ffi = lib and it or pending
    it_ffi("keeps libnl's own link kinds for the rest of the process", function()
      ffi.cdef [[
        struct rtnl_link *rtnl_link_alloc(void);
        void rtnl_link_put(struct rtnl_link *);
        int rtnl_link_set_type(struct rtnl_link *, const char *);
        int rtnl_link_vlan_set_id(struct rtnl_link *, uint16_t);
        int rtnl_link_vlan_get_id(struct rtnl_link *);
        int rtnl_link_vxlan_set_id(struct rtnl_link *, uint32_t);
        int rtnl_link_bond_add(void *, const char *, struct rtnl_link *);
      ]]
      -- vnet is loaded and has made links of these kinds
      local ns = H.ns("libnl")
      assert(ns:link_add{ name = "b0", kind = "bridge", stp = false })
      for _, k in ipairs({ "vlan", "vxlan" }) do
        local l = lib.rtnl_link_alloc()
        assert.are.equal(0, lib.rtnl_link_set_type(l, k))
        if k == "vlan" then
          assert.are.equal(0, lib.rtnl_link_vlan_set_id(l, 5), "libnl's vlan")
          assert.are.equal(5, lib.rtnl_link_vlan_get_id(l))
        else
          assert.are.equal(0, lib.rtnl_link_vxlan_set_id(l, 42), "libnl's vxlan")
        end
        lib.rtnl_link_put(l)
      end
    end)
  end)

  describe("vnet.core.extend", function()
    it("adds a method that checks its self as the core's do", function()
      local ns = H.ns("ext")
      vnet.core.extend("netns", "spec_extended", function(self, a, b) return self, a + b, "x" end)
      local s, sum, x = ns:spec_extended(1, 2)
      assert.are.equal(ns, s)
      assert.are.same({ 3, "x" }, { sum, x })
      H.raises(function() ns.spec_extended(42) end, "spec_extended", "bad self", "vnet.netns")
      -- a second extend replaces the first
      vnet.core.extend("netns", "spec_extended", function() return "again" end)
      assert.are.equal("again", ns:spec_extended())
      -- links too
      local l = assert(ns:link_add{ name = "e0", kind = "bridge" })
      vnet.core.extend("link", "spec_extended", function(self) return self.name end)
      assert.are.equal("e0", l:spec_extended())
      H.raises(function() l.spec_extended(ns) end, "spec_extended", "vnet.link")
      -- errors raised inside pass through
      vnet.core.extend("netns", "spec_extended", function() error("inner trouble") end)
      H.raises(function() ns:spec_extended() end, "inner trouble")
    end)

    it("raises on misuse and never replaces a method of the core", function()
      H.raises(function() vnet.core.extend("warp", "x", print) end, "extend", "'warp'")
      H.raises(function() vnet.core.extend("netns", "link_add", function() end) end,
               "extend", "link_add", "core")
      H.raises(function() vnet.core.extend("link", "set", function() end) end, "extend", "set")
      H.raises(function() vnet.core.extend("netns", "x", 5) end, "function")
      H.raises(function() vnet.core.extend("netns", nil, print) end, "string")
      H.raises(function() vnet.core.extend("netns\0", "x", print) end, "extend")
    end)

    it("is how tunnel_add reaches the netns handles", function()
      local ns = H.ns("ext2")
      assert.are.equal("function", type(ns.tunnel_add))
      H.raises(function() ns.tunnel_add(42, { mode = "gre" }) end, "tunnel_add", "bad self")
    end)
  end)
end)
