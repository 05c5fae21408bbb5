/*
 * route.c - route objects: add, replace, delete, list and `ip route get`.
 *
 *   ns:route_add{ dst =, gateway =, dev =, src =, metric =, scope =,
 *                 protocol =, type =, table =, mtu =, onlink =, family =,
 *                 nexthops = { { gateway =, dev =, weight =, onlink = }, ... },
 *                 nhid =, pref =, and the metrics: window =, rtt =, rttvar =,
 *                 ssthresh =, cwnd =, advmss =, reordering =, hoplimit =,
 *                 initcwnd =, features =, rto_min =, initrwnd =, quickack =,
 *                 congctl =, fastopen_no_cookie =, lock = { "mtu", ... } }
 *   ns:route_replace{ ...same... }      ns:route_del{ ...same... }
 *   ns:route_change{ ...same... }       ns:route_append{ ...same... }
 *   ns:routes{ table =, family =, dev =, protocol =, type = }   (iterator)
 *   ns:route_get(addr [, { from =, iif =, oif =, mark = }])
 *   route:delete()
 *
 * Requests are read from the options into an rt_req and written as the
 * netlink message iproute2 would send (build_route: iproute2's defaults for
 * scope, table, protocol and type, and the wildcards of a delete): no
 * library object and no allocation but the message's userdata. Route
 * objects are not libnl objects either: each holds the message the kernel
 * sent (from a dump, an echo or a get) and decodes fields on access.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/lwtunnel.h>
#include <linux/mpls_iptunnel.h>
#include <linux/seg6.h>
#include <linux/seg6_iptunnel.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "util.h"
#include "msg.h"

#define VN_ROUTE "vnet.route"

#ifndef RTM_F_LOOKUP_TABLE
#define RTM_F_LOOKUP_TABLE 0x1000
#endif
#ifndef RTNH_F_ONLINK
#define RTNH_F_ONLINK 4
#endif
#ifndef AF_MPLS
#define AF_MPLS 28
#endif
typedef char rta_nh_id_known[RTA_NH_ID == 30 ? 1 : -1];

/* ---- MPLS labels and encapsulations ------------------------------------ */
#define MPLS_LABEL_MAX 0xfffff  /* 20 bits */
#define MAXLABELS 30            /* the kernel's MAX_NEW_LABELS */
#define MAXSEGS 16              /* segments of a seg6 encapsulation */

/* a label stack entry as the kernel keeps it: label, bottom of stack */
static uint32_t mpls_entry(uint32_t label, int bos)
{
	return htonl(label << 12 | (bos ? 0x100u : 0));
}

/* Pushes the labels of a label stack (attribute a) as a list, or nil. */
static void push_labels(lua_State *L, const struct rtattr *a)
{
	size_t i, n = a ? RTA_PAYLOAD(a) / 4 : 0;
	uint32_t e;
	if (!n) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		memcpy(&e, (const char *)RTA_DATA(a) + 4 * i, 4);
		lua_pushinteger(L, (lua_Integer)(ntohl(e) >> 12));
		lua_rawseti(L, -2, (int)i + 1);
	}
}

/* Adds the labels of a label stack (attribute a) to buf as ip writes
 * them: "200/300". */
static void add_labels(luaL_Buffer *buf, const struct rtattr *a)
{
	size_t i, n = a ? RTA_PAYLOAD(a) / 4 : 0;
	char num[16];
	uint32_t e;
	for (i = 0; i < n; i++) {
		memcpy(&e, (const char *)RTA_DATA(a) + 4 * i, 4);
		snprintf(num, sizeof num, "%s%lu", i ? "/" : "", (unsigned long)(ntohl(e) >> 12));
		luaL_addstring(buf, num);
	}
}

static const char *const encap_types[] = { "none", "mpls", "ip", "ila", "ip6", "seg6",
	"bpf", "seg6local", "rpl", "ioam6", "xfrm" };
#define NENCAP ((int)(sizeof encap_types / sizeof *encap_types))
static const char *const seg6_modes[] = { "inline", "encap", "l2encap", "encap.red",
	"l2encap.red", NULL };

/* The segments of a seg6 encapsulation (attribute SEG6_IPTUNNEL_SRH):
 * its mode and how many segments (bounded by what the attribute holds);
 * *srh points at the routing header. 0 when it is not one. */
static int seg6_read(const struct rtattr *a, int *mode, const struct ipv6_sr_hdr **srh)
{
	size_t len = a ? RTA_PAYLOAD(a) : 0, room;
	const size_t hl = sizeof(int) + sizeof(struct ipv6_sr_hdr);
	int n;
	if (len < hl)
		return 0;
	memcpy(mode, RTA_DATA(a), sizeof(int));
	*srh = (const struct ipv6_sr_hdr *)((const char *)RTA_DATA(a) + sizeof(int));
	room = (len - hl) / 16;
	n = (*srh)->first_segment + 1;
	return (size_t)n > room ? (int)room : n;
}

/* segment i in the order they were given (the header keeps them last first) */
static const void *seg6_seg(const struct ipv6_sr_hdr *srh, int n, int i)
{
	return (const char *)srh + sizeof *srh + 16 * (size_t)(n - 1 - i);
}

/* ---- enumerations ----------------------------------------------------- */
/* route types a user may ask for; the RTN_ value is the index + 1 */
static const char *const rtypes[] = { "unicast", "local", "broadcast", "anycast",
	"multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", NULL };
static const char *const rtype_all[] = { "unspec", "unicast", "local",
	"broadcast", "anycast", "multicast", "blackhole", "unreachable",
	"prohibit", "throw", "nat", "xresolve" };

static void push_type(lua_State *L, int t)
{
	if (t >= 0 && t < (int)(sizeof rtype_all / sizeof *rtype_all))
		lua_pushstring(L, rtype_all[t]);
	else
		lua_pushinteger(L, t);
}

/* ---- route objects ------------------------------------------------------ */
/* A route box (a vn_msgbox) holds the route as the kernel sent it: its
 * rtmsg and attributes, copied in. Fields are read from those bytes on
 * access, so a dump of a million routes costs one small userdata per route
 * and no library object. */
typedef vn_msgbox rt_box;

/* The last name found for a table or protocol number (a dump with
 * `fields` reads thousands of routes of one table and protocol). */
typedef struct rt_name {
	long id;
	int have, isname;
	size_t len;
	char name[256];
} rt_name;

typedef struct rt_names {
	rt_name table, protocol;
} rt_names;

/* One pass over the attributes: the first of each type (a[t] is valid
 * where bit t of has is set; nothing else is cleared). names, NULL unless
 * the caller sets it, remembers the last names looked up. */
typedef struct rt_view {
	const struct rtmsg *h;
	uint64_t has;
	rt_names *names;
	const struct rtattr *a[RTA_MAX + 1];
} rt_view;

typedef char rta_max_fits_mask[RTA_MAX < 64 ? 1 : -1];

#define RA(v, t) ((((v)->has >> (t)) & 1) ? (v)->a[t] : NULL)

static void rt_parse(rt_view *v, const void *m, size_t len)
{
	const struct rtattr *a;
	unsigned int left;
	v->h = (const struct rtmsg *)m;
	v->has = 0;
	v->names = NULL;
	if (len < NLMSG_ALIGN(sizeof(struct rtmsg)))
		return;
	left = (unsigned int)(len - NLMSG_ALIGN(sizeof(struct rtmsg)));
	a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(struct rtmsg)));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		unsigned t = a->rta_type & NLA_TYPE_MASK;
		if (t <= RTA_MAX && !((v->has >> t) & 1)) {
			v->has |= (uint64_t)1 << t;
			v->a[t] = a;
		}
	}
}

#define RB(o) ((rt_box *)(o))
#define VIEW(v, o) rt_view v; rt_parse(&v, RB(o)->m, RB(o)->len)

static uint32_t rt_table(const rt_view *v)
{
	return RA(v, RTA_TABLE) ? vn_rta_u32(RA(v, RTA_TABLE)) : v->h->rtm_table;
}

/* Pushes the address in attribute a of family fam (with "/plen" when
 * plen >= 0), or nil. */
static void push_rta_addr(lua_State *L, int fam, const struct rtattr *a, int plen)
{
	if (a)
		vn_push_ip(L, fam, RTA_DATA(a), RTA_PAYLOAD(a), plen);
	else
		lua_pushnil(L);
}

/* A next hop: the flat attributes of a route, or one of RTA_MULTIPATH. */
typedef struct rt_nh {
	int ifindex, weight, flags;
	const struct rtattr *gw;    /* RTA_GATEWAY, or RTA_VIA when via is set */
	int via;
} rt_nh;

/* Pushes the gateway of next hop nh of a route of family fam: an address of
 * that family (RTA_GATEWAY) or of the family RTA_VIA names (an IPv4 route
 * via an IPv6 gateway), or nil. */
static void push_gw(lua_State *L, int fam, const rt_nh *nh)
{
	const size_t off = offsetof(struct rtvia, rtvia_addr);
	struct rtvia via;
	if (!nh->gw || !nh->via) {
		push_rta_addr(L, fam, nh->gw, -1);
		return;
	}
	if (RTA_PAYLOAD(nh->gw) < off) {
		lua_pushnil(L);
		return;
	}
	memcpy(&via, RTA_DATA(nh->gw), off);
	vn_push_ip(L, via.rtvia_family, (const char *)RTA_DATA(nh->gw) + off,
		   RTA_PAYLOAD(nh->gw) - off, -1);
}

/* The most next hops a request may carry: as iproute2 and the kernel
 * allow many more, routes read from the kernel have no such limit. */
#define MAXNH 256

/* Walks the next hops of a route: the flat attributes, or each entry of
 * RTA_MULTIPATH. */
typedef struct rt_nhit {
	const rt_view *v;
	const struct rtnexthop *x;  /* the next entry of RTA_MULTIPATH */
	unsigned int left;          /* bytes of RTA_MULTIPATH from x on */
	int flat;                   /* 1: the flat next hop is still to come */
} rt_nhit;

static void rt_nh_begin(rt_nhit *it, const rt_view *v)
{
	const struct rtattr *mp = RA(v, RTA_MULTIPATH);
	it->v = v;
	it->x = mp ? (const struct rtnexthop *)RTA_DATA(mp) : NULL;
	it->left = mp ? RTA_PAYLOAD(mp) : 0;
	it->flat = !mp && (RA(v, RTA_OIF) || RA(v, RTA_GATEWAY) || RA(v, RTA_VIA));
}

/* Fills *nh with the next hop and returns 1, or returns 0 at the end. */
static int rt_nh_next(rt_nhit *it, rt_nh *nh)
{
	const struct rtnexthop *x = it->x;
	const struct rtattr *a;
	unsigned int alen;
	if (it->flat) {
		it->flat = 0;
		nh->ifindex = (int)vn_rta_u32(RA(it->v, RTA_OIF));
		nh->weight = 1;
		nh->flags = it->v->h->rtm_flags & 0xff;
		nh->gw = RA(it->v, RTA_GATEWAY);
		nh->via = !nh->gw && RA(it->v, RTA_VIA);
		if (nh->via)
			nh->gw = RA(it->v, RTA_VIA);
		return 1;
	}
	if (!x || it->left < sizeof *x || x->rtnh_len < sizeof *x || x->rtnh_len > it->left)
		return 0;
	nh->ifindex = x->rtnh_ifindex;
	nh->weight = x->rtnh_hops + 1; /* the kernel keeps weight - 1 */
	nh->flags = x->rtnh_flags;
	nh->gw = NULL;
	nh->via = 0;
	a = RTNH_DATA(x);
	alen = x->rtnh_len - (unsigned int)RTNH_LENGTH(0);
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if ((a->rta_type & NLA_TYPE_MASK) == RTA_GATEWAY ||
		    (!nh->gw && (a->rta_type & NLA_TYPE_MASK) == RTA_VIA)) {
			nh->via = (a->rta_type & NLA_TYPE_MASK) == RTA_VIA;
			nh->gw = a;
		}
	if ((unsigned int)RTNH_ALIGN(x->rtnh_len) >= it->left) {
		it->left = 0;
	} else {
		it->left -= (unsigned int)RTNH_ALIGN(x->rtnh_len);
		it->x = RTNH_NEXT(x);
	}
	return 1;
}

