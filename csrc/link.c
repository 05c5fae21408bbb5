/*
 * link.c - link objects: get, list, add, set, delete and their fields.
 */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <netlink/route/link.h>

#include "link.h"

/* ---- fields ---------------------------------------------------------- */
#define L_(o) ((struct rtnl_link *)(o))

static void f_name(lua_State *L, void *o)
{
	const char *s = rtnl_link_get_name(L_(o));
	if (s) lua_pushstring(L, s); else lua_pushnil(L);
}
static void f_index(lua_State *L, void *o)
{
	lua_pushinteger(L, rtnl_link_get_ifindex(L_(o)));
}
static void f_kind(lua_State *L, void *o)
{
	const char *s = rtnl_link_get_type(L_(o));
	if (s)
		lua_pushstring(L, s);
	else if (rtnl_link_get_arptype(L_(o)) == 772) /* ARPHRD_LOOPBACK */
		lua_pushstring(L, "loopback");
	else
		lua_pushstring(L, "device");
}
static void f_mtu(lua_State *L, void *o)
{
	lua_pushinteger(L, rtnl_link_get_mtu(L_(o)));
}
static void f_txqlen(lua_State *L, void *o)
{
	lua_pushinteger(L, rtnl_link_get_txqlen(L_(o)));
}
static void push_lladdr(lua_State *L, struct nl_addr *a)
{
	char buf[64];
	if (!a || nl_addr_get_len(a) == 0) {
		lua_pushnil(L);
		return;
	}
	nl_addr2str(a, buf, sizeof buf);
	lua_pushstring(L, buf);
}
static void f_address(lua_State *L, void *o)
{
	push_lladdr(L, rtnl_link_get_addr(L_(o)));
}
static void f_broadcast(lua_State *L, void *o)
{
	push_lladdr(L, rtnl_link_get_broadcast(L_(o)));
}
static void f_flags(lua_State *L, void *o)
{
	static const struct { unsigned f; const char *n; } fl[] = {
		{ IFF_UP, "up" }, { IFF_BROADCAST, "broadcast" },
		{ IFF_LOOPBACK, "loopback" }, { IFF_POINTOPOINT, "pointopoint" },
		{ IFF_RUNNING, "running" }, { IFF_NOARP, "noarp" },
		{ IFF_PROMISC, "promisc" }, { IFF_ALLMULTI, "allmulti" },
		{ IFF_MASTER, "master" }, { IFF_SLAVE, "slave" },
		{ IFF_MULTICAST, "multicast" }, { IFF_DYNAMIC, "dynamic" },
		{ 0x10000, "lower_up" }, { 0x20000, "dormant" }, { 0, NULL }
	};
	unsigned f = rtnl_link_get_flags(L_(o));
	int i;
	lua_newtable(L);
	for (i = 0; fl[i].n; i++)
		if (f & fl[i].f) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, fl[i].n);
		}
}
static void f_up(lua_State *L, void *o)
{
	lua_pushboolean(L, (rtnl_link_get_flags(L_(o)) & IFF_UP) != 0);
}
static void f_operstate(lua_State *L, void *o)
{
	static const char *const st[] = { "unknown", "notpresent", "down",
		"lowerlayerdown", "testing", "dormant", "up" };
	uint8_t s = rtnl_link_get_operstate(L_(o));
	lua_pushstring(L, s < 7 ? st[s] : "unknown");
}
static void f_master(lua_State *L, void *o)
{
	int m = rtnl_link_get_master(L_(o));
	if (m) lua_pushinteger(L, m); else lua_pushnil(L);
}
static void f_link(lua_State *L, void *o)
{
	int m = rtnl_link_get_link(L_(o));
	if (m) lua_pushinteger(L, m); else lua_pushnil(L);
}
static void f_alias(lua_State *L, void *o)
{
	const char *s = rtnl_link_get_ifalias(L_(o));
	if (s && *s) lua_pushstring(L, s); else lua_pushnil(L);
}
static void f_link_netnsid(lua_State *L, void *o)
{
	int32_t id;
	if (rtnl_link_get_link_netnsid(L_(o), &id) == 0)
		lua_pushinteger(L, id);
	else
		lua_pushnil(L);
}
static void f_carrier(lua_State *L, void *o)
{
	lua_pushboolean(L, rtnl_link_get_carrier(L_(o)) != 0);
}
static void f_stats(lua_State *L, void *o)
{
	static const struct { rtnl_link_stat_id_t id; const char *n; } st[] = {
		{ RTNL_LINK_RX_BYTES, "rx_bytes" }, { RTNL_LINK_TX_BYTES, "tx_bytes" },
		{ RTNL_LINK_RX_PACKETS, "rx_packets" }, { RTNL_LINK_TX_PACKETS, "tx_packets" },
		{ RTNL_LINK_RX_ERRORS, "rx_errors" }, { RTNL_LINK_TX_ERRORS, "tx_errors" },
		{ RTNL_LINK_RX_DROPPED, "rx_dropped" }, { RTNL_LINK_TX_DROPPED, "tx_dropped" },
		{ RTNL_LINK_MULTICAST, "multicast" }, { RTNL_LINK_COLLISIONS, "collisions" },
		{ 0, NULL }
	};
	int i;
	lua_newtable(L);
	for (i = 0; st[i].n; i++) {
		lua_pushnumber(L, (lua_Number)rtnl_link_get_stat(L_(o), st[i].id));
		lua_setfield(L, -2, st[i].n);
	}
}
static void f_info(lua_State *L, void *o)
{
	const char *t = rtnl_link_get_type(L_(o));
	const vn_kind *k = t ? vn_kind_find(t) : NULL;
	lua_newtable(L);
	if (k && k->info)
		k->info(L, L_(o));
}

