/*
 * nexthop.c - nexthop objects (`ip nexthop`): add, replace, delete, get
 * and list.
 *
 *   ns:nexthop_add{ id =, gateway =, dev =, blackhole =, onlink =, fdb =,
 *                   family =, protocol =, group = { { id =, weight = }, 2 },
 *                   group_type = "mpath" | "resilient", buckets =,
 *                   idle_timer =, unbalanced_timer = }
 *   ns:nexthop_replace{ ...same... }   ns:nexthop_del(id or { id = })
 *   ns:nexthop(id)                     ns:nexthops{ id =, dev =, groups =, fdb = }
 *   nexthop:delete()
 *
 * Requests are written as the netlink messages iproute2 sends (nhmsg and
 * NHA_* attributes); a nexthop object holds the message the kernel sent
 * (its echo, a get or a dump) in a vn_msgbox and decodes fields on access.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/nexthop.h>

#include "util.h"
#include "msg.h"

#define VN_NEXTHOP "vnet.nexthop"
#define MAXGRP 256            /* entries a request's group may have */

#ifndef RTNH_F_ONLINK
#define RTNH_F_ONLINK 4
#endif

/* ---- reading a nexthop message ------------------------------------------ */
typedef struct nh_view {
	const struct nhmsg *h;
	const struct rtattr *a[NHA_MAX + 1];
} nh_view;

#define NB(o) ((vn_msgbox *)(o))

/* an id as decimal text (ids go up to 2^32 - 1; %d of pushfstring does not) */
static const char *idstr(char b[12], uint32_t id)
{
	snprintf(b, 12, "%u", (unsigned)id);
	return b;
}
#define VIEW(v, o) nh_view v; vn_view_parse(&v, NB(o)->m, NB(o)->len)

static int ngroup(const nh_view *v)
{
	return v->a[NHA_GROUP] ? (int)(RTA_PAYLOAD(v->a[NHA_GROUP]) / sizeof(struct nexthop_grp))
			       : 0;
}

static struct nexthop_grp grp_at(const nh_view *v, int i)
{
	struct nexthop_grp g;
	memcpy(&g, (const char *)RTA_DATA(v->a[NHA_GROUP]) + (size_t)i * sizeof g, sizeof g);
	return g;
}

static void push_gw(lua_State *L, const nh_view *v)
{
	const struct rtattr *a = v->a[NHA_GATEWAY];
	if (a)
		vn_push_ip(L, v->h->nh_family, RTA_DATA(a), RTA_PAYLOAD(a), -1);
	else
		lua_pushnil(L);
}

/* ---- fields ---------------------------------------------------------------- */
static void f_id(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushinteger(L, (lua_Integer)vn_rta_u32(v.a[NHA_ID]));
}
static void f_family(lua_State *L, void *o)
{
	vn_push_family(L, ((const struct nhmsg *)NB(o)->m)->nh_family);
}
static void f_gateway(lua_State *L, void *o)
{
	VIEW(v, o);
	push_gw(L, &v);
}
static void f_dev(lua_State *L, void *o)
{
	VIEW(v, o);
	vn_push_rta_u32(L, v.a[NHA_OIF]);
}
static void f_blackhole(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushboolean(L, v.a[NHA_BLACKHOLE] != NULL);
}
static void f_fdb(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushboolean(L, v.a[NHA_FDB] != NULL);
}
static void f_onlink(lua_State *L, void *o)
{
	lua_pushboolean(L, (((const struct nhmsg *)NB(o)->m)->nh_flags & RTNH_F_ONLINK) != 0);
}
static void f_group(lua_State *L, void *o)
{
	int i, n;
	VIEW(v, o);
	if (!v.a[NHA_GROUP]) {
		lua_pushnil(L);
		return;
	}
	n = ngroup(&v);
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		struct nexthop_grp g = grp_at(&v, i);
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, (lua_Integer)g.id);
		lua_setfield(L, -2, "id");
		lua_pushinteger(L, (lua_Integer)g.weight + 1);
		lua_setfield(L, -2, "weight");
		lua_rawseti(L, -2, i + 1);
	}
}
static void f_group_type(lua_State *L, void *o)
{
	VIEW(v, o);
	if (!v.a[NHA_GROUP])
		lua_pushnil(L);
	else if (vn_rta_u16(v.a[NHA_GROUP_TYPE]) == NEXTHOP_GRP_TYPE_RES)
		lua_pushliteral(L, "resilient");
	else if (vn_rta_u16(v.a[NHA_GROUP_TYPE]) == NEXTHOP_GRP_TYPE_MPATH)
		lua_pushliteral(L, "mpath");
	else
		lua_pushinteger(L, (lua_Integer)vn_rta_u16(v.a[NHA_GROUP_TYPE]));
}
/* resilient group settings: buckets, idle_timer and unbalanced_timer in
 * seconds (the kernel keeps hundredths) */
