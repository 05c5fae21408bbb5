/*
 * core.h - what luaopen_vnet_core (core.c) calls: each module's
 * opener, which registers its types and methods.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_CORE_H
#define VNET_CORE_H

#include "compat.h"

void vn_open_link(lua_State *L);
void vn_open_addr(lua_State *L);
void vn_open_route(lua_State *L);
void vn_open_rule(lua_State *L);
void vn_open_neigh(lua_State *L);
void vn_open_nexthop(lua_State *L);
void vn_open_fdb(lua_State *L);
void vn_open_monitor(lua_State *L);

#endif