/* How many next hops v has; the first is put in *first when non-NULL. */
static int rt_nexthops(const rt_view *v, rt_nh *first)
{
	rt_nhit it;
	rt_nh nh;
	int n = 0;
	if (first)
		memset(first, 0, sizeof *first);
	rt_nh_begin(&it, v);
	while (rt_nh_next(&it, &nh))
		if (n++ == 0 && first)
			*first = nh;
	return n;
}

/* The single next hop (flat, or a list of one) into *nh: 1, else 0. */
static int rt_single(const rt_view *v, rt_nh *nh)
{
	return rt_nexthops(v, nh) == 1;
}

/* ---- metrics (RTA_METRICS) ---------------------------------------------- */
/* how a metric is given and read: a number, milliseconds (the kernel keeps
 * rtt in 1/8 and rttvar in 1/4 ms), a boolean, the features' bits or a
 * congestion control name */
enum { M_NUM, M_MS, M_MS8, M_MS4, M_BOOL, M_FEAT, M_STR };
typedef struct rt_metric {
	const char *name;
	int rtax, kind;
	lua_Integer min, max;
} rt_metric;
/* in RTAX order, which is the order ip prints them in */
static const rt_metric metrics[] = {
	{ "mtu", RTAX_MTU, M_NUM, 1, 65535 },
	{ "window", RTAX_WINDOW, M_NUM, 0, 0xffffffffLL },
	{ "rtt", RTAX_RTT, M_MS8, 0, 0xffffffffLL / 8 },
	{ "rttvar", RTAX_RTTVAR, M_MS4, 0, 0xffffffffLL / 4 },
	{ "ssthresh", RTAX_SSTHRESH, M_NUM, 0, 0xffffffffLL },
	{ "cwnd", RTAX_CWND, M_NUM, 0, 0xffffffffLL },
	{ "advmss", RTAX_ADVMSS, M_NUM, 0, 0xffffffffLL },
	{ "reordering", RTAX_REORDERING, M_NUM, 0, 0xffffffffLL },
	{ "hoplimit", RTAX_HOPLIMIT, M_NUM, 0, 255 },
	{ "initcwnd", RTAX_INITCWND, M_NUM, 0, 0xffffffffLL },
	{ "features", RTAX_FEATURES, M_FEAT, 0, 0xffffffffLL },
	{ "rto_min", RTAX_RTO_MIN, M_MS, 0, 0xffffffffLL },
	{ "initrwnd", RTAX_INITRWND, M_NUM, 0, 0xffffffffLL },
	{ "quickack", RTAX_QUICKACK, M_BOOL, 0, 1 },
	{ "congctl", RTAX_CC_ALGO, M_STR, 0, 0 },
	{ "fastopen_no_cookie", RTAX_FASTOPEN_NO_COOKIE, M_BOOL, 0, 1 },
};
#define NMETRICS ((int)(sizeof metrics / sizeof *metrics))
#define CC_MAX 16   /* TCP_CA_NAME_MAX */

/* The metric of type rtax in v (RTA_METRICS), or NULL. */
static const struct rtattr *rt_mx(const rt_view *v, int rtax)
{
	return vn_rta_nested(RA(v, RTA_METRICS), (unsigned)rtax);
}

static int rt_mtu(const rt_view *v, uint32_t *mtu)
{
	const struct rtattr *a = rt_mx(v, RTAX_MTU);
	if (a)
		*mtu = vn_rta_u32(a);
	return a != NULL;
}

/* Pushes metric m of v as the field gives it (nil when absent). */
static void push_mx(lua_State *L, const rt_view *v, const rt_metric *m)
{
	const struct rtattr *a = rt_mx(v, m->rtax);
	uint32_t x = vn_rta_u32(a);
	if (!a) {
		lua_pushnil(L);
		return;
	}
	switch (m->kind) {
	case M_MS8: lua_pushinteger(L, (lua_Integer)(x / 8)); break;
	case M_MS4: lua_pushinteger(L, (lua_Integer)(x / 4)); break;
	case M_BOOL: lua_pushboolean(L, x != 0); break;
	case M_STR:
		lua_pushlstring(L, (const char *)RTA_DATA(a), strnlen((const char *)RTA_DATA(a),
								       RTA_PAYLOAD(a)));
		break;
	default: lua_pushinteger(L, (lua_Integer)x);
	}
}

/* the bits of RTAX_LOCK */
static uint32_t rt_lock(const rt_view *v)
{
	return vn_rta_u32(rt_mx(v, RTAX_LOCK));
}

static int rt_onlink(const rt_view *v)
{
	rt_nh nh;
	int f = v->h->rtm_flags;
	if (rt_single(v, &nh))
		f |= nh.flags;
	return (f & RTNH_F_ONLINK) != 0;
}

static void push_dst(lua_State *L, const rt_view *v)
{
	if (v->h->rtm_family == AF_MPLS) {
		const struct rtattr *a = RA(v, RTA_DST);
		uint32_t e;
		if (a && RTA_PAYLOAD(a) >= 4) {
			memcpy(&e, RTA_DATA(a), 4);
			lua_pushinteger(L, (lua_Integer)(ntohl(e) >> 12));
		} else {
			lua_pushnil(L);
		}
		return;
	}
	if (v->h->rtm_dst_len == 0 || !RA(v, RTA_DST))
		lua_pushliteral(L, "default");
	else
		push_rta_addr(L, v->h->rtm_family, RA(v, RTA_DST), v->h->rtm_dst_len);
}

/* ---- fields ------------------------------------------------------------ */
/* Each field is read from a parsed view (one pass over the attributes);
 * __index parses the box's message then calls the getter, and a dump with
 * `fields` parses each route once for all the fields asked. */
static void g_dst(lua_State *L, const rt_view *v)
{
	push_dst(L, v);
}
static void g_family(lua_State *L, const rt_view *v)
{
	if (v->h->rtm_family == AF_MPLS)
		lua_pushliteral(L, "mpls");
	else
		vn_push_family(L, v->h->rtm_family);
}
/* an MPLS route's outgoing labels (RTA_NEWDST, `ip -f mpls route ... as
 * 200/300`): a list, or nil */
static void g_newdst(lua_State *L, const rt_view *v)
{
	push_labels(L, RA(v, RTA_NEWDST));
}
/* the encapsulation of a route (`ip route ... encap mpls 200/300`, `encap
 * seg6 mode encap segs A,B`): { type = "mpls", labels = {...}, ttl = },
 * { type = "seg6", mode =, segs = {...} }, { type = <name> } for another
 * kind, or nil */
static void g_encap(lua_State *L, const rt_view *v)
{
	const struct rtattr *e = RA(v, RTA_ENCAP);
	unsigned t = vn_rta_u16(RA(v, RTA_ENCAP_TYPE));
	if (!RA(v, RTA_ENCAP_TYPE) || t == LWTUNNEL_ENCAP_NONE) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 3);
	if (t < (unsigned)NENCAP)
		lua_pushstring(L, encap_types[t]);
	else
		lua_pushinteger(L, t);
	lua_setfield(L, -2, "type");
	if (t == LWTUNNEL_ENCAP_MPLS) {
		const struct rtattr *ttl = vn_rta_nested(e, MPLS_IPTUNNEL_TTL);
		push_labels(L, vn_rta_nested(e, MPLS_IPTUNNEL_DST));
		lua_setfield(L, -2, "labels");
		if (ttl && RTA_PAYLOAD(ttl) >= 1) {
			lua_pushinteger(L, *(const unsigned char *)RTA_DATA(ttl));
			lua_setfield(L, -2, "ttl");
		}
	} else if (t == LWTUNNEL_ENCAP_SEG6) {
		const struct ipv6_sr_hdr *srh;
		int i, mode, n = seg6_read(vn_rta_nested(e, SEG6_IPTUNNEL_SRH), &mode, &srh);
		if (n > 0) {
			if (mode >= 0 && mode <= SEG6_IPTUN_MODE_L2ENCAP_RED)
				lua_pushstring(L, seg6_modes[mode]);
			else
				lua_pushinteger(L, mode);
			lua_setfield(L, -2, "mode");
			lua_createtable(L, n, 0);
			for (i = 0; i < n; i++) {
				vn_push_ip(L, AF_INET6, seg6_seg(srh, n, i), 16, -1);
				lua_rawseti(L, -2, i + 1);
			}
			lua_setfield(L, -2, "segs");
		}
	}
}
/* vn_push_rtname, through the memory m of the last id (when not NULL) */
static void push_rtname(lua_State *L, rt_name *m, const char *file, long id)
{
	const char *s;
	if (m && m->have && m->id == id) {
		if (m->isname)
			lua_pushlstring(L, m->name, m->len);
		else
			lua_pushinteger(L, id);
		return;
	}
	vn_push_rtname(L, file, id);
	if (!m)
		return;
	m->have = 0;
	m->id = id;
	m->isname = lua_type(L, -1) == LUA_TSTRING;
	if (m->isname) {
		s = lua_tolstring(L, -1, &m->len);
		if (m->len >= sizeof m->name)
			return;
		memcpy(m->name, s, m->len);
	}
	m->have = 1;
}

static void g_table(lua_State *L, const rt_view *v)
{
	push_rtname(L, v->names ? &v->names->table : NULL, "rt_tables", (long)rt_table(v));
}
static void g_gateway(lua_State *L, const rt_view *v)
{
	rt_nh nh;
	if (rt_single(v, &nh))
		push_gw(L, v->h->rtm_family, &nh);
	else
		lua_pushnil(L);
}
static void g_dev(lua_State *L, const rt_view *v)
{
	rt_nh nh;
	if (rt_single(v, &nh) && nh.ifindex > 0)
		lua_pushinteger(L, nh.ifindex);
	else
		lua_pushnil(L);
}
static void g_src(lua_State *L, const rt_view *v)
{
	push_rta_addr(L, v->h->rtm_family, RA(v, RTA_PREFSRC), -1);
}
static void g_metric(lua_State *L, const rt_view *v)
{
	lua_pushinteger(L, (lua_Integer)vn_rta_u32(RA(v, RTA_PRIORITY)));
}
static void g_scope(lua_State *L, const rt_view *v)
{
	vn_push_scope(L, v->h->rtm_scope);
}
static void g_protocol(lua_State *L, const rt_view *v)
{
	push_rtname(L, v->names ? &v->names->protocol : NULL, "rt_protos", v->h->rtm_protocol);
}
static void g_type(lua_State *L, const rt_view *v)
{
	push_type(L, v->h->rtm_type);
}
/* the id of the nexthop object the route uses (`ip route ... nhid N`);
 * gateway, dev and nexthops then show what the kernel derived from it */
static void g_nhid(lua_State *L, const rt_view *v)
{
	vn_push_rta_u32(L, RA(v, RTA_NH_ID));
}
static void g_mtu(lua_State *L, const rt_view *v)
{
	uint32_t mtu;
	if (rt_mtu(v, &mtu))
		lua_pushinteger(L, (lua_Integer)mtu);
	else
		lua_pushnil(L);
}
/* an IPv6 route's preference (RFC 4191, ip's pref): low, medium or high */
static const char *const prefs[] = { "medium", "high", "low", NULL };
static const int pref_vals[] = { 0, 1, 3 };   /* ICMPV6_ROUTER_PREF_* */

