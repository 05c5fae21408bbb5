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
/* Leaves the vnet.netns table. */
void vn_open_netns(lua_State *L);

#endif
