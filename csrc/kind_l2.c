/*
 * kind_l2.c - the rows of the layer 2 link kinds: veth (and its peer),
 * bridge, vlan (flags and QoS priority maps), macvlan/macvtap,
 * ipvlan/ipvtap, tun/tap (made by tuntap.c, read back here), dummy, ifb,
 * nlmon, bond, vrf and macsec. Each kind is a table of its IFLA_INFO_DATA
 * attributes read and written by the row engine (kind.c), plus a hook for
 * what one attribute cannot say.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_macsec.h>
#include <linux/if_tun.h>
#include <linux/if_vlan.h>
#include <linux/veth.h>

#include "kind.h"
#include "msg.h"

/* ---- veth -------------------------------------------------------------- */
/* peer = "name" | { name =, netns =, address =, mtu =, txqlen =, up = }:
 * VETH_INFO_PEER, an ifinfomsg and the peer's attributes. Always sent
 * (empty without a peer): without it the kernel would give the peer the
 * new link's own attributes. */
static int veth_parse(lua_State *L, int idx, vn_ns *ns, vn_kreq *req, const char *fn,
		      const char **what)
{
	static const char *const peer_keys[] = { "name", "netns", "address", "mtu",
						  "txqlen", "up", NULL };
	struct nl_msg *m = req->data;
	struct nlattr *nest;
	struct ifinfomsg ifi;
	struct nl_addr *a = NULL;
	const char *s;
	char buf[256];
	lua_Integer n;
	vn_ns *pns;
	int err, up = 0;
	(void)ns;  /* the peer's namespace is its own option */

	memset(&ifi, 0, sizeof ifi);
	if (!(nest = nla_nest_start(m, VETH_INFO_PEER)) ||
	    nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
		return luaL_error(L, "%s: out of memory", fn);
	lua_getfield(L, idx, "peer");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		nla_nest_end(m, nest);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		/* peer = "name" is short for peer = { name = "name" } */
		lua_createtable(L, 0, 1);
		lua_insert(L, -2);
		lua_setfield(L, -2, "name");
	}
	idx = lua_gettop(L);
	vn_opts_check(L, idx, "link_add: peer", peer_keys);
	if ((s = vn_opt_str(L, idx, fn, "name", buf, sizeof buf))) {
		vn_check_ifname(L, s, fn, "peer.name");
		snprintf(req->peer, sizeof req->peer, "%s", s);
		if (nla_put_string(m, IFLA_IFNAME, s) < 0)
			return luaL_error(L, "%s: out of memory", fn);
	}
	if (vn_opt_int(L, idx, fn, "mtu", 68, 65535, &n) &&
	    nla_put_u32(m, IFLA_MTU, (uint32_t)n) < 0)
		return luaL_error(L, "%s: out of memory", fn);
	if (vn_opt_int(L, idx, fn, "txqlen", 0, 0xffffffffLL, &n) &&
	    nla_put_u32(m, IFLA_TXQLEN, (uint32_t)n) < 0)
		return luaL_error(L, "%s: out of memory", fn);
	/* "up" is kept aside: the kernel cannot open a veth end before its
	 * pair exists (ENOTCONN), so link_add brings the peer up once the
	 * pair is made */
	lua_getfield(L, idx, "up");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		luaL_error(L, "%s: option 'peer.up' must be a boolean, got %s", fn,
			   luaL_typename(L, -1));
	up = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if ((s = vn_opt_str(L, idx, fn, "address", buf, sizeof buf))) {
		if (nl_addr_parse(s, AF_LLC, &a) < 0)
			luaL_error(L, "%s: option 'peer.address' must be a MAC address", fn);
		err = nla_put_addr(m, IFLA_ADDRESS, a);
		nl_addr_put(a);
		if (err < 0)
			return luaL_error(L, "%s: out of memory", fn);
	}
	/* the peer table stays on the stack, and the namespace handle above it */
	pns = vn_opt_netns(L, idx, fn, "netns", &err);
	if (err) {
		*what = "peer";
		return -err;
	}
	if (pns && nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)pns->fd) < 0)
		return luaL_error(L, "%s: out of memory", fn);
	nla_nest_end(m, nest);
	req->peer_up = up;
	req->pns = pns;
	return 0;
}

