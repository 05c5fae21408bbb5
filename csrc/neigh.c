/*
 * neigh.c - neighbour objects (the ARP and NDISC tables): add, replace,
 * delete and list, like `ip neigh`.
 */
#include <errno.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/link.h>

#include "link.h"

#define VN_NEIGH "vnet.neigh"
#define N_(o) ((struct rtnl_neigh *)(o))

/* ---- names ------------------------------------------------------------- */
static const struct { const char *name; int v; } states[] = {
	{ "permanent", NUD_PERMANENT }, { "reachable", NUD_REACHABLE },
	{ "stale", NUD_STALE }, { "noarp", NUD_NOARP }, { "delay", NUD_DELAY },
	{ "probe", NUD_PROBE }, { "failed", NUD_FAILED },
	{ "incomplete", NUD_INCOMPLETE }, { "none", NUD_NONE }, { NULL, 0 }
};

static const char *const state_names[] = { "permanent", "reachable", "stale",
	"noarp", "delay", "probe", "failed", "incomplete", "none", NULL };

static void push_state(lua_State *L, int s)
{
	int i;
	if (s == NUD_NONE) {
		lua_pushliteral(L, "none");
		return;
	}
	for (i = 0; states[i].name; i++)
		if (states[i].v && (s & states[i].v)) {
			lua_pushstring(L, states[i].name);
			return;
		}
	lua_pushinteger(L, s);
}

/* Option 'state' of table idx; returns 1 and sets *out when given. */
static int opt_state(lua_State *L, int idx, const char *fn, int *out)
{
	int i;
	if (!vn_opt_enum(L, idx, fn, "state", state_names, &i))
		return 0;
	*out = states[i].v;
	return 1;
}

/* ---- fields ------------------------------------------------------------- */
static void f_dst(lua_State *L, void *o)
{
	vn_push_addr(L, rtnl_neigh_get_dst(N_(o)), 0);
}
static void f_lladdr(lua_State *L, void *o)
{
	vn_push_addr(L, rtnl_neigh_get_lladdr(N_(o)), 0);
}
static void f_dev(lua_State *L, void *o)
{
	lua_pushinteger(L, rtnl_neigh_get_ifindex(N_(o)));
}
static void f_state(lua_State *L, void *o)
{
	int s = rtnl_neigh_get_state(N_(o));
	push_state(L, s < 0 ? NUD_NONE : s);
}
static void f_family(lua_State *L, void *o)
{
	vn_push_family(L, rtnl_neigh_get_family(N_(o)));
}
static void f_router(lua_State *L, void *o)
{
	lua_pushboolean(L, (rtnl_neigh_get_flags(N_(o)) & NTF_ROUTER) != 0);
}

static const vn_field neigh_fields[] = {
	{ "dst", f_dst }, { "lladdr", f_lladdr }, { "dev", f_dev },
	{ "state", f_state }, { "family", f_family }, { "router", f_router },
	{ NULL, NULL }
};

/* ---- helpers ------------------------------------------------------------ */
/* Pushes a new box bound to the handle at nsidx holding a new rtnl_neigh. */
static struct rtnl_neigh *push_new_neigh(lua_State *L, int nsidx, const char *fn)
{
	struct rtnl_neigh *n;
	vn_box_push(L, NULL, VN_NEIGH, nsidx);
	if (!(n = rtnl_neigh_alloc()))
		luaL_error(L, "%s: out of memory", fn);
	((vn_box *)lua_touserdata(L, -1))->o = (struct nl_object *)n;
	return n;
}

struct neigh_filter {
	int ifindex;             /* 0: any */
	int family;              /* AF_UNSPEC: inet and inet6 */
	int state;               /* -1: any */
	struct nl_addr *dst;     /* NULL: any */
};

static int keep_neigh(struct nl_object *o, void *arg)
{
	struct neigh_filter *f = (struct neigh_filter *)arg;
	struct rtnl_neigh *n = N_(o);
	int fam = rtnl_neigh_get_family(n);
	if (f->family ? fam != f->family : (fam != AF_INET && fam != AF_INET6))
		return 0;
	if (f->ifindex && rtnl_neigh_get_ifindex(n) != f->ifindex)
		return 0;
	if (f->state >= 0 && (f->state ? !(rtnl_neigh_get_state(n) & f->state)
				       : rtnl_neigh_get_state(n) != 0))
		return 0;
	if (f->dst && !vn_addr_same(f->dst, rtnl_neigh_get_dst(n)))
		return 0;
	return 1;
}

