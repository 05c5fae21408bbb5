/*
 * compat.h - Lua 5.1 / LuaJIT / 5.2 / 5.3 shims (compat.c): the
 * few 5.4 functions vnet.core uses, made for the older versions.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_COMPAT_H
#define VNET_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM == 501
#define lua_rawlen(L, i) lua_objlen(L, i)
#endif
/* LuaJIT 2.1 has these 5.2 functions; plain Lua 5.1 does not */
#if LUA_VERSION_NUM == 501 && !defined(luaL_newlib)
#define VN_NEED_51_SHIMS 1
void vn_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
void *vn_testudata(lua_State *L, int idx, const char *tname);
#define luaL_setfuncs vn_setfuncs
#define luaL_testudata vn_testudata
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs(L, l, 0))
#define luaL_setmetatable(L, t) (luaL_getmetatable(L, t), lua_setmetatable(L, -2))
#endif
#if LUA_VERSION_NUM == 501
#define vn_absindex(L, i) \
	((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#else
#define vn_absindex(L, i) lua_absindex(L, i)
#endif
#if LUA_VERSION_NUM < 503
/* no cast of NaN, inf or 2^63 to an integer (undefined behaviour) */
static inline int vn_isinteger_(lua_State *L, int i)
{
	lua_Number n = lua_tonumber(L, i);
	return lua_type(L, i) == LUA_TNUMBER && n >= -9223372036854775808.0 &&
	       n < 9223372036854775808.0 && n == (lua_Number)(long long)n;
}
#define lua_isinteger(L, i) vn_isinteger_(L, i)
#endif

#endif
