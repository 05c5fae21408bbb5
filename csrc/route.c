/*
 * route.c - route objects: add, replace, delete, list and `ip route get`.
 *
 *   ns:route_add{ dst =, gateway =, dev =, src =, metric =, scope =,
 *                 protocol =, type =, table =, mtu =, onlink =, family =,
 *                 nexthops = { { gateway =, dev =, weight =, onlink = }, ... } }
 *   ns:route_replace{ ...same... }      ns:route_del{ ...same... }
 *   ns:routes{ table =, family =, dev =, protocol =, type = }   (iterator)
 *   ns:route_get(addr [, { from =, iif =, oif =, mark = }])
 *   route:delete()
 *
 * Requests are built with libnl (rtnl_route_build_*_request) and then the
 * rtmsg header is adjusted where libnl's defaults differ from iproute2's
 * (scope guessing, wildcard fields of a delete, onlink of a single nexthop).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

#include "util.h"

#define VN_ROUTE "vnet.route"
#define R_(o) ((struct rtnl_route *)(o))

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef RTM_F_LOOKUP_TABLE
#define RTM_F_LOOKUP_TABLE 0x1000
#endif
#ifndef RTNH_F_ONLINK
#define RTNH_F_ONLINK 4
#endif

/* ---- enumerations ----------------------------------------------------- */
/* route types a user may ask for; the RTN_ value is the index + 1 */
static const char *const rtypes[] = { "unicast", "local", "broadcast", "anycast",
	"multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", NULL };
static const char *const rtype_all[] = { "unspec", "unicast", "local",
	"broadcast", "anycast", "multicast", "blackhole", "unreachable",
	"prohibit", "throw", "nat", "xresolve" };

static const struct { const char *name; int v; } scopes[] = {
	{ "global", RT_SCOPE_UNIVERSE }, { "universe", RT_SCOPE_UNIVERSE },
	{ "site", RT_SCOPE_SITE }, { "link", RT_SCOPE_LINK },
	{ "host", RT_SCOPE_HOST }, { "nowhere", RT_SCOPE_NOWHERE }, { NULL, 0 }
};

/* Reads an 8-bit value given as a number or a name: the scope names above
 * (when scoped) and names from the iproute2 file. Returns 1 when set. */
static int opt_u8name(lua_State *L, int idx, const char *fn, const char *key,
		      const char *file, int scoped, int *out)
{
	long v = -1;
	int i;
	lua_getfield(L, idx, key);
	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		lua_pop(L, 1);
		return 0;
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1))
			v = (long)lua_tointeger(L, -1);
		if (v < 0 || v > 255)
			luaL_error(L, "%s: option '%s' must be a name or a number 0-255", fn, key);
		break;
	case LUA_TSTRING:
		if (scoped)
			for (i = 0; scopes[i].name; i++)
				if (!strcmp(scopes[i].name, lua_tostring(L, -1)))
					v = scopes[i].v;
		if (v < 0)
			v = vn_rtname_lookup(file, lua_tostring(L, -1));
		if (v < 0 || v > 255) {
			if (scoped)
				luaL_error(L, "%s: option '%s' must be one of 'global', 'site', "
					   "'link', 'host', 'nowhere' or a number 0-255, got '%s'",
					   fn, key, lua_tostring(L, -1));
			luaL_error(L, "%s: option '%s': unknown name '%s' (not in %s)",
				   fn, key, lua_tostring(L, -1), file);
		}
		break;
	default:
		luaL_error(L, "%s: option '%s' must be a name or a number, got %s", fn,
			   key, luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	*out = (int)v;
	return 1;
}

static void push_scope(lua_State *L, int v)
{
	int i;
	for (i = 0; scopes[i].name; i++)
		if (scopes[i].v == v) {
			lua_pushstring(L, scopes[i].name);
			return;
		}
	vn_push_rtname(L, "rt_scopes", v);
}

static void push_type(lua_State *L, int t)
{
	if (t >= 0 && t < (int)(sizeof rtype_all / sizeof *rtype_all))
		lua_pushstring(L, rtype_all[t]);
	else
		lua_pushinteger(L, t);
}

/* ---- fields ------------------------------------------------------------ */
static struct rtnl_nexthop *single_nh(struct rtnl_route *r)
{
	return rtnl_route_get_nnexthops(r) == 1 ? rtnl_route_nexthop_n(r, 0) : NULL;
}