/* the peer is made with the link: it cannot be given again */
static const kattr veth_attrs[] = {
	{ "peer", 0, 0, T_HOOK, KA_FIXED, 0, 0, NULL },
	KEND
};
static const struct vn_kspec veth_spec = { veth_attrs, NULL, NULL, 0, NULL };

/* peer_index and peer_netnsid: the link's IFLA_LINK and IFLA_LINK_NETNSID */
static void veth_info(lua_State *L, const vn_kind *k, const void *m, size_t len)
{
	const struct rtattr *tb[IFLA_MAX + 1];
	(void)k;
	vn_attrs_index(m, len, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	if (vn_rta_u32(tb[IFLA_LINK])) {
		lua_pushinteger(L, vn_rta_u32(tb[IFLA_LINK]));
		lua_setfield(L, -2, "peer_index");
	}
	if (tb[IFLA_LINK_NETNSID]) {
		lua_pushinteger(L, (int32_t)vn_rta_u32(tb[IFLA_LINK_NETNSID]));
		lua_setfield(L, -2, "peer_netnsid");
	}
}

/* ---- vlan ------------------------------------------------------------ */
static const sym vlan_protos[] = { { "802.1Q", 0x8100 }, { "802.1ad", 0x88a8 },
				   { NULL, 0 } };
static const sym vlan_flagbits[] = { { "reorder_hdr", VLAN_FLAG_REORDER_HDR },
	{ "gvrp", VLAN_FLAG_GVRP }, { "loose_binding", VLAN_FLAG_LOOSE_BINDING },
	{ "mvrp", VLAN_FLAG_MVRP }, { "bridge_binding", VLAN_FLAG_BRIDGE_BINDING },
	{ NULL, 0 } };

static const kattr vlan_attrs[] = {
	{ "id", IFLA_VLAN_ID, 0, T_U16, KA_REQ | KA_FIXED, 0, 4094, NULL },
	{ "protocol", IFLA_VLAN_PROTOCOL, 0, T_ENUMBE16, KA_FIXED, 0, 0, vlan_protos },
	KHOOK("reorder_hdr"),
	KHOOK("gvrp"),
	KHOOK("mvrp"),
	KHOOK("loose_binding"),
	KHOOK("bridge_binding"),
	KHOOK("egress_qos"),
	KHOOK("ingress_qos"),
	KEND
};

/* egress_qos = { [skb priority] = vlan priority 0..7 }, ingress_qos =
 * { [vlan priority 0..7] = skb priority } (ip's egress-qos-map 1:2 and
 * ingress-qos-map): a plain table, read raw; each mapping one
 * IFLA_VLAN_QOS_MAPPING. A change adds to the maps (a priority mapped to
 * 0 is taken out). */
#define VLAN_QOS_MAX 256
static void vlan_qos(kctx *c, const char *key, int type, lua_Integer fmax, lua_Integer tmax)
{
	lua_State *L = c->L;
	struct ifla_vlan_qos_mapping q;
	struct nlattr *nest;
	int n = 0, t;
	lua_getfield(L, c->idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1) || lua_getmetatable(L, -1))
		luaL_error(L, "%s: option '%s' must be a plain table { [from] = to }, got %s",
			   c->fn, key, lua_istable(L, -1) ? "a table with a metatable"
						       : luaL_typename(L, -1));
	t = lua_gettop(L);
	if (!(nest = nla_nest_start(c->out, type)))
		luaL_error(L, "%s: out of memory", c->fn);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (++n > VLAN_QOS_MAX)
			luaL_error(L, "%s: option '%s' takes at most %d mappings", c->fn, key,
				   VLAN_QOS_MAX);
		lua_pushfstring(L, "option '%s' key", key);
		q.from = (uint32_t)vn_check_int(L, -3, c->fn, lua_tostring(L, -1), 0, fmax);
		lua_pop(L, 1);
		lua_pushfstring(L, "option '%s' value", key);
		q.to = (uint32_t)vn_check_int(L, -2, c->fn, lua_tostring(L, -1), 0, tmax);
		lua_pop(L, 2);
		kput(c, IFLA_VLAN_QOS_MAPPING, &q, sizeof q);
	}
	nla_nest_end(c->out, nest);
	lua_pop(L, 1);
}