static void g_pref(lua_State *L, const rt_view *v)
{
	const struct rtattr *a = RA(v, RTA_PREF);
	unsigned char p;
	int i;
	if (v->h->rtm_family != AF_INET6 || !a || RTA_PAYLOAD(a) < 1) {
		lua_pushnil(L);
		return;
	}
	p = *(const unsigned char *)RTA_DATA(a);
	for (i = 0; prefs[i]; i++)
		if (pref_vals[i] == p) {
			lua_pushstring(L, prefs[i]);
			return;
		}
	lua_pushinteger(L, p);
}
#define MX_GETTER(i, name) static void g_##name(lua_State *L, const rt_view *v) \
	{ push_mx(L, v, &metrics[i]); }
MX_GETTER(1, window) MX_GETTER(2, rtt) MX_GETTER(3, rttvar) MX_GETTER(4, ssthresh)
MX_GETTER(5, cwnd) MX_GETTER(6, advmss) MX_GETTER(7, reordering) MX_GETTER(8, hoplimit)
MX_GETTER(9, initcwnd) MX_GETTER(10, features) MX_GETTER(11, rto_min)
MX_GETTER(12, initrwnd) MX_GETTER(13, quickack) MX_GETTER(14, congctl)
MX_GETTER(15, fastopen_no_cookie)
typedef char metrics_have_fields[NMETRICS == 16 ? 1 : -1];

/* the locked metrics, by name in RTAX order, or nil */
static void g_lock(lua_State *L, const rt_view *v)
{
	uint32_t lock = rt_lock(v);
	int i, n = 0;
	if (!lock) {
		lua_pushnil(L);
		return;
	}
	lua_newtable(L);
	for (i = 0; i < NMETRICS; i++)
		if (lock & (1u << metrics[i].rtax)) {
			lua_pushstring(L, metrics[i].name);
			lua_rawseti(L, -2, ++n);
		}
}

static void g_onlink(lua_State *L, const rt_view *v)
{
	lua_pushboolean(L, rt_onlink(v));
}
static void g_nexthops(lua_State *L, const rt_view *v)
{
	rt_nhit it;
	rt_nh nh;
	int i = 0;
	if (!RA(v, RTA_MULTIPATH) || rt_nexthops(v, NULL) < 2) {
		lua_pushnil(L);
		return;
	}
	lua_newtable(L);
	rt_nh_begin(&it, v);
	while (rt_nh_next(&it, &nh)) {
		lua_createtable(L, 0, 4);
		if (nh.gw) {
			push_gw(L, v->h->rtm_family, &nh);
			lua_setfield(L, -2, "gateway");
		}
		if (nh.ifindex > 0) {
			lua_pushinteger(L, nh.ifindex);
			lua_setfield(L, -2, "dev");
		}
		lua_pushinteger(L, nh.weight);
		lua_setfield(L, -2, "weight");
		if (nh.flags & RTNH_F_ONLINK) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, "onlink");
		}
		lua_rawseti(L, -2, ++i);
	}
}

/* Every field of a route: X(name, never nil). The __index table and the
 * table of `fields` are both made from this list. */
#define RT_FIELDS(X) \
	X(dst, 1) X(family, 1) X(table, 1) X(gateway, 0) X(dev, 0) X(src, 0) \
	X(metric, 1) X(scope, 1) X(protocol, 1) X(type, 1) X(mtu, 0) \
	X(onlink, 1) X(nexthops, 0) X(nhid, 0) X(pref, 0) X(window, 0) \
	X(rtt, 0) X(rttvar, 0) X(ssthresh, 0) X(cwnd, 0) X(advmss, 0) \
	X(reordering, 0) X(hoplimit, 0) X(initcwnd, 0) X(features, 0) \
	X(rto_min, 0) X(initrwnd, 0) X(quickack, 0) X(congctl, 0) \
	X(fastopen_no_cookie, 0) X(lock, 0) X(newdst, 0) X(encap, 0)

#define RT_INDEX_FN(name, always) static void f_##name(lua_State *L, void *o) \
	{ VIEW(v, o); g_##name(L, &v); }
RT_FIELDS(RT_INDEX_FN)

#define RT_INDEX_ROW(name, always) { #name, f_##name },
static const vn_field route_fields[] = {
	RT_FIELDS(RT_INDEX_ROW) { NULL, NULL }
};

typedef void (*rt_getter)(lua_State *L, const rt_view *v);
#define RT_GET_ROW(name, always) { #name, g_##name, always },
static const struct rt_get {
	const char *name;
	rt_getter get;
	int always;    /* never pushes nil */
} rt_gets[] = {
	RT_FIELDS(RT_GET_ROW) { NULL, NULL, 0 }
};
#define NGETS ((int)(sizeof rt_gets / sizeof *rt_gets) - 1)

/* Pushes a route box holding a copy of the payload p (len bytes). */
static void push_route(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_ROUTE, p, len, nsidx);
}

/* Pushes the route of the first payload of the raw list l (not empty),
 * bound to the namespace handle at index 1. */
static void push_first(lua_State *L, const vn_list *l)
{
	size_t len;
	const void *p = vn_list_first(l, &len);
	push_route(L, p, len, 1);
}

/* two attributes present with the same bytes */
static int same_attr(const struct rtattr *a, const struct rtattr *b)
{
	return a && b && RTA_PAYLOAD(a) == RTA_PAYLOAD(b) &&
	       !memcmp(RTA_DATA(a), RTA_DATA(b), RTA_PAYLOAD(a));
}

/* the key of a route: family, tos, table, destination */
static int rt_same_key(const rt_view *a, const rt_view *b)
{
	return a->h->rtm_family == b->h->rtm_family && a->h->rtm_tos == b->h->rtm_tos &&
	       rt_table(a) == rt_table(b) && a->h->rtm_dst_len == b->h->rtm_dst_len &&
	       (a->h->rtm_dst_len == 0 || same_attr(RA(a, RTA_DST), RA(b, RTA_DST)));
}

/* __eq's identity: the key and the metric */
static int rt_same(const void *x, const void *y)
{
	rt_view a, b;
	rt_parse(&a, RB(x)->m, RB(x)->len);
	rt_parse(&b, RB(y)->m, RB(y)->len);
	return rt_same_key(&a, &b) &&
	       vn_rta_u32(RA(&a, RTA_PRIORITY)) == vn_rta_u32(RA(&b, RTA_PRIORITY));
}

/* ---- writing requests ---------------------------------------------------- */
/* ---- dumps -------------------------------------------------------------- */
/* Dumps routes of family (AF_UNSPEC for all) asking the kernel to filter by
 * table and oif (0 for any; the socket has strict checking on, see
 * vn_sock_open), so that it walks only
 * that table. Messages pass through l->rkeep as well. 0 or -errno. */
static int route_dump(vn_ns *ns, int family, uint32_t table, int oif, vn_list *l,
		      vn_err *e)
{
	union {
		struct nlmsghdr h;
		unsigned char b[NLMSG_SPACE(sizeof(struct rtmsg)) + 2 * RTA_SPACE(4)];
	} req;
	struct nlmsghdr *h = &req.h;
	struct rtmsg *rtm = (struct rtmsg *)NLMSG_DATA(h);
	int r;

	memset(&req, 0, sizeof req);
	h->nlmsg_len = NLMSG_LENGTH(sizeof *rtm);
	h->nlmsg_type = RTM_GETROUTE;
	rtm->rtm_family = (unsigned char)family;
	/* MPLS has one table and refuses a dump that names one */
	if (family == AF_MPLS)
		table = 0;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	vn_rta_put_u32_opt(h, RTA_TABLE, table);
	if (oif > 0)
		vn_rta_put_u32(h, RTA_OIF, (uint32_t)oif);
	r = vn_req(ns, h, VN_DUMP, l, e);
	/* a table that does not exist yet has no routes */
	if (r == -ENOENT && table)
		r = 0;
	return r;
}

/* Whether h is a route of ours (inet or inet6, not a cache clone); v is
 * filled. */
static int rt_msg(const struct nlmsghdr *h, rt_view *v)
{
	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return 0;
	rt_parse(v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	return (v->h->rtm_family == AF_INET || v->h->rtm_family == AF_INET6 ||
		v->h->rtm_family == AF_MPLS) && !(v->h->rtm_flags & RTM_F_CLONED);
}

static int route_uses_dev(const rt_view *v, int dev)
{
	rt_nhit it;
	rt_nh nh;
	rt_nh_begin(&it, v);
	while (rt_nh_next(&it, &nh))
		if (nh.ifindex == dev)
			return 1;
	return 0;
}

struct route_filter { int family, all, dev, proto, type; uint32_t table; };

static int keep_route(const struct nlmsghdr *h, void *arg)
{
	struct route_filter *f = (struct route_filter *)arg;
	rt_view v;
	if (!rt_msg(h, &v))
		return 0;
	if (f->family ? v.h->rtm_family != f->family : v.h->rtm_family == AF_MPLS)
		return 0;
	if (!f->all && rt_table(&v) != f->table)
		return 0;
	if (f->proto >= 0 && v.h->rtm_protocol != f->proto)
		return 0;
	if (f->type >= 0 && v.h->rtm_type != f->type)
		return 0;
	if (f->dev && !route_uses_dev(&v, f->dev))
		return 0;
	return 1;
}

/* The fields a dump with `fields` returns: indexes into rt_gets. */
typedef struct rt_fieldset {
	rt_names names;
	int n;
	unsigned char f[];
} rt_fieldset;

/* Reads option `fields` of the options at idx (a list of field names) into
 * a new rt_fieldset userdata left on the stack; returns its index, or 0
 * (nothing pushed) when the option is absent. */
static int opt_fields(lua_State *L, int idx)
{
	rt_fieldset *fs;
	int i, j, n, top;
	lua_getfield(L, idx, "fields");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	top = lua_gettop(L);
	if (!lua_istable(L, top))
		return luaL_error(L, "routes: option 'fields' must be a list of field names, got %s",
				  luaL_typename(L, top));
	n = (int)(lua_rawlen(L, top) < 1000000 ? lua_rawlen(L, top) : 1000000);
	if (n < 1)
		return luaL_error(L, "routes: option 'fields' is empty");
	/* the iterator returns them all: the stack must hold them */
	if (!lua_checkstack(L, n + LUA_MINSTACK))
		return luaL_error(L, "routes: option 'fields' has too many entries (%d)", n);
	fs = (rt_fieldset *)lua_newuserdata(L, sizeof *fs + (size_t)n);
	memset(&fs->names, 0, sizeof fs->names);
	fs->n = n;
	for (i = 0; i < n; i++) {
		const char *name;
		size_t len;
		lua_rawgeti(L, top, i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "routes: fields[%d] must be a field name, got %s",
					  i + 1, luaL_typename(L, -1));
		name = lua_tolstring(L, -1, &len);
		for (j = 0; j < NGETS; j++)
			if (strlen(rt_gets[j].name) == len && !memcmp(rt_gets[j].name, name, len))
				break;
		if (j == NGETS)
			return luaL_error(L, "routes: fields[%d]: unknown field '%s'", i + 1,
					  vn_check_str(L, -1, "routes", "a field name", 0));
		if (i == 0 && !rt_gets[j].always)
			return luaL_error(L, "routes: fields[1]: '%s' may be nil, which would end "
					  "the loop; put first a field that is never nil (dst, family, "
					  "table, metric, scope, protocol, type or onlink)", name);
		fs->f[i] = (unsigned char)j;
		lua_pop(L, 1);
	}
	lua_remove(L, top);
	return lua_gettop(L);
}

/* Pushes the fields asked (the rt_fieldset of the iterator's third upvalue)
 * of the route payload p: one pass over its attributes for all of them. */
static void push_fields(lua_State *L, const void *p, size_t len, int nsidx)
{
	rt_fieldset *fs = (rt_fieldset *)lua_touserdata(L, lua_upvalueindex(3));
	rt_view v;
	int i;
	(void)nsidx;
	luaL_checkstack(L, fs->n, "routes: too many fields");
	rt_parse(&v, p, len);
	v.names = &fs->names;
	for (i = 0; i < fs->n; i++)
		rt_gets[fs->f[i]].get(L, &v);
}

/* Option family of the table at idx: vn_opt_family's names, and "mpls". */
static int opt_rtfamily(lua_State *L, int idx, const char *fn, int *out)
{
	lua_getfield(L, idx, "family");
	if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 4 &&
	    !strcmp(lua_tostring(L, -1), "mpls")) {
		lua_pop(L, 1);
		*out = AF_MPLS;
		return 1;
	}
	lua_pop(L, 1);
	return vn_opt_family(L, idx, fn, "family", out);
}

