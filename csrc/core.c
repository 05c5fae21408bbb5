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
 * the option; a refusal by the kernel or the system returns
 * `nil, message, errname` (the errno's name, e.g. `"EEXIST"`, and the
 * kernel's own text when it gives one); a failed call of several steps
 * undoes what it did.
 * @module vnet.core
 */

/*** The fields of the module.
 * @table fields
 * @field netns the namespace functions (module `vnet.netns`)
 * @field errno errno names and numbers both ways: `errno.EEXIST == 17`,
 *   `errno[17] == "EEXIST"`
 * @field version vnet's version, `"X.Y.Z"`
 * @field libnl the version of the libnl the module runs with, `"3.7.0"`
 * @field features `vnet.features` (set once `vnet` is loaded)
 * @field ip the address helpers (module `vnet.ip`)
 * @field poll `vnet.poll` (module `vnet.process`)
 */
#include "util.h"
#include "link.h"
#include "tc.h"
#include <errno.h>
#include <sys/resource.h>
#include <stdint.h>

#define VNET_VERSION "0.1.0"
#include <netlink/version.h>      /* nl_ver_maj... of the running libnl */

/*** The link kinds this build can make and read.
 * @function kinds
 * @treturn {string,...} the kind names (`"veth"`, `"bridge"`, `"vlan"`...);
 *   whether the running kernel has one: `vnet.supports(kind)`
 */

/*** Adds a method to the objects of a type: the hook of the Lua layers
 * (`ns:tunnel_add`, `link:impair`). The method checks its self is such an
 * object (raising `"<name>: bad self ..."`) and calls `fn(self, ...)`;
 * extending twice with one name replaces the first.
 * @function extend
 * @string type `"netns"`, `"link"`, `"addr"`, `"route"`... (`vnet.<type>`)
 * @string name the method's name
 * @func fn the method
 * @raise for an unknown type, a name the core itself defines, or `fn` that
 *   is not a function
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

/* The method an extension added: checks self (upvalue 2 names its type)
 * as the core's own methods do, then calls the Lua function (upvalue 1)
 * with every argument and returns what it returns. */
static int ext_call(lua_State *L)
{
	const char *tname = lua_tostring(L, lua_upvalueindex(2));
	if (!luaL_testudata(L, 1, tname))
		return luaL_error(L, "%s: bad self (%s expected, got %s)",
				  lua_tostring(L, lua_upvalueindex(3)), tname,
				  luaL_typename(L, 1));
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* vnet.core.extend(type, name, fn) -> nothing
 * The hook for Lua layers (vnet.lua's tunnel_add): adds method name to the
 * objects of type ("netns", "link", "addr", "route", ... : vnet.<type>).
 * The method checks its self is such an object (raising "<name>: bad
 * self ...") and calls fn(self, ...). Raises for an unknown type, a name
 * that is not a string, fn that is not a function, and a name the core
 * itself defines (extending twice with the same name replaces the first). */
static int l_extend(lua_State *L)
{
	const char *type = vn_check_str(L, 1, "extend", "type", 0);
	const char *name = vn_check_str(L, 2, "extend", "name", 0);
	if (lua_type(L, 3) != LUA_TFUNCTION)
		return luaL_error(L, "extend: fn must be a function, got %s",
				  luaL_typename(L, 3));
	lua_settop(L, 3);
	lua_pushfstring(L, "vnet.%s", type);                  /* 4: tname */
	luaL_getmetatable(L, lua_tostring(L, 4));             /* 5: mt */
	if (!lua_istable(L, 5))
		return luaL_error(L, "extend: unknown type '%s'", type);
	lua_getfield(L, 5, "__vn_methods");                   /* 6: methods */
	if (!lua_istable(L, 6))
		return luaL_error(L, "extend: unknown type '%s'", type);
	lua_getfield(L, 6, name);
	if (lua_iscfunction(L, -1) && lua_tocfunction(L, -1) != ext_call)
		return luaL_error(L, "extend: %s:%s is a method of the core", type, name);
	lua_pop(L, 1);
	lua_pushvalue(L, 3);
	lua_pushvalue(L, 4);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, ext_call, 3);
	lua_setfield(L, 6, name);
	return 0;
}

/*** Raises the process's soft limit of open descriptors (RLIMIT_NOFILE)
 * to n, as far as the hard limit lets it; never lowers it. A topology holds
 * two descriptors per namespace while it works (the namespace and its
 * netlink socket) and calls this before it opens them, so that a lab of
 * more than about 500 namespaces does not stop at a soft limit of 1024.
 * @function nofile
 * @int[opt] n the descriptors wanted (0 to 2^31-1); without it, only reads
 * @treturn int the soft limit, after the change
 * @treturn int the hard limit
 * @return or `nil, message, errname` when the system refuses
 * @raise for n that is not an integer in that range
 * @usage local soft, hard = vnet.core.nofile()
 */
static int l_nofile(lua_State *L)
{
	struct rlimit r;
	rlim_t want = 0;
	if (!lua_isnoneornil(L, 1))
		want = (rlim_t)vn_check_int(L, 1, "nofile", "argument 1", 0, INT32_MAX);
	if (getrlimit(RLIMIT_NOFILE, &r))
		return vn_fail(L, "nofile", errno, NULL);
	if (want > r.rlim_max)
		want = r.rlim_max;
	if (want > r.rlim_cur) {
		r.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &r))
			return vn_fail(L, "nofile", errno, NULL);
	}
	/* Linux caps both at fs.nr_open, far below 2^63: never infinite */
	lua_pushinteger(L, (lua_Integer)r.rlim_cur);
	lua_pushinteger(L, (lua_Integer)r.rlim_max);
	return 2;
}

/* The only exported symbol. Pushes the module table:
 * { netns = {...}, errno = {...}, kinds = f, kind = f, tunnel_modes = f,
 *   extend = f, version = "...", ip = {...}, ifname_ok = f, ... } */
__attribute__((visibility("default"))) int luaopen_vnet_core(lua_State *L);

int luaopen_vnet_core(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "kinds", l_kinds }, { "tc_kinds", vn_tc_kinds }, { "extend", l_extend },
		{ "poll", vn_poll }, { "nofile", l_nofile }, { NULL, NULL }
	};
	vn_open_netns(L);                /* netns */
	vn_open_link(L);
	vn_open_addr(L);
	vn_open_route(L);
	vn_open_rule(L);
	vn_open_neigh(L);
	vn_open_nexthop(L);
	vn_open_fdb(L);
	vn_open_brvlan(L);
	vn_open_altname(L);
	vn_open_nsid(L);
	vn_open_monitor(L);
	vn_open_tc(L);
	vn_open_proc(L);
	lua_newtable(L);                 /* netns, M */
	lua_insert(L, -2);
	lua_setfield(L, -2, "netns");
	vn_push_errnos(L);
	lua_setfield(L, -2, "errno");
	lua_pushfstring(L, "%d.%d.%d", nl_ver_maj, nl_ver_min, nl_ver_mic);
	lua_setfield(L, -2, "libnl");
	luaL_setfuncs(L, funcs, 0);
	vn_kind_export(L);
	lua_pushliteral(L, VNET_VERSION);
	lua_setfield(L, -2, "version");
	vn_open_ip(L);                   /* M.ip */
	vn_open_names(L);                /* M.ifname_ok */
	return 1;
}