static void vlan_qos_info(lua_State *L, const struct nlattr *a, const char *key)
{
	const struct nlattr *m;
	int rem;
	if (!a)
		return;         /* the kernel sends none when the map is empty */
	lua_newtable(L);
	nla_for_each_nested(m, a, rem)
		if (nla_type(m) == IFLA_VLAN_QOS_MAPPING &&
		    nla_len(m) >= (int)sizeof(struct ifla_vlan_qos_mapping)) {
			struct ifla_vlan_qos_mapping q;
			memcpy(&q, nla_data(m), sizeof q);
			lua_pushinteger(L, (lua_Integer)q.from);   /* not rawseti: an int in 5.1 */
			lua_pushinteger(L, (lua_Integer)q.to);
			lua_rawset(L, -3);
		}
	lua_setfield(L, -2, key);
}

static int vlan_hook(kctx *c)
{
	struct ifla_vlan_flags f = { 0, 0 };
	const sym *s;
	int on;
	for (s = vlan_flagbits; s->name; s++)
		if (vn_opt_bool(c->L, c->idx, c->fn, s->name, &on)) {
			f.mask |= s->v;
			if (on)
				f.flags |= s->v;
		}
	if (f.mask)
		kput(c, IFLA_VLAN_FLAGS, &f, sizeof f);
	vlan_qos(c, "egress_qos", IFLA_VLAN_EGRESS_QOS, 0xffffffffLL, 7);
	vlan_qos(c, "ingress_qos", IFLA_VLAN_INGRESS_QOS, 7, 0xffffffffLL);
	return 0;
}

static void vlan_info(lua_State *L, const struct nlattr **tb)
{
	const sym *s;
	struct ifla_vlan_flags f = { 0, 0 };
	if (tb[IFLA_VLAN_FLAGS] && nla_len(tb[IFLA_VLAN_FLAGS]) >= (int)sizeof f)
		memcpy(&f, nla_data(tb[IFLA_VLAN_FLAGS]), sizeof f);
	for (s = vlan_flagbits; s->name; s++)
		setbool(L, s->name, (f.flags & s->v) != 0);
	vlan_qos_info(L, tb[IFLA_VLAN_EGRESS_QOS], "egress_qos");
	vlan_qos_info(L, tb[IFLA_VLAN_INGRESS_QOS], "ingress_qos");
}

static const struct vn_kspec vlan_spec = { vlan_attrs, vlan_hook, vlan_info,
					   KS_PARENT, "id=1" };

/* ---- macvlan, macvtap ------------------------------------------------- */
static const sym macvlan_modes[] = { { "private", MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_MODE_VEPA }, { "bridge", MACVLAN_MODE_BRIDGE },
	{ "passthru", MACVLAN_MODE_PASSTHRU }, { "source", MACVLAN_MODE_SOURCE },
	{ NULL, 0 } };

static const kattr macvlan_attrs[] = {
	KENUM("mode", IFLA_MACVLAN_MODE, T_ENUM32, macvlan_modes),
	{ "nopromisc", IFLA_MACVLAN_FLAGS, 0, T_BIT16, 0, 0, MACVLAN_FLAG_NOPROMISC, NULL },
	KU32("bcqueuelen", IFLA_MACVLAN_BC_QUEUE_LEN),
	KEND
};
static const struct vn_kspec macvlan_spec = { macvlan_attrs, NULL, NULL,
					      KS_PARENT, NULL };

/* ---- ipvlan, ipvtap --------------------------------------------------- */
static const sym ipvlan_modes[] = { { "l2", IPVLAN_MODE_L2 }, { "l3", IPVLAN_MODE_L3 },
				    { "l3s", IPVLAN_MODE_L3S }, { NULL, 0 } };
static const sym ipvlan_flags[] = { { "bridge", 0 }, { "private", IPVLAN_F_PRIVATE },
				    { "vepa", IPVLAN_F_VEPA }, { NULL, 0 } };
static const kattr ipvlan_attrs[] = {
	KENUM("mode", IFLA_IPVLAN_MODE, T_ENUM16, ipvlan_modes),
	KENUM("flags", IFLA_IPVLAN_FLAGS, T_ENUM16, ipvlan_flags),
	KEND
};
static const struct vn_kspec ipvlan_spec = { ipvlan_attrs, NULL, NULL,
					     KS_PARENT, NULL };

