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
void vn_open_brvlan(lua_State *L);  /* link:vlan_add... (brvlan.c) */
void vn_open_altname(lua_State *L); /* link:altname_add... (altname.c) */
void vn_open_nsid(lua_State *L);    /* ns:nsid... (nsid.c) */
void vn_open_proc(lua_State *L);    /* ns:exec, ns:spawn, vnet.process (proc.c) */
int vn_poll(lua_State *L);          /* vnet.core.poll (proc.c) */

#endif
