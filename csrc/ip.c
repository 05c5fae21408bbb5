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
#include "errors.h"

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


/* ---- vnet.ip: the parser and formatter for Lua ----------------------- */
/* The address string at idx (a real address: not "default"), parsed into
 * *ip; returns 0, or pushes nil, "<fn>: 's' is not an address", "EINVAL"
 * and returns 3 (a string that is no address is an answer, not misuse:
 * these functions are how Lua code tells). */
static int arg_ip(lua_State *L, int idx, const char *fn, vn_ip *ip)
{
	const char *s = vn_check_str(L, idx, fn, "the address", 0);
	if (ip_parse(s, AF_UNSPEC, ip) == 0 && ip->len)
		return 0;
	lua_pushnil(L);
	lua_pushfstring(L, "%s: '%s' is not an address", fn, s);
	lua_pushliteral(L, "EINVAL");
	return 3;
}

/* vnet.ip.parse(s) -> family, address, prefixlen | nil, message, "EINVAL".
 * "10.0.0.1/24" -> "inet", "10.0.0.1", 24; without a prefix length the
 * address's full length; the address as vnet prints it (as ip does). */
static int l_parse(lua_State *L)
{
	vn_ip ip;
	if (arg_ip(L, 1, "ip.parse", &ip))
		return 3;
	vn_push_family(L, ip.family);
	vn_push_ip(L, ip.family, ip.b, (size_t)ip.len, -1);
	lua_pushinteger(L, ip.plen);
	return 3;
}

/* vnet.ip.format(s [, prefixlen]) -> "address/prefixlen" | nil, message:
 * the canonical text of s, with prefixlen (default: s's own). */
static int l_format(lua_State *L)
{
	vn_ip ip;
	if (arg_ip(L, 1, "ip.format", &ip))
		return 3;
	if (!lua_isnoneornil(L, 2))
		ip.plen = (int)vn_check_int(L, 2, "ip.format", "prefixlen", 0, ip.len * 8);
	vn_push_ip(L, ip.family, ip.b, (size_t)ip.len, ip.plen);
	return 1;
}

/* Clears the bits of ip past its prefix length. */
static void ip_mask(vn_ip *ip)
{
	int i;
	for (i = 0; i < ip->len; i++) {
		int bits = ip->plen - i * 8;
		if (bits <= 0)
			ip->b[i] = 0;
		else if (bits < 8)
			ip->b[i] &= (unsigned char)(0xff << (8 - bits));
	}
}

/* vnet.ip.network(prefix) -> "network/prefixlen" | nil, message */
static int l_network(lua_State *L)
{
	vn_ip ip;
	if (arg_ip(L, 1, "ip.network", &ip))
		return 3;
	ip_mask(&ip);
	vn_push_ip(L, ip.family, ip.b, (size_t)ip.len, ip.plen);
	return 1;
}

/* vnet.ip.contains(prefix, address) -> boolean | nil, message: whether
 * address (its own prefix length aside) lies in prefix (same family). */
static int l_contains(lua_State *L)
{
	vn_ip net, a;
	if (arg_ip(L, 1, "ip.contains", &net) || arg_ip(L, 2, "ip.contains", &a))
		return 3;
	a.plen = net.plen;
	ip_mask(&net);
	ip_mask(&a);
	lua_pushboolean(L, net.family == a.family && !memcmp(net.b, a.b, (size_t)net.len));
	return 1;
}

/* vnet.ip.host(prefix, n) -> "address/prefixlen" | nil, message, "ERANGE":
 * the address n after the prefix's network address (n >= 0); ERANGE when
 * that is outside the prefix or, in an IPv4 prefix shorter than /31, its
 * broadcast address. */