/* ---- tun, tap (made by tuntap.c; here only read back) ------------------ */
static const sym tun_types[] = { { "tun", IFF_TUN }, { "tap", IFF_TAP }, { NULL, 0 } };
static const kattr tun_attrs[] = {
	{ "type", IFLA_TUN_TYPE, 0, T_ENUM8, KA_RO, 0, 0, tun_types },
	KU32("owner", IFLA_TUN_OWNER),
	KU32("owner_group", IFLA_TUN_GROUP),
	KBOOL("pi", IFLA_TUN_PI),
	KBOOL("vnet_hdr", IFLA_TUN_VNET_HDR),
	{ "multi_queue", IFLA_TUN_MULTI_QUEUE, 0, T_BOOL, KA_FIXED, 0, 0, NULL },
	KRO("persist", IFLA_TUN_PERSIST, T_BOOL),
	KRO("num_queues", IFLA_TUN_NUM_QUEUES, T_U32),
	KEND
};
static const struct vn_kspec tun_spec = { tun_attrs, NULL, NULL, 0, NULL };
/* the "tap" row: same options; tap devices read back as kind "tun" */
static const struct vn_kspec tap_spec = { tun_attrs, NULL, NULL, 0, NULL };

/* ---- bond ------------------------------------------------------------- */
static const sym bond_modes[] = { { "balance-rr", 0 }, { "active-backup", 1 },
	{ "balance-xor", 2 }, { "broadcast", 3 }, { "802.3ad", 4 },
	{ "balance-tlb", 5 }, { "balance-alb", 6 }, { NULL, 0 } };
static const sym bond_hash[] = { { "layer2", 0 }, { "layer3+4", 1 },
	{ "layer2+3", 2 }, { "encap2+3", 3 }, { "encap3+4", 4 },
	{ "vlan+srcmac", 5 }, { NULL, 0 } };
static const sym bond_lacp[] = { { "slow", 0 }, { "fast", 1 }, { NULL, 0 } };
static const sym bond_adsel[] = { { "stable", 0 }, { "bandwidth", 1 },
				  { "count", 2 }, { NULL, 0 } };
static const sym bond_fom[] = { { "none", 0 }, { "active", 1 }, { "follow", 2 },
				{ NULL, 0 } };
static const sym bond_arpval[] = { { "none", 0 }, { "active", 1 }, { "backup", 2 },
	{ "all", 3 }, { "filter", 4 }, { "filter_active", 5 },
	{ "filter_backup", 6 }, { NULL, 0 } };
static const sym bond_resel[] = { { "always", 0 }, { "better", 1 },
				  { "failure", 2 }, { NULL, 0 } };

static const kattr bond_attrs[] = {
	KENUM("mode", IFLA_BOND_MODE, T_ENUM8, bond_modes),
	KINT("miimon", IFLA_BOND_MIIMON),
	KINT("updelay", IFLA_BOND_UPDELAY),
	KINT("downdelay", IFLA_BOND_DOWNDELAY),
	KBOOL("use_carrier", IFLA_BOND_USE_CARRIER),
	KINT("arp_interval", IFLA_BOND_ARP_INTERVAL),
	KENUM("arp_validate", IFLA_BOND_ARP_VALIDATE, T_ENUM32, bond_arpval),
	KLINK("primary", IFLA_BOND_PRIMARY),
	KENUM("primary_reselect", IFLA_BOND_PRIMARY_RESELECT, T_ENUM8, bond_resel),
	KENUM("fail_over_mac", IFLA_BOND_FAIL_OVER_MAC, T_ENUM8, bond_fom),
	KENUM("xmit_hash_policy", IFLA_BOND_XMIT_HASH_POLICY, T_ENUM8, bond_hash),
	KBOOL("all_slaves_active", IFLA_BOND_ALL_SLAVES_ACTIVE),
	KINT("min_links", IFLA_BOND_MIN_LINKS),
	{ "packets_per_slave", IFLA_BOND_PACKETS_PER_SLAVE, 0, T_U32, 0, 0, 65535, NULL },
	KENUM("lacp_rate", IFLA_BOND_AD_LACP_RATE, T_ENUM8, bond_lacp),
	KENUM("ad_select", IFLA_BOND_AD_SELECT, T_ENUM8, bond_adsel),
	KLINK("active_slave", IFLA_BOND_ACTIVE_SLAVE),
	KEND
};
static const struct vn_kspec bond_spec = { bond_attrs, NULL, NULL, 0, NULL };

