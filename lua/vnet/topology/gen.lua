--- vnet.topology.gen: the shapes people build all day, in one call.
--
-- Each generator adds nodes, cables, addresses and (unless told not to)
-- static routes to an existing topology and returns the nodes it made, by
-- role, for further wiring. They are also `topo.linear`, `topo.star`,
-- `topo.tree` and `topo.clos` of vnet.topology.
--
--   local topo = require "vnet.topology"
--   local net = topo.new{ name = "lab" }
--   local c = topo.linear(net, 4)       -- h1 -- r2 -- r3 -- h4, routed
--   local s = topo.star(net, 20, { prefix = "s_" })
--   net:link(c.hosts[2], s.switch)      -- gets the next address of s's subnet
--   assert(net:up()); assert(net:reach{ quiet = true }); net:down()
--
-- Common rules:
--   opts.prefix (default "") is put before every node name the generator
--   makes, so two generators can share one net. Unknown option keys raise
--   naming the key; a count that is not an integer from 1 up raises naming
--   the argument; a subnet with no room for the shape raises. Everything
--   is checked before anything is added to net (a raise leaves it as it was).
--   Node names must give namespace names of at most 63 bytes (topology name,
--   "-", node name) and switch port names of at most 15 bytes.
--   Addresses are given explicitly (net:addr(node) reads them), except
--   star's, which come from its switch's `subnet`.
--   Routes are static routes of the topology (net:route); with routes =
--   false only the hosts' default routes are made and the routers are left
--   to a routing daemon of the user's (net:spawn).
-- @module vnet.topology.gen
local vnet = require "vnet"

local ip = vnet.ip
local fmt = string.format
local floor = math.floor

local M = {}

-- the most nodes one call makes (bounds shapes no subnet limits, such as a
-- tree of fanout 1)
M.MAX_NODES = 1048576
-- vnet.ip.host's largest index
local MAX_INDEX = 2147483647
-- the most ports a Linux bridge takes (the kernel's BR_MAX_PORTS, 1024,
-- less port 0, which it reserves): star spreads more hosts over several
M.BRIDGE_PORTS = 1023

