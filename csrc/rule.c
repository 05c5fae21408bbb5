/*
 * rule.c - policy routing rules: add, delete, list.
 *
 *   ns:rule_add{ from =, to =, iif =, oif =, fwmark =, fwmask =, table =,
 *                priority =, action =, goto =, family =, invert = }
 *   ns:rule_del{ ...same... }           rule:delete()
 *   ns:rules{ family = }                (iterator)
 *
 * rule_add returns the rule the kernel echoes (NLM_F_ECHO): it may have
 * chosen the priority and, for table = 0, the table. The kernel deletes
 * the first rule matching the fields a delete sets, a zero or empty field
 * matching any: rule_del must name one, and rule:delete() checks that no
 * other rule comes first.
 *
 * iif and oif are interface names and are not resolved: a rule may name a
 * device that does not exist yet, as with `ip rule`. libnl keeps the rule
 * header's flags (FIB_RULE_INVERT) private, so they are written into and
 * read from the built request's header.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/rule.h>

#include "util.h"

#define VN_RULE "vnet.rule"
#define RU_(o) ((struct rtnl_rule *)(o))

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

/* The flags of the rule's header (libnl has no getter): build a request
 * from the rule and read them there. */
static uint32_t rule_flags(struct rtnl_rule *r)
{
	struct nl_msg *msg = NULL;
	uint32_t f = 0;
	if (rtnl_rule_build_delete_request(r, 0, &msg) == 0) {
		f = ((struct fib_rule_hdr *)nlmsg_data(nlmsg_hdr(msg)))->flags;
		nlmsg_free(msg);
	}
	return f;
}

/* ---- fields ------------------------------------------------------------- */
static void f_from(lua_State *L, void *o)
{
	vn_push_addr(L, rtnl_rule_get_src(RU_(o)), 1);
}
static void f_to(lua_State *L, void *o)
{
	vn_push_addr(L, rtnl_rule_get_dst(RU_(o)), 1);
}
static void f_iif(lua_State *L, void *o)
{
	const char *s = rtnl_rule_get_iif(RU_(o));
	if (s && *s) lua_pushstring(L, s); else lua_pushnil(L);
}
static void f_oif(lua_State *L, void *o)
{
	const char *s = rtnl_rule_get_oif(RU_(o));
	if (s && *s) lua_pushstring(L, s); else lua_pushnil(L);
}
static void f_fwmark(lua_State *L, void *o)
{
	struct rtnl_rule *r = RU_(o);
	if (rtnl_rule_get_mark(r) || rtnl_rule_get_mask(r))
		lua_pushinteger(L, (lua_Integer)rtnl_rule_get_mark(r));
	else
		lua_pushnil(L);
}
static void f_fwmask(lua_State *L, void *o)
{
	struct rtnl_rule *r = RU_(o);
	if (rtnl_rule_get_mark(r) || rtnl_rule_get_mask(r))
		lua_pushinteger(L, (lua_Integer)rtnl_rule_get_mask(r));
	else
		lua_pushnil(L);
}
static void f_table(lua_State *L, void *o)
{
	uint32_t t = rtnl_rule_get_table(RU_(o));
	if (t) vn_push_rtname(L, "rt_tables", (long)t); else lua_pushnil(L);
}
static void f_priority(lua_State *L, void *o)
{
	lua_pushinteger(L, (lua_Integer)rtnl_rule_get_prio(RU_(o)));
}
static void f_action(lua_State *L, void *o)
{
	push_action(L, rtnl_rule_get_action(RU_(o)));
}
static void f_goto(lua_State *L, void *o)
{
	if (rtnl_rule_get_action(RU_(o)) == FR_ACT_GOTO)
		lua_pushinteger(L, (lua_Integer)rtnl_rule_get_goto(RU_(o)));
	else
		lua_pushnil(L);
}
static void f_family(lua_State *L, void *o)
{
	int f = rtnl_rule_get_family(RU_(o));
	if (f == AF_INET) lua_pushliteral(L, "inet");
	else if (f == AF_INET6) lua_pushliteral(L, "inet6");
	else lua_pushinteger(L, f);
}
static void f_protocol(lua_State *L, void *o)
{
	uint8_t p = 0;
	rtnl_rule_get_protocol(RU_(o), &p);
	vn_push_rtname(L, "rt_protos", p);
}
static void f_invert(lua_State *L, void *o)
{
	lua_pushboolean(L, (rule_flags(RU_(o)) & FIB_RULE_INVERT) != 0);
}

