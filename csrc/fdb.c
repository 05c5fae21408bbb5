/*
 * fdb.c - forwarding database entries of bridges and vxlan devices
 * (`bridge fdb`): add, append, replace, delete and list.
 *
 *   ns:fdb_add{ dev =, lladdr =, dst =, vni =, port =, src_vni =, via =,
 *               nhid =, master =, self =, static =, permanent =, dynamic =,
 *               vlan =, sticky =, extern_learn = }
 *   ns:fdb_append{...}  ns:fdb_replace{...}
 *   ns:fdb_del{ dev =, lladdr =, dst =, vni =, port =, vlan =, master =, self = }
 *   ns:fdbs{ dev =, master =, vlan = }          fdb:delete()
 *
 * Requests are RTM_NEWNEIGH / RTM_DELNEIGH messages of family AF_BRIDGE
 * written as iproute2's bridge tool writes them; an entry object holds the
 * message the kernel sent in a dump (one per remote of a vxlan entry) in a
 * vn_msgbox and decodes fields on access.
 */
/***
 * Bridge forwarding database entries, as `bridge fdb` shows and changes
 * them: the `ns:fdb_*` methods of a namespace handle and the `vnet.fdb`
 * entries they return.
 *
 * Options of `fdb_add`, `fdb_append`, `fdb_replace` (named, in one table):
 *
 *  * `dev` (required): the port or device (name or ifindex)
 *  * `lladdr` (required): the MAC address, `"02:00:00:00:00:01"`
 *  * `master`, `self` (booleans): the bridge's entry (`master`) or the
 *    device's own (`self`, the default when neither is given)
 *  * `permanent` (the default), `static`, `dynamic`: the state, one of them
 *  * `vlan` (1..4094), `sticky`, `extern_learn` (booleans)
 *  * vxlan entries: `dst` (a host address), `vni` and `src_vni`
 *    (0..2^24-1), `port` (1..65535), `via` (the device to reach `dst`
 *    through), `nhid` (a nexthop group id, 1..2^32-1)
 *
 * `fdb_del` takes `dev`, `lladdr`, `dst`, `vni`, `port`, `src_vni`, `via`,
 * `nhid`, `vlan`, `master` and `self`. Misuse (a missing `dev` or `lladdr`,
 * an unknown option, a value out of range) raises naming the call and the
 * option; a refusal by the kernel returns `nil, message, errname`.
 * @module vnet.fdb
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>

#include "util.h"
#include "msg.h"

#define VN_FDB "vnet.fdb"
#define FDB_MAX 13   /* the NDA_ attributes read (NDA_NH_ID is 13) */

/* ---- reading an entry ----------------------------------------------------- */
typedef struct fdb_view {
	const struct ndmsg *h;
	const struct rtattr *a[FDB_MAX + 1];
} fdb_view;

#define FB(o) ((vn_msgbox *)(o))
#define FDM(o) ((const struct ndmsg *)FB(o)->m)
#define VIEW(v, o) fdb_view v; vn_view_parse(&v, FB(o)->m, FB(o)->len)

static void push_mac(lua_State *L, const struct rtattr *a)
{
	char s[3 * 32 + 1];
	const unsigned char *b;
	size_t i, n;
	if (!a || !(n = RTA_PAYLOAD(a)) || n > 32) {
		lua_pushnil(L);
		return;
	}
	b = (const unsigned char *)RTA_DATA(a);
	for (i = 0; i < n; i++)
		snprintf(s + 3 * i, 4, "%02x:", b[i]);
	s[3 * n - 1] = 0;
	lua_pushstring(L, s);
}