/* ns:routes([{ table =, family =, dev =, protocol =, type =, fields = }])
 * -> iterator over routes | nil, msg, errname. table defaults to "main";
 * table = "all" lists every table; family defaults to both. With fields (a
 * list of field names) the iterator returns those fields of each route, in
 * that order, instead of a route object. */
static int ns_routes(lua_State *L)
{
	static const char *const keys[] = { "table", "family", "dev", "protocol",
					    "type", "fields", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct route_filter f;
	vn_list *l;
	vn_err e;
	int r, t, fidx = 0;

	memset(&f, 0, sizeof f);
	f.table = RT_TABLE_MAIN;
	f.proto = f.type = -1;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "routes", keys);
		lua_getfield(L, 2, "table");
		f.all = lua_type(L, -1) == LUA_TSTRING &&
			!strcmp(vn_check_str(L, -1, "routes", "option 'table'", 0), "all");
		lua_pop(L, 1);
		if (!f.all)
			vn_opt_table(L, 2, "routes", "table", &f.table);
		if (opt_rtfamily(L, 2, "routes", &f.family) &&
		    f.family != AF_INET && f.family != AF_INET6 && f.family != AF_MPLS)
			f.family = AF_UNSPEC;
		vn_opt_u8name(L, 2, "routes", "protocol", "rt_protos", &f.proto);
		if (vn_opt_enum(L, 2, "routes", "type", rtypes, &t))
			f.type = t + 1;
		fidx = opt_fields(L, 2);
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
	l = vn_list_new(L);
	l->rkeep = keep_route;
	l->arg = &f;
	r = route_dump(ns, f.family, f.all ? 0 : f.table, f.dev, l, &e);
	if (r < 0) {
		vn_list_free(l);
		return vn_push_err(L, "routes", &e, NULL);
	}
	if (fidx)
		vn_push_raw_iter_arg(L, l, push_fields, 1, fidx);
	else
		vn_push_raw_iter(L, l, push_route, 1);
	return 1;
}

/* ---- building a route from options ------------------------------------ */
enum { R_ADD, R_REPLACE, R_DEL, R_CHANGE, R_APPEND };

static const char *const route_keys[] = { "dst", "gateway", "dev", "src",
	"metric", "scope", "protocol", "type", "table", "mtu", "nexthops",
	"onlink", "family", "nhid", "pref",
	/* metrics[1..] in their order, then lock */
	"window", "rtt", "rttvar", "ssthresh", "cwnd", "advmss", "reordering", "hoplimit",
	"initcwnd", "features", "rto_min", "initrwnd", "quickack", "congctl",
	"fastopen_no_cookie", "lock", "newdst",
	/* past the 32 bits of vn_opts_check: always looked up */
	"encap", NULL };
enum { K_DST, K_GATEWAY, K_DEV, K_SRC, K_METRIC, K_SCOPE, K_PROTOCOL, K_TYPE,
       K_TABLE, K_MTU, K_NEXTHOPS, K_ONLINK, K_FAMILY, K_NHID, K_PREF,
       K_MX1, K_LOCK = K_MX1 + NMETRICS - 1, K_NEWDST };
typedef char route_keys_fit_has[K_NEWDST < 32 ? 1 : -1];
static const char *const nh_keys[] = { "gateway", "dev", "weight", "onlink", NULL };

/* An address option that must be a host address (no prefix): 1 and *out
 * filled when set, 0 when absent; raises on bad syntax. */
static int opt_host(lua_State *L, int idx, const char *fn, const char *key,
		    int family, vn_ip *out)
{
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *s = lua_tostring(L, -1);
		if (strchr(s, '/') || !strcmp(s, "default") || !strcmp(s, "any") ||
		    !strcmp(s, "all"))
			luaL_error(L, "%s: option '%s' '%s' is not a valid address "
				   "(a host address without a prefix)", fn, key, s);
	}
	lua_pop(L, 1);
	return vn_opt_ip(L, idx, fn, key, family, out);
}

/* The family a gateway option of the table at idx must have on a route of
 * family fam: an IPv4 route may go via an IPv6 gateway (RTA_VIA, as
 * `ip route add 10.0.0.0/8 via inet6 fe80::1`). */
static int gw_family(lua_State *L, int idx, int fam)
{
	if (fam == AF_MPLS)
		return AF_UNSPEC;   /* `via inet 10.0.0.1`, `via inet6 ...` */
	return fam == AF_INET && vn_str_family(L, idx, "gateway") == AF_INET6 ? AF_INET6 : fam;
}

/* One next hop of a request. */
typedef struct rt_hop {
	int ifindex, weight, flags;   /* weight 1..256 */
	vn_ip gw;                     /* gw.len 0: none */
} rt_hop;

/* A request being read from options, then built (build_route). */
typedef struct rt_req {
	const char *fn;
	unsigned has;     /* which options are given (VN_HAS, K_*) */
	int mode;
	int scope;        /* -1 until decided */
	int onlink;       /* single-path onlink */
	int prio_set;
	const char *what; /* option naming a missing link */
	int err;
	int family, type, proto, nnh;
	uint32_t mx_set, lock;    /* bit rtax: metric given, locked */
	uint32_t mx[RTAX_MAX + 1];
	char cc[CC_MAX];          /* congctl */
	uint32_t table, prio;
	uint32_t nhid;    /* a nexthop object (RTA_NH_ID), 0: none */
	int pref;         /* an IPv6 route's RTA_PREF, -1: none */
	vn_ip dst, src;   /* src.len 0: none */
	int nnewdst;      /* an MPLS route's outgoing labels (RTA_NEWDST) */
	uint32_t newdst[MAXLABELS];
	int encap;        /* LWTUNNEL_ENCAP_*, 0: none */
	int nelabels, ettl;               /* mpls: labels, ttl (-1: none) */
	uint32_t elabels[MAXLABELS];
	int smode, nsegs;                 /* seg6: mode, segments */
	unsigned char segs[MAXSEGS][16];
	rt_hop *nh;       /* nnh next hops: a userdata on the stack, or &one */
	rt_hop one;
} rt_req;

/* Reads metric m (not mtu) from the options at 2 into q. May raise. */
static void parse_mx(lua_State *L, rt_req *q, const rt_metric *m)
{
	const char *fn = q->fn;
	lua_Integer n = 0;
	const char *s;
	int b;
	switch (m->kind) {
	case M_BOOL:
		if (!vn_opt_bool(L, 2, fn, m->name, &b))
			return;
		n = b;
		break;
	case M_STR:
		/* copied into q->cc (the reader raises on a NUL byte or a name
		 * too long for it) */
		if (!(s = vn_opt_str(L, 2, fn, m->name, q->cc, sizeof q->cc)))
			return;
		if (!*s)
			luaL_error(L, "%s: option '%s' must be a congestion control name", fn,
				   m->name);
		break;
	case M_FEAT:
		lua_getfield(L, 2, m->name);
		if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "ecn") &&
		    lua_rawlen(L, -1) == 3) {
			lua_pop(L, 1);
			n = RTAX_FEATURE_ECN;
			break;
		}
		if (lua_type(L, -1) == LUA_TSTRING)
			luaL_error(L, "%s: option 'features' must be 'ecn' or a number, got '%s'",
				   fn, lua_tostring(L, -1));
		lua_pop(L, 1);
		/* fall through */
	default:
		if (!vn_opt_int(L, 2, fn, m->name, m->min, m->max, &n))
			return;
		if (m->kind == M_MS8)
			n *= 8;
		else if (m->kind == M_MS4)
			n *= 4;
	}
	q->mx[m->rtax] = (uint32_t)n;
	q->mx_set |= 1u << m->rtax;
	/* as ip does: the kernel takes rto_min from a route only when locked */
	if (m->rtax == RTAX_RTO_MIN)
		q->lock |= 1u << RTAX_RTO_MIN;
}

/* Reads option lock (a list of metric names) into q->lock. May raise. */
static void parse_lock(lua_State *L, rt_req *q)
{
	size_t i, n;
	int j;
	lua_getfield(L, 2, "lock");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: option 'lock' must be a list of metric names ('mtu', "
			   "'window', ...), got %s", q->fn, luaL_typename(L, -1));
	if (lua_getmetatable(L, -1))
		luaL_error(L, "%s: option 'lock' must be a plain table (without a "
			   "metatable: its items are read raw)", q->fn);
	n = lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, (int)i);
		for (j = 0; j < NMETRICS; j++)
			if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), metrics[j].name) &&
			    strlen(metrics[j].name) == lua_rawlen(L, -1))
				break;
		if (j == NMETRICS)
			luaL_error(L, "%s: option 'lock': item %d is not a metric name", q->fn, (int)i);
		q->lock |= 1u << metrics[j].rtax;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Parses one nexthop table at idx into h. Returns 0 or -ENODEV (q->what
 * set). */
static int parse_nh(lua_State *L, int idx, vn_ns *ns, rt_req *q, int n, rt_hop *h)
{
	const char *fn = lua_pushfstring(L, "%s: nexthops[%d]", q->fn, n);
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
	h->weight = (int)w;
	h->ifindex = dev;
	h->flags = onlink ? RTNH_F_ONLINK : 0;
	opt_host(L, idx, fn, "gateway", gw_family(L, idx, q->family), &h->gw);
	lua_pop(L, 1); /* fn */
	return 0;
}

/* Reads the list of labels at stack index sidx (a plain table of 1 to
 * MAXLABELS integers 0..2^20-1) into out as a label stack; what names it.
 * Returns the count; raises otherwise. */
static int read_labels(lua_State *L, int sidx, const char *fn, const char *key,
		       uint32_t *out)
{
	lua_Integer n;
	int i;
	if (!lua_istable(L, sidx))
		return luaL_error(L, "%s: option '%s' must be a list of labels (integers "
				  "0..%d), got %s", fn, key, MPLS_LABEL_MAX, luaL_typename(L, sidx));
	if (lua_getmetatable(L, sidx))
		return luaL_error(L, "%s: option '%s' must be a plain table (without a "
				  "metatable: its items are read raw)", fn, key);
	n = (lua_Integer)lua_rawlen(L, sidx);
	if (n < 1 || n > MAXLABELS)
		return luaL_error(L, "%s: option '%s' must hold 1 to %d labels, got %d", fn,
				  key, MAXLABELS, (int)(n > 1000000 ? 1000000 : n));
	for (i = 1; i <= n; i++) {
		const char *item;
		lua_rawgeti(L, sidx, i);
		item = lua_pushfstring(L, "option '%s[%d]'", key, i);
		out[i - 1] = mpls_entry((uint32_t)vn_check_int(L, -2, fn, item, 0,
							       MPLS_LABEL_MAX), i == n);
		lua_pop(L, 2);
	}
	return (int)n;
}

/* Raises when the encap options at e have a or b, the options of the
 * encap theirs, not mine. */
static void not_for(lua_State *L, int e, const char *fn, const char *a, const char *b,
		    const char *theirs, const char *mine)
{
	const char *other[2];
	int i;
	other[0] = a;
	other[1] = b;
	for (i = 0; i < 2; i++) {
		lua_getfield(L, e, other[i]);
		if (!lua_isnil(L, -1))
			luaL_error(L, "%s: option '%s' is for %s, not %s", fn, other[i], theirs,
				   mine);
		lua_pop(L, 1);
	}
}

