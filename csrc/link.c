/*
 * link.c - link objects: get, list, add, set, delete and their fields.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <netlink/route/link.h>

#include "link.h"

/* ---- link objects ---------------------------------------------------- */
/* A link box holds the link as the kernel sent it (RTM_NEWLINK: its
 * ifinfomsg and attributes, less IFLA_AF_SPEC and the 32-bit IFLA_STATS,
 * which vnet does not read) and where the attributes its fields read are.
 * Fields are read from those bytes; libnl's rtnl_link is made from them
 * only for what needs one (info, set and the kind methods), then kept. A
 * listing of 10k links is thus 10k userdata and no library object.
 * A change (set, a veth peer brought up) marks the box stale rather than
 * reading the link back at once: the next field read (or set, or the kind
 * methods) re-reads it by its index, so a change costs one request. */
enum { S_IFNAME, S_MTU, S_LINK, S_MASTER, S_TXQLEN, S_ADDRESS, S_BROADCAST,
       S_OPERSTATE, S_IFALIAS, S_STATS64, S_CARRIER, S_NETNSID, S_KIND,
       S_TUNTYPE, S_PROPLIST, S_N };

typedef struct lk_box {
	struct nl_object *o;      /* the rtnl_link made from m, or NULL */
	unsigned char *m;         /* in[] or malloc'd (refreshed); NULL once released */
	uint32_t len;             /* bytes in m */
	uint32_t stale;           /* changed since read: re-read before a field
				   * (2: by a change queued in a batch) */
	uint32_t at[S_N];         /* offset in m of each attribute read, 0: absent */
	unsigned char in[];       /* the message the box was made with */
} lk_box;

#define LB(o) ((lk_box *)(o))
#define L_(o) ((struct rtnl_link *)(o))
#define IFH(b) ((const struct ifinfomsg *)(b)->m)
#define IFHLEN NLMSG_ALIGN(sizeof(struct ifinfomsg))

static int lk_slot(int type)
{
	switch (type) {
	case IFLA_IFNAME: return S_IFNAME;
	case IFLA_MTU: return S_MTU;
	case IFLA_LINK: return S_LINK;
	case IFLA_MASTER: return S_MASTER;
	case IFLA_TXQLEN: return S_TXQLEN;
	case IFLA_ADDRESS: return S_ADDRESS;
	case IFLA_BROADCAST: return S_BROADCAST;
	case IFLA_OPERSTATE: return S_OPERSTATE;
	case IFLA_IFALIAS: return S_IFALIAS;
	case IFLA_STATS64: return S_STATS64;
	case IFLA_CARRIER: return S_CARRIER;
	case IFLA_LINK_NETNSID: return S_NETNSID;
	case IFLA_PROP_LIST: return S_PROPLIST;
	default: return -1;
	}
}

/* The attributes of a link message m (len bytes), walked without calls. */
#define LK_FOR_EACH(a, m, len, rem)                                              \
	for (a = (const struct nlattr *)((m) + IFHLEN), rem = (long)(len) - (long)IFHLEN; \
	     rem >= (long)sizeof *a && a->nla_len >= sizeof *a && (long)a->nla_len <= rem; \
	     rem -= NLA_ALIGN(a->nla_len),                                      \
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))
#define LK_TYPE(a) ((a)->nla_type & NLA_TYPE_MASK)

/* Finds the attributes the fields read (the first of each type), and in
 * IFLA_LINKINFO the kind and, for a tun device, its type (tun or tap). */
static void lk_scan(const unsigned char *m, size_t len, uint32_t at[S_N])
{
	const struct nlattr *a;
	long rem;
	int s;
	memset(at, 0, S_N * sizeof *at);
	if (len < IFHLEN)
		return;
	LK_FOR_EACH(a, m, len, rem) {
		if ((s = lk_slot(LK_TYPE(a))) >= 0 && !at[s])
			at[s] = (uint32_t)((const unsigned char *)a - m);
		if (LK_TYPE(a) == IFLA_LINKINFO && !at[S_KIND]) {
			const struct nlattr *k = nla_find((struct nlattr *)nla_data(a),
							  nla_len(a), IFLA_INFO_KIND);
			const struct nlattr *d = nla_find((struct nlattr *)nla_data(a),
							  nla_len(a), IFLA_INFO_DATA);
			if (k)
				at[S_KIND] = (uint32_t)((const unsigned char *)k - m);
			if (d && (d = nla_find((struct nlattr *)nla_data(d), nla_len(d),
					       IFLA_TUN_TYPE)))
				at[S_TUNTYPE] = (uint32_t)((const unsigned char *)d - m);
		}
	}
}

/* Copies a link message's payload, leaving out what vnet does not read
 * (copying the runs of attributes between those). */
static size_t lk_copy(unsigned char *dst, const struct nlmsghdr *h)
{
	const unsigned char *p = (const unsigned char *)NLMSG_DATA(h), *run;
	size_t len = h->nlmsg_len - NLMSG_HDRLEN, n = 0;
	const struct nlattr *a;
	long rem;
	if (len < IFHLEN) {
		memcpy(dst, p, len);
		return len;
	}
	run = p;
	LK_FOR_EACH(a, p, len, rem) {
		if (LK_TYPE(a) != IFLA_AF_SPEC && LK_TYPE(a) != IFLA_STATS)
			continue;
		memcpy(dst + n, run, (size_t)((const unsigned char *)a - run));
		n += (size_t)((const unsigned char *)a - run);
		run = (const unsigned char *)a + NLA_ALIGN(a->nla_len);
		if (run > p + len)
			run = p + len;
	}
	/* the rest, up to the last whole attribute */
	{
		const unsigned char *end = (const unsigned char *)a;
		if (end > p + len)
			end = p + len;
		if (end > run) {
			memcpy(dst + n, run, (size_t)(end - run));
			n += (size_t)(end - run);
		}
	}
	return n;
}

static const struct nlattr *lk_attr(const lk_box *b, int s)
{
	return b->at[s] ? (const struct nlattr *)(b->m + b->at[s]) : NULL;
}

static uint32_t lk_u32(const lk_box *b, int s)
{
	const struct nlattr *a = lk_attr(b, s);
	uint32_t v = 0;
	if (a && nla_len(a) >= (int)sizeof v)
		memcpy(&v, nla_data(a), sizeof v);
	return v;
}

static unsigned lk_u8(const lk_box *b, int s)
{
	const struct nlattr *a = lk_attr(b, s);
	return a && nla_len(a) >= 1 ? *(const unsigned char *)nla_data(a) : 0;
}

/* Pushes a string attribute (nil when absent or empty). */
static void lk_pushstr(lua_State *L, const lk_box *b, int s)
{
	const struct nlattr *a = lk_attr(b, s);
	const char *p = a ? (const char *)nla_data(a) : NULL;
	size_t n = a && nla_len(a) > 0 ? strnlen(p, (size_t)nla_len(a)) : 0;
	if (n) lua_pushlstring(L, p, n); else lua_pushnil(L);
}

/* The link's kind as vnet names it (n bytes at the pointer), or NULL: the
 * kernel's IFLA_INFO_KIND, except that a "tun" device of type tap (in
 * IFLA_TUN_TYPE, as `ip -d` shows it) is a "tap". */
static const char *lk_kind(const lk_box *b, size_t *n)
{
	const struct nlattr *a = lk_attr(b, S_KIND);
	const char *p = a ? (const char *)nla_data(a) : NULL;
	*n = a && nla_len(a) > 0 ? strnlen(p, (size_t)nla_len(a)) : 0;
	if (!*n)
		return NULL;
	if (*n == 3 && !memcmp(p, "tun", 3) && lk_u8(b, S_TUNTYPE) == 2 /* IFF_TAP */)
		p = "tap";
	return p;
}

static int lk_live(const void *box)
{
	return LB(box)->m != NULL;
}