static const vn_field link_fields[] = {
	{ "name", f_name }, { "index", f_index }, { "kind", f_kind },
	{ "mtu", f_mtu }, { "address", f_address }, { "broadcast", f_broadcast },
	{ "flags", f_flags }, { "up", f_up }, { "operstate", f_operstate },
	{ "master", f_master }, { "link", f_link }, { "txqlen", f_txqlen },
	{ "alias", f_alias }, { "link_netnsid", f_link_netnsid },
	{ "carrier", f_carrier }, { "stats", f_stats }, { "info", f_info },
	{ NULL, NULL }
};

/* ---- lookups --------------------------------------------------------- */
/* Fetches one link by index or name with one request. 0 or -errno. */
static int get_link(vn_ns *ns, int ifindex, const char *name, struct rtnl_link **out)
{
	struct nl_msg *msg = NULL;
	int r = rtnl_link_build_get_request(ifindex, name, &msg);
	if (r < 0) {
		ns->err = ENOMEM;
		return -ENOMEM;
	}
	r = vn_get(ns, msg, (struct nl_object **)out);
	nlmsg_free(msg);
	return r;
}

/* Deletes the link with this index (or name). 0 or -errno. */
static int delete_link(vn_ns *ns, int ifindex, const char *name)
{
	struct rtnl_link *d = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int r = -ENOMEM;
	if (d) {
		if (ifindex)
			rtnl_link_set_ifindex(d, ifindex);
		if (name)
			rtnl_link_set_name(d, name);
		r = rtnl_link_build_delete_request(d, &msg) < 0 ? -ENOMEM : 0;
		rtnl_link_put(d);
	}
	if (r < 0) {
		ns->err = ENOMEM;
		return r;
	}
	r = vn_talk(ns, msg);
	nlmsg_free(msg);
	return r;
}

/* Sets the alias of the link with this index or name. 0 or -errno. */
static int set_alias(vn_ns *ns, int ifindex, const char *name, const char *alias)
{
	struct ifinfomsg ifi;
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	int r;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_index = ifindex;
	if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    (name && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    nla_put_string(msg, IFLA_IFALIAS, alias) < 0) {
		nlmsg_free(msg);
		ns->err = ENOMEM;
		return -ENOMEM;
	}
	r = vn_talk(ns, msg);
	nlmsg_free(msg);
	return r;
}

