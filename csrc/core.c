/*
 * core.c - luaopen_vnet_core: creates every metatable and the module table.
 */
#include "util.h"
#include "link.h"

#define VNET_VERSION "0.1.0"

/* vnet.core.kinds() -> list of the link kinds this build knows */
static int l_kinds(lua_State *L)
{
	vn_kind_names(L);
	return 1;
}

/* The only exported symbol. Pushes the module table:
 * { netns = {...}, errno = {...}, kinds = f, version = "...", ip = {...},
 *   ifname_ok = f } */
__attribute__((visibility("default"))) int luaopen_vnet_core(lua_State *L);

int luaopen_vnet_core(lua_State *L)
{
	vn_open_netns(L);                /* netns */
	vn_open_link(L);
	vn_open_addr(L);
	vn_open_route(L);
	vn_open_rule(L);
	vn_open_neigh(L);
	vn_open_nexthop(L);
	vn_open_fdb(L);
	vn_open_monitor(L);
	lua_newtable(L);                 /* netns, M */
	lua_insert(L, -2);
	lua_setfield(L, -2, "netns");
	vn_push_errnos(L);
	lua_setfield(L, -2, "errno");
	lua_pushcfunction(L, l_kinds);
	lua_setfield(L, -2, "kinds");
	lua_pushliteral(L, VNET_VERSION);
	lua_setfield(L, -2, "version");
	vn_open_ip(L);                   /* M.ip */
	vn_open_names(L);                /* M.ifname_ok */
	return 1;
}