-- ---- argument checks (each raises at the generator's caller) -------------

-- argerr from a check called by a generator, fail from the generator itself
local function argerr(fn, msg)
  error(fmt("topology.%s: %s", fn, msg), 4)
end

local function fail(fn, msg)
  error(fmt("topology.%s: %s", fn, msg), 3)
end

local function describe(v)
  if type(v) == "string" then
    if #v > 40 then v = v:sub(1, 40) .. "..." end
    return fmt("%q", v)
  end
  if type(v) == "number" then return tostring(v) end
  return type(v)
end

local function check_net(net, fn)
  local T = require("vnet.topology").Topology
  if getmetatable(net) ~= T then
    argerr(fn, "argument 'net' must be a topology (topo.new{...}), got " .. describe(net))
  end
end

local function is_count(v, min)
  return type(v) == "number" and v == v and v % 1 == 0 and v >= min and v <= MAX_INDEX
end

local function check_count(v, fn, what)
  if not is_count(v, 1) then
    argerr(fn, fmt("%s must be an integer from 1 to %d, got %s", what, MAX_INDEX, describe(v)))
  end
  return floor(v)
end

-- opts: nil or a table whose keys are all in allowed (read through
-- __index as the rest of vnet.topology reads options)
local function check_opts(opts, allowed, fn)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerr(fn, "options table expected, got " .. describe(opts)) end
  for k in pairs(opts) do
    if not allowed[k] then argerr(fn, fmt("unknown option '%s'", tostring(k))) end
  end
  return opts
end

local function check_prefix(v, fn)
  if v == nil then return "" end
  if type(v) ~= "string" or not (v == "" or v:match("^[%w_][%w_.%-]*$")) then
    argerr(fn, "option 'prefix' must be a string of letters, digits, '_', '.', '-' "
               .. "(not starting with '.' or '-'), got " .. describe(v))
  end
  return v
end

local function check_bool(v, fn, what)
  if v == nil then return true end
  if type(v) ~= "boolean" then argerr(fn, fmt("option '%s' must be a boolean, got %s", what, describe(v))) end
  return v
end

-- a subnet: { cidr = network/plen, family =, plen =, bits = }
local function check_subnet(v, default, fn)
  if v == nil then v = default end
  local fam, _, plen
  if type(v) == "string" and v:find("/", 1, true) and not v:find("\0", 1, true) then
    fam, _, plen = ip.parse(v)
  end
  if not fam then
    argerr(fn, "option 'subnet' must be a prefix such as \"10.0.0.0/16\", got " .. describe(v))
  end
  return { cidr = ip.network(v), family = fam, plen = plen, bits = fam == "inet" and 32 or 128 }
end

-- ---- subnet arithmetic (over vnet.ip) ------------------------------------

-- how many blocks of prefix length cplen the subnet holds (as far as
-- vnet.ip.host can index them)
local function nblocks(sub, cplen)
  if cplen < sub.plen then return 0 end
  local size = 2 ^ (sub.bits - cplen)
  return math.min(2 ^ (cplen - sub.plen), floor(MAX_INDEX / size) + 1)
end

-- block k (from 0) of prefix length cplen: "10.0.0.4/30"
local function block(sub, cplen, k)
  local c = assert(ip.host(sub.cidr, k * 2 ^ (sub.bits - cplen)))
  local _, a = ip.parse(c)
  return ip.format(a, cplen)
end

-- address j of a block, with the block's prefix length; addr_only: without it
local function host(cidr, j, addr_only)
  local c = assert(ip.host(cidr, j))
  if addr_only then return (c:gsub("/%d+$", "")) end
  return c
end

-- the prefixes that cover blocks k0 .. k0+m-1 of length cplen exactly
-- (aligned powers of two, so a range of m blocks needs O(log m) routes)
local function cover(sub, cplen, k0, m)
  local out = {}
  while m > 0 do
    local b, lg = 1, 0
    while k0 % (b * 2) == 0 and b * 2 <= m and lg < cplen - sub.plen do b, lg = b * 2, lg + 1 end
    out[#out + 1] = block(sub, cplen - lg, k0 / b)
    k0, m = k0 + b, m - b
  end
  return out
end

-- the smallest block (longest prefix) with room for n addresses
local function fit(sub, n)
  local spare = sub.family == "inet" and 2 or 1   -- network (and broadcast)
  local hb = 0
  while 2 ^ hb < n + spare do hb = hb + 1 end
  if sub.family == "inet" and hb < 2 then hb = 2 end
  return sub.bits - hb
end

local function room(sub, n, fn, what)
  local spare = sub.family == "inet" and 2 or 1
  local have = math.min(2 ^ (sub.bits - sub.plen) - spare, MAX_INDEX)
  if n > have then
    argerr(fn, fmt("subnet %s has room for %d addresses, %s needs %.0f", sub.cidr, have, what, n))
  end
end

-- ---- names ---------------------------------------------------------------

-- what net:link and net:tunnel take as option keys (vnet.topology's RESERVED)
local RESERVED = { mtu = true, subnet = true, mode = true, via = true }

-- names: the node names the call makes; ifnames: the bridge and port names
local function check_names(net, fn, names, ifnames)
  if #names > M.MAX_NODES then
    argerr(fn, fmt("the shape has %d nodes, more than %d", #names, M.MAX_NODES))
  end
  local seen = {}
  for _, n in ipairs(names) do
    if net.byname[n] or seen[n] then argerr(fn, fmt("node '%s' is already declared", n)) end
    if RESERVED[n] then argerr(fn, fmt("node name '%s' is reserved", n)) end
    seen[n] = true
    if #net.name + 1 + #n > 63 then
      argerr(fn, fmt("namespace name '%s-%s' would be longer than 63 bytes (shorten option 'prefix')",
                     net.name, n))
    end
  end
  for _, d in ipairs(ifnames or {}) do
    if not vnet.core.ifname_ok(d) then
      argerr(fn, fmt("switch or port name '%s' would be longer than 15 bytes (shorten option 'prefix')", d))
    end
  end
end

-- ---- linear --------------------------------------------------------------

local LINEAR_KEYS = { prefix = true, subnet = true, routes = true }

--- topo.linear(net, n [, { prefix = "", subnet = "10.255.0.0/16", routes = true }])
-- -> { nodes =, hosts =, routers =, cables = }
--
-- A chain of n nodes, node i cabled to node i+1: the two ends are hosts
-- (prefix.."h1" and prefix.."h"..n), the inner ones routers named by their
-- place (prefix.."r2" ... prefix.."r"..n-1). Cable i is block i-1 of the
-- subnet's /30s (/126s for IPv6): node i gets its first address, node i+1
-- the second. Routes: each end a default route to its neighbour; each
-- inner router the far cables of each side (summarized) via its neighbour
-- on that side, so every node reaches every address of the chain. With
-- routes = false only the ends' default routes are made.
-- nodes lists all in chain order, cables the cables in order.
function M.linear(net, n, opts)
  local fn = "linear"
  check_net(net, fn)
  n = check_count(n, fn, "argument 'n'")
  opts = check_opts(opts, LINEAR_KEYS, fn)
  local prefix = check_prefix(opts.prefix, fn)
  local sub = check_subnet(opts.subnet, "10.255.0.0/16", fn)
  local routes = check_bool(opts.routes, fn, "routes")
  local cplen = sub.bits - 2
  local have = nblocks(sub, cplen)
  if n - 1 > have then
    fail(fn, fmt("subnet %s has room for %d cables (/%d), a chain of %d nodes needs %d",
                   sub.cidr, have, cplen, n, n - 1))
  end
  local names = {}
  for i = 1, n do names[i] = prefix .. ((i == 1 or i == n) and "h" or "r") .. i end
  check_names(net, fn, names)

  local t = { nodes = {}, hosts = {}, routers = {}, cables = {} }
  for i = 1, n do
    local node
    if i == 1 or i == n then
      node = net:host(names[i])
      t.hosts[#t.hosts + 1] = node
    else
      node = net:router(names[i])
      t.routers[#t.routers + 1] = node
    end
    t.nodes[i] = node
  end
  -- cable i: block i-1; left end .1, right end .2
  local blocks = {}
  for i = 1, n - 1 do
    local b = block(sub, cplen, i - 1)
    blocks[i] = b
    local x, y = t.nodes[i], t.nodes[i + 1]
    t.cables[i] = net:link(x, y, { [x] = host(b, 1), [y] = host(b, 2) })
  end
  if n >= 3 then
    net:route(t.nodes[1], "default", host(blocks[1], 2, true))
    net:route(t.nodes[n], "default", host(blocks[n - 1], 1, true))
  end
  if routes then
    for i = 2, n - 1 do
      local left, right = host(blocks[i - 1], 1, true), host(blocks[i], 2, true)
      -- far left: cables 1 .. i-2 (blocks 0 .. i-3); far right: cables
      -- i+1 .. n-1 (blocks i .. n-2)
      for _, p in ipairs(cover(sub, cplen, 0, i - 2)) do net:route(t.nodes[i], p, left) end
      for _, p in ipairs(cover(sub, cplen, i, n - 1 - i)) do net:route(t.nodes[i], p, right) end
    end
  end
  return t
end

-- ---- star ----------------------------------------------------------------

local STAR_KEYS = { prefix = true, subnet = true, switch = true }

--- topo.star(net, n [, { prefix = "", subnet = "10.0.0.0/16", switch = "s" }])
-- -> { hosts =, switch =, switches =, cables =, uplinks = }
--
-- n hosts (prefix.."h1" ...) cabled to one switch (prefix..switch, a bridge
-- in the topology's namespace) whose `subnet` hands them their addresses in
-- order (h1 the first host address); a host cabled to the switch later gets
-- the next free one.
-- A Linux bridge takes at most M.BRIDGE_PORTS (1023) ports, so a larger
-- star is spread over several, on one L2 segment and subnet: the switch
-- keeps the first hosts and a cable (an uplink) to each of the switches
-- prefix..switch.."2", "3"... that take the rest, in order, each full but
-- the last. Its hosts then get their addresses explicitly (host i the i-th
-- of subnet, as before) and no switch has a `subnet`: give a host cabled
-- later its address. switches lists them all (the switch first), cables
-- the hosts' cables in order, uplinks the cables between switches.
function M.star(net, n, opts)
  local fn = "star"
  check_net(net, fn)
  n = check_count(n, fn, "argument 'n'")
  opts = check_opts(opts, STAR_KEYS, fn)
  local prefix = check_prefix(opts.prefix, fn)
  local sub = check_subnet(opts.subnet, "10.0.0.0/16", fn)
  local swname = opts.switch
  if swname == nil then swname = "s" end
  if type(swname) ~= "string" or not swname:match("^[%w_][%w_.%-]*$") then
    fail(fn, "option 'switch' must be a name of letters, digits, '_', '.', '-', got " .. describe(swname))
  end
  swname = prefix .. swname
  room(sub, n, fn, fmt("a star of %d hosts", n))
  -- more hosts than one bridge has ports: m more switches, each with an
  -- uplink to the first and up to P - 1 hosts; the first keeps P - m hosts
  local P = M.BRIDGE_PORTS
  if not is_count(P, 3) then
    fail(fn, "vnet.topology.gen.BRIDGE_PORTS must be an integer from 3, got " .. describe(P))
  end
  local m = n > P and math.ceil((n - P) / (P - 2)) or 0
  if m > P then
    fail(fn, fmt("a star of %d hosts needs more than %d switches of %d ports", n, P + 1, P))
  end
  local names = {}
  for i = 1, n do names[i] = prefix .. "h" .. i end
  names[#names + 1] = swname
  local ifnames = { swname, swname .. "p" .. math.min(n, P) }
  for k = 2, m + 1 do names[#names + 1] = swname .. k end
  if m > 0 then ifnames[#ifnames + 1] = swname .. (m + 1) .. "p" .. P end
  check_names(net, fn, names, ifnames)

  local t = { hosts = {}, cables = {}, switches = {}, uplinks = {} }
  t.switch = net:switch(swname, { subnet = m == 0 and sub.cidr or nil })
  t.switches[1] = t.switch
  local sw, room_left = t.switch, P - m
  for i = 1, n do
    if room_left == 0 then
      sw = net:switch(swname .. (#t.switches + 1))
      t.switches[#t.switches + 1] = sw
      t.uplinks[#t.uplinks + 1] = net:link(t.switch, sw)
      room_left = P - 1
    end
    t.hosts[i] = net:host(names[i])
    t.cables[i] = net:link(t.hosts[i], sw, m > 0 and { [t.hosts[i]] = host(sub.cidr, i) } or nil)
    room_left = room_left - 1
  end
  return t
end

-- ---- tree ----------------------------------------------------------------

local TREE_KEYS = { prefix = true, subnet = true }

--- topo.tree(net, depth, fanout [, { prefix = "", subnet = "10.0.0.0/16" }])
-- -> { root =, switches =, hosts =, cables = }
--
-- As Mininet's TreeTopo: a tree of switches `depth` levels deep, each with
-- `fanout` children, and fanout^depth hosts at the leaves, all on one L2
-- subnet (host i has its address i). Switches (prefix.."s1" the root) and
-- hosts (prefix.."h1" ...) are numbered depth first, as Mininet does.
function M.tree(net, depth, fanout, opts)
  local fn = "tree"
  check_net(net, fn)
  depth = check_count(depth, fn, "argument 'depth'")
  fanout = check_count(fanout, fn, "argument 'fanout'")
  opts = check_opts(opts, TREE_KEYS, fn)
  local prefix = check_prefix(opts.prefix, fn)
  local sub = check_subnet(opts.subnet, "10.0.0.0/16", fn)
  local nhosts = floor(fanout ^ depth)
  local nsw = 0
  for d = 0, depth - 1 do
    nsw = floor(nsw + fanout ^ d)
    if nsw + nhosts > M.MAX_NODES then break end
  end
  if nsw + nhosts > M.MAX_NODES then
    fail(fn, fmt("a tree of depth %d and fanout %d has more than %d nodes",
                 depth, fanout, M.MAX_NODES))
  end
  room(sub, nhosts, fn, fmt("a tree of %.0f hosts", nhosts))
  local names, ifnames = {}, {}
  for i = 1, nsw do names[#names + 1] = prefix .. "s" .. i end
  for i = 1, nhosts do names[#names + 1] = prefix .. "h" .. i end
  -- the longest port name: the last switch's uplink and fanout ports
  ifnames[1] = prefix .. "s" .. nsw .. "p" .. (fanout + 1)
  check_names(net, fn, names, ifnames)

  local t = { switches = {}, hosts = {}, cables = {} }
  local function add(d)
    local sw = net:switch(prefix .. "s" .. (#t.switches + 1))
    t.switches[#t.switches + 1] = sw
    for _ = 1, fanout do
      if d == depth then
        local i = #t.hosts + 1
        local h = net:host(prefix .. "h" .. i)
        t.hosts[i] = h
        t.cables[#t.cables + 1] = net:link(sw, h, { [h] = host(sub.cidr, i) })
      else
        local child = add(d + 1)
        t.cables[#t.cables + 1] = net:link(sw, child)
      end
    end
    return sw
  end
  t.root = add(1)
  return t
end

-- ---- clos ----------------------------------------------------------------

local CLOS_KEYS = { spines = true, leaves = true, hosts_per_leaf = true, prefix = true,
                    subnet = true, routes = true }

--- topo.clos(net, { spines =, leaves =, hosts_per_leaf = [, prefix = "",
--                   subnet = "10.0.0.0/8", routes = true] })
-- -> { spines =, leaves =, hosts =, by_leaf =, switches =, cables = }
--
-- An L3 leaf-spine fabric: spines (prefix.."sp1" ...) and leaves
-- (prefix.."lf1" ...) are routers, every leaf cabled to every spine. Leaf i
-- has its hosts (prefix.."h<i>_<j>") on a switch of its own
-- (prefix.."lf<i>s") with a subnet of its own: the leaf its first address,
-- the hosts the next ones, each host a default route via its leaf.
-- The lower half of subnet holds the leaves' subnets (a /24 each where
-- they fit, else the smallest block that holds the hosts), the upper half
-- the leaf-spine cables (a /30 each, /126 for IPv6; leaf .1, spine .2;
-- leaf i's cables one after the other).
-- Routes (unless routes = false): leaf i reaches leaf k's subnet and
-- cables through spine ((i + k) mod spines) + 1 (the same spine both ways),
-- each spine every leaf's subnet and cables through that leaf: every node
-- reaches every address. With routes = false only the hosts' default
-- routes are made, for a routing daemon on the leaves and spines.
-- hosts lists every host (leaf by leaf), by_leaf[i] leaf i's, switches the
-- leaves' switches.
function M.clos(net, opts)
  local fn = "clos"
  check_net(net, fn)
  if type(opts) ~= "table" then
    fail(fn, "options table { spines =, leaves =, hosts_per_leaf = } expected, got " .. describe(opts))
  end
  check_opts(opts, CLOS_KEYS, fn)
  local S = check_count(opts.spines, fn, "option 'spines'")
  local L = check_count(opts.leaves, fn, "option 'leaves'")
  local H = check_count(opts.hosts_per_leaf, fn, "option 'hosts_per_leaf'")
  local prefix = check_prefix(opts.prefix, fn)
  local sub = check_subnet(opts.subnet, "10.0.0.0/8", fn)
  local routes = check_bool(opts.routes, fn, "routes")
  if sub.plen >= sub.bits - 2 then
    fail(fn, fmt("subnet %s is too small for a fabric", sub.cidr))
  end
  if S + L + L * (H + 1) > M.MAX_NODES then
    fail(fn, fmt("the fabric has %.0f nodes, more than %d", S + L + L * (H + 1), M.MAX_NODES))
  end
  -- two halves: leaves' subnets, then cables (of the part of subnet that
  -- vnet.ip.host indexes: its first /97 of an IPv6 /48, say)
  local span = sub
  if sub.bits - sub.plen > 31 then
    local plen = sub.bits - 31
    span = { cidr = block(sub, plen, 0), family = sub.family, plen = plen, bits = sub.bits }
  end
  local half = span.plen + 1
  local lower = { cidr = block(span, half, 0), family = sub.family, plen = half, bits = sub.bits }
  local upper = { cidr = block(span, half, 1), family = sub.family, plen = half, bits = sub.bits }
  local lplen = fit(sub, H + 1)
  if sub.family == "inet" and lplen > 24 and nblocks(lower, 24) >= L then lplen = 24 end
  if nblocks(lower, lplen) < L then
    fail(fn, fmt("subnet %s has no room for %d leaf subnets of /%d (%d hosts each) in its lower half %s",
                   sub.cidr, L, lplen, H, lower.cidr))
  end
  local cplen = sub.bits - 2
  if nblocks(upper, cplen) < S * L then
    fail(fn, fmt("subnet %s has no room for %.0f leaf-spine cables of /%d in its upper half %s",
                   sub.cidr, S * L, cplen, upper.cidr))
  end
  local names, ifnames = {}, {}
  for j = 1, S do names[#names + 1] = prefix .. "sp" .. j end
  for i = 1, L do names[#names + 1] = prefix .. "lf" .. i end
  for i = 1, L do names[#names + 1] = prefix .. "lf" .. i .. "s" end
  for i = 1, L do
    for j = 1, H do names[#names + 1] = prefix .. "h" .. i .. "_" .. j end
  end
  ifnames[1] = prefix .. "lf" .. L .. "sp" .. (H + 1)
  check_names(net, fn, names, ifnames)

  local t = { spines = {}, leaves = {}, hosts = {}, by_leaf = {}, switches = {}, cables = {} }
  for j = 1, S do t.spines[j] = net:router(prefix .. "sp" .. j) end
  local lblock, cblock = {}, {}
  for i = 1, L do
    local leaf = net:router(prefix .. "lf" .. i)
    t.leaves[i] = leaf
    local sw = net:switch(prefix .. "lf" .. i .. "s")
    t.switches[i] = sw
    lblock[i] = block(lower, lplen, i - 1)
    t.cables[#t.cables + 1] = net:link(leaf, sw, { [leaf] = host(lblock[i], 1) })
    t.by_leaf[i] = {}
    for j = 1, H do
      local h = net:host(prefix .. "h" .. i .. "_" .. j)
      t.by_leaf[i][j] = h
      t.hosts[#t.hosts + 1] = h
      t.cables[#t.cables + 1] = net:link(h, sw, { [h] = host(lblock[i], j + 1) })
      net:route(h, "default", host(lblock[i], 1, true))
    end
  end
  -- leaf i -- spine j: cable block (i-1)*S + j-1 of the upper half
  for i = 1, L do
    cblock[i] = {}
    for j = 1, S do
      local b = block(upper, cplen, (i - 1) * S + j - 1)
      cblock[i][j] = b
      local leaf, spine = t.leaves[i], t.spines[j]
      t.cables[#t.cables + 1] = net:link(leaf, spine, { [leaf] = host(b, 1), [spine] = host(b, 2) })
    end
  end
  if routes then
    -- leaf i's subnet and its cables, summarized
    local dests = {}
    for i = 1, L do
      dests[i] = { lblock[i] }
      for _, p in ipairs(cover(upper, cplen, (i - 1) * S, S)) do dests[i][#dests[i] + 1] = p end
    end
    for i = 1, L do
      for k = 1, L do
        if k ~= i then
          local j = (i + k) % S + 1
          for _, p in ipairs(dests[k]) do net:route(t.leaves[i], p, host(cblock[i][j], 2, true)) end
        end
      end
    end
    for j = 1, S do
      for i = 1, L do
        for _, p in ipairs(dests[i]) do net:route(t.spines[j], p, host(cblock[i][j], 1, true)) end
      end
    end
  end
  return t
end

return M