/* Takes the link with this index down. 0 or -errno. */
static int set_down(vn_ns *ns, int ifindex)
{
	struct ifinfomsg ifi;
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	int r;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_index = ifindex;
	ifi.ifi_change = IFF_UP;
	if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		ns->err = ENOMEM;
		return -ENOMEM;
	}
	r = vn_talk(ns, msg);
	nlmsg_free(msg);
	return r;
}

/* ns:link(name | index) -> link | nil, msg, errname */
static int ns_link(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct rtnl_link *l;
	const char *name = NULL;
	int idx = 0, r;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		if (!lua_isinteger(L, 2) || lua_tointeger(L, 2) <= 0)
			return luaL_argerror(L, 2, "ifindex must be a positive integer");
		idx = (int)lua_tointeger(L, 2);
	} else if (lua_type(L, 2) == LUA_TSTRING) {
		name = lua_tostring(L, 2);
		vn_check_ifname(L, name, "link", "name");
	} else {
		return luaL_argerror(L, 2, "link name or index expected");
	}
	r = get_link(ns, idx, name, &l);
	if (r < 0) {
		if (r == -ENODEV || r == -ENOENT)
			ns->err = ENODEV;
		return vn_nsfail(L, ns, lua_pushfstring(L, "link %s", name ? name :
					lua_tostring(L, 2)));
	}
	vn_box_push(L, (struct nl_object *)l, VN_LINK, 1);
	return 1;
}

struct link_filter { const char *kind; int master; int up; };

static int keep_link(struct nl_object *o, void *arg)
{
	struct link_filter *f = (struct link_filter *)arg;
	struct rtnl_link *l = L_(o);
	if (f->kind) {
		const char *t = rtnl_link_get_type(l);
		if (!t || strcmp(t, f->kind))
			return 0;
	}
	if (f->master && rtnl_link_get_master(l) != f->master)
		return 0;
	if (f->up >= 0 && !!(rtnl_link_get_flags(l) & IFF_UP) != f->up)
		return 0;
	return 1;
}

/* The per-family settings of a link (IFLA_AF_SPEC: IPv6's devconf, ~1 KiB
 * a link) are not read by vnet; hiding them from libnl's parser saves it
 * two allocations and a copy per link. */
static void skip_af_spec(struct nlmsghdr *h)
{
	struct nlattr *a;
	int rem;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return;
	nlmsg_for_each_attr(a, h, sizeof(struct ifinfomsg), rem)
		if (nla_type(a) == IFLA_AF_SPEC)
			a->nla_type = IFLA_UNSPEC;
}

/* ns:links([{ kind =, master =, up = }]) -> iterator over links */
static int ns_links(lua_State *L)
{
	static const char *const keys[] = { "kind", "master", "up", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct link_filter f = { NULL, 0, -1 };
	struct ifinfomsg ifi;
	vn_list l;
	int r;

	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "links", keys);
		f.kind = vn_opt_str(L, 2, "links", "kind", 0);
		vn_opt_bool(L, 2, "links", "up", &f.up);
		r = vn_opt_ifindex(L, 2, ns, "links", "master");
		if (r < 0)
			return vn_fail(L, "links: master", ENODEV, NULL);
		f.master = r;
	}
	memset(&l, 0, sizeof l);
	l.keep = keep_link;
	l.prep = skip_af_spec;
	l.arg = &f;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_family = AF_UNSPEC;
	if (vn_dump_req(ns, RTM_GETLINK, &ifi, sizeof ifi, &l) < 0)
		return vn_nsfail(L, ns, "links");
	vn_push_iter(L, &l, VN_LINK, 1);
	return 1;
}

/* ---- common settable attributes --------------------------------------- */
static const char *const common_keys[] = { "name", "kind", "mtu", "address",
	"broadcast", "up", "master", "netns", "txqlen", "alias", "parent",
	"arp", "promisc", "group", "numtxqueues", "numrxqueues", NULL };

