/*
 * handle.h - what the handle types made with vn_class_new (box.h) share:
 * vnet.netns (netns.c), vnet.monitor (monitor.c) and vnet.process (proc.c)
 * are open until closed; the last two have read-only fields (named in a
 * list, each pushed by the type's push(L, i) from the open handle at 1,
 * which raises on a closed one), read one by one through __index (whose
 * upvalue 1 holds the methods) or all at once by totable, and wait with a
 * timeout.
 */
#ifndef VNET_HANDLE_H
#define VNET_HANDLE_H

#include <string.h>
#include "compat.h"

/* Raises "attempt to use a closed <tname>" unless open: what a method or
 * field of a closed handle raises. */
static inline void vn_handle_open(lua_State *L, int open, const char *tname)
{
	if (!open)
		luaL_error(L, "attempt to use a closed %s", tname);
}

typedef void (*vn_field_push)(lua_State *L, int i);

/* __index of the handle at 1 for the key at 2: field closed is !live; the
 * i-th of fields (NULL-ended) is what push(L, i) pushes; any other key is a
 * method or nil. */
static inline int vn_handle_index(lua_State *L, int live, const char *const *fields,
				  vn_field_push push)
{
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
	int i;
	if (k && !strcmp(k, "closed")) {
		lua_pushboolean(L, !live);
		return 1;
	}
	for (i = 0; k && fields[i]; i++) {
		if (!strcmp(k, fields[i])) {
			push(L, i);
			return 1;
		}
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	return 1;
}

/* handle:totable(): the fields of the handle at 1 in a new table. */
static inline int vn_handle_totable(lua_State *L, const char *const *fields,
				    vn_field_push push)
{
	int i;
	lua_newtable(L);
	for (i = 0; fields[i]; i++) {
		push(L, i);
		lua_setfield(L, -2, fields[i]);
	}
	return 1;
}

/* The longest wait, in seconds: poll's int milliseconds. */
#define VN_MAX_WAIT 2147483.0

/* The timeout argument at idx of fn: dflt when none is given (nil), else a
 * number of seconds from 0 to VN_MAX_WAIT; raises otherwise. */
static inline double vn_check_timeout(lua_State *L, int idx, const char *fn, double dflt)
{
	double t;
	if (lua_isnoneornil(L, idx))
		return dflt;
	if (lua_type(L, idx) != LUA_TNUMBER)
		luaL_error(L, "%s: timeout must be a number of seconds, got %s", fn,
			   luaL_typename(L, idx));
	t = (double)lua_tonumber(L, idx);
	if (!(t >= 0 && t <= VN_MAX_WAIT))
		luaL_error(L, "%s: timeout must be between 0 and %d seconds, got %s", fn,
			   (int)VN_MAX_WAIT, lua_tostring(L, idx));
	return t;
}

#endif