static void lk_release(void *box)
{
	lk_box *b = LB(box);
	if (b->o)
		nl_object_put(b->o);
	if (b->m && b->m != b->in)
		free(b->m);
	b->o = NULL;
	b->m = NULL;
	b->len = 0;
}

static int lk_same(const void *x, const void *y)
{
	return IFH(LB(x))->ifi_index == IFH(LB(y))->ifi_index;
}

/* Pushes a box holding the link message p (len bytes, as lk_copy left it). */
void lk_push(lua_State *L, const void *p, size_t len, int nsidx)
{
	lk_box *b = (lk_box *)vn_box_new(L, sizeof *b + len, VN_LINK, nsidx);
	memcpy(b->in, p, len);
	b->m = b->in;
	b->len = (uint32_t)len;
	lk_scan(b->m, len, b->at);
}

/* Puts the link message p in the box b instead of what it held. */
static void lk_reset(lua_State *L, lk_box *b, const void *p, size_t len)
{
	unsigned char *m = (unsigned char *)malloc(len ? len : 1);
	if (!m)
		luaL_error(L, "vnet.link: out of memory");
	memcpy(m, p, len);
	lk_release(b);
	b->m = m;
	b->len = (uint32_t)len;
	b->stale = 0;
	lk_scan(b->m, len, b->at);
}

static lk_box *lk_check(lua_State *L, int idx)
{
	lk_box *b = (lk_box *)luaL_checkudata(L, idx, VN_LINK);
	if (!b->m)
		luaL_error(L, "attempt to use a released %s", VN_LINK);
	return b;
}

static void take_obj(struct nl_object *o, void *arg)
{
	nl_object_get(o);
	*(struct nl_object **)arg = o;
}

/* libnl's rtnl_link for the box (made on first use) from its message less
 * IFLA_LINKINFO: the kind's settings are vnet's own to read (kind.c), so
 * libnl's handlers of link kinds never see them. */
static struct rtnl_link *lk_obj(lua_State *L, lk_box *b)
{
	struct nl_msg *msg;
	struct nlmsghdr *h;
	const struct nlattr *a;
	long rem;
	if (b->o)
		return L_(b->o);
	msg = nlmsg_alloc_size(NLMSG_SPACE(b->len));
	if (msg) {
		nlmsg_set_proto(msg, NETLINK_ROUTE);
		if ((h = nlmsg_put(msg, 0, 0, RTM_NEWLINK, (int)(b->len < IFHLEN ? b->len : IFHLEN),
				   0))) {
			memcpy(nlmsg_data(h), b->m, b->len < IFHLEN ? b->len : IFHLEN);
			if (b->len >= IFHLEN)
				LK_FOR_EACH(a, b->m, b->len, rem)
					if (LK_TYPE(a) != IFLA_LINKINFO &&
					    nla_put(msg, a->nla_type, nla_len(a), nla_data(a)) < 0)
						break;
			nl_msg_parse(msg, take_obj, &b->o);
		}
		nlmsg_free(msg);
	}
	if (!b->o)
		luaL_error(L, "vnet.link: out of memory");
	return L_(b->o);
}

static void lk_fresh(lua_State *L, int idx);

const unsigned char *vn_link_msg(lua_State *L, int idx, size_t *len)
{
	lk_box *b = lk_check(L, idx);
	lk_fresh(L, idx);
	*len = b->len;
	return b->m;
}

const char *vn_link_kindname(const void *m, size_t len, size_t *n)
{
	lk_box b;
	b.m = (unsigned char *)m;
	b.len = (uint32_t)len;
	lk_scan(b.m, len, b.at);
	return lk_kind(&b, n);
}

int vn_link_ifindex(lua_State *L, int idx)
{
	return IFH(lk_check(L, idx))->ifi_index;
}

void vn_link_desc(lua_State *L, int idx)
{
	lk_box *b = (lk_box *)luaL_testudata(L, idx, VN_LINK);
	if (b && b->m) {
		lk_pushstr(L, b, S_IFNAME);
		if (!lua_isnil(L, -1))
			return;
		lua_pop(L, 1);
	}
	lua_pushfstring(L, "%d", b && b->m ? IFH(b)->ifi_index : 0);
}

struct rtnl_link *vn_link_guard(lua_State *L, const char *fn)
{
	lk_box *b = (lk_box *)lua_newuserdata(L, sizeof *b);
	memset(b, 0, sizeof *b);
	luaL_setmetatable(L, VN_LINK);
	if (!(b->o = (struct nl_object *)rtnl_link_alloc()))
		luaL_error(L, "%s: out of memory", fn);
	return L_(b->o);
}

/* ---- fields ---------------------------------------------------------- */
static void f_name(lua_State *L, void *o)
{
	lk_pushstr(L, LB(o), S_IFNAME);
}
static void f_index(lua_State *L, void *o)
{
	lua_pushinteger(L, IFH(LB(o))->ifi_index);
}
static void f_kind(lua_State *L, void *o)
{
	size_t n;
	const char *k = lk_kind(LB(o), &n);
	if (k)
		lua_pushlstring(L, k, n);
	else if (IFH(LB(o))->ifi_type == 772) /* ARPHRD_LOOPBACK */
		lua_pushliteral(L, "loopback");
	else
		lua_pushliteral(L, "device");
}
static void f_mtu(lua_State *L, void *o)
{
	lua_pushinteger(L, lk_u32(LB(o), S_MTU));
}
static void f_txqlen(lua_State *L, void *o)
{
	lua_pushinteger(L, lk_u32(LB(o), S_TXQLEN));
}
/* A hardware address as libnl prints it: IPv4 and IPv6 for tunnels (4 and
 * 16 bytes), else hex bytes joined by ':'; nil when absent or empty. */
static void push_lladdr(lua_State *L, const lk_box *b, int s)
{
	static const char hex[] = "0123456789abcdef";
	const struct nlattr *a = lk_attr(b, s);
	const unsigned char *p = a ? (const unsigned char *)nla_data(a) : NULL;
	char buf[3 * 32 + INET6_ADDRSTRLEN], *o = buf;
	int i, n = a ? nla_len(a) : 0;
	if (n <= 0) {
		lua_pushnil(L);
	} else if (n == 4 || n == 16) {
		lua_pushstring(L, inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf, sizeof buf));
	} else {
		for (i = 0; i < n && i < 32; i++) { /* MAX_ADDR_LEN */
			if (i)
				*o++ = ':';
			*o++ = hex[p[i] >> 4];
			*o++ = hex[p[i] & 15];
		}
		lua_pushlstring(L, buf, (size_t)(o - buf));
	}
}
static void f_address(lua_State *L, void *o)
{
	push_lladdr(L, LB(o), S_ADDRESS);
}
static void f_broadcast(lua_State *L, void *o)
{
	push_lladdr(L, LB(o), S_BROADCAST);
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
	unsigned f = IFH(LB(o))->ifi_flags;
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
	lua_pushboolean(L, (IFH(LB(o))->ifi_flags & IFF_UP) != 0);
}
static void f_operstate(lua_State *L, void *o)
{
	static const char *const st[] = { "unknown", "notpresent", "down",
		"lowerlayerdown", "testing", "dormant", "up" };
	unsigned s = lk_u8(LB(o), S_OPERSTATE);
	lua_pushstring(L, s < 7 ? st[s] : "unknown");
}
/* an ifindex attribute: nil when absent or 0 */
static void push_ifref(lua_State *L, const lk_box *b, int s)
{
	uint32_t m = lk_u32(b, s);
	if (m) lua_pushinteger(L, m); else lua_pushnil(L);
}
static void f_master(lua_State *L, void *o)
{
	push_ifref(L, LB(o), S_MASTER);
}
static void f_link(lua_State *L, void *o)
{
	push_ifref(L, LB(o), S_LINK);
}
static void f_alias(lua_State *L, void *o)
{
	lk_pushstr(L, LB(o), S_IFALIAS);
}
static void f_link_netnsid(lua_State *L, void *o)
{
	if (lk_attr(LB(o), S_NETNSID))
		lua_pushinteger(L, (int32_t)lk_u32(LB(o), S_NETNSID));
	else
		lua_pushnil(L);
}
/* the /run/netns name of the namespace of link_netnsid (as `ip link`
 * shows link-netns), found through the link's handle; nil when none */