static void f_dst(lua_State *L, struct nl_object *o)
{
	struct nl_addr *a = rtnl_route_get_dst(R_(o));
	if (!a || nl_addr_get_prefixlen(a) == 0)
		lua_pushliteral(L, "default");
	else
		vn_push_addr(L, a, 1);
}
static void f_family(lua_State *L, struct nl_object *o)
{
	vn_push_family(L, rtnl_route_get_family(R_(o)));
}
static void f_table(lua_State *L, struct nl_object *o)
{
	vn_push_rtname(L, "rt_tables", (long)rtnl_route_get_table(R_(o)));
}
static void f_gateway(lua_State *L, struct nl_object *o)
{
	struct rtnl_nexthop *nh = single_nh(R_(o));
	struct nl_addr *a = nh ? rtnl_route_nh_get_gateway(nh) : NULL;
	vn_push_addr(L, a, 0);
}
static void f_dev(lua_State *L, struct nl_object *o)
{
	struct rtnl_nexthop *nh = single_nh(R_(o));
	int i = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	if (i > 0) lua_pushinteger(L, i); else lua_pushnil(L);
}
static void f_src(lua_State *L, struct nl_object *o)
{
	struct nl_addr *a = rtnl_route_get_pref_src(R_(o));
	vn_push_addr(L, a, 0);
}
static void f_metric(lua_State *L, struct nl_object *o)
{
	lua_pushinteger(L, (lua_Integer)rtnl_route_get_priority(R_(o)));
}
static void f_scope(lua_State *L, struct nl_object *o)
{
	push_scope(L, rtnl_route_get_scope(R_(o)));
}
static void f_protocol(lua_State *L, struct nl_object *o)
{
	vn_push_rtname(L, "rt_protos", rtnl_route_get_protocol(R_(o)));
}
static void f_type(lua_State *L, struct nl_object *o)
{
	push_type(L, rtnl_route_get_type(R_(o)));
}
static void f_mtu(lua_State *L, struct nl_object *o)
{
	uint32_t v;
	if (rtnl_route_get_metric(R_(o), RTAX_MTU, &v) == 0)
		lua_pushinteger(L, (lua_Integer)v);
	else
		lua_pushnil(L);
}
static void f_onlink(lua_State *L, struct nl_object *o)
{
	struct rtnl_nexthop *nh = single_nh(R_(o));
	unsigned f = rtnl_route_get_flags(R_(o)) | (nh ? rtnl_route_nh_get_flags(nh) : 0);
	lua_pushboolean(L, (f & RTNH_F_ONLINK) != 0);
}
static void f_nexthops(lua_State *L, struct nl_object *o)
{
	struct rtnl_route *r = R_(o);
	int i, n = rtnl_route_get_nnexthops(r);
	if (n < 2) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);
		struct nl_addr *a = rtnl_route_nh_get_gateway(nh);
		lua_createtable(L, 0, 4);
		if (a) {
			vn_push_addr(L, a, 0);
			lua_setfield(L, -2, "gateway");
		}
		if (rtnl_route_nh_get_ifindex(nh) > 0) {
			lua_pushinteger(L, rtnl_route_nh_get_ifindex(nh));
			lua_setfield(L, -2, "dev");
		}
		/* the kernel keeps weight - 1 (rtnh_hops) */
		lua_pushinteger(L, (lua_Integer)rtnl_route_nh_get_weight(nh) + 1);
		lua_setfield(L, -2, "weight");
		if (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, "onlink");
		}
		lua_rawseti(L, -2, i + 1);
	}
}

static const vn_field route_fields[] = {
	{ "dst", f_dst }, { "family", f_family }, { "table", f_table },
	{ "gateway", f_gateway }, { "dev", f_dev }, { "src", f_src },
	{ "metric", f_metric }, { "scope", f_scope }, { "protocol", f_protocol },
	{ "type", f_type }, { "mtu", f_mtu }, { "onlink", f_onlink },
	{ "nexthops", f_nexthops }, { NULL, NULL }
};

/* ---- dumps -------------------------------------------------------------- */
/* Dumps routes of family (AF_UNSPEC for all) asking the kernel to filter by
 * table and oif (0 for any) with strict checking, so that it walks only
 * that table. Objects pass through l->keep as well. 0 or -errno. */
static int route_dump(vn_ns *ns, int family, uint32_t table, int oif, vn_list *l)
{
	struct rtmsg rtm;
	struct nl_msg *msg;
	int fd = nl_socket_get_fd(ns->sk), one = 1, zero = 0, old = 0, strict, r;
	socklen_t olen = sizeof old;

	memset(&rtm, 0, sizeof rtm);
	rtm.rtm_family = (unsigned char)family;
	rtm.rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!msg || nlmsg_append(msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 ||
	    (table && nla_put_u32(msg, RTA_TABLE, table) < 0) ||
	    (oif > 0 && nla_put_u32(msg, RTA_OIF, (uint32_t)oif) < 0)) {
		nlmsg_free(msg);
		ns->err = ENOMEM;
		ns->msg[0] = 0;
		return -ENOMEM;
	}
	if (getsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &old, &olen) < 0)
		old = -1;
	strict = old == 1 || (old == 0 && setsockopt(fd, SOL_NETLINK,
				NETLINK_GET_STRICT_CHK, &one, sizeof one) == 0);
	r = vn_dump(ns, msg, l);
	if (strict && old == 0)
		setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &zero, sizeof zero);
	nlmsg_free(msg);
	/* a table that does not exist yet has no routes */
	if (r == -ENOENT && table)
		r = 0;
	return r;
}