/* Fills the settings shared by link_add and set into l. Returns 0 or -errno
 * with *what naming the option. The netns handle, if any, is pushed. */
static int parse_common(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
			const char *fn, int adding, const char **what, vn_ns **target)
{
	const char *s;
	lua_Integer n;
	int b, r, ref;

	if ((s = vn_opt_str(L, idx, fn, "name", 0))) {
		vn_check_ifname(L, s, fn, "name");
		rtnl_link_set_name(l, s);
	}
	if (vn_opt_int(L, idx, fn, "mtu", 68, 65535, &n))
		rtnl_link_set_mtu(l, (unsigned)n);
	if (vn_opt_int(L, idx, fn, "txqlen", 0, 0x7fffffff, &n))
		rtnl_link_set_txqlen(l, (unsigned)n);
	if (vn_opt_int(L, idx, fn, "group", 0, 0x7fffffff, &n))
		rtnl_link_set_group(l, (uint32_t)n);
	if (adding && vn_opt_int(L, idx, fn, "numtxqueues", 1, 4096, &n))
		rtnl_link_set_num_tx_queues(l, (uint32_t)n);
	if (adding && vn_opt_int(L, idx, fn, "numrxqueues", 1, 4096, &n))
		rtnl_link_set_num_rx_queues(l, (uint32_t)n);
	if ((s = vn_opt_str(L, idx, fn, "alias", 255)))
		rtnl_link_set_ifalias(l, s);
	if (vn_opt_bool(L, idx, fn, "up", &b)) {
		if (b) rtnl_link_set_flags(l, IFF_UP); else rtnl_link_unset_flags(l, IFF_UP);
	}
	if (vn_opt_bool(L, idx, fn, "arp", &b)) {
		if (b) rtnl_link_unset_flags(l, IFF_NOARP); else rtnl_link_set_flags(l, IFF_NOARP);
	}
	if (vn_opt_bool(L, idx, fn, "promisc", &b)) {
		if (b) rtnl_link_set_flags(l, IFF_PROMISC); else rtnl_link_unset_flags(l, IFF_PROMISC);
	}
	{
		static const char *const lladdr[] = { "address", "broadcast", NULL };
		int i;
		for (i = 0; lladdr[i]; i++) {
			struct nl_addr *a = NULL;
			lua_getfield(L, idx, lladdr[i]);
			if (!lua_isnil(L, -1)) {
				const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
				if (!v || strlen(v) < 11 || nl_addr_parse(v, AF_LLC, &a) < 0)
					luaL_error(L, "%s: option '%s' must be a MAC address like "
						   "'02:00:00:00:00:01'", fn, lladdr[i]);
				if (i == 0) rtnl_link_set_addr(l, a); else rtnl_link_set_broadcast(l, a);
				nl_addr_put(a);
			}
			lua_pop(L, 1);
		}
	}
	/* master = link | name | index, or false for nomaster */
	lua_getfield(L, idx, "master");
	b = lua_type(L, -1) == LUA_TBOOLEAN;
	if (b && lua_toboolean(L, -1))
		luaL_error(L, "%s: option 'master' must be a link, a name, an index or false", fn);
	lua_pop(L, 1);
	if (b) {
		rtnl_link_set_master(l, 0);
	} else if ((r = vn_link_ref(L, idx, ns, fn, "master", &ref, what)) < 0) {
		return r;
	} else if (ref) {
		rtnl_link_set_master(l, ref);
	}
	if ((r = vn_link_ref(L, idx, ns, fn, "parent", &ref, what)) < 0)
		return r;
	if (ref)
		rtnl_link_set_link(l, ref);
	*target = vn_opt_netns(L, idx, fn, "netns");
	if (*target)
		rtnl_link_set_ns_fd(l, (*target)->fd);
	return 0;
}