static const vn_field rule_fields[] = {
	{ "from", f_from }, { "to", f_to }, { "iif", f_iif }, { "oif", f_oif },
	{ "fwmark", f_fwmark }, { "fwmask", f_fwmask }, { "table", f_table },
	{ "priority", f_priority }, { "action", f_action }, { "goto", f_goto },
	{ "family", f_family }, { "invert", f_invert }, { "protocol", f_protocol },
	{ NULL, NULL }
};

/* ---- dumps -------------------------------------------------------------- */
struct rule_filter { int family; struct rtnl_rule *want; int prio_set, mask_set, invert;
		     int proto; /* -1: any */ };

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

static int rule_proto(struct rtnl_rule *r)
{
	uint8_t p = 0;
	rtnl_rule_get_protocol(r, &p);
	return p;
}

static int keep_rule(struct nl_object *o, void *arg)
{
	struct rule_filter *f = (struct rule_filter *)arg;
	int fam = rtnl_rule_get_family(RU_(o));
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	if (f->proto >= 0 && rule_proto(RU_(o)) != f->proto)
		return 0;
	return !f->family || fam == f->family;
}

static int rule_dump(vn_ns *ns, int family, int (*keep)(struct nl_object *, void *),
		     void *arg, vn_list *l)
{
	struct fib_rule_hdr frh;
	memset(&frh, 0, sizeof frh);
	frh.family = (unsigned char)family;
	memset(l, 0, sizeof *l);
	l->keep = keep;
	l->arg = arg;
	return vn_dump_req(ns, RTM_GETRULE, &frh, sizeof frh, l);
}

/* ns:rules([{ family =, protocol = }]) -> iterator over rules | nil, msg, errname */
static int ns_rules(lua_State *L)
{
	static const char *const keys[] = { "family", "protocol", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rule_filter f;
	vn_list *l;
	memset(&f, 0, sizeof f);
	f.proto = -1;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "rules", keys);
		opt_protocol(L, 2, "rules", &f.proto);
		if (vn_opt_family(L, 2, "rules", "family", &f.family) &&
		    f.family != AF_INET && f.family != AF_INET6)
			f.family = AF_UNSPEC;
	}
	l = vn_list_new(L);
	if (rule_dump(ns, f.family, keep_rule, &f, l) < 0) {
		vn_list_free(l);
		return vn_nsfail(L, ns, "rules");
	}
	vn_push_iter(L, l, VN_RULE, 1);
	return 1;
}

/* ---- add / delete --------------------------------------------------------- */
static const char *const rule_keys[] = { "from", "to", "iif", "oif", "fwmark",
	"fwmask", "table", "priority", "action", "goto", "family", "invert",
	"protocol", NULL };


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

/* what a request names: selects counts the options that narrow which rule
 * a delete matches (the kernel takes an absent or zero value as "any") */
typedef struct ru_req { int prio_set, invert, mask_set, proto_set, selects; } ru_req;