static void push_res(lua_State *L, void *o, unsigned t)
{
	const struct rtattr *a;
	VIEW(v, o);
	if (!(a = vn_rta_nested(v.a[NHA_RES_GROUP], t)))
		lua_pushnil(L);
	else if (t == NHA_RES_GROUP_BUCKETS)
		lua_pushinteger(L, (lua_Integer)vn_rta_u16(a));
	else
		lua_pushinteger(L, (lua_Integer)(vn_rta_u32(a) / 100));
}
static void f_buckets(lua_State *L, void *o)
{
	push_res(L, o, NHA_RES_GROUP_BUCKETS);
}
static void f_idle_timer(lua_State *L, void *o)
{
	push_res(L, o, NHA_RES_GROUP_IDLE_TIMER);
}
static void f_unbalanced_timer(lua_State *L, void *o)
{
	push_res(L, o, NHA_RES_GROUP_UNBALANCED_TIMER);
}
static void f_protocol(lua_State *L, void *o)
{
	vn_push_rtname(L, "rt_protos", ((const struct nhmsg *)NB(o)->m)->nh_protocol);
}
static void f_scope(lua_State *L, void *o)
{
	vn_push_scope(L, ((const struct nhmsg *)NB(o)->m)->nh_scope);
}

static const vn_flag nhflags[] = {
	{ "dead", 1 }, { "pervasive", 2 }, { "onlink", 4 }, { "offload", 8 },
	{ "linkdown", 16 }, { "unresolved", 32 }, { "trap", 64 }, { NULL, 0 }
};

static void f_flags(lua_State *L, void *o)
{
	vn_push_flags(L, ((const struct nhmsg *)NB(o)->m)->nh_flags, nhflags);
}

static const vn_field nh_fields[] = {
	{ "id", f_id }, { "family", f_family }, { "gateway", f_gateway },
	{ "dev", f_dev }, { "blackhole", f_blackhole }, { "onlink", f_onlink },
	{ "fdb", f_fdb }, { "group", f_group }, { "group_type", f_group_type },
	{ "buckets", f_buckets }, { "idle_timer", f_idle_timer },
	{ "unbalanced_timer", f_unbalanced_timer }, { "protocol", f_protocol },
	{ "scope", f_scope }, { "flags", f_flags }, { NULL, NULL }
};

/* __eq: the same id (the namespace is compared by the box) */
static int nh_same(const void *x, const void *y)
{
	nh_view a, b;
	vn_view_parse(&a, NB(x)->m, NB(x)->len);
	vn_view_parse(&b, NB(y)->m, NB(y)->len);
	return vn_rta_u32(a.a[NHA_ID]) == vn_rta_u32(b.a[NHA_ID]);
}

static void push_nh(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_NEXTHOP, p, len, nsidx);
}

static int keep_nh(const struct nlmsghdr *h, void *arg)
{
	(void)arg;
	return h->nlmsg_type == RTM_NEWNEXTHOP &&
	       h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nhmsg));
}

/* ---- writing requests --------------------------------------------------- */
typedef union nh_msgbuf {
	struct nlmsghdr h;
	unsigned char b[NLMSG_SPACE(sizeof(struct nhmsg)) + 16 * RTA_SPACE(16) +
			RTA_SPACE(MAXGRP * sizeof(struct nexthop_grp))];
} nh_msgbuf;

