/*
 * tc_filter.c - filter kinds (u32, matchall, fw, basic, flower) and the
 * actions they run (mirred, gact, skbedit), written as tc writes them and
 * read back from the kernel's messages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_skbedit.h>

#include "tc.h"

#define MAX_ACTIONS 16

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}
static void set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}
static void set_handle(lua_State *L, const char *k, uint32_t h)
{
	tc_push_handle(L, h, 0);
	lua_setfield(L, -2, k);
}

/* ---- actions ----------------------------------------------------------------- */
const char *const tc_action_names[] = { "mirred", "gact", "skbedit", NULL };

static const struct { const char *name; int v; } verdicts[] = {
	{ "pass", TC_ACT_OK }, { "ok", TC_ACT_OK }, { "drop", TC_ACT_SHOT },
	{ "reclassify", TC_ACT_RECLASSIFY }, { "pipe", TC_ACT_PIPE },
	{ "continue", TC_ACT_UNSPEC }, { "stolen", TC_ACT_STOLEN }, { "trap", TC_ACT_TRAP },
	{ NULL, 0 }
};

static const char *verdict_name(int v)
{
	int i;
	for (i = 0; verdicts[i].name; i++)
		if (verdicts[i].v == v)
			return verdicts[i].name;
	return NULL;
}

/* A verdict option (as gact's, or what a mirror does next) at sidx. */
static int check_verdict(lua_State *L, int sidx, const char *fn, const char *what)
{
	const char *s = vn_check_str(L, sidx, fn, what, 32);
	int i;
	for (i = 0; verdicts[i].name; i++)
		if (!strcmp(verdicts[i].name, s))
			return verdicts[i].v;
	luaL_error(L, "%s: %s '%s' is not one of pass, ok, drop, reclassify, pipe, continue, "
		   "stolen, trap", fn, what, s);
	return 0;
}

/* Writes one action (the value at sidx: a table, or a verdict string for
 * gact) as the nested attribute number order. */
