/*
 * addr.c - address objects: add, replace, delete and list IPv4/IPv6
 * addresses, on the namespace handle (ns:addr_add{...}) and on links
 * (link:addr_add("10.0.0.1/24")).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "link.h"

#define VN_ADDR "vnet.addr"
#define A_(o) ((struct rtnl_addr *)(o))
#define FOREVER 0xffffffffU

#ifndef IFA_RT_PRIORITY
#define IFA_RT_PRIORITY 9
#endif
#ifndef IFA_F_MANAGETEMPADDR
#define IFA_F_MANAGETEMPADDR 0x100
#endif
#ifndef IFA_F_NOPREFIXROUTE
#define IFA_F_NOPREFIXROUTE 0x200
#endif
#ifndef IFA_F_MCAUTOJOIN
#define IFA_F_MCAUTOJOIN 0x400
#endif
#ifndef IFA_F_STABLE_PRIVACY
#define IFA_F_STABLE_PRIVACY 0x800
#endif

/* ---- names ------------------------------------------------------------ */
/* Address flags as iproute2 names them; settable ones may be given to add. */
static const struct { const char *name; unsigned f; int settable; } aflags[] = {
	{ "secondary", IFA_F_SECONDARY, 0 }, { "nodad", IFA_F_NODAD, 1 },
	{ "optimistic", IFA_F_OPTIMISTIC, 1 }, { "dadfailed", IFA_F_DADFAILED, 0 },
	{ "home", IFA_F_HOMEADDRESS, 1 }, { "deprecated", IFA_F_DEPRECATED, 0 },
	{ "tentative", IFA_F_TENTATIVE, 0 }, { "permanent", IFA_F_PERMANENT, 0 },
	{ "mngtmpaddr", IFA_F_MANAGETEMPADDR, 1 },
	{ "noprefixroute", IFA_F_NOPREFIXROUTE, 1 },
	{ "autojoin", IFA_F_MCAUTOJOIN, 1 },
	{ "stable-privacy", IFA_F_STABLE_PRIVACY, 0 }, { NULL, 0, 0 }
};

static unsigned flag_by_name(lua_State *L, const char *fn, const char *s)
{
	int i;
	for (i = 0; aflags[i].name; i++)
		if (aflags[i].settable && !strcmp(aflags[i].name, s))
			return aflags[i].f;
	if (!strcmp(s, "homeaddress"))
		return IFA_F_HOMEADDRESS;
	return (unsigned)luaL_error(L, "%s: option 'flags': unknown flag '%s' (expected "
		"'nodad', 'optimistic', 'home', 'mngtmpaddr', 'noprefixroute' or "
		"'autojoin')", fn, s);
}

/* Option 'flags': a list of names, or a set { nodad = true }. */
static unsigned opt_flags(lua_State *L, int idx, const char *fn)
{
	unsigned f = 0;
	int t;
	lua_getfield(L, idx, "flags");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		f = flag_by_name(L, fn, vn_check_str(L, -1, fn, "option 'flags'", 0));
		lua_pop(L, 1);
		return f;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: option 'flags' must be a list of flag names, got %s",
			   fn, luaL_typename(L, -1));
	t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {                     /* flags, k, v */
		if (lua_type(L, -2) == LUA_TNUMBER && lua_type(L, -1) == LUA_TSTRING) {
			f |= flag_by_name(L, fn, vn_check_str(L, -1, fn, "option 'flags'", 0));
		} else if (lua_type(L, -2) == LUA_TSTRING && lua_isboolean(L, -1)) {
			unsigned b = flag_by_name(L, fn, vn_check_str(L, -2, fn,
							"option 'flags'", 0));
			if (lua_toboolean(L, -1))
				f |= b;
		} else {
			luaL_error(L, "%s: option 'flags' must be a list of flag names", fn);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return f;
}

/* A lifetime option: seconds (0..2^32-1) or "forever". */
static int opt_lft(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out)
{
	lua_Integer n;
	lua_getfield(L, idx, key);
	if (lua_type(L, -1) == LUA_TSTRING) {
		int v = lua_gettop(L);
		if (strcmp(vn_check_str(L, v, fn, lua_pushfstring(L, "option '%s'", key), 0),
			   "forever"))
			luaL_error(L, "%s: option '%s' must be seconds or 'forever', got '%s'",
				   fn, key, lua_tostring(L, v));
		lua_pop(L, 2);
		*out = FOREVER;
		return 1;
	}
	lua_pop(L, 1);
	if (!vn_opt_int(L, idx, fn, key, 0, 0xffffffffLL, &n))
		return 0;
	*out = (uint32_t)n;
	return 1;
}

/* ---- address objects ------------------------------------------------- */
/* An addr box (a vn_msgbox) holds the address as the kernel sent it
 * (RTM_NEWADDR: its ifaddrmsg and attributes); fields are read from those
 * bytes, and addr:delete() sends them back as RTM_DELADDR (as `ip addr
 * flush` does). */
typedef vn_msgbox ad_box;

/* The attributes fields read. As iproute2 and libnl read them: the local
 * address is IFA_LOCAL, or IFA_ADDRESS without one; IFA_ADDRESS is the
 * peer when it differs from IFA_LOCAL. */
typedef struct ad_view {
	const struct ifaddrmsg *h;
	const struct rtattr *local, *peer, *label, *bcast, *cache, *flags;
} ad_view;

#define AB(o) ((ad_box *)(o))

static int same_bytes(const struct rtattr *a, const struct rtattr *b)
{
	return RTA_PAYLOAD(a) == RTA_PAYLOAD(b) &&
	       !memcmp(RTA_DATA(a), RTA_DATA(b), RTA_PAYLOAD(a));
}

static void ad_parse(ad_view *v, const void *m, size_t len)
{
	const struct rtattr *a, *addr = NULL;
	unsigned int left;
	memset(v, 0, sizeof *v);
	v->h = (const struct ifaddrmsg *)m;
	if (len < NLMSG_ALIGN(sizeof(struct ifaddrmsg)))
		return;
	left = (unsigned int)(len - NLMSG_ALIGN(sizeof(struct ifaddrmsg)));
	a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(struct ifaddrmsg)));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		switch (a->rta_type) {
		case IFA_LOCAL: v->local = a; break;
		case IFA_ADDRESS: addr = a; break;
		case IFA_LABEL: v->label = a; break;
		case IFA_BROADCAST: v->bcast = a; break;
		case IFA_CACHEINFO: v->cache = a; break;
		case IFA_FLAGS: v->flags = a; break;
		}
	}
	if (!v->local)
		v->local = addr;
	else if (addr && !same_bytes(addr, v->local))
		v->peer = addr;
}