/* Starts a message of type and flags in buf. */
static struct nlmsghdr *nh_begin(nh_msgbuf *buf, int type, int flags, int family)
{
	struct nhmsg *nhm = (struct nhmsg *)vn_msg_begin(&buf->h, sizeof *buf, type, flags,
							 sizeof *nhm);
	nhm->nh_family = (unsigned char)family;
	return &buf->h;
}

/* An id given at stack index sidx (an integer 1..2^32-1); raises naming what. */
static uint32_t check_id(lua_State *L, int sidx, const char *fn, const char *what)
{
	return (uint32_t)vn_check_int(L, sidx, fn, what, 1, 0xffffffffLL);
}

static const char *const add_keys[] = { "id", "gateway", "dev", "blackhole", "onlink",
	"fdb", "family", "protocol", "group", "group_type", "buckets", "idle_timer",
	"unbalanced_timer", NULL };
enum { K_ID, K_GATEWAY, K_DEV, K_BLACKHOLE, K_ONLINK, K_FDB, K_FAMILY, K_PROTOCOL,
       K_GROUP, K_GROUP_TYPE, K_BUCKETS, K_IDLE, K_UNBAL };
static const char *const grp_keys[] = { "id", "weight", NULL };
static const char *const gtypes[] = { "mpath", "resilient", NULL };

/* Raises when a resilient group's options are given (has: which keys are)
 * to what is not one: they "need" what. */
static void no_res_opts(lua_State *L, unsigned has, const char *fn, const char *what)
{
	if (!VN_HAS(has, K_BUCKETS) && !VN_HAS(has, K_IDLE) && !VN_HAS(has, K_UNBAL))
		return;
	lua_getfield(L, 2, "buckets");
	lua_getfield(L, 2, "idle_timer");
	lua_getfield(L, 2, "unbalanced_timer");
	if (!lua_isnil(L, -1) || !lua_isnil(L, -2) || !lua_isnil(L, -3))
		luaL_error(L, "%s: 'buckets', 'idle_timer' and 'unbalanced_timer' need %s",
			   fn, what);
	lua_pop(L, 3);
}

/* Reads option 'protocol' (a number 0-255 or an rt_protos name). */
static int opt_proto(lua_State *L, int idx, const char *fn, int *out)
{
	uint32_t v;
	if (!vn_opt_rtname(L, idx, fn, "protocol", "rt_protos", 255, &v))
		return 0;
	*out = (int)v;
	return 1;
}

/* Reads the options at 2 and writes the request into buf. Returns the
 * message, or NULL with *err set (-ENODEV: no such dev; its description
 * is pushed). */
