/*
 * nsid.c - namespace ids (`ip netns set NAME ID`, `ip netns list-id`): the
 * number a namespace knows another one by (a link's IFLA_LINK_NETNSID, the
 * namespace of a veth's peer).
 *
 *   ns:nsid(other)           -> the id ns has for other, or nil
 *   ns:set_nsid(other, id)   -> true      (id "auto": the kernel picks one)
 *   ns:nsids()               -> iterator: id, name (the /run/netns name or nil)
 *
 * Requests are RTM_GETNSID / RTM_NEWNSID with NETNSA_FD (the other
 * handle's namespace fd) and NETNSA_NSID; names are found the way iproute2
 * finds them: by asking for the id of each namespace under /run/netns.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/net_namespace.h>

#include "util.h"
#include "msg.h"
#include "link.h"

#define RUN_DIR "/run/netns"
#define GENLEN NLMSG_ALIGN(sizeof(struct rtgenmsg))

typedef union ni_msgbuf {
	struct nlmsghdr h;
	unsigned char b[NLMSG_SPACE(GENLEN) + 4 * RTA_SPACE(4)];
} ni_msgbuf;

static struct nlmsghdr *build(ni_msgbuf *buf, int type)
{
	struct nlmsghdr *h = &buf->h;
	memset(buf, 0, sizeof *buf);
	h->nlmsg_len = NLMSG_LENGTH(GENLEN);
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_flags = NLM_F_REQUEST;
	((struct rtgenmsg *)NLMSG_DATA(h))->rtgen_family = AF_UNSPEC;
	return h;
}

static int keep_nsid(const struct nlmsghdr *h, void *arg)
{
	(void)arg;
	return h->nlmsg_type == RTM_NEWNSID && h->nlmsg_len >= NLMSG_LENGTH(GENLEN);
}

/* The NETNSA_NSID of the payload p (len bytes); -1 when none. */
static int32_t payload_nsid(const void *p, size_t len)
{
	const struct rtattr *tb[NETNSA_MAX + 1];
	vn_attrs_index(p, len, GENLEN, tb, NETNSA_MAX);
	return tb[NETNSA_NSID] ? (int32_t)vn_rta_u32(tb[NETNSA_NSID]) : -1;
}

/* The id ns has for the namespace of fd (-1: none). Calls no Lua. 0 or
 * -errno with e (may be NULL) filled in. */
static int get_nsid(vn_ns *ns, int fd, int32_t *id, vn_err *e)
{
	ni_msgbuf buf;
	struct nlmsghdr *h = build(&buf, RTM_GETNSID);
	vn_list l;
	const void *p;
	size_t len;
	int r;
	uint32_t v = (uint32_t)fd;
	vn_rta_put(h, NETNSA_FD, &v, sizeof v);
	memset(&l, 0, sizeof l);
	l.rkeep = keep_nsid;
	r = vn_req(ns, h, VN_GET, &l, e);
	*id = -1;
	if (r == 0 && (p = vn_list_first(&l, &len)))
		*id = payload_nsid(p, len);
	vn_list_free(&l);
	return r;
}

int vn_nsid_name(vn_ns *ns, int32_t id, char *out, size_t size)
{
	DIR *d;
	struct dirent *e;
	int found = 0;
	if (id < 0 || !(d = opendir(RUN_DIR)))
		return 0;
	while (!found && (e = readdir(d))) {
		char path[sizeof RUN_DIR + 256 + 1];
		int32_t got;
		int fd;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", RUN_DIR, e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (get_nsid(ns, fd, &got, NULL) == 0 && got == id) {
			snprintf(out, size, "%s", e->d_name);
			found = 1;
		}
		close(fd);
	}
	closedir(d);
	return found;
}

/* Reads the namespace argument at idx (a handle or a /run/netns name) and
 * pushes its handle; returns it, or NULL with the failure triple pushed. */
static vn_ns *other_arg(lua_State *L, int idx, const char *fn, int *nret)
{
	vn_ns *o;
	int err;
	if (!luaL_testudata(L, idx, VN_NETNS) && lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s: the namespace must be a vnet.netns or a name, got %s", fn,
			   luaL_typename(L, idx));
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, "namespace");
	o = vn_opt_netns(L, lua_gettop(L), fn, "namespace", &err);   /* +1 */
	if (!o) {
		lua_pushvalue(L, idx);
		*nret = vn_fail(L, lua_pushfstring(L, "%s %s", fn, lua_tostring(L, -1)),
				err ? err : ENOENT, NULL);
		return NULL;
	}
	if (o->fd < 0)
		luaL_error(L, "%s: the namespace is a closed handle", fn);
	lua_remove(L, -2);
	return o;
}

/* ns:nsid(other) -> id | nil, msg, errname ("ENOENT" also when ns has no id
 * for other, as for a name no namespace has) */
static int m_nsid(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	vn_ns *o;
	vn_err e;
	int32_t id;
	int nret;
	lua_settop(L, 2);
	if (!(o = other_arg(L, 2, "nsid", &nret)))
		return nret;
	if (get_nsid(ns, o->fd, &id, &e) < 0)
		return vn_push_err(L, "nsid", &e, NULL);
	if (id < 0) {
		lua_pushvalue(L, 2);
		if (!lua_isstring(L, -1)) {
			lua_pop(L, 1);
			lua_pushstring(L, *o->name ? o->name : o->path);
		}
		return vn_fail(L, lua_pushfstring(L, "nsid %s: no id assigned", lua_tostring(L, -1)),
			       ENOENT, NULL);
	}
	lua_pushinteger(L, id);
	return 1;
}