/* Fills r (owned by a box) from the options at 2. May raise. */
static void parse_rule(lua_State *L, struct rtnl_rule *r, const char *fn, int adding,
		       ru_req *q)
{
	static const char *const addrs[] = { "from", "to", NULL };
	static const char *const ifs[] = { "iif", "oif", NULL };
	lua_Integer n;
	uint32_t table = 0;
	int family = 0, i, act = -1, has_table;
	const char *s;
	char name[256];

	if (vn_opt_family(L, 2, fn, "family", &family) &&
	    family != AF_INET && family != AF_INET6)
		luaL_error(L, "%s: option 'family' must be 'inet' or 'inet6'", fn);
	if (!family) family = vn_str_family(L, 2, "from");
	if (!family) family = vn_str_family(L, 2, "to");
	if (!family) family = AF_INET;
	rtnl_rule_set_family(r, family);

	has_table = vn_opt_table(L, 2, fn, "table", &table);
	if (vn_opt_enum(L, 2, fn, "action", actions, &i))
		act = action_vals[i];
	if (has_table && table)
		q->selects++;
	if ((q->prio_set = vn_opt_int(L, 2, fn, "priority", 0, 0xffffffffLL, &n))) {
		rtnl_rule_set_prio(r, (uint32_t)n);
		q->selects++;
	}
	if ((q->proto_set = opt_protocol(L, 2, fn, &i))) {
		rtnl_rule_set_protocol(r, (uint8_t)i);
		q->selects += i != 0;
	}
	if (vn_opt_int(L, 2, fn, "fwmark", 0, 0xffffffffLL, &n)) {
		rtnl_rule_set_mark(r, (uint32_t)n);
		q->selects += n != 0;
	}
	if ((q->mask_set = vn_opt_int(L, 2, fn, "fwmask", 0, 0xffffffffLL, &n))) {
		rtnl_rule_set_mask(r, (uint32_t)n);
		q->selects += n != 0;
	}
	if (vn_opt_int(L, 2, fn, "goto", 1, 0xffffffffLL, &n)) {
		if (act >= 0 && act != FR_ACT_GOTO)
			luaL_error(L, "%s: option 'goto' needs action 'goto'", fn);
		act = FR_ACT_GOTO;
		rtnl_rule_set_goto(r, (uint32_t)n);
		q->selects++;
	} else if (act == FR_ACT_GOTO) {
		luaL_error(L, "%s: action 'goto' needs option 'goto' (a priority)", fn);
	}
	vn_opt_bool(L, 2, fn, "invert", &q->invert);
	for (i = 0; ifs[i]; i++)
		if ((s = vn_opt_str(L, 2, fn, ifs[i], name, sizeof name))) {
			vn_check_ifname(L, s, fn, lua_pushfstring(L, "option '%s'", ifs[i]));
			lua_pop(L, 1);
			if (i == 0) rtnl_rule_set_iif(r, s); else rtnl_rule_set_oif(r, s);
			q->selects++;
		}
	if (has_table && act >= 0 && act != FR_ACT_TO_TBL)
		luaL_error(L, "%s: option 'table' goes with action 'lookup'", fn);
	if (adding && act < 0)
		act = FR_ACT_TO_TBL;
	if (adding && act == FR_ACT_TO_TBL && !has_table)
		table = RT_TABLE_MAIN, has_table = 1;
	if (act >= 0)
		rtnl_rule_set_action(r, (uint8_t)act);
	if (has_table)
		rtnl_rule_set_table(r, table);
	for (i = 0; addrs[i]; i++) {
		struct nl_addr *a;
		if (is_all(L, 2, fn, addrs[i]))
			continue;
		if ((a = vn_opt_addr(L, 2, fn, addrs[i], family))) {
			if (i == 0) rtnl_rule_set_src(r, a); else rtnl_rule_set_dst(r, a);
			q->selects += nl_addr_get_prefixlen(a) > 0;
			nl_addr_put(a);
		}
	}
}

/* The rule a request made, for reading it back when its echo was lost: every
 * field it gave, with the kernel's own choices (a priority, the table of
 * `table = 0`, the full mask of a mark) where it gave none. */
static int keep_match(struct nl_object *o, void *arg)
{
	struct rule_filter *f = (struct rule_filter *)arg;
	struct rtnl_rule *r = RU_(o), *w = f->want;
	uint32_t mask = f->mask_set ? rtnl_rule_get_mask(w)
				    : rtnl_rule_get_mark(w) ? 0xffffffffu : 0;
	const char *a, *b;
	if (rtnl_rule_get_family(r) != rtnl_rule_get_family(w) ||
	    rtnl_rule_get_action(r) != rtnl_rule_get_action(w) ||
	    (rtnl_rule_get_table(w) && rtnl_rule_get_table(r) != rtnl_rule_get_table(w)) ||
	    rtnl_rule_get_mark(r) != rtnl_rule_get_mark(w) ||
	    rtnl_rule_get_mask(r) != mask ||
	    (rtnl_rule_get_action(w) == FR_ACT_GOTO &&
	     rtnl_rule_get_goto(r) != rtnl_rule_get_goto(w)) ||
	    (f->prio_set && rtnl_rule_get_prio(r) != rtnl_rule_get_prio(w)) ||
	    (f->proto >= 0 && rule_proto(r) != f->proto) ||
	    !!(rule_flags(r) & FIB_RULE_INVERT) != f->invert)
		return 0;
	if ((rtnl_rule_get_src(w) && (!rtnl_rule_get_src(r) ||
	     nl_addr_cmp(rtnl_rule_get_src(r), rtnl_rule_get_src(w)))) ||
	    (rtnl_rule_get_dst(w) && (!rtnl_rule_get_dst(r) ||
	     nl_addr_cmp(rtnl_rule_get_dst(r), rtnl_rule_get_dst(w)))))
		return 0;
	if (!rtnl_rule_get_src(w) && rtnl_rule_get_src(r) && nl_addr_get_len(rtnl_rule_get_src(r)))
		return 0;
	if (!rtnl_rule_get_dst(w) && rtnl_rule_get_dst(r) && nl_addr_get_len(rtnl_rule_get_dst(r)))
		return 0;
	a = rtnl_rule_get_iif(r); b = rtnl_rule_get_iif(w);
	if (strcmp(a ? a : "", b ? b : ""))
		return 0;
	a = rtnl_rule_get_oif(r); b = rtnl_rule_get_oif(w);
	if (strcmp(a ? a : "", b ? b : ""))
		return 0;
	return 1;
}