static void f_link_netns(lua_State *L, void *o)
{
	char name[256];
	vn_ns *ns;
	/* fields are read with the box at 1 (__index, totable) */
	if (!lk_attr(LB(o), S_NETNSID) || lua_touserdata(L, 1) != o) {
		lua_pushnil(L);
		return;
	}
	ns = vn_box_ns_open(L, 1);
	lua_pop(L, 1);
	if (ns && vn_nsid_name(ns, (int32_t)lk_u32(LB(o), S_NETNSID), name, sizeof name))
		lua_pushstring(L, name);
	else
		lua_pushnil(L);
}
static void f_altnames(lua_State *L, void *o)
{
	vn_push_altnames(L, lk_attr(LB(o), S_PROPLIST));
}
static void f_carrier(lua_State *L, void *o)
{
	lua_pushboolean(L, lk_u8(LB(o), S_CARRIER) != 0);
}
static void f_stats(lua_State *L, void *o)
{
#define ST(f) { offsetof(struct rtnl_link_stats64, f), #f }
	static const struct { size_t off; const char *n; } st[] = {
		ST(rx_bytes), ST(tx_bytes), ST(rx_packets), ST(tx_packets),
		ST(rx_errors), ST(tx_errors), ST(rx_dropped), ST(tx_dropped),
		ST(multicast), ST(collisions), { 0, NULL }
	};
#undef ST
	const struct nlattr *a = lk_attr(LB(o), S_STATS64);
	int i;
	lua_newtable(L);
	for (i = 0; st[i].n; i++) {
		uint64_t v = 0;
		if (a && (size_t)nla_len(a) >= st[i].off + sizeof v)
			memcpy(&v, (const char *)nla_data(a) + st[i].off, sizeof v);
		lua_pushnumber(L, (lua_Number)v);
		lua_setfield(L, -2, st[i].n);
	}
}
static void f_info(lua_State *L, void *o)
{
	size_t n;
	const char *t = lk_kind(LB(o), &n);
	char name[32];
	const vn_kind *k = NULL;
	if (t && n < sizeof name) {
		memcpy(name, t, n);
		name[n] = 0;
		k = vn_kind_find(name);
	}
	lua_newtable(L);
	if (k && k->info)
		k->info(L, k, LB(o)->m, LB(o)->len);
}

static const vn_field link_fields[] = {
	{ "name", f_name }, { "index", f_index }, { "kind", f_kind },
	{ "mtu", f_mtu }, { "address", f_address }, { "broadcast", f_broadcast },
	{ "flags", f_flags }, { "up", f_up }, { "operstate", f_operstate },
	{ "master", f_master }, { "link", f_link }, { "txqlen", f_txqlen },
	{ "alias", f_alias }, { "link_netnsid", f_link_netnsid },
	{ "link_netns", f_link_netns }, { "altnames", f_altnames },
	{ "carrier", f_carrier }, { "stats", f_stats }, { "info", f_info },
	{ NULL, NULL }
};

/* ---- lookups --------------------------------------------------------- */
static int keep_any(const struct nlmsghdr *h, void *arg)
{
	(void)arg;
	return h->nlmsg_type == RTM_NEWLINK && h->nlmsg_len >= NLMSG_LENGTH(IFHLEN);
}

/* The request for one link by index or name (ifinfomsg, IFLA_IFNAME). */
typedef struct get_req {
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	struct nlattr a;
	char name[128];      /* ALTIFNAMSIZ */
} get_req;

static struct nlmsghdr *get_msg(get_req *q, int ifindex, const char *name)
{
	memset(q, 0, sizeof *q);
	q->h.nlmsg_type = RTM_GETLINK;
	q->h.nlmsg_len = NLMSG_LENGTH(sizeof q->ifi);
	q->ifi.ifi_index = ifindex;
	if (name) {
		/* a name longer than IFNAMSIZ can only be an alternative name
		 * (Linux 5.5), asked for by IFLA_ALT_IFNAME */
		size_t n = strnlen(name, sizeof q->name - 1) + 1;
		q->a.nla_type = n > IFNAMSIZ ? IFLA_ALT_IFNAME : IFLA_IFNAME;
		q->a.nla_len = (uint16_t)(NLA_HDRLEN + n);
		memcpy(q->name, name, n - 1);
		q->h.nlmsg_len += NLA_ALIGN(q->a.nla_len);
	}
	return &q->h;
}

/* Fetches one link by index or name with one request, as its message. With
 * bidx 0 pushes a new box bound to the handle at nsidx; else puts it in the
 * box at bidx instead of what that held. 0 or -errno with e filled in. */
static int fetch_link(lua_State *L, vn_ns *ns, int ifindex, const char *name,
		      int nsidx, int bidx, vn_err *e)
{
	get_req q;
	const void *p;
	size_t len;
	vn_list *l = vn_list_new(L);
	int r;
	l->rkeep = keep_any;
	l->rcopy = lk_copy;
	r = vn_req(ns, get_msg(&q, ifindex, name), VN_GET, l, e);
	if (r == 0 && (p = vn_list_first(l, &len))) {
		if (bidx)
			lk_reset(L, lk_check(L, bidx), p, len);
		else
			lk_push(L, p, len, nsidx);
	}
	vn_list_drop(L, l);
	return r;
}

/* Fetches the link with this index (or name) into the list l (a C list,
 * not made by vn_list_new: the caller frees it with vn_list_free) and points
 * the box b (on the caller's stack) at it, without calling Lua: for the
 * steps between the kernel's changes, where raising would leave them half
 * made. 0 or -errno. */
static int fetch_raw(vn_ns *ns, int ifindex, const char *name, vn_list *l, lk_box *b,
		     vn_err *e)
{
	get_req q;
	const void *p = NULL;
	size_t len = 0;
	int r;
	memset(l, 0, sizeof *l);
	memset(b, 0, sizeof *b);
	l->rkeep = keep_any;
	r = vn_req(ns, get_msg(&q, ifindex, name), VN_GET, l, e);
	if (r == 0 && !(p = vn_list_first(l, &len))) {
		if (e)
			vn_err_set(e, ENOENT, NULL);
		r = -ENOENT;
	}
	if (r < 0) {
		vn_list_free(l);
		return r;
	}
	b->m = (unsigned char *)p;
	b->len = (uint32_t)len;
	lk_scan(b->m, len, b->at);
	return 0;
}

int vn_link_refresh(lua_State *L, int idx, vn_ns *ns, int ifindex, vn_err *e)
{
	return fetch_link(L, ns, ifindex, NULL, 0, vn_absindex(L, idx), e);
}

/* The link type's fresh hook: a box marked stale by a change is read again
 * (one request, by its index: a renamed link is found) before a field is
 * read. When it can no longer be read (deleted meanwhile, or its handle
 * closed) it keeps the values last read; link:refresh() reports why. May
 * raise (memory). */
static void lk_fresh(lua_State *L, int idx)
{
	lk_box *b = LB(lua_touserdata(L, idx));
	vn_ns *ns;
	if (!b || !b->m || !b->stale)
		return;
	idx = vn_absindex(L, idx);
	if ((ns = vn_box_ns_open(L, idx)) && b->stale == 2 && vn_deferred(ns)) {
		/* a change queued in the batch still under way: the kernel has
		 * not seen it, the values held are still its own; read again
		 * once the batch has been sent */
		lua_pop(L, 1);
		return;
	}
	b->stale = 0;
	if (ns)                                             /* +1 */
		fetch_link(L, ns, IFH(b)->ifi_index, NULL, 0, idx, NULL);
	lua_pop(L, 1);
}

