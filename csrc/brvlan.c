/*
 * brvlan.c - VLANs of bridge ports and their VLAN-to-tunnel-id mapping
 * (`bridge vlan`): add, delete and list.
 *
 *   link:vlan_add{ vid = n | { from, to }, pvid =, untagged =, master =,
 *                  self =, tunnel_id = }
 *   link:vlan_del{ vid = n | { from, to }, master =, self =, tunnel_id = }
 *   link:vlans()          link:vlan_tunnels()          vlan:delete()
 *
 * Requests are RTM_SETLINK / RTM_DELLINK messages of family AF_BRIDGE with
 * IFLA_AF_SPEC holding IFLA_BRIDGE_VLAN_INFO (or, with tunnel_id,
 * IFLA_BRIDGE_VLAN_TUNNEL_INFO) entries, as the bridge tool writes them;
 * listings dump the bridge ports (IFLA_EXT_MASK RTEXT_FILTER_BRVLAN_COMPRESSED:
 * ranges as the kernel keeps them) and keep the link's message. A vlan
 * object is a small box of the values of one entry or range.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>

#include "util.h"
#include "msg.h"
#include "link.h"

#define VN_BRVLAN "vnet.brvlan"

typedef struct bv_box {
	int live;
	int ifindex;
	int tunnel;              /* an entry of the tunnel mapping */
	uint16_t vid, vid_end;   /* vid_end == vid: a single VLAN */
	uint16_t flags;          /* BRIDGE_VLAN_INFO_* */
	uint16_t bflags;         /* BRIDGE_FLAGS_SELF: a bridge's own VLAN */
	uint32_t tid, tid_end;   /* tunnel ids (tunnel entries) */
} bv_box;

#define BV(o) ((bv_box *)(o))

/* ---- fields ---------------------------------------------------------- */
static void f_dev(lua_State *L, void *o)
{
	lua_pushinteger(L, BV(o)->ifindex);
}
static void f_vid(lua_State *L, void *o)
{
	lua_pushinteger(L, BV(o)->vid);
}
static void f_vid_end(lua_State *L, void *o)
{
	lua_pushinteger(L, BV(o)->vid_end);
}
static void f_pvid(lua_State *L, void *o)
{
	if (BV(o)->tunnel)
		lua_pushnil(L);
	else
		lua_pushboolean(L, (BV(o)->flags & BRIDGE_VLAN_INFO_PVID) != 0);
}
static void f_untagged(lua_State *L, void *o)
{
	if (BV(o)->tunnel)
		lua_pushnil(L);
	else
		lua_pushboolean(L, (BV(o)->flags & BRIDGE_VLAN_INFO_UNTAGGED) != 0);
}
static void f_tunnel_id(lua_State *L, void *o)
{
	if (BV(o)->tunnel)
		lua_pushinteger(L, (lua_Integer)BV(o)->tid);
	else
		lua_pushnil(L);
}
static void f_tunnel_id_end(lua_State *L, void *o)
{
	if (BV(o)->tunnel)
		lua_pushinteger(L, (lua_Integer)BV(o)->tid_end);
	else
		lua_pushnil(L);
}

static const vn_field bv_fields[] = {
	{ "dev", f_dev }, { "vid", f_vid }, { "vid_end", f_vid_end },
	{ "pvid", f_pvid }, { "untagged", f_untagged },
	{ "tunnel_id", f_tunnel_id }, { "tunnel_id_end", f_tunnel_id_end },
	{ NULL, NULL }
};

static int bv_live(const void *box)
{
	return BV(box)->live;
}

static void bv_release(void *box)
{
	BV(box)->live = 0;
}

static int bv_same(const void *x, const void *y)
{
	const bv_box *a = BV(x), *b = BV(y);
	return a->ifindex == b->ifindex && a->tunnel == b->tunnel && a->vid == b->vid &&
	       a->vid_end == b->vid_end && (!a->tunnel || a->tid == b->tid);
}

static bv_box *bv_check(lua_State *L, int idx)
{
	bv_box *b = (bv_box *)luaL_checkudata(L, idx, VN_BRVLAN);
	if (!b->live)
		luaL_error(L, "attempt to use a released %s", VN_BRVLAN);
	return b;
}

