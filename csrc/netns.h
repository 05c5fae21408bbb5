/*
 * netns.h - namespace handles (netns.c): the vnet.netns type and the
 * methods each module adds to it.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_NETNS_H
#define VNET_NETNS_H

#include "sock.h"

/* Checks arg idx is a live netns handle. */
vn_ns *vn_checkns(lua_State *L, int idx);
/* Reads a namespace option (a vnet.netns handle or a name) of table idx and
 * pushes the handle (so it stays alive); returns it, or NULL when absent or
 * when the named namespace cannot be opened (nothing pushed): *err is then
 * the errno (ENOENT: no such namespace), else 0. Misuse raises. */
vn_ns *vn_opt_netns(lua_State *L, int idx, const char *fn, const char *key, int *err);

/* Methods each module adds to the netns handle (set into table at -1). */
void vn_netns_methods(lua_State *L, const luaL_Reg *l);
/* Methods that are one function in several modes (route_add, route_del...):
 * for each row, f as a closure whose upvalues are the row's mode (1) and its
 * name (2), the name the method's messages give. A { NULL } row ends m. */
typedef struct vn_mode {
	const char *name;
	int mode;
} vn_mode;
void vn_netns_modes(lua_State *L, lua_CFunction f, const vn_mode *m);
#define VN_MODE(L) ((int)lua_tointeger(L, lua_upvalueindex(1)))
#define VN_MODE_NAME(L) lua_tostring(L, lua_upvalueindex(2))
/* Leaves the vnet.netns table. */
void vn_open_netns(lua_State *L);

/* A guard: a userdata whose __gc runs fin(body) once; body is size zeroed
 * bytes. vn_guard_done runs it now. */
void *vn_guard_new(lua_State *L, size_t size, void (*fin)(void *));
void vn_guard_done(lua_State *L, int idx);

/* nsid.c: the /run/netns name (into out, size bytes) of the namespace ns
 * knows by id; 1 when found, 0 when none (a negative id, no name there).
 * Calls no Lua. */
int vn_nsid_name(vn_ns *ns, int32_t id, char *out, size_t size);

#endif
