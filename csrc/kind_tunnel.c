/*
 * kind_tunnel.c - the rows of the tunnel link kinds: the overlays vxlan
 * and geneve, the IP tunnels ipip, sit and ip6tnl, the GRE family (gre,
 * gretap, ip6gre, ip6gretap, erspan, ip6erspan) and vti/vti6, and the
 * modes of `ip tunnel` that ns:tunnel_add maps onto them. Each kind is a
 * table of its IFLA_INFO_DATA attributes read and written by the row
 * engine (kind.c), plus hooks for keys, flags, ttl inherit, encap limit and
 * flow info.
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>

#include "kind.h"

static const sym ttl_names[] = { { "inherit", 0 }, { NULL, 0 } };
static const sym tos_names[] = { { "inherit", 1 }, { NULL, 0 } };

/* The rows the IP tunnels share. P is the prefix of their attributes
 * (IFLA_IPTUN, IFLA_GRE, IFLA_VTI), A the address format (T_IN4, T_IN6). */
#define TUN_ADDR_ATTRS(P, A)                                                        \
	{ "remote", P##_REMOTE, 0, A, 0, 0, 0, NULL },                              \
	{ "local", P##_LOCAL, 0, A, 0, 0, 0, NULL },                                \
	KLINK("dev", P##_LINK)
#define TUN_TTL_ATTR(P) { "ttl", P##_TTL, 0, T_U8, 0, 0, 255, ttl_names }
#define TUN_TOS_ATTRS(P)                                                            \
	{ "tos", P##_TOS, 0, T_U8, 0, 0, 255, tos_names },                          \
	KBOOL("pmtudisc", P##_PMTUDISC)
#define TUN_FWMARK_ATTR(P) KU32("fwmark", P##_FWMARK)
#define TUN_EXTERNAL_ATTR(P)                                                        \
	{ "external", P##_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL }
/* encaplimit, tclass and flowlabel of the IPv6 tunnels (ip6_hook) */
#define IP6_ATTRS KHOOK("encaplimit"), KHOOK("tclass"), KHOOK("flowlabel")

/* ---- vxlan ------------------------------------------------------------ */

static const kattr vxlan_attrs[] = {
	{ "id", IFLA_VXLAN_ID, 0, T_U32, KA_REQ | KA_FIXED, 0, 0xffffff, NULL },
	{ "remote", IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, T_INX, 0, 0, 0, NULL },
	{ "local", IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, T_INX, 0, 0, 0, NULL },
	KLINK("dev", IFLA_VXLAN_LINK),
	{ "dstport", IFLA_VXLAN_PORT, 0, T_BE16, 0, 0, 65535, NULL },
	KHOOK("ttl"),
	{ "tos", IFLA_VXLAN_TOS, 0, T_U8, 0, 0, 255, tos_names },
	{ "label", IFLA_VXLAN_LABEL, 0, T_BE32, 0, 0, 0xfffff, NULL },
	KBOOL("learning", IFLA_VXLAN_LEARNING),
	KHOOK("port_range"),
	KU32("ageing", IFLA_VXLAN_AGEING),
	KU32("maxaddress", IFLA_VXLAN_LIMIT),
	KBOOL("proxy", IFLA_VXLAN_PROXY),
	KBOOL("rsc", IFLA_VXLAN_RSC),
	KBOOL("l2miss", IFLA_VXLAN_L2MISS),
	KBOOL("l3miss", IFLA_VXLAN_L3MISS),
	KBOOL("udpcsum", IFLA_VXLAN_UDP_CSUM),
	KBOOL("udp6zerocsumtx", IFLA_VXLAN_UDP_ZERO_CSUM6_TX),
	KBOOL("udp6zerocsumrx", IFLA_VXLAN_UDP_ZERO_CSUM6_RX),
	{ "external", IFLA_VXLAN_COLLECT_METADATA, 0, T_BOOL, KA_FIXED, 0, 0, NULL },
	KEND
};

static int is_multicast(int fam, const unsigned char *a)
{
	return fam == AF_INET ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* a word's value beside numbers (kopt_num): no number takes it */
#define KWORD 0xffffffffu
static const sym inherit_word[] = { { "inherit", KWORD }, { NULL, 0 } };

/* ttl = 0..255 | "inherit"; the inherit attribute is a flag (vxlan) or a
 * u8 (geneve) */
static void ttl_hook(kctx *c, int ttl_attr, int inherit_attr, int inherit_is_flag)
{
	static const kattr ttl = { "ttl", 0, 0, T_U8, 0, 0, 255, inherit_word };
	uint32_t v;
	if (!kopt_num(c, &ttl, &v))
		return;
	if (v == KWORD && inherit_is_flag) {
		kput(c, inherit_attr, NULL, 0);
	} else if (v == KWORD) {
		kput_u8(c, inherit_attr, 1);
	} else {
		kput_u8(c, ttl_attr, (uint8_t)v);
		if (!inherit_is_flag && c->cur && c->cur[inherit_attr])
			kput_u8(c, inherit_attr, 0);
	}
}

static void ttl_info(lua_State *L, const struct nlattr **tb, int ttl_attr, int inherit_attr,
		     int inherit_is_flag)
{
	const struct nlattr *i = tb[inherit_attr];
	(void)inherit_is_flag;  /* replies carry it as a u8 (vxlan: a flag on input) */
	if (i && (nla_len(i) == 0 || get_num(i, 1)))
		lua_pushstring(L, "inherit");
	else if (tb[ttl_attr])
		lua_pushinteger(L, get_num(tb[ttl_attr], 1));
	else
		return;
	lua_setfield(L, -2, "ttl");
}

/* remote: the peer, or a multicast group (the option 'group' would clash
 * with the link's device group) */
static int vxlan_hook(kctx *c)
{
	ttl_hook(c, IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, 1);
	lua_getfield(c->L, c->idx, "port_range");
	if (!lua_isnil(c->L, -1)) {
		struct ifla_vxlan_port_range pr;
		lua_Integer lo, hi;
		if (!lua_istable(c->L, -1))
			luaL_error(c->L, "%s: option 'port_range' must be a table { low, high }, "
				   "got %s", c->fn, luaL_typename(c->L, -1));
		lua_rawgeti(c->L, -1, 1);
		lua_rawgeti(c->L, -2, 2);
		lo = vn_check_int(c->L, -2, c->fn, "option 'port_range' low", 1, 65535);
		hi = vn_check_int(c->L, -1, c->fn, "option 'port_range' high", lo, 65535);
		pr.low = htons((uint16_t)lo);
		pr.high = htons((uint16_t)hi);
		kput(c, IFLA_VXLAN_PORT_RANGE, &pr, sizeof pr);
		lua_pop(c->L, 2);
	}
	lua_pop(c->L, 1);
	return 0;
}

static void vxlan_info(lua_State *L, const struct nlattr **tb)
{
	const struct nlattr *g = tb[IFLA_VXLAN_GROUP] ? tb[IFLA_VXLAN_GROUP]
						      : tb[IFLA_VXLAN_GROUP6];
	if (g && !kd_all_zero(g))
		setbool(L, "multicast", is_multicast(nla_len(g) == 4 ? AF_INET : AF_INET6,
						     (const unsigned char *)nla_data(g)));
	ttl_info(L, tb, IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, 1);
	if (tb[IFLA_VXLAN_PORT_RANGE] &&
	    nla_len(tb[IFLA_VXLAN_PORT_RANGE]) >= (int)sizeof(struct ifla_vxlan_port_range)) {
		struct ifla_vxlan_port_range pr;
		memcpy(&pr, nla_data(tb[IFLA_VXLAN_PORT_RANGE]), sizeof pr);
		lua_createtable(L, 2, 0);
		lua_pushinteger(L, ntohs(pr.low));
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, ntohs(pr.high));
		lua_rawseti(L, -2, 2);
		lua_setfield(L, -2, "port_range");
	}
}

static const struct vn_kspec vxlan_spec = { vxlan_attrs, vxlan_hook, vxlan_info, 0,
					   "id=1 dstport=4789" };

/* ---- geneve ----------------------------------------------------------- */
static const sym geneve_df[] = { { "unset", 0 }, { "set", 1 }, { "inherit", 2 },
				 { NULL, 0 } };
static const kattr geneve_attrs[] = {
	{ "id", IFLA_GENEVE_ID, 0, T_U32, KA_REQ, 0, 0xffffff, NULL },
	{ "remote", IFLA_GENEVE_REMOTE, IFLA_GENEVE_REMOTE6, T_INX, 0, 0, 0, NULL },
	{ "dstport", IFLA_GENEVE_PORT, 0, T_BE16, 0, 1, 65535, NULL },
	KHOOK("ttl"),
	{ "tos", IFLA_GENEVE_TOS, 0, T_U8, 0, 0, 255, tos_names },
	{ "label", IFLA_GENEVE_LABEL, 0, T_BE32, 0, 0, 0xfffff, NULL },
	KENUM("df", IFLA_GENEVE_DF, T_ENUM8, geneve_df),
	KBOOL("udpcsum", IFLA_GENEVE_UDP_CSUM),
	KBOOL("udp6zerocsumtx", IFLA_GENEVE_UDP_ZERO_CSUM6_TX),
	KBOOL("udp6zerocsumrx", IFLA_GENEVE_UDP_ZERO_CSUM6_RX),
	{ "external", IFLA_GENEVE_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL },
	KEND
};

static int geneve_hook(kctx *c)
{
	ttl_hook(c, IFLA_GENEVE_TTL, IFLA_GENEVE_TTL_INHERIT, 0);
	return 0;
}
static void geneve_info(lua_State *L, const struct nlattr **tb)
{
	ttl_info(L, tb, IFLA_GENEVE_TTL, IFLA_GENEVE_TTL_INHERIT, 0);
}
static const struct vn_kspec geneve_spec = { geneve_attrs, geneve_hook, geneve_info,
					     0, "id=1 remote=192.0.2.1" };

/* ---- IP tunnels: ipip, sit, ip6tnl ------------------------------------- */
static const sym ipip_protos[] = { { "ipip", IPPROTO_IPIP }, { "mplsip", IPPROTO_MPLS },
				   { "any", 0 }, { NULL, 0 } };
static const sym sit_protos[] = { { "ip6ip", IPPROTO_IPV6 }, { "ipip", IPPROTO_IPIP },
				  { "mplsip", IPPROTO_MPLS }, { "any", 0 }, { NULL, 0 } };
static const sym ip6tnl_protos[] = { { "ip6ip6", IPPROTO_IPV6 }, { "ipip6", IPPROTO_IPIP },
				     { "any", 0 }, { NULL, 0 } };

#define TUN_PROTO_ATTR(protos) KENUM("proto", IFLA_IPTUN_PROTO, T_ENUM8, protos)
#define TUN4_ATTRS(protos)                                                          \
	TUN_ADDR_ATTRS(IFLA_IPTUN, T_IN4), TUN_TTL_ATTR(IFLA_IPTUN),                \
	TUN_TOS_ATTRS(IFLA_IPTUN), TUN_PROTO_ATTR(protos),                          \
	TUN_FWMARK_ATTR(IFLA_IPTUN), TUN_EXTERNAL_ATTR(IFLA_IPTUN)

static const kattr ipip_attrs[] = {
	TUN4_ATTRS(ipip_protos),
	KEND
};
static const struct vn_kspec ipip_spec = { ipip_attrs, NULL, NULL,
		KS_REPLACE, NULL };

static const kattr sit_attrs[] = {
	TUN4_ATTRS(sit_protos),
	{ "isatap", IFLA_IPTUN_FLAGS, 0, T_BIT16, KA_FIXED, 0, SIT_ISATAP, NULL },
	KEND
};
static const struct vn_kspec sit_spec = { sit_attrs, NULL, NULL,
		KS_REPLACE, NULL };

/* IPv6 tunnels: encaplimit = 0..255 | "none", tclass and flowlabel =
 * number | "inherit", all in the encap limit, flow info and flags
 * attributes whose numbers differ between ip6tnl and ip6gre. */
typedef struct ip6attrs { int encap, flowinfo, flags, ttl; } ip6attrs;
static const ip6attrs ip6tnl_a = { IFLA_IPTUN_ENCAP_LIMIT, IFLA_IPTUN_FLOWINFO,
				   IFLA_IPTUN_FLAGS, IFLA_IPTUN_TTL };
static const ip6attrs ip6gre_a = { IFLA_GRE_ENCAP_LIMIT, IFLA_GRE_FLOWINFO,
				   IFLA_GRE_FLAGS, IFLA_GRE_TTL };

/* Option a->key of c (whose syms is one word): absent (0), the word (1),
 * or a number in a's range (2, *v set). */
static int num_or_word(kctx *c, const kattr *a, uint32_t *v)
{
	if (!kopt_num(c, a, v))
		return 0;
	return *v == KWORD ? 1 : 2;
}

static int ip6_hook(kctx *c, const ip6attrs *t)
{
	lua_State *L = c->L;
	uint32_t flags = cur_u32(c, t->flags, 4);
	uint32_t flow = c->cur && c->cur[t->flowinfo] ? ntohl(cur_u32(c, t->flowinfo, 4)) : 0;
	uint32_t v = 0;
	int fw = 0, k, i, given = 0;   /* given: any of the three options */
	static const sym none_word[] = { { "none", KWORD }, { NULL, 0 } };
	static const kattr enc = { "encaplimit", 0, 0, T_U8, 0, 0, 255, none_word };
	static const kattr tc = { "tclass", 0, 0, T_U8, 0, 0, 255, inherit_word };
	static const kattr lab = { "flowlabel", 0, 0, T_U32, 0, 0, 0xfffff, inherit_word };
	/* tclass and flowlabel: a field of the flow info, or "inherit" (a flag) */
	static const struct { const kattr *a; uint32_t flag, mask; int shift; } fl[] = {
		{ &tc, IP6_TNL_F_USE_ORIG_TCLASS, 0x0ff00000u, 20 },
		{ &lab, IP6_TNL_F_USE_ORIG_FLOWLABEL, 0x000fffffu, 0 } };

	k = num_or_word(c, &enc, &v);
	given |= k;
	if (k == 1) {
		flags |= IP6_TNL_F_IGN_ENCAP_LIMIT;
	} else if (k == 2) {
		kput_u8(c, t->encap, (uint8_t)v);
		flags &= ~(uint32_t)IP6_TNL_F_IGN_ENCAP_LIMIT;
	}
	for (i = 0; i < 2; i++) {
		k = num_or_word(c, fl[i].a, &v);
		given |= k;
		if (k == 0)
			continue;
		flow &= ~fl[i].mask;
		if (k == 1) {
			flags |= fl[i].flag;
		} else {
			flow |= v << fl[i].shift;
			flags &= ~fl[i].flag;
			fw = 1;
		}
	}
	if (!c->cur) {
		/* iproute2's defaults for new IPv6 tunnels: hop limit 64, encap
		 * limit 4 (the kernel's would be 0 for both) */
		if (!has_opt(L, c->idx, "ttl"))
			kput_u8(c, t->ttl, 64);
		if (!has_opt(L, c->idx, "encaplimit"))
			kput_u8(c, t->encap, 4);
	}
	if (given)
		kput_u32(c, t->flags, flags);
	if (fw || (given && c->cur))
		kput_u32(c, t->flowinfo, htonl(flow));
	return 0;
}

static void ip6_info(lua_State *L, const struct nlattr **tb, const ip6attrs *t)
{
	uint32_t flags = tb[t->flags] ? get_num(tb[t->flags], 4) : 0;
	uint32_t flow = tb[t->flowinfo] ? ntohl(get_num(tb[t->flowinfo], 4)) : 0;
	if (flags & IP6_TNL_F_IGN_ENCAP_LIMIT)
		lua_pushstring(L, "none");
	else if (tb[t->encap])
		lua_pushinteger(L, get_num(tb[t->encap], 1));
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "encaplimit");
	if (flags & IP6_TNL_F_USE_ORIG_TCLASS)
		lua_pushstring(L, "inherit");
	else
		lua_pushinteger(L, (flow >> 20) & 0xff);
	lua_setfield(L, -2, "tclass");
	if (flags & IP6_TNL_F_USE_ORIG_FLOWLABEL)
		lua_pushstring(L, "inherit");
	else
		lua_pushinteger(L, flow & 0xfffff);
	lua_setfield(L, -2, "flowlabel");
}

static const kattr ip6tnl_attrs[] = {
	TUN_ADDR_ATTRS(IFLA_IPTUN, T_IN6), TUN_TTL_ATTR(IFLA_IPTUN),
	TUN_PROTO_ATTR(ip6tnl_protos),
	TUN_FWMARK_ATTR(IFLA_IPTUN), TUN_EXTERNAL_ATTR(IFLA_IPTUN),
	IP6_ATTRS,
	KEND
};
static int ip6tnl_hook(kctx *c) { return ip6_hook(c, &ip6tnl_a); }
static void ip6tnl_info(lua_State *L, const struct nlattr **tb) { ip6_info(L, tb, &ip6tnl_a); }
static const struct vn_kspec ip6tnl_spec = { ip6tnl_attrs, ip6tnl_hook, ip6tnl_info,
		KS_REPLACE, NULL };

/* ---- GRE family: gre, gretap, ip6gre, ip6gretap, erspan, ip6erspan ----- */
#define H_GRE_CSUM 0x8000
#define H_GRE_KEY  0x2000
#define H_GRE_SEQ  0x1000

/* key = ikey = okey: an integer or a dotted quad, as iproute2 takes it */
static int read_key(kctx *c, const char *key, uint32_t *out)
{
	lua_State *L = c->L;
	struct in_addr a;
	lua_getfield(L, c->idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushfstring(L, "option '%s'", key);                 /* value, what */
	if (lua_type(L, -2) == LUA_TNUMBER) {
		*out = (uint32_t)vn_check_int(L, -2, c->fn, lua_tostring(L, -1), 0, 0xffffffffLL);
	} else if (lua_type(L, -2) == LUA_TSTRING &&
		   inet_pton(AF_INET, vn_check_str(L, -2, c->fn, lua_tostring(L, -1), 0),
			     &a) == 1) {
		*out = ntohl(a.s_addr);
	} else {
		luaL_error(L, "%s: option '%s' must be an integer between 0 and 4294967295 "
			   "or a dotted quad, got %s%s%s", c->fn, key,
			   lua_type(L, -2) == LUA_TSTRING ? "'" : "",
			   lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
							   : luaL_typename(L, -2),
			   lua_type(L, -2) == LUA_TSTRING ? "'" : "");
	}
	lua_pop(L, 1);
	lua_pop(L, 1);
	return 1;
}

/* Reads key, ikey and okey into ik and ok; returns a mask: 1 ikey, 2 okey. */
static int read_keys(kctx *c, uint32_t *ik, uint32_t *ok)
{
	uint32_t k;
	int m = 0;
	if (read_key(c, "key", &k)) {
		if (has_opt(c->L, c->idx, "ikey") || has_opt(c->L, c->idx, "okey"))
			luaL_error(c->L, "%s: option 'key' excludes 'ikey' and 'okey'", c->fn);
		*ik = *ok = k;
		m = 3;
	}
	if (read_key(c, "ikey", ik))
		m |= 1;
	if (read_key(c, "okey", ok))
		m |= 2;
	return m;
}

static int gre_common(kctx *c, int erspan)
{
	lua_State *L = c->L;
	uint16_t ifl = (uint16_t)ntohs((uint16_t)cur_u32(c, IFLA_GRE_IFLAGS, 2));
	uint16_t ofl = (uint16_t)ntohs((uint16_t)cur_u32(c, IFLA_GRE_OFLAGS, 2));
	uint32_t ik = 0, ok = 0;
	int m, on, fl = 0;
	static const struct { const char *key; int dir; uint16_t bit; } bits[] = {
		{ "csum", 3, H_GRE_CSUM }, { "icsum", 1, H_GRE_CSUM }, { "ocsum", 2, H_GRE_CSUM },
		{ "seq", 3, H_GRE_SEQ }, { "iseq", 1, H_GRE_SEQ }, { "oseq", 2, H_GRE_SEQ },
		{ NULL, 0, 0 } };
	int i;

	m = read_keys(c, &ik, &ok);
	if (m & 1) {
		kput_u32(c, IFLA_GRE_IKEY, htonl(ik));
		ifl |= H_GRE_KEY;
		fl = 1;
	}
	if (m & 2) {
		kput_u32(c, IFLA_GRE_OKEY, htonl(ok));
		ofl |= H_GRE_KEY;
		fl = 1;
	}
	for (i = 0; bits[i].key; i++) {
		if (erspan && bits[i].bit == H_GRE_SEQ)
			continue;
		if (!vn_opt_bool(L, c->idx, c->fn, bits[i].key, &on))
			continue;
		fl = 1;
		if (bits[i].dir & 1)
			ifl = on ? ifl | bits[i].bit : ifl & ~bits[i].bit;
		if (bits[i].dir & 2)
			ofl = on ? ofl | bits[i].bit : ofl & ~bits[i].bit;
	}
	if (erspan && !c->cur) {
		/* ERSPAN needs a key and sequence numbers both ways */
		int ext = 0;
		vn_opt_bool(L, c->idx, c->fn, "external", &ext);
		if (!ext && m != 3)
			luaL_error(L, "%s: option 'key' is required for a %s", c->fn,
				   c->kname);
		if (!ext) {
			ifl |= H_GRE_SEQ | H_GRE_KEY;
			ofl |= H_GRE_SEQ | H_GRE_KEY;
			fl = 1;
		}
	}
	if (fl) {
		kput_u16(c, IFLA_GRE_IFLAGS, htons(ifl));
		kput_u16(c, IFLA_GRE_OFLAGS, htons(ofl));
	}
	return 0;
}

static void gre_info(lua_State *L, const struct nlattr **tb)
{
	uint16_t ifl = tb[IFLA_GRE_IFLAGS] ? ntohs((uint16_t)get_num(tb[IFLA_GRE_IFLAGS], 2)) : 0;
	uint16_t ofl = tb[IFLA_GRE_OFLAGS] ? ntohs((uint16_t)get_num(tb[IFLA_GRE_OFLAGS], 2)) : 0;
	uint32_t ik = tb[IFLA_GRE_IKEY] ? ntohl(get_num(tb[IFLA_GRE_IKEY], 4)) : 0;
	uint32_t ok = tb[IFLA_GRE_OKEY] ? ntohl(get_num(tb[IFLA_GRE_OKEY], 4)) : 0;
	if (ifl & H_GRE_KEY) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "ikey");
	}
	if (ofl & H_GRE_KEY) {
		lua_pushinteger(L, ok);
		lua_setfield(L, -2, "okey");
	}
	if ((ifl & H_GRE_KEY) && (ofl & H_GRE_KEY) && ik == ok) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "key");
	}
	setbool(L, "iseq", (ifl & H_GRE_SEQ) != 0);
	setbool(L, "oseq", (ofl & H_GRE_SEQ) != 0);
	setbool(L, "icsum", (ifl & H_GRE_CSUM) != 0);
	setbool(L, "ocsum", (ofl & H_GRE_CSUM) != 0);
	setbool(L, "seq", (ifl & ofl & H_GRE_SEQ) != 0);
	setbool(L, "csum", (ifl & ofl & H_GRE_CSUM) != 0);
}

/* key, ikey and okey (read_keys) */
#define KEY_ATTRS KHOOK("key"), KHOOK("ikey"), KHOOK("okey")
#define GRE_KEY_ATTRS                                                             \
	KEY_ATTRS, KHOOK("csum"), KHOOK("icsum"), KHOOK("ocsum")
#define GRE_SEQ_ATTRS KHOOK("seq"), KHOOK("iseq"), KHOOK("oseq")
#define GRE4_ATTRS                                                                \
	TUN_ADDR_ATTRS(IFLA_GRE, T_IN4), TUN_TTL_ATTR(IFLA_GRE),                  \
	TUN_TOS_ATTRS(IFLA_GRE),                                                  \
	KBOOL("ignore_df", IFLA_GRE_IGNORE_DF),            \
	TUN_FWMARK_ATTR(IFLA_GRE), TUN_EXTERNAL_ATTR(IFLA_GRE)
#define GRE6_ATTRS                                                                \
	TUN_ADDR_ATTRS(IFLA_GRE, T_IN6), TUN_TTL_ATTR(IFLA_GRE),                  \
	TUN_FWMARK_ATTR(IFLA_GRE), TUN_EXTERNAL_ATTR(IFLA_GRE), IP6_ATTRS
static const sym erspan_dirs[] = { { "ingress", 0 }, { "egress", 1 }, { NULL, 0 } };
#define ERSPAN_ATTRS                                                              \
	{ "version", IFLA_GRE_ERSPAN_VER, 0, T_U8, 0, 1, 2, NULL },               \
	{ "index", IFLA_GRE_ERSPAN_INDEX, 0, T_U32, 0, 0, 0xfffff, NULL },        \
	KENUM("direction", IFLA_GRE_ERSPAN_DIR, T_ENUM8, erspan_dirs),            \
	{ "hwid", IFLA_GRE_ERSPAN_HWID, 0, T_U16, 0, 0, 63, NULL }

static const kattr gre_attrs[] = { GRE4_ATTRS, GRE_KEY_ATTRS, GRE_SEQ_ATTRS,
				   KEND };
static const kattr gre6_attrs[] = { GRE6_ATTRS, GRE_KEY_ATTRS, GRE_SEQ_ATTRS,
				    KEND };
static const kattr erspan_attrs[] = { GRE4_ATTRS, GRE_KEY_ATTRS, ERSPAN_ATTRS,
				      KEND };
static const kattr erspan6_attrs[] = { GRE6_ATTRS, GRE_KEY_ATTRS, ERSPAN_ATTRS,
				       KEND };

/* ERSPAN: index belongs to version 1, direction and hwid to version 2 */
static int erspan_check(kctx *c)
{
	uint32_t ver = 1;
	static const kattr v = { "version", 0, 0, T_U8, 0, 1, 2, NULL };
	if (!kopt_num(c, &v, &ver) && c->cur && c->cur[IFLA_GRE_ERSPAN_VER])
		ver = get_num(c->cur[IFLA_GRE_ERSPAN_VER], 1);
	if (ver == 1 && (has_opt(c->L, c->idx, "direction") || has_opt(c->L, c->idx, "hwid")))
		luaL_error(c->L, "%s: options 'direction' and 'hwid' need version 2", c->fn);
	if (ver == 2 && has_opt(c->L, c->idx, "index"))
		luaL_error(c->L, "%s: option 'index' needs version 1", c->fn);
	return gre_common(c, 1);
}

static int gre_hook(kctx *c) { return gre_common(c, 0); }
static int gre6_hook(kctx *c) { gre_common(c, 0); return ip6_hook(c, &ip6gre_a); }
static int erspan6_hook(kctx *c) { erspan_check(c); return ip6_hook(c, &ip6gre_a); }
static void gre6_info(lua_State *L, const struct nlattr **tb)
{
	gre_info(L, tb);
	ip6_info(L, tb, &ip6gre_a);
}
static void erspan_info(lua_State *L, const struct nlattr **tb)
{
	gre_info(L, tb);
	lua_pushnil(L);
	lua_setfield(L, -2, "seq");
}
static void erspan6_info(lua_State *L, const struct nlattr **tb)
{
	erspan_info(L, tb);
	ip6_info(L, tb, &ip6gre_a);
}

static const struct vn_kspec gre_spec = { gre_attrs, gre_hook, gre_info,
		KS_REPLACE, NULL };
static const struct vn_kspec gre6_spec = { gre6_attrs, gre6_hook, gre6_info,
		KS_REPLACE, NULL };
static const struct vn_kspec erspan_spec = { erspan_attrs, erspan_check, erspan_info,
		KS_REPLACE, "key=1 remote=192.0.2.1 local=192.0.2.2" };
static const struct vn_kspec erspan6_spec = { erspan6_attrs, erspan6_hook, erspan6_info,
		KS_REPLACE, "key=1 remote=2001:db8::1 local=2001:db8::2" };

/* ---- vti, vti6 --------------------------------------------------------- */
#define VTI_ATTRS(in)                                                             \
	TUN_ADDR_ATTRS(IFLA_VTI, in), TUN_FWMARK_ATTR(IFLA_VTI), KEY_ATTRS,       \
	KEND
static const kattr vti_attrs[] = { VTI_ATTRS(T_IN4) };
static const kattr vti6_attrs[] = { VTI_ATTRS(T_IN6) };

static int vti_hook(kctx *c)
{
	uint32_t ik = 0, ok = 0;
	int m = read_keys(c, &ik, &ok);
	if (m & 1)
		kput_u32(c, IFLA_VTI_IKEY, htonl(ik));
	if (m & 2)
		kput_u32(c, IFLA_VTI_OKEY, htonl(ok));
	return 0;
}

static void vti_info(lua_State *L, const struct nlattr **tb)
{
	uint32_t ik = tb[IFLA_VTI_IKEY] ? ntohl(get_num(tb[IFLA_VTI_IKEY], 4)) : 0;
	uint32_t ok = tb[IFLA_VTI_OKEY] ? ntohl(get_num(tb[IFLA_VTI_OKEY], 4)) : 0;
	lua_pushinteger(L, ik);
	lua_setfield(L, -2, "ikey");
	lua_pushinteger(L, ok);
	lua_setfield(L, -2, "okey");
	if (ik == ok) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "key");
	}
}
static const struct vn_kspec vti_spec = { vti_attrs, vti_hook, vti_info,
		KS_REPLACE, NULL };