/* ---- requests -------------------------------------------------------- */
typedef struct bv_req {
	int ifindex;
	uint16_t bflags;         /* BRIDGE_FLAGS_MASTER / _SELF, 0: none sent */
	uint16_t flags;          /* BRIDGE_VLAN_INFO_PVID / _UNTAGGED */
	uint16_t from, to;       /* to == from: one VLAN */
	int has_tid, tunnel_on;
	uint32_t tid;
} bv_req;

typedef union bv_msgbuf {
	struct nlmsghdr h;
	unsigned char b[NLMSG_SPACE(sizeof(struct ifinfomsg)) + 16 * RTA_SPACE(8)];
} bv_msgbuf;

static void put_tunnel(struct nlmsghdr *h, uint32_t tid, uint16_t vid, uint16_t flags)
{
	struct rtattr *n = vn_rta_put(h, IFLA_BRIDGE_VLAN_TUNNEL_INFO, NULL, 0);
	vn_rta_put_u32(h, IFLA_BRIDGE_VLAN_TUNNEL_ID, tid);
	vn_rta_put(h, IFLA_BRIDGE_VLAN_TUNNEL_VID, &vid, sizeof vid);
	if (flags)
		vn_rta_put(h, IFLA_BRIDGE_VLAN_TUNNEL_FLAGS, &flags, sizeof flags);
	vn_rta_end(h, n);
}

static struct nlmsghdr *build(bv_msgbuf *buf, const bv_req *q, int type)
{
	struct nlmsghdr *h = &buf->h;
	struct rtattr *spec;
	memset(buf, 0, sizeof *buf);
	vn_ifi_msg(h, type, AF_BRIDGE, q->ifindex);
	if (q->tunnel_on) {
		/* the port's vlan_tunnel, without which the kernel ignores the
		 * mapping (`bridge link set dev D vlan_tunnel on`) */
		struct rtattr *p = vn_rta_put(h, IFLA_PROTINFO | NLA_F_NESTED, NULL, 0);
		unsigned char on = 1;
		vn_rta_put(h, IFLA_BRPORT_VLAN_TUNNEL, &on, 1);
		vn_rta_end(h, p);
	}
	spec = vn_rta_put(h, IFLA_AF_SPEC, NULL, 0);
	if (q->bflags)
		vn_rta_put(h, IFLA_BRIDGE_FLAGS, &q->bflags, sizeof q->bflags);
	if (q->has_tid) {
		if (q->to == q->from) {
			put_tunnel(h, q->tid, q->from, 0);
		} else {
			put_tunnel(h, q->tid, q->from, BRIDGE_VLAN_INFO_RANGE_BEGIN);
			put_tunnel(h, q->tid + (uint32_t)(q->to - q->from), q->to,
				   BRIDGE_VLAN_INFO_RANGE_END);
		}
	} else {
		struct bridge_vlan_info vi;
		vi.flags = q->flags;
		vi.vid = q->from;
		if (q->to != q->from)
			vi.flags |= BRIDGE_VLAN_INFO_RANGE_BEGIN;
		vn_rta_put(h, IFLA_BRIDGE_VLAN_INFO, &vi, sizeof vi);
		if (q->to != q->from) {
			vi.flags = (uint16_t)(q->flags | BRIDGE_VLAN_INFO_RANGE_END);
			vi.vid = q->to;
			vn_rta_put(h, IFLA_BRIDGE_VLAN_INFO, &vi, sizeof vi);
		}
	}
	vn_rta_end(h, spec);
	return h;
}

static const char *const add_keys[] = { "vid", "pvid", "untagged", "master", "self",
	"tunnel_id", NULL };
static const char *const del_keys[] = { "vid", "master", "self", "tunnel_id", NULL };

/* Reads option vid of the table at 2: a VLAN id (1-4094) or a plain list
 * { from, to }; raises otherwise. */