/* ---- fields ---------------------------------------------------------------- */
static void f_lladdr(lua_State *L, void *o)
{
	VIEW(v, o);
	push_mac(L, v.a[NDA_LLADDR]);
}
static void f_dev(lua_State *L, void *o)
{
	lua_pushinteger(L, FDM(o)->ndm_ifindex);
}
/* the fields of a u32 attribute (nil when absent) */
#define U32_FIELD(name, attr) \
	static void f_##name(lua_State *L, void *o) { VIEW(v, o); vn_push_rta_u32(L, v.a[attr]); }
U32_FIELD(master, NDA_MASTER)
U32_FIELD(vni, NDA_VNI)
U32_FIELD(src_vni, NDA_SRC_VNI)
U32_FIELD(via, NDA_IFINDEX)
U32_FIELD(nhid, NDA_NH_ID)
static void f_vlan(lua_State *L, void *o)
{
	VIEW(v, o);
	if (v.a[NDA_VLAN])
		lua_pushinteger(L, (lua_Integer)vn_rta_u16(v.a[NDA_VLAN]));
	else
		lua_pushnil(L);
}
static void f_dst(lua_State *L, void *o)
{
	const struct rtattr *a;
	VIEW(v, o);
	if ((a = v.a[NDA_DST]))
		vn_push_ip(L, RTA_PAYLOAD(a) == 16 ? AF_INET6 : AF_INET, RTA_DATA(a),
			   RTA_PAYLOAD(a), -1);
	else
		lua_pushnil(L);
}
static void f_port(lua_State *L, void *o)
{
	VIEW(v, o);
	if (v.a[NDA_PORT])
		lua_pushinteger(L, ntohs((uint16_t)vn_rta_u16(v.a[NDA_PORT])));
	else
		lua_pushnil(L);
}

/* the state as `bridge fdb` prints it */
static const char *state_name(int s)
{
	if (s & NUD_PERMANENT) return "permanent";
	if (s & NUD_NOARP) return "static";
	if (s & NUD_STALE) return "stale";
	return "dynamic";
}
static void f_state(lua_State *L, void *o)
{
	lua_pushstring(L, state_name(FDM(o)->ndm_state));
}

static const vn_flag ntflags[] = {
	{ "use", NTF_USE }, { "self", NTF_SELF }, { "master", NTF_MASTER },
	{ "proxy", NTF_PROXY }, { "extern_learn", NTF_EXT_LEARNED },
	{ "offload", NTF_OFFLOADED }, { "sticky", NTF_STICKY }, { "router", NTF_ROUTER },
	{ NULL, 0 }
};

static void f_flags(lua_State *L, void *o)
{
	vn_push_flags(L, FDM(o)->ndm_flags, ntflags);
}

static const vn_field fdb_fields[] = {
	{ "lladdr", f_lladdr }, { "dev", f_dev }, { "master", f_master },
	{ "vlan", f_vlan }, { "dst", f_dst }, { "vni", f_vni }, { "port", f_port },
	{ "src_vni", f_src_vni }, { "via", f_via }, { "nhid", f_nhid },
	{ "state", f_state }, { "flags", f_flags }, { NULL, NULL }
};

static int same_attr(const struct rtattr *a, const struct rtattr *b)
{
	if (!a || !b)
		return !a && !b;
	return RTA_PAYLOAD(a) == RTA_PAYLOAD(b) &&
	       !memcmp(RTA_DATA(a), RTA_DATA(b), RTA_PAYLOAD(a));
}

/* __eq: the same device, address, vlan, remote, vni and kind (self or not) */
static int fdb_same(const void *x, const void *y)
{
	fdb_view a, b;
	vn_view_parse(&a, FB(x)->m, FB(x)->len);
	vn_view_parse(&b, FB(y)->m, FB(y)->len);
	return a.h->ndm_ifindex == b.h->ndm_ifindex &&
	       (a.h->ndm_flags & NTF_SELF) == (b.h->ndm_flags & NTF_SELF) &&
	       same_attr(a.a[NDA_LLADDR], b.a[NDA_LLADDR]) &&
	       same_attr(a.a[NDA_VLAN], b.a[NDA_VLAN]) &&
	       same_attr(a.a[NDA_DST], b.a[NDA_DST]) &&
	       same_attr(a.a[NDA_VNI], b.a[NDA_VNI]);
}