static int l_host(lua_State *L)
{
	vn_ip ip, net, bc;
	lua_Integer n, n0;
	unsigned carry;
	int i;
	if (arg_ip(L, 1, "ip.host", &ip))
		return 3;
	n0 = n = vn_check_int(L, 2, "ip.host", "n", 0, 0x7fffffff);
	ip_mask(&ip);
	net = ip;
	for (i = ip.len - 1, carry = 0; i >= 0; i--) {
		unsigned v = ip.b[i] + (unsigned)(n & 0xff) + carry;
		n >>= 8;
		ip.b[i] = (unsigned char)v;
		carry = v >> 8;
	}
	bc = ip;
	bc.plen = net.plen;
	ip_mask(&bc);
	if (n || carry || memcmp(bc.b, net.b, (size_t)net.len))
		return vn_fail(L, lua_pushfstring(L, "ip.host: address %d of %s", (int)n0,
						  lua_tostring(L, 1)), ERANGE, NULL);
	if (ip.family == AF_INET && ip.plen < 31) {
		uint32_t a, m = ip.plen ? 0xffffffffu << (32 - ip.plen) : 0;
		memcpy(&a, ip.b, 4);
		if ((ntohl(a) | m) == 0xffffffffu)
			return vn_fail(L, lua_pushfstring(L, "ip.host: address %d of %s is its "
							  "broadcast address", (int)n0,
							  lua_tostring(L, 1)), ERANGE, NULL);
	}
	vn_push_ip(L, ip.family, ip.b, (size_t)ip.len, ip.plen);
	return 1;
}

/***
 * IP addresses and prefixes, with the parser every vnet call uses (strict
 * syntax: `"10"` is not an address; `"default"`, `"any"` and `"all"` are
 * the empty prefix). `vnet.ip` and `vnet.core.ip`. A string that is not an
 * address returns `nil, message, "EINVAL"`; a value that is not a string
 * raises.
 * @module vnet.ip
 * @usage
 * local ip = require("vnet").ip
 * assert(select(3, ip.parse("10.0.0.1/24")) == 24)
 * assert(ip.network("10.0.0.77/24") == "10.0.0.0/24")
 * assert(ip.contains("10.0.0.0/24", "10.0.0.9"))
 * assert(ip.host("10.0.0.0/24", 1) == "10.0.0.1/24")
 * assert(ip.format("2001:0db8::0001") == "2001:db8::1/128")
 */

/*** Parses an address or prefix.
 * @function parse
 * @string s `"10.0.0.1/24"`, `"2001:db8::1"`
 * @return `family, address, prefixlen` (`"inet", "10.0.0.1", 24`; without
 *   a prefix length the address's full length), or `nil, message,
 *   "EINVAL"`
 */

/*** The canonical text of an address (as `ip` prints it).
 * @function format
 * @string s an address or prefix
 * @int[opt] prefixlen the prefix length (default: that of `s`)
 * @return `"address/prefixlen"`, or `nil, message, errname`
 */

/*** The network of a prefix (the bits past its length cleared).
 * @function network
 * @string prefix `"10.0.0.77/24"`
 * @return `"10.0.0.0/24"`, or `nil, message, errname`
 */

/*** Whether an address lies in a prefix (of the same family; the
 * address's own prefix length aside).
 * @function contains
 * @string prefix the prefix
 * @string address the address
 * @return a boolean, or `nil, message, errname`
 */

/*** The address `n` after a prefix's network address.
 * @function host
 * @string prefix the prefix
 * @int n 0 to 2^31-1
 * @return `"address/prefixlen"`, or `nil, message, "ERANGE"` when that is
 *   outside the prefix or, in an IPv4 prefix shorter than /31, its
 *   broadcast address
 */

static const luaL_Reg ip_funcs[] = {
	{ "parse", l_parse }, { "format", l_format }, { "network", l_network },
	{ "contains", l_contains }, { "host", l_host }, { NULL, NULL }
};

void vn_open_ip(lua_State *L)
{
	luaL_newlib(L, ip_funcs);
	lua_setfield(L, -2, "ip");
}
