/*
 * names.h - names (names.c): interface names and their indexes (a
 * link given as an index, a name or an object), and the iproute2 name files
 * (rt_tables, rt_protos, rt_scopes) with their cache.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_NAMES_H
#define VNET_NAMES_H

#include <stdint.h>
#include "sock.h"

/* Raises when name is not a valid interface name (1..15 bytes, no '/',
 * no white space, not "." or ".."). */
void vn_check_ifname(lua_State *L, const char *name, const char *fn, const char *key);

/* A link given as an index, a name or a vnet.link box, in option key of the
 * table at idx (vn_opt_ifindex) or at stack index sidx (vn_ifindex_at).
 * Returns the ifindex, 0 when the option is absent, or -ENODEV when no link
 * has that name (callers turn it into a failure triple). Raises naming the
 * function and the field for a wrong type (another vnet object too), an
 * index outside 1..2^31-1, a bad name (NUL byte...), a released link, and
 * a link of another namespace than ns's (compared by identity, ns->ino). */
int vn_opt_ifindex(lua_State *L, int idx, vn_ns *ns, const char *fn, const char *key);
int vn_ifindex_at(lua_State *L, int sidx, vn_ns *ns, const char *fn, const char *what);

/* iproute2 name files (rt_tables, rt_protos, rt_scopes): returns the
 * number for name or -1. Also accepts numbers 0..2^32-1 (vn_parse_int). */
long vn_rtname_lookup(const char *file, const char *name);
/* Pushes a table id as a name where one is known, else as a number. */
void vn_push_rtname(lua_State *L, const char *file, long id);
/* Reads option key: an integer 0..max, a string holding one (read as
 * vn_parse_int does: "4294967296", " 5" or "1e3" are no table 0, 5 or 1000)
 * or a name of the iproute2 file (rt_tables, rt_protos, rt_scopes). Returns
 * 1 with *out set, 0 when absent; raises naming the option otherwise. */
int vn_opt_rtname(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, lua_Integer max, uint32_t *out);
/* vn_opt_rtname for a routing table (rt_tables, 0..2^32-1). */
int vn_opt_table(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out);

/* Pushes a short description of the device value at sidx ("veth0", "5"). */
void vn_push_devdesc(lua_State *L, int sidx);
/* Pushes a scope by its name (global, site, link, host, nowhere, else as
 * rt_scopes names it, else its number). */
void vn_push_scope(lua_State *L, int scope);
/* vn_opt_rtname for an 8-bit value (a scope, a protocol): 1 with *out set,
 * 0 when absent. */
int vn_opt_u8name(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, int *out);

/* Sets vnet.core.ifname_ok into the table at the top of the stack. */
void vn_open_names(lua_State *L);

#endif