/* the echo of a new rule */
static int keep_echo(struct nl_object *o, void *arg)
{
	int fam = rtnl_rule_get_family(RU_(o));
	(void)arg;
	return fam == AF_INET || fam == AF_INET6;
}

/* Pushes a rule box holding o (a reference is taken), bound to the
 * namespace handle at index 1. */
static void push_rule(lua_State *L, struct nl_object *o)
{
	vn_box_push(L, NULL, VN_RULE, 1);
	vn_box_replace(L, -1, VN_RULE, o);
}

/* After the rule q made was acked without an echo we could keep (memory
 * ran out while it was read), finds it by a dump. Pushes it and returns 1;
 * returns 0 when it cannot be told apart (nothing pushed). */
static int read_back(lua_State *L, vn_ns *ns, struct rtnl_rule *r, const ru_req *q,
		     vn_list *l)
{
	struct rule_filter f;
	memset(&f, 0, sizeof f);
	f.want = r;
	f.prio_set = q->prio_set;
	f.mask_set = q->mask_set;
	f.invert = q->invert;
	f.proto = q->proto_set ? rule_proto(r) : -1;
	vn_list_free(l);
	if (rule_dump(ns, rtnl_rule_get_family(r), keep_match, &f, l) < 0 || l->n != 1)
		return 0;
	push_rule(L, l->v[0]);
	return 1;
}

static int rule_modify(lua_State *L, const char *fn, int adding)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_rule *r;
	struct nl_msg *msg = NULL;
	vn_list *l = NULL;
	vn_box *box;
	ru_req q;
	int rc;

	vn_opts_check(L, 2, fn, rule_keys);
	lua_settop(L, 2);
	box = (vn_box *)lua_newuserdata(L, sizeof *box);    /* 3 */
	box->o = NULL;
	luaL_setmetatable(L, VN_RULE);
	if (!(r = rtnl_rule_alloc()))
		return luaL_error(L, "%s: out of memory", fn);
	box->o = (struct nl_object *)r;
	memset(&q, 0, sizeof q);
	parse_rule(L, r, fn, adding, &q);
	/* the kernel deletes the first rule that matches what a delete names:
	 * naming nothing would remove `0: from all lookup local` */
	if (!adding && !q.selects)
		return luaL_error(L, "%s: name the rule to delete: give at least one of "
				  "'priority', 'from', 'to', 'table', 'fwmark', 'fwmask', "
				  "'iif', 'oif', 'goto' or 'protocol' (an empty selector "
				  "would remove the first rule, the local one)", fn);
	if (adding && !vn_deferred(ns))
		l = vn_list_new(L);                          /* 4 */
	rc = adding ? rtnl_rule_build_add_request(r, NLM_F_EXCL, &msg)
		    : rtnl_rule_build_delete_request(r, 0, &msg);
	if (rc < 0)
		return luaL_error(L, "%s: cannot build the request (%s)", fn, nl_geterror(rc));
	if (q.invert)
		((struct fib_rule_hdr *)nlmsg_data(nlmsg_hdr(msg)))->flags |= FIB_RULE_INVERT;
	if (l) {
		/* the kernel echoes the rule it made (NLM_F_ECHO), with the
		 * priority and table it chose */
		l->keep = keep_echo;
		rc = vn_request(ns, nlmsg_hdr(msg), 1, l);
	} else {
		rc = vn_talk(ns, msg);
	}
	nlmsg_free(msg);
	if (rc < 0) {
		if (l)
			vn_list_free(l);
		return vn_nsfail(L, ns, fn);
	}
	if (!l) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (l->n > 0) {
		push_rule(L, l->v[0]);
	} else if (!read_back(L, ns, r, &q, l)) {
		vn_list_free(l);
		return vn_fail(L, "rule_add: the rule was added but could not be read "
			       "back", ENOMEM, NULL);
	}
	vn_list_drop(L, l);
	return 1;
}