static int route_uses_dev(struct rtnl_route *r, int dev)
{
	int i, n = rtnl_route_get_nnexthops(r);
	for (i = 0; i < n; i++)
		if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, i)) == dev)
			return 1;
	return 0;
}

struct route_filter { int family, all, dev, proto, type; uint32_t table; };

static int keep_route(struct nl_object *o, void *arg)
{
	struct route_filter *f = (struct route_filter *)arg;
	struct rtnl_route *r = R_(o);
	int fam = rtnl_route_get_family(r);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	if (f->family && fam != f->family)
		return 0;
	if (rtnl_route_get_flags(r) & RTM_F_CLONED)
		return 0;
	if (!f->all && rtnl_route_get_table(r) != f->table)
		return 0;
	if (f->proto >= 0 && rtnl_route_get_protocol(r) != f->proto)
		return 0;
	if (f->type >= 0 && rtnl_route_get_type(r) != f->type)
		return 0;
	if (f->dev && !route_uses_dev(r, f->dev))
		return 0;
	return 1;
}

/* ns:routes([{ table =, family =, dev =, protocol =, type = }])
 * -> iterator over routes | nil, msg, errname. table defaults to "main";
 * table = "all" lists every table; family defaults to both. */
static int ns_routes(lua_State *L)
{
	static const char *const keys[] = { "table", "family", "dev", "protocol",
					    "type", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct route_filter f;
	vn_list l;
	int r, t;

	memset(&f, 0, sizeof f);
	f.table = RT_TABLE_MAIN;
	f.proto = f.type = -1;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "routes", keys);
		lua_getfield(L, 2, "table");
		f.all = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "all");
		lua_pop(L, 1);
		if (!f.all)
			vn_opt_table(L, 2, "routes", "table", &f.table);
		if (vn_opt_family(L, 2, "routes", "family", &f.family) &&
		    f.family != AF_INET && f.family != AF_INET6)
			f.family = AF_UNSPEC;
		opt_u8name(L, 2, "routes", "protocol", "rt_protos", 0, &f.proto);
		if (vn_opt_enum(L, 2, "routes", "type", rtypes, &t))
			f.type = t + 1;
		r = vn_opt_ifindex(L, 2, ns, "routes", "dev");
		if (r < 0) {
			lua_getfield(L, 2, "dev");
			return vn_fail(L, lua_pushfstring(L, "routes: dev '%s'",
					lua_tostring(L, -1)), -r, NULL);
		}
		f.dev = r;
	}
	if (f.table == 0)
		f.all = 1;
	memset(&l, 0, sizeof l);
	l.keep = keep_route;
	l.arg = &f;
	r = route_dump(ns, f.family, f.all ? 0 : f.table, f.dev, &l);
	if (r < 0) {
		vn_list_free(&l);
		return vn_nsfail(L, ns, "routes");
	}
	vn_push_iter(L, &l, VN_ROUTE, 1);
	return 1;
}

/* ---- building a route from options ------------------------------------ */
enum { R_ADD, R_REPLACE, R_DEL };

static const char *const route_keys[] = { "dst", "gateway", "dev", "src",
	"metric", "scope", "protocol", "type", "table", "mtu", "nexthops",
	"onlink", "family", NULL };
static const char *const nh_keys[] = { "gateway", "dev", "weight", "onlink", NULL };

/* The family a string option implies (no allocation, never raises): 0 when
 * absent, not a string or "default". */
static int str_family(lua_State *L, int idx, const char *key)
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

/* An address option that must be a host address (no prefix). New
 * reference or NULL when absent; raises on bad syntax. */
static struct nl_addr *opt_host(lua_State *L, int idx, const char *fn,
				const char *key, int family)
{
	lua_getfield(L, idx, key);
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *s = lua_tostring(L, -1);
		if (strchr(s, '/') || !strcmp(s, "default") || !strcmp(s, "any") ||
		    !strcmp(s, "all"))
			luaL_error(L, "%s: option '%s' '%s' is not a valid address "
				   "(a host address without a prefix)", fn, key, s);
	}
	lua_pop(L, 1);
	return vn_opt_addr(L, idx, fn, key, family);
}