/* Deletes the link with this index (or name). 0 or -errno with e (may be
 * NULL: an undo step, whose own failure is not reported) filled in. */
static int delete_link(vn_ns *ns, int ifindex, const char *name, vn_err *e)
{
	get_req q;
	struct nlmsghdr *h = get_msg(&q, ifindex, name);
	h->nlmsg_type = RTM_DELLINK;
	return vn_req(ns, h, 0, NULL, e);
}

/* Puts IFLA_IFALIAS as iproute2 does: the bytes without a NUL (the kernel
 * keeps at most 255 and counts a NUL as one of them; "" clears it). */
static int put_alias(struct nl_msg *msg, const char *alias)
{
	return nla_put(msg, IFLA_IFALIAS, (int)strlen(alias), alias);
}

/* A change of the link with this index (or, index 0, name): its alias when
 * alias is not NULL, flags (of those in change). 0 or -errno with e filled. */
static int set_simple(vn_ns *ns, int ifindex, const char *name, const char *alias,
		      unsigned flags, unsigned change, vn_err *e)
{
	struct ifinfomsg ifi;
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	int r;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = flags;
	ifi.ifi_change = change;
	if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    (name && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    (alias && put_alias(msg, alias) < 0)) {
		nlmsg_free(msg);
		if (e)
			vn_err_set(e, ENOMEM, NULL);
		return -ENOMEM;
	}
	r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, e);
	nlmsg_free(msg);
	return r;
}
#define set_alias(ns, i, n, a, e) set_simple(ns, i, n, a, 0, 0, e)
#define set_up(ns, i, n, up, e) set_simple(ns, i, n, NULL, (up) ? IFF_UP : 0, IFF_UP, e)

/***
 * Links (`ip link`): `ns:link`, `ns:links`, `ns:link_add` and the
 * `vnet.link` objects. The kinds' own options are in `vnet.core`'s
 * `link_kinds` and `tunnel_kinds` tables (and the README's "Link kinds"
 * table); `vnet.core.kinds()` lists the kinds of this build and
 * `vnet.supports(kind)` probes the running kernel.
 *
 * Options of `link_add` (named, in one table):
 *
 *  * `name` (required), `kind` (`"veth"`, `"bridge"`, `"vlan"`...)
 *  * `mtu`, `address` and `broadcast` (MAC addresses), `up` (boolean),
 *    `txqlen` and `group` (0..2^32-1), `alias` (up to 255 bytes), `arp`,
 *    `promisc` (booleans), `numtxqueues`, `numrxqueues`
 *  * `master`: a link, name or index (with `netns`, one of that namespace)
 *  * `netns`: create it directly in that namespace (a handle or a name; one
 *    that does not exist fails with `ENOENT`)
 *  * `parent`: the lower device of vlan, macvlan, ipvlan...
 *  * the kind's own options; for `veth`, `peer = "name"` or
 *    `peer = { name =, netns =, address =, mtu =, txqlen =, up = }` (the
 *    peer is created directly in its namespace; `up = true` brings it up
 *    once the pair exists)
 *
 * Misuse raises naming the option; a refusal by the kernel returns
 * `nil, message, errname`, and a refused multi-step call undoes what it
 * did.
 * @module vnet.link
 */

/*** One link, by one request (never a dump).
 * @function ns:link
 * @param which a name or an ifindex
 * @return a `vnet.link`, or `nil, message, errname`
 */

/*** The links (`ip link show`).
 * @function ns:links
 * @tparam[opt] table opts `kind`, `master`, `up`
 * @return an iterator over `vnet.link` objects
 */

/*** Makes a link (`ip link add`).
 * @function ns:link_add
 * @tparam table opts the options above
 * @return the new `vnet.link` (the kernel's echo), or `nil, message,
 *   errname`
 */

/*** A link: the kernel's message, its fields decoded on access. A link
 * changed through vnet is stale and reads itself again, by its index, on
 * the next field read; one changed by someone else stays as it was read
 * until `link:refresh()`. `tostring` prints a one-line summary; `==`
 * compares kernel identity.
 * @type link
 */

/*** The fields of a `vnet.link`.
 * @table fields
 * @field name the name
 * @field index the ifindex
 * @field kind the kind, or nil for a physical device
 * @field mtu the MTU
 * @field address the MAC address
 * @field broadcast the broadcast address
 * @field flags a set: `flags.up`, `flags.lower_up`...
 * @field up whether it is up
 * @field operstate `"up"`, `"down"`, `"unknown"`...
 * @field master the master's ifindex, or nil
 * @field link the parent's or peer's ifindex, or nil
 * @field link_netnsid the peer's namespace id, or nil
 * @field link_netns the /run/netns name of that namespace (as `ip link`
 *   shows link-netns), or nil
 * @field altnames the list of its alternative names (`link:altname_add`)
 * @field txqlen the transmit queue length
 * @field alias the alias, or nil
 * @field carrier whether it has carrier
 * @field stats `rx_bytes`, `tx_bytes`, `rx_packets`, `tx_packets`,
 *   `rx_errors`, `tx_errors`, `rx_dropped`, `tx_dropped`, `multicast`,
 *   `collisions`
 * @field info the kind's own settings (`info.peer_index` of a veth)
 */

/*** Changes the link (`ip link set`); a refused change is undone.
 * @function link:set
 * @tparam table opts `up`, `mtu`, `name`, `address`, `broadcast`, `master`
 *   (`false`: nomaster), `netns` (moves it; the object follows), `txqlen`,
 *   `alias` (`""` clears it), `arp`, `promisc`, `group`
 * @return the link (stale: read again on the next field read), or `nil,
 *   message, errname`
 */

/*** Reads the link again from the kernel.
 * @function link:refresh
 * @return the link, or `nil, message, errname`
 */

/*** Deletes the link (`ip link del`).
 * @function link:delete
 * @return `true`, or `nil, message, errname`
 */

/*** Changes the kind's own settings (`link.info`) that the kernel lets
 * change; raises on settings the kernel would silently ignore (a vlan's id).
 * Defined with the link kinds.
 * @function link:set_info
 * @tparam table opts the kind's options
 * @return the link, or `nil, message, errname`
 */

/*** A bridge or bond port's settings. Defined with the link kinds.
 * @function link:port
 * @return `{ kind = "bridge", master =, cost =, priority =, state =,
 *   learning =, ... }`, or `nil, message, errname`
 */

/*** Changes a bridge or bond port's settings (`brctl`'s: cost, priority,
 * hairpin, guard, learning, flood...), all or nothing: what the kernel
 * applied before a setting it refused is put back. Defined with the link
 * kinds.
 * @function link:set_port
 * @tparam table opts the port settings (`vnet.core`'s `port_settings`)
 * @return the link, or `nil, message, errname`
 */
/* ns:link(name | index) -> link | nil, msg, errname */
static int ns_link(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	const char *name = NULL;
	vn_err e;
	int idx = 0, r;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		/* the kernel's ifindex is a positive int: 2^32 is no index 0 */
		idx = (int)vn_check_int(L, 2, "link", "index", 1, 0x7fffffff);
	} else if (lua_type(L, 2) == LUA_TSTRING) {
		name = vn_check_str(L, 2, "link", "name", 0);
		if (strlen(name) >= IFNAMSIZ)   /* an alternative name */
			vn_check_altname(L, name, "link", "name");
		else
			vn_check_ifname(L, name, "link", "name");
	} else {
		return luaL_argerror(L, 2, "link name or index expected");
	}
	r = fetch_link(L, ns, idx, name, 1, 0, &e);
	if (r < 0) {
		if (r == -ENODEV || r == -ENOENT)
			e.no = ENODEV;
		return vn_push_err(L, lua_pushfstring(L, "link %s", name ? name :
					lua_tostring(L, 2)), &e, NULL);
	}
	return 1;
}

