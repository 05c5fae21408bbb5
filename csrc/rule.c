/*
 * rule.c - policy routing rules: add, delete, list.
 *
 *   ns:rule_add{ from =, to =, iif =, oif =, fwmark =, fwmask =, table =,
 *                priority =, action =, goto =, family =, invert =,
 *                protocol =, tos = (or dsfield =), ipproto =, sport =,
 *                dport =, uidrange =, l3mdev =, suppress_prefixlength =,
 *                suppress_ifgroup = }
 *   ns:rule_del{ ...same... }           rule:delete()
 *   ns:rules{ family =, protocol =, tos =, ipproto =, sport =, dport =,
 *             uidrange =, l3mdev = }    (iterator)
 *
 * Requests are read from the options into an ru_req and written with
 * libnl's message API (build_rule: a fib_rule_hdr and FRA_* attributes,
 * as iproute2 sends them). Rule objects are not libnl objects: each holds
 * the message the kernel sent (a dump, or the echo of rule_add) and decodes
 * fields on access from one attribute walk (ru_parse). rule:delete() sends
 * that message back.
 *
 * rule_add returns the rule the kernel echoes (NLM_F_ECHO): it may have
 * chosen the priority and, for table = 0, the table. The kernel deletes
 * the first rule matching the fields a delete sets, a zero or empty field
 * matching any: rule_del must name one, and rule:delete() checks that no
 * other rule comes first (kernel_takes follows the kernel's rule_find).
 *
 * iif and oif are interface names and are not resolved: a rule may name a
 * device that does not exist yet, as with `ip rule`.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "util.h"

#define VN_RULE "vnet.rule"

/* actions a user may ask for; the FR_ACT_ value is at the same index */
static const char *const actions[] = { "lookup", "goto", "nop", "blackhole",
	"unreachable", "prohibit", NULL };
static const int action_vals[] = { FR_ACT_TO_TBL, FR_ACT_GOTO, FR_ACT_NOP,
	FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE, FR_ACT_PROHIBIT };

static void push_action(lua_State *L, int a)
{
	int i;
	for (i = 0; actions[i]; i++)
		if (action_vals[i] == a) {
			lua_pushstring(L, actions[i]);
			return;
		}
	lua_pushinteger(L, a);
}

/* IP protocol names as /etc/protocols has them (what ip prints) */
static int ipproto_name(int p, char *out, size_t n)
{
	struct protoent pe, *res = NULL;
	char buf[1024];
	if (getprotobynumber_r(p, &pe, buf, sizeof buf, &res) != 0 || !res || !res->p_name)
		return 0;
	snprintf(out, n, "%s", res->p_name);
	return 1;
}

static long ipproto_byname(const char *s)
{
	struct protoent pe, *res = NULL;
	char buf[1024], *end;
	long v = strtol(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end)
		return v;
	if (getprotobyname_r(s, &pe, buf, sizeof buf, &res) != 0 || !res)
		return -1;
	return res->p_proto;
}

static long dsfield_byname(const char *s)
{
	return vn_rtname_lookup("rt_dsfield", s);
}

static long group_byname(const char *s)
{
	return vn_rtname_lookup("group", s);
}

/* a device group by name where the group file has one (vn_push_rtname
 * leaves 0 a number: for tables and protocols it means none) */
static void push_group(lua_State *L, uint32_t g)
{
	if (g == 0 && vn_rtname_lookup("group", "default") == 0)
		lua_pushliteral(L, "default");
	else
		vn_push_rtname(L, "group", (long)g);
}

/* ---- rule messages ------------------------------------------------------ */
/* A rule box (a vn_msgbox) holds the rule as the kernel sent it: its
 * fib_rule_hdr and attributes. */
typedef vn_msgbox ru_box;

#define HDRLEN NLMSG_ALIGN(sizeof(struct fib_rule_hdr))
/* attributes are read up to this type, past FRA_MAX of the headers we are
 * built with: a newer kernel's selectors (FRA_DSCP...) still tell two
 * rules apart */
#define RU_AMAX 40
typedef char ru_amax_fits[RU_AMAX >= FRA_MAX ? 1 : -1];

/* One walk over a rule's attributes (nla_parse; the last of a type wins). */
typedef struct ru_view {
	const struct fib_rule_hdr *h;
	struct nlattr *a[RU_AMAX + 1];
} ru_view;

/* p: a payload of len >= HDRLEN bytes (the keep functions check it) */
static void ru_parse(ru_view *v, const void *p, size_t len)
{
	v->h = (const struct fib_rule_hdr *)p;
	nla_parse(v->a, RU_AMAX, (struct nlattr *)((char *)p + HDRLEN), (int)(len - HDRLEN),
		  NULL);
}

#define RB(o) ((ru_box *)(o))
#define VIEW(v, o) ru_view v; ru_parse(&v, RB(o)->m, RB(o)->len)

static uint32_t a_u32(const struct nlattr *a, uint32_t def)
{
	return a && nla_len(a) >= 4 ? nla_get_u32(a) : def;
}

static unsigned a_u8(const struct nlattr *a)
{
	return a && nla_len(a) >= 1 ? nla_get_u8(a) : 0;
}

/* A rule in one comparable form: what the kernel's rule_find and the
 * families' compare functions look at, with the kernel's meaning of what
 * is absent (a mark without a mask has the full mask, a suppressor -1,
 * the uid range 0-4294967295). Made zeroed, so memcmp compares it. */
typedef struct ru_key {
	uint32_t family, src_len, dst_len, tos, action, invert, table, prio, mark, mask,
		 target, flow, proto, ipproto, l3mdev, splen, sifgroup;
	uint32_t sport[2], dport[2], uid[2];
	uint64_t tun_id;
	char iif[IFNAMSIZ], oif[IFNAMSIZ];
	unsigned char src[16], dst[16];
} ru_key;

static void a_name(const struct nlattr *a, char *out)
{
	size_t n = a ? (size_t)nla_len(a) : 0;
	if (n >= IFNAMSIZ)
		n = IFNAMSIZ - 1;
	if (n)
		memcpy(out, nla_data(a), n);
	out[n] = 0;
}

static void a_ports(const struct nlattr *a, uint32_t out[2])
{
	struct fib_rule_port_range r;
	if (a && nla_len(a) >= (int)sizeof r) {
		memcpy(&r, nla_data(a), sizeof r);
		out[0] = r.start;
		out[1] = r.end;
	}
}

static void a_bytes(const struct nlattr *a, unsigned plen, unsigned char out[16])
{
	size_t n = a ? (size_t)nla_len(a) : 0;
	if (plen && n)
		memcpy(out, nla_data(a), n > 16 ? 16 : n);
}

