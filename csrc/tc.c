/*
 * tc.c - traffic control objects (`tc qdisc`, `tc class`, `tc filter`):
 * requests, dumps, fields and tostring; the units and handles tc spells.
 *
 *   link:qdisc_add{ kind =, parent =, handle =, ... }   qdisc_replace, qdisc_change
 *   link:qdisc_del{ parent =, handle = }   link:qdiscs()   ns:qdiscs{ dev = }
 *   link:class_add{ kind =, parent =, classid =, ... }   class_replace, class_change,
 *   class_del, link:classes()
 *   link:filter_add{ kind =, parent =, prio =, protocol =, handle =, ... }
 *   filter_replace, filter_change, filter_del, link:filters{ parent = }
 *   qdisc:delete()  class:delete()  filter:delete()
 *
 * Each call is one request; a change answers with the kernel's echo of the
 * object (NLM_F_ECHO), so nothing is read again. The kinds' options are
 * written and read by tc_kinds.c and tc_filter.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_ether.h>

#include "tc.h"
#include "link.h"


/* ---- message buffer ------------------------------------------------------ */
/* Starts the request of b (cap bytes for the message): a tcmsg, zeroed. */
static tc_buf *buf_start(tc_buf *b, size_t cap, const char *fn, int type, int flags)
{
	struct nlmsghdr *h = &b->u.h;
	memset(h, 0, NLMSG_SPACE(sizeof(struct tcmsg)));
	b->cap = cap;
	b->fn = fn;
	b->err = 0;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	TC_TCM(b)->tcm_family = AF_UNSPEC;
	return b;
}

tc_buf *tc_buf_new(lua_State *L, const char *fn, int type, int flags, size_t extra)
{
	size_t cap = TC_BUFSZ + extra;
	tc_buf *b = (tc_buf *)lua_newuserdata(L, offsetof(tc_buf, u) + cap);
	return buf_start(b, cap, fn, type, flags);
}

tc_buf *tc_buf_init(tc_stackbuf *sb, const char *fn, int type, int flags)
{
	return buf_start(&sb->b, TC_BUFSZ, fn, type, flags);
}

struct rtattr *tc_put(lua_State *L, tc_buf *b, int type, const void *data, size_t len)
{
	struct nlmsghdr *h = TC_HDR(b);
	if (NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len) > b->cap || RTA_LENGTH(len) > 0xffff)
		luaL_error(L, "%s: options too large", b->fn);
	return vn_rta_put(h, type, data, len);
}

void tc_put_u32(lua_State *L, tc_buf *b, int type, uint32_t v)
{
	tc_put(L, b, type, &v, sizeof v);
}

void tc_put_str(lua_State *L, tc_buf *b, int type, const char *s)
{
	tc_put(L, b, type, s, strlen(s) + 1);
}

size_t tc_nest(lua_State *L, tc_buf *b, int type)
{
	size_t off = NLMSG_ALIGN(TC_HDR(b)->nlmsg_len);
	tc_put(L, b, type, NULL, 0);   /* no NLA_F_NESTED, as tc */
	return off;
}

void tc_nest_end(tc_buf *b, size_t off)
{
	struct nlmsghdr *h = TC_HDR(b);
	struct rtattr *a = (struct rtattr *)((char *)h + off);
	a->rta_len = (unsigned short)(h->nlmsg_len - off);
}

/* ---- units ------------------------------------------------------------------ */
typedef struct unit {
	const char *name;
	double mult;
} unit;

static const unit rate_units[] = {
	{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 }, { "tbit", 1e12 },
	{ "kibit", 1024. }, { "mibit", 1048576. }, { "gibit", 1073741824. },
	{ "tibit", 1099511627776. },
	{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 }, { "tbps", 8e12 },
	{ "kibps", 8 * 1024. }, { "mibps", 8 * 1048576. }, { "gibps", 8 * 1073741824. },
	{ "tibps", 8 * 1099511627776. }, { NULL, 0 }
};
static const unit size_units[] = {
	{ "", 1 }, { "b", 1 }, { "k", 1024. }, { "kb", 1024. }, { "m", 1048576. },
	{ "mb", 1048576. }, { "g", 1073741824. }, { "gb", 1073741824. },
	{ "kbit", 128. }, { "mbit", 131072. }, { "gbit", 134217728. }, { NULL, 0 }
};
static const unit time_units[] = {
	{ "s", 1e9 }, { "sec", 1e9 }, { "secs", 1e9 }, { "ms", 1e6 }, { "msec", 1e6 },
	{ "msecs", 1e6 }, { "us", 1e3 }, { "usec", 1e3 }, { "usecs", 1e3 },
	{ "ns", 1 }, { "nsec", 1 }, { "nsecs", 1 }, { NULL, 0 }
};
static const unit percent_units[] = { { "", 1 }, { "%", 1 }, { NULL, 0 } };

/* Parses the string at sidx as a decimal number and one of units: returns
 * value * mult; raises naming it on anything else. */
static double parse_unit(lua_State *L, int sidx, const char *fn, const char *what,
			 const unit *units, const char *example)
{
	size_t len;
	const char *s = lua_tolstring(L, sidx, &len), *p = s;
	double v;
	int digits = 0, i;
	char *end;
	if (strlen(s) != len)
		luaL_error(L, "%s: %s may not contain a NUL byte", fn, what);
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits || len > 64)
		goto bad;
	v = strtod(s, &end);
	if (end != p || !isfinite(v))
		goto bad;
	for (i = 0; units[i].name; i++)
		if (strcasecmp(units[i].name, p) == 0)
			return v * units[i].mult;
	if (!*p)
		luaL_error(L, "%s: %s '%s' needs a unit (e.g. '%s')", fn, what, s, example);
bad:
	if (len > 64)
		luaL_error(L, "%s: %s is not a valid value (e.g. '%s')", fn, what, example);
	luaL_error(L, "%s: %s '%s' is not a valid value (e.g. '%s')", fn, what, s, example);
	return 0;
}

/* A number (base units) or a string with a unit at sidx, in [0, max]. */
static double check_unit(lua_State *L, int sidx, const char *fn, const char *what,
			 const unit *units, const char *example, double max, int integral)
{
	double v;
	sidx = vn_absindex(L, sidx);
	if (lua_type(L, sidx) == LUA_TNUMBER) {
		if (integral)
			return (double)vn_check_int(L, sidx, fn, what, 0,
						    max >= 9.2e18 ? INT64_MAX : (lua_Integer)max);
		v = lua_tonumber(L, sidx);
	} else if (lua_type(L, sidx) == LUA_TSTRING) {
		v = parse_unit(L, sidx, fn, what, units, example);
	} else {
		luaL_error(L, "%s: %s must be a number or a string like '%s', got %s", fn, what,
			   example, luaL_typename(L, sidx));
		return 0;
	}
	if (!(v >= 0 && v <= max))   /* NaN too */
		luaL_error(L, "%s: %s is out of range (0 to %f)", fn, what, max);
	return v;
}

uint64_t tc_check_rate(lua_State *L, int sidx, const char *fn, const char *what)
{
	/* bits per second; the kernel keeps bytes per second in 64 bits */
	return (uint64_t)llround(check_unit(L, sidx, fn, what, rate_units, "10mbit",
					    9.2e18, 1));
}

uint64_t tc_check_size(lua_State *L, int sidx, const char *fn, const char *what, uint64_t max)
{
	return (uint64_t)llround(check_unit(L, sidx, fn, what, size_units, "32kb",
					    (double)max, 1));
}

int64_t tc_check_time(lua_State *L, int sidx, const char *fn, const char *what, int64_t max)
{
	double v;
	sidx = vn_absindex(L, sidx);
	if (lua_type(L, sidx) == LUA_TNUMBER) {
		/* seconds */
		v = lua_tonumber(L, sidx);
		if (!(v >= 0 && v * 1e9 <= (double)max))
			luaL_error(L, "%s: %s is out of range (0 to %f seconds)", fn, what,
				   (double)max / 1e9);
		return (int64_t)llround(v * 1e9);
	}
	v = check_unit(L, sidx, fn, what, time_units, "10ms", (double)max, 0);
	return (int64_t)llround(v);
}

uint32_t tc_check_percent(lua_State *L, int sidx, const char *fn, const char *what)
{
	double v = check_unit(L, sidx, fn, what, percent_units, "1%", 100, 0);
	return (uint32_t)llround(v / 100. * 4294967295.);
}

/* Pushes option key of the table at idx; 0 (nothing pushed) when nil. */
static int opt_push(lua_State *L, int idx, const char *key)
{
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	return 1;
}

