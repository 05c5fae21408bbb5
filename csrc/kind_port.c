/*
 * kind_port.c - a link's settings as the port of a bridge or a bond
 * (IFLA_INFO_SLAVE_DATA): link:port() reads them, link:set_port() changes
 * them, all or nothing. The attribute tables are read and written by the
 * row engine (kind.c), which also registers the two methods; the link is
 * asked for through sock.c (vn_req).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "kind.h"
#include "msg.h"

static const sym brport_states[] = { { "disabled", 0 }, { "listening", 1 },
	{ "learning", 2 }, { "forwarding", 3 }, { "blocking", 4 }, { NULL, 0 } };
static const sym brport_mcrouter[] = { { "disabled", 0 }, { "auto", 1 },
	{ "permanent", 2 }, { "temporary", 3 }, { NULL, 0 } };

static const kattr brport_attrs[] = {
	{ "state", IFLA_BRPORT_STATE, 0, T_ENUM8, 0, 0, 0, brport_states },
	{ "priority", IFLA_BRPORT_PRIORITY, 0, T_U16, 0, 0, 63, NULL },
	{ "cost", IFLA_BRPORT_COST, 0, T_U32, 0, 1, 65535, NULL },
	{ "hairpin", IFLA_BRPORT_MODE, 0, T_BOOL, 0, 0, 0, NULL },
	{ "guard", IFLA_BRPORT_GUARD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "root_block", IFLA_BRPORT_PROTECT, 0, T_BOOL, 0, 0, 0, NULL },
	{ "fastleave", IFLA_BRPORT_FAST_LEAVE, 0, T_BOOL, 0, 0, 0, NULL },
	{ "learning", IFLA_BRPORT_LEARNING, 0, T_BOOL, 0, 0, 0, NULL },
	{ "flood", IFLA_BRPORT_UNICAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "mcast_flood", IFLA_BRPORT_MCAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "bcast_flood", IFLA_BRPORT_BCAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "mcast_router", IFLA_BRPORT_MULTICAST_ROUTER, 0, T_ENUM8, 0, 0, 0, brport_mcrouter },
	{ "mcast_to_unicast", IFLA_BRPORT_MCAST_TO_UCAST, 0, T_BOOL, 0, 0, 0, NULL },
	{ "proxy_arp", IFLA_BRPORT_PROXYARP, 0, T_BOOL, 0, 0, 0, NULL },
	{ "neigh_suppress", IFLA_BRPORT_NEIGH_SUPPRESS, 0, T_BOOL, 0, 0, 0, NULL },
	{ "isolated", IFLA_BRPORT_ISOLATED, 0, T_BOOL, 0, 0, 0, NULL },
	{ "group_fwd_mask", IFLA_BRPORT_GROUP_FWD_MASK, 0, T_U16, 0, 0, 65535, NULL },
	{ "id", IFLA_BRPORT_ID, 0, T_U16, KA_RO, 0, 0, NULL },
	{ "no", IFLA_BRPORT_NO, 0, T_U16, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const sym bslave_states[] = { { "active", 0 }, { "backup", 1 }, { NULL, 0 } };
static const sym bslave_mii[] = { { "up", 0 }, { "going_down", 1 }, { "down", 2 },
				  { "going_back", 3 }, { NULL, 0 } };
static const kattr bondport_attrs[] = {
	{ "queue_id", IFLA_BOND_SLAVE_QUEUE_ID, 0, T_U16, 0, 0, 65535, NULL },
	{ "state", IFLA_BOND_SLAVE_STATE, 0, T_ENUM8, KA_RO, 0, 0, bslave_states },
	{ "mii_status", IFLA_BOND_SLAVE_MII_STATUS, 0, T_ENUM8, KA_RO, 0, 0, bslave_mii },
	{ "link_failure_count", IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 0, T_U32, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const struct { const char *kind; const kattr *attrs; } port_kinds[] = {
	{ "bridge", brport_attrs }, { "bond", bondport_attrs }, { NULL, NULL }
};

static const kattr *port_attrs(const char *kind)
{
	int i;
	for (i = 0; port_kinds[i].kind; i++)
		if (!strcmp(port_kinds[i].kind, kind))
			return port_kinds[i].attrs;
	return NULL;
}

static int keep_link(const struct nlmsghdr *h, void *arg)
{
	(void)arg;
	return h->nlmsg_type == RTM_NEWLINK &&
	       h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg));
}

/* A request for the link at ifindex (RTM_GETLINK), or, with data, a port
 * change of it: IFLA_LINKINFO holding IFLA_INFO_SLAVE_DATA with the len
 * bytes of attributes at data. NULL when out of memory. */