static void ru_key_of(const ru_view *v, ru_key *k)
{
	const struct fib_rule_hdr *h = v->h;
	memset(k, 0, sizeof *k);
	k->family = h->family;
	k->src_len = h->src_len;
	k->dst_len = h->dst_len;
	k->tos = h->tos;
	k->action = h->action;
	k->invert = (h->flags & FIB_RULE_INVERT) != 0;
	k->table = a_u32(v->a[FRA_TABLE], h->table);
	k->prio = a_u32(v->a[FRA_PRIORITY], 0);
	k->mark = a_u32(v->a[FRA_FWMARK], 0);
	k->mask = a_u32(v->a[FRA_FWMASK], k->mark ? 0xffffffffu : 0);
	k->target = a_u32(v->a[FRA_GOTO], 0);
	k->flow = a_u32(v->a[FRA_FLOW], 0);
	k->proto = a_u8(v->a[FRA_PROTOCOL]);
	k->ipproto = a_u8(v->a[FRA_IP_PROTO]);
	k->l3mdev = a_u8(v->a[FRA_L3MDEV]);
	k->splen = a_u32(v->a[FRA_SUPPRESS_PREFIXLEN], 0xffffffffu);
	k->sifgroup = a_u32(v->a[FRA_SUPPRESS_IFGROUP], 0xffffffffu);
	a_ports(v->a[FRA_SPORT_RANGE], k->sport);
	a_ports(v->a[FRA_DPORT_RANGE], k->dport);
	k->uid[1] = 0xffffffffu;
	if (v->a[FRA_UID_RANGE] && nla_len(v->a[FRA_UID_RANGE]) >= 8)
		memcpy(k->uid, nla_data(v->a[FRA_UID_RANGE]), 8);
	if (v->a[FRA_TUN_ID] && nla_len(v->a[FRA_TUN_ID]) >= 8)
		memcpy(&k->tun_id, nla_data(v->a[FRA_TUN_ID]), 8);
	a_name(v->a[FRA_IIFNAME], k->iif);
	a_name(v->a[FRA_OIFNAME], k->oif);
	a_bytes(v->a[FRA_SRC], h->src_len, k->src);
	a_bytes(v->a[FRA_DST], h->dst_len, k->dst);
}

/* attributes of types past FRA_DPORT_RANGE (newer than this code): the
 * same in a and b, or (some_only) those set in a are in b with its bytes */
static int rest_same(const ru_view *a, const ru_view *b, int some_only)
{
	int t;
	for (t = FRA_DPORT_RANGE + 1; t <= RU_AMAX; t++) {
		const struct nlattr *x = a->a[t], *y = b->a[t];
		if (!x && (some_only || !y))
			continue;
		if (!x || !y || nla_len(x) != nla_len(y) ||
		    memcmp(nla_data(x), nla_data(y), (size_t)nla_len(x)))
			return 0;
	}
	return 1;
}

/* the same rule: every selector and action (the flags the kernel sets on
 * its own, unresolved goto and detached devices, aside) */
static int ru_same_view(const ru_view *a, const ru_view *b)
{
	ru_key x, y;
	ru_key_of(a, &x);
	ru_key_of(b, &y);
	return !memcmp(&x, &y, sizeof x) && rest_same(a, b, 0);
}

static int ru_same(const void *x, const void *y)
{
	ru_view a, b;
	ru_parse(&a, RB(x)->m, RB(x)->len);
	ru_parse(&b, RB(y)->m, RB(y)->len);
	return ru_same_view(&a, &b);
}

/* Whether the kernel would take rule r (rv) for a delete request w (wv):
 * its rule_find compares the priority (a delete always sends one) and those
 * of the other fields that are set in the request, a zero, empty or -1 field
 * matching any rule; the goto target and the flags are not compared. */
static int kernel_takes(const ru_key *w, const ru_key *r, const ru_view *wv,
			const ru_view *rv)
{
	static const uint32_t anyuid[2] = { 0, 0xffffffffu };
	if (r->family != w->family || r->prio != w->prio ||
	    (w->action && r->action != w->action) ||
	    (w->table && r->table != w->table) ||
	    (w->iif[0] && strcmp(r->iif, w->iif)) ||
	    (w->oif[0] && strcmp(r->oif, w->oif)) ||
	    (w->mark && r->mark != w->mark) ||
	    (w->sifgroup != 0xffffffffu && r->sifgroup != w->sifgroup) ||
	    (w->splen != 0xffffffffu && r->splen != w->splen) ||
	    (w->mask && r->mask != w->mask) ||
	    (w->tun_id && r->tun_id != w->tun_id) ||
	    (w->l3mdev && r->l3mdev != w->l3mdev) ||
	    (memcmp(w->uid, anyuid, sizeof anyuid) && memcmp(r->uid, w->uid, sizeof w->uid)) ||
	    (w->ipproto && r->ipproto != w->ipproto) ||
	    (w->proto && r->proto != w->proto) ||
	    ((w->sport[0] || w->sport[1]) && memcmp(r->sport, w->sport, sizeof w->sport)) ||
	    ((w->dport[0] || w->dport[1]) && memcmp(r->dport, w->dport, sizeof w->dport)))
		return 0;
	/* fib4_rule_compare, fib6_rule_compare */
	if ((w->src_len && (r->src_len != w->src_len || memcmp(r->src, w->src, 16))) ||
	    (w->dst_len && (r->dst_len != w->dst_len || memcmp(r->dst, w->dst, 16))) ||
	    (w->tos && r->tos != w->tos) ||
	    (wv->a[FRA_FLOW] && r->flow != w->flow))
		return 0;
	return rest_same(wv, rv, 1);
}

/* ---- fields ------------------------------------------------------------- */
static void push_side(lua_State *L, const ru_view *v, int type, unsigned plen)
{
	const struct nlattr *a = v->a[type];
	if (plen && a)
		vn_push_ip(L, v->h->family, nla_data(a), (size_t)nla_len(a), (int)plen);
	else
		lua_pushnil(L);
}
static void f_from(lua_State *L, void *o)
{
	VIEW(v, o);
	push_side(L, &v, FRA_SRC, v.h->src_len);
}
static void f_to(lua_State *L, void *o)
{
	VIEW(v, o);
	push_side(L, &v, FRA_DST, v.h->dst_len);
}
static void push_name(lua_State *L, const struct nlattr *a)
{
	char s[IFNAMSIZ];
	a_name(a, s);
	if (*s) lua_pushstring(L, s); else lua_pushnil(L);
}
static void f_iif(lua_State *L, void *o)
{
	VIEW(v, o);
	push_name(L, v.a[FRA_IIFNAME]);
}
static void f_oif(lua_State *L, void *o)
{
	VIEW(v, o);
	push_name(L, v.a[FRA_OIFNAME]);
}
static void f_fwmark(lua_State *L, void *o)
{
	ru_key k;
	VIEW(v, o);
	ru_key_of(&v, &k);
	if (k.mark || k.mask) lua_pushinteger(L, (lua_Integer)k.mark); else lua_pushnil(L);
}
static void f_fwmask(lua_State *L, void *o)
{
	ru_key k;
	VIEW(v, o);
	ru_key_of(&v, &k);
	if (k.mark || k.mask) lua_pushinteger(L, (lua_Integer)k.mask); else lua_pushnil(L);
}
static uint32_t ru_table(const ru_view *v)
{
	return a_u32(v->a[FRA_TABLE], v->h->table);
}
static void f_table(lua_State *L, void *o)
{
	VIEW(v, o);
	if (ru_table(&v)) vn_push_rtname(L, "rt_tables", (long)ru_table(&v)); else lua_pushnil(L);
}
static void f_priority(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushinteger(L, (lua_Integer)a_u32(v.a[FRA_PRIORITY], 0));
}
static void f_action(lua_State *L, void *o)
{
	push_action(L, ((const struct fib_rule_hdr *)RB(o)->m)->action);
}
static void f_goto(lua_State *L, void *o)
{
	VIEW(v, o);
	if (v.h->action == FR_ACT_GOTO)
		lua_pushinteger(L, (lua_Integer)a_u32(v.a[FRA_GOTO], 0));
	else
		lua_pushnil(L);
}
static void f_family(lua_State *L, void *o)
{
	vn_push_family(L, ((const struct fib_rule_hdr *)RB(o)->m)->family);
}
static void f_protocol(lua_State *L, void *o)
{
	VIEW(v, o);
	vn_push_rtname(L, "rt_protos", (long)a_u8(v.a[FRA_PROTOCOL]));
}
static void f_invert(lua_State *L, void *o)
{
	lua_pushboolean(L, (((const struct fib_rule_hdr *)RB(o)->m)->flags & FIB_RULE_INVERT) != 0);
}