static struct nlmsghdr *parse_add(lua_State *L, vn_ns *ns, const char *fn, int flags,
				  nh_msgbuf *buf)
{
	unsigned has = vn_opts_check(L, 2, fn, add_keys);
	struct nlmsghdr *h;
	struct nhmsg *nhm;
	lua_Integer n;
	vn_ip gw;
	int family = 0, blackhole = 0, onlink = 0, fdb = 0, proto = 0, gtype = -1;
	int dev = 0, has_gw = 0, gidx = 0, ng = 0, i;
	uint32_t id = 0;

	if (lua_rawlen(L, 2) > 0)
		luaL_error(L, "%s: options must be named (e.g. id = ...), not positional", fn);
	if (VN_HAS(has, K_ID) && vn_opt_int(L, 2, fn, "id", 1, 0xffffffffLL, &n))
		id = (uint32_t)n;
	if (VN_HAS(has, K_FAMILY) && vn_opt_family(L, 2, fn, "family", &family) &&
	    family != AF_INET && family != AF_INET6)
		luaL_error(L, "%s: option 'family' must be 'inet' or 'inet6'", fn);
	if (VN_HAS(has, K_BLACKHOLE))
		vn_opt_bool(L, 2, fn, "blackhole", &blackhole);
	if (VN_HAS(has, K_ONLINK))
		vn_opt_bool(L, 2, fn, "onlink", &onlink);
	if (VN_HAS(has, K_FDB))
		vn_opt_bool(L, 2, fn, "fdb", &fdb);
	if (VN_HAS(has, K_PROTOCOL))
		opt_proto(L, 2, fn, &proto);
	if (VN_HAS(has, K_GROUP_TYPE))
		vn_opt_enum(L, 2, fn, "group_type", gtypes, &gtype);
	if (VN_HAS(has, K_GROUP)) {
		lua_getfield(L, 2, "group");
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
		} else {
			gidx = lua_gettop(L);
			if (!lua_istable(L, gidx) || (ng = (int)lua_rawlen(L, gidx)) < 1)
				luaL_error(L, "%s: option 'group' must be a non-empty list", fn);
			if (ng > MAXGRP)
				luaL_error(L, "%s: option 'group' has %d entries, at most %d", fn,
					   ng, MAXGRP);
		}
	}
	if (VN_HAS(has, K_GATEWAY) && (has_gw = vn_opt_ip(L, 2, fn, "gateway", family, &gw))) {
		if (gw.len == 0 || gw.plen != gw.len * 8)
			luaL_error(L, "%s: option 'gateway' must be a host address", fn);
		family = gw.family;
	}
	if (gidx && (has_gw || blackhole || onlink))
		luaL_error(L, "%s: a group takes no 'gateway', 'dev', 'blackhole' or 'onlink'", fn);
	if (!gidx && gtype >= 0)
		luaL_error(L, "%s: option 'group_type' needs 'group'", fn);
	if (blackhole && (has_gw || onlink || fdb))
		luaL_error(L, "%s: a blackhole takes no 'gateway', 'dev', 'onlink' or 'fdb'", fn);

	h = nh_begin(buf, RTM_NEWNEXTHOP, flags, gidx ? AF_UNSPEC : family ? family : AF_INET);
	nhm = (struct nhmsg *)NLMSG_DATA(h);
	nhm->nh_protocol = (unsigned char)proto;
	if (onlink)
		nhm->nh_flags |= RTNH_F_ONLINK;
	vn_rta_put_u32_opt(h, NHA_ID, id);
	if (gidx) {
		struct rtattr *a = vn_rta_put(h, NHA_GROUP, NULL, 0);
		for (i = 1; i <= ng; i++) {
			struct nexthop_grp g;
			const char *what = lua_pushfstring(L, "group[%d]", i);
			lua_Integer w = 1;
			memset(&g, 0, sizeof g);
			lua_rawgeti(L, gidx, i);
			if (lua_istable(L, -1)) {
				const char *gfn = lua_pushfstring(L, "%s: %s", fn, what);
				vn_opts_check(L, -2, gfn, grp_keys);
				lua_getfield(L, -2, "id");
				if (lua_isnil(L, -1))
					luaL_error(L, "%s: 'id' is required", gfn);
				g.id = check_id(L, -1, gfn, "'id'");
				lua_pop(L, 1);
				vn_opt_int(L, -2, gfn, "weight", 1, 256, &w);
				lua_pop(L, 1);
			} else if (lua_type(L, -1) == LUA_TNUMBER) {
				g.id = check_id(L, -1, fn, what);
			} else {
				luaL_error(L, "%s: %s must be an id or { id =, weight = }, got %s",
					   fn, what, luaL_typename(L, -1));
			}
			g.weight = (uint8_t)(w - 1);
			memcpy((char *)h + h->nlmsg_len, &g, sizeof g);
			h->nlmsg_len += sizeof g;
			lua_pop(L, 2);
		}
		vn_rta_end(h, a);
		if (gtype >= 0) {
			uint16_t t = (uint16_t)gtype;
			vn_rta_put(h, NHA_GROUP_TYPE, &t, sizeof t);
		}
		if (gtype == NEXTHOP_GRP_TYPE_RES) {
			struct rtattr *r = vn_rta_put(h, NHA_RES_GROUP | NLA_F_NESTED, NULL, 0);
			if (VN_HAS(has, K_BUCKETS) && vn_opt_int(L, 2, fn, "buckets", 1, 65535, &n)) {
				uint16_t b = (uint16_t)n;
				vn_rta_put(h, NHA_RES_GROUP_BUCKETS, &b, sizeof b);
			}
			if (VN_HAS(has, K_IDLE) &&
			    vn_opt_int(L, 2, fn, "idle_timer", 0, 0xffffffffLL / 100, &n))
				vn_rta_put_u32(h, NHA_RES_GROUP_IDLE_TIMER, (uint32_t)n * 100);
			if (VN_HAS(has, K_UNBAL) &&
			    vn_opt_int(L, 2, fn, "unbalanced_timer", 0, 0xffffffffLL / 100, &n))
				vn_rta_put_u32(h, NHA_RES_GROUP_UNBALANCED_TIMER, (uint32_t)n * 100);
			vn_rta_end(h, r);
		} else {
			no_res_opts(L, has, fn, "group_type = 'resilient'");
		}
	} else {
		no_res_opts(L, has, fn, "a resilient group");
		if (blackhole)
			vn_rta_put(h, NHA_BLACKHOLE, NULL, 0);
		if (has_gw)
			vn_rta_put(h, NHA_GATEWAY, gw.b, (size_t)gw.len);
	}
	if (fdb)
		vn_rta_put(h, NHA_FDB, NULL, 0);
	/* the device last: the only part that can fail without raising */
	if (VN_HAS(has, K_DEV) && (dev = vn_opt_ifindex(L, 2, ns, fn, "dev")) != 0) {
		if (gidx || blackhole)
			luaL_error(L, "%s: a %s takes no 'dev'", fn, gidx ? "group" : "blackhole");
		if (dev < 0) {
			lua_getfield(L, 2, "dev");
			vn_push_devdesc(L, -1);
			lua_pushfstring(L, "%s: dev '%s'", fn, lua_tostring(L, -1));
			return NULL;
		}
		vn_rta_put_u32(h, NHA_OIF, (uint32_t)dev);
	}
	if (!gidx && !blackhole && !has_gw && !dev)
		luaL_error(L, "%s: give 'gateway', 'dev', 'blackhole' or 'group'", fn);
	return h;
}