static void parse_action(lua_State *L, int sidx, vn_ns *ns, tc_buf *b, int order)
{
	static const char *const mirred_keys[] = { "kind", "mode", "direction", "dev",
						   "verdict", NULL };
	static const char *const gact_keys[] = { "kind", "verdict", NULL };
	static const char *const skbedit_keys[] = { "kind", "mark", "priority",
						    "queue_mapping", "ptype", NULL };
	static const char *const kinds[] = { "mirred", "gact", "skbedit", NULL };
	const char *fn = b->fn;
	char sub[64];
	size_t off, oo;
	int kind, top = lua_gettop(L);
	sidx = vn_absindex(L, sidx);
	snprintf(sub, sizeof sub, "%s: action %d", fn, order);
	off = tc_nest(L, b, order);
	if (lua_type(L, sidx) == LUA_TSTRING) {
		struct tc_gact g;
		memset(&g, 0, sizeof g);
		g.action = check_verdict(L, sidx, sub, "verdict");
		tc_put_str(L, b, TCA_ACT_KIND, "gact");
		oo = tc_nest(L, b, TCA_ACT_OPTIONS);
		tc_put(L, b, TCA_GACT_PARMS, &g, sizeof g);
		tc_nest_end(b, oo);
		tc_nest_end(b, off);
		return;
	}
	if (!lua_istable(L, sidx))
		luaL_error(L, "%s must be a table or a verdict ('drop', 'pass'...), got %s", sub,
			   luaL_typename(L, sidx));
	if (!vn_opt_enum(L, sidx, sub, "kind", kinds, &kind))
		luaL_error(L, "%s needs kind ('mirred', 'gact' or 'skbedit')", sub);
	tc_put_str(L, b, TCA_ACT_KIND, kinds[kind]);
	oo = tc_nest(L, b, TCA_ACT_OPTIONS);
	if (kind == 0) {
		static const char *const modes[] = { "redirect", "mirror", NULL };
		static const char *const dirs[] = { "egress", "ingress", NULL };
		struct tc_mirred m;
		int mode = 0, dir = 0, dev;
		vn_opts_check(L, sidx, sub, mirred_keys);
		memset(&m, 0, sizeof m);
		vn_opt_enum(L, sidx, sub, "mode", modes, &mode);
		vn_opt_enum(L, sidx, sub, "direction", dirs, &dir);
		lua_getfield(L, sidx, "dev");
		if (lua_isnil(L, -1))
			luaL_error(L, "%s: option 'dev' is required", sub);
		lua_pop(L, 1);
		dev = vn_opt_ifindex(L, sidx, ns, sub, "dev");
		if (dev < 0 && !b->err) {
			/* a name that is not there: a failure, not a raise */
			lua_getfield(L, sidx, "dev");
			vn_push_devdesc(L, -1);
			b->err = -dev;
			snprintf(b->what, sizeof b->what, "action %d dev '%s'", order,
				 lua_tostring(L, -1));
			lua_pop(L, 2);
			dev = 0;
		}
		m.ifindex = (uint32_t)dev;
		m.eaction = mode == 0 ? (dir == 0 ? TCA_EGRESS_REDIR : TCA_INGRESS_REDIR)
				      : (dir == 0 ? TCA_EGRESS_MIRROR : TCA_INGRESS_MIRROR);
		m.action = mode == 0 ? TC_ACT_STOLEN : TC_ACT_PIPE;
		lua_getfield(L, sidx, "verdict");
		if (!lua_isnil(L, -1))
			m.action = check_verdict(L, -1, sub, "option 'verdict'");
		lua_pop(L, 1);
		tc_put(L, b, TCA_MIRRED_PARMS, &m, sizeof m);
	} else if (kind == 1) {
		struct tc_gact g;
		vn_opts_check(L, sidx, sub, gact_keys);
		memset(&g, 0, sizeof g);
		lua_getfield(L, sidx, "verdict");
		if (lua_isnil(L, -1))
			luaL_error(L, "%s: option 'verdict' is required", sub);
		g.action = check_verdict(L, -1, sub, "option 'verdict'");
		lua_pop(L, 1);
		tc_put(L, b, TCA_GACT_PARMS, &g, sizeof g);
	} else {
		struct tc_skbedit s;
		lua_Integer n;
		vn_opts_check(L, sidx, sub, skbedit_keys);
		memset(&s, 0, sizeof s);
		s.action = TC_ACT_PIPE;
		tc_put(L, b, TCA_SKBEDIT_PARMS, &s, sizeof s);
		if (vn_opt_int(L, sidx, sub, "mark", 0, 0xffffffffLL, &n))
			tc_put_u32(L, b, TCA_SKBEDIT_MARK, (uint32_t)n);
		lua_getfield(L, sidx, "priority");
		if (!lua_isnil(L, -1)) {
			uint32_t h;
			if (lua_type(L, -1) == LUA_TNUMBER)
				h = (uint32_t)vn_check_int(L, -1, sub, "option 'priority'", 0, 0xffffffffLL);
			else if (!tc_opt_handle(L, sidx, sub, "priority", 0, &h))
				h = 0;
			tc_put_u32(L, b, TCA_SKBEDIT_PRIORITY, h);
		}
		lua_pop(L, 1);
		if (vn_opt_int(L, sidx, sub, "queue_mapping", 0, 0xffff, &n)) {
			uint16_t q = (uint16_t)n;
			tc_put(L, b, TCA_SKBEDIT_QUEUE_MAPPING, &q, sizeof q);
		}
		if (vn_opt_int(L, sidx, sub, "ptype", 0, 7, &n)) {
			uint16_t q = (uint16_t)n;
			tc_put(L, b, TCA_SKBEDIT_PTYPE, &q, sizeof q);
		}
	}
	tc_nest_end(b, oo);
	tc_nest_end(b, off);
	lua_settop(L, top);
}

void tc_parse_actions(lua_State *L, int idx, vn_ns *ns, tc_buf *b, const char *key, int type)
{
	size_t off;
	int t;
	idx = vn_absindex(L, idx);
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	t = lua_gettop(L);
	off = tc_nest(L, b, type);
	/* a list of actions: a plain table whose [1] is set */
	if (lua_istable(L, t) && !lua_getmetatable(L, t) && (lua_rawgeti(L, t, 1), !lua_isnil(L, -1))) {
		size_t i, n = lua_rawlen(L, t);
		lua_pop(L, 1);
		if (n > MAX_ACTIONS)
			luaL_error(L, "%s: option '%s' holds more than %d actions", b->fn, key,
				   MAX_ACTIONS);
		lua_pushnil(L);
		while (lua_next(L, t)) {
			lua_pop(L, 1);
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
			    (size_t)lua_tointeger(L, -1) > n)
				luaL_error(L, "%s: option '%s' must be one action or a list of them",
					   b->fn, key);
		}
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, t, (lua_Integer)i);
			parse_action(L, -1, ns, b, (int)i);
			lua_pop(L, 1);
		}
	} else {
		lua_settop(L, t);
		parse_action(L, t, ns, b, 1);
	}
	tc_nest_end(b, off);
	lua_settop(L, t - 1);
}

