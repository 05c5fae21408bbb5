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
#include "msg.h"

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
/* a proxy entry (`ip neigh add proxy ADDR dev X`): answered for, no lladdr */
static void f_proxy(lua_State *L, void *o)
{
	lua_pushboolean(L, (rtnl_neigh_get_flags(N_(o)) & NTF_PROXY) != 0);
}

static const vn_field neigh_fields[] = {
	{ "dst", f_dst }, { "lladdr", f_lladdr }, { "dev", f_dev },
	{ "state", f_state }, { "family", f_family }, { "router", f_router },
	{ "proxy", f_proxy }, { NULL, NULL }
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
	int proxy;               /* 1: the proxy entries (only those) */
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
	return !(rtnl_neigh_get_flags(n) & NTF_PROXY) == !f->proxy;
}

static int dump_neighs(vn_ns *ns, struct neigh_filter *f, vn_list *l, vn_err *e)
{
	struct { struct nlmsghdr h; struct ndmsg ndm; } q = {
		{ .nlmsg_len = sizeof q, .nlmsg_type = RTM_GETNEIGH },
		/* the kernel dumps the proxy entries instead of the others */
		{ .ndm_family = (unsigned char)f->family,
		  .ndm_flags = f->proxy ? NTF_PROXY : 0 } };
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
	static const char *const keys[] = { "dst", "lladdr", "dev", "state", "router",
					    "proxy", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_neigh *n, *got;
	struct nl_msg *msg = NULL;
	struct neigh_filter f;
	const char *s;
	char lladdr[128];
	int state = NUD_PERMANENT, router = 0, proxy = 0, ifindex, r, what, boxidx;
	vn_list l;
	vn_err e;

	vn_opts_check(L, 2, fn, keys);
	if (lua_rawlen(L, 2) > 0)
		return luaL_error(L, "%s: options must be named (e.g. dst = ...), not positional", fn);
	lua_settop(L, 2);
	n = push_new_neigh(L, 1, fn);                       /* 3 */
	boxidx = lua_gettop(L);
	vn_opt_bool(L, 2, fn, "proxy", &proxy);
	if (proxy) {
		/* the kernel answers for the address with the device's own */
		lua_getfield(L, 2, "lladdr");
		if (!lua_isnil(L, -1))
			return luaL_error(L, "%s: a proxy entry takes no 'lladdr'", fn);
		lua_pop(L, 1);
	}
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
	if (proxy)
		rtnl_neigh_set_flags(n, NTF_PROXY);
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
	f.proxy = proxy;
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

/***
 * Neighbour entries, ARP and NDP (`ip neigh`): the `ns:neigh_*` methods of a
 * namespace handle and the `vnet.neigh` objects they return.
 *
 * Options of `neigh_add` and `neigh_replace`: `dst` (the neighbour's
 * address), `lladdr` (its MAC address), `dev` (name or ifindex), `state`
 * (`"permanent"`, the default, `"reachable"`, `"stale"`, `"noarp"`,
 * `"delay"`, `"probe"`, `"failed"`, `"incomplete"` or `"none"`), `router`
 * (boolean), `proxy` (boolean: a proxy entry,
 * `ip neigh add proxy ADDR dev X`, answered for on the device; it takes no
 * `lladdr`). Misuse raises naming the option; a refusal by the kernel
 * returns `nil, message, errname`.
 *
 * The neighbour tables (`ip ntable`): `arp_cache` (`"inet"`) and
 * `ndisc_cache` (`"inet6"`), their settings and each device's parameters,
 * as `vnet.ntable` objects.
 * @module vnet.neigh
 */

/*** Adds an entry (`ip neigh add`).
 * @function ns:neigh_add
 * @tparam table opts the options above
 * @return the `vnet.neigh`, or `nil, message, errname` (`EEXIST` when
 *   there is one already)
 */

/*** Adds or updates an entry (`ip neigh replace`).
 * @function ns:neigh_replace
 * @tparam table opts the options above
 * @return the entry, or `nil, message, errname`
 */

/*** Deletes an entry (`ip neigh del`).
 * @function ns:neigh_del
 * @tparam table opts `dst`, `dev` and `proxy`
 * @return `true`, or `nil, message, errname`
 */

/*** The entries (`ip neigh show`).
 * @function ns:neighs
 * @tparam[opt] table opts `dev`, `family` (`"inet"`, `"inet6"`), `state`,
 *   `proxy` (`true`: the proxy entries, only those)
 * @return an iterator over `vnet.neigh` objects
 */

/*** One entry, asked of the kernel (`ip neigh get ADDR dev X`), not a
 * dump.
 * @function ns:neigh
 * @tparam table opts `dst`, `dev` (both required), `proxy`
 * @return the `vnet.neigh`, or `nil, message, errname` (`ENOENT` when
 *   there is none, `ENODEV` when there is no such device)
 */

/*** The neighbour tables' settings and each device's parameters (`ip
 * ntable show`).
 * @function ns:ntables
 * @tparam[opt] table opts `dev` (that device's entries only), `family`
 *   (`"inet"`, `"inet6"`), `name` (`"arp_cache"`, `"ndisc_cache"`)
 * @return an iterator over `vnet.ntable` objects, or `nil, message,
 *   errname`
 */

/*** Changes a neighbour table's settings (`ip ntable change name N [dev
 * X] ...`).
 * @function ns:ntable_change
 * @tparam table opts `name` (required), `family`, `dev`, and the settings
 *   to change: `thresh1`, `thresh2`, `thresh3`, `gc_interval` (the table's
 *   own, without `dev`; the kernel takes them only in the initial
 *   namespace, `ENOENT` elsewhere), `base_reachable`, `retrans`,
 *   `gc_stale`, `delay_probe`, `queue`, `app_probes`, `ucast_probes`,
 *   `mcast_probes`, `anycast_delay`, `proxy_delay`, `proxy_queue`,
 *   `locktime` (a device's parameters with `dev`, else the defaults);
 *   times in milliseconds
 * @return the `vnet.ntable` as read back, or `nil, message, errname`
 */

/*** A neighbour entry; `tostring` reads like `ip neigh`.
 * @type neigh
 */

/*** The fields of a `vnet.neigh`.
 * @table fields
 * @field dst the neighbour's address
 * @field lladdr its MAC address, or nil
 * @field dev the device's ifindex
 * @field family `"inet"` or `"inet6"`
 * @field state the state, as the option
 * @field router true for a router (IPv6)
 * @field proxy true for a proxy entry
 */

/*** Deletes the entry.
 * @function neigh:delete
 * @return `true`, or `nil, message, errname`
 */

/*** The namespace handle the entry belongs to.
 * @function neigh:ns
 */

/*** A neighbour table's settings, or one device's parameters in it (`ip
 * ntable show`); times in milliseconds.
 * @type ntable
 */

/*** The fields of a `vnet.ntable`.
 * @table fields
 * @field name `"arp_cache"`, `"ndisc_cache"`...
 * @field family `"inet"` or `"inet6"`
 * @field dev the device's ifindex for a device's parameters, else nil
 * @field thresh1 the table's gc_thresh1 (nil for a device's entry), and
 *   likewise `thresh2`, `thresh3`, `gc_interval`
 * @field reachable the reachable time, and likewise `refcnt`,
 *   `base_reachable`, `retrans`, `gc_stale`, `delay_probe`, `queue`,
 *   `app_probes`, `ucast_probes`, `mcast_probes`, `anycast_delay`,
 *   `proxy_delay`, `proxy_queue`, `locktime`
 */
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
	int r = rtnl_neigh_build_delete_request(n, 0, &msg);
	return vn_req_built(L, ns, r, msg, lua_tostring(L, -1), neigh_opts);
}

/* ns:neigh_del{ dst =, dev = } -> true | nil, msg, errname */
static int ns_neigh_del(lua_State *L)
{
	static const char *const keys[] = { "dst", "dev", "proxy", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_neigh *n;
	int ifindex, proxy = 0;
	vn_opts_check(L, 2, "neigh_del", keys);
	if (lua_rawlen(L, 2) > 0)
		return luaL_error(L, "neigh_del: options must be named (e.g. dst = ...), "
				  "not positional");
	lua_settop(L, 2);
	n = push_new_neigh(L, 1, "neigh_del");
	if (vn_opt_bool(L, 2, "neigh_del", "proxy", &proxy) && proxy)
		rtnl_neigh_set_flags(n, NTF_PROXY);
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
	if (rtnl_neigh_get_flags(o) & NTF_PROXY)
		rtnl_neigh_set_flags(n, NTF_PROXY);
	if (rtnl_neigh_get_dst(o))
		rtnl_neigh_set_dst(n, rtnl_neigh_get_dst(o));
	f_dst(L, (struct nl_object *)o);
	lua_pushfstring(L, "delete %s dev %d", lua_isnil(L, -1) ? "?" : lua_tostring(L, -1),
			rtnl_neigh_get_ifindex(o));
	return neigh_remove(L, ns, n);
}

/* ns:neigh{ dst =, dev =, proxy = } -> neigh | nil, msg, errname: one
 * entry asked of the kernel (RTM_GETNEIGH, `ip neigh get ADDR dev X`), not
 * a dump; ENOENT when there is none (and the kernel's "Neighbour entry not
 * found"), ENODEV when there is no such device. */
static int ns_neigh(lua_State *L)
{
	static const char *const keys[] = { "dst", "dev", "proxy", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct {
		struct nlmsghdr h;
		unsigned char room[NLMSG_ALIGN(sizeof(struct ndmsg)) + RTA_SPACE(16)];
	} req;
	struct ndmsg *ndm;
	struct nl_addr *dst;
	struct rtnl_neigh *n;
	vn_list *l;
	vn_err e;
	int ifindex, proxy = 0, what;

	vn_opts_check(L, 2, "neigh", keys);
	if (lua_rawlen(L, 2) > 0)
		return luaL_error(L, "neigh: options must be named (e.g. dst = ...), "
				  "not positional");
	lua_settop(L, 2);
	vn_opt_bool(L, 2, "neigh", "proxy", &proxy);
	/* the options are read into a scratch neigh (owned by its box) */
	n = push_new_neigh(L, 1, "neigh");                  /* 3 */
	ifindex = parse_ident(L, 2, ns, n, "neigh");        /* 4: description */
	what = lua_gettop(L);
	if (ifindex < 0)
		return vn_fail(L, lua_tostring(L, what), ENODEV, NULL);
	dst = rtnl_neigh_get_dst(n);
	ndm = (struct ndmsg *)vn_msg_begin(&req.h, sizeof req, RTM_GETNEIGH, 0, sizeof *ndm);
	ndm->ndm_family = (unsigned char)nl_addr_get_family(dst);
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_flags = proxy ? NTF_PROXY : 0;
	vn_rta_put(&req.h, NDA_DST, nl_addr_get_binary_addr(dst), nl_addr_get_len(dst));
	l = vn_list_new(L);                                 /* what + 1 */
	if (vn_req(ns, &req.h, VN_GET, l, &e) < 0) {
		vn_list_free(l);
		return vn_push_err(L, lua_tostring(L, what), &e, NULL);
	}
	vn_box_replace(L, 3, VN_NEIGH, l->v[0]);
	vn_list_drop(L, l);
	lua_settop(L, 3);
	return 1;
}

/* ns:neighs([{ dev =, family =, state = }]) -> iterator over neigh objects */
static int ns_neighs(lua_State *L)
{
	static const char *const keys[] = { "dev", "family", "state", "proxy", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct neigh_filter f;
	vn_list *l;
	vn_err e;
	f.ifindex = 0;
	f.family = AF_UNSPEC;
	f.state = -1;
	f.dst = NULL;
	f.proxy = 0;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "neighs", keys);
		vn_opt_family(L, 2, "neighs", "family", &f.family);
		if (f.family != AF_UNSPEC && f.family != AF_INET && f.family != AF_INET6)
			return luaL_error(L, "neighs: option 'family' must be 'inet' or 'inet6'");
		opt_state(L, 2, "neighs", &f.state);
		vn_opt_bool(L, 2, "neighs", "proxy", &f.proxy);
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

/* "vnet.neigh: 10.0.0.5 lladdr 02:00:00:00:00:01 dev 3 permanent" */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	f_dst(L, o);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushliteral(L, "?");
	}
	luaL_addvalue(buf);
	f_lladdr(L, o);
	vn_add_word_opt(L, buf, "lladdr");
	f_dev(L, o);
	vn_add_word(L, buf, "dev");
	luaL_addchar(buf, ' ');
	if (rtnl_neigh_get_flags(N_(o)) & NTF_PROXY)
		lua_pushliteral(L, "proxy");
	else
		f_state(L, o);
	luaL_addvalue(buf);
}

static const luaL_Reg neigh_methods[] = {
	{ "delete", m_delete }, { NULL, NULL }
};


/* ---- neighbour tables' settings (`ip ntable`) ----------------------------- */
/* A vnet.ntable is a message box (vn_msgbox) holding one RTM_NEWNEIGHTBL
 * as the kernel sent it: a table's own settings (thresholds, gc interval,
 * the defaults of its parameters) or one device's parameters. */
#define VN_NTABLE "vnet.ntable"

/* the settings, by the names `ip -j ntable` gives them */
enum { P_U32, P_MS };
typedef struct nt_param {
	const char *name;
	int type, kind;      /* NDTPA_*, or NDTA_* for the table's own */
	int own;             /* 1: NDTA_* of the table, 0: NDTPA_* in NDTA_PARMS */
	int rw;              /* 1: ntable_change sets it */
} nt_param;
static const nt_param nt_params[] = {
	{ "thresh1", NDTA_THRESH1, P_U32, 1, 1 },
	{ "thresh2", NDTA_THRESH2, P_U32, 1, 1 },
	{ "thresh3", NDTA_THRESH3, P_U32, 1, 1 },
	{ "gc_interval", NDTA_GC_INTERVAL, P_MS, 1, 1 },
	{ "refcnt", NDTPA_REFCNT, P_U32, 0, 0 },
	{ "reachable", NDTPA_REACHABLE_TIME, P_MS, 0, 0 },
	{ "base_reachable", NDTPA_BASE_REACHABLE_TIME, P_MS, 0, 1 },
	{ "retrans", NDTPA_RETRANS_TIME, P_MS, 0, 1 },
	{ "gc_stale", NDTPA_GC_STALETIME, P_MS, 0, 1 },
	{ "delay_probe", NDTPA_DELAY_PROBE_TIME, P_MS, 0, 1 },
	{ "queue", NDTPA_QUEUE_LEN, P_U32, 0, 1 },
	{ "app_probes", NDTPA_APP_PROBES, P_U32, 0, 1 },
	{ "ucast_probes", NDTPA_UCAST_PROBES, P_U32, 0, 1 },
	{ "mcast_probes", NDTPA_MCAST_PROBES, P_U32, 0, 1 },
	{ "anycast_delay", NDTPA_ANYCAST_DELAY, P_MS, 0, 1 },
	{ "proxy_delay", NDTPA_PROXY_DELAY, P_MS, 0, 1 },
	{ "proxy_queue", NDTPA_PROXY_QLEN, P_U32, 0, 1 },
	{ "locktime", NDTPA_LOCKTIME, P_MS, 0, 1 },
};
#define NPARAMS ((int)(sizeof nt_params / sizeof *nt_params))

typedef struct nt_view {
	const struct ndtmsg *h;
	const struct rtattr *a[NDTA_MAX + 1];
	const struct rtattr *p[NDTPA_MAX + 1];
} nt_view;

static void nt_parse(nt_view *v, const void *m, size_t len)
{
	const struct rtattr *parms;
	v->h = (const struct ndtmsg *)m;
	vn_attrs_index(m, len, sizeof(struct ndtmsg), v->a, NDTA_MAX);
	parms = v->a[NDTA_PARMS];
	memset(v->p, 0, sizeof v->p);
	if (parms)
		vn_attrs_index(RTA_DATA(parms), RTA_PAYLOAD(parms), 0, v->p, NDTPA_MAX);
}

/* a u64 payload (a u32 one too), 0 for NULL or a short one */
static uint64_t nt_u64(const struct rtattr *a)
{
	uint64_t v = 0;
	if (a && RTA_PAYLOAD(a) >= sizeof v)
		memcpy(&v, RTA_DATA(a), sizeof v);
	else if (a)
		v = vn_rta_u32(a);
	return v;
}

static const struct rtattr *nt_attr(const nt_view *v, const nt_param *pr)
{
	return pr->own ? v->a[pr->type] : v->p[pr->type];
}

/* the table's name, copied into buf (size bytes), "" when absent */
static const char *nt_name(const nt_view *v, char *buf, size_t size)
{
	const struct rtattr *a = v->a[NDTA_NAME];
	size_t n = a ? strnlen((const char *)RTA_DATA(a), RTA_PAYLOAD(a)) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(buf, RTA_DATA(a), n);
	buf[n] = 0;
	return buf;
}

static int nt_ifindex(const nt_view *v)
{
	return (int)vn_rta_u32(v->p[NDTPA_IFINDEX]);
}

static void nt_push_param(lua_State *L, const nt_view *v, const nt_param *pr)
{
	const struct rtattr *a = nt_attr(v, pr);
	if (!a)
		lua_pushnil(L);
	else if (pr->kind == P_MS)
		lua_pushinteger(L, (lua_Integer)(nt_u64(a) & 0x7fffffffffffffffULL));
	else
		lua_pushinteger(L, (lua_Integer)vn_rta_u32(a));
}

#define NTV(v, o) nt_view v; nt_parse(&v, ((vn_msgbox *)(o))->m, ((vn_msgbox *)(o))->len)
static void nt_f_name(lua_State *L, void *o)
{
	char b[64];
	NTV(v, o);
	lua_pushstring(L, nt_name(&v, b, sizeof b));
}
static void nt_f_family(lua_State *L, void *o)
{
	NTV(v, o);
	vn_push_family(L, v.h->ndtm_family);
}
/* the device's index; nil for the table's own settings */
static void nt_f_dev(lua_State *L, void *o)
{
	NTV(v, o);
	if (nt_ifindex(&v) > 0)
		lua_pushinteger(L, nt_ifindex(&v));
	else
		lua_pushnil(L);
}
#define NT_GETTER(i, name) static void nt_f_##name(lua_State *L, void *o) \
	{ NTV(v, o); nt_push_param(L, &v, &nt_params[i]); }
NT_GETTER(0, thresh1) NT_GETTER(1, thresh2) NT_GETTER(2, thresh3)
NT_GETTER(3, gc_interval) NT_GETTER(4, refcnt) NT_GETTER(5, reachable)
NT_GETTER(6, base_reachable) NT_GETTER(7, retrans) NT_GETTER(8, gc_stale)
NT_GETTER(9, delay_probe) NT_GETTER(10, queue) NT_GETTER(11, app_probes)
NT_GETTER(12, ucast_probes) NT_GETTER(13, mcast_probes) NT_GETTER(14, anycast_delay)
NT_GETTER(15, proxy_delay) NT_GETTER(16, proxy_queue) NT_GETTER(17, locktime)
typedef char nt_params_have_fields[NPARAMS == 18 ? 1 : -1];

static const vn_field ntable_fields[] = {
	{ "name", nt_f_name }, { "family", nt_f_family }, { "dev", nt_f_dev },
	{ "thresh1", nt_f_thresh1 }, { "thresh2", nt_f_thresh2 },
	{ "thresh3", nt_f_thresh3 }, { "gc_interval", nt_f_gc_interval },
	{ "refcnt", nt_f_refcnt }, { "reachable", nt_f_reachable },
	{ "base_reachable", nt_f_base_reachable }, { "retrans", nt_f_retrans },
	{ "gc_stale", nt_f_gc_stale }, { "delay_probe", nt_f_delay_probe },
	{ "queue", nt_f_queue }, { "app_probes", nt_f_app_probes },
	{ "ucast_probes", nt_f_ucast_probes }, { "mcast_probes", nt_f_mcast_probes },
	{ "anycast_delay", nt_f_anycast_delay }, { "proxy_delay", nt_f_proxy_delay },
	{ "proxy_queue", nt_f_proxy_queue }, { "locktime", nt_f_locktime },
	{ NULL, NULL }
};

/* "vnet.ntable: inet arp_cache dev 3 refcnt 1 reachable ..." in the order
 * of `ip ntable show` */
static void nt_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	char name[64];
	int i;
	NTV(v, o);
	vn_push_family(L, v.h->ndtm_family);
	luaL_addvalue(buf);
	luaL_addchar(buf, ' ');
	luaL_addstring(buf, nt_name(&v, name, sizeof name));
	if (nt_ifindex(&v) > 0) {
		lua_pushinteger(L, nt_ifindex(&v));
		vn_add_word(L, buf, "dev");
	}
	for (i = 0; i < NPARAMS; i++) {
		char num[32];
		const struct rtattr *a = nt_attr(&v, &nt_params[i]);
		if (!a)
			continue;
		snprintf(num, sizeof num, " %llu", nt_params[i].kind == P_MS ?
			 (unsigned long long)nt_u64(a) : (unsigned long long)vn_rta_u32(a));
		luaL_addchar(buf, ' ');
		luaL_addstring(buf, nt_params[i].name);
		luaL_addstring(buf, num);
	}
}

/* __eq's identity: family, name and device */
static int nt_same(const void *x, const void *y)
{
	char na[64], nb[64];
	nt_view a, b;
	nt_parse(&a, ((const vn_msgbox *)x)->m, ((const vn_msgbox *)x)->len);
	nt_parse(&b, ((const vn_msgbox *)y)->m, ((const vn_msgbox *)y)->len);
	return a.h->ndtm_family == b.h->ndtm_family && nt_ifindex(&a) == nt_ifindex(&b) &&
	       !strcmp(nt_name(&a, na, sizeof na), nt_name(&b, nb, sizeof nb));
}

struct nt_filter {
	int family, ifindex;   /* 0: any; ifindex -1: the tables' own only */
	char name[64];         /* "": any */
};

static int keep_ntable(const struct nlmsghdr *h, void *arg)
{
	struct nt_filter *f = (struct nt_filter *)arg;
	char name[64];
	nt_view v;
	if (h->nlmsg_type != RTM_NEWNEIGHTBL ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndtmsg)))
		return 0;
	nt_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	if (f->family && v.h->ndtm_family != f->family)
		return 0;
	if (f->ifindex > 0 && nt_ifindex(&v) != f->ifindex)
		return 0;
	if (f->ifindex < 0 && nt_ifindex(&v) > 0)
		return 0;
	return !f->name[0] || !strcmp(nt_name(&v, name, sizeof name), f->name);
}