/* ---- bridge ----------------------------------------------------------- */
static const kattr bridge_attrs[] = {
	{ "stp", IFLA_BR_STP_STATE, 0, T_BOOL32, 0, 0, 0, NULL },
	KU32("forward_delay", IFLA_BR_FORWARD_DELAY),
	KU32("hello_time", IFLA_BR_HELLO_TIME),
	KU32("max_age", IFLA_BR_MAX_AGE),
	KU32("ageing_time", IFLA_BR_AGEING_TIME),
	KU16("priority", IFLA_BR_PRIORITY),
	KBOOL("vlan_filtering", IFLA_BR_VLAN_FILTERING),
	KENUM("vlan_protocol", IFLA_BR_VLAN_PROTOCOL, T_ENUMBE16, vlan_protos),
	{ "vlan_default_pvid", IFLA_BR_VLAN_DEFAULT_PVID, 0, T_U16, 0, 0, 4094, NULL },
	KBOOL("vlan_stats_enabled", IFLA_BR_VLAN_STATS_ENABLED),
	KU16("group_fwd_mask", IFLA_BR_GROUP_FWD_MASK),
	KBOOL("mcast_snooping", IFLA_BR_MCAST_SNOOPING),
	KBOOL("mcast_querier", IFLA_BR_MCAST_QUERIER),
	KBOOL("nf_call_iptables", IFLA_BR_NF_CALL_IPTABLES),
	KBOOL("nf_call_ip6tables", IFLA_BR_NF_CALL_IP6TABLES),
	KBOOL("nf_call_arptables", IFLA_BR_NF_CALL_ARPTABLES),
	KRO("root_port", IFLA_BR_ROOT_PORT, T_U16),
	KRO("root_path_cost", IFLA_BR_ROOT_PATH_COST, T_U32),
	KEND
};

static void push_bridge_id(lua_State *L, const struct nlattr *a, const char *key)
{
	struct ifla_bridge_id id;
	if (!a || nla_len(a) < (int)sizeof id)
		return;
	memcpy(&id, nla_data(a), sizeof id);
	{
		char buf[32];
		snprintf(buf, sizeof buf, "%02x%02x.%02x:%02x:%02x:%02x:%02x:%02x", id.prio[0],
			 id.prio[1], id.addr[0], id.addr[1], id.addr[2], id.addr[3],
			 id.addr[4], id.addr[5]);
		lua_pushstring(L, buf);
	}
	lua_setfield(L, -2, key);
}

static void bridge_info(lua_State *L, const struct nlattr **tb)
{
	push_bridge_id(L, tb[IFLA_BR_BRIDGE_ID], "bridge_id");
	push_bridge_id(L, tb[IFLA_BR_ROOT_ID], "root_id");
}
static const struct vn_kspec bridge_spec = { bridge_attrs, NULL, bridge_info, 0, NULL };

/* ---- vrf -------------------------------------------------------------- */
static const kattr vrf_attrs[] = {
	{ "table", IFLA_VRF_TABLE, 0, T_TABLE, KA_REQ | KA_FIXED, 0, 0, NULL },
	KEND
};
static const struct vn_kspec vrf_spec = { vrf_attrs, NULL, NULL, 0, "table=4242" };

/* ---- macsec ------------------------------------------------------------ */
static const sym macsec_validate[] = { { "disabled", MACSEC_VALIDATE_DISABLED },
	{ "check", MACSEC_VALIDATE_CHECK }, { "strict", MACSEC_VALIDATE_STRICT },
	{ NULL, 0 } };
