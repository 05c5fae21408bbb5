rockspec_format = "3.0"
package = "vnet"
version = "0.1.0-1"
source = {
  url = "file:///usr/local/src/vnet/vnet-0.1.0.tar.gz",
  md5 = "fb41f9bd9f4ef7e587ea77bd78688303",
  dir = "vnet-0.1.0",
}
description = {
  summary = "Linux virtual networks from Lua: namespaces, links, addresses, routes, rules, tunnels",
  detailed = [[
vnet builds and manages Linux virtual networks from Lua over libnl-3:
network namespaces, veth, bridge, vlan, vxlan, macvlan, tunnels and more,
addresses, routes, policy rules and neighbours, plus vnet.topology for whole
networks written as Lua scripts. Lua 5.1-5.4 and LuaJIT.
]],
  license = "MIT",
  labels = { "network", "linux", "netlink", "namespaces" },
}
dependencies = {
  "lua >= 5.1",
}
-- libnl-3 and libnl-route-3 (Debian: libnl-3-dev libnl-route-3-dev). Where
-- they are not found luarocks says so before anything is compiled; point it
-- at them with NL3_INCDIR=/NL3_LIBDIR= and NLROUTE3_INCDIR=/NLROUTE3_LIBDIR=
-- (the INCDIRs are the directories holding libnl3/).
external_dependencies = {
  NL3 = { header = "libnl3/netlink/netlink.h", library = "nl-3" },
  NLROUTE3 = { header = "libnl3/netlink/route/link.h", library = "nl-route-3" },
}
build = {
  type = "make",
  build_target = "all",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_CFLAGS = "-I$(LUA_INCDIR)",
    NL_CFLAGS = "-I$(NL3_INCDIR)/libnl3 -I$(NLROUTE3_INCDIR)/libnl3",
    NL_LIBS = "-L$(NL3_LIBDIR) -L$(NLROUTE3_LIBDIR) -lnl-route-3 -lnl-3",
    BUILD = "build/rock",
  },
  install_target = "install",
  install_variables = {
    BUILD = "build/rock",
    LUA_LIBDIR = "$(LIBDIR)",
    LUA_SHAREDIR = "$(LUADIR)",
  },
}