static void push_action(lua_State *L, const struct rtattr *a)
{
	const struct rtattr *tb[TCA_ACT_MAX + 1], *o[TCA_MIRRED_MAX + TCA_SKBEDIT_MAX + 1];
	char kind[32];
	size_t n;
	vn_attrs_index(RTA_DATA(a), RTA_PAYLOAD(a), 0, tb, TCA_ACT_MAX);
	lua_newtable(L);
	if (!tb[TCA_ACT_KIND])
		return;
	n = RTA_PAYLOAD(tb[TCA_ACT_KIND]);
	if (n >= sizeof kind)
		n = sizeof kind - 1;
	memcpy(kind, RTA_DATA(tb[TCA_ACT_KIND]), n);
	kind[n] = 0;
	set_str(L, "kind", kind);
	if (tb[TCA_ACT_INDEX])
		set_int(L, "index", vn_rta_u32(tb[TCA_ACT_INDEX]));
	if (!tb[TCA_ACT_OPTIONS])
		return;
	vn_attrs_index(RTA_DATA(tb[TCA_ACT_OPTIONS]), RTA_PAYLOAD(tb[TCA_ACT_OPTIONS]), 0, o,
		       TCA_SKBEDIT_MAX > TCA_MIRRED_MAX ? TCA_SKBEDIT_MAX : TCA_MIRRED_MAX);
	if (!strcmp(kind, "mirred") && o[TCA_MIRRED_PARMS] &&
	    RTA_PAYLOAD(o[TCA_MIRRED_PARMS]) >= sizeof(struct tc_mirred)) {
		struct tc_mirred m;
		memcpy(&m, RTA_DATA(o[TCA_MIRRED_PARMS]), sizeof m);
		set_str(L, "mode", m.eaction == TCA_EGRESS_REDIR || m.eaction == TCA_INGRESS_REDIR
				   ? "redirect" : "mirror");
		set_str(L, "direction", m.eaction == TCA_EGRESS_REDIR ||
					m.eaction == TCA_EGRESS_MIRROR ? "egress" : "ingress");
		set_int(L, "dev", m.ifindex);
		if (verdict_name(m.action))
			set_str(L, "verdict", verdict_name(m.action));
		set_int(L, "index", m.index);
	} else if (!strcmp(kind, "gact") && o[TCA_GACT_PARMS] &&
		   RTA_PAYLOAD(o[TCA_GACT_PARMS]) >= sizeof(struct tc_gact)) {
		struct tc_gact g;
		memcpy(&g, RTA_DATA(o[TCA_GACT_PARMS]), sizeof g);
		if (verdict_name(g.action))
			set_str(L, "verdict", verdict_name(g.action));
		else
			set_int(L, "verdict", g.action);
		set_int(L, "index", g.index);
	} else if (!strcmp(kind, "skbedit")) {
		if (o[TCA_SKBEDIT_MARK])
			set_int(L, "mark", vn_rta_u32(o[TCA_SKBEDIT_MARK]));
		if (o[TCA_SKBEDIT_PRIORITY])
			set_handle(L, "priority", vn_rta_u32(o[TCA_SKBEDIT_PRIORITY]));
		if (o[TCA_SKBEDIT_QUEUE_MAPPING])
			set_int(L, "queue_mapping", vn_rta_u16(o[TCA_SKBEDIT_QUEUE_MAPPING]));
		if (o[TCA_SKBEDIT_PTYPE])
			set_int(L, "ptype", vn_rta_u16(o[TCA_SKBEDIT_PTYPE]));
	}
}

void tc_push_actions(lua_State *L, const struct rtattr *a)
{
	const struct rtattr *tb[MAX_ACTIONS + 2];
	int i, n = 0;
	if (!a)
		return;
	vn_attrs_index(RTA_DATA(a), RTA_PAYLOAD(a), 0, tb, MAX_ACTIONS + 1);
	lua_newtable(L);
	for (i = 1; i <= MAX_ACTIONS + 1; i++)
		if (tb[i]) {
			push_action(L, tb[i]);
			lua_rawseti(L, -2, ++n);
		}
	lua_setfield(L, -2, "actions");
}

/* ---- common pieces --------------------------------------------------------------- */
static void opt_classid(lua_State *L, int idx, tc_buf *b, int type)
{
	uint32_t h;
	if (tc_opt_handle(L, idx, b->fn, "classid", 0, &h))
		tc_put_u32(L, b, type, h);
}

/* Options skip_sw and skip_hw of the table at idx: the flags attribute type
 * of b, when either is true. */