typedef struct rt_req {
	const char *fn;
	int mode;
	int scope;       /* -1: not given */
	int onlink;      /* single-path onlink */
	int prio_set;
	const char *what; /* option naming a missing link */
	int err;
} rt_req;

/* Parses one nexthop table at idx into a new nexthop of r (which owns it).
 * Returns 0 or -ENODEV (q->what set). */
static int parse_nh(lua_State *L, int idx, vn_ns *ns, struct rtnl_route *r,
		    rt_req *q, int family, int n)
{
	const char *fn = lua_pushfstring(L, "%s: nexthops[%d]", q->fn, n);
	struct rtnl_nexthop *nh;
	struct nl_addr *gw;
	lua_Integer w = 1;
	int onlink = 0, dev;

	if (!lua_istable(L, idx))
		luaL_error(L, "%s: option 'nexthops' must be a list of tables, item %d is a %s",
			   q->fn, n, luaL_typename(L, idx));
	vn_opts_check(L, idx, fn, nh_keys);
	vn_opt_int(L, idx, fn, "weight", 1, 256, &w);
	vn_opt_bool(L, idx, fn, "onlink", &onlink);
	dev = vn_opt_ifindex(L, idx, ns, fn, "dev");
	if (dev < 0) {
		lua_getfield(L, idx, "dev");
		q->what = lua_pushfstring(L, "nexthops[%d] dev '%s'", n, lua_tostring(L, -1));
		q->err = -dev;
		return dev;
	}
	lua_getfield(L, idx, "gateway");
	if (lua_isnil(L, -1) && !dev)
		luaL_error(L, "%s: a nexthop needs 'gateway' or 'dev'", fn);
	lua_pop(L, 1);
	if (!(nh = rtnl_route_nh_alloc()))
		luaL_error(L, "%s: out of memory", q->fn);
	rtnl_route_add_nexthop(r, nh);         /* r owns nh from here on */
	rtnl_route_nh_set_weight(nh, (uint8_t)(w - 1));
	if (dev)
		rtnl_route_nh_set_ifindex(nh, dev);
	if (onlink)
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	if ((gw = opt_host(L, idx, fn, "gateway", family))) {
		rtnl_route_nh_set_gateway(nh, gw);
		nl_addr_put(gw);
	}
	lua_pop(L, 1); /* fn */
	return 0;
}

/* Fills r (owned by a box) from the options table at 2. May raise. Returns
 * 0, or -errno for a link that does not exist (q->what, q->err). */
