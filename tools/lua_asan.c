/*
 * lua_asan.c - a minimal Lua 5.4 interpreter for the memory-checking test
 * tier: built with -fsanitize=address and run as `lua_asan script args...`,
 * it loads vnet/core.so (built the same way) so that AddressSanitizer and
 * LeakSanitizer watch vnet without instrumenting the programs the specs
 * start (ip, sh...), which an LD_PRELOAD of libasan would do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

int main(int argc, char **argv)
{
	lua_State *L;
	int i, status;
	if (argc < 2) {
		fprintf(stderr, "usage: %s script [args...]\n", argv[0]);
		return 2;
	}
	L = luaL_newstate();
	luaL_openlibs(L);
	lua_createtable(L, argc, 1);             /* arg, as lua.c makes it */
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");
	lua_pushcfunction(L, traceback);
	status = luaL_loadfile(L, argv[1]);
	if (status == LUA_OK) {
		for (i = 2; i < argc; i++)
			lua_pushstring(L, argv[i]);
		status = lua_pcall(L, argc - 2, 0, 1);
	}
	if (status != LUA_OK)
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
	lua_close(L);
	return status == LUA_OK ? 0 : 1;
}