static const struct vn_kspec vti6_spec = { vti6_attrs, vti_hook, vti_info,
		KS_REPLACE, NULL };


/***
 * @module vnet.core
 */

/*** The own options of each tunnel kind (see `link_kinds`); `ns:tunnel_add`
 * makes them with the modes of `ip tunnel` (`tunnel_modes`).
 * @table tunnel_kinds
 * @field vxlan `id` (required), `remote` (an address, or a multicast
 *   group), `local`, `dev`, `dstport`, `ttl`, `tos`, `label`, `learning`,
 *   `port_range`, `ageing`, `maxaddress`, `proxy`, `rsc`, `l2miss`,
 *   `l3miss`, `udpcsum`, `udp6zerocsumtx`, `udp6zerocsumrx`, `external`
 * @field geneve `id` (required), `remote`, `dstport`, `ttl`, `tos`,
 *   `label`, `df`, `udpcsum`, `udp6zerocsumtx`, `udp6zerocsumrx`,
 *   `external`
 * @field ipip `remote`, `local`, `dev`, `ttl`, `tos`, `pmtudisc`, `proto`,
 *   `fwmark`, `external`; `sit` also `isatap`
 * @field ip6tnl `remote`, `local`, `dev`, `ttl`, `proto` (`"ip6ip6"`,
 *   `"ipip6"`...), `fwmark`, `external`, `encaplimit`, `tclass`,
 *   `flowlabel`
 * @field gre `remote`, `local`, `dev`, `ttl`, `tos`, `pmtudisc`,
 *   `ignore_df`, `fwmark`, `external`, `key` (or `ikey`, `okey`), `csum`
 *   (or `icsum`, `ocsum`), `seq` (or `iseq`, `oseq`); also `gretap`
 * @field ip6gre `remote`, `local`, `dev`, `ttl`, `fwmark`, `external`,
 *   `encaplimit`, `tclass`, `flowlabel`, and gre's keys, checksums and
 *   sequence numbers; also `ip6gretap`
 * @field erspan gre's options but `seq`, and `version` (1 or 2), `index`,
 *   `direction`, `hwid`; `ip6erspan` likewise over ip6gre's
 * @field vti `remote`, `local`, `dev`, `fwmark`, `key` (or `ikey`,
 *   `okey`); also `vti6`
 */