/* The options of nexthop_add, by the attribute each one makes (for errors
 * where the kernel points at one). */
static const vn_optname nh_opts[] = {
	{ NHA_ID, "id" }, { NHA_GROUP, "group" }, { NHA_GROUP_TYPE, "group_type" },
	{ NHA_RES_GROUP, "buckets" }, { NHA_BLACKHOLE, "blackhole" }, { NHA_OIF, "dev" },
	{ NHA_GATEWAY, "gateway" }, { NHA_FDB, "fdb" }, { 0, NULL }
};

/* Asks for the nexthop id and pushes it, or pushes the failure triple. */
static int get_one(lua_State *L, vn_ns *ns, uint32_t id, const char *what)
{
	nh_msgbuf buf;
	struct nlmsghdr *h = nh_begin(&buf, RTM_GETNEXTHOP, 0, AF_UNSPEC);
	vn_list *l;
	size_t len;
	const void *p;
	vn_err e;
	vn_rta_put_u32(h, NHA_ID, id);
	l = vn_list_new(L);
	l->rkeep = keep_nh;
	if (vn_req(ns, h, VN_GET, l, &e) < 0) {
		vn_list_free(l);
		return vn_push_err(L, what, &e, NULL);
	}
	p = vn_list_first(l, &len);
	push_nh(L, p, len, 1);
	vn_list_drop(L, l);
	return 1;
}