int vn_link_ref(lua_State *L, int idx, vn_ns *ns, const char *fn,
		const char *key, int *out, const char **what)
{
	int r = vn_opt_ifindex(L, idx, ns, fn, key);
	*out = 0;
	if (r < 0) {
		*what = key;
		ns->err = -r;
		return r;
	}
	*out = r;
	return 0;
}

static int fail_ref(lua_State *L, vn_ns *ns, const char *fn, const char *name,
		    int idx, const char *what)
{
	lua_getfield(L, idx, what);
	lua_pushfstring(L, "%s %s: %s '%s'", fn, name, what,
			lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	return vn_fail(L, lua_tostring(L, -1), ns->err ? ns->err : ENODEV, NULL);
}

/* ns:link_add{ name =, kind =, ...common and kind options } -> link
 *   | nil, msg, errname. The link is created directly in `netns` when given. */
static int ns_link_add(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1), *target = NULL, *where;
	const char *kind, *name, *what = NULL;
	const vn_kind *k;
	const char *keys[64];
	struct rtnl_link *l;
	struct nl_msg *msg = NULL;
	vn_box *box;
	int i, n = 0, r, base;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_getfield(L, 2, "kind");
	if (lua_type(L, -1) != LUA_TSTRING)
		return luaL_error(L, "link_add: option 'kind' must be a string, got %s",
				  luaL_typename(L, -1));
	kind = lua_tostring(L, -1);
	lua_pop(L, 1);
	if (!(k = vn_kind_find(kind)))
		return luaL_error(L, "link_add: unknown kind '%s'", kind);
	for (i = 0; common_keys[i]; i++) keys[n++] = common_keys[i];
	for (i = 0; k->keys[i] && n < 63; i++) keys[n++] = k->keys[i];
	keys[n] = NULL;
	vn_opts_check(L, 2, "link_add", keys);
	name = vn_opt_str(L, 2, "link_add", "name", 0);
	if (!name)
		return luaL_error(L, "link_add: option 'name' is required");
	vn_check_ifname(L, name, "link_add", "name");

	/* box first, resource second: the box owns l if a parser raises */
	lua_settop(L, 2);
	box = (vn_box *)lua_newuserdata(L, sizeof *box);    /* 3 */
	box->o = NULL;
	luaL_setmetatable(L, VN_LINK);
	l = k->alloc ? k->alloc() : rtnl_link_alloc();
	if (!l)
		return luaL_error(L, "link_add: out of memory");
	box->o = (struct nl_object *)l;
	if (!k->alloc && !k->create)
		rtnl_link_set_type(l, kind);
	base = lua_gettop(L);
	r = parse_common(L, 2, ns, l, "link_add", 1, &what, &target);
	if (r == 0 && k->parse)
		r = k->parse(L, 2, ns, l, "link_add", &what);
	if (r < 0)
		return fail_ref(L, ns, "link_add", name, 2, what);
	if (k->create) {
		/* tun/tap and the like: made outside RTM_NEWLINK once every option
		 * has been checked, then the common settings applied as a change */
		struct rtnl_link *orig;
		r = k->create(L, 2, ns, name, "link_add");
		if (r < 0)
			return vn_fail(L, lua_pushfstring(L, "link_add %s", name), -r, NULL);
		r = get_link(ns, 0, name, &orig);
		if (r == 0) {
			r = rtnl_link_build_change_request(orig, l, 0, &msg);
			rtnl_link_put(orig);
			r = r < 0 ? (ns->err = ENOMEM, -ENOMEM) : vn_talk(ns, msg);
		}
	} else {
		r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
		r = r < 0 ? (ns->err = EINVAL, -EINVAL) : vn_talk(ns, msg);
	}
	nlmsg_free(msg);
	if (r == 0 && vn_deferred(ns)) {
		/* queue the alias too, addressed by name (see below) */
		if (rtnl_link_get_ifalias(l) && !k->create) {
			if (target) /* raising drops the whole queue */
				return luaL_error(L, "link_add: 'alias' and 'netns' together "
						  "cannot be queued in a batch");
			if (set_alias(ns, 0, name, rtnl_link_get_ifalias(l)) < 0)
				return vn_nsfail(L, ns, lua_pushfstring(L, "link_add %s", name));
		}
		lua_pushboolean(L, 1);
		return 1;
	}
	if (r < 0) {
		if (k->create) {
			/* undo: the device was made above */
			int e = ns->err;
			char m[VN_ERRLEN];
			memcpy(m, ns->msg, sizeof m);
			delete_link(ns, 0, name);
			ns->err = e;
			memcpy(ns->msg, m, sizeof m);
		}
		return vn_nsfail(L, ns, lua_pushfstring(L, "link_add %s", name));
	}
	/* read it back where it now lives */
	where = target ? target : ns;
	lua_pushvalue(L, target ? base + 1 : 1);             /* the handle */
	r = get_link(where, 0, name, &l);
	if (r < 0)
		return vn_nsfail(L, where, lua_pushfstring(L, "link_add %s: reading it back", name));
	/* the kernel ignores IFLA_IFALIAS when creating: set it as a change */
	if (rtnl_link_get_ifalias((struct rtnl_link *)box->o) && !k->create) {
		struct rtnl_link *nl = NULL;
		r = set_alias(where, rtnl_link_get_ifindex(l), NULL,
			      rtnl_link_get_ifalias((struct rtnl_link *)box->o));
		if (r == 0)
			r = get_link(where, rtnl_link_get_ifindex(l), NULL, &nl);
		if (r < 0) {
			char m[VN_ERRLEN];
			int e = where->err;
			memcpy(m, where->msg, sizeof m);
			delete_link(where, rtnl_link_get_ifindex(l), NULL);
			rtnl_link_put(l);
			where->err = e;
			memcpy(where->msg, m, sizeof m);
			return vn_nsfail(L, where, lua_pushfstring(L, "link_add %s: alias", name));
		}
		rtnl_link_put(l);
		l = nl;
	}
	vn_box_push(L, (struct nl_object *)l, VN_LINK, -1);
	return 1;
}