static void opt_skip(lua_State *L, int idx, tc_buf *b, int type)
{
	uint32_t flags = 0;
	int v;
	if (vn_opt_bool(L, idx, b->fn, "skip_sw", &v) && v)
		flags |= TCA_CLS_FLAGS_SKIP_SW;
	if (vn_opt_bool(L, idx, b->fn, "skip_hw", &v) && v)
		flags |= TCA_CLS_FLAGS_SKIP_HW;
	if (flags)
		tc_put_u32(L, b, type, flags);
}

static void push_skip(lua_State *L, const struct rtattr *flags)
{
	uint32_t f;
	if (!flags)
		return;
	f = vn_rta_u32(flags);
	if (f & TCA_CLS_FLAGS_SKIP_SW) { lua_pushboolean(L, 1); lua_setfield(L, -2, "skip_sw"); }
	if (f & TCA_CLS_FLAGS_SKIP_HW) { lua_pushboolean(L, 1); lua_setfield(L, -2, "skip_hw"); }
}

/* Indexes a filter's options into a[0..max] and sets classid (attribute
 * cls); 0, a untouched, when there are none. */
static int push_index(lua_State *L, const struct rtattr *opts, const struct rtattr **a,
		      unsigned max, int cls)
{
	if (!opts)
		return 0;
	vn_attrs_index(RTA_DATA(opts), RTA_PAYLOAD(opts), 0, a, max);
	if (a[cls])
		set_handle(L, "classid", vn_rta_u32(a[cls]));
	return 1;
}

static int has_action(lua_State *L, int idx)
{
	int r;
	lua_getfield(L, idx, "action");
	r = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return r;
}

/* ---- u32 ------------------------------------------------------------------------------ */
static const char *const u32_keys[] = { "match", "classid", "action", NULL };

#define U32_MAXKEYS 32

typedef struct u32_sel {
	struct tc_u32_sel s;
	struct tc_u32_key k[U32_MAXKEYS];
} u32_sel;

static void add_key(lua_State *L, const char *fn, u32_sel *sel, uint32_t val, uint32_t mask,
		    int off)
{
	if (sel->s.nkeys >= U32_MAXKEYS)
		luaL_error(L, "%s: option 'match' has more than %d keys", fn, U32_MAXKEYS);
	sel->k[sel->s.nkeys].val = htonl(val & mask);
	sel->k[sel->s.nkeys].mask = htonl(mask);
	sel->k[sel->s.nkeys].off = off;
	sel->s.nkeys++;
}

/* match = { src =, dst =, protocol =, sport =, dport =, tos = } (IPv4,
 * as tc's "match ip ...") or a list of raw keys { value =, mask =, at = } */