struct link_filter { const char *kind; int master; int up; };

static int keep_link(const struct nlmsghdr *h, void *arg)
{
	struct link_filter *f = (struct link_filter *)arg;
	lk_box b;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(IFHLEN))
		return 0;
	b.m = (unsigned char *)NLMSG_DATA(h);
	b.len = h->nlmsg_len - NLMSG_HDRLEN;
	lk_scan(b.m, b.len, b.at);
	if (f->kind) {
		size_t n;
		const char *k = lk_kind(&b, &n);
		if (!k || n != strlen(f->kind) || memcmp(k, f->kind, n))
			return 0;
	}
	if (f->master && lk_u32(&b, S_MASTER) != (uint32_t)f->master)
		return 0;
	if (f->up >= 0 && !!(IFH(&b)->ifi_flags & IFF_UP) != f->up)
		return 0;
	return 1;
}

int vn_link_dump(vn_ns *ns, int family, uint32_t ext_mask, vn_list *l, vn_err *e)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		struct nlattr a;
		uint32_t mask;
	} q;
	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = sizeof q;
	q.h.nlmsg_type = RTM_GETLINK;
	q.ifi.ifi_family = (unsigned char)family;
	q.a.nla_len = NLA_HDRLEN + sizeof q.mask;
	q.a.nla_type = IFLA_EXT_MASK;
	q.mask = ext_mask;
	return vn_req(ns, &q.h, VN_DUMP, l, e);
}

/* ns:links([{ kind =, master =, up = }]) -> iterator over links */
static int ns_links(lua_State *L)
{
	static const char *const keys[] = { "kind", "master", "up", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	struct link_filter f = { NULL, 0, -1 };
	char kind[64];
	vn_list *l;
	vn_err e;
	int r;

	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "links", keys);
		f.kind = vn_opt_str(L, 2, "links", "kind", kind, sizeof kind);
		vn_opt_bool(L, 2, "links", "up", &f.up);
		r = vn_opt_ifindex(L, 2, ns, "links", "master");
		if (r < 0)
			return vn_fail(L, "links: master", ENODEV, NULL);
		f.master = r;
	}
	l = vn_list_new(L);
	l->rkeep = keep_link;
	l->rcopy = lk_copy;
	l->arg = &f;
	/* the kernel leaves out the per-family statistics of IFLA_AF_SPEC,
	 * which vnet drops anyway (IFLA_STATS64 stays) */
	if (vn_link_dump(ns, AF_UNSPEC, RTEXT_FILTER_SKIP_STATS, l, &e) < 0)
		return vn_push_err(L, "links", &e, NULL);
	vn_push_raw_iter(L, l, lk_push, 1);
	return 1;
}

/* ---- common settable attributes --------------------------------------- */
/* The options of link_add and set, by the attribute each one makes (for
 * errors where the kernel points at one). */
static const vn_optname link_opts[] = {
	{ IFLA_IFNAME, "name" }, { IFLA_MTU, "mtu" }, { IFLA_ADDRESS, "address" },
	{ IFLA_BROADCAST, "broadcast" }, { IFLA_MASTER, "master" },
	{ IFLA_NET_NS_FD, "netns" }, { IFLA_TXQLEN, "txqlen" }, { IFLA_IFALIAS, "alias" },
	{ IFLA_LINK, "parent" }, { IFLA_GROUP, "group" },
	{ IFLA_NUM_TX_QUEUES, "numtxqueues" }, { IFLA_NUM_RX_QUEUES, "numrxqueues" },
	{ IFLA_LINKINFO, "kind" }, { IFLA_GSO_MAX_SIZE, "gso_max_size" }, { 0, NULL }
};
static const char *const common_keys[] = { "name", "kind", "mtu", "address",
	"broadcast", "up", "master", "netns", "txqlen", "alias", "parent",
	"arp", "promisc", "group", "numtxqueues", "numrxqueues", NULL };

/* Fills the settings shared by link_add and set into l. Returns 0 or -errno
 * with *what naming the option. The netns handle, if any, is pushed. */
static int parse_common(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
			const char *fn, int adding, const char **what, vn_ns **target)
{
	char buf[256];
	const char *s;
	lua_Integer n;
	int b, r, ref, err;

	/* strings are copied out as they are read (libnl copies them again) */
	if ((s = vn_opt_str(L, idx, fn, "name", buf, sizeof buf))) {
		vn_check_ifname(L, s, fn, "name");
		rtnl_link_set_name(l, s);
	}
	if (vn_opt_int(L, idx, fn, "mtu", 68, 65535, &n))
		rtnl_link_set_mtu(l, (unsigned)n);
	/* txqlen and group are u32 to the kernel */
	if (vn_opt_int(L, idx, fn, "txqlen", 0, 0xffffffffLL, &n))
		rtnl_link_set_txqlen(l, (unsigned)n);
	if (vn_opt_int(L, idx, fn, "group", 0, 0xffffffffLL, &n))
		rtnl_link_set_group(l, (uint32_t)n);
	if (adding && vn_opt_int(L, idx, fn, "numtxqueues", 1, 4096, &n))
		rtnl_link_set_num_tx_queues(l, (uint32_t)n);
	if (adding && vn_opt_int(L, idx, fn, "numrxqueues", 1, 4096, &n))
		rtnl_link_set_num_rx_queues(l, (uint32_t)n);
	if ((s = vn_opt_str(L, idx, fn, "alias", buf, sizeof buf)))
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
				const char *v = lua_type(L, -1) == LUA_TSTRING ?
					vn_check_str(L, -1, fn, lladdr[i], 0) : NULL;
				if (!v || strlen(v) < 11 || nl_addr_parse(v, AF_LLC, &a) < 0)
					luaL_error(L, "%s: option '%s' must be a MAC address like "
						   "'02:00:00:00:00:01'", fn, lladdr[i]);
				if (i == 0) rtnl_link_set_addr(l, a); else rtnl_link_set_broadcast(l, a);
				nl_addr_put(a);
			}
			lua_pop(L, 1);
		}
	}
	/* the namespace first: the kernel looks for the master where the
	 * link will be (IFLA_MASTER after IFLA_NET_NS_FD), so a master is read
	 * in the target namespace; a parent is in the namespace it is made from */
	*target = vn_opt_netns(L, idx, fn, "netns", &err);
	if (err) {
		/* a namespace name that cannot be opened: a failure triple */
		*what = "netns";
		return -err;
	}
	if (*target)
		rtnl_link_set_ns_fd(l, (*target)->fd);
	/* master = link | name | index, or false for nomaster */
	lua_getfield(L, idx, "master");
	b = lua_type(L, -1) == LUA_TBOOLEAN;
	if (b && lua_toboolean(L, -1))
		luaL_error(L, "%s: option 'master' must be a link, a name, an index or false", fn);
	lua_pop(L, 1);
	if (b) {
		rtnl_link_set_master(l, 0);
	} else if ((r = vn_link_ref(L, idx, *target ? *target : ns, fn, "master", &ref,
				    what)) < 0) {
		return r;
	} else if (ref) {
		rtnl_link_set_master(l, ref);
	}
	if ((r = vn_link_ref(L, idx, ns, fn, "parent", &ref, what)) < 0)
		return r;
	if (ref)
		rtnl_link_set_link(l, ref);
	return 0;
}

int vn_link_ref(lua_State *L, int idx, vn_ns *ns, const char *fn,
		const char *key, int *out, const char **what)
{
	int r = vn_opt_ifindex(L, idx, ns, fn, key);
	*out = 0;
	if (r < 0) {
		*what = key;
		return r;
	}
	*out = r;
	return 0;
}

/* Pushes the failure of option what (a link or namespace that is not
 * there: errno err) of the call fn on the link name. */