/* link:set{ up, mtu, name, address, master, netns, txqlen, alias, ... }
 * -> link (refreshed) | nil, msg, errname */
static int m_set(lua_State *L)
{
	struct rtnl_link *orig = (struct rtnl_link *)vn_box_check(L, 1, VN_LINK);
	vn_ns *ns = vn_box_ns(L, 1), *target = NULL, *where;          /* 3: ns */
	const char *what = NULL, *t = rtnl_link_get_type(orig);
	const vn_kind *k = t ? vn_kind_find(t) : NULL;
	const char *keys[64];
	struct rtnl_link *chg, *nl;
	struct nl_msg *msg = NULL;
	vn_box *box;
	int i, n = 0, r, base;

	luaL_checktype(L, 2, LUA_TTABLE);
	for (i = 0; common_keys[i]; i++)
		if (strcmp(common_keys[i], "kind") && strcmp(common_keys[i], "numtxqueues") &&
		    strcmp(common_keys[i], "numrxqueues"))
			keys[n++] = common_keys[i];
	keys[n] = NULL;
	(void)k;
	vn_opts_check(L, 2, "set", keys);
	lua_settop(L, 3);
	box = (vn_box *)lua_newuserdata(L, sizeof *box);    /* 4: guard */
	box->o = NULL;
	luaL_setmetatable(L, VN_LINK);
	if (!(chg = rtnl_link_alloc()))
		return luaL_error(L, "set: out of memory");
	box->o = (struct nl_object *)chg;
	base = lua_gettop(L);
	r = parse_common(L, 2, ns, chg, "set", 0, &what, &target);
	if (r < 0)
		return fail_ref(L, ns, "set", rtnl_link_get_name(orig), 2, what);
	/* the kernel applies a new name before new flags, and kernels before
	 * 6.2 rename no link that is up: a set{} that takes the link down and
	 * renames it sends the "down" first */
	if (rtnl_link_get_name(chg) && (rtnl_link_get_flags(orig) & IFF_UP) &&
	    !(rtnl_link_get_flags(chg) & IFF_UP)) {
		int down = 0;
		lua_getfield(L, 2, "up");
		down = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (down && set_down(ns, rtnl_link_get_ifindex(orig)) < 0)
			return vn_nsfail(L, ns, lua_pushfstring(L, "set %s",
								 rtnl_link_get_name(orig)));
	}
	r = rtnl_link_build_change_request(orig, chg, 0, &msg);
	if (r < 0) {
		ns->err = EINVAL;
		return vn_nsfail(L, ns, lua_pushfstring(L, "set %s", rtnl_link_get_name(orig)));
	}
	r = vn_talk(ns, msg);
	nlmsg_free(msg);
	if (r < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "set %s", rtnl_link_get_name(orig)));
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* refresh the object, in its new namespace if it moved */
	where = target ? target : ns;
	r = target ? get_link(where, 0, rtnl_link_get_name(chg) ? rtnl_link_get_name(chg)
					   : rtnl_link_get_name(orig), &nl)
		   : get_link(where, rtnl_link_get_ifindex(orig), NULL, &nl);
	if (r < 0)
		return vn_nsfail(L, where, lua_pushfstring(L, "set %s: reading it back",
							    rtnl_link_get_name(orig)));
	vn_box_replace(L, 1, VN_LINK, (struct nl_object *)nl);
	rtnl_link_put(nl);
	if (target)
		vn_box_setns(L, 1, base + 1);
	lua_settop(L, 1);
	return 1;
}