/* ns:rule_add{...} -> rule | nil, msg, errname. action defaults to lookup
 * and table to main, as with `ip rule add`. */
static int ns_rule_add(lua_State *L)
{
	return rule_modify(L, "rule_add", 1);
}

/* ns:rule_del{...} -> true | nil, msg, errname (the first rule matching
 * the given fields is removed) */
static int ns_rule_del(lua_State *L)
{
	return rule_modify(L, "rule_del", 0);
}

static int m_tostring(lua_State *L);

/* Whether the kernel would take rule r for the delete request made from w:
 * its rule_find compares the priority (always sent) and those of the other
 * fields that are set in the request; a zero or empty field, the goto
 * target and the flags (not) match any rule. */
static int kernel_takes(struct rtnl_rule *w, struct rtnl_rule *r)
{
	static const int sides[] = { 0, 1 };
	const char *s, *t;
	int i;
	if (rtnl_rule_get_prio(r) != rtnl_rule_get_prio(w) ||
	    (rtnl_rule_get_action(w) && rtnl_rule_get_action(r) != rtnl_rule_get_action(w)) ||
	    (rtnl_rule_get_table(w) && rtnl_rule_get_table(r) != rtnl_rule_get_table(w)) ||
	    (rtnl_rule_get_mark(w) && rtnl_rule_get_mark(r) != rtnl_rule_get_mark(w)) ||
	    (rtnl_rule_get_mask(w) && rtnl_rule_get_mask(r) != rtnl_rule_get_mask(w)) ||
	    (rule_proto(w) && rule_proto(r) != rule_proto(w)) ||
	    (rtnl_rule_get_dsfield(w) && rtnl_rule_get_dsfield(r) != rtnl_rule_get_dsfield(w)))
		return 0;
	if ((s = rtnl_rule_get_iif(w)) && *s && (!(t = rtnl_rule_get_iif(r)) || strcmp(s, t)))
		return 0;
	if ((s = rtnl_rule_get_oif(w)) && *s && (!(t = rtnl_rule_get_oif(r)) || strcmp(s, t)))
		return 0;
	for (i = 0; i < 2; i++) {
		struct nl_addr *a = sides[i] ? rtnl_rule_get_dst(w) : rtnl_rule_get_src(w);
		struct nl_addr *b = sides[i] ? rtnl_rule_get_dst(r) : rtnl_rule_get_src(r);
		if (a && nl_addr_get_prefixlen(a) && (!b || nl_addr_cmp(a, b)))
			return 0;
	}
	return 1;
}

static int keep_family(struct nl_object *o, void *arg)
{
	return rtnl_rule_get_family(RU_(o)) == *(const int *)arg;
}

/* rule:delete() -> true | nil, msg, errname. The kernel deletes the first
 * rule that matches what the request names, and a field a rule leaves
 * empty matches any value there: `100: from all lookup 1` names
 * `100: from all fwmark 0x5 lookup 1` too. So the rules are read first,
 * and when the kernel would take another rule before this one the delete
 * fails (ENOTUNIQ) and removes nothing. */
