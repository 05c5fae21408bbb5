/*
 * link.h - the link kind dispatch table shared by link.c and the kind files
 * (kind.c, kind_l2.c, kind_tunnel.c, kind_port.c).
 *
 * A kind is one row: its name, a parser that writes the kind's attributes
 * from the options table, and a pusher that reads the kind's settings back
 * from the link's message into the link's `info` table. Adding a kind is adding
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

/* What a kind's parser fills for one request (made by vn_kreq_new, owned
 * by a userdata on the stack, so nothing leaks if a parser raises). */
typedef struct vn_kreq {
	const struct vn_kind *kind;
	struct nl_msg *data;           /* the attributes of IFLA_INFO_DATA */
	/* veth: a peer to bring up once the pair exists (the kernel cannot
	 * open a veth end before then), its name ("" if not given) and its
	 * namespace handle (pushed by the parser; NULL: the caller's) */
	int peer_up;
	char peer[16];
	vn_ns *pns;
} vn_kreq;

typedef struct vn_kind {
	const char *name;              /* IFLA_INFO_KIND, e.g. "vxlan" */
	/* Reads the kind's options from the table at idx into req. May raise
	 * (req is owned by a userdata). May push values on the stack that
	 * must stay alive until the request is sent (e.g. a peer's namespace
	 * handle). Returns 0, or -errno with what named in *what (a
	 * referenced link that does not exist, say), which the caller
	 * reports as a failure triple. */
	int (*parse)(lua_State *L, int idx, vn_ns *ns, vn_kreq *req,
		     const char *fn, const char **what);
	/* Sets the kind's fields in the table at the top of the stack from
	 * the link's message (its ifinfomsg payload, len bytes). */
	void (*info)(lua_State *L, const struct vn_kind *k, const void *m, size_t len);
	/* Creates the link some other way than RTM_NEWLINK (tun/tap); NULL for
	 * most kinds. Returns 0 or -errno. */
	int (*create)(lua_State *L, int idx, vn_ns *ns, const char *name,
		      const char *fn);
	/* the row engine's description of the kind (its IFLA_INFO_DATA
	 * attributes and checks, kind.h); opaque to link.c. */
	const struct vn_kspec *spec;
} vn_kind;

/* The row for a kind name, or NULL. */
const vn_kind *vn_kind_find(const char *name);
/* Stores the kind's own option keys in keys (at most max) and returns how
 * many. */
int vn_kind_keys(const vn_kind *k, const char **keys, int max);
/* Pushes a userdata holding a new, empty request of kind k and returns it
 * (raises "<fn>: out of memory"). */
vn_kreq *vn_kreq_new(lua_State *L, const vn_kind *k, const char *fn);
/* Appends IFLA_LINKINFO (the kind's name and the data of req, which may
 * be NULL) to msg. 0 or -ENOMEM. */
int vn_kind_put(struct nl_msg *msg, const vn_kind *k, const vn_kreq *req);
/* Pushes the list of every kind name the table knows. */
void vn_kind_names(lua_State *L);
/* Adds kind(name) and tunnel_modes() to the module table at -1. */
void vn_kind_export(lua_State *L);

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

/* The kernel's message of the live link box at idx (its ifinfomsg payload,
 * *len bytes), read again first when the box is stale; raises on a
 * released link. The bytes belong to the box: valid until the box is next
 * read again or released (copy them before calling Lua). */
const unsigned char *vn_link_msg(lua_State *L, int idx, size_t *len);
/* The link's kind as vnet names it ("tap" for a tun device of type tap),
 * from its message; NULL for a device of no kind. n gets its length. */
const char *vn_link_kindname(const void *m, size_t len, size_t *n);
/* Pushes a link box that only guards a new object being built (freed with
 * the box if a parser raises) and returns the object. */
struct rtnl_link *vn_link_guard(lua_State *L, const char *fn);
/* Reads the link ifindex of ns again into the box at idx. 0, or -errno
 * with e (may be NULL) filled in. */
int vn_link_refresh(lua_State *L, int idx, vn_ns *ns, int ifindex, vn_err *e);

/* Dumps the links of ns (RTM_GETLINK of family, with IFLA_EXT_MASK
 * ext_mask: RTEXT_FILTER_*) into l. 0 or -errno (e filled in). */
int vn_link_dump(vn_ns *ns, int family, uint32_t ext_mask, vn_list *l, vn_err *e);

/* Pushes a link box holding the link message payload p (len bytes), bound to the netns at nsidx. */
void lk_push(lua_State *L, const void *p, size_t len, int nsidx);

/* Adds the kind-specific link methods (link:set_info, link:port...) to
 * "vnet.link"; called once the link type is registered (kind.c). */
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

/* altname.c: raises when name is not a valid alternative name (1..127
 * bytes, no '/' or white space), naming fn and key. */
void vn_check_altname(lua_State *L, const char *name, const char *fn, const char *key);
/* Pushes the list of the IFLA_ALT_IFNAME names of an IFLA_PROP_LIST
 * attribute (a struct rtattr; NULL: an empty list). */
void vn_push_altnames(lua_State *L, const void *prop);

#endif