static void opt_vid(lua_State *L, const char *fn, bv_req *q)
{
	lua_Integer a, b;
	lua_getfield(L, 2, "vid");                          /* +1 */
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'vid' is required", fn);
	if (lua_type(L, -1) == LUA_TTABLE) {
		if (lua_getmetatable(L, -1))
			luaL_error(L, "%s: option 'vid' must be a plain table { from, to }", fn);
		if (lua_rawlen(L, -1) != 2)
			luaL_error(L, "%s: option 'vid' must be a number or { from, to }", fn);
		lua_rawgeti(L, -1, 1);
		a = vn_check_int(L, -1, fn, "option 'vid' from", 1, 4094);
		lua_rawgeti(L, -2, 2);
		b = vn_check_int(L, -1, fn, "option 'vid' to", 1, 4094);
		if (b < a)
			luaL_error(L, "%s: option 'vid': range %d-%d ends before it begins",
				   fn, (int)a, (int)b);
		lua_pop(L, 2);
	} else if (lua_type(L, -1) == LUA_TNUMBER) {
		a = b = vn_check_int(L, -1, fn, "option 'vid'", 1, 4094);
	} else {
		luaL_error(L, "%s: option 'vid' must be a number or { from, to }, got %s", fn,
			   luaL_typename(L, -1));
		return;
	}
	lua_pop(L, 1);
	q->from = (uint16_t)a;
	q->to = (uint16_t)b;
}

/* Reads the options at 2 of link:vlan_add / vlan_del (the link at 1). */
static void parse_req(lua_State *L, const char *fn, int adding, bv_req *q)
{
	lua_Integer n;
	int b, master = 0, self = 0, hm, hs;
	memset(q, 0, sizeof *q);
	vn_opts_check(L, 2, fn, adding ? add_keys : del_keys);
	if (lua_rawlen(L, 2) > 0)
		luaL_error(L, "%s: options must be named (e.g. vid = 10), not positional", fn);
	opt_vid(L, fn, q);
	if (adding) {
		if (vn_opt_bool(L, 2, fn, "pvid", &b) && b)
			q->flags |= BRIDGE_VLAN_INFO_PVID;
		if (vn_opt_bool(L, 2, fn, "untagged", &b) && b)
			q->flags |= BRIDGE_VLAN_INFO_UNTAGGED;
		if ((q->flags & BRIDGE_VLAN_INFO_PVID) && q->to != q->from)
			luaL_error(L, "%s: option 'pvid' cannot be given with a range of vids", fn);
	}
	if ((q->has_tid = vn_opt_int(L, 2, fn, "tunnel_id", 1, 0xffffff, &n))) {
		q->tid = (uint32_t)n;
		if (q->flags)
			luaL_error(L, "%s: options 'pvid' and 'untagged' cannot be given with "
				   "'tunnel_id'", fn);
		if (q->tid + (uint32_t)(q->to - q->from) > 0xffffff)
			luaL_error(L, "%s: option 'tunnel_id': the range's last id is past "
				   "16777215", fn);
	}
	hm = vn_opt_bool(L, 2, fn, "master", &master);
	hs = vn_opt_bool(L, 2, fn, "self", &self);
	if (master)
		q->bflags |= BRIDGE_FLAGS_MASTER;
	if (self)
		q->bflags |= BRIDGE_FLAGS_SELF;
	if (!hm && !hs) {
		/* a bridge's own VLANs are its self; a port's, its master's */
		lua_getfield(L, 1, "kind");
		if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "bridge"))
			q->bflags = BRIDGE_FLAGS_SELF;
		lua_pop(L, 1);
	} else if (!q->bflags) {
		luaL_error(L, "%s: options 'master' and 'self' cannot both be false", fn);
	}
	q->ifindex = vn_link_ifindex(L, 1);
}

/* Pushes "<fn> <dev> vid <from>[-<to>][ tunnel_id <id>]". */
static const char *describe(lua_State *L, const char *fn, const bv_req *q)
{
	int top = lua_gettop(L);
	const char *s;
	vn_link_desc(L, 1);
	if (q->to != q->from)
		lua_pushfstring(L, "%s %s vid %d-%d", fn, lua_tostring(L, -1), (int)q->from,
				(int)q->to);
	else
		lua_pushfstring(L, "%s %s vid %d", fn, lua_tostring(L, -1), (int)q->from);
	if (q->has_tid)
		lua_pushfstring(L, "%s tunnel_id %d", lua_tostring(L, -1), (int)q->tid);
	s = lua_tostring(L, -1);
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return s;
}

/* ---- dumps ----------------------------------------------------------- */
static int keep_port(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = (const struct ifinfomsg *)NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof *ifi))
		return 0;
	return ifi->ifi_family == AF_BRIDGE && ifi->ifi_index == *(const int *)arg;
}