static int dump_ntables(vn_ns *ns, struct nt_filter *f, vn_list *l, vn_err *e)
{
	struct { struct nlmsghdr h; struct ndtmsg ndtm; } req;
	l->rkeep = keep_ntable;
	l->arg = f;
	vn_msg_begin(&req.h, sizeof req, RTM_GETNEIGHTBL, 0, sizeof req.ndtm);
	req.ndtm.ndtm_family = (unsigned char)f->family;
	return vn_req(ns, &req.h, VN_DUMP, l, e);
}

static void push_ntable(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_NTABLE, p, len, nsidx);
}

/* Reads the filter options family, dev and name of the table at idx into
 * f. Returns 0, or pushes the failure triple of a device that does not
 * exist and returns 3. */
static int nt_opts(lua_State *L, int idx, vn_ns *ns, const char *fn, struct nt_filter *f)
{
	if (vn_opt_family(L, idx, fn, "family", &f->family) && f->family != AF_INET &&
	    f->family != AF_INET6)
		return luaL_error(L, "%s: option 'family' must be 'inet' or 'inet6'", fn);
	vn_opt_str(L, idx, fn, "name", f->name, sizeof f->name);
	f->ifindex = vn_opt_ifindex(L, idx, ns, fn, "dev");
	if (f->ifindex < 0) {
		lua_getfield(L, idx, "dev");
		vn_push_devdesc(L, lua_gettop(L));
		return vn_fail(L, lua_pushfstring(L, "%s: dev '%s'", fn, lua_tostring(L, -1)),
			       ENODEV, NULL);
	}
	return 0;
}