/* Reads option encap of the options at 2 ({ type = "mpls", labels =, ttl = }
 * or { type = "seg6", mode =, segs = }) into q. May raise. */
static void parse_encap(lua_State *L, rt_req *q)
{
	static const char *const keys[] = { "type", "labels", "ttl", "mode", "segs", NULL };
	static const char *const types[] = { "mpls", "seg6", NULL };
	const char *fn = q->fn;
	lua_Integer n;
	int e, t, i;
	lua_getfield(L, 2, "encap");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	e = lua_gettop(L);
	if (!lua_istable(L, e))
		luaL_error(L, "%s: option 'encap' must be a table ({ type = 'mpls', labels = "
			   "{...} } or { type = 'seg6', segs = {...} }), got %s", fn,
			   luaL_typename(L, e));
	lua_pushfstring(L, "%s: encap", fn);
	fn = lua_tostring(L, -1);      /* stays on the stack until the end */
	vn_opts_check(L, e, fn, keys);
	if (!vn_opt_enum(L, e, fn, "type", types, &t))
		luaL_error(L, "%s: option 'type' is required ('mpls' or 'seg6')", fn);
	if (t == 0) {
		not_for(L, e, fn, "mode", "segs", "seg6", "mpls");
		q->encap = LWTUNNEL_ENCAP_MPLS;
		lua_getfield(L, e, "labels");
		if (lua_isnil(L, -1))
			luaL_error(L, "%s: option 'labels' is required", fn);
		q->nelabels = read_labels(L, lua_gettop(L), fn, "labels", q->elabels);
		lua_pop(L, 1);
		q->ettl = -1;
		if (vn_opt_int(L, e, fn, "ttl", 0, 255, &n))
			q->ettl = (int)n;
	} else {
		int segs;
		not_for(L, e, fn, "labels", "ttl", "mpls", "seg6");
		q->encap = LWTUNNEL_ENCAP_SEG6;
		q->smode = SEG6_IPTUN_MODE_ENCAP;
		if (vn_opt_enum(L, e, fn, "mode", seg6_modes, &i))
			q->smode = i;
		lua_getfield(L, e, "segs");
		segs = lua_gettop(L);
		if (!lua_istable(L, segs))
			luaL_error(L, "%s: option 'segs' must be a list of IPv6 addresses, got %s",
				   fn, luaL_typename(L, segs));
		if (lua_getmetatable(L, segs))
			luaL_error(L, "%s: option 'segs' must be a plain table (without a "
				   "metatable: its items are read raw)", fn);
		n = (lua_Integer)lua_rawlen(L, segs);
		if (n < 1 || n > MAXSEGS)
			luaL_error(L, "%s: option 'segs' must hold 1 to %d addresses, got %d", fn,
				   MAXSEGS, (int)(n > 1000000 ? 1000000 : n));
		for (i = 1; i <= n; i++) {
			vn_ip a;
			const char *what;
			lua_rawgeti(L, segs, i);
			what = lua_pushfstring(L, "option 'segs[%d]'", i);
			if (lua_type(L, -2) == LUA_TSTRING && strchr(lua_tostring(L, -2), '/'))
				luaL_error(L, "%s: %s '%s' is not a valid address (an IPv6 address "
					   "without a prefix)", fn, what, lua_tostring(L, -2));
			vn_check_ip(L, -2, fn, what, AF_INET6, &a);
			if (a.len != 16)
				luaL_error(L, "%s: %s is not an IPv6 address", fn, what);
			memcpy(q->segs[i - 1], a.b, 16);
			lua_pop(L, 2);
		}
		q->nsegs = (int)n;
		lua_pop(L, 1);
	}
	lua_settop(L, e - 1);
}

/* Reads the options table at 2 into q; a list of next hops is read into a
 * userdata put at 3 (q->nh points into it), and values may be left above.
 * May raise. Returns 0, or -errno for a link that does not exist (q->what,
 * q->err). */
static int parse_route(lua_State *L, vn_ns *ns, rt_req *q)
{
	const char *fn = q->fn;
	lua_Integer n;
	int i, t, dev, has_table, nnh = 0, nhidx = 0;

	/* scalar options (only those given are looked up) */
	q->table = RT_TABLE_MAIN;
	q->type = q->proto = q->scope = q->pref = -1;
	if (VN_HAS(q->has, K_FAMILY) && opt_rtfamily(L, 2, fn, &q->family) &&
	    q->family != AF_INET && q->family != AF_INET6 && q->family != AF_MPLS)
		luaL_error(L, "%s: option 'family' must be 'inet', 'inet6' or 'mpls'", fn);
	if (q->family == AF_MPLS) {
		/* what an MPLS route has not (the kernel refuses it) */
		static const int nots[] = { K_SRC, K_METRIC, K_SCOPE, K_TYPE, K_TABLE, K_MTU,
					    K_NHID, K_PREF, K_ONLINK };
		for (i = 0; i < (int)(sizeof nots / sizeof *nots); i++)
			if (VN_HAS(q->has, nots[i])) {
				lua_getfield(L, 2, route_keys[nots[i]]);
				if (!lua_isnil(L, -1))
					luaL_error(L, "%s: option '%s' is not for MPLS routes", fn,
						   route_keys[nots[i]]);
				lua_pop(L, 1);
			}
		for (i = K_MX1; i <= K_LOCK; i++)
			if (VN_HAS(q->has, i)) {
				lua_getfield(L, 2, route_keys[i]);
				if (!lua_isnil(L, -1))
					luaL_error(L, "%s: option '%s' is not for MPLS routes", fn,
						   route_keys[i]);
				lua_pop(L, 1);
			}
		lua_getfield(L, 2, "encap");
		if (!lua_isnil(L, -1))
			luaL_error(L, "%s: option 'encap' is not for MPLS routes (give 'newdst')", fn);
		lua_pop(L, 1);
		lua_getfield(L, 2, "dst");
		if (lua_isnil(L, -1))
			luaL_error(L, "%s: option 'dst' is required (an MPLS label)", fn);
		lua_pop(L, 1);
		vn_opt_int(L, 2, fn, "dst", 0, MPLS_LABEL_MAX, &n);
		q->dst.family = AF_MPLS;
		q->dst.len = 4;
		q->dst.plen = 20;
		{
			uint32_t e = mpls_entry((uint32_t)n, 1);
			memcpy(q->dst.b, &e, 4);
		}
		if (VN_HAS(q->has, K_NEWDST)) {
			lua_getfield(L, 2, "newdst");
			if (!lua_isnil(L, -1))
				q->nnewdst = read_labels(L, lua_gettop(L), fn, "newdst",
							 q->newdst);
			lua_pop(L, 1);
		}
	} else if (VN_HAS(q->has, K_NEWDST)) {
		lua_getfield(L, 2, "newdst");
		if (!lua_isnil(L, -1))
			luaL_error(L, "%s: option 'newdst' is for MPLS routes (family = 'mpls'); "
				   "give 'encap' to push labels on an IP route", fn);
		lua_pop(L, 1);
	}
	has_table = VN_HAS(q->has, K_TABLE) && vn_opt_table(L, 2, fn, "table", &q->table);
	if (VN_HAS(q->has, K_TYPE) && vn_opt_enum(L, 2, fn, "type", rtypes, &t))
		q->type = t + 1;
	if (VN_HAS(q->has, K_SCOPE))
		vn_opt_u8name(L, 2, fn, "scope", "rt_scopes", &q->scope);
	if (VN_HAS(q->has, K_PROTOCOL))
		vn_opt_u8name(L, 2, fn, "protocol", "rt_protos", &q->proto);
	if (VN_HAS(q->has, K_ONLINK))
		vn_opt_bool(L, 2, fn, "onlink", &q->onlink);
	if (VN_HAS(q->has, K_METRIC) &&
	    (q->prio_set = vn_opt_int(L, 2, fn, "metric", 0, 0xffffffffLL, &n)))
		q->prio = (uint32_t)n;
	if (VN_HAS(q->has, K_MTU) && vn_opt_int(L, 2, fn, "mtu", 1, 65535, &n)) {
		q->mx[RTAX_MTU] = (uint32_t)n;
		q->mx_set |= 1u << RTAX_MTU;
	}
	for (i = 1; i < NMETRICS; i++)
		if (VN_HAS(q->has, K_MX1 + i - 1))
			parse_mx(L, q, &metrics[i]);
	if (VN_HAS(q->has, K_LOCK))
		parse_lock(L, q);
	if (VN_HAS(q->has, K_NHID) && vn_opt_int(L, 2, fn, "nhid", 1, 0xffffffffLL, &n)) {
		q->nhid = (uint32_t)n;
		/* the nexthop object is the route's next hop: the kernel
		 * refuses both (EINVAL, "mutually exclusive") */
		for (i = 0; i < 3; i++) {
			static const char *const hops[] = { "gateway", "dev", "nexthops" };
			lua_getfield(L, 2, hops[i]);
			if (!lua_isnil(L, -1))
				luaL_error(L, "%s: give either 'nhid' or '%s', not both", fn, hops[i]);
			lua_pop(L, 1);
		}
	}

	/* the next hops' list, when given, stays at nhidx */
	if (VN_HAS(q->has, K_NEXTHOPS)) {
		lua_getfield(L, 2, "nexthops");
		if (lua_isnil(L, -1))
			lua_pop(L, 1);
		else
			nhidx = lua_gettop(L);
		nnh = nhidx && lua_istable(L, nhidx) ? (int)lua_rawlen(L, nhidx) : 0;
	}

	/* the family: given, or implied by the addresses */
	if (!q->family) q->family = vn_str_family(L, 2, "dst");
	if (!q->family && VN_HAS(q->has, K_GATEWAY)) q->family = vn_str_family(L, 2, "gateway");
	if (!q->family && VN_HAS(q->has, K_SRC)) q->family = vn_str_family(L, 2, "src");
	for (i = 1; !q->family && i <= nnh; i++) {
		lua_rawgeti(L, nhidx, i);
		if (lua_istable(L, -1))
			q->family = vn_str_family(L, -1, "gateway");
		lua_pop(L, 1);
	}
	if (!q->family)
		q->family = AF_INET;
	if (q->family != AF_MPLS) {
		parse_encap(L, q);
		if (q->encap && (q->nhid || nhidx))
			luaL_error(L, "%s: option 'encap' goes with one next hop ('gateway'/'dev'), "
				   "not with '%s'", fn, q->nhid ? "nhid" : "nexthops");
	}

	if (VN_HAS(q->has, K_PREF) && vn_opt_enum(L, 2, fn, "pref", prefs, &i)) {
		if (q->family != AF_INET6)
			luaL_error(L, "%s: option 'pref' is for IPv6 routes", fn);
		q->pref = pref_vals[i];
	}
	if (q->family != AF_MPLS && !vn_opt_ip(L, 2, fn, "dst", q->family, &q->dst))
		luaL_error(L, "%s: option 'dst' is required (an address/prefix or 'default')", fn);
	if (VN_HAS(q->has, K_SRC))
		opt_host(L, 2, fn, "src", q->family, &q->src);

	/* next hops: one from gateway/dev, or a list */
	if (nhidx) {
		lua_getfield(L, 2, "gateway");
		lua_getfield(L, 2, "dev");
		if (!lua_isnil(L, -1) || !lua_isnil(L, -2))
			luaL_error(L, "%s: give either 'gateway'/'dev' or 'nexthops', not both", fn);
		lua_pop(L, 2);
		if (!lua_istable(L, nhidx) || nnh < 1)
			luaL_error(L, "%s: option 'nexthops' must be a non-empty list of tables", fn);
		if (nnh > MAXNH)
			luaL_error(L, "%s: option 'nexthops' has %d next hops, at most %d", fn,
				   nnh, MAXNH);
		q->nh = (rt_hop *)lua_newuserdata(L, (size_t)nnh * sizeof *q->nh);
		memset(q->nh, 0, (size_t)nnh * sizeof *q->nh);
		lua_replace(L, 3);
		for (i = 1; i <= nnh; i++) {
			int rc;
			lua_rawgeti(L, nhidx, i);
			rc = parse_nh(L, lua_gettop(L), ns, q, i, &q->nh[i - 1]);
			if (rc < 0)
				return rc;
			lua_pop(L, 1);
		}
		q->nnh = nnh;
	} else {
		dev = VN_HAS(q->has, K_DEV) ? vn_opt_ifindex(L, 2, ns, fn, "dev") : 0;
		if (dev < 0) {
			lua_getfield(L, 2, "dev");
			q->what = lua_pushfstring(L, "dev '%s'", lua_tostring(L, -1));
			q->err = -dev;
			return dev;
		}
		q->nh = &q->one;
		q->one.ifindex = dev;
		q->one.weight = 1;
		q->one.flags = q->onlink ? RTNH_F_ONLINK : 0;
		if ((VN_HAS(q->has, K_GATEWAY) &&
		     opt_host(L, 2, fn, "gateway", gw_family(L, 2, q->family), &q->one.gw)) ||
		    dev)
			q->nnh = 1;
	}

	if (q->family == AF_MPLS) {
		/* what the kernel takes, even in a delete */
		q->type = RTN_UNICAST;
		q->scope = RT_SCOPE_UNIVERSE;
		q->table = RT_TABLE_MAIN;
		if (q->proto < 0)
			q->proto = q->mode == R_DEL ? RTPROT_UNSPEC : RTPROT_BOOT;
		return 0;
	}
	/* defaults as iproute2 has them */
	if (q->type < 0 && q->mode != R_DEL)
		q->type = RTN_UNICAST;
	if (!has_table && (q->type == RTN_LOCAL || q->type == RTN_BROADCAST ||
			   q->type == RTN_NAT || q->type == RTN_ANYCAST))
		q->table = RT_TABLE_LOCAL;
	if (q->type < 0)
		q->type = RTN_UNSPEC;
	if (q->proto < 0)
		q->proto = q->mode == R_DEL ? RTPROT_UNSPEC : RTPROT_BOOT;
	if (q->scope < 0) {
		if (q->mode == R_DEL)
			q->scope = RT_SCOPE_NOWHERE;
		else if (q->type == RTN_LOCAL || q->type == RTN_NAT)
			q->scope = RT_SCOPE_HOST;
		else if (q->type == RTN_BROADCAST || q->type == RTN_MULTICAST ||
			 q->type == RTN_ANYCAST)
			q->scope = RT_SCOPE_LINK;
		else if (q->type == RTN_UNICAST && !nnh && !q->nhid)
			q->scope = q->nnh == 1 && q->one.gw.len ? RT_SCOPE_UNIVERSE
								: RT_SCOPE_LINK;
		else
			q->scope = RT_SCOPE_UNIVERSE;
	}
	return 0;
}