/* Dumps the bridge's view of the links (`bridge vlan show`) and keeps the
 * messages of link ifindex (with its master's, then its own: a bridge and a
 * port a device that is a bridge of its own). 0 or -errno (e filled in). */
static int bv_dump(vn_ns *ns, int *ifindex, vn_list *l, vn_err *e)
{
	l->rkeep = keep_port;
	l->arg = ifindex;
	return vn_link_dump(ns, AF_BRIDGE, RTEXT_FILTER_BRVLAN_COMPRESSED, l, e);
}

/* Calls fn for each entry (a VLAN or a range) of the IFLA_AF_SPEC of the
 * link message m; tunnel selects the tunnel mapping. */
static void bv_walk(const unsigned char *m, size_t len, int tunnel,
		    void (*fn)(const bv_box *e, void *arg), void *arg)
{
	const struct rtattr *tb[IFLA_AF_SPEC + 1], *a;
	unsigned int left;
	bv_box e, begin;
	int in_range = 0;
	vn_attrs_index(m, len, sizeof(struct ifinfomsg), tb, IFLA_AF_SPEC);
	/* the bridge's own message names itself its master */
	if (!tb[IFLA_AF_SPEC])
		return;
	memset(&begin, 0, sizeof begin);
	left = RTA_PAYLOAD(tb[IFLA_AF_SPEC]);
	for (a = (const struct rtattr *)RTA_DATA(tb[IFLA_AF_SPEC]); RTA_OK(a, left);
	     a = RTA_NEXT(a, left)) {
		unsigned t = a->rta_type & NLA_TYPE_MASK;
		memset(&e, 0, sizeof e);
		e.live = 1;
		e.ifindex = ((const struct ifinfomsg *)m)->ifi_index;
		e.bflags = !tb[IFLA_MASTER] || (int)vn_rta_u32(tb[IFLA_MASTER]) == e.ifindex ?
			   BRIDGE_FLAGS_SELF : 0;
		if (!tunnel && t == IFLA_BRIDGE_VLAN_INFO &&
		    RTA_PAYLOAD(a) >= sizeof(struct bridge_vlan_info)) {
			struct bridge_vlan_info vi;
			memcpy(&vi, RTA_DATA(a), sizeof vi);
			e.vid = e.vid_end = vi.vid;
			e.flags = vi.flags;
		} else if (tunnel && t == IFLA_BRIDGE_VLAN_TUNNEL_INFO) {
			e.tunnel = 1;
			e.tid = e.tid_end = vn_rta_u32(vn_rta_nested(a, IFLA_BRIDGE_VLAN_TUNNEL_ID));
			e.vid = e.vid_end = (uint16_t)vn_rta_u16(
				vn_rta_nested(a, IFLA_BRIDGE_VLAN_TUNNEL_VID));
			e.flags = (uint16_t)vn_rta_u16(vn_rta_nested(a, IFLA_BRIDGE_VLAN_TUNNEL_FLAGS));
		} else {
			continue;
		}
		if (e.flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
			begin = e;
			in_range = 1;
			continue;
		}
		if ((e.flags & BRIDGE_VLAN_INFO_RANGE_END) && in_range) {
			begin.vid_end = e.vid;
			begin.tid_end = e.tid;
			e = begin;
		}
		in_range = 0;
		e.flags &= (uint16_t)~(BRIDGE_VLAN_INFO_RANGE_BEGIN | BRIDGE_VLAN_INFO_RANGE_END);
		fn(&e, arg);
	}
}

struct collect { lua_State *L; int t, n, nsidx; };

static void push_entry(const bv_box *e, void *arg)
{
	struct collect *c = (struct collect *)arg;
	bv_box *b = (bv_box *)vn_box_new(c->L, sizeof *b, VN_BRVLAN, c->nsidx);
	*b = *e;
	lua_rawseti(c->L, c->t, ++c->n);
}

/* Pushes a list of the entries of the link at 1 (each bound to the
 * namespace handle at nsidx); 0 or -errno (nothing pushed). */