/* ns:ntables([{ dev =, family =, name = }]) -> iterator over vnet.ntable
 * | nil, msg, errname: the neighbour tables' settings and each device's
 * parameters (`ip ntable show [dev X] [name N]`); with dev, that device's
 * entries only. */
static int ns_ntables(lua_State *L)
{
	static const char *const keys[] = { "dev", "family", "name", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct nt_filter f;
	vn_list *l;
	vn_err e;
	int r;
	memset(&f, 0, sizeof f);
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "ntables", keys);
		if ((r = nt_opts(L, 2, ns, "ntables", &f)))
			return r;
	}
	l = vn_list_new(L);
	return vn_push_dump(L, l, dump_ntables(ns, &f, l, &e), &e, "ntables", push_ntable, 1);
}

static void put_u64(struct nlmsghdr *h, int type, uint64_t v)
{
	vn_rta_put(h, type, &v, sizeof v);
}

/* ns:ntable_change{ name =, family =, dev =, <setting> = ... } -> ntable |
 * nil, msg, errname: `ip ntable change name N [dev X] SETTING VALUE...`.
 * The thresholds and gc_interval are the table's own (without dev; the
 * kernel takes them only in the initial namespace, ENOENT elsewhere); the
 * others are a device's parameters (with dev) or the defaults. Times are
 * in milliseconds. Returns the entry as read back. */
