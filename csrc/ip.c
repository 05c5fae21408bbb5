/*
 * ip.c - addresses: the IP address/prefix parser (strict syntax,
 * "default"/"any"/"all"), its option readers, the formatter, address
 * families, and vnet.ip, which gives them to Lua. See ip.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <netlink/addr.h>

#include "ip.h"
#include "opts.h"

/* Parses s as an address of family (AF_UNSPEC: either) with an optional
 * "/prefix"; "default", "any" and "all" are the empty address. 0, or -1
 * when s is not one (libnl is lenient, "10" parsing as 10.0.0.0: this
 * insists on real syntax). */
static int ip_parse(const char *s, int family, vn_ip *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t n;
	memset(out, 0, sizeof *out);
	out->family = family;
	if (!strcmp(s, "default") || !strcmp(s, "any") || !strcmp(s, "all"))
		return 0;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (family != AF_INET6 && inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = AF_INET;
		out->len = 4;
	} else if (family != AF_INET && inet_pton(AF_INET6, buf, out->b) == 1) {
		out->family = AF_INET6;
		out->len = 16;
	} else {
		return -1;
	}
	out->plen = out->len * 8;
	if (slash) {
		char *end;
		long p;
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		p = strtol(slash + 1, &end, 10);
		if (*end || p > out->plen)
			return -1;
		out->plen = (int)p;
	}
	return 0;
}

/* Raises for the value at sidx that is no address of family. */
static void ip_fail(lua_State *L, int sidx, const char *fn, const char *what, int family)
{
	if (lua_type(L, sidx) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be an address string, got %s", fn, what,
			   luaL_typename(L, sidx));
	luaL_error(L, "%s: %s '%s' is not a valid %saddress", fn, what,
		   lua_tostring(L, sidx), family == AF_INET ? "IPv4 " :
		   family == AF_INET6 ? "IPv6 " : "");
}

/* Reads the address at sidx into *out; raises naming what (or option key)
 * for a value that is not a string, holds a NUL byte or is no address. */
static void ip_at(lua_State *L, int sidx, const char *fn, const char *what,
		  const char *key, int family, vn_ip *out)
{
	if (lua_type(L, sidx) == LUA_TSTRING)
		vn_str_at(L, sidx, fn, what, key, 0, NULL);
	if (lua_type(L, sidx) != LUA_TSTRING || ip_parse(lua_tostring(L, sidx), family, out) < 0)
		ip_fail(L, sidx, fn, vn_what_of(L, what, key), family);
}

int vn_opt_ip(lua_State *L, int idx, const char *fn, const char *key, int family,
	      vn_ip *out)
{
	if (!vn_opt_get(L, idx, key))
		return 0;
	ip_at(L, lua_gettop(L), fn, NULL, key, family, out);
	lua_pop(L, 1);
	return 1;
}

void vn_check_ip(lua_State *L, int sidx, const char *fn, const char *what, int family,
		 vn_ip *out)
{
	ip_at(L, vn_absindex(L, sidx), fn, what, NULL, family, out);
}

struct nl_addr *vn_check_addr(lua_State *L, int sidx, const char *fn,
			      const char *what, int family)
{
	struct nl_addr *a = NULL;
	vn_ip ip;
	vn_check_ip(L, sidx, fn, what, family, &ip);
	if (nl_addr_parse(lua_tostring(L, sidx), family, &a) < 0 || !a)
		luaL_error(L, "%s: %s '%s' is not a valid address", fn, what,
			   lua_tostring(L, sidx));
	return a;
}

struct nl_addr *vn_opt_addr(lua_State *L, int idx, const char *fn,
			    const char *key, int family)
{
	struct nl_addr *a;
	if (!vn_opt_get(L, idx, key))
		return NULL;
	lua_pushfstring(L, "option '%s'", key);
	/* may raise: nothing allocated yet */
	a = vn_check_addr(L, -2, fn, lua_tostring(L, -1), family);
	lua_pop(L, 2);
	return a;
}