static int dump_neighs(vn_ns *ns, struct neigh_filter *f, vn_list *l, vn_err *e)
{
	struct { struct nlmsghdr h; struct ndmsg ndm; } q = {
		{ .nlmsg_len = sizeof q, .nlmsg_type = RTM_GETNEIGH },
		{ .ndm_family = (unsigned char)f->family } };
	*l = (vn_list){ .keep = keep_neigh, .arg = f };
	return vn_req(ns, &q.h, VN_DUMP, l, e);
}

/* The options, by the attribute each one makes (for errors where the
 * kernel points at one). */
static const vn_optname neigh_opts[] = {
	{ NDA_DST, "dst" }, { NDA_LLADDR, "lladdr" }, { 0, NULL }
};

/* Parses a link-layer address: 1 to 32 bytes of two hex digits each,
 * separated by ':' ("02:00:00:00:00:01"); raises otherwise. Returns the
 * byte count (the bytes go to out). */
static size_t check_lladdr(lua_State *L, const char *s, const char *fn,
			   unsigned char out[32])
{
	size_t i, n = strlen(s), bytes = 0;
	int ok = n > 0;
	for (i = 0; ok && i < n; i += 3) {
		ok = bytes < 32 && isxdigit((unsigned char)s[i]) && i + 1 < n &&
		     isxdigit((unsigned char)s[i + 1]) &&
		     (i + 2 == n || (s[i + 2] == ':' && i + 3 < n));
		if (ok) {
			char hex[3] = { s[i], s[i + 1], 0 };
			out[bytes++] = (unsigned char)strtoul(hex, NULL, 16);
		}
	}
	if (!ok)
		luaL_error(L, "%s: option 'lladdr' '%s' is not a link-layer address like "
			   "'02:00:00:00:00:01'", fn, s);
	return bytes;
}

/* Reads dst (required) and dev (required) of the options at idx into n;
 * leaves the description "<fn> <dst> dev <dev>" on the stack. Returns the
 * ifindex, or -ENODEV. */
static int parse_ident(lua_State *L, int idx, vn_ns *ns, struct rtnl_neigh *n,
		       const char *fn)
{
	struct nl_addr *dst;
	int ifindex, r, top;

	lua_getfield(L, idx, "dst");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'dst' is required", fn);
	lua_pop(L, 1);
	lua_getfield(L, idx, "dev");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'dev' is required", fn);
	lua_pop(L, 1);
	dst = vn_opt_addr(L, idx, fn, "dst", AF_UNSPEC);
	if (nl_addr_get_len(dst) == 0 || (nl_addr_get_family(dst) != AF_INET &&
					  nl_addr_get_family(dst) != AF_INET6) ||
	    nl_addr_get_prefixlen(dst) != nl_addr_get_len(dst) * 8) {
		nl_addr_put(dst);
		lua_getfield(L, idx, "dst");
		luaL_error(L, "%s: option 'dst' '%s' is not a host address", fn,
			   lua_tostring(L, -1));
	}
	r = rtnl_neigh_set_dst(n, dst);
	nl_addr_put(dst);
	if (r < 0)
		luaL_error(L, "%s: option 'dst': %s", fn, nl_geterror(r));
	ifindex = vn_opt_ifindex(L, idx, ns, fn, "dev");
	lua_getfield(L, idx, "dst");
	lua_getfield(L, idx, "dev");
	top = lua_gettop(L);
	vn_push_devdesc(L, top);
	lua_pushfstring(L, "%s %s dev %s", fn, lua_tostring(L, top - 1),
			lua_tostring(L, -1));
	lua_replace(L, top - 1);
	lua_settop(L, top - 1);
	if (ifindex > 0)
		rtnl_neigh_set_ifindex(n, ifindex);
	return ifindex;
}