static int m_delete(lua_State *L)
{
	struct rtnl_rule *r = RU_(vn_box_check(L, 1, VN_RULE));
	vn_ns *ns = vn_box_ns(L, 1);                          /* 2 */
	struct nl_msg *msg = NULL;
	char prio[16];
	int rc, fam = rtnl_rule_get_family(r);
	size_t i;
	vn_list *l;

	snprintf(prio, sizeof prio, "%lu", (unsigned long)rtnl_rule_get_prio(r));
	lua_pushfstring(L, "delete rule %s", prio);         /* 3 */
	l = vn_list_new(L);                                  /* 4 */
	if (rule_dump(ns, fam, keep_family, &fam, l) < 0)
		return vn_nsfail(L, ns, lua_tostring(L, 3));
	for (i = 0; i < l->n; i++) {
		struct nl_object *o = l->v[i];
		if (!kernel_takes(r, RU_(o)))
			continue;
		if (nl_object_diff((struct nl_object *)r, o) == 0 &&
		    rule_flags(r) == rule_flags(RU_(o)))
			break;
		/* "delete rule 100: the kernel would remove 100: from all ..." */
		lua_pushcfunction(L, m_tostring);
		vn_box_push(L, NULL, VN_RULE, 2);
		vn_box_replace(L, -1, VN_RULE, o);
		lua_call(L, 1, 1);
		{
			const char *what = lua_pushfstring(L, "%s: another rule comes first that "
				"the kernel would remove instead (%s); delete that one first",
				lua_tostring(L, 3), lua_tostring(L, -1) + strlen("vnet.rule: "));
			vn_list_drop(L, l);
			return vn_fail(L, what, ENOTUNIQ, NULL);
		}
	}
	vn_list_drop(L, l);
	rc = rtnl_rule_build_delete_request(r, 0, &msg);
	if (rc < 0)
		return luaL_error(L, "delete: cannot build the request (%s)", nl_geterror(rc));
	/* the priority names the rule exactly, also for priority 0 */
	if (!rtnl_rule_get_prio(r))
		nla_put_u32(msg, FRA_PRIORITY, 0);
	rc = vn_talk(ns, msg);
	nlmsg_free(msg);
	if (rc < 0)
		return vn_nsfail(L, ns, lua_tostring(L, 3));
	lua_pushboolean(L, 1);
	return 1;
}

/* __tostring: "vnet.rule: 100: from 192.168.1.10/32 lookup 1" like ip rule */
static int m_tostring(lua_State *L)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, 1, VN_RULE);
	struct rtnl_rule *r;
	luaL_Buffer buf;
	char num[64];
	const char *s;
	int act;

	if (!b->o) {
		lua_pushliteral(L, "vnet.rule (released)");
		return 1;
	}
	r = RU_(b->o);
	luaL_buffinit(L, &buf);
	/* priorities and goto targets are u32: 3000000000, not -1294967296 */
	snprintf(num, sizeof num, "vnet.rule: %lu:", (unsigned long)rtnl_rule_get_prio(r));
	luaL_addstring(&buf, num);
	if (rule_flags(r) & FIB_RULE_INVERT)
		luaL_addstring(&buf, " not");
	luaL_addstring(&buf, " from ");
	f_from(L, b->o);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushliteral(L, "all");
	}
	luaL_addvalue(&buf);
	if (rtnl_rule_get_dst(r) && nl_addr_get_len(rtnl_rule_get_dst(r))) {
		luaL_addstring(&buf, " to ");
		f_to(L, b->o);
		luaL_addvalue(&buf);
	}
	if (rtnl_rule_get_mark(r) || rtnl_rule_get_mask(r)) {
		snprintf(num, sizeof num, " fwmark 0x%lx/0x%lx",
			 (unsigned long)rtnl_rule_get_mark(r),
			 (unsigned long)rtnl_rule_get_mask(r));
		luaL_addstring(&buf, num);
	}
	if ((s = rtnl_rule_get_iif(r)) && *s) {
		luaL_addstring(&buf, " iif ");
		luaL_addstring(&buf, s);
	}
	if ((s = rtnl_rule_get_oif(r)) && *s) {
		luaL_addstring(&buf, " oif ");
		luaL_addstring(&buf, s);
	}
	act = rtnl_rule_get_action(r);
	if (act == FR_ACT_TO_TBL) {
		luaL_addstring(&buf, " lookup ");
		f_table(L, b->o);
		luaL_addvalue(&buf);
	} else if (act == FR_ACT_GOTO) {
		snprintf(num, sizeof num, " goto %lu", (unsigned long)rtnl_rule_get_goto(r));
		luaL_addstring(&buf, num);
	} else {
		luaL_addchar(&buf, ' ');
		push_action(L, act);
		luaL_addvalue(&buf);
	}
	luaL_pushresult(&buf);
	return 1;
}

static const luaL_Reg rule_methods[] = {
	{ "delete", m_delete },
	{ NULL, NULL }
};

static const vn_type rule_type = {
	.name = VN_RULE, .methods = rule_methods, .fields = rule_fields, .tostring = m_tostring
};

static const luaL_Reg ns_methods[] = {
	{ "rule_add", ns_rule_add },
	{ "rule_del", ns_rule_del },
	{ "rules", ns_rules },
	{ NULL, NULL }
};

void vn_open_rule(lua_State *L)
{
	vn_type_register(L, &rule_type);
	vn_netns_methods(L, ns_methods);
}
