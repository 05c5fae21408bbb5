/*
 * core.c - luaopen_vnet_core: creates every metatable and the module table.
 */
/***
 * The C module: namespaces, links, addresses, routes, rules, neighbours,
 * nexthops, bridge fdb entries and monitors over libnl-3. `require "vnet"`
 * gives the same objects with the Lua conveniences (`vnet.supports`,
 * `ns:tunnel_add`, `vnet.features`); `vnet.core` alone is enough for the rest.
 *
 * Conventions of every call: misuse (a wrong type, an unknown option key, a
 * NUL byte, a number out of range) raises an error naming the function and
 * the option; a refusal by the kernel or the system returns `nil, message,
 * errname` (the errno's name, e.g. `"EEXIST"`, and the kernel's own text
 * when it gives one); a failed call of several steps undoes what it did.
 * @module vnet.core
 * @field netns the namespace functions (module `vnet.netns`)
 * @field errno errno names and numbers both ways: `errno.EEXIST == 17`,
 *   `errno[17] == "EEXIST"`
 * @field version vnet's version, `"X.Y.Z"`
 * @field libnl the version of the libnl the module runs with, `"3.7.0"`
 * @field features `vnet.features` (set once `vnet` is loaded)
 */
#include "util.h"
#include "link.h"

#define VNET_VERSION "0.1.0"
#include <netlink/version.h>      /* nl_ver_maj... of the running libnl */

/*** The link kinds this build can make and read.
 * @function kinds
 * @treturn {string,...} the kind names (`"veth"`, `"bridge"`, `"vlan"`...);
 *   whether the running kernel has one: `vnet.supports(kind)`
 */

/*** What every object (`vnet.link`, `vnet.addr`, `vnet.route`, `vnet.rule`,
 * `vnet.neigh`, `vnet.nexthop`, `vnet.fdb`) has: fields read through
 * `__index`, `__tostring` (a one-line summary like iproute2's), `__eq`
 * (kernel identity), and `__close` (Lua 5.4) and the collector to release
 * it; using a released object raises.
 * @type object
 */

/*** All the object's fields as a plain table.
 * @function object:totable
 * @treturn table
 */

/*** The namespace handle the object belongs to (an object keeps it alive).
 * @function object:ns
 * @return a `vnet.netns` handle
 */
/* vnet.core.kinds() -> list of the link kinds this build knows */
static int l_kinds(lua_State *L)
{
	vn_kind_names(L);
	return 1;
}

/* The only exported symbol. Pushes the module table:
 * { netns = {...}, errno = {...}, kinds = f, version = "..." } */
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
	lua_pushfstring(L, "%d.%d.%d", nl_ver_maj, nl_ver_min, nl_ver_mic);
	lua_setfield(L, -2, "libnl");
	lua_pushcfunction(L, l_kinds);
	lua_setfield(L, -2, "kinds");
	lua_pushliteral(L, VNET_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