static int ns_ntable_change(lua_State *L)
{
	static const char *const keys[] = { "name", "family", "dev", "thresh1", "thresh2",
		"thresh3", "gc_interval", "base_reachable", "retrans", "gc_stale",
		"delay_probe", "queue", "app_probes", "ucast_probes", "mcast_probes",
		"anycast_delay", "proxy_delay", "proxy_queue", "locktime", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct {
		struct nlmsghdr h;
		unsigned char room[NLMSG_ALIGN(sizeof(struct ndtmsg)) + RTA_SPACE(64) +
				   (NPARAMS + 2) * RTA_SPACE(8)];
	} req;
	struct ndtmsg *ndtm;
	struct rtattr *parms = NULL;
	struct nt_filter f;
	lua_Integer val[NPARAMS];
	int set[NPARAMS];
	int i, r, n = 0, what;
	vn_list *l;
	vn_err e;
	size_t len;

	memset(&f, 0, sizeof f);
	vn_opts_check(L, 2, "ntable_change", keys);
	lua_settop(L, 2);
	if ((r = nt_opts(L, 2, ns, "ntable_change", &f)))
		return r;
	if (!f.name[0])
		return luaL_error(L, "ntable_change: option 'name' is required "
				  "(e.g. 'arp_cache', 'ndisc_cache')");
	for (i = 0; i < NPARAMS; i++) {
		set[i] = nt_params[i].rw &&
			 vn_opt_int(L, 2, "ntable_change", nt_params[i].name, 0, 0x7fffffff, &val[i]);
		n += set[i];
		if (set[i] && nt_params[i].own && f.ifindex)
			return luaL_error(L, "ntable_change: option '%s' is the table's own, "
					  "not a device's (give no 'dev')", nt_params[i].name);
	}
	if (!n)
		return luaL_error(L, "ntable_change: nothing to change (give a setting "
				  "such as 'queue' or 'base_reachable')");
	if (f.ifindex) {
		lua_getfield(L, 2, "dev");
		vn_push_devdesc(L, lua_gettop(L));
		lua_pushfstring(L, "ntable_change %s dev %s", f.name, lua_tostring(L, -1));
	} else {
		lua_pushfstring(L, "ntable_change %s", f.name);
	}
	what = lua_gettop(L);

	ndtm = (struct ndtmsg *)vn_msg_begin(&req.h, sizeof req, RTM_SETNEIGHTBL, 0, sizeof *ndtm);
	ndtm->ndtm_family = (unsigned char)f.family;
	vn_rta_put(&req.h, NDTA_NAME, f.name, strlen(f.name) + 1);
	for (i = 0; i < NPARAMS; i++)
		if (set[i] && nt_params[i].own) {
			if (nt_params[i].kind == P_MS)
				put_u64(&req.h, nt_params[i].type, (uint64_t)val[i]);
			else
				vn_rta_put_u32(&req.h, nt_params[i].type, (uint32_t)val[i]);
		}
	for (i = 0; i < NPARAMS; i++)
		if (set[i] && !nt_params[i].own) {
			if (!parms) {
				parms = vn_rta_put(&req.h, NDTA_PARMS, NULL, 0);
				vn_rta_put_u32_opt(&req.h, NDTPA_IFINDEX, (uint32_t)f.ifindex);
			}
			if (nt_params[i].kind == P_MS)
				put_u64(&req.h, nt_params[i].type, (uint64_t)val[i]);
			else
				vn_rta_put_u32(&req.h, nt_params[i].type, (uint32_t)val[i]);
		}
	if (parms)
		parms->rta_len = (unsigned short)((char *)&req.h + req.h.nlmsg_len - (char *)parms);
	if (vn_req(ns, &req.h, 0, NULL, &e) < 0)
		return vn_push_err(L, lua_tostring(L, what), &e, NULL);
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* read it back: the entry of that device, or the table's own */
	if (!f.ifindex)
		f.ifindex = -1;
	l = vn_list_new(L);
	if (dump_ntables(ns, &f, l, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s: reading it back",
						      lua_tostring(L, what)), &e, NULL);
	if (!vn_list_first(l, &len)) {
		vn_list_free(l);
		return vn_fail(L, lua_pushfstring(L, "%s: reading it back",
						  lua_tostring(L, what)), ENOENT, NULL);
	}
	push_ntable(L, vn_list_first(l, &len), len, 1);
	vn_list_drop(L, l);
	return 1;
}

static const luaL_Reg ntable_methods[] = {
	{ NULL, NULL }
};

static const vn_type neigh_type = {
	.name = VN_NEIGH, .methods = neigh_methods, .fields = neigh_fields,
	.summary = m_summary,
	.ns_methods = (const luaL_Reg[]){
		{ "neigh_add", ns_neigh_add }, { "neigh_replace", ns_neigh_replace },
		{ "neigh_del", ns_neigh_del }, { "neighs", ns_neighs },
		{ "neigh", ns_neigh }, { "ntables", ns_ntables },
		{ "ntable_change", ns_ntable_change }, { NULL, NULL } }
};

static const vn_type ntable_type = {
	.name = VN_NTABLE, .methods = ntable_methods, .fields = ntable_fields,
	.summary = nt_summary, .live = vn_msgbox_live, .release = vn_msgbox_release,
	.same = nt_same
};

void vn_open_neigh(lua_State *L)
{
	vn_type_register(L, &neigh_type);
	vn_type_register(L, &ntable_type);
}