/* ns:set_nsid(other, id | "auto") -> id | nil, msg, errname (EEXIST when
 * other has an id already, or id is taken) */
static int m_set_nsid(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	vn_ns *o;
	ni_msgbuf buf;
	struct nlmsghdr *h;
	vn_err e;
	int32_t id = -1;
	uint32_t v;
	int nret;
	lua_settop(L, 3);
	if (vn_deferred(ns))
		return luaL_error(L, "set_nsid: cannot be queued in ns:batch (the other "
				  "namespace's fd is sent with it); call it outside the batch");
	if (lua_type(L, 3) == LUA_TSTRING && !strcmp(lua_tostring(L, 3), "auto"))
		id = -1;
	else if (lua_type(L, 3) == LUA_TNUMBER)
		id = (int32_t)vn_check_int(L, 3, "set_nsid", "id", 0, 0x7fffffff);
	else
		return luaL_error(L, "set_nsid: id must be an integer between 0 and 2147483647 "
				  "or \"auto\", got %s", lua_type(L, 3) == LUA_TSTRING ?
				  "another string" : luaL_typename(L, 3));
	if (!(o = other_arg(L, 2, "set_nsid", &nret)))
		return nret;
	h = build(&buf, RTM_NEWNSID);
	v = (uint32_t)o->fd;
	vn_rta_put(h, NETNSA_FD, &v, sizeof v);
	v = (uint32_t)id;
	vn_rta_put(h, NETNSA_NSID, &v, sizeof v);
	if (vn_req(ns, h, 0, NULL, &e) < 0) {
		lua_pushvalue(L, 2);
		if (!lua_isstring(L, -1)) {
			lua_pop(L, 1);
			lua_pushstring(L, *o->name ? o->name : o->path);
		}
		return vn_push_err(L, lua_pushfstring(L, "set_nsid %s", lua_tostring(L, -1)),
				   &e, NULL);
	}
	if (get_nsid(ns, o->fd, &id, NULL) < 0 || id < 0)
		lua_pushboolean(L, 1);
	else
		lua_pushinteger(L, id);
	return 1;
}

/* The iterator's values of one entry: id, and the /run/netns name of that
 * namespace (nil when none has it), asked on the handle at nsidx. */
static void push_entry(lua_State *L, const void *p, size_t len, int nsidx)
{
	vn_ns *ns = (vn_ns *)lua_touserdata(L, nsidx);
	char name[256];
	int32_t id = payload_nsid(p, len);
	lua_pushinteger(L, id);
	if (ns && ns->fd >= 0 && vn_nsid_name(ns, id, name, sizeof name))
		lua_pushstring(L, name);
	else
		lua_pushnil(L);
}

/* ns:nsids() -> iterator over id, name (`ip netns list-id`): every id the
 * namespace gave another one, with the /run/netns name of that namespace
 * (nil when it has none there) */
static int m_nsids(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	vn_list *l;
	ni_msgbuf buf;
	vn_err e;
	lua_settop(L, 1);
	l = vn_list_new(L);                                 /* 2 */
	l->rkeep = keep_nsid;
	if (vn_req(ns, build(&buf, RTM_GETNSID), VN_DUMP, l, &e) < 0)
		return vn_push_err(L, "nsids", &e, NULL);
	vn_push_raw_iter(L, l, push_entry, 1);
	return 1;
}

/***
 * Namespace ids (`ip netns set NAME ID`, `ip netns list-id`): the number
 * a namespace knows another one by (a link's `link_netnsid`, the
 * namespace of a veth's peer). The `ns:nsid`, `ns:set_nsid` and
 * `ns:nsids` methods of `vnet.netns` handles.
 * @module vnet.nsid
 */

/*** The id this namespace has for another one.
 * @function ns:nsid
 * @param other a `vnet.netns` handle, or a /run/netns name
 * @return the id, or `nil, message, errname` (`ENOENT` when this
 *   namespace has no id for other, as for a name no namespace has)
 * @usage
 * local vnet = require "vnet"
 * local a, b = assert(vnet.netns.new()), assert(vnet.netns.new())
 * assert(select(3, a:nsid(b)) == "ENOENT")
 * local id = assert(a:set_nsid(b, "auto"))
 * assert(a:nsid(b) == id)
 * a:close(); b:close()
 */

/*** Gives another namespace an id in this one (`ip netns set`).
 * @function ns:set_nsid
 * @param other a `vnet.netns` handle, or a /run/netns name
 * @param id a number (0 to 2^31-1), or `"auto"`: the kernel picks one
 * @return the id, or `nil, message, errname` (`EEXIST` when other has an
 *   id already, or the id is taken)
 * @raise on a bad id, and inside `ns:batch`
 */

/*** The ids this namespace gave others (`ip netns list-id`).
 * @function ns:nsids
 * @return an iterator over `id, name` (the other namespace's /run/netns
 *   name, nil when it has none there)
 */

static const luaL_Reg ns_methods[] = {
	{ "nsid", m_nsid }, { "set_nsid", m_set_nsid }, { "nsids", m_nsids },
	{ NULL, NULL }
};

void vn_open_nsid(lua_State *L)
{
	vn_netns_methods(L, ns_methods);
}