/* ---- add / replace / delete ------------------------------------------------- */
static int neigh_modify(lua_State *L, const char *fn, int nlflags)
{
	static const char *const keys[] = { "dst", "lladdr", "dev", "state", "router", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_neigh *n, *got;
	struct nl_msg *msg = NULL;
	struct neigh_filter f;
	const char *s;
	char lladdr[128];
	int state = NUD_PERMANENT, router = 0, ifindex, r, what, boxidx;
	vn_list l;
	vn_err e;

	vn_opts_check(L, 2, fn, keys);
	if (lua_rawlen(L, 2) > 0)
		return luaL_error(L, "%s: options must be named (e.g. dst = ...), not positional", fn);
	lua_settop(L, 2);
	n = push_new_neigh(L, 1, fn);                       /* 3 */
	boxidx = lua_gettop(L);
	if ((s = vn_opt_str(L, 2, fn, "lladdr", lladdr, sizeof lladdr))) {
		unsigned char b[32];
		size_t len = check_lladdr(L, s, fn, b);
		struct nl_addr *ll = nl_addr_build(AF_LLC, b, len);
		if (!ll)
			return luaL_error(L, "%s: out of memory", fn);
		rtnl_neigh_set_lladdr(n, ll);
		nl_addr_put(ll);
	}
	opt_state(L, 2, fn, &state);
	rtnl_neigh_set_state(n, state);
	if (vn_opt_bool(L, 2, fn, "router", &router) && router)
		rtnl_neigh_set_flags(n, NTF_ROUTER);
	ifindex = parse_ident(L, 2, ns, n, fn);
	what = lua_gettop(L);
	if (ifindex < 0)
		return vn_fail(L, lua_tostring(L, what), ENODEV, NULL);

	r = rtnl_neigh_build_add_request(n, nlflags, &msg);
	if (r < 0)
		return vn_push_nlerr(L, lua_tostring(L, what), r);
	r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (r < 0)
		return vn_push_err(L, lua_tostring(L, what), &e, neigh_opts);
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}

	/* read it back: the kernel's view */
	f.ifindex = ifindex;
	f.family = nl_addr_get_family(rtnl_neigh_get_dst(n));
	f.state = -1;
	f.dst = rtnl_neigh_get_dst(n);
	if (dump_neighs(ns, &f, &l, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s: reading it back",
						      lua_tostring(L, what)), &e, NULL);
	if (l.n == 0) {
		vn_list_free(&l);
		return vn_fail(L, lua_pushfstring(L, "%s: reading it back",
						  lua_tostring(L, what)), ENOENT, NULL);
	}
	got = N_(l.v[0]);
	l.v[0] = NULL;
	vn_list_free(&l);
	vn_box_replace(L, boxidx, VN_NEIGH, (struct nl_object *)got);
	rtnl_neigh_put(got);
	lua_settop(L, boxidx);
	return 1;
}

/* ns:neigh_add{ dst =, lladdr =, dev =, state = "permanent", router = }
 * -> neigh | nil, msg, errname (EEXIST when there is one already) */
static int ns_neigh_add(lua_State *L)
{
	return neigh_modify(L, "neigh_add", NLM_F_CREATE | NLM_F_EXCL);
}

/* ns:neigh_replace{...}: adds or updates. */
static int ns_neigh_replace(lua_State *L)
{
	return neigh_modify(L, "neigh_replace", NLM_F_CREATE | NLM_F_REPLACE);
}

static int neigh_remove(lua_State *L, vn_ns *ns, struct rtnl_neigh *n)
{
	struct nl_msg *msg = NULL;
	vn_err e;
	int r = rtnl_neigh_build_delete_request(n, 0, &msg);
	if (r < 0)
		return vn_push_nlerr(L, lua_tostring(L, -1), r);
	r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (r < 0)
		return vn_push_err(L, lua_tostring(L, -1), &e, neigh_opts);
	lua_pushboolean(L, 1);
	return 1;
}