static void f_tos(lua_State *L, void *o)
{
	unsigned t = ((const struct fib_rule_hdr *)RB(o)->m)->tos;
	if (t) lua_pushinteger(L, (lua_Integer)t); else lua_pushnil(L);
}
static void push_ipproto(lua_State *L, unsigned p)
{
	char name[64];
	if (ipproto_name((int)p, name, sizeof name))
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, (lua_Integer)p);
}
static void f_ipproto(lua_State *L, void *o)
{
	VIEW(v, o);
	if (a_u8(v.a[FRA_IP_PROTO])) push_ipproto(L, a_u8(v.a[FRA_IP_PROTO])); else lua_pushnil(L);
}
/* a range as given: a number when it is one value (ports), else { from, to } */
static void push_range(lua_State *L, const uint32_t r[2], int one)
{
	if (one && r[0] == r[1]) {
		lua_pushinteger(L, (lua_Integer)r[0]);
		return;
	}
	lua_createtable(L, 2, 0);
	lua_pushinteger(L, (lua_Integer)r[0]);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, (lua_Integer)r[1]);
	lua_rawseti(L, -2, 2);
}
static void f_ports(lua_State *L, void *o, int type)
{
	uint32_t r[2] = { 0, 0 };
	VIEW(v, o);
	a_ports(v.a[type], r);
	if (r[0] || r[1]) push_range(L, r, 1); else lua_pushnil(L);
}
static void f_sport(lua_State *L, void *o)
{
	f_ports(L, o, FRA_SPORT_RANGE);
}
static void f_dport(lua_State *L, void *o)
{
	f_ports(L, o, FRA_DPORT_RANGE);
}
static void f_uidrange(lua_State *L, void *o)
{
	ru_key k;
	VIEW(v, o);
	ru_key_of(&v, &k);
	if (v.a[FRA_UID_RANGE]) push_range(L, k.uid, 0); else lua_pushnil(L);
}
static void f_l3mdev(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushboolean(L, a_u8(v.a[FRA_L3MDEV]) != 0);
}
static void f_splen(lua_State *L, void *o)
{
	uint32_t n;
	VIEW(v, o);
	n = a_u32(v.a[FRA_SUPPRESS_PREFIXLEN], 0xffffffffu);
	if (n != 0xffffffffu) lua_pushinteger(L, (lua_Integer)n); else lua_pushnil(L);
}
static void f_sifgroup(lua_State *L, void *o)
{
	uint32_t n;
	VIEW(v, o);
	n = a_u32(v.a[FRA_SUPPRESS_IFGROUP], 0xffffffffu);
	if (n != 0xffffffffu) push_group(L, n); else lua_pushnil(L);
}

static const vn_field rule_fields[] = {
	{ "from", f_from }, { "to", f_to }, { "iif", f_iif }, { "oif", f_oif },
	{ "fwmark", f_fwmark }, { "fwmask", f_fwmask }, { "table", f_table },
	{ "priority", f_priority }, { "action", f_action }, { "goto", f_goto },
	{ "family", f_family }, { "invert", f_invert }, { "protocol", f_protocol },
	{ "tos", f_tos }, { "ipproto", f_ipproto }, { "sport", f_sport },
	{ "dport", f_dport }, { "uidrange", f_uidrange }, { "l3mdev", f_l3mdev },
	{ "suppress_prefixlength", f_splen }, { "suppress_ifgroup", f_sifgroup },
	{ NULL, NULL }
};

/* ---- dumps -------------------------------------------------------------- */
/* Whether h is a rule of ours (inet or inet6); v is filled. */
static int ru_msg(const struct nlmsghdr *h, ru_view *v)
{
	const struct fib_rule_hdr *frh;
	if (h->nlmsg_type != RTM_NEWRULE || h->nlmsg_len < NLMSG_LENGTH(HDRLEN))
		return 0;
	frh = (const struct fib_rule_hdr *)NLMSG_DATA(h);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return 0;
	ru_parse(v, frh, h->nlmsg_len - NLMSG_HDRLEN);
	return 1;
}

/* what ns:rules{} keeps: -1 (the ranges: has_*) where any will do */
struct rule_filter {
	int family, proto, tos, ipproto, l3mdev, has_sport, has_dport, has_uid;
	uint32_t sport[2], dport[2], uid[2];
};

/* Reads an 8-bit option given as a number 0-255 or a name (byname gives
 * its number, or -1) into *out; returns whether it was given. what names
 * the expected value ("an rt_dsfield name"), noun an unknown one
 * ("rt_dsfield name"). */