static void u32_match(lua_State *L, int idx, tc_buf *b, u32_sel *sel)
{
	static const char *const ipkeys[] = { "src", "dst", "protocol", "sport", "dport",
					      "tos", NULL };
	static const char *const rawkeys[] = { "value", "mask", "at", NULL };
	const char *fn = b->fn;
	char sub[64];
	lua_Integer n;
	int t;
	lua_getfield(L, idx, "match");
	t = lua_gettop(L);
	if (lua_isnil(L, t)) {
		add_key(L, fn, sel, 0, 0, 0);      /* all: "match u32 0 0" */
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, t))
		luaL_error(L, "%s: option 'match' must be a table, got %s", fn, luaL_typename(L, t));
	snprintf(sub, sizeof sub, "%s: option 'match'", fn);
	if (!lua_getmetatable(L, t) && (lua_rawgeti(L, t, 1), !lua_isnil(L, -1))) {
		size_t i, len = lua_rawlen(L, t);
		lua_pop(L, 1);
		for (i = 1; i <= len; i++) {
			lua_Integer v = 0, m = 0xffffffffLL, at = 0;
			lua_rawgeti(L, t, (lua_Integer)i);
			if (!lua_istable(L, -1))
				luaL_error(L, "%s: key %d must be a table { value =, mask =, at = }",
					   sub, (int)i);
			vn_opts_check(L, -1, sub, rawkeys);
			vn_opt_int(L, -1, sub, "value", 0, 0xffffffffLL, &v);
			vn_opt_int(L, -1, sub, "mask", 0, 0xffffffffLL, &m);
			vn_opt_int(L, -1, sub, "at", -65536, 65535, &at);
			if (at % 4)
				luaL_error(L, "%s: key %d: 'at' must be a multiple of 4", sub, (int)i);
			add_key(L, fn, sel, (uint32_t)v, (uint32_t)m, (int)at);
			lua_pop(L, 1);
		}
		lua_settop(L, t - 1);
		return;
	}
	lua_settop(L, t);
	vn_opts_check(L, t, sub, ipkeys);
	{
		vn_ip ip;
		int k;
		const char *ak[2] = { "src", "dst" };
		for (k = 0; k < 2; k++)
			if (vn_opt_ip(L, t, sub, ak[k], AF_INET, &ip)) {
				uint32_t a, m;
				memcpy(&a, ip.b, 4);
				m = ip.plen ? 0xffffffffu << (32 - ip.plen) : 0;
				add_key(L, fn, sel, ntohl(a), m, 12 + 4 * k);
			}
	}
	lua_getfield(L, t, "protocol");
	if (!lua_isnil(L, -1)) {
		static const struct { const char *n; int v; } ps[] = { { "tcp", 6 }, { "udp", 17 },
			{ "icmp", 1 }, { "gre", 47 }, { "sctp", 132 }, { NULL, 0 } };
		int p = -1, i;
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *s = vn_check_str(L, -1, sub, "option 'protocol'", 16);
			for (i = 0; ps[i].n; i++)
				if (!strcmp(ps[i].n, s))
					p = ps[i].v;
			if (p < 0)
				luaL_error(L, "%s: option 'protocol' '%s' is not tcp, udp, icmp, gre, "
					   "sctp or a number", sub, s);
		} else {
			p = (int)vn_check_int(L, -1, sub, "option 'protocol'", 0, 255);
		}
		add_key(L, fn, sel, (uint32_t)p << 16, 0x00ff0000u, 8);
	}
	lua_pop(L, 1);
	if (vn_opt_int(L, t, sub, "tos", 0, 255, &n))
		add_key(L, fn, sel, (uint32_t)n << 16, 0x00ff0000u, 0);
	/* ports: the first word past a header without options, as tc's
	 * "match ip sport/dport" */
	if (vn_opt_int(L, t, sub, "sport", 0, 65535, &n))
		add_key(L, fn, sel, (uint32_t)n << 16, 0xffff0000u, 20);
	if (vn_opt_int(L, t, sub, "dport", 0, 65535, &n))
		add_key(L, fn, sel, (uint32_t)n, 0x0000ffffu, 20);
	if (!sel->s.nkeys)
		add_key(L, fn, sel, 0, 0, 0);
	lua_settop(L, t - 1);
}

static void u32_parse(lua_State *L, int idx, vn_ns *ns, tc_buf *b)
{
	u32_sel selbuf, *sel = &selbuf;   /* on the C stack: nothing to free on a raise */
	size_t off;
	memset(sel, 0, sizeof *sel);
	u32_match(L, idx, b, sel);
	lua_getfield(L, idx, "classid");
	if (!lua_isnil(L, -1) || has_action(L, idx))
		sel->s.flags |= TC_U32_TERMINAL;
	lua_pop(L, 1);
	off = tc_nest(L, b, TCA_OPTIONS);
	opt_classid(L, idx, b, TCA_U32_CLASSID);
	tc_put(L, b, TCA_U32_SEL, sel, sizeof sel->s + sel->s.nkeys * sizeof(struct tc_u32_key));
	tc_parse_actions(L, idx, ns, b, "action", TCA_U32_ACT);
	tc_nest_end(b, off);
}

static void u32_push(lua_State *L, const struct rtattr *opts, uint32_t handle)
{
	const struct rtattr *a[TCA_U32_MAX + 1];
	char h[32];
	int hn = 0;
	/* as tc prints it: "800::800", "800:" (a hash table), "none" */
	h[0] = 0;
	if (!handle)
		snprintf(h, sizeof h, "none");
	if (TC_U32_USERHTID(handle))
		hn += snprintf(h + hn, sizeof h - (size_t)hn, "%x:", TC_U32_USERHTID(handle));
	if (TC_U32_HASH(handle))
		hn += snprintf(h + hn, sizeof h - (size_t)hn, "%x", TC_U32_HASH(handle));
	if (TC_U32_NODE(handle))
		snprintf(h + hn, sizeof h - (size_t)hn, ":%x", TC_U32_NODE(handle));
	set_str(L, "handle", h);
	if (!push_index(L, opts, a, TCA_U32_MAX, TCA_U32_CLASSID))
		return;
	if (a[TCA_U32_DIVISOR])
		set_int(L, "divisor", vn_rta_u32(a[TCA_U32_DIVISOR]));
	if (a[TCA_U32_SEL] && RTA_PAYLOAD(a[TCA_U32_SEL]) >= sizeof(struct tc_u32_sel)) {
		struct tc_u32_sel s;
		const struct tc_u32_key *k;
		unsigned i, n;
		memcpy(&s, RTA_DATA(a[TCA_U32_SEL]), sizeof s);
		n = (RTA_PAYLOAD(a[TCA_U32_SEL]) - sizeof s) / sizeof *k;
		if (s.nkeys < n)
			n = s.nkeys;
		k = (const struct tc_u32_key *)((const char *)RTA_DATA(a[TCA_U32_SEL]) + sizeof s);
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			struct tc_u32_key key;
			memcpy(&key, k + i, sizeof key);
			lua_createtable(L, 0, 3);
			set_int(L, "value", ntohl(key.val));
			set_int(L, "mask", ntohl(key.mask));
			set_int(L, "at", key.off);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "match");
		lua_pushboolean(L, (s.flags & TC_U32_TERMINAL) != 0);
		lua_setfield(L, -2, "terminal");
	}
	tc_push_actions(L, a[TCA_U32_ACT]);
}