int vn_link_fail_ref(lua_State *L, const char *fn, const char *name, int idx,
		     const char *what, int err)
{
	lua_getfield(L, idx, what);
	lua_pushfstring(L, "%s %s: %s '%s'", fn, name, what,
			lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	return vn_fail(L, lua_tostring(L, -1), err ? err : ENODEV, NULL);
}

/* The common settings l of a device just made some other way than
 * RTM_NEWLINK (tun/tap), and its alias (may be NULL), sent as one change.
 * Calls no Lua. 0 or -errno. */
static int made_change(vn_ns *ns, const char *name, struct rtnl_link *l,
		       const char *alias, vn_err *e)
{
	struct rtnl_link *now = NULL;
	struct nl_msg *msg = NULL;
	vn_list lst;
	lk_box b;
	int r = fetch_raw(ns, 0, name, &lst, &b, e);
	if (r < 0)
		return r;
	if ((now = rtnl_link_alloc())) {
		rtnl_link_set_ifindex(now, IFH(&b)->ifi_index);
		rtnl_link_set_flags(now, IFH(&b)->ifi_flags);
	}
	vn_list_free(&lst);
	r = now ? rtnl_link_build_change_request(now, l, 0, &msg) : -1;
	if (r == 0 && alias && put_alias(msg, alias) < 0)
		r = -1;
	r = r < 0 ? (vn_err_set(e, ENOMEM, NULL), -ENOMEM)
		  : vn_req(ns, nlmsg_hdr(msg), 0, NULL, e);
	nlmsg_free(msg);
	if (now)
		rtnl_link_put(now);
	return r;
}

/* The steps after the request that made the link ifindex in where: its
 * alias (when not NULL) and bringing its veth peer (index peer) up in pns.
 * Calls no Lua, so
 * the link is whole or, when a step is refused, deleted (*step names the
 * step, e holds the failure). 0 or -errno. */
static int finish_steps(vn_ns *where, vn_ns *pns, int ifindex, int peer,
			const char *alias, int peer_up, const char **step, vn_err *e)
{
	int r = 0;
	if (alias && (r = set_alias(where, ifindex, NULL, alias, e)) < 0)
		*step = "alias";
	else if (peer_up && (r = set_up(pns, peer, NULL, 1, e)) < 0)
		*step = "peer up";
	if (r < 0)
		delete_link(where, ifindex, NULL, NULL);
	return r;
}

/* finish_steps for a link known by name: read back first (a kernel that
 * does not echo the link it made). */
static int finish_link(vn_ns *where, vn_ns *pns, const char *name, const char *alias,
		       int peer_up, const char **step, vn_err *e)
{
	vn_list lst;
	lk_box b;
	int r, ifindex, peer;
	if ((r = fetch_raw(where, 0, name, &lst, &b, e)) < 0)
		return r;
	ifindex = IFH(&b)->ifi_index;
	peer = (int)lk_u32(&b, S_LINK);  /* a veth peer's index in its namespace */
	vn_list_free(&lst);
	return finish_steps(where, pns, ifindex, peer, alias, peer_up, step, e);
}

/* ns:link_add{ name =, kind =, ...common and kind options } -> link
 *   | nil, msg, errname. The link is created directly in `netns` when given.
 * The kernel ignores IFLA_IFALIAS in a request that creates a device, and
 * cannot open a veth end before its pair exists: the alias and a veth
 * peer's `up` are second and third steps (inside a batch, queued so that
 * they run only if the creation was accepted). */
static int ns_link_add(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1), *target = NULL, *where, *pns = NULL;
	const char *kind, *name, *what = NULL;
	char kindbuf[64], namebuf[256];
	const vn_kind *k;
	const char *keys[64];
	struct rtnl_link *l;
	struct nl_msg *msg = NULL;
	vn_list *echo = NULL;
	vn_kreq *req;
	char alias[256], peer[IFNAMSIZ];
	int i, n = 0, r, base, has_alias = 0, peer_up = 0;
	vn_err e;

	peer[0] = 0;

	luaL_checktype(L, 2, LUA_TTABLE);
	/* kind and name are copied out: an __index of the options may hand
	 * out strings that the collector frees before they are used */
	if (!(kind = vn_opt_str(L, 2, "link_add", "kind", kindbuf, sizeof kindbuf)))
		return luaL_error(L, "link_add: option 'kind' must be a string, got nil");
	if (!(k = vn_kind_find(kind)))
		return luaL_error(L, "link_add: unknown kind '%s'", kind);
	for (i = 0; common_keys[i]; i++) keys[n++] = common_keys[i];
	n += vn_kind_keys(k, keys + n, 63 - n);
	keys[n] = NULL;
	vn_opts_check(L, 2, "link_add", keys);
	name = vn_opt_str(L, 2, "link_add", "name", namebuf, sizeof namebuf);
	if (!name)
		return luaL_error(L, "link_add: option 'name' is required");
	vn_check_ifname(L, name, "link_add", "name");
	if (k->create && vn_deferred(ns))
		return luaL_error(L, "link_add: a %s device cannot be made inside ns:batch "
				  "(it is made through /dev/net/tun at once, not queued): "
				  "make it before the batch", k->name);

	/* box first, resource second: the box owns l if a parser raises */
	lua_settop(L, 2);
	l = vn_link_guard(L, "link_add");                    /* 3 */
	req = vn_kreq_new(L, k, "link_add");                  /* 4 */
	base = lua_gettop(L);
	r = parse_common(L, 2, ns, l, "link_add", 1, &what, &target);
	if (r == 0 && k->parse)
		r = k->parse(L, 2, ns, req, "link_add", &what);
	if (r < 0)
		return vn_link_fail_ref(L, "link_add", name, 2, what, -r);
	if (rtnl_link_get_ifalias(l)) {
		/* sent as a change once the link exists (without its NUL) */
		snprintf(alias, sizeof alias, "%s", rtnl_link_get_ifalias(l));
		rtnl_link_set_ifalias(l, NULL);
		has_alias = 1;
	}
	if (req->peer_up) {
		peer_up = 1;
		snprintf(peer, sizeof peer, "%s", req->peer);
		/* a peer without netns is made in the caller's */
		pns = req->pns ? req->pns : ns;
	}
	if (vn_deferred(ns)) {
		/* raising drops the whole queue: checked before queueing */
		if (has_alias && target)
			return luaL_error(L, "link_add: 'alias' and 'netns' together "
					  "cannot be queued in a batch");
		if (peer_up && (!*peer || pns->ino != ns->ino))
			return luaL_error(L, "link_add: a veth peer's 'up' can be queued in a "
					  "batch only with the peer's 'name' and in the "
					  "batch's namespace");
	}
	if (k->create) {
		/* tun/tap and the like: made outside RTM_NEWLINK once every option
		 * has been checked, then the common settings applied as a change */
		r = k->create(L, 2, ns, name, "link_add");
		if (r < 0)
			return vn_fail(L, lua_pushfstring(L, "link_add %s", name), -r, NULL);
		r = made_change(ns, name, l, has_alias ? alias : NULL, &e);
		has_alias = 0;   /* sent with the change */
	} else {
		/* the kernel answers with the link it made (NLM_F_ECHO, 6.1 and
		 * later) in the namespace it was made in: no read back. Not for a
		 * link made in another namespace (the echo would be sent there). */
		if (!vn_deferred(ns) && !target) {
			echo = vn_list_new(L);        /* before msg: may raise */
			echo->rkeep = keep_any;
			echo->rcopy = lk_copy;
		}
		r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
		if (r == 0 && vn_kind_put(msg, k, req) < 0)
			r = -NLE_NOMEM;
		r = r < 0 ? (vn_err_set(&e, EINVAL, NULL), -EINVAL)
			  : vn_req(ns, nlmsg_hdr(msg), VN_ECHO, echo, &e);
	}
	nlmsg_free(msg);
	if (r == 0 && vn_deferred(ns)) {
		/* the next steps, addressed by name, run only if the kernel takes
		 * the creation (else they would change an older link) */
		if (has_alias) {
			vn_batch_then(ns);
			if (set_alias(ns, 0, name, alias, &e) < 0)
				return vn_push_err(L, lua_pushfstring(L, "link_add %s", name),
						   &e, NULL);
		}
		if (peer_up) {
			vn_batch_then(ns);
			if (set_up(ns, 0, peer, 1, &e) < 0)
				return vn_push_err(L, lua_pushfstring(L, "link_add %s", name),
						   &e, NULL);
		}
		lua_pushboolean(L, 1);
		return 1;
	}
	if (r < 0) {
		if (k->create)
			delete_link(ns, 0, name, NULL);  /* the device was made above */
		return vn_push_err(L, lua_pushfstring(L, "link_add %s", name), &e, link_opts);
	}
	where = target ? target : ns;
	if (echo && echo->n) {
		/* the echo: the link as made. The kernel sends it before it
		 * enslaves the link to a master; that and what the next steps
		 * change are read when a field is (the box is stale) */
		size_t len;
		const unsigned char *p = (const unsigned char *)vn_list_first(echo, &len);
		lk_box v;
		memset(&v, 0, sizeof v);
		v.m = (unsigned char *)p;
		v.len = (uint32_t)len;
		lk_scan(v.m, len, v.at);
		if (has_alias || peer_up) {
			const char *step = "";
			if (finish_steps(ns, pns, IFH(&v)->ifi_index, (int)lk_u32(&v, S_LINK),
					 has_alias ? alias : NULL, peer_up, &step, &e) < 0)
				return vn_push_err(L, lua_pushfstring(L, "link_add %s: %s",
								      name, step), &e, NULL);
		}
		lk_push(L, p, len, 1);
		LB(lua_touserdata(L, -1))->stale = has_alias || peer_up ||
						     rtnl_link_get_master(l) > 0;
		vn_list_drop(L, echo);
		return 1;
	}
	if (has_alias || peer_up) {
		const char *step = "reading it back";
		if (finish_link(where, pns, name, has_alias ? alias : NULL, peer_up,
				&step, &e) < 0)
			return vn_push_err(L, lua_pushfstring(L, "link_add %s: %s", name, step),
					   &e, NULL);
	}
	/* read it back where it now lives */
	r = fetch_link(L, where, 0, name, target ? base + 1 : 1, 0, &e);
	if (r < 0)
		return vn_push_err(L, lua_pushfstring(L, "link_add %s: reading it back", name),
				   &e, NULL);
	return 1;
}

