/*
 * altname.c - alternative names of links (`ip link property add dev D
 * altname NAME`, `ip link property del`).
 *
 *   link:altname_add(name)   link:altname_del(name)   link.altnames
 *
 * Requests are RTM_NEWLINKPROP / RTM_DELLINKPROP messages holding
 * IFLA_PROP_LIST { IFLA_ALT_IFNAME }. The kernel resolves an alternative
 * name wherever a name is looked up (the ioctl behind `dev =` options for
 * names of up to 15 bytes, IFLA_ALT_IFNAME for ns:link of a longer one).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include "util.h"
#include "msg.h"
#include "link.h"

#define ALTNAME_MAX 127   /* ALTIFNAMSIZ - 1 */

void vn_check_altname(lua_State *L, const char *name, const char *fn, const char *key)
{
	size_t n = strlen(name), i;
	if (n == 0)
		luaL_error(L, "%s: %s must not be empty", fn, key);
	if (n > ALTNAME_MAX)
		luaL_error(L, "%s: %s is longer than %d bytes", fn, key, ALTNAME_MAX);
	for (i = 0; i < n; i++)
		if (name[i] == '/' || isspace((unsigned char)name[i]))
			luaL_error(L, "%s: %s '%s' is not a valid name (no '/' or white space)",
				   fn, key, name);
}

typedef union an_msgbuf {
	struct nlmsghdr h;
	unsigned char b[NLMSG_SPACE(sizeof(struct ifinfomsg)) + 2 * RTA_SPACE(ALTNAME_MAX + 1)];
} an_msgbuf;

/* Builds a request of type for the link ifindex with the alternative name
 * name (nested in IFLA_PROP_LIST). */
static struct nlmsghdr *build(an_msgbuf *buf, int type, int ifindex, const char *name)
{
	struct nlmsghdr *h = &buf->h;
	struct rtattr *p;
	memset(buf, 0, sizeof *buf);
	vn_ifi_msg(h, type, AF_UNSPEC, ifindex);
	p = vn_rta_put(h, IFLA_PROP_LIST | NLA_F_NESTED, NULL, 0);
	vn_rta_put(h, IFLA_ALT_IFNAME, name, strlen(name) + 1);
	vn_rta_end(h, p);
	return h;
}

static int modify(lua_State *L, const char *fn, int type)
{
	char name[ALTNAME_MAX + 1];
	an_msgbuf buf;
	vn_ns *ns;
	vn_err e;
	int ifindex;

	lua_settop(L, 2);
	ifindex = vn_link_ifindex(L, 1);
	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "%s: name must be a string, got %s", fn, luaL_typename(L, 2));
	{
		const char *s = vn_check_str(L, 2, fn, "name", 0);
		vn_check_altname(L, s, fn, "name");
		memcpy(name, s, strlen(s) + 1);
	}
	ns = vn_box_ns(L, 1);                               /* 3 */
	if (ns->fd < 0)
		return luaL_error(L, "%s: the link's namespace handle is closed", fn);
	if (vn_req(ns, build(&buf, type, ifindex, name), 0, NULL, &e) < 0) {
		vn_link_desc(L, 1);
		return vn_push_err(L, lua_pushfstring(L, "%s %s %s", fn, lua_tostring(L, -1),
						      name), &e, NULL);
	}
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* the link reads its names again; kept as it was when that fails */
	vn_link_refresh(L, 1, ns, ifindex, NULL);
	lua_settop(L, 1);
	return 1;
}

/* link:altname_add(name) -> the link, read again | nil, msg, errname
 * (EEXIST when a link has that name or alternative name) */
static int l_altname_add(lua_State *L)
{
	return modify(L, "altname_add", RTM_NEWLINKPROP);
}

/* link:altname_del(name) -> the link | nil, msg, errname (ENOENT: the
 * link has no such alternative name) */
static int l_altname_del(lua_State *L)
{
	return modify(L, "altname_del", RTM_DELLINKPROP);
}

void vn_push_altnames(lua_State *L, const void *prop)
{
	const struct rtattr *p = (const struct rtattr *)prop, *a;
	unsigned int left;
	int n = 0;
	lua_newtable(L);
	if (!p)
		return;
	left = RTA_PAYLOAD(p);
	for (a = (const struct rtattr *)RTA_DATA(p); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		size_t len;
		if ((a->rta_type & NLA_TYPE_MASK) != IFLA_ALT_IFNAME)
			continue;
		len = strnlen((const char *)RTA_DATA(a), RTA_PAYLOAD(a));
		if (!len)
			continue;
		lua_pushlstring(L, (const char *)RTA_DATA(a), len);
		lua_rawseti(L, -2, ++n);
	}
}

/***
 * Alternative names of links (`ip link property add dev D altname NAME`):
 * the `link:altname_*` methods; `link.altnames` lists them.
 * @module vnet.altname
 */

/*** Adds an alternative name to the link: up to 127 bytes, no `/` nor
 * white space; wherever a name is looked up (`dev =`, `ns:link`) it names
 * the link too.
 * @function link:altname_add
 * @string name the name
 * @return the link, read again, or `nil, message, errname` (`EEXIST` when
 *   a link has that name or alternative name)
 * @raise on a bad name
 */

/*** Removes an alternative name of the link.
 * @function link:altname_del
 * @string name the name
 * @return the link, or `nil, message, errname` (`ENOENT` when the link has
 *   no such alternative name)
 * @raise on a bad name
 */

static const luaL_Reg link_methods[] = {
	{ "altname_add", l_altname_add }, { "altname_del", l_altname_del },
	{ NULL, NULL }
};

void vn_open_altname(lua_State *L)
{
	vn_type_methods(L, VN_LINK, link_methods);
}