/* ---- matchall / basic / fw ---------------------------------------------------------- */
static const char *const matchall_keys[] = { "classid", "action", "skip_sw", "skip_hw", NULL };
static const char *const basic_keys[] = { "classid", "action", NULL };
static const char *const fw_keys[] = { "classid", "action", "mask", NULL };

/* The attributes of these three kinds: classid and actions, matchall's
 * skip flags, fw's mask (0: none); fw shows its handle (a mark). */
typedef struct simple_kind { int cls, act, flags, mask, handle; unsigned max; } simple_kind;
static const simple_kind s_matchall = { TCA_MATCHALL_CLASSID, TCA_MATCHALL_ACT,
					TCA_MATCHALL_FLAGS, 0, 0, TCA_MATCHALL_MAX };
static const simple_kind s_basic = { TCA_BASIC_CLASSID, TCA_BASIC_ACT, 0, 0, 0, TCA_BASIC_MAX };
static const simple_kind s_fw = { TCA_FW_CLASSID, TCA_FW_ACT, 0, TCA_FW_MASK, 1, TCA_FW_MAX };
#define SIMPLE_MAX 16
typedef char simple_max_fits[TCA_MATCHALL_MAX <= SIMPLE_MAX && TCA_BASIC_MAX <= SIMPLE_MAX &&
			     TCA_FW_MAX <= SIMPLE_MAX ? 1 : -1];

static void simple_parse(lua_State *L, int idx, vn_ns *ns, tc_buf *b, const simple_kind *k)
{
	size_t off = tc_nest(L, b, TCA_OPTIONS);
	lua_Integer m;
	opt_classid(L, idx, b, k->cls);
	if (k->flags)
		opt_skip(L, idx, b, k->flags);
	if (k->mask && vn_opt_int(L, idx, b->fn, "mask", 0, 0xffffffffLL, &m))
		tc_put_u32(L, b, k->mask, (uint32_t)m);
	tc_parse_actions(L, idx, ns, b, "action", k->act);
	tc_nest_end(b, off);
}

static void simple_push(lua_State *L, const struct rtattr *opts, uint32_t handle,
			const simple_kind *k)
{
	const struct rtattr *a[SIMPLE_MAX + 1];
	if (k->handle)
		set_int(L, "handle", handle);
	if (!push_index(L, opts, a, k->max, k->cls))
		return;
	if (k->flags)
		push_skip(L, a[k->flags]);
	if (k->mask && a[k->mask])
		set_int(L, "mask", vn_rta_u32(a[k->mask]));
	tc_push_actions(L, a[k->act]);
}

