/*
 * ip.h - addresses (ip.c): the IP address/prefix parser and
 * formatter every object type uses, address families, and the vnet.ip table
 * that gives them to Lua.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_IP_H
#define VNET_IP_H

#include <netlink/addr.h>
#include "compat.h"

/* Parses an address option ("10.0.0.1", "10.0.0.0/24", "::1", "default").
 * family AF_UNSPEC accepts both. Returns a new nl_addr or NULL if absent;
 * raises on bad syntax. */
struct nl_addr *vn_opt_addr(lua_State *L, int idx, const char *fn,
			    const char *key, int family);
/* An address as bytes: family, length (0 for "default"), prefix length. */
typedef struct vn_ip {
	int family, len, plen;
	unsigned char b[16];
} vn_ip;
/* Reads address option key of the table at idx into *out (family AF_UNSPEC
 * accepts both); returns 1 when set, 0 when absent; raises on bad syntax
 * naming the option. Allocates nothing. */
int vn_opt_ip(lua_State *L, int idx, const char *fn, const char *key, int family,
	      vn_ip *out);
/* The same for the value at stack index sidx; raises naming it what. */
void vn_check_ip(lua_State *L, int sidx, const char *fn, const char *what, int family,
		 vn_ip *out);
/* Parses the string at stack index sidx as an address; raises with what. */
struct nl_addr *vn_check_addr(lua_State *L, int sidx, const char *fn,
			      const char *what, int family);
/* The family the address option key of the table at idx implies, without
 * parsing it (never raises): AF_INET6 when it has a ':', AF_INET for another
 * string, 0 when absent, not a string, "default", "any" or "all". */
int vn_str_family(lua_State *L, int idx, const char *key);
/* Parses a family name ("inet", "inet6", "ipv4", "ipv6", 4, 6, "all"). */
int vn_opt_family(lua_State *L, int idx, const char *fn, const char *key, int *out);

/* Pushes a family as "inet", "inet6", "bridge" or its number. */
void vn_push_family(lua_State *L, int fam);
/* Whether two addresses are the same bytes of the same family (prefix
 * lengths aside); two NULLs are the same. */
int vn_addr_same(struct nl_addr *a, struct nl_addr *b);
/* Pushes len bytes at p as an address of family fam (AF_INET, AF_INET6;
 * with "/plen" when plen >= 0), or nil when they are not one. */
void vn_push_ip(lua_State *L, int fam, const void *p, size_t len, int plen);
/* Pushes an nl_addr as a string (with "/prefix" when asked), or nil for
 * NULL or an empty address. */
void vn_push_addr(lua_State *L, struct nl_addr *a, int with_prefix);

/* Sets the vnet.ip table (parse, format, contains, network...) into the
 * table at the top of the stack. */
void vn_open_ip(lua_State *L);

#endif