static void push_fdb(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_FDB, p, len, nsidx);
}

/* ---- requests ----------------------------------------------------------- */
typedef struct fdb_req {
	int ifindex, state, flags, via;
	int has_vlan, has_vni, has_port, has_src_vni, has_nhid;
	uint16_t vlan, port;      /* port in network order */
	uint32_t vni, src_vni, nhid;
	unsigned char mac[6];
	vn_ip dst;                /* dst.len 0: none */
} fdb_req;

typedef union fdb_msgbuf {
	struct nlmsghdr h;
	unsigned char b[NLMSG_SPACE(sizeof(struct ndmsg)) + 10 * RTA_SPACE(16)];
} fdb_msgbuf;

static struct nlmsghdr *build(fdb_msgbuf *buf, const fdb_req *q, int type, int flags)
{
	/* the attributes after NDA_LLADDR, in bridge fdb's order: each one
	 * that is given */
	const struct { int given, type; const void *p; size_t len; } attrs[] = {
		{ q->dst.len != 0, NDA_DST, q->dst.b, (size_t)q->dst.len },
		{ q->has_vlan, NDA_VLAN, &q->vlan, sizeof q->vlan },
		{ q->has_port, NDA_PORT, &q->port, sizeof q->port },
		{ q->has_vni, NDA_VNI, &q->vni, sizeof q->vni },
		{ q->has_src_vni, NDA_SRC_VNI, &q->src_vni, sizeof q->src_vni },
		{ q->via != 0, NDA_IFINDEX, &q->via, sizeof q->via },
		{ q->has_nhid, NDA_NH_ID, &q->nhid, sizeof q->nhid },
	};
	struct ndmsg *ndm = (struct ndmsg *)vn_msg_begin(&buf->h, sizeof *buf, type, flags,
							 sizeof *ndm);
	size_t i;
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = q->ifindex;
	ndm->ndm_state = (uint16_t)q->state;
	ndm->ndm_flags = (uint8_t)q->flags;
	vn_rta_put(&buf->h, NDA_LLADDR, q->mac, sizeof q->mac);
	for (i = 0; i < sizeof attrs / sizeof *attrs; i++)
		if (attrs[i].given)
			vn_rta_put(&buf->h, attrs[i].type, attrs[i].p, attrs[i].len);
	return &buf->h;
}

/* Parses option 'lladdr' of the table at idx (required): a MAC address
 * "02:00:00:00:00:01"; raises otherwise. */
static void opt_mac(lua_State *L, int idx, const char *fn, unsigned char mac[6])
{
	const char *s;
	size_t n, i;
	unsigned v[6];
	char tail;
	lua_getfield(L, idx, "lladdr");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'lladdr' is required", fn);
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: option 'lladdr' must be a string, got %s", fn,
			   luaL_typename(L, -1));
	s = lua_tolstring(L, -1, &n);
	if (n != 17 || strlen(s) != n ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &tail) != 6)
		luaL_error(L, "%s: option 'lladdr' is not a MAC address like "
			   "'02:00:00:00:00:01'", fn);
	for (i = 0; i < 6; i++) {
		if (s[3 * i] == ' ' || s[3 * i] == '+' || s[3 * i] == '-' ||
		    (i < 5 && s[3 * i + 2] != ':'))
			luaL_error(L, "%s: option 'lladdr' is not a MAC address like "
				   "'02:00:00:00:00:01'", fn);
		mac[i] = (unsigned char)v[i];
	}
	lua_pop(L, 1);
}

enum { M_ADD, M_APPEND, M_REPLACE, M_DEL };