static int opt_u8(lua_State *L, int idx, const char *fn, const char *key,
		  long (*byname)(const char *), const char *what, const char *noun,
		  int *out)
{
	lua_Integer v = -1;
	size_t n;
	const char *s;
	if (!vn_opt_get(L, idx, key))
		return 0;
	switch (lua_type(L, -1)) {
	case LUA_TNUMBER:
		if (!vn_num_integer(L, -1, &v) || v < 0 || v > 255)
			luaL_error(L, "%s: option '%s' must be %s or a number 0-255", fn, key, what);
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, -1, &n);
		if (strlen(s) == n)
			v = (lua_Integer)byname(s);
		if (v < 0 || v > 255)
			luaL_error(L, "%s: option '%s': unknown %s '%s'", fn, key, noun, s);
		break;
	default:
		luaL_error(L, "%s: option '%s' must be %s or a number 0-255, got %s", fn, key,
			   what, luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	*out = (int)v;
	return 1;
}

/* option tos, or its other name dsfield (as ip has both) */
static int opt_tos(lua_State *L, int idx, const char *fn, int *out)
{
	int t = opt_u8(L, idx, fn, "tos", dsfield_byname, "an rt_dsfield name",
			"rt_dsfield name", out);
	int d = opt_u8(L, idx, fn, "dsfield", dsfield_byname, "an rt_dsfield name",
			"rt_dsfield name", out);
	if (t && d)
		luaL_error(L, "%s: give either 'tos' or 'dsfield' (the same field), not both", fn);
	return t || d;
}

static int opt_ipproto(lua_State *L, int idx, const char *fn, int *out)
{
	return opt_u8(L, idx, fn, "ipproto", ipproto_byname,
		      "an IP protocol name ('tcp', 'udp', 'icmp'...)", "IP protocol", out);
}

/* The string at idx, "from-to" or "n" (decimal, at most 10 digits each),
 * into v (left -1 when it is neither) */
static void parse_range(lua_State *L, int idx, lua_Integer v[2])
{
	size_t i = 0, n;
	const char *s = lua_tolstring(L, idx, &n);
	int k;
	for (k = 0; k < 2; k++) {
		size_t start = i;
		lua_Integer x = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 10)
			x = x * 10 + (s[i++] - '0');
		if (i == start || (i < n && s[i] >= '0' && s[i] <= '9'))
			return;
		v[k] = x;
		if (k == 0 && i == n) {
			v[1] = x;
			return;
		}
		if (k == 0 && s[i++] != '-')
			break;
	}
	if (i != n)
		v[0] = v[1] = -1;
}

/* A range option: a number, { from, to } or "from-to", each value in
 * 0..max with from <= to, into out; returns whether it was given. */
static int opt_range(lua_State *L, int idx, const char *fn, const char *key,
		     lua_Integer max, const char *what, uint32_t out[2])
{
	lua_Integer v[2] = { -1, -1 };
	int i;
	if (!vn_opt_get(L, idx, key))
		return 0;
	switch (lua_type(L, -1)) {
	case LUA_TNUMBER:
		if (vn_num_integer(L, -1, &v[0]))
			v[1] = v[0];
		break;
	case LUA_TTABLE:
		if (lua_rawlen(L, -1) != 2)
			break;
		for (i = 0; i < 2; i++) {
			lua_rawgeti(L, -1, i + 1);
			if (lua_type(L, -1) == LUA_TNUMBER && !vn_num_integer(L, -1, &v[i]))
				v[i] = -1;
			lua_pop(L, 1);
		}
		break;
	case LUA_TSTRING:
		parse_range(L, -1, v);
		break;
	default:
		luaL_error(L, "%s: option '%s' must be %s, { from, to } or 'from-to', got %s",
			   fn, key, what, luaL_typename(L, -1));
	}
	if (v[0] < 0 || v[1] < 0 || v[0] > max || v[1] > max || v[0] > v[1])
		luaL_error(L, "%s: option '%s' must be %s, { from, to } or 'from-to' "
			   "(from <= to)", fn, key, what);
	lua_pop(L, 1);
	out[0] = (uint32_t)v[0];
	out[1] = (uint32_t)v[1];
	return 1;
}

#define PORT "a port 0-65535"
#define UID "a uid 0-4294967295"

/* Reads option 'protocol' (a number or an rt_protos name) into *out;
 * returns whether it was given. */
static int opt_protocol(lua_State *L, int idx, const char *fn, int *out)
{
	uint32_t v;
	if (!vn_opt_rtname(L, idx, fn, "protocol", "rt_protos", 255, &v))
		return 0;
	*out = (int)v;
	return 1;
}

/* The key of the rule message h: 1 with *k set, 0 when h is no rule. */
static int ru_msg_key(const struct nlmsghdr *h, ru_key *k)
{
	ru_view v;
	if (!ru_msg(h, &v))
		return 0;
	ru_key_of(&v, k);
	return 1;
}

static int keep_rule(const struct nlmsghdr *h, void *arg)
{
	struct rule_filter *f = (struct rule_filter *)arg;
	ru_key k;
	if (!ru_msg_key(h, &k))
		return 0;
	return (!f->family || (int)k.family == f->family) &&
	       (f->proto < 0 || (int)k.proto == f->proto) &&
	       (f->tos < 0 || (int)k.tos == f->tos) &&
	       (f->ipproto < 0 || (int)k.ipproto == f->ipproto) &&
	       (f->l3mdev < 0 || (k.l3mdev != 0) == f->l3mdev) &&
	       (!f->has_sport || !memcmp(k.sport, f->sport, sizeof k.sport)) &&
	       (!f->has_dport || !memcmp(k.dport, f->dport, sizeof k.dport)) &&
	       (!f->has_uid || !memcmp(k.uid, f->uid, sizeof k.uid));
}

/* Dumps the rules of family (AF_UNSPEC: all) into the raw list l, keeping
 * those keep accepts. 0 or -errno. */
static int rule_dump(vn_ns *ns, int family, int (*keep)(const struct nlmsghdr *, void *),
		     void *arg, vn_list *l, vn_err *e)
{
	struct { struct nlmsghdr h; struct fib_rule_hdr frh; } q = {
		{ .nlmsg_len = sizeof q, .nlmsg_type = RTM_GETRULE },
		{ .family = (unsigned char)family } };
	l->rkeep = keep;
	l->arg = arg;
	return vn_req(ns, &q.h, VN_DUMP, l, e);
}

/* The options of rule_add and rule_del, by the attribute each one makes
 * (for errors where the kernel points at one). */
static const vn_optname rule_opts[] = {
	{ FRA_TABLE, "table" }, { FRA_SRC, "from" }, { FRA_DST, "to" },
	{ FRA_FWMARK, "fwmark" }, { FRA_FWMASK, "fwmask" }, { FRA_PRIORITY, "priority" },
	{ FRA_IIFNAME, "iif" }, { FRA_OIFNAME, "oif" }, { FRA_GOTO, "goto" },
	{ FRA_PROTOCOL, "protocol" }, { FRA_IP_PROTO, "ipproto" },
	{ FRA_SPORT_RANGE, "sport" }, { FRA_DPORT_RANGE, "dport" },
	{ FRA_UID_RANGE, "uidrange" }, { FRA_L3MDEV, "l3mdev" },
	{ FRA_SUPPRESS_PREFIXLEN, "suppress_prefixlength" },
	{ FRA_SUPPRESS_IFGROUP, "suppress_ifgroup" }, { 0, NULL }
};

/* Pushes a rule box holding a copy of the payload p (len bytes). */
static void push_rule(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_RULE, p, len, nsidx);
}