static const struct { const char *name; uint64_t id; } macsec_ciphers[] = {
	{ "gcm-aes-128", MACSEC_CIPHER_ID_GCM_AES_128 },
	{ "gcm-aes-256", MACSEC_CIPHER_ID_GCM_AES_256 },
	{ "gcm-aes-xpn-128", MACSEC_CIPHER_ID_GCM_AES_XPN_128 },
	{ "gcm-aes-xpn-256", MACSEC_CIPHER_ID_GCM_AES_XPN_256 },
	{ NULL, 0 }
};
static const kattr macsec_attrs[] = {
	{ "port", IFLA_MACSEC_PORT, 0, T_BE16, KA_FIXED, 1, 65535, NULL },
	{ "sci", 0, 0, T_HOOK, KA_FIXED, 0, 0, NULL },
	{ "cipher", 0, 0, T_HOOK, KA_FIXED, 0, 0, NULL },
	{ "icvlen", IFLA_MACSEC_ICV_LEN, 0, T_U8, KA_FIXED, 8, 16, NULL },
	KBOOL("encrypt", IFLA_MACSEC_ENCRYPT),
	KBOOL("protect", IFLA_MACSEC_PROTECT),
	KBOOL("send_sci", IFLA_MACSEC_INC_SCI),
	KBOOL("end_station", IFLA_MACSEC_ES),
	KBOOL("scb", IFLA_MACSEC_SCB),
	KBOOL("replay", IFLA_MACSEC_REPLAY_PROTECT),
	KU32("window", IFLA_MACSEC_WINDOW),
	{ "encodingsa", IFLA_MACSEC_ENCODING_SA, 0, T_U8, 0, 0, 3, NULL },
	KENUM("validate", IFLA_MACSEC_VALIDATION, T_ENUM8, macsec_validate),
	KEND
};

static uint64_t be64(uint64_t v)
{
	unsigned char b[8];
	uint64_t r;
	int i;
	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	memcpy(&r, b, 8);
	return r;
}

static int macsec_hook(kctx *c)
{
	lua_State *L = c->L;
	const char *s;
	char buf[64];
	if ((s = vn_opt_str(L, c->idx, c->fn, "sci", buf, sizeof buf))) {
		char *end;
		unsigned long long v;
		const char *p = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
		size_t n = strlen(p), i;
		for (i = 0; i < n; i++)
			if (!strchr("0123456789abcdefABCDEF", p[i]))
				break;
		if (n == 0 || n > 16 || i != n)
			luaL_error(L, "%s: option 'sci' must be up to 16 hex digits, got '%s'",
				   c->fn, s);
		v = strtoull(p, &end, 16);
		if (has_opt(L, c->idx, "port"))
			luaL_error(L, "%s: options 'sci' and 'port' exclude each other", c->fn);
		{
			uint64_t b = be64((uint64_t)v);
			kput(c, IFLA_MACSEC_SCI, &b, 8);
		}
	}
	{
		static const char *const names[] = { "gcm-aes-128", "gcm-aes-256",
			"gcm-aes-xpn-128", "gcm-aes-xpn-256", NULL };
		int i;
		if (vn_opt_enum(L, c->idx, c->fn, "cipher", names, &i)) {
			uint64_t id = macsec_ciphers[i].id;
			kput(c, IFLA_MACSEC_CIPHER_SUITE, &id, 8);
		}
	}
	return 0;
}

static void macsec_info(lua_State *L, const struct nlattr **tb)
{
	if (tb[IFLA_MACSEC_SCI] && nla_len(tb[IFLA_MACSEC_SCI]) >= 8) {
		unsigned char b[8];
		char buf[20];
		memcpy(b, nla_data(tb[IFLA_MACSEC_SCI]), 8);
		snprintf(buf, sizeof buf, "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1],
			 b[2], b[3], b[4], b[5], b[6], b[7]);
		lua_pushstring(L, buf);
		lua_setfield(L, -2, "sci");
		lua_pushinteger(L, (b[6] << 8) | b[7]);
		lua_setfield(L, -2, "port");
	}
	if (tb[IFLA_MACSEC_CIPHER_SUITE] && nla_len(tb[IFLA_MACSEC_CIPHER_SUITE]) >= 8) {
		uint64_t id;
		int i;
		memcpy(&id, nla_data(tb[IFLA_MACSEC_CIPHER_SUITE]), 8);
		for (i = 0; macsec_ciphers[i].name; i++)
			if (macsec_ciphers[i].id == id
			    /* the kernel reports the default suite by its old id */
			    || (id == MACSEC_DEFAULT_CIPHER_ID &&
				macsec_ciphers[i].id == MACSEC_CIPHER_ID_GCM_AES_128))
				break;
		if (macsec_ciphers[i].name)
			lua_pushstring(L, macsec_ciphers[i].name);
		else
			lua_pushnumber(L, (lua_Number)id);
		lua_setfield(L, -2, "cipher");
	}
}
static const struct vn_kspec macsec_spec = { macsec_attrs, macsec_hook, macsec_info,
					     KS_PARENT, NULL };