static int parse_route(lua_State *L, vn_ns *ns, struct rtnl_route *r, rt_req *q)
{
	const char *fn = q->fn;
	lua_Integer n;
	uint32_t table = RT_TABLE_MAIN;
	int family = 0, type = -1, proto = -1, i, t, nnh = 0, dev, has_table;
	struct nl_addr *a;

	/* scalar options */
	if (vn_opt_family(L, 2, fn, "family", &family) &&
	    family != AF_INET && family != AF_INET6)
		luaL_error(L, "%s: option 'family' must be 'inet' or 'inet6'", fn);
	has_table = vn_opt_table(L, 2, fn, "table", &table);
	if (vn_opt_enum(L, 2, fn, "type", rtypes, &t))
		type = t + 1;
	q->scope = -1;
	opt_u8name(L, 2, fn, "scope", "rt_scopes", 1, &q->scope);
	opt_u8name(L, 2, fn, "protocol", "rt_protos", 0, &proto);
	vn_opt_bool(L, 2, fn, "onlink", &q->onlink);
	if ((q->prio_set = vn_opt_int(L, 2, fn, "metric", 0, 0xffffffffLL, &n)))
		rtnl_route_set_priority(r, (uint32_t)n);
	if (vn_opt_int(L, 2, fn, "mtu", 1, 65535, &n))
		rtnl_route_set_metric(r, RTAX_MTU, (unsigned)n);

	/* the family: given, or implied by the addresses */
	lua_getfield(L, 2, "nexthops");
	nnh = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
	lua_pop(L, 1);
	if (!family) family = str_family(L, 2, "dst");
	if (!family) family = str_family(L, 2, "gateway");
	if (!family) family = str_family(L, 2, "src");
	for (i = 1; !family && i <= nnh; i++) {
		lua_getfield(L, 2, "nexthops");
		lua_rawgeti(L, -1, i);
		if (lua_istable(L, -1))
			family = str_family(L, -1, "gateway");
		lua_pop(L, 2);
	}
	if (!family)
		family = AF_INET;
	rtnl_route_set_family(r, (uint8_t)family);

	lua_getfield(L, 2, "dst");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'dst' is required (an address/prefix or 'default')", fn);
	lua_pop(L, 1);
	a = vn_opt_addr(L, 2, fn, "dst", family);
	rtnl_route_set_dst(r, a);
	nl_addr_put(a);
	if ((a = opt_host(L, 2, fn, "src", family))) {
		rtnl_route_set_pref_src(r, a);
		nl_addr_put(a);
	}

	/* next hops: one from gateway/dev, or a list */
	lua_getfield(L, 2, "nexthops");
	if (!lua_isnil(L, -1)) {
		int idx = lua_gettop(L);
		lua_getfield(L, 2, "gateway");
		lua_getfield(L, 2, "dev");
		if (!lua_isnil(L, -1) || !lua_isnil(L, -2))
			luaL_error(L, "%s: give either 'gateway'/'dev' or 'nexthops', not both", fn);
		lua_pop(L, 2);
		if (!lua_istable(L, idx) || nnh < 1)
			luaL_error(L, "%s: option 'nexthops' must be a non-empty list of tables", fn);
		for (i = 1; i <= nnh; i++) {
			int rc;
			lua_rawgeti(L, idx, i);
			rc = parse_nh(L, lua_gettop(L), ns, r, q, family, i);
			if (rc < 0)
				return rc;
			lua_pop(L, 1);
		}
	} else {
		struct rtnl_nexthop *nh;
		dev = vn_opt_ifindex(L, 2, ns, fn, "dev");
		if (dev < 0) {
			lua_getfield(L, 2, "dev");
			q->what = lua_pushfstring(L, "dev '%s'", lua_tostring(L, -1));
			q->err = -dev;
			return dev;
		}
		lua_getfield(L, 2, "gateway");
		if (dev || !lua_isnil(L, -1)) {
			if (!(nh = rtnl_route_nh_alloc()))
				luaL_error(L, "%s: out of memory", fn);
			rtnl_route_add_nexthop(r, nh);
			if (dev)
				rtnl_route_nh_set_ifindex(nh, dev);
			if (q->onlink)
				rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
			if ((a = opt_host(L, 2, fn, "gateway", family))) {
				rtnl_route_nh_set_gateway(nh, a);
				nl_addr_put(a);
			}
		}
	}
	lua_pop(L, 1);

	/* defaults as iproute2 has them */
	if (type < 0 && q->mode != R_DEL)
		type = RTN_UNICAST;
	if (!has_table && (type == RTN_LOCAL || type == RTN_BROADCAST ||
			   type == RTN_NAT || type == RTN_ANYCAST))
		table = RT_TABLE_LOCAL;
	rtnl_route_set_table(r, table);
	rtnl_route_set_type(r, (uint8_t)(type < 0 ? RTN_UNSPEC : type));
	if (proto < 0)
		proto = q->mode == R_DEL ? RTPROT_UNSPEC : RTPROT_BOOT;
	rtnl_route_set_protocol(r, (uint8_t)proto);
	if (q->scope < 0) {
		if (q->mode == R_DEL)
			q->scope = RT_SCOPE_NOWHERE;
		else if (type == RTN_LOCAL || type == RTN_NAT)
			q->scope = RT_SCOPE_HOST;
		else if (type == RTN_BROADCAST || type == RTN_MULTICAST ||
			 type == RTN_ANYCAST)
			q->scope = RT_SCOPE_LINK;
		else if (type == RTN_UNICAST && !nnh) {
			struct rtnl_nexthop *nh = single_nh(r);
			q->scope = nh && rtnl_route_nh_get_gateway(nh) ?
				RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
		} else
			q->scope = RT_SCOPE_UNIVERSE;
	}
	rtnl_route_set_scope(r, (uint8_t)q->scope);
	return 0;
}

