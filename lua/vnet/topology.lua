--- vnet.topology: whole networks as Lua scripts.
--
-- A topology describes hosts (network namespaces), routers (hosts with
-- forwarding on), switches (bridges), cables (veth pairs), tunnels, other
-- links, addresses, routes, policy rules, sysctls and NAT. `up` applies it as
-- one transaction, `down` removes exactly what it made, `status` compares the
-- kernel with the script. Pure Lua over the `vnet` facade.
--
--   local topo = require "vnet.topology"
--   local net = topo.new{ name = "lab1" }
--   local a, b = net:host("a"), net:host("b")
--   local r  = net:router("r")                    -- a host with forwarding on
--   local sw = net:switch("sw")                   -- a bridge
--   net:link(a, sw, { a = "10.0.1.2/24" })        -- a:eth0 -- sw:swp1
--   net:link(r, sw, { r = "10.0.1.1/24" })        -- r:eth0 -- sw:swp2
--   net:link(r, b, { r = "10.0.2.1/24", b = "10.0.2.2/24" })   -- r:eth1 -- b:eth0
--   net:route(a, "default", r)                    -- via r's address on a's subnet
--   net:route(b, "default", "10.0.2.1")
--   net:nat(r, { out = "eth1" })                  -- masquerade, with nft inside r
--   return net:main(arg)          -- lua5.4 lab1.lua up|down|status|dot|reach|exec
--
-- Where things live
--   host/router "a" of topology "lab1"  -> namespace "lab1-a"
--   switches (unless placed with at=)   -> bridges in the namespace "lab1"
--   every namespace the topology makes carries the tag "vnet:lab1" as the
--   ifalias of its `lo`, every link it makes the same ifalias, every route
--   the protocol number `net.proto` (default: 100..179, derived from the
--   name; give topologies that share an external namespace distinct ones),
--   every rule that protocol where the core can set it (else the script's
--   own rules are recognised by their fields). `down` reads ownership from
--   the kernel, so it works from a new process too (after killing what still
--   runs in its namespaces), and leaves alone objects of the same names that
--   carry no tag. Deleting an owned namespace removes everything in it; in
--   an external namespace each tagged object is removed one by one.
--   No kill leaves what `down` cannot find: a namespace is tagged before it
--   gets its name (vnet.netns.new, then ns:pin); a link in an external
--   namespace is born under a temporary name of this topology's
--   ("vn" .. 6 hex digits .. "_" .. step) and named and tagged in one
--   request; and an empty file under /run/netns with the name of one of
--   the script's namespaces (a creation or removal killed half way) is
--   removed by `down`. A second `down` finishes a killed one.
--
-- Building (nodes are returned by host/router/switch/external; wherever a
-- node is expected its name works too):
--   topo.new{ name =, proto = } -> net
--       name: 1-40 bytes of [%w_.-]; proto: route/rule protocol (1..255)
--   net:host(name [, { sysctl = { key = value }, forward = bool }]) -> node
--   net:router(name [, opts]) -> node      host with ip_forward and
--                                          ipv6 forwarding on
--   net:switch(name [, { at = node, subnet = cidr, ip = cidr | {cidr...},
--                        mtu =, bridge = { link_add options } }]) -> node
--       a bridge named name in the topology's namespace (or in node at);
--       hosts cabled to it without an address get the next free one of
--       subnet.
--   net:external(name [, ns]) -> node
--       a namespace this topology does not own: a handle, a namespace name,
--       or nil for the caller's own. Links made there are tagged and removed
--       one by one; routes by protocol; sysctls may not be set there.
--   net:link(x, y [, opts]) -> cable
--       a veth pair. opts: [x's name] = cidr | { cidr..., name =, mac =, mtu = },
--       the same for y, mtu =, subnet = cidr (x gets .1, y .2). Default
--       device names: eth0, eth1... in hosts, <switch>p1, p2... on switches.
--       Impairments (vnet.impair): delay =, jitter =, loss =, rate =,
--       duplicate =, corrupt =, reorder =, limit = for both directions, or in
--       an end's table for that end's egress only:
--         net:link(a, b, { delay = "10ms", [a] = { "10.0.0.1/24", rate = "1mbit" } })
--       (tunnels the same; on a switch's end, the port's egress towards the
--       host). `up` sets them, and changes a different one in place.
--   net:tunnel(x, y, { mode = "ipip"|"gre"|"vxlan"|..., [x's name] = cidr..,
--                      via = { [x's name] = underlay, ... }, mtu =,
--                      <kind options: key, ttl, id, dstport...> }) -> tunnel
--       one link of kind `mode` in each of x and y, local/remote taken from
--       `via` or each node's first address. Named <mode>-<peer> by default.
--   net:iface(node, name, { kind =, parent = dev | { node, dev }, ip = ..,
--                           mtu =, <kind options> }) -> iface
--       any other link kind (macvlan, ipvlan, vlan, dummy...); a parent in
--       another node makes the link there and moves it into `node`.
--   net:address(node, dev, cidr)      an extra address on a device it makes
--                                      (or on `lo` of a host)
--   net:route(node, dst, via [, { dev =, table =, metric =, src =, type = }])
--       dst "default" or a cidr; via an address, a node (its address on a
--       subnet shared with `node`) or nil (then give dev or type)
--   net:rule(node, { from =, to =, table =, priority =, iif =, oif =,
--                    fwmark =, action = })
--   net:sysctl(node, key, value)
--   net:nat(node, { out = dev, src = cidr,
--                   forward = { { proto = "tcp", port = 8080,
--                                 to = "10.0.1.2:80", ["in"] = dev }, ... } })
--       masquerade out of `out` and/or port forwarding, as an nftables
--       table "vnet_<name>" in the node (needs the `nft` program).
--
-- Generators (lua/vnet/topology/gen.lua; each adds to net, returns the
-- nodes it made by role; opts.prefix before every name it makes):
--   topo.linear(net, n [, { prefix =, subnet =, routes = }])
--       -> { nodes =, hosts =, routers =, cables = }: h1 -- r2 -- ... -- hn,
--       a /30 per cable, static routes so every node reaches every other
--   topo.star(net, n [, { prefix =, subnet =, switch = }])
--       -> { hosts =, switch =, cables = }: n hosts on one switch's subnet
--   topo.tree(net, depth, fanout [, { prefix =, subnet = }])
--       -> { root =, switches =, hosts =, cables = }: Mininet's TreeTopo
--   topo.clos(net, { spines =, leaves =, hosts_per_leaf = [, prefix =,
--                    subnet =, routes = ] })
--       -> { spines =, leaves =, hosts =, by_leaf =, switches =, cables = }:
--       an L3 leaf-spine fabric, hosts on a switch and subnet per leaf
--   routes = false: only the hosts' default routes (routers are left to a
--   routing daemon).
--
-- Running:
--   net:up() -> net | nil, msg, errname
--       one transaction: on failure everything this call made is removed and
--       msg names the step, e.g. "up lab1: step 7/20 (cable a:eth0 --
--       sw:swp1): link_add eth0: File exists". Objects already in place are
--       kept and not touched, so `up` twice is harmless; an object that is
--       there but differs from the script fails the step ("run down first").
--   net:down() -> true | nil, msg, errname
--   net:close() -> true: closes every namespace handle the topology holds
--       (the network stays up; the handles are opened again when needed).
--       A handle keeps its namespace alive after the namespace is deleted;
--       `down` closes them itself.
--   net:status() -> { { step =, what =, state = "present"|"missing"|
--                       "different", detail = }... }, all_present
--   net:plan() -> the list of steps `up` runs ({ what =, kind = }...)
--   net:ns(node) -> vnet.netns handle (nil if the namespace is missing)
--   net:addr(node [, family]) -> first address of node ("10.0.1.2"), or nil
--   net:exec(node, argv [, { env, cwd, stdin, capture }]) -> as ns:exec
--   net:spawn(node, argv [, { stdin, stdout, stderr, env, cwd, timeout }])
--                                     -> a vnet.process (as ns:spawn), ended at down
--   net:processes() -> { { node =, argv =, pid =, state =, process = }... }
--   net:monitor([groups]) -> one monitor of every namespace of the topology:
--                            fds, read(), wait(t), events(t), close(); each
--                            event names its node (ev.node)
--   net:ping(x, y [, { count =, timeout = }]) -> ok, output
--       y is a node (its first address) or an address
--   net:reach([{ nodes =, pairs = { {x, y}... }, sample = n, quiet = }])
--       -> all_ok, results   (prints an all-pairs matrix unless quiet)
--       pings between every two hosts/routers that have an address (or the
--       given nodes, or pairs; sample = n takes n pairs spread evenly)
--   net:dot() -> Graphviz DOT text (cables solid, tunnels dashed,
--       impaired ones red and labelled with each direction's impairment)
--   net:impair(x, y, opts | false) -> true | nil, msg, errname
--       changes the impairment of the cable or tunnel between x and y in
--       place, at run time (opts as the cable's); false clears it. Also
--       net:impair(cable, opts) with what net:link/net:tunnel returned
--       (two cables between the same nodes).
--   net:cable_down(x, y), net:cable_up(x, y) -> true | nil, msg, errname
--       (or (cable))
--       fails the cable between x and y (both ends down) and brings it back
--       (both ends up, then what the kernel dropped with them, the routes
--       through them and their IPv6 addresses, is put back as `up` does)
--   net:main(arg [, { name = function(net, args...) -> ok, msg }... ])
--       the command line: up | down | status | dot | reach | ping X Y |
--       exec NODE CMD ARGS... | extra commands; prints usage and exits 2 on
--       bad input, exits 1 on failure (with the failing step), else 0.
--   Lua 5.4: `local net <close> = topo.new{...}` runs net:down() at scope exit.
-- @module vnet.topology
local vnet = require "vnet"
local impair = require "vnet.impair"

local M = {}
local T = {}
T.__index = T
T.__close = function(self) self:down() end
T.__tostring = function(self) return "vnet.topology: " .. self.name end

local Node = {}
Node.__index = Node
Node.__tostring = function(n) return "vnet.topology." .. n.kind .. ": " .. n.name end

local unpack = table.unpack or unpack
local fmt = string.format

-- ---- addresses -----------------------------------------------------------
-- Parsed and printed by vnet.core's parser (vnet.ip), as every option of
-- the core is, in ip's canonical form.

local ip = vnet.ip

--- Parses "10.0.0.1", "10.0.0.1/24", "fd00::1/64". Returns nil if malformed.
-- Otherwise `{ family =, ip =, plen =, cidr =, explicit = }` (explicit:
-- the prefix length was given).
-- @function parse_cidr
local function parse_cidr(s)
  if type(s) ~= "string" then return nil end
  local fam, addr, plen = ip.parse(s)
  if not fam then return nil end
  return { family = fam, plen = plen, ip = addr, cidr = addr .. "/" .. plen,
           explicit = s:find("/", 1, true) ~= nil }
end
M.parse_cidr = parse_cidr

-- whether two parsed addresses are the same address (prefix lengths aside)
local function same_ip(a, b)
  return a.family == b.family and a.ip == b.ip
end

-- hands out host addresses of a subnet in order, skipping used ones
local function allocator(net)
  return { net = net, next = 1, used = {} }
end

local function alloc_next(al, what)
  local net = al.net
  while true do
    local c = ip.host(net.cidr, al.next)
    al.next = al.next + 1
    if not c then
      error(fmt("%s: subnet %s has no free address left", what,
                ip.network(net.cidr)), 0)
    end
    local p = parse_cidr(c)
    if not al.used[p.ip] then
      al.used[p.ip] = true
      return p
    end
  end
end

-- ---- small helpers -------------------------------------------------------

local function check_ifname(s, what)
  if type(s) ~= "string" or not vnet.core.ifname_ok(s) then
    error(fmt("%s: interface name '%s' must be 1 to 15 bytes without '/', ':' or spaces",
              what, tostring(s)), 3)
  end
  return s
end

local function cidr_list(v, what)
  local out = {}
  if v == nil then return out end
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" then error(what .. ": addresses must be a string or a list", 3) end
  for _, s in ipairs(v) do
    local c = parse_cidr(s)
    if not c then error(fmt("%s: '%s' is not a valid address", what, tostring(s)), 3) end
    if not c.explicit then c = parse_cidr(c.ip .. "/" .. (c.family == "inet" and 32 or 128)) end
    out[#out + 1] = c
  end
  return out
end

local function copy(t)
  local r = {}
  for k, v in pairs(t or {}) do r[k] = v end
  return r
end

local function hash(s)
  local h = 5381
  for i = 1, #s do h = (h * 33 + s:byte(i)) % 2147483647 end
  return h
end

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

local function check_keys(t, allowed, fn)
  if t == nil then return {} end
  if type(t) ~= "table" then error(fn .. ": options table expected", 3) end
  for k in pairs(t) do
    if not allowed[k] then error(fmt("%s: unknown option '%s'", fn, tostring(k)), 3) end
  end
  return t
end

local HOST_KEYS = { sysctl = true, forward = true }

--- net:host(name [, { sysctl = {...}, forward = bool }]) -> node
function T:host(name, opts)
  opts = check_keys(opts, HOST_KEYS, "host")
  local n = self:_add_node("host", name, opts, "host")
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

function T:_fabric()
  if not self.fabric then
    self.fabric = setmetatable({ kind = "fabric", name = self.name, nsname = self.name,
                                 topo = self, nif = 0, nport = 0, nsys = {} }, Node)
  end
  return self.fabric
end

local SWITCH_KEYS = { at = true, subnet = true, ip = true, mtu = true, bridge = true }

--- net:switch(name [, { at =, subnet =, ip =, mtu =, bridge = {} }]) -> node
function T:switch(name, opts)
  opts = check_keys(opts, SWITCH_KEYS, "switch")
  local at = opts.at and self:_node(opts.at, "switch", "option 'at'")
  if at and at.kind == "switch" then error("switch: option 'at' must be a host or external node", 2) end
  local n = self:_add_node("switch", name, opts, "switch")
  n.at = at or self:_fabric()
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
  n.handle = type(ns) == "userdata" and ns or nil
  n.nsname = type(ns) == "string" and ns or (type(ns) == "userdata" and ns.name) or nil
  return n
end

-- the node whose namespace holds node's devices
local function home(node)
  if node.kind == "switch" then return node.at end
  return node
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

-- impairment options (vnet.impair) among a table's keys -> normalized table
-- (nil when none); both = the cable's options for both directions
local function imp_opts(t, what, both)
  local o, any = {}, false
  for k, v in pairs(both or {}) do o[k] = v; any = true end
  for k, v in pairs(t or {}) do
    if impair.KEYS[k] then o[k] = v; any = true end
  end
  if not any then return nil end
  local ok, r = pcall(impair.normalize, o, what)
  if not ok then error((tostring(r):gsub("^[^\n]-:%d+: ", "")), 4) end
  if not impair.shape(r) then return nil end    -- nothing to set (e.g. a limit alone)
  return r
end

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
    if k ~= "mtu" and k ~= "subnet" and not impair.KEYS[k] then
      error(fmt("%s: unknown option or node '%s'", what, tostring(k)), 2)
    end
  end
  local ex, ey = endpoint_spec(sx, what), endpoint_spec(sy, what)
  set_imps(ex, ey, rest, what)
  local c = { kind = "cable", a = ex, b = ey, mtu = rest.mtu }
  ex.node, ey.node = x, y
  for _, e in ipairs({ ex, ey }) do
    e.addrs = e.addrs or {}
    local other = e == ex and y or x
    e.dev = e.name and check_ifname(e.name, what) or self:_devname(e.node, other)
    e.ns = home(e.node)
    if e.node.kind == "switch" then e.master = e.node.dev end
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
  if node.kind == "external" then
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

local function ns_exists(name)
  for n in vnet.netns.list() do if n == name then return true end end
  return false
end

-- Whether /run/netns/NAME is an empty file with nothing mounted on it: what
-- a namespace's creation leaves when killed between making the file and
-- mounting the namespace on it (or its removal, between the two steps).
-- It holds no namespace, only the name.
local function stale_file(name)
  local path = "/run/netns/" .. name
  local mi = io.open("/proc/self/mountinfo")
  if not mi then return false end
  for line in mi:lines() do
    if line:match("^%S+ %S+ %S+ %S+ (%S+)") == path then
      mi:close()
      return false
    end
  end
  mi:close()
  local f = io.open(path, "rb")
  if not f then return false end
  local data = f:read(1)
  f:close()
  return data == nil
end

-- runs argv in h; returns ok, out, err
local function run(h, argv, stdin)
  local t = copy(argv)
  t.capture = true
  t.stdin = stdin
  local ok, out, err, code = h:exec(t)
  if ok == nil then return false, "", tostring(out) end
  return ok, out or "", err or "", code
end

-- ---- plan ----------------------------------------------------------------

local function ep_desc(e)
  return e.node.name .. ":" .. e.dev
end

local function nodelabel(node)
  if node.kind == "external" then return node.name .. " (external)" end
  return node.name
end

-- allocates addresses, resolves gateways and underlays; builds the steps
function T:_compile()
  if self._plan then return self._plan end
  local steps = {}
  local function step(s) steps[#steps + 1] = s; return s end

  -- every device endpoint, in declaration order
  local eps = {}
  for _, c in ipairs(self.cables) do eps[#eps + 1] = c.a; eps[#eps + 1] = c.b end

  -- address allocation: explicit addresses first, then switches' and cables' subnets
  local allocs = {}
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" and n.subnet then
      allocs[n] = allocator(n.subnet)
      for _, a in ipairs(n.addrs) do allocs[n].used[a.ip] = true end
    end
  end
  for _, c in ipairs(self.cables) do
    if c.subnet then c.alloc = allocator(c.subnet) end
    for _, e in ipairs({ c.a, c.b }) do
      local sw = e.node.kind ~= "switch" and (e == c.a and c.b or c.a).node
      for _, a in ipairs(e.addrs) do
        if sw and allocs[sw] then allocs[sw].used[a.ip] = true end
        if c.alloc then c.alloc.used[a.ip] = true end
      end
    end
  end
  for _, c in ipairs(self.cables) do
    c.a.auto, c.b.auto = nil, nil
    for _, e in ipairs({ c.a, c.b }) do
      local other = (e == c.a and c.b or c.a).node
      if #e.addrs == 0 and e.node.kind ~= "switch" then
        local al = c.alloc or allocs[other]
        if al then
          e.auto = { alloc_next(al, fmt("link %s -- %s", c.a.node.name, c.b.node.name)) }
        end
      end
    end
  end
  local function addrs_of(e) return e.auto or e.addrs end

  -- names must be unique per namespace
  local names = {}
  local function claim(node, dev, what)
    names[node] = names[node] or {}
    if names[node][dev] then
      error(fmt("%s: device name %s is already used in %s by %s", what, dev,
                node.name, names[node][dev]), 0)
    end
    names[node][dev] = what
  end

  -- segments: the endpoints that share a wire (a cable, or a switch's ports)
  local segs = {}
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      segs[n] = { { node = n, dev = n.dev, addrs = n.addrs } }
    end
  end
  for _, c in ipairs(self.cables) do
    local seg
    if c.a.node.kind == "switch" then seg = segs[c.a.node]
    elseif c.b.node.kind == "switch" then seg = segs[c.b.node] end
    if seg then
      for _, e in ipairs({ c.a, c.b }) do
        if e.node.kind ~= "switch" then seg[#seg + 1] = { node = e.node, dev = e.dev, addrs = addrs_of(e) } end
      end
      if c.a.node.kind == "switch" and c.b.node.kind == "switch" then
        -- two switches cabled: one wire; merge b's members into a's
        local sa, sb = segs[c.a.node], segs[c.b.node]
        if sa ~= sb then
          for _, m in ipairs(sb) do sa[#sa + 1] = m end
          for k, v in pairs(segs) do if v == sb then segs[k] = sa end end
        end
      end
    else
      segs[c] = { { node = c.a.node, dev = c.a.dev, addrs = addrs_of(c.a) },
                  { node = c.b.node, dev = c.b.dev, addrs = addrs_of(c.b) } }
    end
  end
  for _, t in ipairs(self.tunnels) do
    segs[t] = { { node = t.a.node, dev = t.a.dev, addrs = t.a.addrs },
                { node = t.b.node, dev = t.b.dev, addrs = t.b.addrs } }
  end
  local seglist, seen = {}, {}
  local function addseg(s) if not seen[s] then seen[s] = true; seglist[#seglist + 1] = s end end
  for _, n in ipairs(self.nodes) do if segs[n] then addseg(segs[n]) end end
  for _, c in ipairs(self.cables) do if segs[c] then addseg(segs[c]) end end
  for _, t in ipairs(self.tunnels) do addseg(segs[t]) end
  self._segs = seglist

  -- each node's addresses in declaration order (cables, ifaces, extras; then tunnels)
  local naddrs = {}
  local function note(node, list, kind)
    naddrs[node] = naddrs[node] or {}
    for _, a in ipairs(list) do table.insert(naddrs[node], { addr = a, kind = kind }) end
  end
  for _, c in ipairs(self.cables) do note(c.a.node, addrs_of(c.a), "cable"); note(c.b.node, addrs_of(c.b), "cable") end
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      note(n, n.addrs, "switch")
      if n.at ~= self.fabric then note(n.at, n.addrs, "switch") end
    end
  end
  for _, i in ipairs(self.ifaces) do note(i.node, i.addrs, "iface") end
  for _, x in ipairs(self.extra_addrs) do note(x.node, { x.addr }, x.dev == "lo" and "lo" or "extra") end
  for _, t in ipairs(self.tunnels) do note(t.a.node, t.a.addrs, "tunnel"); note(t.b.node, t.b.addrs, "tunnel") end
  self._naddrs = naddrs

  local function first_addr(node, family, notunnel)
    for _, a in ipairs(naddrs[node] or {}) do
      if (not family or a.addr.family == family) and not (notunnel and a.kind == "tunnel")
         and a.kind ~= "lo" then
        return a.addr
      end
    end
    for _, a in ipairs(naddrs[node] or {}) do
      if (not family or a.addr.family == family) and a.kind == "lo" then return a.addr end
    end
  end
  self._first_addr = first_addr

  -- 1. namespaces
  local owned = {}
  if self.fabric then
    for _, n in ipairs(self.nodes) do
      if n.kind == "switch" and n.at == self.fabric then owned[#owned + 1] = self.fabric; break end
    end
  end
  for _, n in ipairs(self.nodes) do
    if n.kind == "host" or n.kind == "router" then owned[#owned + 1] = n end
  end
  for _, n in ipairs(owned) do
    claim(n, "lo", "loopback")
    step{ kind = "netns", node = n, what = fmt("namespace %s (%s %s)", n.nsname,
          n.kind == "fabric" and "switches of" or n.kind, n.name) }
  end
  -- 2. sysctls
  for _, n in ipairs(owned) do
    for _, kv in ipairs(n.nsys) do
      step{ kind = "sysctl", node = n, key = kv[1], value = kv[2],
            what = fmt("sysctl %s=%s on %s", kv[1], kv[2], n.name) }
    end
  end
  -- 3. switches
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      claim(n.at, n.dev, "switch " .. n.name)
      step{ kind = "bridge", node = n.at, sw = n, dev = n.dev,
            what = fmt("switch %s (bridge %s in %s)", n.name, n.dev, nodelabel(n.at)) }
    end
  end
  -- 4. cables
  for _, c in ipairs(self.cables) do
    local what = fmt("cable %s -- %s", ep_desc(c.a), ep_desc(c.b))
    claim(c.a.ns, c.a.dev, what)
    claim(c.b.ns, c.b.dev, what)
    -- make it from the external side if there is one, so undo deletes it there
    local first, second = c.a, c.b
    if c.b.ns.kind == "external" and c.a.ns.kind ~= "external" then first, second = c.b, c.a end
    step{ kind = "cable", node = first.ns, c = c, first = first, second = second, what = what }
  end
  -- 5. other links
  for _, i in ipairs(self.ifaces) do
    local what = fmt("link %s:%s (%s)", i.node.name, i.dev, i.lkind)
    claim(i.node, i.dev, what)
    step{ kind = "iface", node = i.node, i = i, what = what }
  end
  -- 6. tunnels
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do
      local other = e == t.a and t.b or t.a
      local fam = (t.mode:match("^ip6") and "inet6") or nil
      local lo = e.underlay or (first_addr(e.node, fam or "inet", true) or {}).ip
      local re = other.underlay or (first_addr(other.node, fam or "inet", true) or {}).ip
      if not lo or not re then
        error(fmt("tunnel %s -- %s: no underlay address for %s; give via = { [node] = address }",
                  t.a.node.name, t.b.node.name, lo and other.node.name or e.node.name), 0)
      end
      local what = fmt("tunnel %s:%s (%s to %s)", e.node.name, e.dev, t.mode, re)
      claim(e.node, e.dev, what)
      step{ kind = "tunnel", node = e.node, t = t, e = e, lo = lo, re = re, what = what }
    end
  end
  -- 6b. impairments (the egress of each end that has one)
  for _, c in ipairs(self.cables) do
    for _, e in ipairs({ c.a, c.b }) do
      if e.imp then
        step{ kind = "impair", node = e.ns, e = e,
              what = fmt("impairment on %s (%s)", ep_desc(e), impair.describe(e.imp)) }
      end
    end
  end
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do
      if e.imp then
        step{ kind = "impair", node = e.node, e = e,
              what = fmt("impairment on %s:%s (%s)", e.node.name, e.dev, impair.describe(e.imp)) }
      end
    end
  end
  -- 7. addresses
  local function addr_step(node, dev, a)
    step{ kind = "addr", node = node, dev = dev, addr = a,
          what = fmt("address %s on %s:%s", a.cidr, node.name, dev) }
  end
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then for _, a in ipairs(n.addrs) do addr_step(n.at, n.dev, a) end end
  end
  for _, c in ipairs(self.cables) do
    for _, e in ipairs({ c.a, c.b }) do
      for _, a in ipairs(addrs_of(e)) do addr_step(e.ns, e.dev, a) end
    end
  end
  for _, i in ipairs(self.ifaces) do for _, a in ipairs(i.addrs) do addr_step(i.node, i.dev, a) end end
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do for _, a in ipairs(e.addrs) do addr_step(e.node, e.dev, a) end end
  end
  for _, x in ipairs(self.extra_addrs) do
    if x.node.kind == "external" and not (names[x.node] and names[x.node][x.dev]) then
      error(fmt("address %s on %s:%s: the topology does not make %s in external %s, so it could not remove the address",
                x.addr.cidr, x.node.name, x.dev, x.dev, x.node.name), 0)
    end
    addr_step(x.node, x.dev, x.addr)
  end
  -- 8. routes
  for _, r in ipairs(self.routes) do
    local gw = r.gateway
    if r.vianode then
      -- the gateway node's address on a subnet it shares with the node
      local function shared(fam)
        for _, sg in ipairs(seglist) do
          local mine, theirs
          for _, m in ipairs(sg) do
            for _, a in ipairs(m.addrs) do
              if a.family == fam then
                if m.node == r.node and not mine then mine = a end
                if m.node == r.vianode and not theirs then theirs = a end
              end
            end
          end
          if mine and theirs then return theirs.ip end
        end
      end
      local fams = r.d and { r.d.family } or { "inet", "inet6" }
      for _, fam in ipairs(fams) do
        gw = gw or shared(fam)
      end
      if not gw then
        error(fmt("route %s on %s via %s: %s shares no %s subnet with %s", r.dst, r.node.name,
                  r.vianode.name, r.vianode.name, table.concat(fams, " or "), r.node.name), 0)
      end
    end
    local fam = r.d and r.d.family or (gw and parse_cidr(gw).family) or "inet"
    local dst = r.dst == "default" and "default" or r.d.cidr
    local desc = fmt("route %s%s%s%s on %s", dst, gw and (" via " .. gw) or "",
                     r.opts.dev and (" dev " .. r.opts.dev) or "",
                     r.opts.table and (" table " .. r.opts.table) or "", r.node.name)
    step{ kind = "route", node = r.node, r = r, gw = gw, family = fam, dst = dst, what = desc }
  end
  -- 9. rules
  for _, r in ipairs(self.rules) do
    local o = r.opts
    local parts = {}
    for _, k in ipairs({ "priority", "from", "to", "iif", "oif", "fwmark", "table", "action" }) do
      if o[k] ~= nil then parts[#parts + 1] = k .. " " .. tostring(o[k]) end
    end
    step{ kind = "rule", node = r.node, rule = o,
          what = fmt("rule %s on %s", table.concat(parts, " "), r.node.name) }
  end
  -- 10. nat
  for _, x in ipairs(self.nats) do
    local d = {}
    if x.opts.out then d[#d + 1] = "masquerade out " .. x.opts.out end
    for _, f in ipairs(x.opts.forward or {}) do
      d[#d + 1] = fmt("%s port %s to %s", f.proto or "tcp", f.port, f.to)
    end
    step{ kind = "nat", node = x.node, nat = x.opts,
          what = fmt("nat on %s (%s)", x.node.name, table.concat(d, ", ")) }
  end
  for i, s in ipairs(steps) do s.index = i end
  self._plan = steps
  return steps
end

--- net:plan() -> list of { index =, kind =, what = } (the steps of up)
function T:plan()
  local ok, steps = pcall(self._compile, self)
  if not ok then error(steps, 2) end
  local out = {}
  for i, s in ipairs(steps) do out[i] = { index = i, kind = s.kind, what = s.what } end
  return out
end

-- ---- probes and actions, per step kind -----------------------------------

local K = {}

local function nft_table(self) return "vnet_" .. self.name:gsub("[^%w_]", "_") end

local function tagged(self, l) return l and l.alias == self.tag end

-- A link the topology makes in a namespace it does not own is born under a
-- temporary name that only this topology uses (the kernel ignores an alias
-- given at creation), and gets its own name and the tag in one request: so
-- at every instant it is either tagged or so named, and `down`, even after
-- a kill, finds it. "vn" .. 6 hex digits of the tag .. "_" .. the step.
local function tmp_prefix(self) return fmt("vn%06x_", hash(self.tag) % 0x1000000) end
local function tmp_name(self, s) return fmt("%s%x", tmp_prefix(self), s.index) end
T._tmp_name = function(self, i) return tmp_name(self, { index = i }) end
-- the name option of the set{} that names a link born as `born`
local function renamed(born, name) if born ~= name then return name end end
local function is_tmp_name(self, name)
  local p = tmp_prefix(self)
  return name:sub(1, #p) == p and name:sub(#p + 1):match("^%x+$") ~= nil
end

-- a link's state relative to the script: "present" | "missing" | "different", detail
local function probe_link(self, h, dev, want)
  local l = h:link(dev)
  if not l then return "missing", dev .. " does not exist" end
  if want.tag ~= false and not tagged(self, l) then
    return "different", dev .. " exists but was not made by topology " .. self.name
  end
  if want.kind and l.kind ~= want.kind then
    return "different", fmt("%s is a %s link, not %s", dev, tostring(l.kind), want.kind)
  end
  if want.mtu and l.mtu ~= want.mtu then
    return "different", fmt("%s has mtu %d, not %d", dev, l.mtu, want.mtu)
  end
  if want.master then
    local m = h:link(want.master)
    if not m or l.master ~= m.index then return "different", dev .. " is not a port of " .. want.master end
  end
  if not l.up then return "different", dev .. " is down" end
  return "present", nil, l
end

-- K.<kind> = { probe = fn(self, s, h) -> state, detail; apply = fn(self, s, h, tx) }
K.netns = {
  probe = function(self, s)
    local h = self:_open(s.node)
    if not h then
      if stale_file(s.node.nsname) then
        return "different", "/run/netns/" .. s.node.nsname .. " is left from a namespace never made or half removed"
      end
      return "missing", "namespace " .. s.node.nsname .. " does not exist"
    end
    local lo = h:link("lo")
    if not tagged(self, lo) then
      return "different", "namespace " .. s.node.nsname .. " exists but was not made by topology " .. self.name
    end
    if not lo.up then return "different", "lo is down in " .. s.node.nsname end
    return "present"
  end,
  apply = function(self, s, _, tx)
    -- made without a name, tagged, then named: whatever carries one of our
    -- names without the tag on its lo was not made by this topology
    local h, msg, err = vnet.netns.new()
    if not h then return nil, msg, err end
    local lo, ok
    lo, msg, err = h:link("lo")
    if lo then ok, msg, err = lo:set{ alias = self.tag, up = true } end
    if ok then ok, msg, err = h:pin(s.node.nsname) end
    if not ok then
      h:close()
      return nil, msg, err
    end
    self._h[s.node] = h
    tx.fresh[s.node] = true
    tx:did(s, nil, function()
      self._h[s.node] = nil
      pcall(h.close, h)
      return vnet.netns.delete(s.node.nsname)
    end)
    return true
  end,
}

K.sysctl = {
  probe = function(_, s, h)
    local v, msg = h:sysctl(s.key)
    if v == nil then return "missing", tostring(msg) end
    v = tostring(v):gsub("%s+$", "")
    if v ~= s.value then return "missing", fmt("%s is %s, not %s", s.key, v, s.value) end
    return "present"
  end,
  apply = function(_, s, h, tx)
    local old = h:sysctl(s.key)
    local ok, msg, err = h:sysctl(s.key, s.value)
    if not ok then return nil, msg, err end
    if old ~= nil then
      tx:did(s, s.node, function() return h:sysctl(s.key, (tostring(old):gsub("%s+$", ""))) end)
    end
    return true
  end,
}

K.bridge = {
  probe = function(self, s, h)
    return probe_link(self, h, s.dev, { kind = "bridge", mtu = s.sw.opts.mtu })
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.sw.opts.bridge)
    o.name, o.kind, o.mtu = s.dev, "bridge", s.sw.opts.mtu
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    local l, msg, err = h:link_add(o)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, s.dev), alias = self.tag, up = true }
  end,
}

K.cable = {
  probe = function(self, s, h)
    local c, f, g = s.c, s.first, s.second
    local h2 = self:_open(g.ns)
    local mtu = c.mtu
    local st1, d1 = probe_link(self, h, f.dev, { kind = "veth", mtu = f.mtu or mtu, master = f.master })
    local st2, d2 = "missing", g.dev .. " does not exist"
    if h2 then
      st2, d2 = probe_link(self, h2, g.dev, { kind = "veth", mtu = g.mtu or mtu, master = g.master })
    end
    if st1 == st2 then return st1, d1 or d2 end
    if st1 == "missing" then return "different", fmt("%s is missing but %s exists", ep_desc(f), ep_desc(g)) end
    if st2 == "missing" then return "different", fmt("%s is missing but %s exists", ep_desc(g), ep_desc(f)) end
    return "different", d1 or d2
  end,
  apply = function(self, s, h, tx)
    local c, f, g = s.c, s.first, s.second
    local h2, m0, e0 = self:_open(g.ns)
    if not h2 then return nil, m0, e0 end
    local peer = { name = g.dev, mtu = g.mtu or c.mtu, address = g.mac }
    if h2 ~= h then peer.netns = h2 end
    -- the end in an external namespace (if any) is `first`: born under a
    -- temporary name; its twin goes wherever it goes
    local name = f.ns.kind == "external" and tmp_name(self, s) or f.dev
    local l, msg, err = h:link_add{ name = name, kind = "veth", mtu = f.mtu or c.mtu,
                                    address = f.mac, peer = peer }
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    local ok
    ok, msg, err = l:set{ name = renamed(name, f.dev), alias = self.tag, up = true,
                          master = f.master }
    if not ok then return nil, msg, err end
    local p
    p, msg, err = h2:link(g.dev)
    if not p then return nil, msg, err end
    return p:set{ alias = self.tag, up = true, master = g.master }
  end,
}

K.iface = {
  probe = function(self, s, h)
    return probe_link(self, h, s.i.dev, { kind = s.i.lkind, mtu = s.i.mtu })
  end,
  apply = function(self, s, h, tx)
    local i = s.i
    local o = copy(i.kopts)
    o.name, o.kind, o.mtu = i.dev, i.lkind, i.mtu
    local where = h
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    if i.pnode then
      local ph, m0, e0 = self:_open(i.pnode)
      if not ph then return nil, m0, e0 end
      o.parent = i.pdev
      if ph ~= h then
        -- made in the parent's namespace and moved at once; some kernels
        -- check the name there too, so it is born with a temporary one
        o.netns = h
        o.name = tmp_name(self, s)
      end
      where = ph
    end
    local l, msg, err = where:link_add(o)
    if not l then return nil, msg, err end
    l, msg, err = h:link(o.name)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, i.dev), alias = self.tag, up = true }
  end,
}

-- tunnel kinds that take no local address
local NO_LOCAL = { geneve = true }

K.tunnel = {
  probe = function(self, s, h)
    return probe_link(self, h, s.e.dev, { kind = s.t.mode, mtu = s.e.mtu or s.t.mtu })
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.t.kopts)
    o.name, o.kind, o.mtu = s.e.dev, s.t.mode, s.e.mtu or s.t.mtu
    o.remote = s.re
    if not NO_LOCAL[s.t.mode] then o["local"] = s.lo end
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    local l, msg, err = h:link_add(o)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, s.e.dev), alias = self.tag, up = true }
  end,
}

-- the egress impairment of one end (vnet.impair); a different one is
-- changed in place by `up` (converge), not refused
K.impair = {
  converge = true,
  probe = function(_, s, h)
    local l = h:link(s.e.dev)
    if not l then return "missing", s.e.dev .. " does not exist" end
    local got, msg = l:impairment()
    if not got then return "different", tostring(msg) end
    if impair.same(got, s.e.imp) then return "present" end
    if next(got) == nil then return "missing", s.e.dev .. " has no impairment" end
    return "different", fmt("%s has %s", s.e.dev, impair.describe(got))
  end,
  apply = function(_, s, h, tx)
    local l, msg, err = h:link(s.e.dev)
    if not l then return nil, msg, err end
    local old = l:impairment() or {}
    local ok
    ok, msg, err = l:impair(s.e.imp)
    if not ok then return nil, msg, err end
    tx:did(s, s.node, function() return l:impair(next(old) and old or false) end)
    return true
  end,
}

local function addr_matches(a, want)
  local got = parse_cidr(a.address or "")
  if not got then return false end
  local plen = tonumber(a.prefixlen) or got.plen
  return same_ip(got, want) and (not a.prefixlen or plen == want.plen)
end

K.addr = {
  probe = function(_, s, h)
    if not h:link(s.dev) then return "missing", s.dev .. " does not exist" end
    local it, msg = h:addrs{ dev = s.dev }
    if not it then return "missing", tostring(msg) end
    for a in it do
      if addr_matches(a, s.addr) then return "present" end
    end
    return "missing", fmt("%s has no address %s", s.dev, s.addr.cidr)
  end,
  apply = function(_, s, h, tx)
    local o = { dev = s.dev, address = s.addr.cidr }
    if s.addr.family == "inet6" then o.flags = { "nodad" } end
    local a, msg, err = h:addr_add(o)
    if not a then return nil, msg, err end
    tx:did(s, s.node, function() return h:addr_del{ dev = s.dev, address = s.addr.cidr } end)
    return true
  end,
}

local function proto_of(v)
  return tostring(v)
end

local function same_dst(got, want)
  if got == nil or got == "default" or got == "0.0.0.0/0" or got == "::/0" then
    return want == "default"
  end
  if want == "default" then return false end
  local g, w = parse_cidr(got), parse_cidr(want)
  return g and w and g.plen == w.plen and same_ip(g, w)
end

local function route_opts(self, s)
  local o = { dst = s.dst, protocol = self.proto }
  if s.dst == "default" and s.family == "inet6" then o.dst = "::/0" end
  if s.gw then o.gateway = s.gw end
  for k, v in pairs(s.r.opts) do o[k] = v end
  return o
end

local function find_route(self, s, h)
  local it = h:routes{ table = s.r.opts.table, family = s.family }
  if not it then return nil end
  for r in it do
    if same_dst(r.dst, s.dst) and (s.r.opts.metric == nil or tonumber(r.metric) == s.r.opts.metric)
       and (r.type == nil or r.type == (s.r.opts.type or "unicast")) then
      return r
    end
  end
end

K.route = {
  probe = function(self, s, h)
    local r = find_route(self, s, h)
    if not r then return "missing", "no route to " .. s.dst end
    if proto_of(r.protocol) ~= proto_of(self.proto) then
      return "different", fmt("route to %s exists but was not made by topology %s (protocol %s)",
                              s.dst, self.name, tostring(r.protocol))
    end
    if s.gw then
      local g = parse_cidr(r.gateway or "")
      if not g or g.ip ~= s.gw then
        return "different", fmt("route to %s goes via %s, not %s", s.dst, tostring(r.gateway), s.gw)
      end
    end
    return "present"
  end,
  apply = function(self, s, h, tx)
    local o = route_opts(self, s)
    local r, msg, err = h:route_add(o)
    if not r then return nil, msg, err end
    tx:did(s, s.node, function()
      return h:route_del{ dst = o.dst, table = o.table, metric = o.metric, protocol = self.proto }
    end)
    return true
  end,
}

local function rule_matches(r, o)
  for _, k in ipairs({ "priority", "table", "fwmark" }) do
    if o[k] ~= nil and tostring(r[k]) ~= tostring(o[k]) then return false end
  end
  for _, k in ipairs({ "iif", "oif" }) do
    if o[k] ~= nil and r[k] ~= o[k] then return false end
  end
  for _, k in ipairs({ "from", "to" }) do
    if o[k] ~= nil then
      if r[k] == nil then return false end
      local a, b = parse_cidr(r[k]), parse_cidr(o[k])
      if not a or not b or not same_ip(a, b) or a.plen ~= b.plen then return false end
    elseif r[k] ~= nil and r[k] ~= "all" then
      local a = parse_cidr(r[k])
      if a and a.plen ~= 0 then return false end
    end
  end
  return true
end

local function rule_family(o)
  if o.family then return o.family end
  local c = parse_cidr(o.from or o.to or "")
  return c and c.family or "inet"
end

K.rule = {
  probe = function(self, s, h)
    local it = h:rules{ family = rule_family(s.rule) }
    if not it then return "missing" end
    for r in it do
      if rule_matches(r, s.rule) then
        if r.protocol ~= nil and proto_of(r.protocol) ~= proto_of(self.proto) then
          return "different", "a matching rule exists but was not made by topology " .. self.name
        end
        return "present"
      end
    end
    return "missing", "no such rule"
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.rule)
    if not o.family then o.family = rule_family(o) end
    o.protocol = self.proto     -- tagged: `down` finds the rules it made
    local r, msg, err = h:rule_add(o)
    if not r then return nil, msg, err end
    tx:did(s, s.node, function() return h:rule_del(o) end)
    return true
  end,
}

local function nft_script(self, o)
  local t = nft_table(self)
  local lines = { "table ip " .. t .. " {" }
  if o.out then
    lines[#lines + 1] = "  chain postrouting {"
    lines[#lines + 1] = "    type nat hook postrouting priority srcnat; policy accept;"
    lines[#lines + 1] = fmt("    %soifname \"%s\" masquerade",
                            o.src and ("ip saddr " .. o.src .. " ") or "", o.out)
    lines[#lines + 1] = "  }"
  end
  if o.forward then
    lines[#lines + 1] = "  chain prerouting {"
    lines[#lines + 1] = "    type nat hook prerouting priority dstnat; policy accept;"
    for _, f in ipairs(o.forward) do
      lines[#lines + 1] = fmt("    %s%s dport %d dnat to %s",
                              f["in"] and fmt("iifname \"%s\" ", f["in"]) or "",
                              f.proto or "tcp", tonumber(f.port), f.to)
    end
    lines[#lines + 1] = "  }"
    lines[#lines + 1] = "  chain output {"
    lines[#lines + 1] = "    type nat hook output priority -100; policy accept;"
    for _, f in ipairs(o.forward) do
      if not f["in"] then
        lines[#lines + 1] = fmt("    %s dport %d dnat to %s", f.proto or "tcp", tonumber(f.port), f.to)
      end
    end
    lines[#lines + 1] = "  }"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

K.nat = {
  probe = function(self, _, h)
    local ok = run(h, { "nft", "list", "table", "ip", nft_table(self) })
    if ok then return "present" end
    return "missing", "no nftables table " .. nft_table(self)
  end,
  apply = function(self, s, h, tx)
    local ok, _, err = run(h, { "nft", "-f", "-" }, nft_script(self, s.nat))
    if not ok then
      return nil, fmt("nft -f: %s", (err:gsub("%s+$", ""))), "ENFT"
    end
    tx:did(s, s.node, function()
      return run(h, { "nft", "delete", "table", "ip", nft_table(self) })
    end)
    return true
  end,
}

-- ---- up, down, status ----------------------------------------------------

local Tx = {}
Tx.__index = Tx
function Tx:did(s, node, undo)
  self.undo[#self.undo + 1] = { step = s, node = node, fn = undo }
end

function Tx:rollback()
  local errs = {}
  for i = #self.undo, 1, -1 do
    local u = self.undo[i]
    -- objects inside a namespace made by this transaction go with it
    if not (u.node and self.fresh[u.node]) then
      local ok, a, msg = pcall(u.fn)
      if not ok or not a then
        errs[#errs + 1] = fmt("undo %s: %s", u.step.what, tostring(ok and msg or a))
      end
    end
  end
  return errs
end

-- the state of step s; in a transaction, steps inside fresh namespaces are missing
function T:_probe(s, tx)
  local n = s.node
  if s.kind == "netns" then
    if tx and tx.fresh[n] then return "present" end
    return K.netns.probe(self, s)
  end
  if tx and tx.fresh[n] then return "missing" end
  if tx and s.kind == "cable" and tx.fresh[s.second.ns] then
    -- the far end's namespace is new, so only this end could be in the way
    local h = self:_open(n)
    local l = h and h:link(s.first.dev)
    if not l then return "missing" end
    if not tagged(self, l) then
      return "different", s.first.dev .. " exists but was not made by topology " .. self.name
    end
    return "different", s.first.dev .. " exists without its peer"
  end
  local h = self:_open(n)
  if not h then
    return "missing", "namespace " .. tostring(n.nsname or n.name) .. " does not exist"
  end
  return K[s.kind].probe(self, s, h)
end

--- net:up() -> net | nil, msg, errname
function T:up()
  local ok, steps = pcall(self._compile, self)
  if not ok then return nil, fmt("up %s: %s", self.name, tostring(steps)), "EINVAL" end
  local tx = setmetatable({ undo = {}, fresh = {} }, Tx)
  local k = #steps
  local function fail(s, msg, err, errs)
    local m = fmt("up %s: step %d/%d (%s): %s", self.name, s.index, k, s.what, tostring(msg))
    for _, e in ipairs(tx:rollback()) do m = m .. "\n  " .. e end
    for _, e in ipairs(errs or {}) do m = m .. "\n  " .. e end
    for node in pairs(tx.fresh) do self._h[node] = nil end
    return nil, m, err or "EFAULT"
  end
  for _, s in ipairs(steps) do
    local pok, state, detail = pcall(self._probe, self, s, tx)
    if not pok then return fail(s, state, "EINVAL") end
    if self._fault then
      local fok, fmsg, ferr = self._fault(s.index, s, "before")
      if not fok then return fail(s, fmsg, ferr) end
    end
    if state == "different" and not K[s.kind].converge then
      return fail(s, tostring(detail) .. "; run down first", "EEXIST")
    elseif state ~= "present" then
      local h, m0, e0
      if s.kind ~= "netns" then
        h, m0, e0 = self:_open(s.node)
        if not h then return fail(s, m0, e0) end
      end
      local aok, r, msg, err = pcall(K[s.kind].apply, self, s, h, tx)
      if not aok then return fail(s, (tostring(r):gsub("^[^:\n]+:%d+: ", "")), "EINVAL") end
      if not r then return fail(s, msg, err) end
      if self._fault then
        local fok, fmsg, ferr = self._fault(s.index, s, "after")
        if not fok then return fail(s, fmsg, ferr) end
      end
    end
  end
  return self
end

--- net:status() -> list of { step, what, state, detail }, all_present,
-- processes (net:processes(): what net:spawn started)
function T:status()
  local steps = self:_compile()
  local out, all = {}, true
  local missing_ns = {}
  for _, s in ipairs(steps) do
    local state, detail
    if missing_ns[s.node] then
      state = missing_ns[s.node]
      detail = "namespace " .. s.node.nsname .. (state == "missing" and " does not exist"
                                                 or " is not this topology's")
    else
      local ok
      ok, state, detail = pcall(self._probe, self, s)
      if not ok then state, detail = "different", tostring(state) end
      if s.kind == "netns" and state ~= "present" then missing_ns[s.node] = state end
    end
    if state ~= "present" then all = false end
    out[#out + 1] = { step = s.index, kind = s.kind, what = s.what, state = state, detail = detail }
  end
  return out, all, self:processes()
end

-- kills the processes left running in the namespace of handle h (best
-- effort; a process is started only when there is one to kill)
local function kill_pids(h)
  local pids = h:pids()
  if pids and #pids > 0 then
    os.execute("kill -9 " .. table.concat(pids, " ") .. " >/dev/null 2>&1")
  end
end

-- removes what this topology tagged in a namespace it does not own
function T:_clean_external(h, node)
  local errs = {}
  local names = {}
  local function ours(l)
    -- tagged, or still under the name it was born with (up was killed
    -- before the request that names and tags it)
    return l.alias == self.tag or ((l.alias or "") == "" and is_tmp_name(self, l.name))
  end
  local it = h:links()
  local ifbs = {}
  for l in it do
    if ours(l) then names[#names + 1] = l.name; ifbs[impair.ALIAS .. l.index] = true end
  end
  -- the ifb devices vnet.impair made for our links' ingress
  local it2 = h:links{ kind = "ifb" }
  for l in it2 or function() end do
    if l.alias and ifbs[l.alias] then
      local ok, msg = l:delete()
      if not ok and h:link(l.index) then errs[#errs + 1] = msg end
    end
  end
  for _, n in ipairs(names) do
    local l = h:link(n)               -- a veth peer may have gone with its twin
    if l and ours(l) then
      local ok, msg = l:delete()
      if not ok and h:link(n) then errs[#errs + 1] = msg end
    end
  end
  do
    local dels = {}
    for _, fam in ipairs({ "inet", "inet6" }) do
      local rit = h:routes{ family = fam, table = "all" }
      for r in rit or function() end do
        if proto_of(r.protocol) == proto_of(self.proto) then
          local dst = r.dst
          if dst == "default" and fam == "inet6" then dst = "::/0" end
          dels[#dels + 1] = { dst = dst, table = r.table, metric = r.metric,
                              protocol = self.proto, family = fam }
        end
      end
    end
    for _, d in ipairs(dels) do
      local ok, msg, err = h:route_del(d)
      if not ok and err ~= "ESRCH" and err ~= "ENOENT" then errs[#errs + 1] = msg end
    end
  end
  do
    local dels = {}
    for _, fam in ipairs({ "inet", "inet6" }) do
      local rit = h:rules{ family = fam }
      for r in rit or function() end do
        local ours = r.protocol ~= nil and proto_of(r.protocol) == proto_of(self.proto)
        if r.protocol == nil then
          -- no protocol on rules in this core: the script's own rules are ours
          for _, d in ipairs(self.rules) do
            if d.node == node and rule_matches(r, d.opts) and (d.opts.priority or r.priority ~= 0) then
              ours = true
            end
          end
        end
        if ours then
          dels[#dels + 1] = { priority = r.priority, table = r.table, family = fam,
                              from = r.from, to = r.to, protocol = r.protocol and self.proto }
        end
      end
    end
    for _, d in ipairs(dels) do
      local ok, msg, err = h:rule_del(d)
      if not ok and err ~= "ENOENT" and err ~= "ESRCH" then errs[#errs + 1] = msg end
    end
  end
  if #self.nats > 0 and run(h, { "nft", "list", "table", "ip", nft_table(self) }) then
    run(h, { "nft", "delete", "table", "ip", nft_table(self) })
  end
  return errs
end

--- net:down() -> true | nil, msg, errname. Removes what the kernel says this
-- topology owns; works from a fresh process.
function T:down()
  local errs = {}
  self:_end_processes()
  -- externals first (their tagged links, routes with our protocol, our nft table)
  local seen = {}
  for _, n in ipairs(self.nodes) do
    local e = n.kind == "switch" and n.at or n
    if e.kind == "external" and not seen[e] then
      seen[e] = true
      local h = self:_open(e)
      if h then
        local ok, r = pcall(self._clean_external, self, h, e)
        if not ok then errs[#errs + 1] = tostring(r)
        else for _, m in ipairs(r) do errs[#errs + 1] = tostring(m) end end
      end
    end
  end
  self:_close_all()
  -- then every namespace with our name or prefix whose lo carries our tag
  -- (a namespace is tagged before it gets its name), and the empty files
  -- left under the names of this script's namespaces by a creation or a
  -- removal that was killed half way
  local prefix = self.name .. "-"
  local planned = { [self.name] = true }
  for _, n in ipairs(self.nodes) do
    if n.kind == "host" or n.kind == "router" then planned[n.nsname] = true end
  end
  local mine = {}
  for name in vnet.netns.list() do
    if name == self.name or name:sub(1, #prefix) == prefix then
      local h = vnet.netns.open(name)
      if h then
        local lo = h:link("lo")
        if lo and lo.alias == self.tag then
          mine[#mine + 1] = name
          kill_pids(h)
        end
        lo = nil
        h:close()
      elseif planned[name] and stale_file(name) then
        mine[#mine + 1] = name
      end
    end
  end
  -- every handle of ours is closed by now (a handle keeps a deleted
  -- namespace alive): no full collection, which would stall a host such
  -- as an nginx worker
  for _, name in ipairs(mine) do
    local ok, msg = vnet.netns.delete(name)
    if not ok and ns_exists(name) then errs[#errs + 1] = msg end
  end
  if #errs > 0 then
    return nil, fmt("down %s: %s", self.name, table.concat(errs, "; ")), "EBUSY"
  end
  return true
end

-- ---- run time: impairments, failures ------------------------------------

local function is_wire(self, w)
  if type(w) ~= "table" or getmetatable(w) then return false end
  for _, list in ipairs({ self.cables, self.tunnels }) do
    for _, c in ipairs(list) do if c == w then return true end end
  end
  return false
end

-- the cable (or tunnel) between x and y, and its ends as x's and y's; or
-- the cable (tunnel) x itself (as net:link returned it), ends a and b
function T:_wire(x, y, fn)
  if is_wire(self, x) then return x, x.a, x.b end
  x, y = self:_node(x, fn, "x"), self:_node(y, fn, "y")
  for _, list in ipairs({ self.cables, self.tunnels }) do
    for _, c in ipairs(list) do
      if c.a.node == x and c.b.node == y then return c, c.a, c.b end
      if c.b.node == x and c.a.node == y then return c, c.b, c.a end
    end
  end
  error(fmt("%s: no cable or tunnel between %s and %s", fn, x.name, y.name), 3)
end

local function ep_link(self, e)
  local h, msg, err = self:_open(e.ns)
  if not h then return nil, msg, err end
  return h:link(e.dev)
end

--- net:impair(x, y, opts | false) -> true | nil, msg, errname
-- Changes the impairment of the cable (or tunnel) between x and y at run
-- time, in place: opts as the cable's ({ delay =, loss =, rate =, ... } for
-- both directions, [x] = { ... } for x's egress); false clears both. The
-- script's model follows, so `status` agrees afterwards.
function T:impair(x, y, opts)
  if is_wire(self, x) then opts = y end
  local c, ex, ey = self:_wire(x, y, "impair")
  local what = fmt("impair %s -- %s", ex.node.name, ey.node.name)
  local ix, iy
  if opts ~= false then
    if type(opts) ~= "table" then error(what .. ": options must be a table or false", 2) end
    local rest, sx, sy = {}, nil, nil
    for k, v in pairs(opts) do
      if k == ex.node or k == ex.node.name then sx = v
      elseif k == ey.node or k == ey.node.name then sy = v
      elseif impair.KEYS[k] then rest[k] = v
      else error(fmt("%s: unknown option or node '%s'", what, tostring(k)), 2) end
    end
    for _, v in ipairs({ sx or {}, sy or {} }) do
      if type(v) ~= "table" then error(what .. ": an end's options must be a table", 2) end
      for k in pairs(v) do
        if not impair.KEYS[k] then error(fmt("%s: unknown option '%s'", what, tostring(k)), 2) end
      end
    end
    ix, iy = imp_opts(sx, what, rest), imp_opts(sy, what, rest)
  end
  local done = {}
  for _, p in ipairs({ { ex, ix }, { ey, iy } }) do
    local e, want = p[1], p[2]
    local l, msg, err = ep_link(self, e)
    local old = l and l:impairment()
    local ok
    if l then ok, msg, err = l:impair(want or false) end
    if not ok then
      for _, d in ipairs(done) do pcall(d[1].impair, d[1], next(d[2]) and d[2] or false) end
      return nil, fmt("%s: %s", what, tostring(msg)), err
    end
    done[#done + 1] = { l, old or {} }
  end
  ex.imp, ey.imp = ix, iy
  self._plan = nil
  return true
end

-- sets both ends of the cable between x and y up or down
function T:_cable_set(x, y, up, fn)
  local c, ex, ey = self:_wire(x, y, fn)
  if c.kind ~= "cable" then error(fn .. ": only cables (veth pairs) can be failed", 3) end
  for _, e in ipairs({ ex, ey }) do
    local l, msg, err = ep_link(self, e)
    local ok
    if l then ok, msg, err = l:set{ up = up } end
    if not ok then return nil, fmt("%s %s -- %s: %s", fn, ex.node.name, ey.node.name, tostring(msg)), err end
  end
  return true
end

--- net:cable_down(x, y) -> true | nil, msg, errname: fails the cable (both
-- ends down, so both lose the carrier); net:cable_up(x, y) brings it back.
function T:cable_down(x, y) return self:_cable_set(x, y, false, "cable_down") end
--- net:cable_up(x, y) -> true | nil, msg, errname: brings the cable back (both
-- ends up, then what the kernel dropped with them is put back as `up` does)
function T:cable_up(x, y)
  local ok, msg, err = self:_cable_set(x, y, true, "cable_up")
  if not ok then return nil, msg, err end
  -- the kernel dropped the routes (and IPv6 addresses) of the downed
  -- devices: put back whatever of the script is missing
  local r
  r, msg, err = self:up()
  if not r then return nil, msg, err end
  return true
end

-- ---- checks --------------------------------------------------------------

--- net:addr(node [, family]) -> the node's first address ("10.0.1.2") or nil
function T:addr(node, family)
  node = self:_node(node, "addr")
  self:_compile()
  local a = self._first_addr(node, family)
  return a and a.ip
end

local EXEC_KEYS = { env = true, cwd = true, stdin = true, capture = true, clearenv = true,
                    timeout = true }

--- net:exec(node, argv [, opts]) -> ok, stdout, stderr, code, how
function T:exec(node, argv, opts)
  node = home(self:_node(node, "exec"))
  if type(argv) ~= "table" or #argv == 0 then error("exec: argv must be a non-empty list", 2) end
  opts = check_keys(opts, EXEC_KEYS, "exec")
  local h, msg, err = self:_open(node)
  if not h then return nil, msg, err end
  local t = {}
  for i, a in ipairs(argv) do t[i] = a end
  for k, v in pairs(opts) do t[k] = v end
  return h:exec(t)
end

-- ---- processes and events -------------------------------------------------

local SPAWN_KEYS = { stdin = true, stdout = true, stderr = true, env = true, cwd = true,
                     clearenv = true, timeout = true }

--- net:spawn(node, argv [, opts]) -> a vnet.process | nil, msg, errname.
-- As ns:spawn in node's namespace; the topology keeps it and ends it (the
-- program and its process group, killed and reaped) at down.
function T:spawn(node, argv, opts)
  node = home(self:_node(node, "spawn"))
  if type(argv) ~= "table" or #argv == 0 then error("spawn: argv must be a non-empty list", 2) end
  opts = check_keys(opts, SPAWN_KEYS, "spawn")
  local h, msg, err = self:_open(node)
  if not h then return nil, msg, err end
  local t, copy_ = {}, {}
  for i, a in ipairs(argv) do t[i] = a; copy_[i] = a end
  for k, v in pairs(opts) do t[k] = v end
  local p
  p, msg, err = h:spawn(t)
  if not p then return nil, msg, err end
  self._procs = self._procs or {}
  self._procs[#self._procs + 1] = { node = node.name, argv = copy_, process = p }
  return p
end

--- net:processes() -> list of { node =, argv =, pid =, state =, process = }
-- for what net:spawn started since the last down (state: "running",
-- "exited", "killed", "timeout" or "closed").
function T:processes()
  local out = {}
  for _, e in ipairs(self._procs or {}) do
    local p = e.process
    out[#out + 1] = { node = e.node, argv = e.argv, process = p,
                      pid = not p.closed and p.pid or nil, state = p.closed and "closed" or p.state }
  end
  return out
end

-- ends every process net:spawn started (close kills and reaps)
function T:_end_processes()
  for _, e in ipairs(self._procs or {}) do pcall(e.process.close, e.process) end
  self._procs = {}
end

-- A monitor of every namespace of a topology: one vnet.monitor per
-- namespace (node order), their fds listed in `fds` for an event loop to
-- poll (vnet.poll(mon.fds, t) in plain Lua); read() takes the next event of
-- any of them without blocking (in turns, so that no namespace starves),
-- with ev.node the name of the node whose namespace it happened in.
local TM = {}
TM.__index = TM

--- mon:read() -> the next event of any of the namespaces (ev.node: the
-- node's name), or nil at once when none is queued | nil, msg, errname
function TM:read()
  local list = self.list
  if not list then error("attempt to use a closed topology monitor", 2) end
  for k = 0, #list - 1 do
    local i = (self.turn + k - 1) % #list + 1
    local ev, msg, err = list[i].monitor:read()
    if ev then
      self.turn = i % #list + 1
      ev.node = list[i].node
      return ev
    elseif msg then
      return nil, list[i].node .. ": " .. tostring(msg), err
    end
  end
  return nil
end

--- mon:wait([timeout]) -> the next event | nil, "timeout", "ETIMEDOUT"
-- (timeout in seconds, default 5) | nil, msg, errname
function TM:wait(timeout)
  if timeout ~= nil and type(timeout) ~= "number" then
    error("wait: timeout must be a number of seconds, got " .. type(timeout), 2)
  end
  timeout = timeout or 5
  if not (timeout >= 0 and timeout <= 2147483) then
    error("wait: timeout must be between 0 and 2147483 seconds", 2)
  end
  -- a datagram that carries no event (another kind) sends the loop round
  -- again: bounded by a coarse deadline as well
  local deadline = os.time() + math.ceil(timeout) + 1
  while true do
    local ev, msg, err = self:read()
    if ev or msg then return ev, msg, err end
    local ready, pmsg, perr = vnet.poll(self.fds, timeout)
    if not ready then return nil, pmsg, perr end
    if #ready == 0 or os.time() > deadline then return nil, "timeout", "ETIMEDOUT" end
  end
end

--- mon:events([timeout]) -> iterator over events; ends when none comes
-- within timeout seconds (default 0: the events queued now)
function TM:events(timeout)
  return function()
    local ev, msg = self:wait(timeout or 0)
    if not ev and msg ~= "timeout" then error("events: " .. tostring(msg), 2) end
    return ev
  end
end

--- mon:close(): closes the monitors (also `__close` and the collector)
function TM:close()
  for _, e in ipairs(self.list or {}) do e.monitor:close() end
  self.list = nil
end
TM.__close = TM.close
TM.__gc = TM.close

--- net:monitor([groups]) -> topology monitor | nil, msg, errname.
-- groups as ns:monitor's ({ "link", "addr", ... }, default all), for every
-- namespace the topology makes or uses (hosts, routers, the switches'
-- fabric, externals).
function T:monitor(groups)
  local list, fds, seen = {}, {}, {}
  local nodes = {}
  for _, n in ipairs(self.nodes) do nodes[#nodes + 1] = home(n) end
  for _, n in ipairs(nodes) do
    if n and not seen[n] then
      seen[n] = true
      local h, msg, err = self:_open(n)
      local m
      if h then m, msg, err = h:monitor(groups) end
      if not m then
        for _, e in ipairs(list) do e.monitor:close() end
        return nil, fmt("monitor %s: %s: %s", self.name, n.name, tostring(msg)), err
      end
      list[#list + 1] = { node = n.name, monitor = m }
      fds[#fds + 1] = m.fd
    end
  end
  return setmetatable({ list = list, fds = fds, turn = 1 }, TM)
end

--- net:ping(x, y [, { count =, timeout = }]) -> ok, output
function T:ping(x, y, opts)
  x = home(self:_node(x, "ping", "x"))
  opts = opts or {}
  local target = y
  if type(y) ~= "string" or not parse_cidr(y) then
    local yn = self:_node(y, "ping", "y")
    target = self:addr(yn)
    if not target then return false, yn.name .. " has no address" end
  end
  local ok, out, err = self:exec(x, { "ping", "-n", "-q", "-c", tostring(opts.count or 1),
                                      "-W", tostring(opts.timeout or 1), target }, { capture = true })
  return ok == true, (out or "") .. (err or "")
end

--- net:reach([opts]) -> all_ok, results ({ {x=, y=, ok=}... })
function T:reach(opts)
  opts = opts or {}
  local nodes = {}
  for _, n in ipairs(opts.nodes or self.nodes) do
    n = self:_node(n, "reach")
    -- hosts and routers; by default only those with an address to ping
    if (n.kind == "host" or n.kind == "router") and (opts.nodes or self:addr(n)) then
      nodes[#nodes + 1] = n
    end
  end
  local pairs_ = {}
  if opts.pairs then
    for _, p in ipairs(opts.pairs) do
      pairs_[#pairs_ + 1] = { self:_node(p[1], "reach"), self:_node(p[2], "reach") }
    end
  else
    for _, a in ipairs(nodes) do
      for _, b in ipairs(nodes) do if a ~= b then pairs_[#pairs_ + 1] = { a, b } end end
    end
    if opts.sample and opts.sample < #pairs_ then
      local pick, stride = {}, #pairs_ / opts.sample
      for i = 0, opts.sample - 1 do pick[#pick + 1] = pairs_[math.floor(i * stride) + 1] end
      pairs_ = pick
    end
  end
  local results, all, grid = {}, true, {}
  for _, p in ipairs(pairs_) do
    local ok = self:addr(p[2]) and self:ping(p[1], p[2]) or false
    results[#results + 1] = { x = p[1].name, y = p[2].name, ok = ok }
    grid[p[1].name .. "\0" .. p[2].name] = ok
    if not ok then all = false end
  end
  if not opts.quiet then
    local out = io.stdout
    if not opts.pairs and not opts.sample and #nodes <= 24 then
      local w = 4
      for _, n in ipairs(nodes) do if #n.name + 1 > w then w = #n.name + 1 end end
      local line = { fmt("%-" .. w .. "s", "") }
      for _, n in ipairs(nodes) do line[#line + 1] = fmt("%-" .. w .. "s", n.name) end
      out:write((table.concat(line):gsub("%s+$", "")), "\n")
      for _, a in ipairs(nodes) do
        line = { fmt("%-" .. w .. "s", a.name) }
        for _, b in ipairs(nodes) do
          local v = a == b and "-" or (grid[a.name .. "\0" .. b.name] and "ok" or "X")
          line[#line + 1] = fmt("%-" .. w .. "s", v)
        end
        out:write((table.concat(line):gsub("%s+$", "")), "\n")
      end
    else
      for _, r in ipairs(results) do
        if not r.ok then out:write(fmt("%s -> %s: unreachable\n", r.x, r.y)) end
      end
    end
    local n = 0
    for _, r in ipairs(results) do if r.ok then n = n + 1 end end
    out:write(fmt("reach %s: %d/%d pairs ok\n", self.name, n, #results))
  end
  return all, results
end

-- ---- dot -----------------------------------------------------------------

local function q(s) return '"' .. tostring(s):gsub('"', '\\"') .. '"' end

local function alist(list)
  local t = {}
  for _, a in ipairs(list or {}) do t[#t + 1] = a.cidr end
  return table.concat(t, "\\n")
end

--- net:dot() -> Graphviz DOT text
function T:dot()
  self:_compile()
  local L = { "graph " .. q(self.name) .. " {", "  graph [overlap=false];",
              "  node [fontname=\"Helvetica\", fontsize=10];",
              "  edge [fontname=\"Helvetica\", fontsize=8];" }
  local shapes = { host = "box", router = "box3d", switch = "ellipse", external = "folder" }
  for _, n in ipairs(self.nodes) do
    local label = n.name
    if n.kind == "switch" and #n.addrs > 0 then label = label .. "\\n" .. alist(n.addrs) end
    if n.kind == "external" then label = label .. "\\n(external)" end
    L[#L + 1] = fmt("  %s [shape=%s, label=%s];", q(n.name), shapes[n.kind], q(label))
  end
  local function side(e, addrs)
    local s = e.dev
    local a = alist(addrs)
    if a ~= "" then s = s .. "\\n" .. a end
    return q(s)
  end
  -- an impaired cable: its label says each direction's impairment
  local function imp_text(c)
    local t = {}
    for _, p in ipairs({ { c.a, c.b }, { c.b, c.a } }) do
      if p[1].imp then
        t[#t + 1] = fmt("%s->%s: %s", p[1].node.name, p[2].node.name, impair.describe(p[1].imp))
      end
    end
    if #t > 0 then return table.concat(t, "\\n") end
  end
  local function imp_label(c)
    local t = imp_text(c)
    return t and fmt(", label=%s, color=red, fontcolor=red", q(t)) or ""
  end
  for _, c in ipairs(self.cables) do
    L[#L + 1] = fmt("  %s -- %s [taillabel=%s, headlabel=%s%s];", q(c.a.node.name), q(c.b.node.name),
                    side(c.a, c.a.auto or c.a.addrs), side(c.b, c.b.auto or c.b.addrs), imp_label(c))
  end
  for _, t in ipairs(self.tunnels) do
    local it = imp_text(t)
    L[#L + 1] = fmt("  %s -- %s [style=dashed, label=%s, taillabel=%s, headlabel=%s%s];",
                    q(t.a.node.name), q(t.b.node.name), q(it and t.mode .. "\\n" .. it or t.mode),
                    side(t.a, t.a.addrs), side(t.b, t.b.addrs), it and ", color=red, fontcolor=red" or "")
  end
  for _, i in ipairs(self.ifaces) do
    if i.pnode and i.pnode ~= i.node then
      L[#L + 1] = fmt("  %s -- %s [style=dotted, label=%s];", q(i.pnode.name), q(i.node.name),
                      q(i.lkind .. " " .. i.dev .. (#i.addrs > 0 and ("\\n" .. alist(i.addrs)) or "")))
    end
  end
  L[#L + 1] = "}"
  return table.concat(L, "\n") .. "\n"
end

-- ---- command line --------------------------------------------------------

local USAGE = [[
usage: %s COMMAND
  up                     create the network (one transaction)
  down                   remove everything this topology made
  status                 show each object: present, missing or different
  dot                    print the topology as Graphviz DOT
  reach                  ping every pair of hosts and print the matrix
  ping X Y               ping from node X to node Y (or an address)
  exec NODE CMD [ARG..]  run a command inside NODE's namespace
]]

--- net:main(arg [, commands]) -> exits the process with 0 (ok), 1 (failure)
-- or 2 (bad usage). commands: extra { name = function(net, ...) -> ok, msg }.
function T:main(arg, commands, noexit)
  arg = arg or {}
  commands = commands or {}
  local prog = arg[0] or "topology.lua"
  local function finish(code)
    io.stdout:flush()
    if noexit then return code end
    os.exit(code)
  end
  local function usage(msg)
    if msg then io.stderr:write(prog, ": ", msg, "\n") end
    local u = fmt(USAGE, prog)
    local extra = {}
    for k in pairs(commands) do extra[#extra + 1] = k end
    table.sort(extra)
    for _, k in ipairs(extra) do u = u .. fmt("  %-22s (this script's own)\n", k) end
    io.stderr:write(u)
    return finish(2)
  end
  local function failed(msg)
    io.stderr:write(prog, ": ", tostring(msg), "\n")
    return finish(1)
  end
  local cmd = arg[1]
  local nargs = 0
  for i = 1, 64 do if arg[i] ~= nil then nargs = i end end
  local function want(n)
    return nargs == n
  end
  if cmd == "up" and want(1) then
    local ok, msg = self:up()
    if not ok then return failed(msg) end
    print(fmt("up %s: %d steps done", self.name, #self._plan))
    return finish(0)
  elseif cmd == "down" and want(1) then
    local ok, msg = self:down()
    if not ok then return failed(msg) end
    print(fmt("down %s: done", self.name))
    return finish(0)
  elseif cmd == "status" and want(1) then
    local ok, st, all = pcall(self.status, self)
    if not ok then return failed(st) end
    local counts = { present = 0, missing = 0, different = 0 }
    for _, s in ipairs(st) do
      counts[s.state] = counts[s.state] + 1
      print(fmt("%-10s %s%s", s.state, s.what, s.detail and s.state ~= "present" and (": " .. s.detail) or ""))
    end
    print(fmt("status %s: %d present, %d missing, %d different", self.name,
              counts.present, counts.missing, counts.different))
    return finish(all and 0 or 1)
  elseif cmd == "dot" and want(1) then
    local ok, d = pcall(self.dot, self)
    if not ok then return failed(d) end
    io.stdout:write(d)
    return finish(0)
  elseif cmd == "reach" and want(1) then
    local ok, all = pcall(self.reach, self)
    if not ok then return failed(all) end
    return finish(all and 0 or 1)
  elseif cmd == "ping" and want(3) then
    local ok, r, out = pcall(self.ping, self, arg[2], self.byname[arg[3]] or arg[3])
    if not ok then return usage(r) end
    io.stdout:write(out)
    return finish(r and 0 or 1)
  elseif cmd == "exec" and nargs >= 3 then
    if not self.byname[arg[2]] then return usage("no node named " .. tostring(arg[2])) end
    local argv = {}
    for i = 3, nargs do argv[#argv + 1] = arg[i] end
    local ok, _, _, code = self:exec(arg[2], argv, { capture = false })
    if ok == nil then return failed(_) end
    return finish(ok and 0 or (tonumber(code) or 1))
  elseif cmd ~= nil and commands[cmd] then
    local extra = {}
    for i = 2, nargs do extra[#extra + 1] = arg[i] end
    local ok, r, msg = pcall(commands[cmd], self, unpack(extra))
    if not ok then return failed(r) end
    if not r then return failed(msg or (cmd .. " failed")) end
    return finish(0)
  end
  if cmd == nil then return usage() end
  return usage("bad command line: " .. table.concat(arg, " ", 1, nargs))
end

M.Topology = T

-- ---- generators ----------------------------------------------------------
-- in lua/vnet/topology/gen.lua, which needs nothing of this module to load

local gen = require "vnet.topology.gen"

--- topo.linear(net, n [, opts]): a routed chain of n nodes (vnet.topology.gen)
-- @function linear
M.linear = gen.linear
--- topo.star(net, n [, opts]): n hosts on one switch (vnet.topology.gen)
-- @function star
M.star = gen.star
--- topo.tree(net, depth, fanout [, opts]): a tree of switches (vnet.topology.gen)
-- @function tree
M.tree = gen.tree
--- topo.clos(net, opts): an L3 leaf-spine fabric (vnet.topology.gen)
-- @function clos
M.clos = gen.clos

return M