enum { O_RATE, O_SIZE, O_TIME, O_PERCENT, O_HANDLE };
static uint32_t check_handle(lua_State *L, int sidx, const char *fn, const char *what,
			     int parent_of_qdisc);

/* Reads option key of the table at idx as one of O_* (arg: the size's or
 * time's max, a handle's parent_of_qdisc) into *out: 1, or 0 when nil. */
static int opt_read(lua_State *L, int idx, const char *fn, const char *key, int as,
		    uint64_t arg, uint64_t *out)
{
	const char *what;
	int v;
	idx = vn_absindex(L, idx);
	if (!opt_push(L, idx, key))
		return 0;
	v = lua_gettop(L);
	what = lua_pushfstring(L, "option '%s'", key);
	switch (as) {
	case O_RATE: *out = tc_check_rate(L, v, fn, what); break;
	case O_SIZE: *out = tc_check_size(L, v, fn, what, arg); break;
	case O_TIME: *out = (uint64_t)tc_check_time(L, v, fn, what, (int64_t)arg); break;
	case O_PERCENT: *out = tc_check_percent(L, v, fn, what); break;
	default: *out = check_handle(L, v, fn, what, (int)arg); break;
	}
	lua_pop(L, 2);
	return 1;
}

int tc_opt_rate(lua_State *L, int idx, const char *fn, const char *key, uint64_t *bps)
{
	return opt_read(L, idx, fn, key, O_RATE, 0, bps);
}

int tc_opt_size(lua_State *L, int idx, const char *fn, const char *key, uint64_t max,
		uint64_t *bytes)
{
	return opt_read(L, idx, fn, key, O_SIZE, max, bytes);
}

int tc_opt_time(lua_State *L, int idx, const char *fn, const char *key, int64_t max,
		int64_t *ns)
{
	uint64_t v;
	int r = opt_read(L, idx, fn, key, O_TIME, (uint64_t)max, &v);
	if (r)
		*ns = (int64_t)v;
	return r;
}

int tc_opt_percent(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out)
{
	uint64_t v;
	int r = opt_read(L, idx, fn, key, O_PERCENT, 0, &v);
	if (r)
		*out = (uint32_t)v;
	return r;
}

void tc_push_percent(lua_State *L, uint32_t v)
{
	lua_pushnumber(L, floor((double)v * 100. / 4294967295. * 1e6 + 0.5) / 1e6);
}

void tc_push_ns(lua_State *L, int64_t ns)
{
	lua_pushnumber(L, (double)ns / 1e9);
}

/* psched: a tick is 64 ns (PSCHED_SHIFT 6), as /proc/net/psched says. */
uint32_t tc_time2tick(int64_t ns)
{
	double t = (double)ns / 64.;
	return t >= 4294967295. ? 0xffffffffu : (uint32_t)t;
}

int64_t tc_tick2ns(uint32_t ticks)
{
	return (int64_t)ticks * 64;
}

uint32_t tc_xmittime(uint64_t rate, uint64_t size)
{
	/* tc_calc_xmittime: ticks for size bytes at rate bytes/s (as usec
	 * times tick_in_usec, 15.625) */
	double us;
	if (!rate)
		return 0;
	us = 1e6 * ((double)size / (double)rate);
	us *= 15.625;
	return us >= 4294967295. ? 0xffffffffu : (uint32_t)us;
}

uint32_t tc_xmitsize(uint64_t rate, uint32_t ticks)
{
	/* tc_calc_xmitsize: whole microseconds first (tc_core_tick2time) */
	double v = (double)rate * (double)(uint32_t)((double)ticks / 15.625) / 1e6;
	return v >= 4294967295. ? 0xffffffffu : (uint32_t)v;
}
/* ---- handles ------------------------------------------------------------------ */
/* Parses hex digits (1..4 of them) of s into *v; returns the end, or NULL. */
static const char *hex16(const char *s, unsigned *v)
{
	unsigned n = 0;
	int i;
	for (i = 0; i < 4; i++, s++) {
		int c = *s;
		if (c >= '0' && c <= '9') n = n * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') n = n * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') n = n * 16 + (unsigned)(c - 'A' + 10);
		else break;
	}
	if (!i)
		return NULL;
	*v = n;
	return s;
}

static int parse_handle(const char *s, int parent_of_qdisc, uint32_t *out)
{
	unsigned maj = 0, min = 0;
	const char *p = s;
	if (!strcmp(s, "root")) { *out = TC_H_ROOT; return 1; }
	if (!strcmp(s, "none")) { *out = TC_H_UNSPEC; return 1; }
	if (!strcmp(s, "clsact")) { *out = TC_H_CLSACT; return 1; }
	if (!strcmp(s, "ingress")) {
		*out = parent_of_qdisc ? TC_H_INGRESS
				       : TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
		return 1;
	}
	if (!strcmp(s, "egress")) {
		*out = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS);
		return 1;
	}
	if (*p != ':' && !(p = hex16(p, &maj)))
		return 0;
	if (*p == 0) {
		*out = maj << 16;      /* "1" is "1:", as tc reads a qdisc handle */
		return 1;
	}
	if (*p++ != ':')
		return 0;
	if (*p && (!(p = hex16(p, &min)) || *p))
		return 0;
	*out = (maj << 16) | min;
	return 1;
}

static uint32_t check_handle(lua_State *L, int sidx, const char *fn, const char *what,
			     int parent_of_qdisc)
{
	uint32_t h = 0;
	if (lua_type(L, sidx) == LUA_TNUMBER)
		return (uint32_t)vn_check_int(L, sidx, fn, what, 0, 0xffffffffLL);
	if (lua_type(L, sidx) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string like '1:10' or a number, got %s", fn,
			   what, luaL_typename(L, sidx));
	vn_check_str(L, sidx, fn, what, 32);
	if (!parse_handle(lua_tostring(L, sidx), parent_of_qdisc, &h))
		luaL_error(L, "%s: %s '%s' is not a handle like '1:', '1:10' or 'root'", fn,
			   what, lua_tostring(L, sidx));
	return h;
}

int tc_opt_handle(lua_State *L, int idx, const char *fn, const char *key,
		  int parent_of_qdisc, uint32_t *out)
{
	uint64_t v;
	int r = opt_read(L, idx, fn, key, O_HANDLE, (uint64_t)parent_of_qdisc, &v);
	if (r)
		*out = (uint32_t)v;
	return r;
}

void tc_push_handle(lua_State *L, uint32_t h, int is_parent)
{
	if (is_parent && h == TC_H_ROOT)
		lua_pushliteral(L, "root");
	else if (is_parent && h == TC_H_INGRESS)
		lua_pushliteral(L, "ingress");
	else if (is_parent && h == TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS))
		lua_pushliteral(L, "ingress");
	else if (is_parent && h == TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS))
		lua_pushliteral(L, "egress");
	else {
		char s[16];
		if (TC_H_MIN(h))
			snprintf(s, sizeof s, "%x:%x", (unsigned)(TC_H_MAJ(h) >> 16),
				 (unsigned)TC_H_MIN(h));
		else
			snprintf(s, sizeof s, "%x:", (unsigned)(TC_H_MAJ(h) >> 16));
		lua_pushstring(L, s);
	}
}

void tc_push_devname(lua_State *L, vn_ns *ns, int ifindex)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_ifindex = ifindex;
	if (ns && ns->sk && ioctl(nl_socket_get_fd(ns->sk), SIOCGIFNAME, &ifr) == 0) {
		ifr.ifr_name[IFNAMSIZ - 1] = 0;
		lua_pushstring(L, ifr.ifr_name);
	} else {
		lua_pushfstring(L, "%d", ifindex);
	}
}

/* ---- objects --------------------------------------------------------------------- */
#define TB_MAX TCA_MAX

typedef struct tc_view {
	const struct tcmsg *t;
	const struct rtattr *a[TB_MAX + 1];
} tc_view;

#define MB(o) ((vn_msgbox *)(o))
#define VIEW(v, o) tc_view v; tc_parse(&v, MB(o)->m, MB(o)->len)

static void tc_parse(tc_view *v, const void *m, size_t len)
{
	v->t = (const struct tcmsg *)m;
	vn_attrs_index(m, len, sizeof(struct tcmsg), v->a, TB_MAX);
}

/* The kind string of a message (a NUL-ended copy in buf). */
static const char *view_kind(const tc_view *v, char *buf, size_t size)
{
	const struct rtattr *a = v->a[TCA_KIND];
	size_t n;
	buf[0] = 0;
	if (!a)
		return buf;
	n = RTA_PAYLOAD(a);
	if (n >= size)
		n = size - 1;
	memcpy(buf, RTA_DATA(a), n);
	buf[n] = 0;
	return buf;
}

