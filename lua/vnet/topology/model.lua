--- vnet.topology, the model: a topology and its nodes, cables, tunnels, links, addresses, routes, rules, sysctls and NAT.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local M, Node, T, check_ifname, check_keys, cidr_list = B.M, B.Node, B.T, B.check_ifname, B.check_keys, B.cidr_list
local copy, fmt, hash, home, imp_opts, impair = B.copy, B.fmt, B.hash, B.home, B.imp_opts, B.impair
local parse_cidr, vnet = B.parse_cidr, B.vnet
-- ---- construction --------------------------------------------------------

--- topo.new{ name = "lab1" [, proto = n] } -> topology
function M.new(opts)
  if type(opts) == "string" then opts = { name = opts } end
  if type(opts) ~= "table" then error("topology.new: options table expected", 2) end
  for k in pairs(opts) do
    if k ~= "name" and k ~= "proto" then
      error(fmt("topology.new: unknown option '%s'", tostring(k)), 2)
    end
  end
  local name = opts.name
  if type(name) ~= "string" or not name:match("^[%w_][%w_.%-]*$") or #name > 40 then
    error("topology.new: option 'name' must be 1 to 40 bytes of letters, digits, '_', '.', '-'", 2)
  end
  local proto = opts.proto
  if proto == nil then
    proto = 100 + hash(name) % 80
  elseif type(proto) ~= "number" or proto < 1 or proto > 255 or proto % 1 ~= 0 then
    error("topology.new: option 'proto' must be an integer 1..255", 2)
  end
  local self = setmetatable({
    name = name, proto = proto, tag = "vnet:" .. name,
    nodes = {}, byname = {}, cables = {}, tunnels = {}, ifaces = {},
    extra_addrs = {}, routes = {}, rules = {}, sysctls = {}, nats = {},
    machines = {}, fabrics = {},
    _h = {}, _plan = nil,
  }, T)
  return self
end

local RESERVED = { mtu = true, subnet = true, mode = true, via = true }