/***
 * Policy routing rules (`ip rule`): the `ns:rule_*` methods of a namespace
 * handle and the `vnet.rule` objects they return.
 *
 * Options of `rule_add` and `rule_del`, each also a field of a rule (named,
 * in one table; a value out of range raises naming it, one the kernel
 * refuses returns `nil, message, "EINVAL"`):
 *
 *  * `from`, `to`: a CIDR (`"192.168.1.10/32"`) or `"all"`
 *  * `iif`, `oif`: device names
 *  * `fwmark`, `fwmask`: 0 to 2^32-1
 *  * `table`: a number or an `rt_tables` name (default `main` for lookup)
 *  * `priority`: 0 to 2^32-1 (left out, the kernel picks one)
 *  * `action`: `"lookup"` (the default), `"goto"` (with `goto` = a
 *    priority), `"nop"`, `"blackhole"`, `"unreachable"`, `"prohibit"`
 *  * `family`: `"inet"` (default) or `"inet6"`; `invert`: boolean (`not`)
 *  * `protocol`: 0-255 or an `rt_protos` name
 *  * `tos` (or `dsfield`): 0-255 or an `rt_dsfield` name
 *  * `ipproto`: a name from /etc/protocols or 0-255
 *  * `sport`, `dport`: a port, `{ lo, hi }` or `"lo-hi"`
 *  * `uidrange`: `{ lo, hi }` or `"lo-hi"`
 *  * `l3mdev`: boolean (not with `table`)
 *  * `suppress_prefixlength`: 0-128; `suppress_ifgroup`: a number or a
 *    `group` name
 *
 * `rule_del` removes the first rule the kernel matches with the fields it
 * names, and must name at least one of them (else it raises: `rule_del{}`
 * would remove `0: from all lookup local`).
 * @module vnet.rule
 */

/*** Adds a rule (`ip rule add`).
 * @function ns:rule_add
 * @tparam table opts the options above
 * @return the `vnet.rule` the kernel echoes (with the priority it chose,
 *   and for IPv4 `table = 0` the free table it picked), or `nil, message,
 *   errname`
 */

/*** Deletes the first rule matching the fields given (`ip rule del`).
 * @function ns:rule_del
 * @tparam table opts the options above (at least one)
 * @return `true`, or `nil, message, errname`
 */

/*** The rules whose fields are those given (`ip rule show`).
 * @function ns:rules
 * @tparam[opt] table opts `family`, `protocol`, `tos`, `ipproto`, `sport`,
 *   `dport`, `uidrange`, `l3mdev`
 * @return an iterator over `vnet.rule` objects, or `nil, message, errname`
 */

/*** A policy rule: the kernel's message, so it keeps every selector the
 * kernel reports. Its fields are the options above; `tostring` is
 * `ip rule`'s line; `==` tells rules apart by all their selectors.
 * @type rule
 */

/*** Deletes this rule only: when an earlier rule would match its request,
 * it returns `nil, message, "ENOTUNIQ"` naming that rule and removes
 * nothing.
 * @function rule:delete
 * @return `true`, or `nil, message, errname`
 */
/* ns:rules([{ family =, protocol =, tos =, ipproto =, sport =, dport =,
 * uidrange =, l3mdev = }]) -> iterator over rules | nil, msg, errname: the
 * rules whose fields are those given (a port range as given) */
static int ns_rules(lua_State *L)
{
	static const char *const keys[] = { "family", "protocol", "tos", "dsfield",
		"ipproto", "sport", "dport", "uidrange", "l3mdev", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rule_filter f;
	vn_list *l;
	vn_err e;
	memset(&f, 0, sizeof f);
	f.proto = f.tos = f.ipproto = f.l3mdev = -1;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "rules", keys);
		opt_protocol(L, 2, "rules", &f.proto);
		opt_tos(L, 2, "rules", &f.tos);
		opt_ipproto(L, 2, "rules", &f.ipproto);
		vn_opt_bool(L, 2, "rules", "l3mdev", &f.l3mdev);
		f.has_sport = opt_range(L, 2, "rules", "sport", 65535, PORT, f.sport);
		f.has_dport = opt_range(L, 2, "rules", "dport", 65535, PORT, f.dport);
		f.has_uid = opt_range(L, 2, "rules", "uidrange", 0xffffffffLL, UID, f.uid);
		if (vn_opt_family(L, 2, "rules", "family", &f.family) &&
		    f.family != AF_INET && f.family != AF_INET6)
			f.family = AF_UNSPEC;
	}
	l = vn_list_new(L);
	return vn_push_dump(L, l, rule_dump(ns, f.family, keep_rule, &f, l, &e), &e, "rules",
			    push_rule, 1);
}

/* ---- reading a request from options -------------------------------------- */
static const char *const rule_keys[] = { "from", "to", "iif", "oif", "fwmark",
	"fwmask", "table", "priority", "action", "goto", "family", "invert",
	"protocol", "tos", "dsfield", "ipproto", "sport", "dport", "uidrange",
	"l3mdev", "suppress_prefixlength", "suppress_ifgroup", NULL };

static int is_all(lua_State *L, int idx, const char *fn, const char *key)
{
	int all;
	lua_getfield(L, idx, key);
	all = lua_type(L, -1) == LUA_TSTRING &&
		vn_check_str(L, -1, fn, key, 0) &&
		(!strcmp(lua_tostring(L, -1), "all") ||
		!strcmp(lua_tostring(L, -1), "default") || !strcmp(lua_tostring(L, -1), "any"));
	lua_pop(L, 1);
	return all;
}

/* A request read from options (nothing allocated: it can raise at any
 * point). selects counts the options that narrow which rule a delete
 * matches (the kernel takes an absent or zero value as "any"). */
typedef struct ru_req {
	int family, action;     /* action -1: not given */
	int invert, prio_set, mark_set, mask_set, proto_set, table_set, selects;
	int tos, ipproto, l3mdev, splen_set, sifgroup_set, sport_set, dport_set, uid_set;
	uint32_t prio, table, mark, mask, target, proto, splen, sifgroup;
	uint32_t sport[2], dport[2], uid[2];
	char iif[IFNAMSIZ], oif[IFNAMSIZ];
	vn_ip src, dst;         /* len 0: none */
} ru_req;

/* option suppress_ifgroup: a device group, a number 0-2147483647 or a name
 * from iproute2's group file */
static int opt_group(lua_State *L, int idx, const char *fn, uint32_t *out)
{
	lua_Integer v = -1;
	size_t n;
	const char *s;
	lua_getfield(L, idx, "suppress_ifgroup");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1)) {
		v = lua_tointeger(L, -1);
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		s = lua_tolstring(L, -1, &n);
		if (strlen(s) == n)
			v = (lua_Integer)group_byname(s);
		if (v < 0)
			luaL_error(L, "%s: option 'suppress_ifgroup': unknown group '%s'", fn, s);
	}
	if (v < 0 || v > 0x7fffffffLL)
		luaL_error(L, "%s: option 'suppress_ifgroup' must be a group name or a "
			   "number 0-2147483647", fn);
	lua_pop(L, 1);
	*out = (uint32_t)v;
	return 1;
}