/* ---- kinds without settings -------------------------------------------- */
static const struct vn_kspec plain_spec = { NULL, NULL, NULL, 0, NULL };

/***
 * @module vnet.core
 */

/*** The own options of each link kind, for `ns:link_add` (besides the
 * common ones of `vnet.link`) and read back in `link.info`; those the
 * kernel lets change also for `link:set_info`. `vnet.core.kind(name)` lists
 * them. The tunnels are in `tunnel_kinds`.
 * @table link_kinds
 * @field veth `peer`: a name, or `{ name =, netns =, address =, mtu =,
 *   txqlen =, up = }`
 * @field bridge `stp`, `forward_delay`, `hello_time`, `max_age`,
 *   `ageing_time` (seconds), `priority`, `vlan_filtering`, `vlan_protocol`
 *   (`"802.1q"`, `"802.1ad"`), `vlan_default_pvid`, `vlan_stats_enabled`,
 *   `group_fwd_mask`, `mcast_snooping`, `mcast_querier`, `nf_call_iptables`,
 *   `nf_call_ip6tables`, `nf_call_arptables`; read back also `root_port`,
 *   `root_path_cost`
 * @field vlan `parent`, `id` (required, 0 to 4094), `protocol`
 *   (`"802.1q"`, `"802.1ad"`), the flags `reorder_hdr`, `gvrp`, `mvrp`,
 *   `loose_binding`, `bridge_binding` (booleans), and the priority maps
 *   `egress_qos = { [skb priority] = vlan priority 0..7 }` and
 *   `ingress_qos = { [vlan priority 0..7] = skb priority }` (ip's
 *   `egress-qos-map 1:2`, `ingress-qos-map`; `set_info` adds to a map, a
 *   priority mapped to 0 is taken out)
 * @field macvlan `parent`, `mode` (`"private"`, `"vepa"`, `"bridge"`,
 *   `"passthru"`, `"source"`), `nopromisc`, `bcqueuelen`; also `macvtap`
 * @field ipvlan `parent`, `mode` (`"l2"`, `"l3"`, `"l3s"`), `flags`
 *   (`"bridge"`, `"private"`, `"vepa"`); also `ipvtap`
 * @field tun `owner`, `owner_group` (ids), `pi`, `vnet_hdr`, `multi_queue`
 *   (booleans); also `tap`
 * @field bond `mode`, `miimon`, `updelay`, `downdelay`, `use_carrier`,
 *   `arp_interval`, `arp_validate`, `primary`, `primary_reselect`,
 *   `fail_over_mac`, `xmit_hash_policy`, `all_slaves_active`, `min_links`,
 *   `packets_per_slave`, `lacp_rate`, `ad_select`, `active_slave`
 * @field vrf `table` (required)
 * @field macsec `parent`, `port`, `sci`, `cipher`, `icvlen`, `encrypt`,
 *   `protect`, `send_sci`, `end_station`, `scb`, `replay`, `window`,
 *   `encodingsa`, `validate`
 * @field dummy no options; likewise `ifb`, `nlmon`
 */

const vn_kind vn_kinds_l2[] = {
	{ "veth", veth_parse, veth_info, NULL, &veth_spec },
	KROW("bridge", bridge_spec),
	KROW("vlan", vlan_spec),
	KROW("macvlan", macvlan_spec),
	KROW("macvtap", macvlan_spec),
	KROW("ipvlan", ipvlan_spec),
	KROW("ipvtap", ipvlan_spec),
	{ "tun", NULL, kind_info, vn_tun_create, &tun_spec },
	{ "tap", NULL, kind_info, vn_tap_create, &tap_spec },
	KROW("dummy", plain_spec),
	KROW("ifb", plain_spec),
	KROW("nlmon", plain_spec),
	KROW("bond", bond_spec),
	KROW("vrf", vrf_spec),
	KROW("macsec", macsec_spec),
	{ NULL, NULL, NULL, NULL, NULL }
};