static const char *const add_keys[] = { "dev", "lladdr", "dst", "vni", "port",
	"src_vni", "via", "nhid", "master", "self", "static", "permanent", "dynamic",
	"vlan", "sticky", "extern_learn", NULL };
/* The options, by the attribute each one makes (for errors where the
 * kernel points at one). */
static const vn_optname fdb_opts[] = {
	{ NDA_LLADDR, "lladdr" }, { NDA_DST, "dst" }, { NDA_VLAN, "vlan" },
	{ NDA_PORT, "port" }, { NDA_VNI, "vni" }, { NDA_SRC_VNI, "src_vni" },
	{ NDA_IFINDEX, "via" }, { NDA_NH_ID, "nhid" }, { 0, NULL }
};
static const char *const del_keys[] = { "dev", "lladdr", "dst", "vni", "port",
	"src_vni", "via", "nhid", "vlan", "master", "self", NULL };

/* Reads the options at 2 into q; returns 0, or -ENODEV with the
 * description of the missing link pushed. */
static int parse_req(lua_State *L, vn_ns *ns, const char *fn, int mode, fdb_req *q)
{
	lua_Integer n;
	int b, nstate = 0, master = 0, self = 0;

	vn_opts_check(L, 2, fn, mode == M_DEL ? del_keys : add_keys);
	if (lua_rawlen(L, 2) > 0)
		luaL_error(L, "%s: options must be named (e.g. lladdr = ...), not positional", fn);
	memset(q, 0, sizeof *q);
	opt_mac(L, 2, fn, q->mac);
	lua_getfield(L, 2, "dev");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'dev' is required", fn);
	lua_pop(L, 1);
	if (vn_opt_ip(L, 2, fn, "dst", AF_UNSPEC, &q->dst) &&
	    (q->dst.len == 0 || q->dst.plen != q->dst.len * 8))
		luaL_error(L, "%s: option 'dst' must be a host address", fn);
	if ((q->has_vni = vn_opt_int(L, 2, fn, "vni", 0, 0xffffff, &n)))
		q->vni = (uint32_t)n;
	if ((q->has_src_vni = vn_opt_int(L, 2, fn, "src_vni", 0, 0xffffff, &n)))
		q->src_vni = (uint32_t)n;
	if ((q->has_port = vn_opt_int(L, 2, fn, "port", 1, 65535, &n)))
		q->port = htons((uint16_t)n);
	if ((q->has_vlan = vn_opt_int(L, 2, fn, "vlan", 1, 4094, &n)))
		q->vlan = (uint16_t)n;
	if ((q->has_nhid = vn_opt_int(L, 2, fn, "nhid", 1, 0xffffffffLL, &n)))
		q->nhid = (uint32_t)n;
	vn_opt_bool(L, 2, fn, "master", &master);
	vn_opt_bool(L, 2, fn, "self", &self);
	q->flags = (master ? NTF_MASTER : 0) | (self ? NTF_SELF : 0);
	if (!q->flags)
		q->flags = NTF_SELF;           /* as `bridge fdb` assumes */
	q->state = NUD_NOARP | NUD_PERMANENT;  /* a device's own entries need it */
	if (mode != M_DEL) {
		if (vn_opt_bool(L, 2, fn, "permanent", &b) && b)
			nstate++;
		if (vn_opt_bool(L, 2, fn, "static", &b) && b) {
			q->state = NUD_NOARP | NUD_REACHABLE;
			nstate++;
		}
		if (vn_opt_bool(L, 2, fn, "dynamic", &b) && b) {
			q->state = NUD_REACHABLE;
			nstate++;
		}
		if (nstate > 1)
			luaL_error(L, "%s: give only one of 'permanent', 'static' and 'dynamic'", fn);
		if (vn_opt_bool(L, 2, fn, "sticky", &b) && b)
			q->flags |= NTF_STICKY;
		if (vn_opt_bool(L, 2, fn, "extern_learn", &b) && b)
			q->flags |= NTF_EXT_LEARNED;
	}
	q->via = vn_opt_ifindex(L, 2, ns, fn, "via");
	if (q->via >= 0)
		q->ifindex = vn_opt_ifindex(L, 2, ns, fn, "dev");
	if (q->via < 0 || q->ifindex < 0) {
		const char *k = q->via < 0 ? "via" : "dev";
		lua_getfield(L, 2, k);
		vn_push_devdesc(L, -1);
		lua_pushfstring(L, "%s '%s'", k, lua_tostring(L, -1));
		return -ENODEV;
	}
	return 0;
}

