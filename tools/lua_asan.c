/*
 * lua_asan.c - a minimal Lua 5.4 interpreter for the memory-checking test
 * tier: built with -fsanitize=address and run as `lua_asan script args...`,
 * it loads vnet/core.so (built the same way) so that AddressSanitizer and
 * LeakSanitizer watch vnet without instrumenting the programs the specs
 * start (ip, sh...), which an LD_PRELOAD of libasan would do.
 *
 * Its allocator can be made to fail: the global oom_try(n, f) calls f
 * protected, with the n-th of Lua's allocations that grow memory failing,
 * and every one after it until f has returned or raised; it returns true
 * when f ran to its end without reaching the n-th, else false and the error.
 * spec/oom_check.lua runs vnet's calls under it at every such point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static long countdown = -1;  /* allocations left before failing; -1: never */
static int failing;

static void *alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	/* a block that grows (or is new: osize is then its type, smaller) */
	if (ptr == NULL || nsize > osize) {
		if (!failing && countdown > 0 && --countdown == 0)
			failing = 1;
		if (failing)
			return NULL;
	}
	return realloc(ptr, nsize);
}

static int oom_try(lua_State *L)
{
	long n = (long)luaL_checkinteger(L, 1);
	int status, reached;
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 2);
	countdown = n;
	failing = 0;
	status = lua_pcall(L, 0, 0, 0);
	reached = failing || countdown == 0;
	countdown = -1;
	failing = 0;
	if (status == LUA_OK)
		lua_pushnil(L);                 /* no error: n, nil */
	lua_pushboolean(L, status == LUA_OK && !reached);
	lua_insert(L, -2);                  /* n, ok, error */
	return 2;
}

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
	L = lua_newstate(alloc, NULL);
	if (!L)
		return 1;
	luaL_openlibs(L);
	lua_register(L, "oom_try", oom_try);
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
