/*
 * link.h - the link kind dispatch table shared by link.c and link_kinds.c.
 *
 * A kind is one row: its name, its own option keys, a parser that fills a
 * struct rtnl_link from the options table, and a pusher that reads the
 * kind's settings back into the link's `info` table. Adding a kind is adding
 * one row and its two functions, as iproute2 keeps one link_util per kind.
 */
#ifndef VNET_LINK_H
#define VNET_LINK_H

#include <netlink/route/link.h>
#include "util.h"

#define VN_LINK "vnet.link"

/* The index of the live link box at idx (raises otherwise), and a
 * description of it (its name, else its index) pushed on the stack. */
int vn_link_ifindex(lua_State *L, int idx);
void vn_link_desc(lua_State *L, int idx);

struct vn_kspec;

typedef struct vn_kind {
	const char *name;              /* IFLA_INFO_KIND, e.g. "vxlan" */
	const char *const *keys;       /* the kind's own option keys, NULL-ended */
	/* Allocates the link; NULL means rtnl_link_alloc() + set_type(name). */
	struct rtnl_link *(*alloc)(void);
	/* Reads the kind's options from the table at idx into l. May raise (the
	 * caller keeps l in a box, so nothing leaks). May push values on the
	 * stack that must stay alive until the request is sent (e.g. a peer's
	 * namespace handle). Returns 0, or -errno with what named in *what (a
	 * referenced link that does not exist, say), which the caller reports as
	 * a failure triple. */
	int (*parse)(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
		     const char *fn, const char **what);
	/* Sets the kind's fields in the table at the top of the stack. */
	void (*info)(lua_State *L, struct rtnl_link *l);
	/* Creates the link some other way than RTM_NEWLINK (tun/tap); NULL for
	 * most kinds. Returns 0 or -errno. */
	int (*create)(lua_State *L, int idx, vn_ns *ns, const char *name,
		      const char *fn);
	/* link_kinds.c's own description of the kind (its IFLA_INFO_DATA
	 * attributes and checks); opaque to link.c, NULL for veth. */
	const struct vn_kspec *spec;
} vn_kind;

/* The row for a kind name, or NULL. */
const vn_kind *vn_kind_find(const char *name);
/* Pushes a list of every kind name the table knows. */
void vn_kind_names(lua_State *L);

/* Reads a link reference option (parent, master...) of the table at idx
 * into *out; returns 0 if absent or found, -ENODEV if it names no link
 * (then *what is set to key). */
/* Pushes the failure of option what (a link or namespace that is not there:
 * errno err, ENODEV when 0) of the call fn on the link name, the option's
 * value read from the table at idx; returns 3. */
int vn_link_fail_ref(lua_State *L, const char *fn, const char *name, int idx,
		     const char *what, int err);
int vn_link_ref(lua_State *L, int idx, vn_ns *ns, const char *fn,
		const char *key, int *out, const char **what);

/* The libnl object of the live link box at idx (made from the kernel's
 * message on first use; raises on a released link). */
struct rtnl_link *vn_link_check(lua_State *L, int idx);
/* Pushes a link box that only guards a new object being built (freed with
 * the box if a parser raises) and returns the object; alloc NULL means
 * rtnl_link_alloc(). */
struct rtnl_link *vn_link_guard(lua_State *L, struct rtnl_link *(*alloc)(void),
				const char *fn);
/* Reads the link ifindex of ns again into the box at idx. 0 or -errno. */
int vn_link_refresh(lua_State *L, int idx, vn_ns *ns, int ifindex);

/* Pushes a link box holding the link message payload p (len bytes), bound to the netns at nsidx. */
void lk_push(lua_State *L, const void *p, size_t len, int nsidx);

/* Adds the kind-specific link methods (link:set_info, link:port...) to
 * "vnet.link"; called once the link type is registered. */
void vn_open_kinds(lua_State *L);

/* tuntap.c: tun/tap devices made through /dev/net/tun inside the namespace.
 * The create hooks of the "tun" and "tap" rows: read the kind's options of
 * the table at idx (raising on bad ones before anything is made), then make
 * a persistent device. Return 0 or -errno. */
int vn_tun_create(lua_State *L, int idx, vn_ns *ns, const char *name, const char *fn);
int vn_tap_create(lua_State *L, int idx, vn_ns *ns, const char *name, const char *fn);
/* A tun/tap request: IFF_* flags of struct ifreq, and an owner and group
 * (-1: leave as they are). */
typedef struct vn_tunreq {
	int flags;
	long long uid, gid;
} vn_tunreq;
/* Reads the options owner, owner_group, pi, vnet_hdr and multi_queue of the
 * table at idx into req (whose flags hold the current ones); raises on bad
 * values. */
void vn_tun_opts(lua_State *L, int idx, const char *fn, vn_tunreq *req);
/* Makes (create: a new persistent device, EEXIST if the name is taken) or
 * reattaches to the device name inside ns and applies req. 0 or -errno. */
int vn_tun_apply(vn_ns *ns, const char *name, const vn_tunreq *req, int create);

#endif