/* A description "<fn> <lladdr> dev <dev>" pushed. */
static const char *describe(lua_State *L, const char *fn)
{
	int top = lua_gettop(L);
	const char *s;
	lua_getfield(L, 2, "lladdr");
	lua_getfield(L, 2, "dev");
	vn_push_devdesc(L, -1);
	s = lua_pushfstring(L, "%s %s dev %s", fn, lua_tostring(L, top + 1), lua_tostring(L, -1));
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return s;
}

/* ---- dumps --------------------------------------------------------------- */
struct fdb_filter {
	int vlan;                 /* 0: any */
	const fdb_req *want;      /* reading back: the entry a request made */
	int strict;               /* ... and of the kind it asked for */
	int loose;                /* ... without its dst and vni (a device
				   * that keeps none, e.g. a bridge port) */
};

static int keep_fdb(const struct nlmsghdr *h, void *arg)
{
	struct fdb_filter *f = (struct fdb_filter *)arg;
	const fdb_req *q = f->want;
	fdb_view v;
	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg)))
		return 0;
	vn_view_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	if (v.h->ndm_family != AF_BRIDGE)
		return 0;
	if (f->vlan && (!v.a[NDA_VLAN] || (int)vn_rta_u16(v.a[NDA_VLAN]) != f->vlan))
		return 0;
	if (!q)
		return 1;
	if (v.h->ndm_ifindex != q->ifindex || !v.a[NDA_LLADDR] ||
	    RTA_PAYLOAD(v.a[NDA_LLADDR]) != 6 || memcmp(RTA_DATA(v.a[NDA_LLADDR]), q->mac, 6))
		return 0;
	if (q->has_vlan != (v.a[NDA_VLAN] != NULL) ||
	    (q->has_vlan && vn_rta_u16(v.a[NDA_VLAN]) != q->vlan))
		return 0;
	if (f->loose)
		goto kind;
	if (q->dst.len && (!v.a[NDA_DST] || RTA_PAYLOAD(v.a[NDA_DST]) != (unsigned)q->dst.len ||
			   memcmp(RTA_DATA(v.a[NDA_DST]), q->dst.b, (size_t)q->dst.len)))
		return 0;
	if (q->has_vni && v.a[NDA_VNI] && vn_rta_u32(v.a[NDA_VNI]) != q->vni)
		return 0;
kind:
	if (f->strict) {
		/* the bridge's entries carry NDA_MASTER and no NTF_SELF */
		if (q->flags & NTF_MASTER)
			return !(v.h->ndm_flags & NTF_SELF);
		return (v.h->ndm_flags & NTF_SELF) != 0;
	}
	return 1;
}

/* Dumps the bridge entries (filtered by the kernel on port dev and bridge
 * master, 0 for any) that f keeps. 0 or -errno. */
static int fdb_dump(vn_ns *ns, int dev, int master, struct fdb_filter *f, vn_list *l,
		    vn_err *e)
{
	fdb_msgbuf buf;
	struct nlmsghdr *h = &buf.h;
	struct ndmsg *ndm = (struct ndmsg *)vn_msg_begin(h, sizeof buf, RTM_GETNEIGH, 0,
							 sizeof *ndm);
	ndm->ndm_family = AF_BRIDGE;
	if (dev)
		vn_rta_put(h, NDA_IFINDEX, &dev, sizeof dev);
	if (master)
		vn_rta_put(h, NDA_MASTER, &master, sizeof master);
	l->rkeep = keep_fdb;
	l->arg = f;
	return vn_req(ns, h, VN_DUMP, l, e);
}