enum { T_QDISC, T_CLASS, T_FILTER };

/* The names vnet knows, i from 0 (NULL after the last). */
static const char *qname(int i) { return tc_kinds[i] ? tc_kinds[i]->name : NULL; }
static const char *fname(int i) { return tc_fkinds[i] ? tc_fkinds[i]->name : NULL; }
static const char *aname(int i) { return tc_action_names[i]; }

/* The index of kind among the names name gives, or -1. */
static int name_index(const char *(*name)(int), const char *kind)
{
	int i;
	for (i = 0; name(i); i++)
		if (!strcmp(name(i), kind))
			return i;
	return -1;
}

/* The rows of the qdisc kind and of the filter kind called kind, or NULL. */
static const tc_kind *tc_kind_find(const char *kind)
{
	int i = name_index(qname, kind);
	return i < 0 ? NULL : tc_kinds[i];
}
static const tc_fkind *tc_fkind_find(const char *kind)
{
	int i = name_index(fname, kind);
	return i < 0 ? NULL : tc_fkinds[i];
}

/* Pushes the options table of a message of type ty. */
static void push_options(lua_State *L, const tc_view *v, int ty)
{
	char kind[32];
	view_kind(v, kind, sizeof kind);
	lua_newtable(L);
	if (ty == T_FILTER) {
		const tc_fkind *k = tc_fkind_find(kind);
		if (k && k->push)
			k->push(L, v->a[TCA_OPTIONS], v->t->tcm_handle);
	} else {
		const tc_kind *k = tc_kind_find(kind);
		if (!k)
			return;
		if (ty == T_QDISC && k->push)
			k->push(L, v->a[TCA_OPTIONS]);
		else if (ty == T_CLASS && k->class_push)
			k->class_push(L, v->a[TCA_OPTIONS]);
	}
}

static void f_kind(lua_State *L, void *o)
{
	char kind[32];
	VIEW(v, o);
	if (v.a[TCA_KIND])
		lua_pushstring(L, view_kind(&v, kind, sizeof kind));
	else
		lua_pushnil(L);
}
static void f_dev(lua_State *L, void *o)
{
	lua_pushinteger(L, ((const struct tcmsg *)MB(o)->m)->tcm_ifindex);
}
static void f_handle(lua_State *L, void *o)
{
	const struct tcmsg *t = (const struct tcmsg *)MB(o)->m;
	tc_push_handle(L, t->tcm_handle, 0);
}
static void f_parent(lua_State *L, void *o)
{
	const struct tcmsg *t = (const struct tcmsg *)MB(o)->m;
	char kind[32];
	VIEW(v, o);
	/* the clsact qdisc sits where ingress does (ffff:fff1) */
	if (t->tcm_parent == TC_H_CLSACT && !strcmp(view_kind(&v, kind, sizeof kind), "clsact"))
		lua_pushliteral(L, "clsact");
	else
		tc_push_handle(L, t->tcm_parent, 1);
}
static void options_of(lua_State *L, void *o, int ty)
{
	VIEW(v, o);
	push_options(L, &v, ty);
}
static void f_q_options(lua_State *L, void *o) { options_of(L, o, T_QDISC); }
static void f_c_options(lua_State *L, void *o) { options_of(L, o, T_CLASS); }
static void f_f_options(lua_State *L, void *o) { options_of(L, o, T_FILTER); }
static void f_chain(lua_State *L, void *o)
{
	VIEW(v, o);
	vn_push_rta_u32(L, v.a[TCA_CHAIN]);
}
/* a class's leaf qdisc (tcm_info) */
static void f_leaf(lua_State *L, void *o)
{
	const struct tcmsg *t = (const struct tcmsg *)MB(o)->m;
	if (t->tcm_info)
		tc_push_handle(L, t->tcm_info, 0);
	else
		lua_pushnil(L);
}
static void f_prio(lua_State *L, void *o)
{
	const struct tcmsg *t = (const struct tcmsg *)MB(o)->m;
	lua_pushinteger(L, (lua_Integer)(TC_H_MAJ(t->tcm_info) >> 16));
}

static const struct { const char *name; int proto; } protos[] = {
	{ "all", ETH_P_ALL }, { "ip", ETH_P_IP }, { "ipv6", ETH_P_IPV6 },
	{ "arp", ETH_P_ARP }, { "802.1q", ETH_P_8021Q }, { "802.1ad", ETH_P_8021AD },
	{ "mpls_uc", ETH_P_MPLS_UC }, { "mpls_mc", ETH_P_MPLS_MC }, { NULL, 0 }
};

static void f_protocol(lua_State *L, void *o)
{
	const struct tcmsg *t = (const struct tcmsg *)MB(o)->m;
	int p = ntohs((uint16_t)TC_H_MIN(t->tcm_info)), i;
	for (i = 0; protos[i].name; i++)
		if (protos[i].proto == p) {
			lua_pushstring(L, protos[i].name);
			return;
		}
	{
		char s[8];
		snprintf(s, sizeof s, "0x%04x", (unsigned)p);
		lua_pushstring(L, s);
	}
}

/* Each option of a kind is a field too (q.delay is q.options.delay). */
static void opt_field(lua_State *L, void *o, const char *name, int ty)
{
	options_of(L, o, ty);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}
#define OPTF(n) static void f_o_##n(lua_State *L, void *o) { opt_field(L, o, #n, T_QDISC); }
#define COPTF(n) static void f_c_##n(lua_State *L, void *o) { opt_field(L, o, #n, T_CLASS); }
#define OPTFS(X) X(delay) X(jitter) X(correlation) X(loss) X(loss_correlation) \
	X(duplicate) X(duplicate_correlation) X(reorder) X(reorder_correlation) X(gap) \
	X(corrupt) X(corrupt_correlation) X(rate) X(packet_overhead) X(cell_size) \
	X(cell_overhead) X(limit) X(slot) X(ecn) X(burst) X(latency) X(peakrate) X(mtu) \
	X(default) X(r2q) X(direct_qlen) X(bands) X(priomap) X(perturb) X(quantum) \
	X(divisor) X(flows) X(depth) X(headdrop) X(target) X(interval) X(ce_threshold) \
	X(memory_limit) X(drop_batch) X(ceil) X(cburst)
#define CLASS_OPTFS(X) X(rate) X(ceil) X(burst) X(cburst) X(quantum)
OPTFS(OPTF)
CLASS_OPTFS(COPTF)
COPTF(prio) COPTF(level)
#define FOPTF(n) static void f_f_##n(lua_State *L, void *o) { opt_field(L, o, #n, T_FILTER); }
FOPTF(classid) FOPTF(actions) FOPTF(match) FOPTF(mask)
#define OPTROW(n) { #n, f_o_##n },
#define COPTROW(n) { #n, f_c_##n },
/* the fields every tc object has; handle is named h */
#define HEAD_FIELDS(h) { "kind", f_kind }, { h, f_handle }, { "parent", f_parent }, \
	{ "dev", f_dev }

static const vn_field qdisc_fields[] = {
	HEAD_FIELDS("handle"), { "options", f_q_options },
	OPTFS(OPTROW)
	{ NULL, NULL }
};
static const vn_field class_fields[] = {
	HEAD_FIELDS("classid"), { "leaf", f_leaf }, { "options", f_c_options },
	{ "prio", f_c_prio }, { "level", f_c_level },
	CLASS_OPTFS(COPTROW)
	{ NULL, NULL }
};
static const vn_field filter_fields[] = {
	HEAD_FIELDS("handle"), { "prio", f_prio }, { "protocol", f_protocol },
	{ "chain", f_chain }, { "options", f_f_options }, { "classid", f_f_classid },
	{ "actions", f_f_actions }, { "match", f_f_match }, { "mask", f_f_mask },
	{ NULL, NULL }
};

/* __eq: the same device and handle (and parent; a filter: and prio, protocol) */
static int same(const void *x, const void *y)
{
	const struct tcmsg *a = (const struct tcmsg *)MB(x)->m;
	const struct tcmsg *b = (const struct tcmsg *)MB(y)->m;
	return a->tcm_ifindex == b->tcm_ifindex && a->tcm_handle == b->tcm_handle &&
	       a->tcm_parent == b->tcm_parent;
}
static int filter_same(const void *x, const void *y)
{
	const struct tcmsg *a = (const struct tcmsg *)MB(x)->m;
	const struct tcmsg *b = (const struct tcmsg *)MB(y)->m;
	return same(x, y) && a->tcm_info == b->tcm_info;
}