#define VIEW(v, o) ad_view v; ad_parse(&v, AB(o)->m, AB(o)->len)

static void push_attr_ip(lua_State *L, const ad_view *v, const struct rtattr *a, int plen)
{
	if (a)
		vn_push_ip(L, v->h->ifa_family, RTA_DATA(a), RTA_PAYLOAD(a), plen);
	else
		lua_pushnil(L);
}

static uint32_t ad_flags(const ad_view *v)
{
	uint32_t f = v->h->ifa_flags;
	if (v->flags && RTA_PAYLOAD(v->flags) >= sizeof f)
		memcpy(&f, RTA_DATA(v->flags), sizeof f);
	return f;
}

/* ---- fields ------------------------------------------------------------ */
static void f_address(lua_State *L, void *o)
{
	VIEW(v, o);
	push_attr_ip(L, &v, v.local, -1);
}
static void f_prefixlen(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushinteger(L, v.h->ifa_prefixlen);
}
static void f_cidr(lua_State *L, void *o)
{
	VIEW(v, o);
	push_attr_ip(L, &v, v.local, v.h->ifa_prefixlen);
}
static void f_family(lua_State *L, void *o)
{
	VIEW(v, o);
	vn_push_family(L, v.h->ifa_family);
}
static void f_dev(lua_State *L, void *o)
{
	VIEW(v, o);
	lua_pushinteger(L, (lua_Integer)v.h->ifa_index);
}
static void f_label(lua_State *L, void *o)
{
	VIEW(v, o);
	if (v.label && RTA_PAYLOAD(v.label) > 0 && *(const char *)RTA_DATA(v.label))
		lua_pushlstring(L, (const char *)RTA_DATA(v.label),
				strnlen((const char *)RTA_DATA(v.label), RTA_PAYLOAD(v.label)));
	else
		lua_pushnil(L);
}
static void f_scope(lua_State *L, void *o)
{
	VIEW(v, o);
	vn_push_scope(L, v.h->ifa_scope);
}
static void f_peer(lua_State *L, void *o)
{
	VIEW(v, o);
	push_attr_ip(L, &v, v.peer, -1);
}
static void f_broadcast(lua_State *L, void *o)
{
	VIEW(v, o);
	push_attr_ip(L, &v, v.bcast, -1);
}
static void f_flags(lua_State *L, void *o)
{
	VIEW(v, o);
	uint32_t f = ad_flags(&v);
	int i;
	lua_newtable(L);
	for (i = 0; aflags[i].name; i++)
		if (f & aflags[i].f) {
			/* iproute2 calls 0x01 "temporary" on IPv6 */
			const char *n = aflags[i].f == IFA_F_SECONDARY &&
				v.h->ifa_family == AF_INET6 ? "temporary" : aflags[i].name;
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, n);
		}
}
/* a lifetime of IFA_CACHEINFO (0 without one) */
static void push_lft(lua_State *L, const ad_view *v, int valid)
{
	struct ifa_cacheinfo ci;
	uint32_t t = 0;
	if (v->cache && RTA_PAYLOAD(v->cache) >= sizeof ci) {
		memcpy(&ci, RTA_DATA(v->cache), sizeof ci);
		t = valid ? ci.ifa_valid : ci.ifa_prefered;
	}
	if (t == FOREVER) lua_pushliteral(L, "forever");
	else lua_pushinteger(L, (lua_Integer)t);
}
static void f_valid_lft(lua_State *L, void *o)
{
	VIEW(v, o);
	push_lft(L, &v, 1);
}
static void f_preferred_lft(lua_State *L, void *o)
{
	VIEW(v, o);
	push_lft(L, &v, 0);
}