static int bv_list(lua_State *L, vn_ns *ns, int nsidx, int tunnel, vn_err *e)
{
	int ifindex = vn_link_ifindex(L, 1);
	vn_list *l = vn_list_new(L);
	struct collect c;
	const unsigned char *p;
	size_t len;
	if (bv_dump(ns, &ifindex, l, e) < 0) {
		vn_list_drop(L, l);
		return -1;
	}
	lua_newtable(L);
	c.L = L;
	c.t = lua_gettop(L);
	c.n = 0;
	c.nsidx = nsidx;
	/* the first message of the link: its master's view of a port, the
	 * bridge's own of a bridge */
	if ((p = (const unsigned char *)vn_list_first(l, &len)))
		bv_walk(p, len, tunnel, push_entry, &c);
	vn_list_drop(L, l);
	return 0;
}

/* The port's vlan_tunnel as the bridge reports it: 1 on, 0 off, -1 unknown
 * (no answer, or not a bridge port). */
static int tunnel_flag(lua_State *L, vn_ns *ns, int ifindex)
{
	vn_list *l = vn_list_new(L);
	const unsigned char *p;
	size_t len;
	int r = -1;
	if (bv_dump(ns, &ifindex, l, NULL) >= 0 && (p = (const unsigned char *)vn_list_first(l, &len))) {
		const struct rtattr *tb[IFLA_PROTINFO + 1], *a;
		vn_attrs_index(p, len, sizeof(struct ifinfomsg), tb, IFLA_PROTINFO);
		if (tb[IFLA_PROTINFO]) {
			a = vn_rta_nested(tb[IFLA_PROTINFO], IFLA_BRPORT_VLAN_TUNNEL);
			r = a && RTA_PAYLOAD(a) >= 1 && *(const unsigned char *)RTA_DATA(a);
		}
	}
	vn_list_drop(L, l);
	return r;
}

/* Turns the port's vlan_tunnel off again after a vlan_add that turned it
 * on and then failed (the failure reported is the vlan_add's). */
static void tunnel_undo(vn_ns *ns, int ifindex)
{
	bv_msgbuf buf;
	struct nlmsghdr *h = &buf.h;
	struct rtattr *p;
	unsigned char off = 0;
	memset(&buf, 0, sizeof buf);
	vn_ifi_msg(h, RTM_SETLINK, AF_BRIDGE, ifindex);
	p = vn_rta_put(h, IFLA_PROTINFO | NLA_F_NESTED, NULL, 0);
	vn_rta_put(h, IFLA_BRPORT_VLAN_TUNNEL, &off, 1);
	vn_rta_end(h, p);
	(void)vn_req(ns, h, 0, NULL, NULL);
}

/* Finds the entry holding q's first VLAN in the list at the top; pushes it
 * (and returns 1) or returns 0. */
static int find_entry(lua_State *L, const bv_req *q)
{
	int i, n = (int)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		bv_box *b;
		lua_rawgeti(L, -1, i);
		b = (bv_box *)lua_touserdata(L, -1);
		if (b && b->vid <= q->from && q->from <= b->vid_end)
			return 1;
		lua_pop(L, 1);
	}
	return 0;
}