/* ---- building the request ------------------------------------------------ */
/* closes a nested attribute a opened with vn_rta_put(h, type, NULL, 0) */
static void end_nest(struct nlmsghdr *h, struct rtattr *a)
{
	vn_rta_end(h, a);
}

/* a gateway: RTA_GATEWAY when it is of the route's family fam, else RTA_VIA */
static void put_gw(struct nlmsghdr *h, int fam, const vn_ip *gw)
{
	const size_t off = offsetof(struct rtvia, rtvia_addr);
	unsigned char b[sizeof(struct rtvia) + 16];
	struct rtvia via;
	if (gw->family == fam) {
		vn_rta_put(h, RTA_GATEWAY, gw->b, (size_t)gw->len);
		return;
	}
	via.rtvia_family = (__kernel_sa_family_t)gw->family;
	memcpy(b, &via, off);
	memcpy(b + off, gw->b, (size_t)gw->len);
	vn_rta_put(h, RTA_VIA, b, off + (size_t)gw->len);
}

typedef union rt_msgbuf {
	struct nlmsghdr h;
	unsigned char b[1024];  /* a route of up to 12 next hops, with every metric */
} rt_msgbuf;

/* Writes the request q as a netlink message of type and flags (rtmsg and
 * attributes, as iproute2 sends them) into small when it fits, else into
 * a userdata pushed for it, and returns it. */
static struct nlmsghdr *build_route(lua_State *L, const rt_req *q, int type, int flags,
				    rt_msgbuf *small)
{
	size_t cap = NLMSG_SPACE(sizeof(struct rtmsg)) + 10 * RTA_SPACE(20) +
		     RTA_SPACE((RTAX_MAX + 1) * RTA_SPACE(16)) +
		     (size_t)q->nnh * (RTNH_ALIGN(sizeof(struct rtnexthop)) + RTA_SPACE(20)) +
		     RTA_SPACE(4 * MAXLABELS) + RTA_SPACE(4) + RTA_SPACE(RTA_SPACE(4 * MAXLABELS) +
		     RTA_SPACE(1) + RTA_SPACE(sizeof(int) + sizeof(struct ipv6_sr_hdr) +
		     16 * MAXSEGS));
	struct nlmsghdr *h = cap <= sizeof *small ? &small->h
						  : (struct nlmsghdr *)lua_newuserdata(L, cap);
	struct rtmsg *rtm = (struct rtmsg *)vn_msg_begin(h, cap, type, flags, sizeof *rtm);
	int i;

	rtm->rtm_family = (unsigned char)q->family;
	rtm->rtm_dst_len = (unsigned char)(q->dst.len ? q->dst.plen : 0);
	rtm->rtm_table = q->table < 256 ? (unsigned char)q->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = (unsigned char)q->proto;
	rtm->rtm_scope = (unsigned char)q->scope;
	rtm->rtm_type = (unsigned char)q->type;
	if (q->nnh == 1)
		rtm->rtm_flags = (unsigned)q->nh[0].flags & RTNH_F_ONLINK;
	/* MPLS routes take no RTA_TABLE (and no other attribute but
	 * destination, next hops and new labels) */
	if (q->family != AF_MPLS)
		vn_rta_put_u32(h, RTA_TABLE, q->table);
	if (q->nnewdst)
		vn_rta_put(h, RTA_NEWDST, q->newdst, 4 * (size_t)q->nnewdst);
	if (q->encap) {
		struct rtattr *e;
		uint16_t et = (uint16_t)q->encap;
		vn_rta_put(h, RTA_ENCAP_TYPE, &et, sizeof et);
		e = vn_rta_put(h, RTA_ENCAP, NULL, 0);
		if (q->encap == LWTUNNEL_ENCAP_MPLS) {
			vn_rta_put(h, MPLS_IPTUNNEL_DST, q->elabels, 4 * (size_t)q->nelabels);
			if (q->ettl >= 0) {
				unsigned char ttl = (unsigned char)q->ettl;
				vn_rta_put(h, MPLS_IPTUNNEL_TTL, &ttl, 1);
			}
		} else {
			/* struct seg6_iptunnel_encap: the mode then the routing
			 * header, its segments last first (as iproute2 writes it) */
			unsigned char b[sizeof(int) + sizeof(struct ipv6_sr_hdr) + 16 * MAXSEGS];
			struct ipv6_sr_hdr srh;
			int k, mode = q->smode;
			memset(&srh, 0, sizeof srh);
			srh.hdrlen = (unsigned char)(q->nsegs * 2);
			srh.type = 4;   /* IPV6_SRCRT_TYPE_4 */
			srh.segments_left = (unsigned char)(q->nsegs - 1);
			srh.first_segment = (unsigned char)(q->nsegs - 1);
			memcpy(b, &mode, sizeof mode);
			memcpy(b + sizeof mode, &srh, sizeof srh);
			for (k = 0; k < q->nsegs; k++)
				memcpy(b + sizeof mode + sizeof srh + 16 * (size_t)(q->nsegs - 1 - k),
				       q->segs[k], 16);
			vn_rta_put(h, SEG6_IPTUNNEL_SRH, b,
				   sizeof mode + sizeof srh + 16 * (size_t)q->nsegs);
		}
		end_nest(h, e);
	}
	if (q->dst.len)
		vn_rta_put(h, RTA_DST, q->dst.b, (size_t)q->dst.len);
	if (q->prio_set)
		vn_rta_put_u32(h, RTA_PRIORITY, q->prio);
	if (q->src.len)
		vn_rta_put(h, RTA_PREFSRC, q->src.b, (size_t)q->src.len);
	if (q->mx_set || q->lock) {
		struct rtattr *m = vn_rta_put(h, RTA_METRICS, NULL, 0);
		vn_rta_put_u32_opt(h, RTAX_LOCK, q->lock);
		for (i = 0; i < NMETRICS; i++) {
			int t = metrics[i].rtax;
			if (!(q->mx_set & (1u << t)))
				continue;
			if (t == RTAX_CC_ALGO)
				vn_rta_put(h, t, q->cc, strlen(q->cc) + 1);
			else
				vn_rta_put_u32(h, t, q->mx[t]);
		}
		end_nest(h, m);
	}
	if (q->pref >= 0) {
		unsigned char p = (unsigned char)q->pref;
		vn_rta_put(h, RTA_PREF, &p, 1);
	}
	vn_rta_put_u32_opt(h, RTA_NH_ID, q->nhid);
	if (q->nnh == 1) {
		if (q->nh[0].gw.len)
			put_gw(h, q->family, &q->nh[0].gw);
		vn_rta_put_u32_opt(h, RTA_OIF, (uint32_t)q->nh[0].ifindex);
	} else if (q->nnh > 1) {
		struct rtattr *mp = vn_rta_put(h, RTA_MULTIPATH, NULL, 0);
		for (i = 0; i < q->nnh; i++) {
			struct rtnexthop *rh = (struct rtnexthop *)((char *)h + h->nlmsg_len);
			rh->rtnh_flags = (unsigned char)q->nh[i].flags;
			rh->rtnh_hops = (unsigned char)(q->nh[i].weight - 1);
			rh->rtnh_ifindex = q->nh[i].ifindex;
			h->nlmsg_len += RTNH_ALIGN(sizeof *rh);
			if (q->nh[i].gw.len)
				put_gw(h, q->family, &q->nh[i].gw);
			rh->rtnh_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)rh);
		}
		end_nest(h, mp);
	}
	return h;
}

/* ---- reading a route back after add/replace ---------------------------- */
struct route_match { rt_view want; int prio_set; };

/* the route a request made: same key and type, the requested metric and
 * next hops */
static int keep_match(const struct nlmsghdr *h, void *arg)
{
	struct route_match *m = (struct route_match *)arg;
	const rt_view *w = &m->want;
	rt_view r;
	rt_nh a, b;
	int nw;
	if (!rt_msg(h, &r) || !rt_same_key(&r, w) || r.h->rtm_type != w->h->rtm_type)
		return 0;
	if (m->prio_set && vn_rta_u32(RA(&r, RTA_PRIORITY)) != vn_rta_u32(RA(w, RTA_PRIORITY)))
		return 0;
	if (RA(w, RTA_NH_ID))
		return same_attr(RA(&r, RTA_NH_ID), RA(w, RTA_NH_ID));
	nw = rt_nexthops(w, NULL);
	if (nw > 1)
		return rt_nexthops(&r, NULL) >= nw;
	if (nw == 1) {
		rt_single(w, &b);
		if (!rt_single(&r, &a) || (b.ifindex && a.ifindex != b.ifindex) ||
		    (b.gw && !same_attr(a.gw, b.gw)))
			return 0;
	}
	return 1;
}

static int keep_echo(const struct nlmsghdr *h, void *arg)
{
	rt_view v;
	(void)arg;
	return rt_msg(h, &v);
}