/* Fills q from the options at 2. May raise. */
static void parse_rule(lua_State *L, ru_req *q, const char *fn, int adding)
{
	static const char *const addrs[] = { "from", "to", NULL };
	static const char *const ifs[] = { "iif", "oif", NULL };
	lua_Integer n;
	int i, act = -1;
	const char *s;
	char name[256];

	if (vn_opt_family(L, 2, fn, "family", &q->family) &&
	    q->family != AF_INET && q->family != AF_INET6)
		luaL_error(L, "%s: option 'family' must be 'inet' or 'inet6'", fn);
	if (!q->family) q->family = vn_str_family(L, 2, "from");
	if (!q->family) q->family = vn_str_family(L, 2, "to");
	if (!q->family) q->family = AF_INET;

	q->table_set = vn_opt_table(L, 2, fn, "table", &q->table);
	if (vn_opt_enum(L, 2, fn, "action", actions, &i))
		act = action_vals[i];
	if (q->table_set && q->table)
		q->selects++;
	if ((q->prio_set = vn_opt_int(L, 2, fn, "priority", 0, 0xffffffffLL, &n))) {
		q->prio = (uint32_t)n;
		q->selects++;
	}
	if ((q->proto_set = opt_protocol(L, 2, fn, &i))) {
		q->proto = (uint32_t)i;
		q->selects += i != 0;
	}
	if ((q->mark_set = vn_opt_int(L, 2, fn, "fwmark", 0, 0xffffffffLL, &n))) {
		q->mark = (uint32_t)n;
		q->selects += n != 0;
	}
	if ((q->mask_set = vn_opt_int(L, 2, fn, "fwmask", 0, 0xffffffffLL, &n))) {
		q->mask = (uint32_t)n;
		q->selects += n != 0;
	}
	if (vn_opt_int(L, 2, fn, "goto", 1, 0xffffffffLL, &n)) {
		if (act >= 0 && act != FR_ACT_GOTO)
			luaL_error(L, "%s: option 'goto' needs action 'goto'", fn);
		act = FR_ACT_GOTO;
		q->target = (uint32_t)n;
		q->selects++;
	} else if (act == FR_ACT_GOTO) {
		luaL_error(L, "%s: action 'goto' needs option 'goto' (a priority)", fn);
	}
	vn_opt_bool(L, 2, fn, "invert", &q->invert);
	if (opt_tos(L, 2, fn, &q->tos))
		q->selects += q->tos != 0;
	if (opt_ipproto(L, 2, fn, &q->ipproto))
		q->selects += q->ipproto != 0;
	q->selects += (q->sport_set = opt_range(L, 2, fn, "sport", 65535, PORT, q->sport));
	q->selects += (q->dport_set = opt_range(L, 2, fn, "dport", 65535, PORT, q->dport));
	q->selects += (q->uid_set = opt_range(L, 2, fn, "uidrange", 0xffffffffLL, UID, q->uid));
	if (vn_opt_bool(L, 2, fn, "l3mdev", &q->l3mdev) && q->l3mdev) {
		/* the table is the l3mdev's: the kernel refuses both */
		if (q->table_set)
			luaL_error(L, "%s: give either 'l3mdev' or 'table', not both", fn);
		q->selects++;
	}
	if ((q->splen_set = vn_opt_int(L, 2, fn, "suppress_prefixlength", 0, 128, &n))) {
		q->splen = (uint32_t)n;
		q->selects++;
	}
	if ((q->sifgroup_set = opt_group(L, 2, fn, &q->sifgroup)))
		q->selects++;
	for (i = 0; ifs[i]; i++)
		if ((s = vn_opt_str(L, 2, fn, ifs[i], name, sizeof name))) {
			vn_check_ifname(L, s, fn, lua_pushfstring(L, "option '%s'", ifs[i]));
			lua_pop(L, 1);
			snprintf(i == 0 ? q->iif : q->oif, IFNAMSIZ, "%s", s);
			q->selects++;
		}
	if (q->table_set && act >= 0 && act != FR_ACT_TO_TBL)
		luaL_error(L, "%s: option 'table' goes with action 'lookup'", fn);
	if (adding && act < 0)
		act = FR_ACT_TO_TBL;
	if (adding && act == FR_ACT_TO_TBL && !q->table_set && !q->l3mdev)
		q->table = RT_TABLE_MAIN, q->table_set = 1;
	q->action = act;
	for (i = 0; addrs[i]; i++) {
		vn_ip *a = i == 0 ? &q->src : &q->dst;
		if (is_all(L, 2, fn, addrs[i]) || !vn_opt_ip(L, 2, fn, addrs[i], q->family, a))
			continue;
		if (!a->len || !a->plen)
			a->len = 0;     /* a zero prefix selects nothing */
		else
			q->selects++;
	}
}

/* Writes q as a message of type and flags with libnl's message API, as
 * iproute2 sends it. Returns NULL when memory runs out. */