static int nh_modify(lua_State *L, const char *fn, int flags)
{
	vn_ns *ns = vn_checkns(L, 1);
	nh_msgbuf buf;
	struct nlmsghdr *h;
	vn_list *echo = NULL;
	const void *p;
	size_t len;
	nh_view v;
	vn_err e;

	lua_settop(L, 2);
	if (!(h = parse_add(L, ns, fn, flags, &buf)))
		return vn_fail(L, lua_tostring(L, -1), ENODEV, NULL);
	lua_settop(L, 2);
	lua_getfield(L, 2, "id");
	lua_pushfstring(L, "%s %s", fn, lua_isnil(L, -1) ? "(new id)" : lua_tostring(L, -1));
	if (!vn_deferred(ns)) {
		echo = vn_list_new(L);
		echo->rkeep = keep_nh;
	}
	if (vn_req(ns, h, VN_ECHO, echo, &e) < 0) {
		if (echo)
			vn_list_free(echo);
		return vn_push_err(L, lua_tostring(L, echo ? -2 : -1), &e, nh_opts);
	}
	if (!echo) {
		lua_pushboolean(L, 1);          /* queued (ns:batch) */
		return 1;
	}
	if ((p = vn_list_first(echo, &len))) {
		push_nh(L, p, len, 1);
		vn_list_drop(L, echo);
		return 1;
	}
	/* no echo kept (out of memory): read it back by its id */
	vn_list_drop(L, echo);
	vn_view_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	if (!v.a[NHA_ID]) {
		lua_pushboolean(L, 1);
		return 1;
	}
	return get_one(L, ns, vn_rta_u32(v.a[NHA_ID]), lua_tostring(L, -1));
}

/***
 * Nexthop objects and groups (`ip nexthop`, Linux 5.3): the `ns:nexthop*`
 * methods of a namespace handle and the `vnet.nexthop` objects they return.
 *
 * Options of `nexthop_add` and `nexthop_replace` (named, in one table):
 *
 *  * `id`: 1 to 2^32-1 (left out, the kernel picks one)
 *  * a single nexthop: `gateway` (an address), `dev` (name or ifindex),
 *    `onlink`, `blackhole`, `fdb` (booleans), `family` (`"inet"`,
 *    `"inet6"`), `protocol` (0-255 or an `rt_protos` name)
 *  * a group: `group` (a list of ids, weight 1, or `{ id =, weight = }`
 *    with weight 1 to 256), `group_type` (`"mpath"`, the default, or
 *    `"resilient"`), and for resilient groups `buckets`, `idle_timer`,
 *    `unbalanced_timer` (seconds)
 *
 * An fdb nexthop has a gateway and no device. Misuse raises naming the
 * option; a refusal by the kernel returns `nil, message, errname`.
 * @module vnet.nexthop
 */

/*** Adds a nexthop or group (`ip nexthop add`).
 * @function ns:nexthop_add
 * @tparam table opts the options above
 * @return the `vnet.nexthop` the kernel made (its echo), or `nil, message,
 *   errname` (`EEXIST` for a taken id)
 */

/*** Adds or replaces a nexthop or group (`ip nexthop replace`).
 * @function ns:nexthop_replace
 * @tparam table opts the options above
 * @return the nexthop, or `nil, message, errname`
 */
/* ns:nexthop_add{...} and ns:nexthop_replace{...} -> nexthop | nil, msg,
 * errname (EEXIST for a taken id); modes: their netlink flags */
static int ns_nexthop_set(lua_State *L)
{
	return nh_modify(L, VN_MODE_NAME(L), VN_MODE(L));
}

static const vn_mode nh_modes[] = {
	{ "nexthop_add", NLM_F_CREATE | NLM_F_EXCL },
	{ "nexthop_replace", NLM_F_CREATE | NLM_F_REPLACE }, { NULL, 0 }
};

/* The id argument at 2: an id, or { id = }. Raises otherwise. */
static uint32_t arg_id(lua_State *L, const char *fn)
{
	static const char *const keys[] = { "id", NULL };
	uint32_t id;
	if (lua_istable(L, 2)) {
		vn_opts_check(L, 2, fn, keys);
		lua_getfield(L, 2, "id");
		if (lua_isnil(L, -1))
			luaL_error(L, "%s: option 'id' is required", fn);
		id = check_id(L, -1, fn, "option 'id'");
		lua_pop(L, 1);
		return id;
	}
	return check_id(L, 2, fn, "the id");
}