/* route get answers with a route marked as a clone: any route message */
static int keep_answer(const struct nlmsghdr *h, void *arg)
{
	(void)arg;
	return h->nlmsg_type == RTM_NEWROUTE &&
	       h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg));
}

/* Pushes the route as the kernel keeps it after the request req (a
 * payload of len bytes) was acked: found by a dump, or the request's own
 * when it cannot be found. */
static void read_back(lua_State *L, vn_ns *ns, const void *req, size_t len, int prio_set)
{
	struct route_match m;
	rt_nh nh;
	vn_list *l = vn_list_new(L);
	const void *p;
	size_t plen;
	rt_parse(&m.want, req, len);
	m.prio_set = prio_set;
	l->rkeep = keep_match;
	l->arg = &m;
	if (route_dump(ns, m.want.h->rtm_family, rt_table(&m.want),
		       rt_single(&m.want, &nh) ? nh.ifindex : 0, l, NULL) == 0 &&
	    (p = vn_list_first(l, &plen))) {
		push_route(L, p, plen, 1);
	} else {
		push_route(L, req, len, 1);
	}
	vn_list_drop(L, l);
}

/* The options of route_add and its kin, and of route_get, by the attribute
 * each one makes (for errors where the kernel points at one). */
static const vn_optname route_opts[] = {
	{ RTA_DST, "dst" }, { RTA_GATEWAY, "gateway" }, { RTA_VIA, "gateway" },
	{ RTA_OIF, "dev" }, { RTA_PREFSRC, "src" }, { RTA_PRIORITY, "metric" },
	{ RTA_TABLE, "table" }, { RTA_MULTIPATH, "nexthops" }, { RTA_NH_ID, "nhid" },
	{ RTA_PREF, "pref" }, { 0, NULL }
};
static const vn_optname get_opts[] = {
	{ RTA_SRC, "from" }, { RTA_IIF, "iif" }, { RTA_OIF, "oif" }, { RTA_MARK, "mark" },
	{ 0, NULL }
};

/* Pushes "<fn> <dst>" (the dst option as given) and returns it. */
static const char *route_desc(lua_State *L, const char *fn)
{
	lua_getfield(L, 2, "dst");
	/* an MPLS label given as a float (2^20 - 1) reads as an integer */
	if (lua_type(L, -1) == LUA_TNUMBER) {
		lua_Number n = lua_tonumber(L, -1);
		if (n >= 0 && n <= 2147483647. && n == (lua_Number)(int)n) {
			lua_pop(L, 1);
			lua_pushfstring(L, "%d", (int)n);
		}
	}
	return lua_pushfstring(L, "%s %s", fn, lua_tostring(L, -1));
}

/* Shared body of route_add, route_replace and route_del. */
static int route_modify(lua_State *L, const char *fn, int mode)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct nlmsghdr *h;
	rt_msgbuf small;
	rt_req q;
	vn_list *echo;
	size_t len;
	vn_err e;
	int rc;

	memset(&q, 0, sizeof q);
	q.has = vn_opts_check(L, 2, fn, route_keys);
	lua_settop(L, 2);
	lua_pushnil(L);                           /* 3: the next hops' array */
	q.fn = fn;
	q.mode = mode;
	rc = parse_route(L, ns, &q);
	if (rc < 0) {
		const char *what = q.what;
		return vn_fail(L, lua_pushfstring(L, "%s: %s", route_desc(L, fn), what),
			       q.err, NULL);
	}
	h = build_route(L, &q, mode == R_DEL ? RTM_DELROUTE : RTM_NEWROUTE,
			mode == R_ADD ? NLM_F_CREATE | NLM_F_EXCL :
			mode == R_REPLACE ? NLM_F_CREATE | NLM_F_REPLACE :
			/* `ip route change`: only a route that is there */
			mode == R_CHANGE ? NLM_F_REPLACE :
			/* `ip route append`: beside the routes of the same key */
			mode == R_APPEND ? NLM_F_CREATE | NLM_F_APPEND : 0, &small);
	if (mode == R_DEL || vn_deferred(ns)) {
		if (vn_req(ns, h, 0, NULL, &e) < 0)
			return vn_push_err(L, route_desc(L, fn), &e, route_opts);
		lua_pushboolean(L, 1);
		return 1;
	}
	/* the kernel echoes the route it made (NLM_F_ECHO) */
	echo = vn_list_new(L);
	echo->rkeep = keep_echo;
	rc = vn_req(ns, h, VN_ECHO, echo, &e);
	if (rc < 0) {
		vn_list_free(echo);
		return vn_push_err(L, route_desc(L, fn), &e, route_opts);
	}
	if (vn_list_first(echo, &len))
		push_first(L, echo);
	else
		read_back(L, ns, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, q.prio_set);
	vn_list_drop(L, echo);
	return 1;
}

/* ns:route_add{...} -> route | nil, msg, errname
 * ns:route_replace{...} (creates when absent), ns:route_change{...} (ENOENT
 * when there is no route to change, as `ip route change`),
 * ns:route_append{...} (`ip route append`: an IPv6 route of the same key
 * gains a next hop): the same; ns:route_del{...} -> true | nil, msg, errname */
static int ns_route_modify(lua_State *L)
{
	return route_modify(L, VN_MODE_NAME(L), VN_MODE(L));
}

static const vn_mode route_modes[] = {
	{ "route_add", R_ADD }, { "route_replace", R_REPLACE }, { "route_change", R_CHANGE },
	{ "route_append", R_APPEND }, { "route_del", R_DEL }, { NULL, 0 }
};

/***
 * Routes (`ip route`): the `ns:route*` methods of a namespace handle and the
 * `vnet.route` objects they return.
 *
 * Options of `route_add`, `route_replace`, `route_change`, `route_append`
 * and `route_del`, each also a field of a route (named, in one table;
 * defaults follow `ip route add`):
 *
 *  * `dst`: a CIDR or `"default"`
 *  * `gateway`: an address (an IPv6 gateway for an IPv4 route is
 *    `via inet6`); `dev`: a device name or ifindex; `onlink`: boolean
 *  * `src`: the preferred source address; `metric`: the priority
 *  * `table`: a number or an `rt_tables` name (`main`, `local`...)
 *  * `protocol`: a number or an `rt_protos` name (`static`, `boot`...)
 *  * `type`: `unicast`, `local`, `broadcast`, `blackhole`, `unreachable`,
 *    `prohibit`, `throw`, `nat`, `multicast`
 *  * `scope`: `global`, `site`, `link`, `host`, `nowhere`
 *  * `nexthops`: a list of `{ gateway =, dev =, weight = }` (at most 256),
 *    or `nhid`: a nexthop object's id (not with gateway, dev, nexthops)
 *  * `pref`: `"low"`, `"medium"`, `"high"` (IPv6 only)
 *  * the metrics: `mtu` (1-65535), `window`, `rtt` and `rttvar` (ms),
 *    `ssthresh`, `cwnd`, `advmss`, `reordering`, `hoplimit` (0-255),
 *    `initcwnd`, `initrwnd`, `rto_min` (ms), `features` (`"ecn"` or the
 *    bits), `quickack`, `fastopen_no_cookie` (booleans), `congctl` (a name),
 *    and `lock`, the list of the locked metrics
 *  * `family`: `"inet"`, `"inet6"` or `"mpls"` (default: that of `dst`)
 *  * `encap`: the encapsulation of an IP route (also read back as a
 *    field): `{ type = "mpls", labels = { 200, 300 }, ttl = }` (`encap mpls
 *    200/300`; labels 0 to 1048575) or `{ type = "seg6", mode =, segs =
 *    { "2001:db8::1", ... } }` (`encap seg6`; `mode`: `"inline"`,
 *    `"encap"`, `"l2encap"`, `"encap.red"`, `"l2encap.red"`); read back, a
 *    kind vnet does not write is `{ type = <name> }`
 *  * MPLS routes (`family = "mpls"`, `ip -f mpls route`): `dst` is the
 *    incoming label, `newdst` the list of outgoing labels (`as 200/300`),
 *    with `gateway` and `dev`; the metrics and `encap` are not for them.
 *    The namespace needs `net.mpls.platform_labels` set (and the kernel's
 *    mpls modules)
 *
 * Misuse and out-of-range values raise naming the option; what the kernel
 * refuses returns `nil, message, errname`.
 * @module vnet.route
 */

/*** The routes (`ip route show`).
 * @function ns:routes
 * @tparam[opt] table opts `table` (default `main`; `"all"`), `family`,
 *   `dev`, `protocol`, `type`, and `fields`: a list of field names, when
 *   the iterator returns those fields of each route (in that order; the
 *   first one never nil) instead of route objects
 * @return an iterator over `vnet.route` objects (or over the fields)
 */
/*** Adds a route (`ip route add`).
 * @function ns:route_add
 * @tparam table opts the options above
 * @return the `vnet.route` as stored, or `nil, message, errname`
 */
/*** Adds or replaces a route (`ip route replace`).
 * @function ns:route_replace
 * @tparam table opts the options above
 * @return the route, or `nil, message, errname`
 */
/*** Changes a route (`ip route change`).
 * @function ns:route_change
 * @tparam table opts the options above
 * @return the route, or `nil, message, "ENOENT"` when there is none
 */
/*** Appends a route (`ip route append`: an IPv6 route of the same key
 * gains the next hop).
 * @function ns:route_append
 * @tparam table opts the options above
 * @return the route, or `nil, message, errname`
 */
/*** Deletes a route (`ip route del`).
 * @function ns:route_del
 * @tparam table opts the options above that tell the route
 * @return `true`, or `nil, message, errname`
 */
/*** The route the kernel would use (`ip route get`).
 * @function ns:route_get
 * @string addr the destination
 * @tparam[opt] table opts `from`, `iif`, `oif`, `mark`
 * @return a `vnet.route`, or `nil, message, errname`
 */
/* ---- ns:route_get(addr [, opts]) ---------------------------------------- */
/* Like `ip route get`: asks the kernel which route it would use for addr.
 * opts: from (source address), iif, oif (links), mark (integer).
 * -> route | nil, msg, errname */