/* ns:neigh_del{ dst =, dev = } -> true | nil, msg, errname */
static int ns_neigh_del(lua_State *L)
{
	static const char *const keys[] = { "dst", "dev", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_neigh *n;
	int ifindex;
	vn_opts_check(L, 2, "neigh_del", keys);
	if (lua_rawlen(L, 2) > 0)
		return luaL_error(L, "neigh_del: options must be named (e.g. dst = ...), "
				  "not positional");
	lua_settop(L, 2);
	n = push_new_neigh(L, 1, "neigh_del");
	ifindex = parse_ident(L, 2, ns, n, "neigh_del");
	if (ifindex < 0)
		return vn_fail(L, lua_tostring(L, -1), ENODEV, NULL);
	return neigh_remove(L, ns, n);
}

/* neigh:delete() -> true | nil, msg, errname */
static int m_delete(lua_State *L)
{
	struct rtnl_neigh *o = N_(vn_box_check(L, 1, VN_NEIGH)), *n;
	vn_ns *ns = vn_box_ns(L, 1);                        /* 2 */
	n = push_new_neigh(L, 2, "delete");                 /* 3 */
	rtnl_neigh_set_ifindex(n, rtnl_neigh_get_ifindex(o));
	if (rtnl_neigh_get_dst(o))
		rtnl_neigh_set_dst(n, rtnl_neigh_get_dst(o));
	f_dst(L, (struct nl_object *)o);
	lua_pushfstring(L, "delete %s dev %d", lua_isnil(L, -1) ? "?" : lua_tostring(L, -1),
			rtnl_neigh_get_ifindex(o));
	return neigh_remove(L, ns, n);
}

/* ns:neighs([{ dev =, family =, state = }]) -> iterator over neigh objects */
static int ns_neighs(lua_State *L)
{
	static const char *const keys[] = { "dev", "family", "state", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct neigh_filter f;
	vn_list *l;
	vn_err e;
	f.ifindex = 0;
	f.family = AF_UNSPEC;
	f.state = -1;
	f.dst = NULL;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "neighs", keys);
		vn_opt_family(L, 2, "neighs", "family", &f.family);
		if (f.family != AF_UNSPEC && f.family != AF_INET && f.family != AF_INET6)
			return luaL_error(L, "neighs: option 'family' must be 'inet' or 'inet6'");
		opt_state(L, 2, "neighs", &f.state);
		f.ifindex = vn_opt_ifindex(L, 2, ns, "neighs", "dev");
		if (f.ifindex < 0) {
			lua_getfield(L, 2, "dev");
			return vn_fail(L, lua_pushfstring(L, "neighs: dev '%s'",
							  lua_tostring(L, -1)), ENODEV, NULL);
		}
	}
	l = vn_list_new(L);
	if (dump_neighs(ns, &f, l, &e) < 0)
		return vn_push_err(L, "neighs", &e, NULL);
	vn_push_iter(L, l, VN_NEIGH, 1);
	return 1;
}

/* neigh:ns() -> the namespace handle */
/* "vnet.neigh: 10.0.0.5 lladdr 02:00:00:00:00:01 dev 3 permanent" */
static int m_tostring(lua_State *L)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, 1, VN_NEIGH);
	if (!b->o) {
		lua_pushliteral(L, "vnet.neigh (released)");
		return 1;
	}
	f_dst(L, b->o);
	f_lladdr(L, b->o);
	f_state(L, b->o);
	lua_pushfstring(L, "vnet.neigh: %s%s%s dev %d %s",
			lua_isnil(L, -3) ? "?" : lua_tostring(L, -3),
			lua_isnil(L, -2) ? "" : " lladdr ",
			lua_isnil(L, -2) ? "" : lua_tostring(L, -2),
			rtnl_neigh_get_ifindex(N_(b->o)), lua_tostring(L, -1));
	return 1;
}

static const luaL_Reg neigh_methods[] = {
	{ "delete", m_delete },
	{ NULL, NULL }
};

static const vn_type neigh_type = {
	.name = VN_NEIGH, .methods = neigh_methods, .fields = neigh_fields, .tostring = m_tostring
};

static const luaL_Reg ns_methods[] = {
	{ "neigh_add", ns_neigh_add },
	{ "neigh_replace", ns_neigh_replace },
	{ "neigh_del", ns_neigh_del },
	{ "neighs", ns_neighs },
	{ NULL, NULL }
};

void vn_open_neigh(lua_State *L)
{
	vn_type_register(L, &neigh_type);
	vn_netns_methods(L, ns_methods);
}