function T:_add_node(kind, name, opts, fn)
  if type(name) ~= "string" or not name:match("^[%w_][%w_.%-]*$") then
    error(fmt("%s: name must be a string of letters, digits, '_', '.', '-', got %s",
              fn, tostring(name)), 3)
  end
  if RESERVED[name] then error(fmt("%s: name '%s' is reserved", fn, name), 3) end
  if self.byname[name] then error(fmt("%s: '%s' is already declared", fn, name), 3) end
  local node = setmetatable({ kind = kind, name = name, opts = opts or {}, topo = self,
                              nif = 0, nport = 0, nsys = {} }, Node)
  self.byname[name] = node
  self.nodes[#self.nodes + 1] = node
  self._plan = nil
  return node
end

function T:_node(x, fn, what)
  if getmetatable(x) == Node and x.topo == self then return x end
  if type(x) == "string" and self.byname[x] then return self.byname[x] end
  error(fmt("%s: %s must be a node of this topology, got %s", fn, what or "node",
            tostring(x)), 3)
end


local HOST_KEYS = { sysctl = true, forward = true, machine = true }

-- the machine option of a node (a machine node or its name), or the first
-- machine (nil when the topology has none)
function T:_machine_opt(m, fn)
  if m == nil then return self.machines[1] end
  local n = self:_node(m, fn, "option 'machine'")
  if not n.is_machine then error(fmt("%s: option 'machine': %s is not a machine", fn, n.name), 3) end
  return n
end

--- net:host(name [, { sysctl = {...}, forward = bool, machine = }]) -> node
function T:host(name, opts)
  opts = check_keys(opts, HOST_KEYS, "host")
  local m = self:_machine_opt(opts.machine, "host")
  local n = self:_add_node("host", name, opts, "host")
  n.machine = m
  n.nsname = self.name .. "-" .. name
  if #n.nsname > 63 then
    error(fmt("host: namespace name '%s' is longer than 63 bytes", n.nsname), 2)
  end
  if opts.forward then
    n.nsys[#n.nsys + 1] = { "net.ipv4.ip_forward", "1" }
    n.nsys[#n.nsys + 1] = { "net.ipv6.conf.all.forwarding", "1" }
  end
  if opts.sysctl then
    local keys = {}
    for k in pairs(opts.sysctl) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = opts.sysctl[k]
      if type(v) == "boolean" then v = v and "1" or "0" end
      n.nsys[#n.nsys + 1] = { k, tostring(v) }
    end
  end
  return n
end

--- net:router(name [, opts]) -> node (a host with forwarding on)
function T:router(name, opts)
  opts = copy(check_keys(opts, HOST_KEYS, "router"))
  if opts.forward == nil then opts.forward = true end
  local n = self:host(name, opts)
  n.kind = "router"
  return n
end

-- the namespace of the switches (of machine m: "<name>-@<machine>")
function T:_fabric(m)
  m = m or self.machines[1]
  local f = self.fabrics[m or self]
  if not f then
    f = setmetatable({ kind = "fabric", name = self.name, topo = self, machine = m,
                       nsname = m and (self.name .. "-@" .. m.name) or self.name,
                       nif = 0, nport = 0, nsys = {} }, Node)
    self.fabrics[m or self] = f
    if not m then self.fabric = f end
  end
  return f
end

local SWITCH_KEYS = { at = true, subnet = true, ip = true, mtu = true, bridge = true, machine = true }

--- net:switch(name [, { at =, subnet =, ip =, mtu =, bridge = {} }]) -> node
function T:switch(name, opts)
  opts = check_keys(opts, SWITCH_KEYS, "switch")
  local at = opts.at and self:_node(opts.at, "switch", "option 'at'")
  if at and at.kind == "switch" then error("switch: option 'at' must be a host or external node", 2) end
  if at and opts.machine ~= nil then error("switch: give option 'at' or option 'machine', not both", 2) end
  local m = self:_machine_opt(opts.machine, "switch")
  local n = self:_add_node("switch", name, opts, "switch")
  n.at = at or self:_fabric(m)
  n.machine = n.at.machine
  n.dev = check_ifname(name, "switch")
  if opts.subnet then
    local s = parse_cidr(opts.subnet)
    if not s or not s.explicit then
      error(fmt("switch: option 'subnet' '%s' is not a valid prefix", tostring(opts.subnet)), 2)
    end
    n.subnet = s
  end
  n.addrs = cidr_list(opts.ip, "switch " .. name)
  return n
end

--- net:external(name [, ns]) -> node for a namespace this topology does not own
function T:external(name, ns)
  if ns ~= nil and type(ns) ~= "string" and type(ns) ~= "userdata" then
    error("external: namespace must be a handle, a name or nil", 2)
  end
  local n = self:_add_node("external", name, {}, "external")
  n.machine = self.machines[1]
  n.handle = type(ns) == "userdata" and ns or nil
  n.nsname = type(ns) == "string" and ns or (type(ns) == "userdata" and ns.name) or nil
  return n
end


local MACHINE_KEYS = { underlay = true, netns = true }

--- net:machine(name, { underlay = address [, netns = name | handle] }) -> node
-- One machine of a lab that spans several: every machine runs the same
-- script and applies its own slice (`up --machine name`). The node stands
-- for the machine's own namespace (an external one: tagged objects only),
-- where cables to other machines start as tunnels over `underlay`; netns:
-- the namespace that plays the machine (default: the caller's own).
-- Machines are declared before every other node.
function T:machine(name, opts)
  opts = check_keys(opts, MACHINE_KEYS, "machine")
  if #self.nodes > #self.machines then
    error("machine: declare the machines before the other nodes", 2)
  end
  local u = parse_cidr(opts.underlay)
  if not u or u.explicit then
    error(fmt("machine: option 'underlay' must be an address without a prefix, got %s",
              tostring(opts.underlay)), 2)
  end
  local ns = opts.netns
  if ns ~= nil and type(ns) ~= "string" and type(ns) ~= "userdata" then
    error("machine: option 'netns' must be a namespace name or handle", 2)
  end
  for _, m in ipairs(self.machines) do
    if m.underlay.ip == u.ip then error(fmt("machine: %s has underlay %s already", m.name, u.ip), 2) end
  end
  local n = self:_add_node("external", name, {}, "machine")
  n.is_machine, n.machine, n.underlay = true, n, u
  n.handle = type(ns) == "userdata" and ns or nil
  n.nsname = type(ns) == "string" and ns or (type(ns) == "userdata" and ns.name) or nil
  self.machines[#self.machines + 1] = n
  return n
end

-- the machine this process is on: the one whose underlay address a link of
-- the caller's namespace has (machines played by a namespace never are)
function T:_local_machine(fn)
  local found = {}
  local h = vnet.netns.current()
  for a in (h and h:addrs()) or function() end do
    for _, m in ipairs(self.machines) do
      if not m.nsname and not m.handle and a.address == m.underlay.ip then found[#found + 1] = m end
    end
  end
  if h then h:close() end
  if #found == 1 then return found[1] end
  local names = {}
  for _, m in ipairs(self.machines) do names[#names + 1] = m.name .. " " .. m.underlay.ip end
  error(fmt("%s: give the machine (option 'machine', --machine NAME): %s of %s has its underlay address here",
            fn, #found == 0 and "none" or "more than one", table.concat(names, ", ")), 5)
end

-- Chooses the slice of a lab across machines that up, down, status and
-- plan work on: machine m (a node or a name), else the one chosen before,
-- else the local one. Each slice tags what it makes "vnet:<name>@<machine>",
-- so the slices of several machines played on one kernel stay apart.
function T:_slice_to(m, fn)
  if not self.machines[1] then
    if m ~= nil then error(fn .. ": option 'machine': this topology has no machines", 4) end
    return
  end
  local node
  if m == nil then node = self.slice or self:_local_machine(fn)
  else
    node = (type(m) == "string" or getmetatable(m) == Node) and self.byname[type(m) == "string" and m or m.name]
    if not node or not node.is_machine or (type(m) ~= "string" and node ~= m) then
      error(fmt("%s: option 'machine': %s is not a machine of this topology", fn, tostring(m)), 4)
    end
  end
  if node ~= self.slice then
    self:_close_all()
    self.slice, self.tag, self._plan = node, "vnet:" .. self.name .. "@" .. node.name, nil
  end
end

-- default device name for a link endpoint on node towards peer
function T:_devname(node, peer)
  if node.kind == "switch" then
    node.nport = node.nport + 1
    return node.name .. "p" .. node.nport
  elseif node.kind == "external" then
    return self.name .. "-" .. peer.name
  end
  local d = "eth" .. node.nif
  node.nif = node.nif + 1
  return d
end

local EP_KEYS = { name = true, mac = true, mtu = true }


local function endpoint_spec(v, what)
  if v == nil then return {} end
  if type(v) == "string" then return { addrs = cidr_list(v, what) } end
  if type(v) ~= "table" then error(what .. ": endpoint options must be a string or a table", 3) end
  for k in pairs(v) do
    if type(k) ~= "number" and not EP_KEYS[k] and not impair.KEYS[k] then
      error(fmt("%s: unknown endpoint option '%s'", what, tostring(k)), 3)
    end
  end
  local list = {}
  for _, s in ipairs(v) do list[#list + 1] = s end
  return { addrs = cidr_list(list, what), name = v.name, mac = v.mac, mtu = v.mtu, raw = v }
end

-- each end's impairment: the cable's own options for both directions, then
-- the end's own ([x] = { delay = ... }: the egress of x)
local function set_imps(ex, ey, rest, what)
  local both = {}
  for k, v in pairs(rest) do if impair.KEYS[k] then both[k] = v end end
  ex.imp = imp_opts(ex.raw, what, both)
  ey.imp = imp_opts(ey.raw, what, both)
  ex.raw, ey.raw = nil, nil
end

-- splits opts of link/tunnel into the two endpoints' specs and the rest
local function split_opts(self, x, y, opts, fn)
  local sx, sy, rest = nil, nil, {}
  for k, v in pairs(opts) do
    if k == x or k == x.name then sx = v
    elseif k == y or k == y.name then sy = v
    elseif type(k) == "string" and self.byname[k] then
      error(fmt("%s: '%s' is not an end of this %s", fn, k, fn), 3)
    else rest[k] = v end
  end
  return sx, sy, rest
end

--- net:link(x, y [, opts]) -> cable (a veth pair)
function T:link(x, y, opts)
  x, y = self:_node(x, "link", "x"), self:_node(y, "link", "y")
  if x == y then error("link: both ends are " .. x.name, 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error("link: options table expected", 2)
  end
  local what = fmt("link %s -- %s", x.name, y.name)
  local sx, sy, rest = split_opts(self, x, y, opts or {}, "link")
  for k in pairs(rest) do
    if k ~= "mtu" and k ~= "subnet" and k ~= "via" and not impair.KEYS[k] then
      error(fmt("%s: unknown option or node '%s'", what, tostring(k)), 2)
    end
  end
  local ex, ey = endpoint_spec(sx, what), endpoint_spec(sy, what)
  set_imps(ex, ey, rest, what)
  local c = { kind = "cable", a = ex, b = ey, mtu = rest.mtu }
  ex.node, ey.node = x, y
  -- between machines: a tunnel (x and y hosts), or a switch stretched to
  -- the other machine (a part of it there, joined by VXLAN)
  local mx, my = home(x).machine, home(y).machine
  if rest.via ~= nil and (mx == my) then
    error(fmt("%s: option 'via' is for a cable between two machines", what), 2)
  end
  if mx ~= my then
    if x.kind == "switch" and y.kind == "switch" then
      error(fmt("%s: two switches on different machines: cable each host to one switch, stretched", what), 2)
    elseif x.kind == "switch" or y.kind == "switch" then
      if rest.via ~= nil and rest.via ~= "vxlan" then
        error(fmt("%s: a switch is stretched over vxlan only", what), 2)
      end
      local sw, far = x.kind == "switch" and x or y, x.kind == "switch" and my or mx
      sw.parts = sw.parts or {}
      if not sw.parts[far] then sw.parts[far] = true; sw.parts[#sw.parts + 1] = far end
      c.stretch = sw
    else
      local via = rest.via or "vxlan"
      if not B.WAN[via] then
        error(fmt("%s: option 'via' must be one of vxlan, geneve, gre, gretap, ipip, got %s", what,
                  tostring(via)), 2)
      end
      -- IPIP has no key: two of its tunnels between the same two machines
      -- are one to the kernel, which refuses the second halfway through up
      if via == "ipip" then
        for _, o in ipairs(self.cables) do
          local ox, oy = home(o.a.node).machine, home(o.b.node).machine
          if o.wan == "ipip" and ((ox == mx and oy == my) or (ox == my and oy == mx)) then
            error(fmt("%s: a second ipip cable between the same two machines (IPIP has no key; "
                      .. "use gre, gretap, vxlan or geneve)", what), 2)
          end
        end
      end
      c.wan = via
    end
  end
  for _, e in ipairs({ ex, ey }) do
    e.addrs = e.addrs or {}
    local other = e == ex and y or x
    e.dev = e.name and check_ifname(e.name, what) or self:_devname(e.node, other)
    e.ns = home(e.node)
    if e.node.kind == "switch" then
      e.master = e.node.dev
      -- on the far machine, the switch's part there
      if c.stretch then e.ns = self:_fabric(home(other).machine) end
    end
  end
  if rest.subnet then
    local s = parse_cidr(rest.subnet)
    if not s or not s.explicit then
      error(fmt("%s: option 'subnet' '%s' is not a valid prefix", what, tostring(rest.subnet)), 2)
    end
    c.subnet = s
  end
  self.cables[#self.cables + 1] = c
  self._plan = nil
  return c
end

local TUNNEL_RESERVED = { mode = true, via = true, mtu = true, name = true }

--- net:tunnel(x, y, { mode =, ... }) -> tunnel
function T:tunnel(x, y, opts)
  x, y = self:_node(x, "tunnel", "x"), self:_node(y, "tunnel", "y")
  if type(opts) ~= "table" or type(opts.mode) ~= "string" then
    error("tunnel: option 'mode' (a link kind such as \"ipip\", \"gre\", \"vxlan\") is required", 2)
  end
  for _, n in ipairs({ x, y }) do
    if n.kind == "switch" then error("tunnel: ends must be hosts, routers or external nodes", 2) end
  end
  local what = fmt("tunnel %s -- %s", x.name, y.name)
  local sx, sy, rest = split_opts(self, x, y, opts, "tunnel")
  local via = rest.via or {}
  local ex, ey = endpoint_spec(sx, what), endpoint_spec(sy, what)
  set_imps(ex, ey, rest, what)
  local kopts = {}
  for k, v in pairs(rest) do
    if not TUNNEL_RESERVED[k] and not impair.KEYS[k] then kopts[k] = v end
  end
  if kopts["local"] or kopts.remote then
    error(what .. ": give the underlay addresses as via = { [node] = address }", 2)
  end
  local t = { kind = "tunnel", mode = opts.mode, a = ex, b = ey, mtu = rest.mtu, kopts = kopts }
  ex.node, ey.node = x, y
  for _, e in ipairs({ ex, ey }) do
    local other = e == ex and y or x
    e.addrs = e.addrs or {}
    e.ns = e.node
    if e.name then
      e.dev = check_ifname(e.name, what)
    else
      local d = opts.mode .. "-" .. other.name
      if #d > 15 then
        e.node.ntun = (e.node.ntun or 0) + 1
        d = opts.mode .. e.node.ntun
      end
      e.dev = check_ifname(d, what)
    end
    local u = via[e.node] or via[e.node.name]
    if u ~= nil then
      local c = parse_cidr(u)
      if not c then error(fmt("%s: underlay address '%s' is not valid", what, tostring(u)), 2) end
      e.underlay = c.ip
    end
  end
  self.tunnels[#self.tunnels + 1] = t
  self._plan = nil
  return t
end

--- net:iface(node, name, { kind =, parent =, ip =, mtu =, ... }) -> iface
function T:iface(node, name, opts)
  node = self:_node(node, "iface")
  if node.kind == "switch" then node = home(node) end
  check_ifname(name, "iface")
  if type(opts) ~= "table" or type(opts.kind) ~= "string" then
    error("iface: option 'kind' is required", 2)
  end
  local what = fmt("iface %s:%s", node.name, name)
  local i = { kind = "iface", node = node, ns = node, dev = name, lkind = opts.kind,
              addrs = cidr_list(opts.ip, what), mtu = opts.mtu, kopts = {} }
  local p = opts.parent
  if p ~= nil then
    if type(p) == "table" then
      i.pnode = home(self:_node(p[1], "iface", "parent node"))
      i.pdev = check_ifname(p[2], what)
    else
      i.pnode, i.pdev = node, check_ifname(p, what)
    end
  end
  for k, v in pairs(opts) do
    if k ~= "kind" and k ~= "parent" and k ~= "ip" and k ~= "mtu" then i.kopts[k] = v end
  end
  self.ifaces[#self.ifaces + 1] = i
  self._plan = nil
  return i
end

--- net:address(node, dev, cidr)
function T:address(node, dev, cidr)
  node = home(self:_node(node, "address"))
  check_ifname(dev, "address")
  local a = cidr_list(cidr, fmt("address %s:%s", node.name, dev))
  for _, c in ipairs(a) do
    self.extra_addrs[#self.extra_addrs + 1] = { node = node, dev = dev, addr = c }
  end
  self._plan = nil
end

local ROUTE_KEYS = { dev = true, table = true, metric = true, src = true, type = true,
                     onlink = true, mtu = true, scope = true }

--- net:route(node, dst, via [, opts])
function T:route(node, dst, via, opts)
  node = home(self:_node(node, "route"))
  opts = check_keys(opts, ROUTE_KEYS, "route")
  local d
  if dst ~= "default" then
    d = parse_cidr(dst)
    if not d then error(fmt("route: destination '%s' is not 'default' or a prefix", tostring(dst)), 2) end
    if d.plen == 0 then dst = "default" end     -- 0.0.0.0/0, ::/0
  end
  local r = { node = node, dst = dst, d = d, opts = opts }
  if via == nil then
    if not opts.dev and not opts.type then error("route: give a gateway, option 'dev' or option 'type'", 2) end
  elseif type(via) == "string" and parse_cidr(via) and not via:find("/", 1, true) then
    r.gateway = parse_cidr(via).ip
  else
    r.vianode = self:_node(via, "route", "gateway")
  end
  self.routes[#self.routes + 1] = r
  self._plan = nil
  return r
end

local RULE_KEYS = { from = true, to = true, table = true, priority = true, iif = true,
                    oif = true, fwmark = true, action = true, family = true }

--- net:rule(node, opts)
function T:rule(node, opts)
  node = home(self:_node(node, "rule"))
  opts = check_keys(opts, RULE_KEYS, "rule")
  self.rules[#self.rules + 1] = { node = node, opts = copy(opts) }
  self._plan = nil
end

--- net:sysctl(node, key, value)
function T:sysctl(node, key, value)
  node = home(self:_node(node, "sysctl"))
  if node.kind == "external" and not node.is_machine then
    error("sysctl: " .. node.name .. " is an external namespace; its sysctls are not the topology's to change", 2)
  end
  if type(key) ~= "string" then error("sysctl: key must be a string", 2) end
  if type(value) == "boolean" then value = value and "1" or "0" end
  node.nsys[#node.nsys + 1] = { key, tostring(value) }
  self._plan = nil
end

--- net:nat(node, { out =, src =, forward = {...} })
function T:nat(node, opts)
  node = home(self:_node(node, "nat"))
  opts = check_keys(opts, { out = true, src = true, forward = true }, "nat")
  if opts.src and not parse_cidr(opts.src) then
    error(fmt("nat: option 'src' '%s' is not a valid prefix", tostring(opts.src)), 2)
  end
  for i, f in ipairs(opts.forward or {}) do
    if type(f) ~= "table" or not tonumber(f.port) or type(f.to) ~= "string" then
      error(fmt("nat: forward[%d] needs port = n and to = \"addr:port\"", i), 2)
    end
  end
  if not opts.out and not opts.forward then error("nat: give 'out' and/or 'forward'", 2) end
  self.nats[#self.nats + 1] = { node = node, opts = opts }
  self._plan = nil
end

-- ---- kernel access -------------------------------------------------------

-- the handle of node's namespace (opened once), or nil, msg
function T:_open(node)
  local h = self._h[node]
  if h and not h.closed then return h end
  if not self._fd_room then B.fd_room(self) end
  local msg
  if node.kind == "external" then
    if node.handle then h = node.handle
    elseif node.nsname then h, msg = vnet.netns.open(node.nsname)
    else h, msg = vnet.netns.current() end
  else
    h, msg = vnet.netns.open(node.nsname)
  end
  if not h then return nil, msg end
  self._h[node] = h
  return h
end

--- net:ns(node) -> handle or nil
function T:ns(node)
  return self:_open(home(self:_node(node, "ns")))
end

function T:_close_all()
  for node, h in pairs(self._h) do
    if node.kind ~= "external" or not node.handle then pcall(h.close, h) end
  end
  self._h = {}
end

--- net:close() -> true. Closes the namespace handles the topology holds
-- (not an external node's handle given by the caller); works on every Lua
-- version, without waiting for the collector.
function T:close()
  self:_close_all()
  return true
end