static int modify(lua_State *L, const char *fn, int adding)
{
	bv_msgbuf buf;
	struct nlmsghdr *h;
	const char *what;
	bv_req q;
	vn_ns *ns;
	int was_on = -1;
	vn_err e;

	lua_settop(L, 2);
	luaL_checkudata(L, 1, VN_LINK);
	parse_req(L, fn, adding, &q);
	q.tunnel_on = adding && q.has_tid;
	ns = vn_box_ns(L, 1);                               /* 3 */
	if (ns->fd < 0)
		return luaL_error(L, "%s: the link's namespace handle is closed", fn);
	what = describe(L, fn, &q);                         /* 4 */
	/* the kernel applies the port's vlan_tunnel before the mapping and
	 * keeps it when the mapping is refused or not kept: remember whether
	 * it was off, to turn it off again then (outside a batch) */
	if (q.tunnel_on && !vn_deferred(ns) && (was_on = tunnel_flag(L, ns, q.ifindex)) == 1)
		q.tunnel_on = 0;
	h = build(&buf, &q, adding ? RTM_SETLINK : RTM_DELLINK);
	if (vn_req(ns, h, 0, NULL, &e) < 0)
		goto fail;
	if (!adding || vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (bv_list(L, ns, 3, q.has_tid, &e) < 0)
		goto fail;
	if (find_entry(L, &q))
		return 1;
	/* the kernel acked and kept nothing (a device that takes no VLANs) */
	if (was_on == 0)
		tunnel_undo(ns, q.ifindex);
	return vn_fail(L, what, EOPNOTSUPP, "the VLAN was not kept");
fail:
	if (was_on == 0)
		tunnel_undo(ns, q.ifindex);
	return vn_push_err(L, what, &e, NULL);
}

/* link:vlan_add{ vid =, pvid =, untagged =, master =, self =, tunnel_id = }
 * -> the entry as the kernel keeps it | nil, msg, errname */
static int l_vlan_add(lua_State *L)
{
	return modify(L, "vlan_add", 1);
}

/* link:vlan_del{ vid =, master =, self =, tunnel_id = } -> true | nil, msg, errname */
static int l_vlan_del(lua_State *L)
{
	return modify(L, "vlan_del", 0);
}

static int list_iter(lua_State *L, int tunnel, const char *fn)
{
	vn_ns *ns;
	vn_err e;
	lua_settop(L, 1);
	luaL_checkudata(L, 1, VN_LINK);
	vn_link_ifindex(L, 1);
	ns = vn_box_ns(L, 1);                               /* 2 */
	if (ns->fd < 0)
		return luaL_error(L, "%s: the link's namespace handle is closed", fn);
	if (bv_list(L, ns, 2, tunnel, &e) < 0) {
		vn_link_desc(L, 1);
		return vn_push_err(L, lua_pushfstring(L, "%s %s", fn, lua_tostring(L, -1)), &e,
				   NULL);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "vnet.iter_values");
	lua_insert(L, -2);
	lua_pushinteger(L, 0);
	lua_call(L, 2, 1);
	return 1;
}

/* link:vlans() -> iterator over the link's VLANs (`bridge vlan show dev D`),
 * a range as one entry */
static int l_vlans(lua_State *L)
{
	return list_iter(L, 0, "vlans");
}

/* link:vlan_tunnels() -> iterator over the link's VLAN-to-tunnel-id
 * mapping (`bridge vlan tunnelshow dev D`) */
static int l_vlan_tunnels(lua_State *L)
{
	return list_iter(L, 1, "vlan_tunnels");
}

/* vlan:delete() -> true | nil, msg, errname: removes that VLAN (range) of
 * its link, or that mapping */
static int m_delete(lua_State *L)
{
	bv_box *b = bv_check(L, 1);
	bv_msgbuf buf;
	struct nlmsghdr *h;
	bv_req q;
	vn_err e;
	vn_ns *ns = vn_box_ns(L, 1);
	if (ns->fd < 0)
		return luaL_error(L, "delete: the namespace handle is closed");
	memset(&q, 0, sizeof q);
	q.ifindex = b->ifindex;
	q.from = b->vid;
	q.to = b->vid_end;
	q.has_tid = b->tunnel;
	q.tid = b->tid;
	q.bflags = b->bflags;     /* a bridge's own VLAN is its self */
	h = build(&buf, &q, RTM_DELLINK);
	if (vn_req(ns, h, 0, NULL, &e) < 0) {
		if (q.to != q.from)
			lua_pushfstring(L, "delete vlan %d-%d dev %d", (int)q.from, (int)q.to,
					q.ifindex);
		else
			lua_pushfstring(L, "delete vlan %d dev %d", (int)q.from, q.ifindex);
		return vn_push_err(L, lua_tostring(L, -1), &e, NULL);
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* __tostring: "vnet.brvlan: dev 3 vid 10-20 pvid untagged", like a line of
 * `bridge vlan show`; "vnet.brvlan: dev 3 vid 10 tunnel_id 1010" (tunnelshow) */
static int m_tostring(lua_State *L)
{
	bv_box *b = (bv_box *)luaL_checkudata(L, 1, VN_BRVLAN);
	luaL_Buffer buf;
	luaL_buffinit(L, &buf);
	lua_pushfstring(L, "vnet.brvlan: dev %d vid %d", b->ifindex, (int)b->vid);
	luaL_addvalue(&buf);
	if (b->vid_end != b->vid) {
		lua_pushfstring(L, "-%d", (int)b->vid_end);
		luaL_addvalue(&buf);
	}
	if (b->tunnel) {
		lua_pushfstring(L, " tunnel_id %d", (int)b->tid);
		luaL_addvalue(&buf);
		if (b->tid_end != b->tid) {
			lua_pushfstring(L, "-%d", (int)b->tid_end);
			luaL_addvalue(&buf);
		}
	} else {
		if (b->flags & BRIDGE_VLAN_INFO_PVID)
			luaL_addstring(&buf, " pvid");
		if (b->flags & BRIDGE_VLAN_INFO_UNTAGGED)
			luaL_addstring(&buf, " untagged");
	}
	luaL_pushresult(&buf);
	return 1;
}

/***
 * Bridge VLANs (`bridge vlan`): the VLANs of bridge ports (and of the
 * bridge itself), and their VLAN-to-tunnel-id mapping (VXLAN's collect
 * metadata), as `vnet.brvlan` objects. The bridge needs `vlan_filtering`.
 *
 * Options of `link:vlan_add` and `link:vlan_del` (named, in one table):
 *
 *  * `vid` (required): a VLAN id (1 to 4094) or a range `{ from, to }`
 *  * `pvid`, `untagged` (`vlan_add` only): booleans
 *  * `master`, `self`: booleans; by default a bridge's own VLANs are
 *    `self` and a port's are its master's
 *  * `tunnel_id`: a tunnel id (1 to 16777215) mapped to `vid`, a VLAN the
 *    port (a vxlan device, usually) has already (a range maps to a range);
 *    `vlan_add` turns the port's `vlan_tunnel` on, without which the kernel
 *    ignores the mapping; `vlan_del` removes the mapping and keeps the VLAN
 *
 * Misuse raises naming the option; a refusal by the kernel returns
 * `nil, message, errname`.
 * @module vnet.brvlan
 */

/*** Adds a VLAN (or range) to a bridge port (`bridge vlan add`).
 * @function link:vlan_add
 * @tparam table opts the options above
 * @return the `vnet.brvlan` as the kernel keeps it, or `nil, message,
 *   errname` (`EOPNOTSUPP` when the device keeps no VLANs)
 */

/*** Deletes a VLAN (or range) of a bridge port (`bridge vlan del`).
 * @function link:vlan_del
 * @tparam table opts the options above but `pvid` and `untagged`
 * @return `true`, or `nil, message, errname`
 */

/*** The VLANs of this link (`bridge vlan show dev`), a range as one entry.
 * @function link:vlans
 * @return an iterator over `vnet.brvlan` objects
 */

/*** The VLAN-to-tunnel-id mapping of this link (`bridge vlan tunnelshow
 * dev`).
 * @function link:vlan_tunnels
 * @return an iterator over `vnet.brvlan` objects (with `tunnel_id`)
 */

/*** A VLAN (or range) of a bridge port, or a VLAN-to-tunnel-id mapping.
 * @type brvlan
 */

/*** The fields of a `vnet.brvlan`.
 * @table fields
 * @field dev the device's ifindex
 * @field vid the VLAN id (the first of a range)
 * @field vid_end the range's last VLAN id (`vid` for one)
 * @field pvid whether it is the port's PVID (nil for a mapping)
 * @field untagged whether it leaves untagged (nil for a mapping)
 * @field tunnel_id the tunnel id a mapping gives `vid`, or nil
 * @field tunnel_id_end the range's last tunnel id, or nil
 */

/*** Removes that VLAN (range) of its link, or that mapping.
 * @function brvlan:delete
 * @return `true`, or `nil, message, errname`
 */

static const luaL_Reg bv_methods[] = {
	{ "delete", m_delete }, { NULL, NULL }
};

static const vn_type bv_type = {
	.name = VN_BRVLAN, .methods = bv_methods, .fields = bv_fields,
	.tostring = m_tostring, .live = bv_live, .release = bv_release, .same = bv_same
};

static const luaL_Reg link_methods[] = {
	{ "vlan_add", l_vlan_add }, { "vlan_del", l_vlan_del }, { "vlans", l_vlans },
	{ "vlan_tunnels", l_vlan_tunnels }, { NULL, NULL }
};

void vn_open_brvlan(lua_State *L)
{
	vn_type_register(L, &bv_type);
	vn_type_methods(L, VN_LINK, link_methods);
}
