-- The seed's ServerA/ServerB scenario over GRE: two sites joined by a GRE tunnel
-- instead of IPIP. The vnet.topology script is examples/ipip_servers.lua,
-- run with mode gre:
--
--   pcA 10.1.0.2 ── serverA ═══ gre 10.255.0.1-.2 ════ serverB ── pcB 10.2.0.2
--
--   lua5.4 examples/gre_servers.lua up | check | reach | down
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
return assert(loadfile(here .. "/examples/ipip_servers.lua"))({ mode = "gre" })
