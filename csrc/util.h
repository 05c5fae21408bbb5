/*
 * util.h - shared internals of vnet.core: Lua version shims, strict option
 * readers, object boxes and the failure convention.
 *
 * Only luaopen_vnet_core is exported; everything declared here has hidden
 * visibility (the build uses -fvisibility=hidden).
 */
#ifndef VNET_UTIL_H
#define VNET_UTIL_H

#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/object.h>

/* ---- Lua 5.1 / LuaJIT / 5.2 / 5.3 shims ------------------------------ */
#if LUA_VERSION_NUM == 501
#define lua_rawlen(L, i) lua_objlen(L, i)
#endif
/* LuaJIT 2.1 has these 5.2 functions; plain Lua 5.1 does not */
#if LUA_VERSION_NUM == 501 && !defined(luaL_newlib)
#define VN_NEED_51_SHIMS 1
void vn_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
void *vn_testudata(lua_State *L, int idx, const char *tname);
#define luaL_setfuncs vn_setfuncs
#define luaL_testudata vn_testudata
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs(L, l, 0))
#define luaL_setmetatable(L, t) (luaL_getmetatable(L, t), lua_setmetatable(L, -2))
#endif
#if LUA_VERSION_NUM == 501
#define vn_absindex(L, i) \
	((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#else
#define vn_absindex(L, i) lua_absindex(L, i)
#endif
#if LUA_VERSION_NUM < 503
/* no cast of NaN, inf or 2^63 to an integer (undefined behaviour) */
static inline int vn_isinteger_(lua_State *L, int i)
{
	lua_Number n = lua_tonumber(L, i);
	return lua_type(L, i) == LUA_TNUMBER && n >= -9223372036854775808.0 &&
	       n < 9223372036854775808.0 && n == (lua_Number)(long long)n;
}
#define lua_isinteger(L, i) vn_isinteger_(L, i)
#endif

/* ---- namespaces and their netlink sockets (sock.c, netns.c) ---------- */
#define VN_NETNS "vnet.netns"
#define VN_ERRLEN 256

typedef struct vn_batch vn_batch;

typedef struct vn_ns {
	struct nl_sock *sk;  /* NETLINK_ROUTE socket opened inside the namespace */
	unsigned char *rbuf; /* where answers are received (made on first use) */
	int fd;              /* an open fd of the namespace (/proc/.../ns/net) */
	/* kept for link_kinds.c until it moves to vn_req: the error of the
	 * last request sent by the wrappers at the end of sock.c */
	int err;
	char msg[VN_ERRLEN];
	char name[64];       /* name under /run/netns, "" if none */
	char path[128];      /* path the namespace was opened from */
	unsigned long long ino; /* the namespace's identity (nsfs inode) */
	vn_batch *batch;     /* non-NULL inside ns:batch(): requests are queued */
	unsigned long long requests; /* netlink requests sent on sk (ns.requests) */
} vn_ns;

/* Checks arg idx is a live netns handle. */
vn_ns *vn_checkns(lua_State *L, int idx);
/* Opens a socket inside the namespace of fd (never leaves the thread there).
 * Returns 0 or -errno. */
int vn_sock_open(vn_ns *ns);
void vn_sock_close(vn_ns *ns);
#define vn_deferred(ns) ((ns)->batch != NULL)
/* The index of the link named name in the namespace (one ioctl on the
 * socket, no netlink round trip), or -errno (-ENODEV: no such link). */
int vn_sock_ifindex(vn_ns *ns, const char *name);
/* Starts queueing requests of ns (ns:batch): pushes the userdata that will
 * own what the commit collects (may raise before anything is allocated),
 * then makes the queue. 0 or -ENOMEM. */
int vn_batch_begin(lua_State *L, vn_ns *ns);
/* Inside a batch: the next request queued is a second step of the last
 * call (e.g. the alias of a new link). It counts as that call in the
 * failures' indexes, and is sent only once the kernel has accepted the
 * request before it (skipped when that was refused). */
void vn_batch_then(vn_ns *ns);
/* Inside a batch, remembers (ifindex > 0) or looks up (ifindex 0) the index
 * of a device name, so that queueing many requests for one device costs one
 * lookup. Returns the index, or 0 when unknown or not in a batch. */
int vn_batch_ifindex(vn_ns *ns, const char *name, int ifindex);
/* Drops the queue without sending it. */
void vn_batch_abort(vn_ns *ns);
/* Sends the queue pipelined (many requests in flight, acks collected as
 * they come) and ends batch mode; oidx is the userdata vn_batch_begin
 * pushed. Pushes true, or nil, msg, errname, failures ({ {index =,
 * errname =, message =}, ... }, index counting the user's calls); returns
 * the count. */
int vn_batch_commit(lua_State *L, vn_ns *ns, int oidx);

typedef struct vn_chunk vn_chunk;

/* A growable list of libnl objects collected from a dump, or, in raw mode
 * (rkeep set), of the messages' payloads as the kernel sent them, packed
 * into chunks: no library object per message. */
typedef struct vn_list {
	struct nl_object **v;
	size_t n, cap;
	int oom;
	/* optional filter; return nonzero to keep */
	int (*keep)(struct nl_object *o, void *arg);
	void *arg;
	/* raw mode: the filter (required; arg is passed) and the chunks */
	int (*rkeep)(const struct nlmsghdr *h, void *arg);
	/* optional in raw mode: copies the payload of h into dst (room for
	 * all of it), leaving out what is not kept; returns the bytes written */
	size_t (*rcopy)(unsigned char *dst, const struct nlmsghdr *h);
	vn_chunk *head, *tail;
} vn_list;
/* The first payload of a raw list (len set), or NULL when it is empty. */
const void *vn_list_first(const vn_list *l, size_t *len);
/* Pushes a value made from one payload (bound to the netns at nsidx). */
typedef void (*vn_push_raw)(lua_State *L, const void *p, size_t len, int nsidx);

/* What a refused request leaves its caller (on the caller's stack). */
typedef struct vn_err {
	int no;              /* errno, 0 if none */
	int attr;            /* the type of the request's top-level attribute the
			      * kernel pointed at (NLMSGERR_ATTR_OFFS), or -1 */
	char msg[VN_ERRLEN]; /* the kernel's extended-ack text, "" if none */
} vn_err;
/* Sets e to errno no and text msg (may be NULL), pointing at no attribute. */
void vn_err_set(vn_err *e, int no, const char *msg);

/* vn_req's flags (none: a change, acked by the kernel) */
#define VN_ECHO 1  /* a change whose object the kernel echoes into l
		    * (NLM_F_ECHO; nothing from a kernel that does not) */
#define VN_GET  2  /* a get: the object that answers goes to l; none is ENOENT */
#define VN_DUMP 4  /* a dump (NLM_F_DUMP is added) into l: every object
		    * l->keep (or l->rkeep) accepts; a dump that changed under
		    * way is taken again; on failure l is emptied */
/* THE request path: sends the request h (any message: built by libnl, by
 * hand, or vn_msg_copy; port, sequence and NLM_F_REQUEST are filled in)
 * and reads what answers it, matched by sequence number. Inside ns:batch()
 * a change is queued instead (0 is returned; callers must not read the
 * object back: they check vn_deferred(ns) and return true); gets and dumps
 * are sent at once. Returns 0, or -errno with e (may be NULL) filled in. */
int vn_req(vn_ns *ns, struct nlmsghdr *h, int flags, vn_list *l, vn_err *e);
/* A new message of type `type` whose payload is the len bytes at p (e.g. an
 * object sent back as the kernel gave it, to delete it), or NULL; free()d
 * by the caller. */
struct nlmsghdr *vn_msg_copy(int type, const void *p, size_t len);
void vn_list_free(vn_list *l);
/* Pushes a userdata holding an empty list and returns the list: what a
 * request or dump collects into it is freed by the collector if Lua raises
 * (out of memory) before the caller is done with it. */
vn_list *vn_list_new(lua_State *L);
/* The stack index of the userdata of a list made by vn_list_new. */
int vn_list_index(lua_State *L, const vn_list *l);
/* Frees what such a list holds and removes its userdata from the stack. */
void vn_list_drop(lua_State *L, vn_list *l);
/* Pushes an iterator closure over the objects of l (made by vn_list_new,
 * whose userdata becomes the iterator's state). Each object becomes a box
 * of type tname bound to ns at nsidx, or, for a raw list, the value push
 * makes of each payload; chunks are freed as the loop passes them. */
void vn_push_iter(lua_State *L, vn_list *l, const char *tname, int nsidx);
void vn_push_raw_iter(lua_State *L, vn_list *l, vn_push_raw push, int nsidx);
/* The same, the value at argidx becoming the iterator's third upvalue:
 * push, called inside the iterator, finds it at lua_upvalueindex(3), and
 * the iterator returns every value push pushed (one or more). */
void vn_push_raw_iter_arg(lua_State *L, vn_list *l, vn_push_raw push, int nsidx,
			  int argidx);

/* ---- kept for link_kinds.c until it moves to vn_req (sock.c) --------- */
int vn_talk(vn_ns *ns, struct nl_msg *msg);
int vn_talk_hdr(vn_ns *ns, struct nlmsghdr *h);
int vn_talk_raw(vn_ns *ns, int type, const void *p, size_t len);
int vn_send(lua_State *L, vn_ns *ns, struct nl_msg *msg, int built);
int vn_request(vn_ns *ns, struct nlmsghdr *h, int echo, vn_list *l);
int vn_dump(vn_ns *ns, struct nlmsghdr *h, vn_list *l);
int vn_dump_req(vn_ns *ns, int type, const void *hdr, size_t len, vn_list *l);
int vn_nsfail(lua_State *L, vn_ns *ns, const char *what);

/* Runs fn(arg) with the calling thread inside the namespace of fd, then
 * returns it to where it was. Returns fn's result, or -errno if switching
 * failed. */
int vn_in_ns(int fd, int (*fn)(void *), void *arg);

/* ---- failures ------------------------------------------------------- */
/* Which option of a call produced which attribute of its request. */
typedef struct vn_optname {
	int attr;          /* attribute type; a { 0, NULL } row ends the table */
	const char *opt;
} vn_optname;
/* THE failure: pushes nil, "<what>: [option 'o': ]<strerror>[ (the kernel
 * said: ...)]", "ENAME" and returns 3; the option is named when the kernel
 * pointed at an attribute that opts (may be NULL) maps to one. */
int vn_push_err(lua_State *L, const char *what, const vn_err *e, const vn_optname *opts);
/* The same for errno err (positive) and text kmsg (may be NULL or ""). */
int vn_fail(lua_State *L, const char *what, int err, const char *kmsg);
/* The same for a libnl builder's failure (a negative NLE code). */
int vn_push_nlerr(lua_State *L, const char *what, int nlerr);
const char *vn_errname(int err);
void vn_push_errnos(lua_State *L);

/* ---- object boxes --------------------------------------------------- */
typedef struct vn_field {
	const char *name;
	/* o: the box's libnl object, or for an inline type the box itself */
	void (*get)(lua_State *L, void *o);
} vn_field;

typedef struct vn_type {
	const char *name;          /* metatable name, e.g. "vnet.link" */
	const luaL_Reg *methods;   /* methods (self is the box) */
	const vn_field *fields;    /* read-only fields, NULL-terminated */
	int (*tostring)(lua_State *L);
	/* Inline types (routes, links) keep their object in the box itself:
	 * live(box) says whether it is not released, release(box) releases it
	 * (__close, and __gc when gc is set), same(a, b) is __eq's identity.
	 * NULL for boxes of libnl objects (vn_box). */
	int (*live)(const void *box);
	void (*release)(void *box);
	int (*same)(const void *a, const void *b);
	/* an inline type whose box owns memory: release also runs at __gc */
	int gc;
	/* optional: brings the live box at idx up to date before its fields
	 * are read (a link re-reads itself after a change); may raise */
	void (*fresh)(lua_State *L, int idx);
} vn_type;

typedef struct vn_box {
	struct nl_object *o;       /* one reference, NULL once released */
} vn_box;

/* The box of inline types that hold one kernel message (routes, addresses):
 * its payload as the kernel sent it, the family header (at least; the
 * dump filters check it) then the attributes. */
typedef struct vn_msgbox {
	uint32_t len;             /* bytes in m; 0 once released */
	uint32_t pad_;
	unsigned char m[];
} vn_msgbox;
/* Pushes a message box of type tname holding a copy of the len bytes at
 * p, bound to the netns handle at nsidx. */
void vn_msgbox_push(lua_State *L, const char *tname, const void *p, size_t len, int nsidx);
/* vn_type's live and release for message boxes. */
int vn_msgbox_live(const void *box);
void vn_msgbox_release(void *box);

/* Creates the metatable for t (with __index, __gc, __close, __eq, __tostring
 * and __name) and leaves nothing on the stack. */
void vn_type_register(lua_State *L, const vn_type *t);
/* Adds methods to the registered type tname (e.g. addr.c adds
 * link:addr_add to "vnet.link"). */
void vn_type_methods(lua_State *L, const char *tname, const luaL_Reg *l);
/* Pushes a new box owning o (one reference moves in), bound to the netns
 * handle at nsidx (kept alive through the user value). */
void vn_box_push(lua_State *L, struct nl_object *o, const char *tname, int nsidx);
/* Pushes a new zeroed box of size bytes with the metatable tname, bound to
 * the netns handle at nsidx, and returns it (for inline types). */
void *vn_box_new(lua_State *L, size_t size, const char *tname, int nsidx);
/* Pushes a userdata that owns the libnl object put into *result (released
 * at __gc): what a request is built in stays owned if a parser raises. */
struct nl_object **vn_guard(lua_State *L);
/* Checks a live box of type tname at idx. */
struct nl_object *vn_box_check(lua_State *L, int idx, const char *tname);
/* Replaces the object in a box (drops the old reference, takes one). */
void vn_box_replace(lua_State *L, int idx, const char *tname, struct nl_object *o);
/* Pushes the netns handle a box is bound to and returns it. */
vn_ns *vn_box_ns(lua_State *L, int idx);
/* Pushes the netns handle a box is bound to (or what stands there) and
 * returns it, or NULL when it is closed; never raises. */
vn_ns *vn_box_ns_open(lua_State *L, int idx);
/* Rebinds the box at idx to the netns handle at nsidx. */
void vn_box_setns(lua_State *L, int idx, int nsidx);
/* Pushes a fields table {name = value, ...} of the box at idx. */
int vn_box_totable(lua_State *L);

/* ---- strict option tables ------------------------------------------- */
/* Raises "<fn>: unknown option 'k'" for a key not in keys (NULL-ended);
 * also raises when idx is not a table. Returns which keys are present
 * (bit i for keys[i], i < 32), so that absent options need no lookup;
 * every bit for a table with a metatable (its __index may give more). */
unsigned vn_opts_check(lua_State *L, int idx, const char *fn, const char *const keys[]);
#define VN_HAS(has, i) (((has) >> (i)) & 1u)
/* Each getter pushes nothing and returns 1 when the option is set (not nil),
 * 0 when absent; a value of the wrong type raises naming the option. The
 * options table may be a proxy: every option is looked up once per read,
 * its __index may run Lua (and the collector), so nothing read is kept as a
 * pointer into a Lua value that is no longer on the stack. */
/* An integer in [min, max]: a number with an integral value (1.0 is one;
 * 1.5, NaN, inf and 2^63 are not); no strings. This and vn_check_int are
 * THE integer readers: never lua_tointeger or an (int) cast of a user value. */
int vn_opt_int(lua_State *L, int idx, const char *fn, const char *key,
	       lua_Integer min, lua_Integer max, lua_Integer *out);
/* The same for the value at stack index sidx: returns it, or raises
 * "<fn>: <what> must be an integer between min and max, got ...". */
lua_Integer vn_check_int(lua_State *L, int sidx, const char *fn, const char *what,
			 lua_Integer min, lua_Integer max);
/* Parses the whole of s as an integer in [min, max] (decimal, or 0x hex;
 * an optional '-'; no spaces, signs '+', exponents): 1 with *out set, or 0. */
int vn_parse_int(const char *s, lua_Integer min, lua_Integer max, lua_Integer *out);
int vn_opt_bool(lua_State *L, int idx, const char *fn, const char *key, int *out);
/* A string option copied into buf (size bytes, with room for the final
 * NUL): returns buf, or NULL when absent. Raises naming the option when it
 * is not a string, holds a NUL byte or has size bytes or more. The copy is
 * what keeps it valid: the Lua string may be collected at once. */
const char *vn_opt_str(lua_State *L, int idx, const char *fn, const char *key,
		       char *buf, size_t size);
/* The string at stack index sidx, checked the same way (maxlen 0: any
 * length); the pointer is valid while that value stays on the stack. */
const char *vn_check_str(lua_State *L, int sidx, const char *fn, const char *what,
			 size_t maxlen);
/* Option k must be one of names (NULL-ended); *out gets its index. */
int vn_opt_enum(lua_State *L, int idx, const char *fn, const char *key,
		const char *const names[], int *out);
/* Parses an address option ("10.0.0.1", "10.0.0.0/24", "::1", "default").
 * family AF_UNSPEC accepts both. Returns a new nl_addr or NULL if absent;
 * raises on bad syntax. */
struct nl_addr *vn_opt_addr(lua_State *L, int idx, const char *fn,
			    const char *key, int family);
/* An address as bytes: family, length (0 for "default"), prefix length. */
typedef struct vn_ip {
	int family, len, plen;
	unsigned char b[16];
} vn_ip;
/* Reads address option key of the table at idx into *out (family AF_UNSPEC
 * accepts both); returns 1 when set, 0 when absent; raises on bad syntax
 * naming the option. Allocates nothing. */
int vn_opt_ip(lua_State *L, int idx, const char *fn, const char *key, int family,
	      vn_ip *out);
/* The same for the value at stack index sidx; raises naming it what. */
void vn_check_ip(lua_State *L, int sidx, const char *fn, const char *what, int family,
		 vn_ip *out);
/* Parses the string at stack index sidx as an address; raises with what. */
struct nl_addr *vn_check_addr(lua_State *L, int sidx, const char *fn,
			      const char *what, int family);
/* The family the address option key of the table at idx implies, without
 * parsing it (never raises): AF_INET6 when it has a ':', AF_INET for another
 * string, 0 when absent, not a string, "default", "any" or "all". */
int vn_str_family(lua_State *L, int idx, const char *key);
/* Parses a family name ("inet", "inet6", "ipv4", "ipv6", 4, 6, "all"). */
int vn_opt_family(lua_State *L, int idx, const char *fn, const char *key, int *out);

/* Raises when name is not a valid interface name (1..15 bytes, no '/',
 * no white space, not "." or ".."). */
void vn_check_ifname(lua_State *L, const char *name, const char *fn, const char *key);

/* A link given as an index, a name or a vnet.link box, in option key of the
 * table at idx (vn_opt_ifindex) or at stack index sidx (vn_ifindex_at).
 * Returns the ifindex, 0 when the option is absent, or -ENODEV when no link
 * has that name (callers turn it into a failure triple). Raises naming the
 * function and the field for a wrong type (another vnet object too), an
 * index outside 1..2^31-1, a bad name (NUL byte...), a released link, and
 * a link of another namespace than ns's (compared by identity, ns->ino). */
int vn_opt_ifindex(lua_State *L, int idx, vn_ns *ns, const char *fn, const char *key);
int vn_ifindex_at(lua_State *L, int sidx, vn_ns *ns, const char *fn, const char *what);

/* iproute2 name files (rt_tables, rt_protos, rt_scopes): returns the
 * number for name or -1. Also accepts numbers 0..2^32-1 (vn_parse_int). */
long vn_rtname_lookup(const char *file, const char *name);
/* Pushes a table id as a name where one is known, else as a number. */
void vn_push_rtname(lua_State *L, const char *file, long id);
/* Reads option key: an integer 0..max, a string holding one (read as
 * vn_parse_int does: "4294967296", " 5" or "1e3" are no table 0, 5 or 1000)
 * or a name of the iproute2 file (rt_tables, rt_protos, rt_scopes). Returns
 * 1 with *out set, 0 when absent; raises naming the option otherwise. */
int vn_opt_rtname(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, lua_Integer max, uint32_t *out);
/* vn_opt_rtname for a routing table (rt_tables, 0..2^32-1). */
int vn_opt_table(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out);

/* Pushes a family as "inet", "inet6", "bridge" or its number. */
void vn_push_family(lua_State *L, int fam);
/* Pushes a short description of the device value at sidx ("veth0", "5"). */
void vn_push_devdesc(lua_State *L, int sidx);

/* link.c: the index of the live link box at idx (raises otherwise), and a
 * description of it (its name, else its index) pushed on the stack. */
int vn_link_ifindex(lua_State *L, int idx);
void vn_link_desc(lua_State *L, int idx);
/* Whether two addresses are the same bytes of the same family (prefix
 * lengths aside); two NULLs are the same. */
int vn_addr_same(struct nl_addr *a, struct nl_addr *b);
/* Pushes len bytes at p as an address of family fam (AF_INET, AF_INET6;
 * with "/plen" when plen >= 0), or nil when they are not one. */
void vn_push_ip(lua_State *L, int fam, const void *p, size_t len, int plen);
/* Pushes an nl_addr as a string (with "/prefix" when asked), or nil for
 * NULL or an empty address. */
void vn_push_addr(lua_State *L, struct nl_addr *a, int with_prefix);

/* Reads a namespace option (a vnet.netns handle or a name) of table idx and
 * pushes the handle (so it stays alive); returns it, or NULL when absent or
 * when the named namespace cannot be opened (nothing pushed): *err is then
 * the errno (ENOENT: no such namespace), else 0. Misuse raises. */
vn_ns *vn_opt_netns(lua_State *L, int idx, const char *fn, const char *key, int *err);

/* ---- submodules ----------------------------------------------------- */
void vn_open_netns(lua_State *L);   /* leaves the vnet.netns table */
void vn_open_link(lua_State *L);
void vn_open_addr(lua_State *L);
void vn_open_route(lua_State *L);
void vn_open_rule(lua_State *L);
void vn_open_neigh(lua_State *L);
void vn_open_nexthop(lua_State *L);
void vn_open_fdb(lua_State *L);
void vn_open_monitor(lua_State *L);

/* Methods each module adds to the netns handle (set into table at -1). */
void vn_netns_methods(lua_State *L, const luaL_Reg *l);

#endif