static const vn_field addr_fields[] = {
	{ "address", f_address }, { "prefixlen", f_prefixlen }, { "cidr", f_cidr },
	{ "family", f_family }, { "dev", f_dev }, { "label", f_label },
	{ "scope", f_scope }, { "peer", f_peer }, { "broadcast", f_broadcast },
	{ "flags", f_flags }, { "valid_lft", f_valid_lft },
	{ "preferred_lft", f_preferred_lft }, { NULL, NULL }
};

static void ad_push(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_msgbox_push(L, VN_ADDR, p, len, nsidx);
}

static int same_opt(const struct rtattr *a, const struct rtattr *b)
{
	return a && b ? same_bytes(a, b) : !a && !b;
}

/* __eq's identity: family, device, prefix length, local and peer */
static int ad_same(const void *x, const void *y)
{
	ad_view a, b;
	ad_parse(&a, AB(x)->m, AB(x)->len);
	ad_parse(&b, AB(y)->m, AB(y)->len);
	return a.h->ifa_family == b.h->ifa_family && a.h->ifa_index == b.h->ifa_index &&
	       a.h->ifa_prefixlen == b.h->ifa_prefixlen &&
	       same_opt(a.local, b.local) && same_opt(a.peer, b.peer);
}

/* ---- helpers ------------------------------------------------------------ */
/* Pushes a guard owning a new rtnl_addr that a request is built in. */
static struct rtnl_addr *push_new_addr(lua_State *L, const char *fn)
{
	struct nl_object **o = vn_guard(L);
	if (!(*o = (struct nl_object *)rtnl_addr_alloc()))
		luaL_error(L, "%s: out of memory", fn);
	return A_(*o);
}

struct addr_filter {
	int ifindex;                 /* 0: any */
	int family;                  /* AF_UNSPEC: inet and inet6 */
	struct nl_addr *local;       /* NULL: any */
	int prefixlen;               /* -1: any */
};