static void push_qdisc(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_QDISC, p, len, nsidx);
}
static void push_class(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_CLASS, p, len, nsidx);
}
static void push_filter(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_FILTER, p, len, nsidx);
}

/* ---- tostring --------------------------------------------------------------------- */
static int tostring_common(lua_State *L, int ty)
{
	static const char *const names[] = { VN_QDISC, VN_CLASS, VN_FILTER };
	vn_msgbox *b = (vn_msgbox *)luaL_checkudata(L, 1, names[ty]);
	char kind[32];
	vn_ns *ns;
	luaL_Buffer buf;
	tc_view v;
	int oidx, top;
	tc_parse(&v, b->m, b->len);
	view_kind(&v, kind, sizeof kind);
	ns = vn_box_ns_open(L, 1);               /* 2 */
	if (ty == T_FILTER) {
		f_protocol(L, b);
		lua_pushfstring(L, "filter parent ");
		tc_push_handle(L, v.t->tcm_parent, 0);
		lua_pushfstring(L, " protocol %s pref %d %s", lua_tostring(L, 3),
				(int)(TC_H_MAJ(v.t->tcm_info) >> 16), kind);
		lua_concat(L, 3);
		lua_remove(L, 3);
		if (v.a[TCA_CHAIN])
			lua_pushfstring(L, "%s chain %d", lua_tostring(L, -1),
					(int)vn_rta_u32(v.a[TCA_CHAIN]));
		else
			lua_pushvalue(L, -1);
		lua_remove(L, -2);
		if (v.t->tcm_handle) {
			options_of(L, b, T_FILTER);
			lua_getfield(L, -1, "handle");
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				char hs[16];
				snprintf(hs, sizeof hs, "0x%x", (unsigned)v.t->tcm_handle);
				lua_pushstring(L, hs);
			}
			lua_pushfstring(L, "%s handle %s", lua_tostring(L, -3), lua_tostring(L, -1));
			lua_replace(L, -4);
			lua_pop(L, 2);
		}
	} else {
		lua_pushfstring(L, "%s %s ", ty == T_QDISC ? "qdisc" : "class", kind);
		tc_push_handle(L, v.t->tcm_handle, 0);
		lua_concat(L, 2);
	}
	/* 3: the head so far */
	top = lua_gettop(L);
	luaL_buffinit(L, &buf);
	lua_pushvalue(L, top);
	luaL_addvalue(&buf);
	lua_pushliteral(L, " dev ");
	luaL_addvalue(&buf);
	tc_push_devname(L, ns, v.t->tcm_ifindex);
	luaL_addvalue(&buf);
	if (ty != T_FILTER) {
		if (v.t->tcm_parent == TC_H_ROOT) {
			lua_pushliteral(L, " root");
		} else {
			f_parent(L, b);
			lua_pushfstring(L, " parent %s", lua_tostring(L, -1));
			lua_remove(L, -2);
		}
		luaL_addvalue(&buf);
	}
	push_options(L, &v, ty);
	oidx = lua_gettop(L);
	{
		/* the options in a stable order: sorted keys */
		int n = 0, i, j;
		lua_newtable(L);                     /* keys */
		lua_pushnil(L);
		while (lua_next(L, oidx)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "handle")) {
				lua_pushvalue(L, -1);
				lua_rawseti(L, oidx + 1, ++n);
			}
		}
		for (i = 2; i <= n; i++)            /* insertion sort of n keys */
			for (j = i; j > 1; j--) {
				lua_rawgeti(L, oidx + 1, j);
				lua_rawgeti(L, oidx + 1, j - 1);
				if (strcmp(lua_tostring(L, -1), lua_tostring(L, -2)) <= 0) {
					lua_pop(L, 2);
					break;
				}
				lua_rawseti(L, oidx + 1, j);
				lua_rawseti(L, oidx + 1, j - 1);
			}
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, oidx + 1, i);
			lua_pushfstring(L, " %s ", lua_tostring(L, -1));
			lua_insert(L, -2);
			lua_gettable(L, oidx);
			if (lua_type(L, -1) == LUA_TTABLE) {
				/* a nested value (slot, loss model, actions) */
				lua_pushliteral(L, "{...}");
				lua_remove(L, -2);
			} else if (lua_type(L, -1) == LUA_TBOOLEAN) {
				lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
				lua_remove(L, -2);
			} else if (!lua_isstring(L, -1)) {
				lua_pushliteral(L, "?");
				lua_remove(L, -2);
			} else {
				lua_pushstring(L, lua_tostring(L, -1));
				lua_remove(L, -2);
			}
			lua_concat(L, 2);
			luaL_addvalue(&buf);
		}
	}
	luaL_pushresult(&buf);
	return 1;
}

static int qdisc_tostring(lua_State *L) { return tostring_common(L, T_QDISC); }
static int class_tostring(lua_State *L) { return tostring_common(L, T_CLASS); }
static int filter_tostring(lua_State *L) { return tostring_common(L, T_FILTER); }

/* ---- requests ------------------------------------------------------------------- */
/* By type (T_QDISC...): the type of the kernel's messages of an object and
 * what pushes one. */
static const int newtype[] = { RTM_NEWQDISC, RTM_NEWTCLASS, RTM_NEWTFILTER };
static const vn_push_raw pushers[] = { push_qdisc, push_class, push_filter };