/* Sets what libnl's builder decides differently from us into the header. */
static void fix_header(struct nl_msg *msg, int scope, int onlink)
{
	struct rtmsg *rtm = (struct rtmsg *)nlmsg_data(nlmsg_hdr(msg));
	rtm->rtm_scope = (unsigned char)scope;
	rtm->rtm_flags &= RTNH_F_ONLINK;
	if (onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
}

/* ---- reading a route back after add/replace ---------------------------- */
struct route_match { struct rtnl_route *want; int prio_set; };

static int keep_match(struct nl_object *o, void *arg)
{
	struct route_match *m = (struct route_match *)arg;
	struct rtnl_route *r = R_(o), *w = m->want;
	struct rtnl_nexthop *a, *b;
	if (rtnl_route_get_family(r) != rtnl_route_get_family(w) ||
	    rtnl_route_get_table(r) != rtnl_route_get_table(w) ||
	    rtnl_route_get_tos(r) != rtnl_route_get_tos(w) ||
	    rtnl_route_get_type(r) != rtnl_route_get_type(w) ||
	    (rtnl_route_get_flags(r) & RTM_F_CLONED) ||
	    nl_addr_cmp(rtnl_route_get_dst(r), rtnl_route_get_dst(w)) != 0)
		return 0;
	if (m->prio_set && rtnl_route_get_priority(r) != rtnl_route_get_priority(w))
		return 0;
	if (rtnl_route_get_nnexthops(w) > 1)
		return rtnl_route_get_nnexthops(r) >= rtnl_route_get_nnexthops(w);
	if ((b = single_nh(w))) {
		if (!(a = single_nh(r)))
			return 0;
		if (rtnl_route_nh_get_ifindex(b) &&
		    rtnl_route_nh_get_ifindex(a) != rtnl_route_nh_get_ifindex(b))
			return 0;
		if (rtnl_route_nh_get_gateway(b) && (!rtnl_route_nh_get_gateway(a) ||
		    nl_addr_cmp(rtnl_route_nh_get_gateway(a),
				       rtnl_route_nh_get_gateway(b)) != 0))
			return 0;
	}
	return 1;
}

/* Replaces the object in the box at bidx by the route as the kernel keeps
 * it, when it can be found; keeps the request's otherwise. */
static void read_back(lua_State *L, vn_ns *ns, int bidx, struct rtnl_route *want,
		      int prio_set)
{
	struct route_match m;
	struct rtnl_nexthop *nh = single_nh(want);
	vn_list l;
	m.want = want;
	m.prio_set = prio_set;
	memset(&l, 0, sizeof l);
	l.keep = keep_match;
	l.arg = &m;
	if (route_dump(ns, rtnl_route_get_family(want), rtnl_route_get_table(want),
		       nh ? rtnl_route_nh_get_ifindex(nh) : 0, &l) == 0 && l.n > 0)
		vn_box_replace(L, bidx, VN_ROUTE, l.v[0]);
	vn_list_free(&l);
}

/* Shared body of route_add, route_replace and route_del. */
static int route_modify(lua_State *L, const char *fn, int mode)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_route *r;
	struct nl_msg *msg = NULL;
	vn_box *box;
	rt_req q;
	struct nl_object *echo = NULL;
	int rc;
	const char *dst;

	vn_opts_check(L, 2, fn, route_keys);
	lua_settop(L, 2);
	/* box first, resource second */
	box = (vn_box *)lua_newuserdata(L, sizeof *box);
	box->o = NULL;
	luaL_setmetatable(L, VN_ROUTE);
	if (!(r = rtnl_route_alloc()))
		return luaL_error(L, "%s: out of memory", fn);
	box->o = (struct nl_object *)r;
	memset(&q, 0, sizeof q);
	q.fn = fn;
	q.mode = mode;
	rc = parse_route(L, ns, r, &q);
	lua_getfield(L, 2, "dst");
	dst = lua_tostring(L, -1);
	if (rc < 0)
		return vn_fail(L, lua_pushfstring(L, "%s %s: %s", fn, dst, q.what), q.err, NULL);
	if (mode == R_DEL)
		rc = rtnl_route_build_del_request(r, 0, &msg);
	else
		rc = rtnl_route_build_add_request(r, mode == R_ADD ? NLM_F_EXCL :
						  NLM_F_REPLACE, &msg);
	if (rc < 0)
		return luaL_error(L, "%s: cannot build the request (%s)", fn, nl_geterror(rc));
	fix_header(msg, q.scope, q.onlink);
	rc = mode == R_DEL ? vn_talk(ns, msg) : vn_talk_echo(ns, msg, &echo);
	nlmsg_free(msg);
	if (rc < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "%s %s", fn, dst));
	if (mode == R_DEL || vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* move r into a box bound to the namespace, then refresh it from the
	 * kernel's copy */
	vn_box_push(L, NULL, VN_ROUTE, 1);
	((vn_box *)lua_touserdata(L, -1))->o = (struct nl_object *)r;
	box->o = NULL;
	if (echo) {
		/* the kernel's copy, as it echoed it */
		vn_box_replace(L, -1, VN_ROUTE, echo);
		nl_object_put(echo);
	} else {
		read_back(L, ns, -1, r, q.prio_set);
	}
	return 1;
}

/* ns:route_add{...} -> route | nil, msg, errname */
static int ns_route_add(lua_State *L)
{
	return route_modify(L, "route_add", R_ADD);
}

/* ns:route_replace{...} -> route | nil, msg, errname (creates when absent) */
static int ns_route_replace(lua_State *L)
{
	return route_modify(L, "route_replace", R_REPLACE);
}

/* ns:route_del{...} -> true | nil, msg, errname */
static int ns_route_del(lua_State *L)
{
	return route_modify(L, "route_del", R_DEL);
}