static int keep_addr(const struct nlmsghdr *h, void *arg)
{
	struct addr_filter *f = (struct addr_filter *)arg;
	ad_view v;
	int fam;
	if (h->nlmsg_type != RTM_NEWADDR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	ad_parse(&v, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
	fam = v.h->ifa_family;
	if (f->family ? fam != f->family : (fam != AF_INET && fam != AF_INET6))
		return 0;
	if (f->ifindex && (int)v.h->ifa_index != f->ifindex)
		return 0;
	if (f->local && (!v.local || RTA_PAYLOAD(v.local) != nl_addr_get_len(f->local) ||
			 memcmp(RTA_DATA(v.local), nl_addr_get_binary_addr(f->local),
				RTA_PAYLOAD(v.local))))
		return 0;
	if (f->prefixlen >= 0 && v.h->ifa_prefixlen != f->prefixlen)
		return 0;
	return 1;
}

/* Dumps the addresses of ns that pass f into the raw list l. 0 or -errno. */
static int dump_addrs(vn_ns *ns, struct addr_filter *f, vn_list *l, vn_err *e)
{
	struct { struct nlmsghdr h; struct ifaddrmsg ifa; } q = {
		{ .nlmsg_len = sizeof q, .nlmsg_type = RTM_GETADDR },
		{ .ifa_family = (unsigned char)f->family, .ifa_index = (unsigned)f->ifindex } };
	*l = (vn_list){ .rkeep = keep_addr, .arg = f };
	return vn_req(ns, &q.h, VN_DUMP, l, e);
}

/* The options of addr_add and its kin, by the attribute each one makes
 * (for errors where the kernel points at one). */
static const vn_optname addr_opts[] = {
	{ IFA_LOCAL, "address" }, { IFA_ADDRESS, "peer" }, { IFA_BROADCAST, "broadcast" },
	{ IFA_LABEL, "label" }, { IFA_CACHEINFO, "valid_lft" }, { IFA_FLAGS, "flags" },
	{ IFA_RT_PRIORITY, "metric" }, { 0, NULL }
};

/* Raises unless the options table has no positional values. */
static void no_positional(lua_State *L, int idx, const char *fn)
{
	if (lua_rawlen(L, idx) > 0)
		luaL_error(L, "%s: options must be named (e.g. address = ...), not positional", fn);
}

/* Parses the address string at aidx into a (family, local, prefixlen).
 * Returns 1 when it carried an explicit prefix length. */
static int parse_local(lua_State *L, int aidx, struct rtnl_addr *a, const char *fn,
		       const char *what)
{
	struct nl_addr *x = vn_check_addr(L, aidx, fn, what, AF_UNSPEC);
	int fam = nl_addr_get_family(x), r;
	if ((fam != AF_INET && fam != AF_INET6) || nl_addr_get_len(x) == 0) {
		nl_addr_put(x);
		luaL_error(L, "%s: %s '%s' is not a valid address", fn, what,
			   lua_tostring(L, aidx));
	}
	r = rtnl_addr_set_local(a, x);
	rtnl_addr_set_prefixlen(a, nl_addr_get_prefixlen(x));
	nl_addr_put(x);
	if (r < 0)
		luaL_error(L, "%s: %s '%s': %s", fn, what, lua_tostring(L, aidx),
			   nl_geterror(r));
	return strchr(lua_tostring(L, aidx), '/') != NULL;
}

/* An IPv6 peer: libnl keeps peers for IPv4 only, so its bytes are patched
 * into the request's IFA_ADDRESS after libnl built it. */
struct peer6 {
	int set;
	unsigned char b[16];
};

/* Reads option 'peer' of table idx into a (the prefix length becomes the
 * peer's); returns 1 if given. */
static int parse_peer(lua_State *L, int idx, struct rtnl_addr *a, const char *fn,
		      struct peer6 *p6)
{
	struct nl_addr *p = vn_opt_addr(L, idx, fn, "peer", rtnl_addr_get_family(a));
	int r = 0;
	if (!p)
		return 0;
	if (nl_addr_get_len(p) == 0) {
		nl_addr_put(p);
		lua_getfield(L, idx, "peer");
		luaL_error(L, "%s: option 'peer' '%s' is not a valid address", fn,
			   lua_tostring(L, -1));
	}
	if (nl_addr_get_family(p) == AF_INET6) {
		p6->set = 1;
		memcpy(p6->b, nl_addr_get_binary_addr(p), 16);
	} else {
		r = rtnl_addr_set_peer(a, p);
	}
	if (r == 0)
		rtnl_addr_set_prefixlen(a, nl_addr_get_prefixlen(p));
	nl_addr_put(p);
	if (r < 0)
		luaL_error(L, "%s: option 'peer': %s", fn, nl_geterror(r));
	return 1;
}

/* Fills the optional settings of a new address from the table at idx. */
static void parse_add(lua_State *L, int idx, struct rtnl_addr *a, const char *fn,
		      int explicit_prefix, uint32_t *metric, int *has_metric,
		      struct peer6 *p6)
{
	int fam = rtnl_addr_get_family(a), scope = 0, r;
	uint32_t valid = FOREVER, pref = FOREVER;
	int has_valid, has_pref;
	const char *s;
	char label[IFNAMSIZ];
	lua_Integer n;
	unsigned fl;

	if (parse_peer(L, idx, a, fn, p6) && explicit_prefix)
		luaL_error(L, "%s: with option 'peer', give the prefix length on the peer "
			   "(e.g. peer = '10.0.0.2/24'), not on the address", fn);

	lua_getfield(L, idx, "broadcast");
	if (lua_type(L, -1) == LUA_TBOOLEAN || lua_type(L, -1) == LUA_TSTRING) {
		struct nl_addr *b = NULL;
		if (fam != AF_INET)
			luaL_error(L, "%s: option 'broadcast' is for IPv4 addresses only", fn);
		if (lua_type(L, -1) == LUA_TSTRING) {
			b = vn_check_addr(L, -1, fn, "option 'broadcast'", AF_INET);
		} else if (lua_toboolean(L, -1) && rtnl_addr_get_prefixlen(a) <= 30) {
			/* like `ip addr add ... brd +`: the host part all ones */
			uint32_t ip, mask;
			int plen = rtnl_addr_get_prefixlen(a);
			memcpy(&ip, nl_addr_get_binary_addr(rtnl_addr_get_local(a)), 4);
			mask = plen ? htonl(0xffffffffU << (32 - plen)) : 0;
			ip |= ~mask;
			b = nl_addr_build(AF_INET, &ip, 4);
			if (!b)
				luaL_error(L, "%s: out of memory", fn);
		}
		if (b) {
			r = rtnl_addr_set_broadcast(a, b);
			nl_addr_put(b);
			if (r < 0)
				luaL_error(L, "%s: option 'broadcast': %s", fn, nl_geterror(r));
		}
	} else if (!lua_isnil(L, -1)) {
		luaL_error(L, "%s: option 'broadcast' must be an address or true, got %s",
			   fn, luaL_typename(L, -1));
	}
	lua_pop(L, 1);

	if ((s = vn_opt_str(L, idx, fn, "label", label, sizeof label))) {
		if (fam != AF_INET)
			luaL_error(L, "%s: option 'label' is for IPv4 addresses only", fn);
		if (!*s)
			luaL_error(L, "%s: option 'label' may not be empty", fn);
		rtnl_addr_set_label(a, s);
	}
	if (vn_opt_u8name(L, idx, fn, "scope", "rt_scopes", &scope))
		rtnl_addr_set_scope(a, scope);
	if ((fl = opt_flags(L, idx, fn)))
		rtnl_addr_set_flags(a, fl);
	has_valid = opt_lft(L, idx, fn, "valid_lft", &valid);
	has_pref = opt_lft(L, idx, fn, "preferred_lft", &pref);
	if (has_valid && !has_pref)
		pref = valid;
	if (has_valid || has_pref) {
		if (pref > valid)
			luaL_error(L, "%s: option 'preferred_lft' may not be longer than "
				   "'valid_lft'", fn);
		rtnl_addr_set_valid_lifetime(a, valid);
		rtnl_addr_set_preferred_lifetime(a, pref);
	}
	*has_metric = vn_opt_int(L, idx, fn, "metric", 0, 0xffffffffLL, &n);
	if (*has_metric)
		*metric = (uint32_t)n;
}

/* ---- add / replace ------------------------------------------------------ */
static const char *const add_keys[] = { "dev", "address", "peer", "broadcast",
	"label", "scope", "flags", "valid_lft", "preferred_lft", "metric", NULL };
static const char *const link_add_keys[] = { "peer", "broadcast", "label",
	"scope", "flags", "valid_lft", "preferred_lft", "metric", NULL };

/* The common part of addr_add/addr_replace/link:addr_add. The handle is at
 * nsidx, the options table at optidx, the address string at aidx and the
 * device (link, name or index) at devidx. Pushes the new address object or
 * the failure triple; returns the count. */
static int addr_modify(lua_State *L, vn_ns *ns, int nsidx, int optidx, int aidx,
		       int devidx, const char *fn, const char *awhat, int nlflags)
{
	struct rtnl_addr *a;
	struct nl_msg *msg = NULL;
	struct addr_filter f;
	vn_err e;
	struct peer6 p6 = { 0, { 0 } };
	uint32_t metric = 0;
	int has_metric = 0, explicit_prefix, ifindex, r, what;
	vn_list *l = NULL;

	a = push_new_addr(L, fn);                           /* the request */
	explicit_prefix = parse_local(L, aidx, a, fn, awhat);
	parse_add(L, optidx, a, fn, explicit_prefix, &metric, &has_metric, &p6);
	ifindex = vn_ifindex_at(L, devidx, ns, fn, "option 'dev'");
	vn_push_devdesc(L, devidx);
	lua_pushfstring(L, "%s %s dev %s", fn, lua_tostring(L, aidx), lua_tostring(L, -1));
	what = lua_gettop(L);
	if (ifindex < 0)
		return vn_fail(L, lua_tostring(L, what), ENODEV, NULL);
	rtnl_addr_set_ifindex(a, ifindex);
	f.ifindex = ifindex;
	f.family = rtnl_addr_get_family(a);
	f.local = rtnl_addr_get_local(a);
	f.prefixlen = rtnl_addr_get_prefixlen(a);
	if (!vn_deferred(ns)) {
		/* where the kernel's echo of the address goes (made before msg:
		 * may raise) */
		l = vn_list_new(L);
		l->rkeep = keep_addr;
		l->arg = &f;
	}

	r = rtnl_addr_build_add_request(a, nlflags, &msg);
	if (r == 0 && has_metric && nla_put_u32(msg, IFA_RT_PRIORITY, metric) < 0)
		r = -NLE_NOMEM;
	if (r == 0 && p6.set) {
		struct nlattr *na = nlmsg_find_attr(nlmsg_hdr(msg),
						    sizeof(struct ifaddrmsg), IFA_ADDRESS);
		if (na && nla_len(na) == 16)
			memcpy(nla_data(na), p6.b, 16);
		else
			r = -NLE_MISSING_ATTR;
	}
	if (r < 0 && msg) {
		nlmsg_free(msg);
		msg = NULL;
	}
	if (r < 0)
		return vn_push_nlerr(L, lua_tostring(L, what), r);
	/* the kernel's view (flags, scope, label, lifetimes): its echo
	 * (NLM_F_ECHO), else read back; in a batch the request is queued */
	r = vn_req(ns, nlmsg_hdr(msg), VN_ECHO, l, &e);
	nlmsg_free(msg);
	if (r < 0)
		return vn_push_err(L, lua_tostring(L, what), &e, addr_opts);
	if (!l) {
		lua_pushboolean(L, 1);          /* queued (ns:batch) */
		return 1;
	}
	if (l->n == 0 && dump_addrs(ns, &f, l, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s: reading it back",
						      lua_tostring(L, what)), &e, NULL);
	if (l->n == 0) {
		vn_list_free(l);
		return vn_fail(L, lua_pushfstring(L, "%s: reading it back",
						  lua_tostring(L, what)), ENOENT, NULL);
	}
	{
		size_t len;
		const void *p = vn_list_first(l, &len);
		ad_push(L, p, len, nsidx);
	}
	vn_list_drop(L, l);
	return 1;
}

/***
 * Addresses (`ip addr`): the `ns:addr_*` and `link:addr_*` methods and the
 * `vnet.addr` objects they return.
 *
 * Options of `addr_add` and `addr_replace` (named, in one table):
 *
 *  * `dev` (required): the device, a name or ifindex
 *  * `address` (required): `"10.0.0.1/24"`, `"2001:db8::1/64"`; without a
 *    prefix /32 or /128
 *  * `peer`: the other end of a point-to-point address
 *  * `broadcast`: an address, or `true` to compute it (`brd +`)
 *  * `label`: the IPv4 label (`eth0:1`)
 *  * `scope`: `"global"`, `"site"`, `"link"`, `"host"` or a number
 *  * `flags`: a list like `{ "nodad", "noprefixroute" }`
 *  * `valid_lft`, `preferred_lft`: seconds or `"forever"`
 *  * `metric`: the prefix route's metric
 *
 * Misuse (a bad address, an unknown key) raises naming the option; a
 * refusal by the kernel returns `nil, message, errname`.
 * @module vnet.addr
 */

/*** Adds an address (`ip addr add`).
 * @function ns:addr_add
 * @tparam table opts the options above
 * @return the `vnet.addr` as the kernel reports it, or `nil, message,
 *   errname`
 */
/* ns:addr_add{ dev =, address =, peer =, broadcast =, label =, scope =,
 *   flags =, valid_lft =, preferred_lft =, metric = } -> addr
 *   | nil, msg, errname. Raises on misuse (bad address, unknown key...). */
static int ns_addr_add_flags(lua_State *L, const char *fn, int nlflags)
{
	vn_ns *ns = vn_checkns(L, 1);
	vn_opts_check(L, 2, fn, add_keys);
	no_positional(L, 2, fn);
	lua_settop(L, 2);
	lua_getfield(L, 2, "address");                      /* 3 */
	if (lua_isnil(L, 3))
		return luaL_error(L, "%s: option 'address' is required", fn);
	lua_getfield(L, 2, "dev");                          /* 4 */
	if (lua_isnil(L, 4))
		return luaL_error(L, "%s: option 'dev' is required", fn);
	if (lua_type(L, 3) != LUA_TSTRING)
		return luaL_error(L, "%s: option 'address' must be an address string, got %s",
				  fn, luaL_typename(L, 3));
	return addr_modify(L, ns, 1, 2, 3, 4, fn, "option 'address'", nlflags);
}

/* ns:addr_add and ns:addr_replace (modes: their netlink flags) */
static int ns_addr_set(lua_State *L)
{
	return ns_addr_add_flags(L, VN_MODE_NAME(L), VN_MODE(L));
}

static const vn_mode addr_modes[] = {
	{ "addr_add", NLM_F_CREATE | NLM_F_EXCL }, { "addr_replace", NLM_F_CREATE | NLM_F_REPLACE },
	{ NULL, 0 }
};

/*** Adds an address or updates an existing one (`ip addr replace`).
 * @function ns:addr_replace
 * @tparam table opts the options above
 * @return the address, or `nil, message, errname`
 */

/*** Adds an address to this link.
 * @function link:addr_add
 * @string cidr the address
 * @tparam[opt] table opts the options above but `dev` and `address`
 * @return the address, or `nil, message, errname`
 */
/* link:addr_add(cidr [, opts]) -> addr | nil, msg, errname */
static int link_addr_add(lua_State *L)
{
	vn_ns *ns;
	vn_link_ifindex(L, 1);
	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "addr_add: address must be an address string, got %s",
				  luaL_typename(L, 2));
	if (lua_isnoneornil(L, 3)) {
		lua_settop(L, 2);
		lua_newtable(L);
	} else {
		vn_opts_check(L, 3, "addr_add", link_add_keys);
		no_positional(L, 3, "addr_add");
	}
	lua_settop(L, 3);
	ns = vn_box_ns(L, 1);                               /* 4 */
	return addr_modify(L, ns, 4, 3, 2, 1, "addr_add", "address", NLM_F_CREATE | NLM_F_EXCL);
}

/* ---- delete ------------------------------------------------------------- */
/* Deletes the address described by a (family, local, peer, prefixlen and
 * ifindex set). The description is at the top of the stack. */
static int addr_remove(lua_State *L, vn_ns *ns, struct rtnl_addr *a)
{
	struct nl_msg *msg = NULL;
	int r = rtnl_addr_build_delete_request(a, 0, &msg);
	return vn_req_built(L, ns, r, msg, lua_tostring(L, -1), addr_opts);
}

/* When the address was given without a prefix length (or peer), takes both
 * from the address of that value on the device, like `ip addr del 10.0.0.1
 * dev x` does; when there is none the request goes as it is and the kernel
 * says why. */
static void complete_from_kernel(vn_ns *ns, struct rtnl_addr *a)
{
	struct addr_filter f;
	vn_list l;
	f.ifindex = rtnl_addr_get_ifindex(a);
	f.family = rtnl_addr_get_family(a);
	f.local = rtnl_addr_get_local(a);
	f.prefixlen = -1;
	if (dump_addrs(ns, &f, &l, NULL) < 0)
		return;
	if (l.n > 0) {
		size_t len;
		const void *m = vn_list_first(&l, &len);
		ad_view v;
		ad_parse(&v, m, len);
		if (v.peer) {
			struct nl_addr *p = nl_addr_build(f.family, RTA_DATA(v.peer),
							  RTA_PAYLOAD(v.peer));
			if (p) {
				rtnl_addr_set_peer(a, p);
				nl_addr_put(p);
			}
		}
		rtnl_addr_set_prefixlen(a, v.h->ifa_prefixlen);
	}
	vn_list_free(&l);
}

static int addr_del_common(lua_State *L, vn_ns *ns, int optidx, int aidx, int devidx,
			   const char *fn)
{
	struct rtnl_addr *a = push_new_addr(L, fn);
	int explicit_prefix = parse_local(L, aidx, a, fn,
					  optidx ? "option 'address'" : "address");
	struct peer6 p6 = { 0, { 0 } };
	int has_peer = optidx ? parse_peer(L, optidx, a, fn, &p6) : 0;
	int ifindex = vn_ifindex_at(L, devidx, ns, fn, "option 'dev'");
	vn_push_devdesc(L, devidx);
	lua_pushfstring(L, "%s %s dev %s", fn, lua_tostring(L, aidx), lua_tostring(L, -1));
	if (ifindex < 0)
		return vn_fail(L, lua_tostring(L, -1), ENODEV, NULL);
	rtnl_addr_set_ifindex(a, ifindex);
	if (!explicit_prefix && !has_peer)
		complete_from_kernel(ns, a);
	return addr_remove(L, ns, a);
}

/*** Deletes an address (`ip addr del`); given without a prefix it matches
 * the address on that device.
 * @function ns:addr_del
 * @tparam table opts `dev`, `address` and `peer`
 * @return `true`, or `nil, message, errname`
 */
/* ns:addr_del{ dev =, address = [, peer =] } -> true | nil, msg, errname.
 * An address without a prefix length matches the one on the device. */
static int ns_addr_del(lua_State *L)
{
	static const char *const keys[] = { "dev", "address", "peer", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	vn_opts_check(L, 2, "addr_del", keys);
	no_positional(L, 2, "addr_del");
	lua_settop(L, 2);
	lua_getfield(L, 2, "address");                      /* 3 */
	if (lua_isnil(L, 3))
		return luaL_error(L, "addr_del: option 'address' is required");
	lua_getfield(L, 2, "dev");                          /* 4 */
	if (lua_isnil(L, 4))
		return luaL_error(L, "addr_del: option 'dev' is required");
	return addr_del_common(L, ns, 2, 3, 4, "addr_del");
}

/*** Deletes an address of this link.
 * @function link:addr_del
 * @string cidr the address
 * @return `true`, or `nil, message, errname`
 */
/* link:addr_del(cidr) -> true | nil, msg, errname */
static int link_addr_del(lua_State *L)
{
	vn_ns *ns;
	vn_link_ifindex(L, 1);
	lua_settop(L, 2);
	ns = vn_box_ns(L, 1);                               /* 3 */
	return addr_del_common(L, ns, 0, 2, 1, "addr_del");
}

/*** An address; `tostring` reads like `ip addr`; `==` compares family,
 * device, prefix length, local and peer.
 * @type addr
 */

/*** The fields of a `vnet.addr`.
 * @table fields
 * @field address the address, `"10.0.0.1"`
 * @field prefixlen the prefix length
 * @field cidr `"10.0.0.1/24"`
 * @field family `"inet"` or `"inet6"`
 * @field dev the device's ifindex
 * @field label the label, or nil
 * @field scope the scope
 * @field peer the peer address, or nil
 * @field broadcast the broadcast address, or nil
 * @field flags a set (`nodad`, `permanent`, `tentative`...)
 * @field valid_lft seconds, or `"forever"`
 * @field preferred_lft seconds, or `"forever"`
 */

/*** Deletes the address.
 * @function addr:delete
 * @return `true`, or `nil, message, errname`
 */

/*** The namespace handle the address belongs to.
 * @function addr:ns
 */

/***
 * @section end
 */

/* addr:delete() -> true | nil, msg, errname: the address as the kernel
 * gave it goes back as RTM_DELADDR */
static int m_delete(lua_State *L)
{
	ad_box *b = (ad_box *)vn_check_live(L, 1, VN_ADDR);
	struct nlmsghdr *h;
	vn_ns *ns = vn_box_ns(L, 1);
	vn_err e;
	int r = -ENOMEM;
	if ((h = vn_msg_copy(RTM_DELADDR, b->m, b->len))) {
		r = vn_req(ns, h, 0, NULL, &e);
		free(h);
	} else {
		vn_err_set(&e, ENOMEM, NULL);
	}
	if (r < 0) {
		VIEW(v, b);
		f_cidr(L, b);
		return vn_push_err(L, lua_pushfstring(L, "delete %s dev %d",
				   lua_tostring(L, -1), (int)v.h->ifa_index), &e, NULL);
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- lists ---------------------------------------------------------------- */
static int list_addrs(lua_State *L, vn_ns *ns, int nsidx, int ifindex, int family)
{
	struct addr_filter f;
	vn_list *l;
	vn_err e;
	nsidx = vn_absindex(L, nsidx);
	l = vn_list_new(L);
	f.ifindex = ifindex;
	f.family = family;
	f.local = NULL;
	f.prefixlen = -1;
	return vn_push_dump(L, l, dump_addrs(ns, &f, l, &e), &e, "addrs", ad_push, nsidx);
}

/*** The addresses (`ip addr show`).
 * @function ns:addrs
 * @tparam[opt] table opts `dev`, `family` (`"inet"`, `"inet6"`)
 * @return an iterator over `vnet.addr` objects
 */
/* ns:addrs([{ dev =, family = }]) -> iterator over addr objects */
static int ns_addrs(lua_State *L)
{
	static const char *const keys[] = { "dev", "family", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	int ifindex = 0, family = AF_UNSPEC;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "addrs", keys);
		vn_opt_family(L, 2, "addrs", "family", &family);
		ifindex = vn_opt_ifindex(L, 2, ns, "addrs", "dev");
		if (ifindex < 0) {
			lua_getfield(L, 2, "dev");
			return vn_fail(L, lua_pushfstring(L, "addrs: dev '%s'",
							  lua_tostring(L, -1)), ENODEV, NULL);
		}
	}
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return luaL_error(L, "addrs: option 'family' must be 'inet' or 'inet6'");
	return list_addrs(L, ns, 1, ifindex, family);
}

/*** The addresses of this link.
 * @function link:addrs
 * @tparam[opt] table opts `family`
 * @return an iterator over `vnet.addr` objects
 */
/* link:addrs([{ family = }]) -> iterator over the link's addr objects */
static int link_addrs(lua_State *L)
{
	static const char *const keys[] = { "family", NULL };
	int ifindex = vn_link_ifindex(L, 1), family = AF_UNSPEC;
	vn_ns *ns;
	if (!lua_isnoneornil(L, 2)) {
		vn_opts_check(L, 2, "addrs", keys);
		vn_opt_family(L, 2, "addrs", "family", &family);
	}
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return luaL_error(L, "addrs: option 'family' must be 'inet' or 'inet6'");
	lua_settop(L, 2);
	ns = vn_box_ns(L, 1);                               /* 3 */
	return list_addrs(L, ns, 3, ifindex, family);
}

/* "vnet.addr: 10.1.1.2/16 dev 5", with " peer P/len" for point-to-point */
static void m_summary(lua_State *L, luaL_Buffer *buf, void *o)
{
	VIEW(v, o);
	push_attr_ip(L, &v, v.local, v.peer ? -1 : v.h->ifa_prefixlen);
	luaL_addvalue(buf);
	if (v.peer) {
		push_attr_ip(L, &v, v.peer, v.h->ifa_prefixlen);
		vn_add_word(L, buf, "peer");
	}
	lua_pushinteger(L, (int)v.h->ifa_index);
	vn_add_word(L, buf, "dev");
}

static const vn_type addr_type = {
	VN_MSGBOX(VN_ADDR, addr_fields, m_summary, ad_same, m_delete),
	.modify = ns_addr_set, .modes = addr_modes,
	.ns_methods = (const luaL_Reg[]){
		{ "addr_del", ns_addr_del }, { "addrs", ns_addrs }, { NULL, NULL } },
	.link_methods = (const luaL_Reg[]){
		{ "addr_add", link_addr_add }, { "addr_del", link_addr_del },
		{ "addrs", link_addrs }, { NULL, NULL } }
};

void vn_open_addr(lua_State *L)
{
	vn_type_register(L, &addr_type);
}
