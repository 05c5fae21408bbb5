/*
 * link_kinds.c - one row per link kind: option parser and info reader.
 */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <netlink/route/link/veth.h>

#include "link.h"

/* ---- veth ------------------------------------------------------------ */
static const char *const veth_keys[] = { "peer", NULL };

static int veth_parse(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
		      const char *fn, const char **what)
{
	static const char *const peer_keys[] = { "name", "netns", "address", "mtu",
						  "txqlen", "up", NULL };
	struct rtnl_link *peer;
	const char *s;
	lua_Integer n;
	int b;
	vn_ns *pns;
	(void)ns;
	(void)what;

	lua_getfield(L, idx, "peer");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
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
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_put(peer); /* l holds it; get_peer added a reference */
	if ((s = vn_opt_str(L, idx, fn, "name", 0))) {
		vn_check_ifname(L, s, fn, "peer.name");
		rtnl_link_set_name(peer, s);
	}
	if (vn_opt_int(L, idx, fn, "mtu", 68, 65535, &n))
		rtnl_link_set_mtu(peer, (unsigned)n);
	if (vn_opt_int(L, idx, fn, "txqlen", 0, 0x7fffffff, &n))
		rtnl_link_set_txqlen(peer, (unsigned)n);
	if (vn_opt_bool(L, idx, fn, "up", &b) && b)
		rtnl_link_set_flags(peer, IFF_UP);
	{
		struct nl_addr *a = NULL;
		lua_getfield(L, idx, "address");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING ||
			    nl_addr_parse(lua_tostring(L, -1), AF_LLC, &a) < 0)
				luaL_error(L, "%s: option 'peer.address' must be a MAC address", fn);
			rtnl_link_set_addr(peer, a);
			nl_addr_put(a);
		}
		lua_pop(L, 1);
	}
	/* the peer table stays on the stack, and the namespace handle above it */
	pns = vn_opt_netns(L, idx, fn, "netns");
	if (pns)
		rtnl_link_set_ns_fd(peer, pns->fd);
	return 0;
}

static void veth_info(lua_State *L, struct rtnl_link *l)
{
	int32_t nsid;
	if (rtnl_link_get_link(l)) {
		lua_pushinteger(L, rtnl_link_get_link(l));
		lua_setfield(L, -2, "peer_index");
	}
	if (rtnl_link_get_link_netnsid(l, &nsid) == 0) {
		lua_pushinteger(L, nsid);
		lua_setfield(L, -2, "peer_netnsid");
	}
}

/* ---- the table ------------------------------------------------------- */
static const char *const no_keys[] = { NULL };

static const vn_kind kinds[] = {
	{ "veth", veth_keys, rtnl_link_veth_alloc, veth_parse, veth_info, NULL },
	{ "bridge", no_keys, NULL, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const vn_kind *vn_kind_find(const char *name)
{
	const vn_kind *k;
	for (k = kinds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void vn_kind_names(lua_State *L)
{
	const vn_kind *k;
	int i = 1;
	lua_newtable(L);
	for (k = kinds; k->name; k++) {
		lua_pushstring(L, k->name);
		lua_rawseti(L, -2, i++);
	}
}
