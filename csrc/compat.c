/*
 * compat.c - the Lua 5.1 shims (plain 5.1 lacks luaL_setfuncs and
 * luaL_testudata; LuaJIT 2.1 and 5.2+ have them). See compat.h.
 */
#include "compat.h"

#ifdef VN_NEED_51_SHIMS
void vn_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	for (; l->name; l++) {
		int i;
		for (i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		lua_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}

void *vn_testudata(lua_State *L, int idx, const char *tname)
{
	void *p = lua_touserdata(L, idx);
	if (p && lua_getmetatable(L, idx)) {
		luaL_getmetatable(L, tname);
		if (!lua_rawequal(L, -1, -2))
			p = NULL;
		lua_pop(L, 2);
		return p;
	}
	return NULL;
}
#endif


/* ISO C forbids an empty translation unit (5.2 and later need no shim) */
typedef int vn_compat_unit;