static int nh_delete(lua_State *L, vn_ns *ns, uint32_t id, const char *fn)
{
	nh_msgbuf buf;
	struct nlmsghdr *h = nh_begin(&buf, RTM_DELNEXTHOP, 0, AF_UNSPEC);
	char b[12];
	vn_err e;
	vn_rta_put_u32(h, NHA_ID, id);
	if (vn_req(ns, h, 0, NULL, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s %s", fn, idstr(b, id)), &e, nh_opts);
	lua_pushboolean(L, 1);
	return 1;
}

/*** Deletes a nexthop (`ip nexthop del id N`).
 * @function ns:nexthop_del
 * @param id the id, or `{ id = }`
 * @return `true`, or `nil, message, errname`
 */
/* ns:nexthop_del(id or { id = }) -> true | nil, msg, errname */
static int ns_nexthop_del(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	return nh_delete(L, ns, arg_id(L, "nexthop_del"), "nexthop_del");
}

/*** One nexthop (`ip nexthop get id N`).
 * @function ns:nexthop
 * @int id the id
 * @return the `vnet.nexthop`, or `nil, message, errname` (`ENOENT` when
 *   there is none)
 */
/* ns:nexthop(id) -> nexthop | nil, msg, errname (ENOENT when there is none) */
static int ns_nexthop(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	uint32_t id = arg_id(L, "nexthop");
	char b[12];
	lua_settop(L, 1);
	return get_one(L, ns, id, lua_pushfstring(L, "nexthop %s", idstr(b, id)));
}

struct nh_filter { uint32_t id; int groups, fdb; };

static int keep_filtered(const struct nlmsghdr *h, void *arg)
{
	struct nh_filter *f = (struct nh_filter *)arg;
	nh_view v;
	if (!keep_nh(h, NULL))
		return 0;
	vn_view_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	/* the kernel filters too, but not every kernel keeps to fdb */
	return (!f->id || vn_rta_u32(v.a[NHA_ID]) == f->id) && (!f->groups || v.a[NHA_GROUP]) &&
	       (!f->fdb || v.a[NHA_FDB]);
}

/*** The nexthops (`ip nexthop show`), filtered by the kernel.
 * @function ns:nexthops
 * @tparam[opt] table opts `id`, `dev`, `groups` (only groups), `fdb` (only
 *   fdb nexthops), `master`
 * @return an iterator over `vnet.nexthop` objects
 */
/* ns:nexthops([{ id =, dev =, groups =, fdb =, master = }]) -> iterator.
 * dev, groups, fdb and master are filtered by the kernel. */
static int ns_nexthops(lua_State *L)
{
	static const char *const keys[] = { "id", "dev", "groups", "fdb", "master", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct nh_filter f;
	nh_msgbuf buf;
	struct nlmsghdr *h = nh_begin(&buf, RTM_GETNEXTHOP, 0, AF_UNSPEC);
	vn_list *l;
	vn_err e;
	lua_Integer n;
	int b, r, dev = 0, master = 0;

	memset(&f, 0, sizeof f);
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "nexthops", keys);
		if (vn_opt_int(L, 2, "nexthops", "id", 1, 0xffffffffLL, &n))
			f.id = (uint32_t)n;
		if (vn_opt_bool(L, 2, "nexthops", "groups", &b) && (f.groups = b))
			vn_rta_put(h, NHA_GROUPS, NULL, 0);
		if (vn_opt_bool(L, 2, "nexthops", "fdb", &b) && (f.fdb = b))
			vn_rta_put(h, NHA_FDB, NULL, 0);
		if ((r = vn_opt_dev_master(L, 2, ns, "nexthops", &dev, &master)))
			return r;
		vn_rta_put_u32_opt(h, NHA_OIF, (uint32_t)dev);
		vn_rta_put_u32_opt(h, NHA_MASTER, (uint32_t)master);
	}
	l = vn_list_new(L);
	l->rkeep = keep_filtered;
	l->arg = &f;
	return vn_push_dump(L, l, vn_req(ns, h, VN_DUMP, l, &e), &e, "nexthops", push_nh, 1);
}

/* ---- methods ------------------------------------------------------------ */
/*** A nexthop or group. Fields are read from the kernel's message;
 * `tostring` reads like `ip nexthop`; `==` compares ids.
 * @type nexthop
 */

/*** The fields of a `vnet.nexthop`.
 * @table fields
 * @field id the id
 * @field family `"inet"`, `"inet6"` or nil
 * @field gateway the gateway address, or nil
 * @field dev the device's ifindex, or nil
 * @field blackhole true for a blackhole nexthop
 * @field onlink true when the gateway is taken as on the link
 * @field fdb true for an fdb nexthop
 * @field group `{ { id =, weight = }, ... }` of a group, or nil
 * @field group_type `"mpath"` or `"resilient"` of a group
 * @field buckets the buckets of a resilient group
 * @field idle_timer the idle timer of a resilient group (seconds)
 * @field unbalanced_timer the unbalanced timer of a resilient group (seconds)
 * @field protocol the protocol (a name or number)
 * @field scope the scope
 * @field flags a set: `onlink`, `dead`, `linkdown`...
 */

/*** Deletes the nexthop.
 * @function nexthop:delete
 * @return `true`, or `nil, message, errname`
 */
/* nexthop:delete() -> true | nil, msg, errname */
static int m_delete(lua_State *L)
{
	vn_msgbox *b = (vn_msgbox *)vn_check_live(L, 1, VN_NEXTHOP);
	nh_view v;
	vn_ns *ns = vn_box_ns(L, 1);
	vn_view_parse(&v, b->m, b->len);
	return nh_delete(L, ns, vn_rta_u32(v.a[NHA_ID]), "delete nexthop");
}

/* "vnet.nexthop: id 1 via 10.0.0.2 dev 3 scope link onlink",
 * "vnet.nexthop: id 10 group 1/3,5" like `ip nexthop` */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	char ib[12];
	int i, n;
	VIEW(v, o);
	luaL_addstring(buf, "id ");
	luaL_addstring(buf, idstr(ib, vn_rta_u32(v.a[NHA_ID])));
	if (v.a[NHA_GROUP]) {
		luaL_addstring(buf, " group ");
		n = ngroup(&v);
		for (i = 0; i < n; i++) {
			struct nexthop_grp g = grp_at(&v, i);
			if (g.weight)
				lua_pushfstring(L, "%s%s,%d", i ? "/" : "", idstr(ib, g.id),
						g.weight + 1);
			else
				lua_pushfstring(L, "%s%s", i ? "/" : "", idstr(ib, g.id));
			luaL_addvalue(buf);
		}
		if (vn_rta_u16(v.a[NHA_GROUP_TYPE]) == NEXTHOP_GRP_TYPE_RES) {
			luaL_addstring(buf, " type resilient");
			f_buckets(L, o);
			vn_add_word_opt(L, buf, "buckets");
			f_idle_timer(L, o);
			vn_add_word_opt(L, buf, "idle_timer");
			f_unbalanced_timer(L, o);
			vn_add_word_opt(L, buf, "unbalanced_timer");
		}
	}
	if (v.a[NHA_GATEWAY]) {
		push_gw(L, &v);
		vn_add_word(L, buf, "via");
	}
	if (v.a[NHA_OIF]) {
		lua_pushinteger(L, (lua_Integer)vn_rta_u32(v.a[NHA_OIF]));
		vn_add_word(L, buf, "dev");
	}
	if (v.a[NHA_BLACKHOLE])
		luaL_addstring(buf, " blackhole");
	if (!v.a[NHA_GROUP] && v.h->nh_scope == RT_SCOPE_LINK)
		luaL_addstring(buf, " scope link");
	if (v.h->nh_flags & RTNH_F_ONLINK)
		luaL_addstring(buf, " onlink");
	if (v.h->nh_protocol) {
		vn_push_rtname(L, "rt_protos", v.h->nh_protocol);
		vn_add_word(L, buf, "proto");
	}
	if (v.a[NHA_FDB])
		luaL_addstring(buf, " fdb");
}

static const vn_type nh_type = {
	VN_MSGBOX(VN_NEXTHOP, nh_fields, m_summary, nh_same, m_delete),
	.modify = ns_nexthop_set, .modes = nh_modes,
	.ns_methods = (const luaL_Reg[]){
		{ "nexthop_del", ns_nexthop_del }, { "nexthop", ns_nexthop },
		{ "nexthops", ns_nexthops }, { NULL, NULL } }
};

void vn_open_nexthop(lua_State *L)
{
	vn_type_register(L, &nh_type);
}
