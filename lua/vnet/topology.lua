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
-- Across machines (one script, each machine applies its own slice):
--   net:machine(name, { underlay = address [, netns = ] }) -> node
--       declared before the other nodes; the node is the machine's own
--       namespace (external: netns names the one playing it, in tests)
--   net:host/router(name, { machine = }), net:switch(name, { machine = })
--       place a node (default: the first machine)
--   net:link(x, y, { ..., via = "vxlan"|"geneve"|"gre"|"gretap"|"ipip" })
--       between two machines: a tunnel over the underlays, MTU lowered by
--       the encapsulation; a switch cabled to another machine's hosts is
--       stretched (a bridge there too, joined by VXLAN, a remote per machine)
--   up/down/status/plan{ machine = } and --machine NAME: the slice (default:
--       the machine whose underlay address is here); net.slice is it.
--       Each slice tags its objects "vnet:<name>@<machine>".
--
-- Generators (lua/vnet/topology/gen.lua; each adds to net, returns the
-- nodes it made by role; opts.prefix before every name it makes):
--   topo.linear(net, n [, { prefix =, subnet =, routes = }])
--       -> { nodes =, hosts =, routers =, cables = }: h1 -- r2 -- ... -- hn,
--       a /30 per cable, static routes so every node reaches every other
--   topo.star(net, n [, { prefix =, subnet =, switch = }])
--       -> { hosts =, switch =, switches =, cables =, uplinks = }: n hosts
--       on one switch's subnet (above 1023, a bridge's most ports, spread
--       over switches cabled to it: see gen.lua)
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
--       converges the kernel to the script, as one transaction: makes what
--       is missing, changes in place what differs and can be changed,
--       replaces what cannot (a cable moved to another switch, a tunnel
--       with another remote), removes what the topology made and the
--       script no longer names (namespaces, links, addresses, routes,
--       rules, NAT, impairments). On failure the kernel is put back as it
--       was and msg names the step, e.g. "up lab1: step 7/20 (cable a:eth0
--       -- sw:swp1): link_add eth0: File exists". An object of one of its
--       names that it did not make fails the step ("run down first").
--       Namespaces that stay, and processes in them, are not disturbed.
--   net:plan([{ format = "json" }]) -> what up would do, changing nothing:
--       { { op = "create"|"change"|"replace"|"remove"|"refuse", kind =,
--           what =, old =, new =, detail = }... }; {} when the kernel
--       matches the script
--   net:steps() -> the steps up probes ({ index =, kind =, what = }...)
--   net:down() -> true | nil, msg, errname
--   net:close() -> true: closes every namespace handle the topology holds
--       (the network stays up; the handles are opened again when needed).
--       A handle keeps its namespace alive after the namespace is deleted;
--       `down` closes them itself.
--   net:status([{ format = "json" }]) -> { { step =, what =, state =
--       "present"|"missing"|"different", detail = }... }, all_present,
--       processes (format = "json": one JSON text of them)
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
--       the command line: up | apply | plan [--json] | down | status [--json] |
--       dot | reach | ping X Y |
--       exec NODE CMD ARGS... | extra commands; prints usage and exits 2 on
--       bad input, exits 1 on failure (with the failing step), else 0.
--   Lua 5.4: `local net <close> = topo.new{...}` runs net:down() at scope exit.
-- @module vnet.topology
local B = require "vnet.topology.base"
require "vnet.topology.model"
require "vnet.topology.plan"
require "vnet.topology.steps"
require "vnet.topology.apply"
require "vnet.topology.run"
require "vnet.topology.check"
require "vnet.topology.dot"
require "vnet.topology.cli"

local M = B.M
M.Topology = B.T

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
