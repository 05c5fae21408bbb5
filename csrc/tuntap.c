/*
 * tuntap.c - tun and tap devices, made through /dev/net/tun (the kernel
 * refuses to make them with RTM_NEWLINK, and libnl has no support for them).
 *
 * The character device is opened inside the target namespace: a tun/tap
 * device is created in the namespace of the thread that opened the file.
 * The device is made persistent, given its owner and group, and the file is
 * closed; afterwards it is a link like any other (set, read back, deleted
 * with RTM_DELLINK).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "link.h"

/* An owner or group option: a number, or a user or group name. */
static long long id_opt(lua_State *L, int idx, const char *fn, const char *key, int user)
{
	long long v = -1;
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return -1;
	}
	if (lua_type(L, -1) == LUA_TNUMBER) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 ||
		    lua_tointeger(L, -1) >= 0xffffffffLL)
			luaL_error(L, "%s: option '%s' must be a %s id between 0 and 4294967294 "
				   "or a name", fn, key, user ? "user" : "group");
		v = (long long)lua_tointeger(L, -1);
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		char buf[4096];
		const char *name = lua_tostring(L, -1);
		if (user) {
			struct passwd pw, *p = NULL;
			if (getpwnam_r(name, &pw, buf, sizeof buf, &p) == 0 && p)
				v = (long long)p->pw_uid;
		} else {
			struct group gr, *g = NULL;
			if (getgrnam_r(name, &gr, buf, sizeof buf, &g) == 0 && g)
				v = (long long)g->gr_gid;
		}
		if (v < 0)
			luaL_error(L, "%s: option '%s': no %s named '%s'", fn, key,
				   user ? "user" : "group", name);
	} else {
		luaL_error(L, "%s: option '%s' must be a %s id or name, got %s", fn, key,
			   user ? "user" : "group", luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return v;
}

void vn_tun_opts(lua_State *L, int idx, const char *fn, vn_tunreq *req)
{
	int b;
	req->uid = id_opt(L, idx, fn, "owner", 1);
	req->gid = id_opt(L, idx, fn, "owner_group", 0);
	if (vn_opt_bool(L, idx, fn, "pi", &b))
		req->flags = b ? req->flags & ~IFF_NO_PI : req->flags | IFF_NO_PI;
	if (vn_opt_bool(L, idx, fn, "vnet_hdr", &b))
		req->flags = b ? req->flags | IFF_VNET_HDR : req->flags & ~IFF_VNET_HDR;
	if (vn_opt_bool(L, idx, fn, "multi_queue", &b))
		req->flags = b ? req->flags | IFF_MULTI_QUEUE : req->flags & ~IFF_MULTI_QUEUE;
}

struct tun_job {
	const char *name;
	const vn_tunreq *req;
	int create;
};

/* Runs inside the namespace. */
static int tun_in_ns(void *arg)
{
	struct tun_job *j = (struct tun_job *)arg;
	struct ifreq ifr;
	int fd, r = 0;

	if (j->create && if_nametoindex(j->name))
		return -EEXIST;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", j->name);
	ifr.ifr_flags = (short)(j->req->flags | (j->create ? IFF_TUN_EXCL : 0));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		r = errno == EBUSY && j->create ? -EEXIST : -errno;
	if (!r && j->req->uid >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)j->req->uid) < 0)
		r = -errno;
	if (!r && j->req->gid >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)j->req->gid) < 0)
		r = -errno;
	if (!r && j->create && ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		r = -errno;
	close(fd);   /* a new device that did not become persistent goes away */
	return r;
}

int vn_tun_apply(vn_ns *ns, const char *name, const vn_tunreq *req, int create)
{
	struct tun_job j;
	j.name = name;
	j.req = req;
	j.create = create;
	return vn_in_ns(ns->fd, tun_in_ns, &j);
}

static int create(lua_State *L, int idx, vn_ns *ns, const char *name, const char *fn,
		  int type)
{
	vn_tunreq req;
	req.flags = type | IFF_NO_PI;
	vn_tun_opts(L, idx, fn, &req);           /* raises before anything is made */
	return vn_tun_apply(ns, name, &req, 1);
}

int vn_tun_create(lua_State *L, int idx, vn_ns *ns, const char *name, const char *fn)
{
	return create(L, idx, ns, name, fn, IFF_TUN);
}

int vn_tap_create(lua_State *L, int idx, vn_ns *ns, const char *name, const char *fn)
{
	return create(L, idx, ns, name, fn, IFF_TAP);
}