/* link:refresh() -> link | nil, msg, errname (re-reads it from the kernel) */
static int m_refresh(lua_State *L)
{
	struct rtnl_link *orig = (struct rtnl_link *)vn_box_check(L, 1, VN_LINK);
	vn_ns *ns = vn_box_ns(L, 1);
	struct rtnl_link *nl;
	if (get_link(ns, rtnl_link_get_ifindex(orig), NULL, &nl) < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "refresh %s", rtnl_link_get_name(orig)));
	vn_box_replace(L, 1, VN_LINK, (struct nl_object *)nl);
	rtnl_link_put(nl);
	lua_settop(L, 1);
	return 1;
}

/* link:delete() -> true | nil, msg, errname */
static int m_delete(lua_State *L)
{
	struct rtnl_link *l = (struct rtnl_link *)vn_box_check(L, 1, VN_LINK);
	vn_ns *ns = vn_box_ns(L, 1);
	if (delete_link(ns, rtnl_link_get_ifindex(l), NULL) < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "delete %s", rtnl_link_get_name(l)));
	lua_pushboolean(L, 1);
	return 1;
}

static int m_tostring(lua_State *L)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, 1, VN_LINK);
	struct rtnl_link *l = L_(b->o);
	if (!l) {
		lua_pushstring(L, "vnet.link (released)");
		return 1;
	}
	f_kind(L, b->o);
	lua_pushfstring(L, "vnet.link: %s (%s, index %d, %s, mtu %d)",
			rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "?",
			lua_tostring(L, -1), rtnl_link_get_ifindex(l),
			(rtnl_link_get_flags(l) & IFF_UP) ? "up" : "down",
			(int)rtnl_link_get_mtu(l));
	return 1;
}

static const luaL_Reg link_methods[] = {
	{ "set", m_set },
	{ "delete", m_delete },
	{ "refresh", m_refresh },
	{ NULL, NULL }
};

static const vn_type link_type = {
	.name = VN_LINK, .methods = link_methods, .fields = link_fields, .tostring = m_tostring
};

static const luaL_Reg ns_methods[] = {
	{ "link", ns_link },
	{ "links", ns_links },
	{ "link_add", ns_link_add },
	{ NULL, NULL }
};

void vn_open_link(lua_State *L)
{
	vn_type_register(L, &link_type);
	vn_netns_methods(L, ns_methods);
	vn_open_kinds(L);
}