/* ---- ns:route_get(addr [, opts]) ---------------------------------------- */
/* Like `ip route get`: asks the kernel which route it would use for addr.
 * opts: from (source address), iif, oif (links), mark (integer).
 * -> route | nil, msg, errname */
static int ns_route_get(lua_State *L)
{
	static const char *const keys[] = { "from", "iif", "oif", "mark", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_route *g;
	struct nl_object *out = NULL;
	struct nl_addr *a;
	struct nl_msg *msg;
	struct rtmsg rtm;
	lua_Integer mark = 0;
	int has_mark = 0, iif = 0, oif = 0, family, rc;
	vn_box *box;
	const char *s;

	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "route_get: address must be a string, got %s",
				  luaL_typename(L, 2));
	s = lua_tostring(L, 2);
	if (strchr(s, '/') || !strcmp(s, "default") || !strcmp(s, "any") || !strcmp(s, "all"))
		return luaL_error(L, "route_get: address '%s' is not a valid address "
				  "(a host address without a prefix)", s);
	family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (!lua_isnoneornil(L, 3)) {
		vn_opts_check(L, 3, "route_get", keys);
		has_mark = vn_opt_int(L, 3, "route_get", "mark", 0, 0xffffffffLL, &mark);
		iif = vn_opt_ifindex(L, 3, ns, "route_get", "iif");
		if (iif >= 0)
			oif = vn_opt_ifindex(L, 3, ns, "route_get", "oif");
		if (iif < 0 || oif < 0) {
			lua_getfield(L, 3, iif < 0 ? "iif" : "oif");
			return vn_fail(L, lua_pushfstring(L, "route_get %s: %s '%s'", s,
					iif < 0 ? "iif" : "oif", lua_tostring(L, -1)), ENODEV, NULL);
		}
	}
	lua_settop(L, 3);
	/* a scratch route in a box owns the addresses while we parse */
	box = (vn_box *)lua_newuserdata(L, sizeof *box);       /* 4 */
	box->o = NULL;
	luaL_setmetatable(L, VN_ROUTE);
	if (!(g = rtnl_route_alloc()))
		return luaL_error(L, "route_get: out of memory");
	box->o = (struct nl_object *)g;
	a = vn_check_addr(L, 2, "route_get", "address", family);
	rtnl_route_set_dst(g, a);
	nl_addr_put(a);
	/* the guard keeps `from` as its prefsrc: libnl refuses IPv4 sources */
	if (lua_istable(L, 3) && (a = opt_host(L, 3, "route_get", "from", family))) {
		rtnl_route_set_pref_src(g, a);
		nl_addr_put(a);
	}

	memset(&rtm, 0, sizeof rtm);
	rtm.rtm_family = (unsigned char)family;
	/* IPv4 reports the table it found the route in only when asked; IPv6
	 * always does and refuses the flag under strict checking */
	if (family == AF_INET)
		rtm.rtm_flags = RTM_F_LOOKUP_TABLE;
	a = rtnl_route_get_dst(g);
	rtm.rtm_dst_len = (unsigned char)(nl_addr_get_len(a) * 8);
	if (rtnl_route_get_pref_src(g))
		rtm.rtm_src_len = rtm.rtm_dst_len;
	msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	if (!msg || nlmsg_append(msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 ||
	    nla_put_addr(msg, RTA_DST, a) < 0 ||
	    (rtnl_route_get_pref_src(g) &&
	     nla_put_addr(msg, RTA_SRC, rtnl_route_get_pref_src(g)) < 0) ||
	    (iif && nla_put_u32(msg, RTA_IIF, (uint32_t)iif) < 0) ||
	    (oif && nla_put_u32(msg, RTA_OIF, (uint32_t)oif) < 0) ||
	    (has_mark && nla_put_u32(msg, RTA_MARK, (uint32_t)mark) < 0)) {
		nlmsg_free(msg);
		return luaL_error(L, "route_get: out of memory");
	}
	rc = vn_get(ns, msg, &out);
	nlmsg_free(msg);
	if (rc < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "route_get %s", s));
	vn_box_push(L, out, VN_ROUTE, 1);
	return 1;
}