static struct nl_msg *build_rule(const ru_req *q, int type, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);
	struct fib_rule_hdr frh;
	struct fib_rule_port_range sp, dp;
	struct fib_rule_uid_range uid;
	if (!msg)
		return NULL;
	memset(&frh, 0, sizeof frh);
	frh.family = (unsigned char)q->family;
	frh.src_len = (unsigned char)(q->src.len ? q->src.plen : 0);
	frh.dst_len = (unsigned char)(q->dst.len ? q->dst.plen : 0);
	frh.table = (unsigned char)(q->table < 256 ? q->table : RT_TABLE_UNSPEC);
	frh.action = (unsigned char)(q->action > 0 ? q->action : FR_ACT_UNSPEC);
	frh.flags = q->invert ? FIB_RULE_INVERT : 0;
	frh.tos = (unsigned char)q->tos;
	sp.start = (uint16_t)q->sport[0];
	sp.end = (uint16_t)q->sport[1];
	dp.start = (uint16_t)q->dport[0];
	dp.end = (uint16_t)q->dport[1];
	uid.start = q->uid[0];
	uid.end = q->uid[1];
	if (nlmsg_append(msg, &frh, sizeof frh, NLMSG_ALIGNTO) < 0 ||
	    (q->table_set && nla_put_u32(msg, FRA_TABLE, q->table) < 0) ||
	    (q->src.len && nla_put(msg, FRA_SRC, q->src.len, q->src.b) < 0) ||
	    (q->dst.len && nla_put(msg, FRA_DST, q->dst.len, q->dst.b) < 0) ||
	    (q->mark_set && nla_put_u32(msg, FRA_FWMARK, q->mark) < 0) ||
	    (q->mask_set && nla_put_u32(msg, FRA_FWMASK, q->mask) < 0) ||
	    (q->prio_set && nla_put_u32(msg, FRA_PRIORITY, q->prio) < 0) ||
	    (q->iif[0] && nla_put_string(msg, FRA_IIFNAME, q->iif) < 0) ||
	    (q->oif[0] && nla_put_string(msg, FRA_OIFNAME, q->oif) < 0) ||
	    (q->target && nla_put_u32(msg, FRA_GOTO, q->target) < 0) ||
	    (q->proto_set && nla_put_u8(msg, FRA_PROTOCOL, (uint8_t)q->proto) < 0) ||
	    (q->ipproto && nla_put_u8(msg, FRA_IP_PROTO, (uint8_t)q->ipproto) < 0) ||
	    (q->sport_set && nla_put(msg, FRA_SPORT_RANGE, sizeof sp, &sp) < 0) ||
	    (q->dport_set && nla_put(msg, FRA_DPORT_RANGE, sizeof dp, &dp) < 0) ||
	    (q->uid_set && nla_put(msg, FRA_UID_RANGE, sizeof uid, &uid) < 0) ||
	    (q->l3mdev && nla_put_u8(msg, FRA_L3MDEV, 1) < 0) ||
	    (q->splen_set && nla_put_u32(msg, FRA_SUPPRESS_PREFIXLEN, q->splen) < 0) ||
	    (q->sifgroup_set && nla_put_u32(msg, FRA_SUPPRESS_IFGROUP, q->sifgroup) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- add / delete ------------------------------------------------------- */
/* The rule a request made, for reading it back when its echo was lost: every
 * field it gave, with the kernel's own choices (a priority, the table of
 * `table = 0`, the full mask of a mark) where it gave none. */
struct rule_match { ru_key want; const ru_req *q; };

static int keep_match(const struct nlmsghdr *h, void *arg)
{
	struct rule_match *m = (struct rule_match *)arg;
	ru_key k;
	if (!ru_msg_key(h, &k))
		return 0;
	/* what the kernel chose */
	if (!m->q->prio_set)
		k.prio = m->want.prio;
	if (!m->want.table)
		k.table = 0;
	return !memcmp(&k, &m->want, sizeof k);
}

/* the echo of a new rule */
static int keep_echo(const struct nlmsghdr *h, void *arg)
{
	ru_view v;
	(void)arg;
	return ru_msg(h, &v);
}

/* After the rule q made (m->want: the key of its request) was acked without
 * an echo we could keep (memory ran out while it was read), finds it by a
 * dump. Pushes it and returns 1; returns 0 when it cannot be told apart
 * (nothing pushed). */
static int read_back(lua_State *L, vn_ns *ns, struct rule_match *m, const ru_req *q,
		     vn_list *l)
{
	const void *p;
	size_t len;
	m->q = q;
	vn_list_free(l);
	l->oom = 0;
	if (rule_dump(ns, q->family, keep_match, m, l, NULL) < 0 || l->n != 1 ||
	    !(p = vn_list_first(l, &len)))
		return 0;
	push_rule(L, p, len, 1);
	return 1;
}

static int rule_modify(lua_State *L, const char *fn, int adding)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct nl_msg *msg;
	vn_list *l = NULL;
	struct rule_match m;
	const void *p;
	size_t len;
	ru_req q;
	vn_err e;
	int rc;

	vn_opts_check(L, 2, fn, rule_keys);
	lua_settop(L, 2);
	memset(&q, 0, sizeof q);
	parse_rule(L, &q, fn, adding);
	/* the kernel deletes the first rule that matches what a delete names:
	 * naming nothing would remove `0: from all lookup local` */
	if (!adding && !q.selects)
		return luaL_error(L, "%s: name the rule to delete: give at least one of "
				  "'priority', 'from', 'to', 'table', 'fwmark', 'fwmask', "
				  "'iif', 'oif', 'goto', 'protocol', 'tos', 'ipproto', "
				  "'sport', 'dport', 'uidrange', 'l3mdev' or 'suppress_*' "
				  "(an empty selector would remove the first rule, the "
				  "local one)", fn);
	if (adding && !vn_deferred(ns))
		l = vn_list_new(L);                          /* 3 */
	/* nothing below raises until msg is freed */
	msg = build_rule(&q, adding ? RTM_NEWRULE : RTM_DELRULE,
			 adding ? NLM_F_CREATE | NLM_F_EXCL : 0);
	if (!msg)
		return vn_fail(L, fn, ENOMEM, NULL);
	/* the kernel echoes the rule it made (NLM_F_ECHO), with the priority
	 * and table it chose */
	if (l)
		l->rkeep = keep_echo;
	rc = vn_req(ns, nlmsg_hdr(msg), l ? VN_ECHO : 0, l, &e);
	if (rc < 0) {
		nlmsg_free(msg);
		if (l)
			vn_list_free(l);
		return vn_push_err(L, fn, &e, rule_opts);
	}
	if (!l) {
		nlmsg_free(msg);
		lua_pushboolean(L, 1);
		return 1;
	}
	/* what the request asked for, kept before msg is freed (pushing may
	 * raise) */
	{
		struct nlmsghdr *h = nlmsg_hdr(msg);
		ru_view v;
		ru_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
		ru_key_of(&v, &m.want);
		nlmsg_free(msg);
	}
	if ((p = vn_list_first(l, &len))) {
		push_rule(L, p, len, 1);
	} else {
		if (!read_back(L, ns, &m, &q, l)) {
			vn_list_free(l);
			return vn_fail(L, "rule_add: the rule was added but could not be "
				       "read back", ENOMEM, NULL);
		}
	}
	vn_list_drop(L, l);
	return 1;
}

/* ns:rule_add{...} -> rule | nil, msg, errname (action defaults to lookup
 * and table to main, as with `ip rule add`); ns:rule_del{...} -> true |
 * nil, msg, errname (the first rule matching the given fields is removed).
 * The mode: whether it adds. */
static int ns_rule_set(lua_State *L)
{
	return rule_modify(L, VN_MODE_NAME(L), VN_MODE(L));
}

static const vn_mode rule_modes[] = { { "rule_add", 1 }, { "rule_del", 0 }, { NULL, 0 } };

static void add_rule(lua_State *L, luaL_Buffer *buf, const ru_view *v);

/* a delete being checked: the rule it sends */
struct rule_del { ru_view v; ru_key k; };

/* keeps the rules the kernel would take for the delete, in its order */
static int keep_taker(const struct nlmsghdr *h, void *arg)
{
	const struct rule_del *d = (const struct rule_del *)arg;
	ru_view v;
	ru_key k;
	if (!ru_msg(h, &v))
		return 0;
	ru_key_of(&v, &k);
	return kernel_takes(&d->k, &k, &d->v, &v);
}

/* rule:delete() -> true | nil, msg, errname. The rule's own message is sent
 * back, with its priority (also 0). The kernel deletes the first rule that
 * matches what the request names, and a field a rule leaves empty matches
 * any value there: `100: from all lookup 1` names
 * `100: from all fwmark 0x5 lookup 1` too. So the rules are read first,
 * and when the kernel would take another rule before this one the delete
 * fails (ENOTUNIQ) and removes nothing. */
static int m_delete(lua_State *L)
{
	ru_box *b = (ru_box *)vn_check_live(L, 1, VN_RULE);
	vn_ns *ns = vn_box_ns(L, 1);                          /* 2 */
	struct rule_del d;
	struct nl_msg *msg;
	const void *p;
	size_t len;
	char prio[16];
	vn_list *l;
	vn_err e;
	int rc;

	ru_parse(&d.v, b->m, b->len);
	ru_key_of(&d.v, &d.k);
	snprintf(prio, sizeof prio, "%lu", (unsigned long)d.k.prio);
	lua_pushfstring(L, "delete rule %s", prio);         /* 3 */
	l = vn_list_new(L);                                  /* 4 */
	if (rule_dump(ns, (int)d.k.family, keep_taker, &d, l, &e) < 0)
		return vn_push_err(L, lua_tostring(L, 3), &e, NULL);
	if ((p = vn_list_first(l, &len))) {
		ru_view o;
		ru_parse(&o, p, len);
		if (!ru_same_view(&o, &d.v)) {
			/* "delete rule 100: ... (100: from all fwmark ...)" */
			luaL_Buffer what;
			luaL_buffinit(L, &what);
			luaL_addstring(&what, lua_tostring(L, 3));
			luaL_addstring(&what, ": another rule comes first that the kernel "
				       "would remove instead (");
			add_rule(L, &what, &o);
			luaL_addstring(&what, "); delete that one first");
			luaL_pushresult(&what);
			vn_list_drop(L, l);
			return vn_fail(L, lua_tostring(L, -1), ENOTUNIQ, NULL);
		}
	}
	vn_list_drop(L, l);
	/* nothing below raises until msg is freed */
	msg = nlmsg_alloc_simple(RTM_DELRULE, 0);
	if (!msg || nlmsg_append(msg, b->m, b->len, NLMSG_ALIGNTO) < 0 ||
	    /* the priority names the rule exactly, also priority 0 (which
	     * the kernel leaves out of what it sends) */
	    (!d.v.a[FRA_PRIORITY] && nla_put_u32(msg, FRA_PRIORITY, 0) < 0)) {
		if (msg)
			nlmsg_free(msg);
		return vn_fail(L, lua_tostring(L, 3), ENOMEM, NULL);
	}
	/* less the flags the kernel sets itself (unresolved, detached) */
	((struct fib_rule_hdr *)nlmsg_data(nlmsg_hdr(msg)))->flags &= FIB_RULE_INVERT;
	rc = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (rc < 0)
		return vn_push_err(L, lua_tostring(L, 3), &e, NULL);
	lua_pushboolean(L, 1);
	return 1;
}

/* from/to as ip rule prints them: a full-length prefix (/32, /128)
 * without its length */
static void push_side_ip(lua_State *L, const ru_view *v, int type, unsigned plen)
{
	const struct nlattr *a = v->a[type];
	unsigned full = v->h->family == AF_INET6 ? 128 : 32;
	if (plen && a)
		vn_push_ip(L, v->h->family, nla_data(a), (size_t)nla_len(a),
			   plen == full ? -1 : (int)plen);
	else
		lua_pushnil(L);
}

/* Adds the rule of v to buf as ip rule prints it: "100: from 192.168.1.10
 * lookup 1". */
static void add_rule(lua_State *L, luaL_Buffer *buf, const ru_view *v)
{
	char num[64];
	ru_key k;
	int i;

	ru_key_of(v, &k);
	/* priorities and goto targets are u32: 3000000000, not -1294967296 */
	snprintf(num, sizeof num, "%lu:", (unsigned long)k.prio);
	luaL_addstring(buf, num);
	if (k.invert)
		luaL_addstring(buf, " not");
	luaL_addstring(buf, " from ");
	push_side_ip(L, v, FRA_SRC, k.src_len);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushliteral(L, "all");
	}
	luaL_addvalue(buf);
	if (k.dst_len && v->a[FRA_DST]) {
		luaL_addstring(buf, " to ");
		push_side_ip(L, v, FRA_DST, k.dst_len);
		luaL_addvalue(buf);
	}
	if (k.tos) {
		luaL_addstring(buf, " tos ");
		vn_push_rtname(L, "rt_dsfield", (long)k.tos);
		if (lua_type(L, -1) == LUA_TNUMBER) {
			lua_pop(L, 1);
			snprintf(num, sizeof num, "0x%02x", (unsigned)k.tos);
			lua_pushstring(L, num);
		}
		luaL_addvalue(buf);
	}
	if (k.mark || k.mask) {
		snprintf(num, sizeof num, " fwmark 0x%lx/0x%lx", (unsigned long)k.mark,
			 (unsigned long)k.mask);
		luaL_addstring(buf, num);
	}
	if (k.iif[0]) {
		luaL_addstring(buf, " iif ");
		luaL_addstring(buf, k.iif);
	}
	if (k.oif[0]) {
		luaL_addstring(buf, " oif ");
		luaL_addstring(buf, k.oif);
	}
	if (k.l3mdev)
		luaL_addstring(buf, " lookup [l3mdev-table]");
	if (v->a[FRA_UID_RANGE]) {
		snprintf(num, sizeof num, " uidrange %lu-%lu", (unsigned long)k.uid[0],
			 (unsigned long)k.uid[1]);
		luaL_addstring(buf, num);
	}
	if (k.ipproto) {
		char name[64];
		if (!ipproto_name((int)k.ipproto, name, sizeof name))
			snprintf(name, sizeof name, "ipproto-%u", (unsigned)k.ipproto);
		luaL_addstring(buf, " ipproto ");
		luaL_addstring(buf, name);
	}
	for (i = 0; i < 2; i++) {
		const uint32_t *r = i ? k.dport : k.sport;
		if (!r[0] && !r[1])
			continue;
		if (r[0] == r[1])
			snprintf(num, sizeof num, " %s %lu", i ? "dport" : "sport",
				 (unsigned long)r[0]);
		else
			snprintf(num, sizeof num, " %s %lu-%lu", i ? "dport" : "sport",
				 (unsigned long)r[0], (unsigned long)r[1]);
		luaL_addstring(buf, num);
	}
	if (k.table) {
		luaL_addstring(buf, " lookup ");
		vn_push_rtname(L, "rt_tables", (long)k.table);
		luaL_addvalue(buf);
		if (k.splen != 0xffffffffu) {
			snprintf(num, sizeof num, " suppress_prefixlength %lu",
				 (unsigned long)k.splen);
			luaL_addstring(buf, num);
		}
		if (k.sifgroup != 0xffffffffu) {
			luaL_addstring(buf, " suppress_ifgroup ");
			push_group(L, k.sifgroup);
			luaL_addvalue(buf);
		}
	}
	if (k.action == FR_ACT_GOTO) {
		snprintf(num, sizeof num, " goto %lu", (unsigned long)k.target);
		luaL_addstring(buf, num);
	} else if (k.action != FR_ACT_TO_TBL) {
		luaL_addchar(buf, ' ');
		push_action(L, (int)k.action);
		luaL_addvalue(buf);
	}
	/* as ip prints it: not the kernel's own rules' */
	if (k.proto && k.proto != RTPROT_KERNEL) {
		luaL_addstring(buf, " proto ");
		vn_push_rtname(L, "rt_protos", (long)k.proto);
		luaL_addvalue(buf);
	}
}

/* "vnet.rule: 100: from 192.168.1.10 lookup 1" */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	VIEW(v, o);
	add_rule(L, buf, &v);
}

static const vn_type rule_type = {
	VN_MSGBOX(VN_RULE, rule_fields, m_summary, ru_same, m_delete),
	.modify = ns_rule_set, .modes = rule_modes,
	.ns_methods = (const luaL_Reg[]){ { "rules", ns_rules }, { NULL, NULL } }
};

void vn_open_rule(lua_State *L)
{
	vn_type_register(L, &rule_type);
}