#define SIMPLE_FNS(n)                                                                     \
	static void n##_parse(lua_State *L, int idx, vn_ns *ns, tc_buf *b)                \
	{ simple_parse(L, idx, ns, b, &s_##n); }                                          \
	static void n##_push(lua_State *L, const struct rtattr *opts, uint32_t handle)    \
	{ simple_push(L, opts, handle, &s_##n); }
SIMPLE_FNS(matchall)
SIMPLE_FNS(basic)
SIMPLE_FNS(fw)

/* ---- flower ---------------------------------------------------------------------------- */
static const char *const flower_keys[] = { "classid", "action", "src_ip", "dst_ip",
	"ip_proto", "src_port", "dst_port", "skip_sw", "skip_hw", NULL };

static void flower_parse(lua_State *L, int idx, vn_ns *ns, tc_buf *b)
{
	const char *fn = b->fn;
	uint16_t eth = (uint16_t)TC_H_MIN(TC_TCM(b)->tcm_info);   /* network order */
	int proto = -1, k;
	lua_Integer n;
	size_t off;
	vn_ip ip;
	off = tc_nest(L, b, TCA_OPTIONS);
	opt_classid(L, idx, b, TCA_FLOWER_CLASSID);
	if (eth != htons(ETH_P_ALL))
		tc_put(L, b, TCA_FLOWER_KEY_ETH_TYPE, &eth, sizeof eth);
	lua_getfield(L, idx, "ip_proto");
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *s = vn_check_str(L, -1, fn, "option 'ip_proto'", 16);
			proto = !strcmp(s, "tcp") ? 6 : !strcmp(s, "udp") ? 17 : !strcmp(s, "icmp") ? 1
				: !strcmp(s, "sctp") ? 132 : !strcmp(s, "icmpv6") ? 58 : -1;
			if (proto < 0)
				luaL_error(L, "%s: option 'ip_proto' '%s' is not tcp, udp, icmp, icmpv6, "
					   "sctp or a number", fn, s);
		} else {
			proto = (int)vn_check_int(L, -1, fn, "option 'ip_proto'", 0, 255);
		}
		{
			uint8_t p = (uint8_t)proto;
			tc_put(L, b, TCA_FLOWER_KEY_IP_PROTO, &p, 1);
		}
	}
	lua_pop(L, 1);
	for (k = 0; k < 2; k++) {
		const char *key = k ? "dst_ip" : "src_ip";
		if (vn_opt_ip(L, idx, fn, key, AF_UNSPEC, &ip)) {
			unsigned char mask[16];
			int i;
			if ((ip.family == AF_INET && eth != htons(ETH_P_IP)) ||
			    (ip.family == AF_INET6 && eth != htons(ETH_P_IPV6)))
				luaL_error(L, "%s: option '%s' needs protocol '%s'", fn, key,
					   ip.family == AF_INET ? "ip" : "ipv6");
			memset(mask, 0, sizeof mask);
			for (i = 0; i < ip.plen; i++)
				mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
			if (ip.family == AF_INET) {
				tc_put(L, b, k ? TCA_FLOWER_KEY_IPV4_DST : TCA_FLOWER_KEY_IPV4_SRC, ip.b, 4);
				tc_put(L, b, k ? TCA_FLOWER_KEY_IPV4_DST_MASK : TCA_FLOWER_KEY_IPV4_SRC_MASK,
				       mask, 4);
			} else {
				tc_put(L, b, k ? TCA_FLOWER_KEY_IPV6_DST : TCA_FLOWER_KEY_IPV6_SRC, ip.b, 16);
				tc_put(L, b, k ? TCA_FLOWER_KEY_IPV6_DST_MASK : TCA_FLOWER_KEY_IPV6_SRC_MASK,
				       mask, 16);
			}
		}
	}
	for (k = 0; k < 2; k++) {
		const char *key = k ? "dst_port" : "src_port";
		if (vn_opt_int(L, idx, fn, key, 0, 65535, &n)) {
			uint16_t port = htons((uint16_t)n);
			if (proto != 6 && proto != 17 && proto != 132)
				luaL_error(L, "%s: option '%s' needs ip_proto 'tcp', 'udp' or 'sctp'", fn, key);
			tc_put(L, b, proto == 6 ? (k ? TCA_FLOWER_KEY_TCP_DST : TCA_FLOWER_KEY_TCP_SRC)
				   : proto == 17 ? (k ? TCA_FLOWER_KEY_UDP_DST : TCA_FLOWER_KEY_UDP_SRC)
				   : (k ? TCA_FLOWER_KEY_SCTP_DST : TCA_FLOWER_KEY_SCTP_SRC),
			       &port, sizeof port);
		}
	}
	opt_skip(L, idx, b, TCA_FLOWER_FLAGS);
	tc_parse_actions(L, idx, ns, b, "action", TCA_FLOWER_ACT);
	tc_nest_end(b, off);
}

static int mask_len(const unsigned char *m, int n)
{
	int i, len = 0;
	for (i = 0; i < n * 8; i++)
		if (m[i / 8] & (0x80 >> (i % 8)))
			len++;
	return len;
}

static void flower_push(lua_State *L, const struct rtattr *opts, uint32_t handle)
{
	const struct rtattr *a[TCA_FLOWER_MAX + 1];
	int k;
	(void)handle;
	if (!push_index(L, opts, a, TCA_FLOWER_MAX, TCA_FLOWER_CLASSID))
		return;
	if (a[TCA_FLOWER_KEY_IP_PROTO] && RTA_PAYLOAD(a[TCA_FLOWER_KEY_IP_PROTO]) >= 1) {
		int p = *(const uint8_t *)RTA_DATA(a[TCA_FLOWER_KEY_IP_PROTO]);
		if (p == 6) set_str(L, "ip_proto", "tcp");
		else if (p == 17) set_str(L, "ip_proto", "udp");
		else if (p == 1) set_str(L, "ip_proto", "icmp");
		else if (p == 58) set_str(L, "ip_proto", "icmpv6");
		else if (p == 132) set_str(L, "ip_proto", "sctp");
		else set_int(L, "ip_proto", p);
	}
	for (k = 0; k < 4; k++) {
		static const int at[4][2] = {
			{ TCA_FLOWER_KEY_IPV4_SRC, TCA_FLOWER_KEY_IPV4_SRC_MASK },
			{ TCA_FLOWER_KEY_IPV4_DST, TCA_FLOWER_KEY_IPV4_DST_MASK },
			{ TCA_FLOWER_KEY_IPV6_SRC, TCA_FLOWER_KEY_IPV6_SRC_MASK },
			{ TCA_FLOWER_KEY_IPV6_DST, TCA_FLOWER_KEY_IPV6_DST_MASK } };
		int len = k < 2 ? 4 : 16;
		const struct rtattr *v = a[at[k][0]], *m = a[at[k][1]];
		if (v && RTA_PAYLOAD(v) >= (unsigned)len) {
			int plen = m && RTA_PAYLOAD(m) >= (unsigned)len
				   ? mask_len((const unsigned char *)RTA_DATA(m), len) : len * 8;
			vn_push_ip(L, k < 2 ? AF_INET : AF_INET6, RTA_DATA(v), (size_t)len, plen);
			lua_setfield(L, -2, k % 2 ? "dst_ip" : "src_ip");
		}
	}
	{
		static const int ports[6] = { TCA_FLOWER_KEY_TCP_SRC, TCA_FLOWER_KEY_TCP_DST,
			TCA_FLOWER_KEY_UDP_SRC, TCA_FLOWER_KEY_UDP_DST, TCA_FLOWER_KEY_SCTP_SRC,
			TCA_FLOWER_KEY_SCTP_DST };
		for (k = 0; k < 6; k++)
			if (a[ports[k]])
				set_int(L, k % 2 ? "dst_port" : "src_port",
					ntohs((uint16_t)vn_rta_u16(a[ports[k]])));
	}
	push_skip(L, a[TCA_FLOWER_FLAGS]);
	tc_push_actions(L, a[TCA_FLOWER_ACT]);
}

/***
 * The filter kinds' options.
 * @module vnet.tc
 */

/*** The options of each filter kind, and the actions a filter runs.
 * @table filter_options
 * @field u32 `match`: `{ src =, dst =, protocol =, sport =, dport =, tos = }`
 *   (IPv4, as tc's `match ip`) or a list of raw keys `{ value =, mask =,
 *   at = }`; none matches all; `classid`; `action`
 * @field matchall `classid`, `action`, `skip_sw`, `skip_hw`
 * @field fw `classid`, `action`, `mask` (`handle` is the firewall mark)
 * @field basic `classid`, `action`
 * @field flower `src_ip`, `dst_ip` (prefixes), `ip_proto` (`"tcp"`,
 *   `"udp"`, `"icmp"`... or a number), `src_port`, `dst_port`, `classid`,
 *   `action`, `skip_sw`, `skip_hw` (`protocol` gives the ethertype)
 * @field action one action or a list of them (at most 16), each
 *   `{ kind = "mirred", mode = "redirect" | "mirror", direction = "egress" |
 *   "ingress", dev =, verdict = }`, `{ kind = "gact", verdict = }` (or the
 *   verdict alone: `"drop"`, `"pass"`, `"ok"`, `"reclassify"`, `"pipe"`...),
 *   or `{ kind = "skbedit", mark =, priority =, queue_mapping =, ptype = }`
 */
/* ---- the table -------------------------------------------------------------------------- */
static const tc_fkind f_u32 = { "u32", u32_keys, u32_parse, u32_push };
static const tc_fkind f_matchall = { "matchall", matchall_keys, matchall_parse, matchall_push };
static const tc_fkind f_fw = { "fw", fw_keys, fw_parse, fw_push };
static const tc_fkind f_basic = { "basic", basic_keys, basic_parse, basic_push };
static const tc_fkind f_flower = { "flower", flower_keys, flower_parse, flower_push };

const tc_fkind *const tc_fkinds[] = { &f_u32, &f_matchall, &f_fw, &f_basic, &f_flower, NULL };