static struct nl_msg *port_msg(int ifindex, const void *data, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc_simple(data ? RTM_NEWLINK : RTM_GETLINK, 0);
	struct ifinfomsg ifi;
	struct nlattr *li;
	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
		goto fail;
	if (data) {
		if (!(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
		    nla_put(msg, IFLA_INFO_SLAVE_DATA | NLA_F_NESTED, (int)len, data) < 0)
			goto fail;
		nla_nest_end(msg, li);
	}
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

/* Asks the kernel for the link at ifindex (one request through sock.c,
 * collected into l) and finds its port kind and data (pointing into l).
 * 0 (kind stays NULL when the link is no port) or -errno with e (may be
 * NULL) filled in. */
static int port_query(vn_ns *ns, int ifindex, vn_list *l, const char **kind,
		      const struct nlattr **data, vn_err *e)
{
	struct nl_msg *msg = port_msg(ifindex, NULL, 0);
	const struct nlattr *k;
	const void *m;
	size_t len;
	int r;
	*kind = NULL;
	*data = NULL;
	if (!msg) {
		if (e)
			vn_err_set(e, ENOMEM, NULL);
		return -ENOMEM;
	}
	l->rkeep = keep_link;
	r = vn_req(ns, nlmsg_hdr(msg), VN_GET, l, e);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	if (!(m = vn_list_first(l, &len))) {
		if (e)
			vn_err_set(e, EIO, NULL);
		return -EIO;
	}
	k = kd_linkinfo(m, len, IFLA_INFO_SLAVE_KIND);
	if (k && nla_len(k) > 0 && memchr(nla_data(k), 0, (size_t)nla_len(k)))
		*kind = (const char *)nla_data(k);
	*data = kd_linkinfo(m, len, IFLA_INFO_SLAVE_DATA);
	return 0;
}

/* What port() and set_port() start from: the link box at 1 asked for
 * again (its name, handle and answer pushed). */
typedef struct port_ctx {
	const char *name, *kind;
	const struct nlattr *data;
	vn_list *l;
	vn_ns *ns;
	int ifindex;
} port_ctx;

/* Fills p; 0, or the failure's count pushed (ENOENT: no port, or with
 * settable set, no port of a bridge or a bond). */
static int port_open(lua_State *L, const char *fn, int settable, port_ctx *p)
{
	vn_err e;
	p->ifindex = vn_link_ifindex(L, 1);
	vn_link_desc(L, 1);                                 /* its name */
	p->name = lua_tostring(L, -1);
	p->ns = vn_box_ns(L, 1);
	p->l = vn_list_new(L);
	if (port_query(p->ns, p->ifindex, p->l, &p->kind, &p->data, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s %s", fn, p->name), &e, NULL);
	if (!p->kind || (settable && !port_attrs(p->kind)))
		return vn_fail(L, lua_pushfstring(L, "%s %s: not the port of a bridge or "
						  "a bond", fn, p->name), ENOENT, NULL);
	return 0;
}

/* link:port() -> { kind = "bridge", cost =, priority =, state =, ... } with
 * the link's settings as a port of its master (bridge or bond; for another
 * master, a vrf say, its kind and master); nil, msg, "ENOENT" if it is no
 * port. */
int vn_link_port(lua_State *L)
{
	const struct nlattr *tb[TB_MAX + 1];
	port_ctx p;
	int r;

	lua_settop(L, 1);
	if ((r = port_open(L, "port", 0, &p)))
		return r;
	lua_newtable(L);
	lua_pushstring(L, p.kind);
	lua_setfield(L, -2, "kind");
	{
		const void *m;
		size_t len;
		const struct rtattr *at[IFLA_MAX + 1];
		m = vn_list_first(p.l, &len);
		vn_attrs_index(m, len, sizeof(struct ifinfomsg), at, IFLA_MAX);
		if (vn_rta_u32(at[IFLA_MASTER])) {
			lua_pushinteger(L, vn_rta_u32(at[IFLA_MASTER]));
			lua_setfield(L, -2, "master");
		}
	}
	kd_index(p.data, tb);
	kinfo_attrs(L, port_attrs(p.kind), tb);
	return 1;
}

/* After a refused port change of the link at ifindex: the kernel applies
 * the settings one at a time and keeps those before the one it refused.
 * Puts back, as one change, the settings given (tb) that now differ from
 * cur. Calls no Lua; best effort (its own failures are not reported). */
static void port_restore(vn_ns *ns, int ifindex, const char *kind,
			 const struct nlattr **tb, const struct nlattr **cur)
{
	const struct nlattr *now[TB_MAX + 1], *data;
	const char *nkind;
	struct nl_msg *put = nlmsg_alloc(), *msg = NULL;
	int i;
	vn_list l;
	memset(&l, 0, sizeof l);
	if (put && port_query(ns, ifindex, &l, &nkind, &data, NULL) == 0 && nkind &&
	    !strcmp(nkind, kind) && data) {
		size_t n;
		kd_index(data, now);
		for (i = 1; i <= TB_MAX; i++)
			if (tb[i] && cur[i] && now[i] &&
			    (nla_len(now[i]) != nla_len(cur[i]) ||
			     memcmp(nla_data(now[i]), nla_data(cur[i]), (size_t)nla_len(cur[i]))) &&
			    nla_put(put, i, nla_len(cur[i]), nla_data(cur[i])) < 0)
				break;
		n = (size_t)nlmsg_datalen(nlmsg_hdr(put));
		if (i > TB_MAX && n &&
		    (msg = port_msg(ifindex, nlmsg_data(nlmsg_hdr(put)), n)))
			vn_req(ns, nlmsg_hdr(msg), 0, NULL, NULL);
	}
	nlmsg_free(msg);
	nlmsg_free(put);
	vn_list_free(&l);
}

/* link:set_port{ cost =, priority =, state =, learning =, ... } -> link |
 * nil, msg, errname: changes the link's settings as a port of its bridge
 * (or bond: queue_id). All or nothing: the kernel applies the settings one
 * at a time and keeps those before one it refuses (a cost and a priority
 * before a state it cannot take), so a refused change is undone. */
int vn_link_set_port(lua_State *L)
{
	const struct nlattr *cur[TB_MAX + 1], *tb[TB_MAX + 1];
	const char *what = NULL, *keys[64];
	const kattr *attrs, *a;
	struct nl_msg *msg;
	struct nlattr *nest;
	char kname[48];
	const void *data;
	vn_kreq *req;
	port_ctx p;
	vn_err e;
	kctx c;
	size_t len;
	int r, n = 0;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	if ((r = port_open(L, "set_port", 1, &p)))
		return r;
	attrs = port_attrs(p.kind);
	for (a = attrs; a->key && n < 63; a++)
		if (!(a->flags & KA_RO))
			keys[n++] = a->key;
	keys[n] = NULL;
	vn_opts_check(L, 2, "set_port", keys);
	kd_index(p.data, cur);
	req = vn_kreq_new(L, NULL, "set_port");
	snprintf(kname, sizeof kname, "%s port", p.kind);
	memset(&c, 0, sizeof c);
	c.L = L; c.idx = 2; c.ns = p.ns; c.out = req->data; c.kname = kname; c.fn = "set_port";
	c.cur = cur; c.what = &what;
	if ((r = kparse_attrs(&c, attrs)) < 0)
		return vn_link_fail_ref(L, "set_port", p.name, 2, what, -r);
	data = nlmsg_data(nlmsg_hdr(req->data));
	len = (size_t)nlmsg_datalen(nlmsg_hdr(req->data));
	if (len == 0) {
		lua_settop(L, 1);
		return 1;       /* nothing to change */
	}
	/* the options, indexed for the undo */
	nest = (struct nlattr *)lua_newuserdata(L, NLA_HDRLEN + len);
	nest->nla_len = (uint16_t)(NLA_HDRLEN + len);
	nest->nla_type = IFLA_INFO_SLAVE_DATA;
	memcpy((char *)nest + NLA_HDRLEN, data, len);
	kd_index(nest, tb);
	if (!(msg = port_msg(p.ifindex, data, len)))
		return luaL_error(L, "set_port: out of memory");
	r = vn_req(p.ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (r < 0 && !vn_deferred(p.ns))
		port_restore(p.ns, p.ifindex, p.kind, tb, cur);
	if (r < 0)
		return vn_push_err(L, lua_pushfstring(L, "set_port %s", p.name), &e, NULL);
	return kd_changed(L, p.ns, p.ifindex, "set_port", p.name);
}

/***
 * @module vnet.core
 */

/*** The settings of a port (`link:port`, `link:set_port`), by its
 * master's kind.
 * @table port_settings
 * @field bridge `state`, `priority`, `cost`, `hairpin`, `guard`,
 *   `root_block`, `fastleave`, `learning`, `flood`, `mcast_flood`,
 *   `bcast_flood`, `mcast_router`, `mcast_to_unicast`, `proxy_arp`,
 *   `neigh_suppress`, `isolated`, `group_fwd_mask`; read back also `id`,
 *   `no`
 * @field bond `queue_id`; read back also `state`, `mii_status`,
 *   `link_failure_count`
 */