/* Pushes the entry the request q made (read back with a dump), or true
 * when it cannot be found (the kernel does not echo fdb changes). */
static void read_back(lua_State *L, vn_ns *ns, const fdb_req *q)
{
	struct fdb_filter f;
	const void *p = NULL;
	size_t len;
	vn_list *l = vn_list_new(L);
	int pass;
	/* the exact entry first; then, as the kernel may keep it without the
	 * dst or vni asked for (a bridge port, a veth), without them */
	for (pass = 0; pass < 4 && !p; pass++) {
		f.vlan = 0;
		f.want = q;
		f.strict = !(pass & 1);
		f.loose = pass >= 2;
		vn_list_free(l);
		if (fdb_dump(ns, q->ifindex, 0, &f, l, NULL) == 0)
			p = vn_list_first(l, &len);
	}
	if (p)
		push_fdb(L, p, len, 1);
	else
		lua_pushboolean(L, 1);
	vn_list_drop(L, l);
}

static int fdb_modify(lua_State *L, const char *fn, int mode)
{
	static const int nlflags[] = { NLM_F_CREATE | NLM_F_EXCL, NLM_F_CREATE | NLM_F_APPEND,
				       NLM_F_CREATE | NLM_F_REPLACE, 0 };
	vn_ns *ns = vn_checkns(L, 1);
	fdb_msgbuf buf;
	struct nlmsghdr *h;
	fdb_req q;
	const char *what;
	vn_err e;

	lua_settop(L, 2);
	if (parse_req(L, ns, fn, mode, &q) < 0) {
		int dev = lua_gettop(L);
		what = describe(L, fn);
		what = lua_pushfstring(L, "%s: %s", what, lua_tostring(L, dev));
		return vn_fail(L, what, ENODEV, NULL);
	}
	lua_settop(L, 2);
	what = describe(L, fn);
	h = build(&buf, &q, mode == M_DEL ? RTM_DELNEIGH : RTM_NEWNEIGH, nlflags[mode]);
	if (vn_req(ns, h, 0, NULL, &e) < 0)
		return vn_push_err(L, what, &e, fdb_opts);
	if (mode == M_DEL || vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	read_back(L, ns, &q);
	return 1;
}

/* ns:fdb_add{...} -> entry | nil, msg, errname (EEXIST when there is one);
 * ns:fdb_append{...} (one more remote dst for the address, vxlan) and
 * ns:fdb_replace{...} (adds or updates): the same;
 * ns:fdb_del{...} -> true | nil, msg, errname */
static int ns_fdb_modify(lua_State *L)
{
	return fdb_modify(L, VN_MODE_NAME(L), VN_MODE(L));
}

static const vn_mode fdb_modes[] = {
	{ "fdb_add", M_ADD }, { "fdb_append", M_APPEND }, { "fdb_replace", M_REPLACE },
	{ "fdb_del", M_DEL }, { NULL, 0 }
};

/*** Adds an entry (`bridge fdb add`).
 * @function ns:fdb_add
 * @tparam table opts the options above
 * @return the `vnet.fdb` entry as the kernel keeps it, or `nil, message,
 *   errname` (`EEXIST` when there is one)
 */
/*** Adds one more remote `dst` for an address (`bridge fdb append`; vxlan:
 * the all-zeros MAC with several remotes is head-end replication).
 * @function ns:fdb_append
 * @tparam table opts the options above
 * @return the entry of that remote, or `nil, message, errname`
 */
/*** Adds or updates an entry (`bridge fdb replace`).
 * @function ns:fdb_replace
 * @tparam table opts the options above
 * @return the entry, or `nil, message, errname`
 */
/*** Deletes an entry (`bridge fdb del`).
 * @function ns:fdb_del
 * @tparam table opts `dev`, `lladdr` and the options that tell the entry
 * @return `true`, or `nil, message, errname`
 */
/*** The entries (`bridge fdb show`).
 * @function ns:fdbs
 * @tparam[opt] table opts `dev` (a port or the device itself) and `master`
 *   (a bridge), which the kernel filters on, and `vlan`
 * @return an iterator over `vnet.fdb` entries (one per remote of a vxlan
 *   entry)
 */
/* ns:fdbs([{ dev =, master =, vlan = }]) -> iterator over entries; dev
 * (a port or the device itself) and master (a bridge) are filtered by the
 * kernel, vlan here. */
static int ns_fdbs(lua_State *L)
{
	static const char *const keys[] = { "dev", "master", "vlan", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct fdb_filter *f;
	vn_list *l;
	vn_err e;
	lua_Integer n;
	int r, dev = 0, master = 0;

	lua_settop(L, 2);
	f = (struct fdb_filter *)lua_newuserdata(L, sizeof *f);   /* 3 */
	memset(f, 0, sizeof *f);
	if (!lua_isnil(L, 2)) {
		vn_opts_check(L, 2, "fdbs", keys);
		if (vn_opt_int(L, 2, "fdbs", "vlan", 1, 4094, &n))
			f->vlan = (int)n;
		if ((r = vn_opt_dev_master(L, 2, ns, "fdbs", &dev, &master)))
			return r;
	}
	l = vn_list_new(L);
	/* the filter is read only while dumping */
	return vn_push_dump(L, l, fdb_dump(ns, dev, master, f, l, &e), &e, "fdbs", push_fdb, 1);
}

/* ---- methods ------------------------------------------------------------ */
/*** An entry of a bridge's or vxlan device's forwarding database. Its
 * fields are read from the kernel's message when accessed; `tostring`
 * reads like `bridge fdb`; two entries are `==` when they are the same
 * device, address, vlan, remote, vni and kind.
 * @type fdb
 */

/*** The fields of a `vnet.fdb`.
 * @table fields
 * @field lladdr the MAC address
 * @field dev the device's ifindex
 * @field master the bridge's ifindex, or nil
 * @field vlan the vlan, or nil
 * @field dst the remote address of a vxlan entry, or nil
 * @field vni the vni, or nil
 * @field port the remote UDP port, or nil
 * @field src_vni the source vni, or nil
 * @field via the ifindex to reach `dst` through, or nil
 * @field nhid the nexthop group id, or nil
 * @field state `"permanent"`, `"static"` (noarp reachable), `"reachable"`,
 *   `"stale"`...
 * @field flags a set: `self`, `master`, `extern_learn`, `offload`,
 *   `sticky`, `router`, `use`, `proxy`
 */

/*** Deletes the entry.
 * @function fdb:delete
 * @return `true`, or `nil, message, errname`
 */
/* fdb:delete() -> true | nil, msg, errname */
static int m_delete(lua_State *L)
{
	vn_msgbox *b = (vn_msgbox *)vn_check_live(L, 1, VN_FDB);
	vn_ns *ns = vn_box_ns(L, 1);
	fdb_msgbuf buf;
	struct nlmsghdr *h;
	fdb_req q;
	fdb_view v;
	vn_err e;
	vn_view_parse(&v, b->m, b->len);
	memset(&q, 0, sizeof q);
	q.ifindex = v.h->ndm_ifindex;
	q.state = v.h->ndm_state;
	/* an entry of a bridge port (NDA_MASTER names its bridge) is the
	 * master's; the bridge's own entries and a device's are its self */
	q.flags = (v.h->ndm_flags & NTF_SELF) || !v.a[NDA_MASTER] ||
		  (int)vn_rta_u32(v.a[NDA_MASTER]) == q.ifindex ? NTF_SELF : NTF_MASTER;
	if (v.a[NDA_LLADDR] && RTA_PAYLOAD(v.a[NDA_LLADDR]) == 6)
		memcpy(q.mac, RTA_DATA(v.a[NDA_LLADDR]), 6);
	if ((q.has_vlan = v.a[NDA_VLAN] != NULL))
		q.vlan = (uint16_t)vn_rta_u16(v.a[NDA_VLAN]);
	if (v.a[NDA_DST] && (RTA_PAYLOAD(v.a[NDA_DST]) == 4 || RTA_PAYLOAD(v.a[NDA_DST]) == 16)) {
		q.dst.len = (int)RTA_PAYLOAD(v.a[NDA_DST]);
		memcpy(q.dst.b, RTA_DATA(v.a[NDA_DST]), (size_t)q.dst.len);
	}
	if ((q.has_vni = v.a[NDA_VNI] != NULL))
		q.vni = vn_rta_u32(v.a[NDA_VNI]);
	if ((q.has_port = v.a[NDA_PORT] != NULL))
		q.port = (uint16_t)vn_rta_u16(v.a[NDA_PORT]);
	if ((q.has_src_vni = v.a[NDA_SRC_VNI] != NULL))
		q.src_vni = vn_rta_u32(v.a[NDA_SRC_VNI]);
	q.via = (int)vn_rta_u32(v.a[NDA_IFINDEX]);
	h = build(&buf, &q, RTM_DELNEIGH, 0);
	if (vn_req(ns, h, 0, NULL, &e) < 0) {
		f_lladdr(L, b);
		return vn_push_err(L, lua_pushfstring(L, "delete fdb %s dev %d",
				   lua_isnil(L, -1) ? "?" : lua_tostring(L, -1), q.ifindex),
				   &e, NULL);
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* "vnet.fdb: 02:00:00:00:00:01 dev 3 vlan 5 master 2 static" like a line
 * of `bridge fdb` */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	/* the attributes printed, in bridge fdb's order, by the field that
	 * reads each */
	static const struct { int attr; void (*get)(lua_State *, void *); const char *word; }
	words[] = {
		{ NDA_VLAN, f_vlan, "vlan" }, { NDA_MASTER, f_master, "master" },
		{ NDA_DST, f_dst, "dst" }, { NDA_PORT, f_port, "port" }, { NDA_VNI, f_vni, "vni" },
		{ NDA_SRC_VNI, f_src_vni, "src_vni" }, { NDA_IFINDEX, f_via, "via" },
		{ NDA_NH_ID, f_nhid, "nhid" }, { 0, NULL, NULL }
	};
	int i;
	VIEW(v, o);
	push_mac(L, v.a[NDA_LLADDR]);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushliteral(L, "?");
	}
	luaL_addvalue(buf);
	lua_pushinteger(L, v.h->ndm_ifindex);
	vn_add_word(L, buf, "dev");
	for (i = 0; words[i].word; i++)
		if (v.a[words[i].attr]) {
			words[i].get(L, o);
			vn_add_word(L, buf, words[i].word);
		}
	for (i = 0; ntflags[i].name; i++)
		if (v.h->ndm_flags & ntflags[i].f) {
			luaL_addchar(buf, ' ');
			luaL_addstring(buf, ntflags[i].name);
		}
	luaL_addchar(buf, ' ');
	luaL_addstring(buf, state_name(v.h->ndm_state));
}

static const vn_type fdb_type = {
	VN_MSGBOX(VN_FDB, fdb_fields, m_summary, fdb_same, m_delete),
	.ns_methods = (const luaL_Reg[]){
		{ "fdbs", ns_fdbs }, { NULL, NULL } },
	.modify = ns_fdb_modify, .modes = fdb_modes
};

void vn_open_fdb(lua_State *L)
{
	vn_type_register(L, &fdb_type);
}