int vn_str_family(lua_State *L, int idx, const char *key)
{
	int f = 0;
	lua_getfield(L, idx, key);
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *s = lua_tostring(L, -1);
		if (strchr(s, ':'))
			f = AF_INET6;
		else if (strcmp(s, "default") && strcmp(s, "any") && strcmp(s, "all"))
			f = AF_INET;
	}
	lua_pop(L, 1);
	return f;
}

int vn_opt_family(lua_State *L, int idx, const char *fn, const char *key, int *out)
{
	static const char *const names[] = { "all", "inet", "inet6", "ipv4", "ipv6",
					     "bridge", "link", NULL };
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_INET, AF_INET6,
				    AF_BRIDGE, AF_UNSPEC };
	lua_Integer v = 0;
	int i;
	if (!vn_opt_get(L, idx, key))
		return 0;
	if (lua_type(L, -1) == LUA_TNUMBER) {
		if (!vn_num_integer(L, -1, &v) || (v != 4 && v != 6)) {
			lua_pushvalue(L, -1);
			luaL_error(L, "%s: option '%s' must be 4, 6 or a family name, got %s",
				   fn, key, lua_tostring(L, -1));
		}
		lua_pop(L, 1);
		*out = v == 4 ? AF_INET : AF_INET6;
		return 1;
	}
	lua_pop(L, 1);
	if (!vn_opt_enum(L, idx, fn, key, names, &i))
		return 0;
	*out = fams[i];
	return 1;
}

/* inet_ntop for IPv4 without printf */
static void ntoa4(const unsigned char *b, char *o)
{
	int i;
	for (i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		if (b[i] >= 100)
			*o++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*o++ = (char)('0' + b[i] / 10 % 10);
		*o++ = (char)('0' + b[i] % 10);
	}
	*o = 0;
}

void vn_push_ip(lua_State *L, int fam, const void *p, size_t len, int plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t want = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0, n;
	if (!p || !want || len != want) {
		lua_pushnil(L);
		return;
	}
	if (fam == AF_INET)
		ntoa4((const unsigned char *)p, buf);
	else if (!inet_ntop(fam, p, buf, INET6_ADDRSTRLEN)) {
		lua_pushnil(L);
		return;
	}
	n = strlen(buf);
	if (plen >= 0) {
		buf[n++] = '/';
		if (plen >= 100)
			buf[n++] = (char)('0' + plen / 100);
		if (plen >= 10)
			buf[n++] = (char)('0' + plen / 10 % 10);
		buf[n++] = (char)('0' + plen % 10);
	}
	lua_pushlstring(L, buf, n);
}

void vn_push_addr(lua_State *L, struct nl_addr *a, int with_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	int fam;
	if (!a || nl_addr_get_len(a) == 0) {
		lua_pushnil(L);
		return;
	}
	fam = nl_addr_get_family(a);
	if ((fam == AF_INET || fam == AF_INET6) && nl_addr_get_len(a) > 0) {
		inet_ntop(fam, nl_addr_get_binary_addr(a), buf, sizeof buf);
		if (with_prefix)
			lua_pushfstring(L, "%s/%d", buf, (int)nl_addr_get_prefixlen(a));
		else
			lua_pushstring(L, buf);
		return;
	}
	nl_addr2str(a, buf, sizeof buf);
	lua_pushstring(L, buf);
}

void vn_push_family(lua_State *L, int fam)
{
	if (fam == AF_INET) lua_pushliteral(L, "inet");
	else if (fam == AF_INET6) lua_pushliteral(L, "inet6");
	else if (fam == AF_BRIDGE) lua_pushliteral(L, "bridge");
	else lua_pushinteger(L, fam);
}

int vn_addr_same(struct nl_addr *a, struct nl_addr *b)
{
	if (!a || !b)
		return !a && !b;
	return nl_addr_get_family(a) == nl_addr_get_family(b) &&
	       nl_addr_get_len(a) == nl_addr_get_len(b) &&
	       memcmp(nl_addr_get_binary_addr(a), nl_addr_get_binary_addr(b),
		      nl_addr_get_len(a)) == 0;
}