static int keep_msg(const struct nlmsghdr *h, void *arg)
{
	const int *want = (const int *)arg;   /* { type, ifindex (0: any) } */
	if (h->nlmsg_type != want[0] ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
		return 0;
	return !want[1] || ((const struct tcmsg *)NLMSG_DATA(h))->tcm_ifindex == want[1];
}

/* Keeps the filter a request made: its device, prio and protocol (and
 * handle when it asked for one), with options. */
struct filter_want {
	int ifindex;
	uint32_t info, handle;
};

static int keep_filter(const struct nlmsghdr *h, void *arg)
{
	const struct filter_want *w = (const struct filter_want *)arg;
	const struct tcmsg *t = (const struct tcmsg *)NLMSG_DATA(h);
	const struct rtattr *a[TB_MAX + 1];
	uint32_t info = w->info;
	if (h->nlmsg_type != RTM_NEWTFILTER || h->nlmsg_len < NLMSG_LENGTH(sizeof *t))
		return 0;
	if (t->tcm_ifindex != w->ifindex || !t->tcm_handle ||
	    (w->handle && t->tcm_handle != w->handle))
		return 0;
	/* prio 0 asked the kernel to choose one: any; protocol as asked */
	if (TC_H_MIN(t->tcm_info) != TC_H_MIN(info) ||
	    (TC_H_MAJ(info) && TC_H_MAJ(t->tcm_info) != TC_H_MAJ(info)))
		return 0;
	vn_attrs_index(t, h->nlmsg_len - NLMSG_HDRLEN, sizeof *t, a, TB_MAX);
	return a[TCA_OPTIONS] != NULL;
}

/* Pushes a list that keeps the messages rkeep(arg) accepts and sends h
 * (vn_req's flags) into it. 0, or -errno with e (may be NULL) filled in
 * and the list emptied. */
static int req_list(lua_State *L, vn_ns *ns, struct nlmsghdr *h, int flags,
		    int (*rkeep)(const struct nlmsghdr *, void *), void *arg, vn_list **out,
		    vn_err *e)
{
	vn_list *l = vn_list_new(L);
	int r;
	l->rkeep = rkeep;
	l->arg = arg;
	*out = l;
	r = vn_req(ns, h, flags, l, e);
	if (r < 0)
		vn_list_free(l);
	return r;
}

/* Asks again (g, flags) for an object a change made, kept by rkeep(arg):
 * pushes it as pushers[ty] does and returns 1, or returns 0 with the
 * stack as it was when none answers. */
static int ask_again(lua_State *L, vn_ns *ns, int nsidx, tc_buf *g, int flags, int ty,
		     int (*rkeep)(const struct nlmsghdr *, void *), void *arg)
{
	vn_list *l;
	const void *q;
	size_t len;
	if (req_list(L, ns, TC_HDR(g), flags, rkeep, arg, &l, NULL) == 0 &&
	    (q = vn_list_first(l, &len))) {
		pushers[ty](L, q, len, nsidx);
		return 1;
	}
	vn_list_free(l);
	lua_pop(L, 1);
	return 0;
}

/* Sends b (a change of type ty made on the link of the box at 1, bound to
 * ns at nsidx): pushes the kernel's echo of the object, true when none
 * came (or in a batch), or the failure triple described by what. */
static int send_change(lua_State *L, vn_ns *ns, int nsidx, tc_buf *b, int ty,
		       const char *what, int del)
{
	struct nlmsghdr *h = TC_HDR(b);
	vn_list *echo;
	const void *p;
	size_t len;
	vn_err e;
	int want[2];
	if (del || vn_deferred(ns)) {
		if (vn_req(ns, h, 0, NULL, &e) < 0)
			return vn_push_err(L, what, &e, NULL);
		lua_pushboolean(L, 1);
		return 1;
	}
	want[0] = newtype[ty];
	want[1] = TC_TCM(b)->tcm_ifindex;
	if (req_list(L, ns, h, VN_ECHO, keep_msg, want, &echo, &e) < 0)
		return vn_push_err(L, what, &e, NULL);
	p = vn_list_first(echo, &len);
	if (p && ty == T_FILTER && !(h->nlmsg_flags & NLM_F_EXCL) &&
	    ((const struct tcmsg *)p)->tcm_handle) {
		/* a filter changed in place may be echoed as it was (u32 on
		 * 6.x): it is asked for again by its identity */
		tc_stackbuf gb;
		tc_buf *g = tc_buf_init(&gb, b->fn, RTM_GETTFILTER, 0);
		tc_view v;
		char kind[32];
		tc_parse(&v, p, len);
		*TC_TCM(g) = *v.t;
		if (v.a[TCA_KIND])
			tc_put_str(L, g, TCA_KIND, view_kind(&v, kind, sizeof kind));
		if (v.a[TCA_CHAIN])
			tc_put_u32(L, g, TCA_CHAIN, vn_rta_u32(v.a[TCA_CHAIN]));
		if (ask_again(L, ns, nsidx, g, VN_GET, ty, keep_msg, want))
			return 1;
	} else if (p && ty == T_FILTER) {
		/* a new filter echoed without its options (matchall on 6.1
		 * answers with the node it replaced, none): the filters of that
		 * parent and prio are listed and the one made is taken */
		tc_view v;
		tc_parse(&v, p, len);
		if (!v.a[TCA_OPTIONS]) {
			struct filter_want fw;
			tc_stackbuf gb;
			tc_buf *g = tc_buf_init(&gb, b->fn, RTM_GETTFILTER, 0);
			fw.ifindex = TC_TCM(b)->tcm_ifindex;
			fw.info = TC_TCM(b)->tcm_info;
			fw.handle = TC_TCM(b)->tcm_handle;
			TC_TCM(g)->tcm_ifindex = fw.ifindex;
			TC_TCM(g)->tcm_parent = TC_TCM(b)->tcm_parent;
			if (v.a[TCA_CHAIN])
				tc_put_u32(L, g, TCA_CHAIN, vn_rta_u32(v.a[TCA_CHAIN]));
			if (ask_again(L, ns, nsidx, g, VN_DUMP, ty, keep_filter, &fw))
				return 1;
		}
	}
	if (p)
		pushers[ty](L, p, len, nsidx);
	else
		lua_pushboolean(L, 1);
	return 1;
}

static const char *const q_common[] = { "kind", "parent", "handle", NULL };
static const char *const c_common[] = { "kind", "parent", "classid", NULL };

/* Checks the keys of the options at 2: common ones then the kind's. */
static void check_keys(lua_State *L, const char *fn, const char *const *common,
		       const char *const *own)
{
	const char *keys[80];
	int n = 0, i;
	for (i = 0; common[i]; i++)
		keys[n++] = common[i];
	for (i = 0; own && own[i] && n < 79; i++)
		keys[n++] = own[i];
	keys[n] = NULL;
	vn_opts_check(L, 2, fn, keys);
}


/* Raises "fn: unknown what kind 'kind' (vnet knows: ...)". */
static void unknown_kind(lua_State *L, const char *fn, const char *what, const char *kind,
			 const char *(*name)(int))
{
	int base = lua_gettop(L), i;
	lua_pushfstring(L, "%s: unknown %s kind '%s' (vnet knows:", fn, what, kind);
	for (i = 0; name(i); i++)
		lua_pushfstring(L, " %s", name(i));
	lua_pushliteral(L, ")");
	lua_concat(L, lua_gettop(L) - base);
	lua_error(L);
}

/* Reads option kind (required when req) and finds its row. */
static const tc_kind *opt_kind(lua_State *L, const char *fn, int req, char *kind)
{
	const tc_kind *k;
	if (!vn_opt_str(L, 2, fn, "kind", kind, 32)) {
		if (req)
			luaL_error(L, "%s: option 'kind' is required", fn);
		return NULL;
	}
	if (!(k = tc_kind_find(kind)))
		unknown_kind(L, fn, "qdisc", kind, qname);
	return k;
}

enum { M_ADD, M_REPLACE, M_CHANGE, M_DEL };
static const int mode_flags[] = { NLM_F_CREATE | NLM_F_EXCL, NLM_F_CREATE | NLM_F_REPLACE,
				  0, 0 };

/* link:qdisc_add / replace / change / del */
static int qdisc_modify(lua_State *L, const char *fn, int mode)
{
	int ifindex = vn_link_ifindex(L, 1), nsidx;
	char kind[32];
	const tc_kind *k;
	uint32_t parent = TC_H_ROOT, handle = 0;
	int has_parent, has_handle, extra = 0;
	tc_stackbuf sb;
	vn_ns *ns;
	tc_buf *b;

	lua_settop(L, 2);
	if (mode == M_DEL && lua_isnoneornil(L, 2)) {
		lua_newtable(L);
		lua_replace(L, 2);
	}
	luaL_checktype(L, 2, LUA_TTABLE);
	ns = vn_box_ns(L, 1);                                /* 3 */
	nsidx = 3;
	k = opt_kind(L, fn, mode != M_DEL, kind);
	check_keys(L, fn, q_common, mode == M_DEL ? NULL : k->keys);
	has_parent = tc_opt_handle(L, 2, fn, "parent", 1, &parent);
	has_handle = tc_opt_handle(L, 2, fn, "handle", 0, &handle);
	if (k && (!strcmp(kind, "ingress") || !strcmp(kind, "clsact"))) {
		if (has_parent && parent != TC_H_INGRESS)
			luaL_error(L, "%s: a %s qdisc takes parent '%s' only", fn, kind, kind);
		parent = TC_H_INGRESS;
		if (has_handle && handle != TC_H_MAKE(TC_H_INGRESS, 0))
			luaL_error(L, "%s: a %s qdisc has handle 'ffff:'", fn, kind);
		handle = TC_H_MAKE(TC_H_INGRESS, 0);
	} else if (!has_parent && mode == M_DEL && has_handle) {
		parent = 0;
	}
	if (has_handle && TC_H_MIN(handle))
		luaL_error(L, "%s: option 'handle' of a qdisc has no minor (like '1:')", fn);
	/* a netem distribution table needs up to 32 KiB; the rest fits the
	 * buffer on the C stack (nothing to free if a parser raises) */
	if (k && !strcmp(kind, "netem") && mode != M_DEL) {
		lua_getfield(L, 2, "distribution");
		extra = !lua_isnil(L, -1);
		lua_pop(L, 1);
	}
	if (extra)
		b = tc_buf_new(L, fn, RTM_NEWQDISC, mode_flags[mode], 2 * NETEM_DIST_MAX + 64); /* 4 */
	else
		b = tc_buf_init(&sb, fn, mode == M_DEL ? RTM_DELQDISC : RTM_NEWQDISC, mode_flags[mode]);
	TC_TCM(b)->tcm_ifindex = ifindex;
	TC_TCM(b)->tcm_parent = parent;
	TC_TCM(b)->tcm_handle = handle;
	if (k) {
		tc_put_str(L, b, TCA_KIND, kind);
		if (mode != M_DEL && k->parse)
			k->parse(L, 2, b);
	}
	lua_settop(L, 4);
	vn_link_desc(L, 1);
	lua_pushfstring(L, "%s %s dev %s", fn, k ? kind : "", lua_tostring(L, -1));
	return send_change(L, ns, nsidx, b, T_QDISC, lua_tostring(L, -1), mode == M_DEL);
}

static int l_qdisc_add(lua_State *L) { return qdisc_modify(L, "qdisc_add", M_ADD); }
static int l_qdisc_replace(lua_State *L) { return qdisc_modify(L, "qdisc_replace", M_REPLACE); }
static int l_qdisc_change(lua_State *L) { return qdisc_modify(L, "qdisc_change", M_CHANGE); }
static int l_qdisc_del(lua_State *L) { return qdisc_modify(L, "qdisc_del", M_DEL); }

/* Dumps objects of type ty (RTM_GETQDISC...) of ifindex (0: all; classes
 * and filters need one) under parent (filters), keeping those of ifindex,
 * and pushes an iterator or the failure triple. */
static int dump(lua_State *L, vn_ns *ns, int nsidx, int ty, int ifindex, uint32_t parent,
		const char *what)
{
	static const int gettype[] = { RTM_GETQDISC, RTM_GETTCLASS, RTM_GETTFILTER };
	union {
		struct nlmsghdr h;
		unsigned char b[NLMSG_SPACE(sizeof(struct tcmsg)) + 64];
	} buf;
	struct nlmsghdr *h = &buf.h;
	struct tcmsg *t = (struct tcmsg *)NLMSG_DATA(h);
	vn_list *l;
	vn_err e;
	int *want;
	nsidx = vn_absindex(L, nsidx);
	want = (int *)lua_newuserdata(L, 2 * sizeof(int));
	want[0] = newtype[ty];
	want[1] = ifindex;
	memset(&buf, 0, sizeof buf);
	h->nlmsg_len = NLMSG_LENGTH(sizeof *t);
	h->nlmsg_type = (unsigned short)gettype[ty];
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	if (req_list(L, ns, h, VN_DUMP, keep_msg, want, &l, &e) < 0)
		return vn_push_err(L, what, &e, NULL);
	vn_push_raw_iter(L, l, pushers[ty], nsidx);
	return 1;
}

/* link:qdiscs() -> iterator over the link's qdiscs */
static int l_qdiscs(lua_State *L)
{
	int ifindex = vn_link_ifindex(L, 1);
	vn_ns *ns = vn_box_ns(L, 1);
	return dump(L, ns, -1, T_QDISC, ifindex, 0, "qdiscs");
}

/* ns:qdiscs{ dev = } -> iterator over the qdiscs of the namespace (or of dev) */
static int ns_qdiscs(lua_State *L)
{
	static const char *const keys[] = { "dev", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	int dev = 0;
	lua_settop(L, 2);
	if (!lua_isnil(L, 2)) {
		vn_opts_check(L, 2, "qdiscs", keys);
		if ((dev = vn_opt_ifindex(L, 2, ns, "qdiscs", "dev")) < 0) {
			lua_getfield(L, 2, "dev");
			vn_push_devdesc(L, -1);
			return vn_fail(L, lua_pushfstring(L, "qdiscs: dev '%s'", lua_tostring(L, -1)),
				       ENODEV, NULL);
		}
	}
	return dump(L, ns, 1, T_QDISC, dev, 0, "qdiscs");
}

/* Sends the delete request for the object box at 1 of type ty. */
static int obj_delete(lua_State *L, int ty)
{
	static const char *const names[] = { VN_QDISC, VN_CLASS, VN_FILTER };
	static const int deltype[] = { RTM_DELQDISC, RTM_DELTCLASS, RTM_DELTFILTER };
	vn_msgbox *mb = (vn_msgbox *)luaL_checkudata(L, 1, names[ty]);
	char kind[32];
	tc_stackbuf sb;
	vn_ns *ns;
	tc_buf *b;
	tc_view v;
	if (!vn_msgbox_live(mb))
		return luaL_error(L, "attempt to use a released %s", names[ty]);
	ns = vn_box_ns(L, 1);                       /* 2 */
	tc_parse(&v, mb->m, mb->len);
	b = tc_buf_init(&sb, "delete", deltype[ty], 0);
	*TC_TCM(b) = *v.t;
	view_kind(&v, kind, sizeof kind);
	if (v.a[TCA_KIND])
		tc_put_str(L, b, TCA_KIND, kind);
	if (ty == T_FILTER && v.a[TCA_CHAIN])
		tc_put_u32(L, b, TCA_CHAIN, vn_rta_u32(v.a[TCA_CHAIN]));
	tc_push_handle(L, v.t->tcm_handle, 0);
	lua_pushfstring(L, "delete %s %s %s dev %d", names[ty] + 5, kind, lua_tostring(L, -1),
			v.t->tcm_ifindex);
	return send_change(L, ns, 2, b, ty, lua_tostring(L, -1), 1);
}

static int qdisc_delete(lua_State *L) { return obj_delete(L, T_QDISC); }
static int class_delete(lua_State *L) { return obj_delete(L, T_CLASS); }
static int filter_delete(lua_State *L) { return obj_delete(L, T_FILTER); }

/* ---- classes ---------------------------------------------------------------------- */
/* The start of class_modify and filter_modify: the options table at 2, the
 * link's namespace at 3 (returned); option kind into kind (32 bytes), and
 * whether it is given (it is required but to delete). */
static vn_ns *modify_begin(lua_State *L, const char *fn, int mode, char *kind, int *given)
{
	vn_ns *ns;
	lua_settop(L, 2);
	luaL_checktype(L, 2, LUA_TTABLE);
	ns = vn_box_ns(L, 1);                                /* 3 */
	*given = vn_opt_str(L, 2, fn, "kind", kind, 32) != NULL;
	if (!*given && mode != M_DEL)
		luaL_error(L, "%s: option 'kind' is required", fn);
	return ns;
}

static int class_modify(lua_State *L, const char *fn, int mode)
{
	int ifindex = vn_link_ifindex(L, 1);
	char kind[32];
	const tc_kind *k = NULL;
	uint32_t parent = 0, classid = 0;
	tc_stackbuf sb;
	int given;
	vn_ns *ns = modify_begin(L, fn, mode, kind, &given);
	tc_buf *b;

	if (given && (!(k = tc_kind_find(kind)) || !k->class_keys))
		luaL_error(L, "%s: qdisc kind '%s' has no classes vnet can make", fn, kind);
	check_keys(L, fn, c_common, mode == M_DEL || !k ? NULL : k->class_keys);
	if (!tc_opt_handle(L, 2, fn, "classid", 0, &classid))
		luaL_error(L, "%s: option 'classid' is required", fn);
	if (!tc_opt_handle(L, 2, fn, "parent", 0, &parent) && mode != M_DEL)
		parent = TC_H_MAJ(classid);   /* a root class of its qdisc */
	b = tc_buf_init(&sb, fn, mode == M_DEL ? RTM_DELTCLASS : RTM_NEWTCLASS,
			mode_flags[mode]);
	TC_TCM(b)->tcm_ifindex = ifindex;
	TC_TCM(b)->tcm_parent = parent;
	TC_TCM(b)->tcm_handle = classid;
	if (k) {
		tc_put_str(L, b, TCA_KIND, kind);
		if (mode != M_DEL)
			k->class_parse(L, 2, b);
	}
	lua_settop(L, 4);
	vn_link_desc(L, 1);
	tc_push_handle(L, classid, 0);
	lua_pushfstring(L, "%s %s dev %s", fn, lua_tostring(L, -1), lua_tostring(L, -2));
	return send_change(L, ns, 3, b, T_CLASS, lua_tostring(L, -1), mode == M_DEL);
}

static int l_class_add(lua_State *L) { return class_modify(L, "class_add", M_ADD); }
static int l_class_replace(lua_State *L) { return class_modify(L, "class_replace", M_REPLACE); }
static int l_class_change(lua_State *L) { return class_modify(L, "class_change", M_CHANGE); }
static int l_class_del(lua_State *L) { return class_modify(L, "class_del", M_DEL); }

/* link:classes([{ parent = }]), link:filters([{ parent = }]) -> iterator
 * over the link's objects of type ty (a filter's parent: default the root
 * qdisc) */
static int list_of_link(lua_State *L, int ty, const char *fn)
{
	static const char *const keys[] = { "parent", NULL };
	int ifindex = vn_link_ifindex(L, 1);
	uint32_t parent = 0;
	vn_ns *ns;
	lua_settop(L, 2);
	if (!lua_isnil(L, 2)) {
		vn_opts_check(L, 2, fn, keys);
		if (tc_opt_handle(L, 2, fn, "parent", 0, &parent) && ty == T_FILTER &&
		    parent == TC_H_ROOT)
			parent = 0;       /* the root qdisc's (see filter_modify) */
	}
	ns = vn_box_ns(L, 1);
	return dump(L, ns, -1, ty, ifindex, parent, fn);
}

static int l_classes(lua_State *L) { return list_of_link(L, T_CLASS, "classes"); }

/* ---- filters ------------------------------------------------------------------------- */
static const char *const f_common[] = { "kind", "parent", "prio", "protocol", "handle",
					"chain", NULL };

static uint16_t opt_protocol(lua_State *L, const char *fn, int *has)
{
	lua_Integer n;
	int i;
	*has = 0;
	if (!opt_push(L, 2, "protocol"))
		return htons(ETH_P_ALL);
	*has = 1;
	if (lua_type(L, -1) == LUA_TNUMBER) {
		n = vn_check_int(L, -1, fn, "option 'protocol'", 0, 0xffff);
		lua_pop(L, 1);
		return htons((uint16_t)n);
	}
	vn_check_str(L, -1, fn, "option 'protocol'", 32);
	for (i = 0; protos[i].name; i++)
		if (!strcmp(protos[i].name, lua_tostring(L, -1))) {
			lua_pop(L, 1);
			return htons((uint16_t)protos[i].proto);
		}
	if (vn_parse_int(lua_tostring(L, -1), 0, 0xffff, &n)) {
		lua_pop(L, 1);
		return htons((uint16_t)n);
	}
	luaL_error(L, "%s: option 'protocol' '%s' is not one of all, ip, ipv6, arp, "
		   "802.1q, 802.1ad, mpls_uc, mpls_mc or a number", fn, lua_tostring(L, -1));
	return 0;
}

static int filter_modify(lua_State *L, const char *fn, int mode)
{
	int ifindex = vn_link_ifindex(L, 1), has_proto;
	char kind[32];
	const tc_fkind *k = NULL;
	uint32_t parent = 0, handle = 0, chain = 0;
	lua_Integer prio = 0;
	uint16_t proto;
	tc_stackbuf sb;
	int given;
	vn_ns *ns = modify_begin(L, fn, mode, kind, &given);
	tc_buf *b;

	if (given && !(k = tc_fkind_find(kind)))
		unknown_kind(L, fn, "filter", kind, fname);
	check_keys(L, fn, f_common, mode == M_DEL || !k ? NULL : k->keys);
	/* the root qdisc's filters: parent 0 (TC_H_ROOT's major is the one
	 * of ffff:, so the kernel would take the ingress qdisc for it) */
	if (!tc_opt_handle(L, 2, fn, "parent", 0, &parent) || parent == TC_H_ROOT)
		parent = 0;
	if (!vn_opt_int(L, 2, fn, "prio", 0, 0xffff, &prio) && mode != M_ADD && mode != M_DEL)
		luaL_error(L, "%s: option 'prio' is required", fn);
	proto = opt_protocol(L, fn, &has_proto);
	if (mode == M_DEL && !has_proto)
		proto = 0;
	if (opt_push(L, 2, "handle")) {
		if (lua_type(L, -1) == LUA_TNUMBER)
			handle = (uint32_t)vn_check_int(L, -1, fn, "option 'handle'", 0, 0xffffffffLL);
		else if (lua_type(L, -1) == LUA_TSTRING && (!k || strcmp(k->name, "u32")))
			handle = check_handle(L, lua_gettop(L), fn, "option 'handle'", 0);
		else if (lua_type(L, -1) == LUA_TSTRING) {
			/* u32: "800::800", "800:0:1", "800:": hex parts htid:hash:node,
			 * each may be empty (0) */
			const char *str = vn_check_str(L, -1, fn, "option 'handle'", 32), *p = str;
			unsigned part[3] = { 0, 0, 0 }, max[3] = { 0xfff, 0xff, 0xfff };
			int i, bad = 0;
			for (i = 0; i < 3 && !bad; i++) {
				int nd = 0;
				while (*p && *p != ':') {
					int c = *p++, d = c >= '0' && c <= '9' ? c - '0'
						: c >= 'a' && c <= 'f' ? c - 'a' + 10
						: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
					if (d < 0 || ++nd > 3 || (part[i] = part[i] * 16 + (unsigned)d) > max[i])
						bad = 1;
				}
				if (!*p)
					break;
				p++;                    /* ':' */
				if (i == 2)
					bad = 1;        /* a fourth part */
			}
			if (bad || !*str)
				luaL_error(L, "%s: option 'handle' '%s' is not a u32 handle like "
					   "'800::800'", fn, str);
			unsigned ht = part[0], hs = part[1], nd = part[2];
			handle = (ht << 20) | (hs << 12) | nd;
		} else
			luaL_error(L, "%s: option 'handle' must be a number or a string, got %s",
				   fn, luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	b = tc_buf_init(&sb, fn, mode == M_DEL ? RTM_DELTFILTER : RTM_NEWTFILTER,
			mode_flags[mode]);
	TC_TCM(b)->tcm_ifindex = ifindex;
	TC_TCM(b)->tcm_parent = parent;
	TC_TCM(b)->tcm_handle = handle;
	TC_TCM(b)->tcm_info = TC_H_MAKE((uint32_t)prio << 16, proto);
	{
		lua_Integer c;
		if (vn_opt_int(L, 2, fn, "chain", 0, 0xffffffffLL, &c)) {
			chain = (uint32_t)c;
			tc_put_u32(L, b, TCA_CHAIN, chain);
		}
	}
	if (k) {
		tc_put_str(L, b, TCA_KIND, kind);
		if (mode != M_DEL)
			k->parse(L, 2, ns, b);
		if (b->err) {
			vn_link_desc(L, 1);
			return vn_fail(L, lua_pushfstring(L, "%s %s dev %s: %s", fn, kind,
							  lua_tostring(L, -1), b->what), b->err, NULL);
		}
	}
	lua_settop(L, 4);
	vn_link_desc(L, 1);
	lua_pushfstring(L, "%s %s dev %s", fn, k ? kind : "", lua_tostring(L, -1));
	return send_change(L, ns, 3, b, T_FILTER, lua_tostring(L, -1), mode == M_DEL);
}

static int l_filter_add(lua_State *L) { return filter_modify(L, "filter_add", M_ADD); }
static int l_filter_replace(lua_State *L) { return filter_modify(L, "filter_replace", M_REPLACE); }
static int l_filter_change(lua_State *L) { return filter_modify(L, "filter_change", M_CHANGE); }
static int l_filter_del(lua_State *L) { return filter_modify(L, "filter_del", M_DEL); }

static int l_filters(lua_State *L) { return list_of_link(L, T_FILTER, "filters"); }

/***
 * Traffic control (`tc qdisc`, `tc class`, `tc filter`): the `link:qdisc_*`,
 * `link:class_*` and `link:filter_*` methods, `ns:qdiscs`, and the
 * `vnet.qdisc`, `vnet.class` and `vnet.filter` objects they return.
 *
 * Options of `qdisc_add`, `qdisc_replace` and `qdisc_change` (named, in one
 * table):
 *
 *  * `kind` (required but for `qdisc_del`): `"netem"`, `"tbf"`, `"htb"`,
 *    `"prio"`, `"sfq"`, `"fq_codel"`, `"pfifo"`, `"bfifo"`, `"ingress"`,
 *    `"clsact"` (`vnet.core.tc_kinds()` lists them)
 *  * `parent`: `"root"` (default) or a class handle `"1:10"` (an `ingress`
 *    or `clsact` qdisc has its own place and the handle `ffff:`)
 *  * `handle`: `"1:"`
 *  * the kind's own options (see `qdisc_options`); a change sends every
 *    option, and one not given goes back to its default
 *
 * `qdisc_del` takes `parent`, `handle` and `kind`: `qdisc_del{}` removes
 * the root qdisc, `qdisc_del{ kind = "ingress" }` the ingress one.
 *
 * Options of `class_add`, `class_replace`, `class_change` and `class_del`:
 * `kind` (the qdisc's: `"htb"`), `parent` (`"1:"`, `"1:1"`), `classid`
 * (`"1:10"`) and the kind's class options (see `qdisc_options`).
 *
 * Options of `filter_add`, `filter_replace`, `filter_change` and
 * `filter_del`: `kind` (`"u32"`, `"matchall"`, `"fw"`, `"basic"`,
 * `"flower"`), `parent` (default or `"root"`: the root qdisc's; `"ingress"`
 * and `"egress"`: clsact's hooks, `"ingress"` also an ingress qdisc's), `prio`,
 * `protocol` (`"all"` by default, `"ip"`, `"ipv6"`, `"arp"`, `"802.1q"`,
 * `"802.1ad"`, `"mpls_uc"`, `"mpls_mc"` or a number), `handle`, `chain`,
 * and the kind's own options (see `filter_options`).
 *
 * Values are tc's spellings (`"10mbit"`, `"100kbps"` (bytes), `"32kb"`,
 * `"50ms"`, `"1%"`) or plain numbers in base units (bits per second, bytes,
 * seconds, percent), and read back as plain numbers; a string without a
 * unit is a size or a percentage (for a rate or a time it raises). Each call is one request; a change
 * answers with the kernel's echo of the object. Misuse raises naming the
 * option; a refusal by the kernel returns `nil, message, errname` (a
 * kernel without the kind: `"ENOENT"`, with its text).
 * @module vnet.tc
 */

/*** The traffic control kinds this build can write (the kernel may lack
 * some: `vnet.supports("qdisc:netem")` probes it).
 * @function vnet.core.tc_kinds
 * @return `{ qdisc = { "netem", ... }, filter = { "u32", ... },
 *   action = { "mirred", ... } }`
 */

/*** Adds a qdisc (`tc qdisc add`).
 * @function link:qdisc_add
 * @tparam table opts the options above
 * @return the `vnet.qdisc`, or `nil, message, errname`
 * @usage
 * local vnet = require "vnet"
 * local ns = assert(vnet.netns.new())
 * assert(ns:link_add{ kind = "veth", name = "a", peer = { name = "b" } })
 * local a = assert(ns:link("a"))
 * local q = assert(a:qdisc_add{ kind = "tbf", rate = "10mbit", burst = "10kb",
 *                               latency = "50ms" })
 * assert(q.kind == "tbf" and q.rate == 10e6)
 * assert(a:qdisc_del{})
 * ns:close()
 */

/*** Adds a qdisc or replaces the one at its place (`tc qdisc replace`).
 * @function link:qdisc_replace
 * @tparam table opts the options above
 * @return the `vnet.qdisc`, or `nil, message, errname`
 */

/*** Changes a qdisc's options in place (`tc qdisc change`).
 * @function link:qdisc_change
 * @tparam table opts the options above
 * @return the `vnet.qdisc`, or `nil, message, "ENOENT"` when there is none
 */

/*** Deletes a qdisc (`tc qdisc del`).
 * @function link:qdisc_del
 * @tparam table opts `parent`, `handle`, `kind`
 * @return `true`, or `nil, message, errname`
 */

/*** The qdiscs of this link (`tc qdisc show dev`).
 * @function link:qdiscs
 * @return an iterator over `vnet.qdisc` objects
 */

/*** The qdiscs of the namespace (`tc qdisc show`).
 * @function ns:qdiscs
 * @tparam[opt] table opts `dev`: only those of that device
 * @return an iterator over `vnet.qdisc` objects
 */

/*** Adds a class (`tc class add`).
 * @function link:class_add
 * @tparam table opts the class options above
 * @return the `vnet.class`, or `nil, message, errname`
 */

/*** Adds or replaces a class (`tc class replace`).
 * @function link:class_replace
 * @tparam table opts the class options above
 * @return the `vnet.class`, or `nil, message, errname`
 */

/*** Changes a class (`tc class change`).
 * @function link:class_change
 * @tparam table opts the class options above
 * @return the `vnet.class`, or `nil, message, errname`
 */

/*** Deletes a class (`tc class del`).
 * @function link:class_del
 * @tparam table opts `classid` (and `parent`, `kind`)
 * @return `true`, or `nil, message, errname`
 */

/*** The classes of this link (`tc class show dev`).
 * @function link:classes
 * @tparam[opt] table opts `parent`
 * @return an iterator over `vnet.class` objects
 */

/*** Adds a filter (`tc filter add`).
 * @function link:filter_add
 * @tparam table opts the filter options above
 * @return the `vnet.filter`, or `nil, message, errname`
 */

/*** Adds or replaces a filter (`tc filter replace`).
 * @function link:filter_replace
 * @tparam table opts the filter options above
 * @return the `vnet.filter`, or `nil, message, errname`
 */

/*** Changes a filter (`tc filter change`).
 * @function link:filter_change
 * @tparam table opts the filter options above
 * @return the `vnet.filter`, or `nil, message, errname`
 */

/*** Deletes a filter, or all of a prio or a parent (`tc filter del`).
 * @function link:filter_del
 * @tparam table opts `parent`, `prio`, `protocol`, `handle`, `kind`
 * @return `true`, or `nil, message, errname`
 */

/*** The filters of this link under a parent (`tc filter show dev`).
 * @function link:filters
 * @tparam[opt] table opts `parent` (default the root qdisc; `"ingress"`)
 * @return an iterator over `vnet.filter` objects
 */

/*** A qdisc: the kernel's message, its fields decoded on access; each
 * option of its kind is a field too (`q.rate` is `q.options.rate`).
 * `tostring` reads like `tc qdisc show`; `==` compares device, handle and
 * parent.
 * @type qdisc
 */

/*** The fields of a `vnet.qdisc`.
 * @table fields
 * @field kind the kind, `"tbf"`
 * @field handle the handle, `"1:"`
 * @field parent `"root"`, `"ingress"` or a class handle
 * @field dev the device's ifindex
 * @field options the kind's options as read back (base units)
 */

/*** Deletes the qdisc.
 * @function qdisc:delete
 * @return `true`, or `nil, message, errname`
 */

/*** A class; its kind's options are fields too.
 * @type class
 */

/*** The fields of a `vnet.class`.
 * @table fields
 * @field kind the kind, `"htb"`
 * @field classid the class id, `"1:10"`
 * @field parent the parent's handle
 * @field dev the device's ifindex
 * @field leaf the handle of the qdisc attached to the class, or nil
 * @field prio the class's priority, or nil
 * @field level its level in the hierarchy, or nil
 * @field options the kind's class options as read back
 */

/*** Deletes the class.
 * @function class:delete
 * @return `true`, or `nil, message, errname`
 */

/*** A filter; its kind's options are fields too.
 * @type filter
 */

/*** The fields of a `vnet.filter`.
 * @table fields
 * @field kind the kind, `"u32"`
 * @field handle the handle
 * @field parent the parent qdisc's handle
 * @field dev the device's ifindex
 * @field prio the priority
 * @field protocol `"all"`, `"ip"`... or a number
 * @field chain the chain, or nil
 * @field classid the class it sends to, or nil
 * @field actions the list of its actions (`{ kind = "mirred", ... }`)
 * @field match u32's keys, as read back
 * @field mask fw's mask
 * @field options the kind's options as read back
 */

/*** Deletes the filter.
 * @function filter:delete
 * @return `true`, or `nil, message, errname`
 */

/* ---- registration ---------------------------------------------------------------- */
static const vn_type qdisc_type = VN_MSGBOX_TYPE(VN_QDISC, qdisc_fields, qdisc_tostring,
						 same, qdisc_delete);
static const vn_type class_type = VN_MSGBOX_TYPE(VN_CLASS, class_fields, class_tostring,
						 same, class_delete);
static const vn_type filter_type = VN_MSGBOX_TYPE(VN_FILTER, filter_fields, filter_tostring,
						  filter_same, filter_delete);

static const luaL_Reg link_methods[] = {
	{ "qdisc_add", l_qdisc_add }, { "qdisc_replace", l_qdisc_replace },
	{ "qdisc_change", l_qdisc_change }, { "qdisc_del", l_qdisc_del },
	{ "qdiscs", l_qdiscs },
	{ "class_add", l_class_add }, { "class_replace", l_class_replace },
	{ "class_change", l_class_change }, { "class_del", l_class_del },
	{ "classes", l_classes },
	{ "filter_add", l_filter_add }, { "filter_replace", l_filter_replace },
	{ "filter_change", l_filter_change }, { "filter_del", l_filter_del },
	{ "filters", l_filters },
	{ NULL, NULL }
};

static const luaL_Reg ns_methods[] = { { "qdiscs", ns_qdiscs }, { NULL, NULL } };

static void push_names(lua_State *L, const char *field, const char *(*name)(int))
{
	int i;
	lua_newtable(L);
	for (i = 0; name(i); i++) {
		lua_pushstring(L, name(i));
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, field);
}

int vn_tc_kinds(lua_State *L)
{
	lua_createtable(L, 0, 3);
	push_names(L, "qdisc", qname);
	push_names(L, "filter", fname);
	push_names(L, "action", aname);
	return 1;
}

void vn_open_tc(lua_State *L)
{
	vn_type_register(L, &qdisc_type);
	vn_type_register(L, &class_type);
	vn_type_register(L, &filter_type);
	vn_type_methods(L, VN_LINK, link_methods);
	vn_netns_methods(L, ns_methods);
}