static int ns_route_get(lua_State *L)
{
	static const char *const keys[] = { "from", "iif", "oif", "mark", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct { struct nlmsghdr h; unsigned char room[256]; } req;
	struct nlmsghdr *h;
	struct rtmsg *rtm;
	vn_ip dst, from;
	lua_Integer mark = 0;
	int has_mark = 0, has_from, iif = 0, oif = 0, family, rc;
	vn_list *l;
	vn_err e;
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
	vn_check_ip(L, 2, "route_get", "address", family, &dst);
	has_from = lua_istable(L, 3) && opt_host(L, 3, "route_get", "from", family, &from);
	h = &req.h;
	rtm = (struct rtmsg *)vn_msg_begin(h, sizeof req, RTM_GETROUTE, 0, sizeof *rtm);
	rtm->rtm_family = (unsigned char)family;
	/* IPv4 reports the table it found the route in only when asked; IPv6
	 * always does and refuses the flag under strict checking */
	if (family == AF_INET)
		rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	rtm->rtm_dst_len = (unsigned char)(dst.len * 8);
	vn_rta_put(h, RTA_DST, dst.b, (size_t)dst.len);
	if (has_from) {
		rtm->rtm_src_len = rtm->rtm_dst_len;
		vn_rta_put(h, RTA_SRC, from.b, (size_t)from.len);
	}
	vn_rta_put_u32_opt(h, RTA_IIF, (uint32_t)iif);
	vn_rta_put_u32_opt(h, RTA_OIF, (uint32_t)oif);
	if (has_mark)
		vn_rta_put_u32(h, RTA_MARK, (uint32_t)mark);
	l = vn_list_new(L);
	l->rkeep = keep_answer;
	rc = vn_req(ns, h, VN_GET, l, &e);
	if (rc < 0) {
		vn_list_free(l);
		return vn_push_err(L, lua_pushfstring(L, "route_get %s", s), &e, get_opts);
	}
	push_first(L, l);
	vn_list_drop(L, l);
	return 1;
}

/* ---- methods ------------------------------------------------------------ */
/* Copies the route message m (len bytes) into out (room for len + RTA_ALIGNTO)
 * without what the kernel derived from a nexthop object: a route that names
 * one (RTA_NH_ID) is shown with its gateway, device, list of next hops and
 * encapsulation, which the kernel refuses beside RTA_NH_ID ("Nexthop
 * specification and nexthop id are mutually exclusive"), and with the type
 * blackhole for a blackhole nexthop, which is not the route's own type (any
 * type is asked for instead). Returns the bytes written. */
static size_t del_msg(unsigned char *out, const unsigned char *m, size_t len)
{
	size_t hl = NLMSG_ALIGN(sizeof(struct rtmsg)), n = hl;
	const struct rtattr *a;
	unsigned int left;
	if (len < hl)
		return 0;
	memset(out, 0, len + RTA_ALIGNTO);
	memcpy(out, m, hl);
	((struct rtmsg *)out)->rtm_type = RTN_UNSPEC;
	left = (unsigned int)(len - hl);
	for (a = (const struct rtattr *)(m + hl); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		switch (a->rta_type & NLA_TYPE_MASK) {
		case RTA_GATEWAY: case RTA_VIA: case RTA_OIF: case RTA_MULTIPATH:
		case RTA_ENCAP: case RTA_ENCAP_TYPE: case RTA_FLOW:
			continue;
		}
		memcpy(out + n, a, a->rta_len);
		n += RTA_ALIGN(a->rta_len);
	}
	return n;
}

/*** A route: the kernel's message, its fields (the options above, and
 * `family`) decoded on access; `tostring` reads like a line of `ip route`;
 * `==` compares the key and the metric.
 * @type route
 */

/*** Deletes the route (its own message sent back).
 * @function route:delete
 * @return `true`, or `nil, message, errname`
 */
/* route:delete() -> true | nil, msg, errname: the route's own message sent
 * back as RTM_DELROUTE (what `ip route flush` does), less what the kernel
 * derived from a nexthop object (del_msg) */
static int m_delete(lua_State *L)
{
	rt_box *b = (rt_box *)vn_check_live(L, 1, VN_ROUTE);
	vn_ns *ns = vn_box_ns(L, 1);
	struct nlmsghdr *m;
	rt_view v;
	vn_err e;
	int rc;
	rt_parse(&v, b->m, b->len);
	/* the route as the kernel gave it, sent back (without its next hop
	 * when it uses a nexthop object, which the kernel refuses beside its
	 * id); made in a userdata, so that nothing leaks if Lua raises */
	m = (struct nlmsghdr *)lua_newuserdata(L, NLMSG_SPACE(b->len) + RTA_ALIGNTO);
	memset(m, 0, NLMSG_HDRLEN);
	m->nlmsg_type = RTM_DELROUTE;
	m->nlmsg_len = (uint32_t)NLMSG_LENGTH(RA(&v, RTA_NH_ID) ?
			del_msg((unsigned char *)NLMSG_DATA(m), b->m, b->len) :
			(memcpy(NLMSG_DATA(m), b->m, b->len), b->len));
	/* an MPLS route: the kernel shows the next hop's state (linkdown,
	 * dead) in rtm_flags and refuses a delete that has any */
	if (v.h->rtm_family == AF_MPLS)
		((struct rtmsg *)NLMSG_DATA(m))->rtm_flags = 0;
	rc = vn_req(ns, m, 0, NULL, &e);
	lua_pop(L, 1);
	if (rc < 0) {
		f_dst(L, b);
		return vn_push_err(L, lua_pushfstring(L, "delete route %s",
						      lua_tostring(L, -1)), &e, NULL);
	}
	lua_pushboolean(L, 1);
	return 1;
}


/* adds the " via GW dev N" of a next hop */
static void add_nh(lua_State *L, luaL_Buffer *buf, int fam, const rt_nh *nh)
{
	if (nh->gw) {
		struct rtvia via;
		via.rtvia_family = AF_UNSPEC;
		if (nh->via && RTA_PAYLOAD(nh->gw) >= sizeof via.rtvia_family)
			memcpy(&via.rtvia_family, RTA_DATA(nh->gw), sizeof via.rtvia_family);
		push_gw(L, fam, nh);
		/* ip names the family of a gateway given by RTA_VIA */
		vn_add_word(L, buf, !nh->via ? "via" : via.rtvia_family == AF_INET6 ? "via inet6"
					     : "via inet");
	}
	if (nh->ifindex > 0) {
		lua_pushinteger(L, nh->ifindex);
		vn_add_word(L, buf, "dev");
	}
}

/* adds the metrics as ip prints them: " mtu lock 1400 rtt 10ms ..." */
static void add_metrics(lua_State *L, luaL_Buffer *buf, const rt_view *v)
{
	uint32_t lock = rt_lock(v);
	char num[48];
	int i;
	for (i = 0; i < NMETRICS; i++) {
		const rt_metric *m = &metrics[i];
		const struct rtattr *a = rt_mx(v, m->rtax);
		uint32_t x = vn_rta_u32(a);
		int locked = (lock >> m->rtax) & 1;
		if (!a && !locked)
			continue;
		luaL_addchar(buf, ' ');
		luaL_addstring(buf, m->name);
		luaL_addstring(buf, locked ? " lock " : " ");
		switch (m->kind) {
		case M_MS: case M_MS8: case M_MS4:
			x = m->kind == M_MS8 ? x / 8 : m->kind == M_MS4 ? x / 4 : x;
			if (x >= 1000)
				snprintf(num, sizeof num, "%gs", x / 1e3);
			else
				snprintf(num, sizeof num, "%lums", (unsigned long)x);
			break;
		case M_FEAT:
			if (x == RTAX_FEATURE_ECN)
				snprintf(num, sizeof num, "ecn");
			else if (x & RTAX_FEATURE_ECN)
				/* (ip then prints all the bits) */
				snprintf(num, sizeof num, "ecn 0x%lx", (unsigned long)x);
			else
				snprintf(num, sizeof num, "0x%lx", (unsigned long)x);
			break;
		case M_STR:
			if (a) {
				push_mx(L, v, m);
				luaL_addvalue(buf);
			}
			continue;
		default:
			snprintf(num, sizeof num, "%lu", (unsigned long)x);
		}
		luaL_addstring(buf, num);
	}
}

/* adds the encapsulation as ip prints it: " encap mpls 200/300 ttl 10",
 * " encap seg6 mode encap segs 2 [ fc00::1 fc00::2 ]" */
static void add_encap(lua_State *L, luaL_Buffer *buf, const rt_view *v)
{
	const struct rtattr *e = RA(v, RTA_ENCAP);
	unsigned t = vn_rta_u16(RA(v, RTA_ENCAP_TYPE));
	if (!RA(v, RTA_ENCAP_TYPE) || t == LWTUNNEL_ENCAP_NONE)
		return;
	luaL_addstring(buf, " encap ");
	if (t >= (unsigned)NENCAP) {
		lua_pushfstring(L, "%d", (int)t);
		luaL_addvalue(buf);
		return;
	}
	luaL_addstring(buf, encap_types[t]);
	if (t == LWTUNNEL_ENCAP_MPLS) {
		const struct rtattr *ttl = vn_rta_nested(e, MPLS_IPTUNNEL_TTL);
		luaL_addchar(buf, ' ');
		add_labels(buf, vn_rta_nested(e, MPLS_IPTUNNEL_DST));
		if (ttl && RTA_PAYLOAD(ttl) >= 1) {
			lua_pushfstring(L, " ttl %d", (int)*(const unsigned char *)RTA_DATA(ttl));
			luaL_addvalue(buf);
		}
	} else if (t == LWTUNNEL_ENCAP_SEG6) {
		const struct ipv6_sr_hdr *srh;
		int i, mode, n = seg6_read(vn_rta_nested(e, SEG6_IPTUNNEL_SRH), &mode, &srh);
		if (n <= 0)
			return;
		if (mode >= 0 && mode <= SEG6_IPTUN_MODE_L2ENCAP_RED)
			lua_pushfstring(L, " mode %s segs %d [", seg6_modes[mode], n);
		else
			lua_pushfstring(L, " mode %d segs %d [", mode, n);
		luaL_addvalue(buf);
		for (i = 0; i < n; i++) {
			vn_push_ip(L, AF_INET6, seg6_seg(srh, n, i), 16, -1);
			lua_pushfstring(L, " %s", lua_tostring(L, -1));
			lua_remove(L, -2);
			luaL_addvalue(buf);
		}
		luaL_addstring(buf, " ]");
	}
}

/* "vnet.route: 10.0.0.0/24 via 10.0.0.1 dev 3 ..." like ip route */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	rt_nh nh;
	rt_nhit it;
	int n, fam;
	VIEW(v, o);

	fam = v.h->rtm_family;
	if (v.h->rtm_type != RTN_UNICAST) {
		push_type(L, v.h->rtm_type);
		luaL_addvalue(buf);
		luaL_addchar(buf, ' ');
	}
	push_dst(L, &v);
	luaL_addvalue(buf);
	if (RA(&v, RTA_NH_ID)) {
		lua_pushinteger(L, (lua_Integer)vn_rta_u32(RA(&v, RTA_NH_ID)));
		vn_add_word(L, buf, "nhid");
	}
	if (RA(&v, RTA_NEWDST)) {
		luaL_addstring(buf, " as to ");
		add_labels(buf, RA(&v, RTA_NEWDST));
	}
	add_encap(L, buf, &v);
	n = rt_nexthops(&v, &nh);
	if (n == 1)
		add_nh(L, buf, fam, &nh);
	if (rt_onlink(&v))
		luaL_addstring(buf, " onlink");
	if (rt_table(&v) != RT_TABLE_MAIN) {
		vn_push_rtname(L, "rt_tables", (long)rt_table(&v));
		vn_add_word(L, buf, "table");
	}
	if (v.h->rtm_protocol) {
		vn_push_rtname(L, "rt_protos", v.h->rtm_protocol);
		vn_add_word(L, buf, "proto");
	}
	if (fam != AF_MPLS) {
		vn_push_scope(L, v.h->rtm_scope);
		vn_add_word(L, buf, "scope");
	}
	if (RA(&v, RTA_PREFSRC)) {
		push_rta_addr(L, fam, RA(&v, RTA_PREFSRC), -1);
		vn_add_word(L, buf, "src");
	}
	if (vn_rta_u32(RA(&v, RTA_PRIORITY))) {
		lua_pushinteger(L, (lua_Integer)vn_rta_u32(RA(&v, RTA_PRIORITY)));
		vn_add_word(L, buf, "metric");
	}
	add_metrics(L, buf, &v);
	if (RA(&v, RTA_PREF) && fam == AF_INET6) {
		g_pref(L, &v);
		vn_add_word(L, buf, "pref");
	}
	rt_nh_begin(&it, &v);
	while (n > 1 && rt_nh_next(&it, &nh)) {
		luaL_addstring(buf, " nexthop");
		add_nh(L, buf, fam, &nh);
		lua_pushinteger(L, nh.weight);
		vn_add_word(L, buf, "weight");
	}
}

static const vn_type route_type = {
	VN_MSGBOX(VN_ROUTE, route_fields, m_summary, rt_same, m_delete),
	.ns_methods = (const luaL_Reg[]){
		{ "routes", ns_routes }, { "route_get", ns_route_get },
		{ NULL, NULL } },
	.modify = ns_route_modify, .modes = route_modes
};

void vn_open_route(lua_State *L)
{
	vn_type_register(L, &route_type);
}
