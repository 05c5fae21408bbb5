/*
 * sock.h - namespace handles' netlink sockets and THE request path
 * (sock.c): one request function (vn_req), dumps into lists, iterators over
 * them, pipelined batches.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_SOCK_H
#define VNET_SOCK_H

#include <stdint.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include "compat.h"
#include "errors.h"

#define VN_NETNS "vnet.netns"

typedef struct vn_batch vn_batch;

typedef struct vn_ns {
	struct nl_sock *sk;  /* NETLINK_ROUTE socket opened inside the namespace */
	unsigned char *rbuf; /* where answers are received (made on first use) */
	int fd;              /* an open fd of the namespace (/proc/.../ns/net) */
	char name[64];       /* name under /run/netns, "" if none */
	char path[128];      /* path the namespace was opened from */
	unsigned long long ino; /* the namespace's identity (nsfs inode) */
	vn_batch *batch;     /* non-NULL inside ns:batch(): requests are queued */
	unsigned long long requests; /* netlink requests sent on sk (ns.requests) */
	double timeout;      /* seconds a receive waits for the kernel (ns.timeout) */
	int pid;             /* the process sk was opened in (a fork opens its own) */
	int reopen;          /* an answer was left unfinished: a new sk before the next request */
} vn_ns;

/* The bound of every receive on a handle's socket unless ns.timeout says
 * otherwise (seconds). */
#define VN_TIMEOUT 30.0

/* Opens a socket inside the namespace of fd (never leaves the thread there).
 * Returns 0 or -errno. */
int vn_sock_open(vn_ns *ns);
void vn_sock_close(vn_ns *ns);
/* Sets ns->timeout (seconds, > 0) and the bound of its socket's receives. */
void vn_sock_timeout(vn_ns *ns, double t);
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
 * are sent at once. l: where answers go (required for VN_GET and VN_DUMP;
 * NULL for a change drops an echo). Returns 0, or -errno with e (may be
 * NULL: an undo step whose failure is not reported) filled in. */
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

/* Runs fn(arg) with the calling thread inside the namespace of fd, then
 * returns it to where it was. Returns fn's result, or -errno if switching
 * failed. */
int vn_in_ns(int fd, int (*fn)(void *), void *arg);

#endif