/* The options of set{} restore_link looks at, as bits. */
enum { G_NAME = 1, G_MTU = 2, G_TXQLEN = 4, G_GROUP = 8, G_ADDRESS = 16,
       G_BROADCAST = 32, G_MASTER = 64, G_UP = 128, G_ARP = 256, G_PROMISC = 512,
       G_ALIAS = 1024, G_GSO = 2048,
       G_FRESH = 1 << 30 /* not an option: set built against a fresh link */ };

static unsigned given_keys(lua_State *L, int idx)
{
	static const char *const k[] = { "name", "mtu", "txqlen", "group", "address",
		"broadcast", "master", "up", "arp", "promisc", "alias", "gso_max_size", NULL };
	unsigned g = 0;
	int i;
	for (i = 0; k[i]; i++) {
		lua_getfield(L, idx, k[i]);
		if (!lua_isnil(L, -1))
			g |= 1u << i;
		lua_pop(L, 1);
	}
	return g;
}

/* Whether the hardware address attribute of slot s of b differs from a. */
static int lladdr_differs(const lk_box *b, int s, struct nl_addr *a)
{
	const struct nlattr *x = lk_attr(b, s);
	if (!a)
		return 0;
	return !x || (unsigned)nla_len(x) != nl_addr_get_len(a) ||
	       memcmp(nla_data(x), nl_addr_get_binary_addr(a), nl_addr_get_len(a));
}

/* After a refused change: the kernel applies a change's attributes one at
 * a time and keeps those applied before the one it refused (a new mtu
 * before a refused name, a "down" sent ahead of it). Puts back, as one
 * change, the settings of orig (the link before) among those given (G_*
 * bits) that now differ. Calls no Lua (so cannot be cut short by a raise).
 * Best effort: the refusal is reported whatever happens here. */