/* ---- methods ------------------------------------------------------------ */
/* route:delete() -> true | nil, msg, errname */
static int m_delete(lua_State *L)
{
	struct rtnl_route *r = R_(vn_box_check(L, 1, VN_ROUTE));
	vn_ns *ns = vn_box_ns(L, 1);
	struct rtnl_nexthop *nh = single_nh(r);
	struct nl_msg *msg = NULL;
	int rc;
	rc = rtnl_route_build_del_request(r, 0, &msg);
	if (rc < 0)
		return luaL_error(L, "delete: cannot build the request (%s)", nl_geterror(rc));
	fix_header(msg, rtnl_route_get_scope(r),
		   ((rtnl_route_get_flags(r) | (nh ? rtnl_route_nh_get_flags(nh) : 0))
		    & RTNH_F_ONLINK) != 0);
	rc = vn_talk(ns, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		f_dst(L, (struct nl_object *)r);
		return vn_nsfail(L, ns, lua_pushfstring(L, "delete route %s",
							lua_tostring(L, -1)));
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* route.ns: the namespace handle the route belongs to */
/* __tostring: "vnet.route: 10.0.0.0/24 via 10.0.0.1 dev 3 ..." like ip route */
static int m_tostring(lua_State *L)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, 1, VN_ROUTE);
	struct rtnl_route *r;
	struct rtnl_nexthop *nh;
	struct nl_addr *a;
	luaL_Buffer buf;
	int t, i, n;
	uint32_t mtu;

	if (!b->o) {
		lua_pushliteral(L, "vnet.route (released)");
		return 1;
	}
	r = R_(b->o);
	luaL_buffinit(L, &buf);
	luaL_addstring(&buf, "vnet.route: ");
	t = rtnl_route_get_type(r);
	if (t != RTN_UNICAST) {
		push_type(L, t);
		luaL_addvalue(&buf);
		luaL_addchar(&buf, ' ');
	}
	f_dst(L, b->o);
	luaL_addvalue(&buf);
	if ((nh = single_nh(r))) {
		if ((a = rtnl_route_nh_get_gateway(nh))) {
			luaL_addstring(&buf, " via ");
			vn_push_addr(L, a, 0);
			luaL_addvalue(&buf);
		}
		if (rtnl_route_nh_get_ifindex(nh) > 0) {
			lua_pushfstring(L, " dev %d", rtnl_route_nh_get_ifindex(nh));
			luaL_addvalue(&buf);
		}
	}
	f_onlink(L, b->o);
	if (lua_toboolean(L, -1))
		luaL_addstring(&buf, " onlink");
	lua_pop(L, 1);
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN) {
		luaL_addstring(&buf, " table ");
		f_table(L, b->o);
		luaL_addvalue(&buf);
	}
	if (rtnl_route_get_protocol(r)) {
		luaL_addstring(&buf, " proto ");
		f_protocol(L, b->o);
		luaL_addvalue(&buf);
	}
	luaL_addstring(&buf, " scope ");
	f_scope(L, b->o);
	luaL_addvalue(&buf);
	if ((a = rtnl_route_get_pref_src(r))) {
		luaL_addstring(&buf, " src ");
		vn_push_addr(L, a, 0);
		luaL_addvalue(&buf);
	}
	if (rtnl_route_get_priority(r)) {
		lua_pushinteger(L, (lua_Integer)rtnl_route_get_priority(r));
		luaL_addstring(&buf, " metric ");
		luaL_addvalue(&buf);
	}
	if (rtnl_route_get_metric(r, RTAX_MTU, &mtu) == 0) {
		lua_pushinteger(L, (lua_Integer)mtu);
		luaL_addstring(&buf, " mtu ");
		luaL_addvalue(&buf);
	}
	n = rtnl_route_get_nnexthops(r);
	for (i = 0; n > 1 && i < n; i++) {
		nh = rtnl_route_nexthop_n(r, i);
		luaL_addstring(&buf, " nexthop");
		if ((a = rtnl_route_nh_get_gateway(nh))) {
			luaL_addstring(&buf, " via ");
			vn_push_addr(L, a, 0);
			luaL_addvalue(&buf);
		}
		if (rtnl_route_nh_get_ifindex(nh) > 0) {
			lua_pushfstring(L, " dev %d", rtnl_route_nh_get_ifindex(nh));
			luaL_addvalue(&buf);
		}
		lua_pushfstring(L, " weight %d", (int)rtnl_route_nh_get_weight(nh) + 1);
		luaL_addvalue(&buf);
	}
	luaL_pushresult(&buf);
	return 1;
}

static const luaL_Reg route_methods[] = {
	{ "delete", m_delete },
	{ NULL, NULL }
};

static const vn_type route_type = { VN_ROUTE, route_methods, route_fields, m_tostring };

static const luaL_Reg ns_methods[] = {
	{ "route_add", ns_route_add },
	{ "route_replace", ns_route_replace },
	{ "route_del", ns_route_del },
	{ "routes", ns_routes },
	{ "route_get", ns_route_get },
	{ NULL, NULL }
};

void vn_open_route(lua_State *L)
{
	vn_type_register(L, &route_type);
	vn_netns_methods(L, ns_methods);
}