const vn_kind vn_kinds_tunnel[] = {
	KROW("vxlan", vxlan_spec),
	KROW("geneve", geneve_spec),
	KROW("ipip", ipip_spec),
	KROW("sit", sit_spec),
	KROW("ip6tnl", ip6tnl_spec),
	KROW("gre", gre_spec),
	KROW("gretap", gre_spec),
	KROW("ip6gre", gre6_spec),
	KROW("ip6gretap", gre6_spec),
	KROW("erspan", erspan_spec),
	KROW("ip6erspan", erspan6_spec),
	KROW("vti", vti_spec),
	KROW("vti6", vti6_spec),
	{ NULL, NULL, NULL, NULL, NULL }
};

/* `ip tunnel add NAME mode MODE`: the kind each mode makes, and the
 * options it fixes */
const vn_tmode vn_tunnel_modes[] = {
	{ "ipip", "ipip", NULL }, { "sit", "sit", NULL },
	{ "isatap", "sit", "isatap=true" },
	{ "ip6tnl", "ip6tnl", NULL }, { "ip6ip6", "ip6tnl", "proto=ip6ip6" },
	{ "ipip6", "ip6tnl", "proto=ipip6" },
	{ "gre", "gre", NULL }, { "gretap", "gretap", NULL }, { "ip6gre", "ip6gre", NULL },
	{ "ip6gretap", "ip6gretap", NULL }, { "erspan", "erspan", NULL },
	{ "ip6erspan", "ip6erspan", NULL }, { "vti", "vti", NULL }, { "vti6", "vti6", NULL },
	{ NULL, NULL, NULL }
};
