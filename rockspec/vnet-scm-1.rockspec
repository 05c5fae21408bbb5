rockspec_format = "3.0"
package = "vnet"
version = "scm-1"
source = {
  url = "git+file:///dev/null",  -- replaced by the published repository's address
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
external_dependencies = {
  LIBNL = { header = "libnl3/netlink/netlink.h", library = "nl-3" },
  LIBNL_ROUTE = { header = "libnl3/netlink/route/link.h", library = "nl-route-3" },
}
build = {
  type = "make",
  build_target = "all",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_CFLAGS = "-I$(LUA_INCDIR)",
    NL_CFLAGS = "-I$(LIBNL_INCDIR)/libnl3",
    NL_LIBS = "-L$(LIBNL_LIBDIR) -L$(LIBNL_ROUTE_LIBDIR) -lnl-route-3 -lnl-3",
    BUILD = "build/rock",
  },
  install_target = "install",
  install_variables = {
    BUILD = "build/rock",
    LUA_LIBDIR = "$(LIBDIR)",
    LUA_SHAREDIR = "$(LUADIR)",
  },
}