static void restore_link(vn_ns *ns, struct rtnl_link *orig, unsigned given)
{
	int ifindex = rtnl_link_get_ifindex(orig), any = 0;
	struct nl_msg *msg = NULL;
	struct ifinfomsg ifi;
	unsigned of = rtnl_link_get_flags(orig), nf, ch = 0;
	const char *s, *t;
	vn_list l;
	lk_box b;

	if (fetch_raw(ns, ifindex, NULL, &l, &b, NULL) < 0)
		goto out;
	nf = IFH(&b)->ifi_flags;
	if (given & G_UP) ch |= IFF_UP;
	if (given & G_ARP) ch |= IFF_NOARP;
	if (given & G_PROMISC) ch |= IFF_PROMISC;
	ch &= of ^ nf;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = of & ch;
	ifi.ifi_change = ch;
	any = ch != 0;
	if (!(msg = nlmsg_alloc_simple(RTM_SETLINK, 0)) ||
	    nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
		goto out;
#define PUT(cond, put) if (cond) { if ((put) < 0) goto out; any = 1; }
	s = rtnl_link_get_name(orig);
	PUT((given & G_NAME) && s && (!lk_attr(&b, S_IFNAME) ||
	    strncmp(s, (const char *)nla_data(lk_attr(&b, S_IFNAME)),
		    (size_t)nla_len(lk_attr(&b, S_IFNAME)))),
	    nla_put_string(msg, IFLA_IFNAME, s));
	PUT((given & G_MTU) && lk_u32(&b, S_MTU) != rtnl_link_get_mtu(orig),
	    nla_put_u32(msg, IFLA_MTU, rtnl_link_get_mtu(orig)));
	PUT((given & G_TXQLEN) && lk_u32(&b, S_TXQLEN) != rtnl_link_get_txqlen(orig),
	    nla_put_u32(msg, IFLA_TXQLEN, rtnl_link_get_txqlen(orig)));
	PUT(given & G_GROUP, nla_put_u32(msg, IFLA_GROUP, rtnl_link_get_group(orig)));
	PUT((given & G_ADDRESS) && lladdr_differs(&b, S_ADDRESS, rtnl_link_get_addr(orig)),
	    nla_put_addr(msg, IFLA_ADDRESS, rtnl_link_get_addr(orig)));
	PUT((given & G_BROADCAST) &&
	    lladdr_differs(&b, S_BROADCAST, rtnl_link_get_broadcast(orig)),
	    nla_put_addr(msg, IFLA_BROADCAST, rtnl_link_get_broadcast(orig)));
	PUT((given & G_MASTER) && lk_u32(&b, S_MASTER) != (uint32_t)rtnl_link_get_master(orig),
	    nla_put_u32(msg, IFLA_MASTER, (uint32_t)rtnl_link_get_master(orig)));
	s = rtnl_link_get_ifalias(orig) ? rtnl_link_get_ifalias(orig) : "";
	t = lk_attr(&b, S_IFALIAS) ? (const char *)nla_data(lk_attr(&b, S_IFALIAS)) : "";
	PUT((given & G_ALIAS) && strncmp(s, t, lk_attr(&b, S_IFALIAS) ?
					 (size_t)nla_len(lk_attr(&b, S_IFALIAS)) : 1),
	    put_alias(msg, s));
	{
		uint32_t gso;
		PUT((given & G_GSO) && rtnl_link_get_gso_max_size(orig, &gso) == 0,
		    nla_put_u32(msg, IFLA_GSO_MAX_SIZE, gso));
	}
#undef PUT
	if (any)
		vn_req(ns, nlmsg_hdr(msg), 0, NULL, NULL);
out:
	nlmsg_free(msg);
	vn_list_free(&l);
}

/* link:set{ up, mtu, name, address, master, netns, txqlen, alias, ... }
 * -> link | nil, msg, errname. A refused change is undone. The link is
 * marked stale (read again when a field is read); one moved to another
 * namespace is read there at once and follows. */
static int m_set(lua_State *L)
{
	lk_box *b = lk_check(L, 1);
	struct rtnl_link *orig, *chg;
	vn_ns *ns, *target = NULL, *where;
	const char *what = NULL, *keys[64];
	struct nl_msg *msg = NULL;
	char alias[256];
	int i, n = 0, r, base, has_alias = 0, down = 0, has_gso;
	lua_Integer gso = 0;
	unsigned given;
	vn_err e;

	luaL_checktype(L, 2, LUA_TTABLE);
	for (i = 0; common_keys[i]; i++)
		if (strcmp(common_keys[i], "kind") && strcmp(common_keys[i], "numtxqueues") &&
		    strcmp(common_keys[i], "numrxqueues"))
			keys[n++] = common_keys[i];
	keys[n++] = "gso_max_size";
	keys[n] = NULL;
	vn_opts_check(L, 2, "set", keys);
	/* any u32: the kernel says which it takes */
	has_gso = vn_opt_int(L, 2, "set", "gso_max_size", 0, 0xffffffffLL, &gso);
	/* The change is built against the link as it is now (a stale box is
	 * read again), except for `up` alone: only the index is used, and a
	 * refused up/down changes nothing to undo. (A move reads the link in
	 * its new namespace by name: the name must be the current one.) */
	given = given_keys(L, 2);
	lua_getfield(L, 2, "netns");
	if (given != G_UP || !lua_isnil(L, -1))
		given |= G_FRESH;
	lua_pop(L, 1);
	if (given & G_FRESH)
		lk_fresh(L, 1);
	orig = lk_obj(L, b);
	lua_settop(L, 2);
	ns = vn_box_ns(L, 1);                               /* 3: ns */
	chg = vn_link_guard(L, "set");                /* 4: guard */
	base = lua_gettop(L);
	r = parse_common(L, 2, ns, chg, "set", 0, &what, &target);
	if (r < 0)
		return vn_link_fail_ref(L, "set", rtnl_link_get_name(orig), 2, what, -r);
	if (target && vn_deferred(ns))
		/* the object could not follow a move that is only queued */
		return luaL_error(L, "set: 'netns' cannot be queued in ns:batch (the "
				  "link object cannot follow a queued move): move it "
				  "outside the batch");
	/* from here on nothing may raise */
	if (rtnl_link_get_ifalias(chg)) {
		/* put by hand, without the NUL libnl would add */
		snprintf(alias, sizeof alias, "%s", rtnl_link_get_ifalias(chg));
		rtnl_link_set_ifalias(chg, NULL);
		has_alias = 1;
	}
	/* the kernel applies a new name before new flags, and kernels before
	 * 6.2 rename no link that is up: a set{} that takes the link down and
	 * renames it sends the "down" first (and brings the link back up if
	 * the rest is refused) */
	if (rtnl_link_get_name(chg) && (rtnl_link_get_flags(orig) & IFF_UP) &&
	    !(rtnl_link_get_flags(chg) & IFF_UP)) {
		down = (given & G_UP) != 0;
		if (down && set_up(ns, rtnl_link_get_ifindex(orig), NULL, 0, &e) < 0)
			return vn_push_err(L, lua_pushfstring(L, "set %s",
							      rtnl_link_get_name(orig)), &e, NULL);
		if (down)
			vn_batch_then(ns);  /* the rest: one call, after the "down" */
	}
	r = rtnl_link_build_change_request(orig, chg, 0, &msg);
	if (r == 0 && has_alias && put_alias(msg, alias) < 0)
		r = -NLE_NOMEM;
	if (r == 0 && has_gso && nla_put_u32(msg, IFLA_GSO_MAX_SIZE, (uint32_t)gso) < 0)
		r = -NLE_NOMEM;
	if (r < 0) {
		nlmsg_free(msg);
		vn_err_set(&e, ENOMEM, NULL);
		if (down && !vn_deferred(ns))
			restore_link(ns, orig, given);
		return vn_push_err(L, lua_pushfstring(L, "set %s", rtnl_link_get_name(orig)),
				   &e, NULL);
	}
	r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (r < 0) {
		if (!vn_deferred(ns) && (given & G_FRESH))
			restore_link(ns, orig, given);
		return vn_push_err(L, lua_pushfstring(L, "set %s", rtnl_link_get_name(orig)),
				   &e, link_opts);
	}
	if (vn_deferred(ns)) {
		b->stale = 2;   /* queued: read again once the batch has been sent */
		lua_pushboolean(L, 1);
		return 1;
	}
	if (!target) {
		b->stale = 1;   /* read again by index when a field is read */
		lua_settop(L, 1);
		return 1;
	}
	/* moved: read it in its new namespace (by name: its index there may
	 * differ) and follow it there */
	where = target;
	r = fetch_link(L, where, 0, rtnl_link_get_name(chg) ? rtnl_link_get_name(chg)
					     : rtnl_link_get_name(orig), 0, 1, &e);
	if (r < 0)
		return vn_push_err(L, lua_pushfstring(L, "set %s: reading it back",
						      rtnl_link_get_name(orig)), &e, NULL);
	vn_box_setns(L, 1, base + 1);
	lua_settop(L, 1);
	return 1;
}

/* link:refresh() -> link (read again from the kernel), link:delete() ->
 * true; either | nil, msg, errname */
static int refresh_or_delete(lua_State *L, int del)
{
	int ifindex = vn_link_ifindex(L, 1);
	vn_ns *ns = vn_box_ns(L, 1);
	vn_err e;
	if ((del ? delete_link(ns, ifindex, NULL, &e)
		 : fetch_link(L, ns, ifindex, NULL, 0, 1, &e)) < 0) {
		vn_link_desc(L, 1);
		return vn_push_err(L, lua_pushfstring(L, "%s %s", del ? "delete" : "refresh",
						      lua_tostring(L, -1)), &e, NULL);
	}
	if (del)
		lua_pushboolean(L, 1);
	else
		lua_settop(L, 1);
	return 1;
}

static int m_refresh(lua_State *L)
{
	return refresh_or_delete(L, 0);
}

static int m_delete(lua_State *L)
{
	return refresh_or_delete(L, 1);
}

static int m_tostring(lua_State *L)
{
	lk_box *b = (lk_box *)luaL_checkudata(L, 1, VN_LINK);
	lk_fresh(L, 1);
	f_name(L, b);
	f_kind(L, b);
	lua_pushfstring(L, "vnet.link: %s (%s, index %d, %s, mtu %d)",
			lua_isnil(L, -2) ? "?" : lua_tostring(L, -2),
			lua_tostring(L, -1), IFH(b)->ifi_index,
			(IFH(b)->ifi_flags & IFF_UP) ? "up" : "down", (int)lk_u32(b, S_MTU));
	return 1;
}

static const luaL_Reg link_methods[] = {
	{ "set", m_set }, { "delete", m_delete }, { "refresh", m_refresh },
	{ NULL, NULL }
};

static const vn_type link_type = {
	.name = VN_LINK, .methods = link_methods, .fields = link_fields,
	.tostring = m_tostring, .live = lk_live, .release = lk_release, .same = lk_same,
	.gc = 1, .fresh = lk_fresh
};

static const luaL_Reg ns_methods[] = {
	{ "link", ns_link }, { "links", ns_links }, { "link_add", ns_link_add },
	{ NULL, NULL }
};

void vn_open_link(lua_State *L)
{
	vn_type_register(L, &link_type);
	vn_netns_methods(L, ns_methods);
	vn_open_kinds(L);
}
