/*
 * sock.c - THE request path. One NETLINK_ROUTE socket per namespace handle,
 * opened inside the namespace without leaving the calling thread there; one
 * function, vn_req, sends every request (a change, acked or echoed; a get; a
 * dump) however it was built and reads its answer here (not by libnl's
 * nl_recvmsgs, which makes an nl_msg of every message), matched by sequence
 * number, into the caller's vn_err: the kernel's real errno, its extended-ack
 * text and the attribute it pointed at (libnl's NLE codes lose all three);
 * dumps into lists of payloads and iterators over them; pipelined batches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/nexthop.h>
#include <linux/neighbour.h>
#include <linux/if_addr.h>
#include <netlink/msg.h>

#include "sock.h"
#include "box.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

int vn_in_ns(int fd, int (*fn)(void *), void *arg)
{
	int self, r, e;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		e = errno;
		close(self);
		return -e;
	}
	r = fn(arg);
	e = errno;
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* the thread would be stranded in another namespace */
	close(self);
	errno = e;
	return r;
}

/* Copies the kernel's extended-ack text (NLMSGERR_ATTR_MSG among the len
 * bytes of attributes at tlv) into e->msg, without its trailing newline,
 * and the offset of the attribute it points at (NLMSGERR_ATTR_OFFS, from
 * the start of the request) into *off. */
static void ack_text(vn_err *e, const void *tlv, int len, uint32_t *off)
{
	struct nlattr *a;
	size_t n;
	e->msg[0] = 0;
	if (len <= 0)
		return;
	if (off && (a = nla_find((struct nlattr *)tlv, len, NLMSGERR_ATTR_OFFS)) &&
	    nla_len(a) >= (int)sizeof *off)
		memcpy(off, nla_data(a), sizeof *off);
	if (!(a = nla_find((struct nlattr *)tlv, len, NLMSGERR_ATTR_MSG)) || nla_len(a) <= 0)
		return;
	n = (size_t)nla_len(a);
	if (n >= sizeof e->msg)
		n = sizeof e->msg - 1;
	memcpy(e->msg, nla_data(a), n);
	e->msg[n] = 0;
	n = strlen(e->msg);
	while (n && e->msg[n - 1] == '\n')
		e->msg[--n] = 0;
}

/* The length of the family header of a request of this type (what comes
 * before its attributes), or 0 when it is not known here. */
static size_t family_hdrlen(int type)
{
	switch (type) {
	case RTM_NEWLINK: case RTM_DELLINK: case RTM_GETLINK: case RTM_SETLINK:
		return sizeof(struct ifinfomsg);
	case RTM_NEWADDR: case RTM_DELADDR: case RTM_GETADDR:
		return sizeof(struct ifaddrmsg);
	case RTM_NEWROUTE: case RTM_DELROUTE: case RTM_GETROUTE:
	case RTM_NEWRULE: case RTM_DELRULE: case RTM_GETRULE:  /* fib_rule_hdr */
		return sizeof(struct rtmsg);
	case RTM_NEWNEIGH: case RTM_DELNEIGH: case RTM_GETNEIGH:
		return sizeof(struct ndmsg);
	case RTM_NEWNEXTHOP: case RTM_DELNEXTHOP: case RTM_GETNEXTHOP:
		return sizeof(struct nhmsg);
	}
	return 0;
}

/* The type of the top-level attribute of the request req that holds the
 * byte at offset off (counted from the start of req, as the kernel's
 * NLMSGERR_ATTR_OFFS is), or -1. */
static int attr_at(const struct nlmsghdr *req, uint32_t off)
{
	size_t hl = family_hdrlen(req->nlmsg_type), at;
	const struct nlattr *a;
	int left;
	if (!hl || off < NLMSG_HDRLEN + NLMSG_ALIGN(hl) || off >= req->nlmsg_len)
		return -1;
	at = NLMSG_HDRLEN + NLMSG_ALIGN(hl);
	a = (const struct nlattr *)((const char *)req + at);
	left = (int)(req->nlmsg_len - at);
	for (; nla_ok(a, left); a = nla_next(a, &left)) {
		uint32_t b = (uint32_t)((const char *)a - (const char *)req);
		if (off >= b && off < b + NLA_ALIGN(a->nla_len))
			return nla_type(a);
	}
	return -1;
}

/* Fills e from the error reply x (the payload of the NLMSG_ERROR message
 * that holds it) to the request req (NULL: not at hand). */
static void on_error(vn_err *e, const struct nlmsgerr *x, const struct nlmsghdr *req)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)x - NLMSG_HDRLEN);
	size_t off = sizeof *x;
	uint32_t aoff = 0;
	e->no = -x->error;
	e->attr = -1;
	e->msg[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += x->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	ack_text(e, (const char *)x + off, (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off, &aoff);
	if (aoff && req)
		e->attr = attr_at(req, aoff);
}


static int open_in_ns(void *arg)
{
	int r = nl_connect((struct nl_sock *)arg, NETLINK_ROUTE);
	return r < 0 ? -EIO : 0;
}

/* Bounds each receive on the socket fd to t seconds (SO_RCVTIMEO; with it
 * a signal always ends the receive with EINTR, SA_RESTART or not). */
static void set_rcvtimeo(int fd, double t)
{
	struct timeval tv;
	tv.tv_sec = (time_t)t;
	tv.tv_usec = (suseconds_t)((t - (double)tv.tv_sec) * 1e6);
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;   /* 0 would be no bound */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Opens a NETLINK_ROUTE socket inside ns's namespace into *out, set up
 * with the handle's options. 0 or -errno (*out NULL). */
static int sock_make(vn_ns *ns, struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, r, fd;
	*out = NULL;
	if (!sk)
		return -ENOMEM;
	if ((r = vn_in_ns(ns->fd, open_in_ns, sk)) < 0) {
		nl_socket_free(sk);
		return r;
	}
	fd = nl_socket_get_fd(sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	/* dumps are filtered by the kernel (by ifindex, table...) */
	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
	nl_socket_set_buffer_size(sk, 1 << 20, 1 << 20);
	set_rcvtimeo(fd, ns->timeout);
	*out = sk;
	return 0;
}

int vn_sock_open(vn_ns *ns)
{
	int r;
	if (!(ns->timeout > 0))
		ns->timeout = VN_TIMEOUT;
	if ((r = sock_make(ns, &ns->sk)) < 0) {
		vn_sock_close(ns);
		return r;
	}
	ns->pid = (int)getpid();
	ns->reopen = 0;
	return 0;
}

void vn_sock_timeout(vn_ns *ns, double t)
{
	ns->timeout = t;
	/* a socket inherited through fork() is shared with the other process:
	 * this one's own socket, opened at its next request, takes the bound */
	if (ns->sk && ns->pid == (int)getpid())
		set_rcvtimeo(nl_socket_get_fd(ns->sk), t);
}

/* Makes the handle's socket this process's own and clean before a request.
 * A handle used after fork() (opened in nginx's master by init_by_lua,
 * used in each worker) would share one socket between the processes, each
 * reading answers meant for the other: the first request in a new process
 * opens a socket of its own inside the same namespace (through the
 * handle's namespace fd, which the fork kept). So does the first request
 * after a receive that ended before its answer did (a timeout, a signal),
 * since that answer may still come. 0, or -errno with e holding a note:
 * the old socket is then never used for a request. */
static int ready(vn_ns *ns, vn_err *e)
{
	struct nl_sock *sk;
	int pid = (int)getpid(), r;
	if (ns->pid == pid && !ns->reopen)
		return 0;
	if ((r = sock_make(ns, &sk)) < 0) {
		vn_err_set(e, -r, NULL);
		if (ns->pid != pid)
			snprintf(e->msg, sizeof e->msg, VN_NOTE "the namespace handle was opened "
				 "in process %d and is used after a fork in process %d, where "
				 "its socket could not be opened again; open the handle in this "
				 "process", ns->pid, pid);
		else
			snprintf(e->msg, sizeof e->msg, VN_NOTE "the handle's socket could "
				 "not be opened again after an unfinished answer");
		return r;
	}
	nl_socket_free(ns->sk);   /* this process's copy of the descriptor only */
	ns->sk = sk;
	ns->pid = pid;
	ns->reopen = 0;
	return 0;
}

/* A receive that ended before the answer came: a signal (EINTR: returned
 * at once, so a host such as nginx can stop its worker) or the handle's
 * bound (EAGAIN, SO_RCVTIMEO). The kernel may still carry the request out
 * and answer later, so the socket is replaced before the next request.
 * Returns -EINTR or -ETIMEDOUT with e holding a note. */
static int unfinished(vn_ns *ns, int no, vn_err *e)
{
	ns->reopen = 1;
	vn_err_set(e, no == EINTR ? EINTR : ETIMEDOUT, NULL);
	if (no == EINTR)
		snprintf(e->msg, sizeof e->msg, VN_NOTE "a signal came while waiting for "
			 "the kernel's answer; what was asked may still be carried out");
	else
		snprintf(e->msg, sizeof e->msg, VN_NOTE "the kernel did not answer "
			 "within %g s (ns.timeout); what was asked may still be carried "
			 "out", ns->timeout);
	return -e->no;
}

void vn_sock_close(vn_ns *ns)
{
	if (ns->sk) {
		nl_socket_free(ns->sk);
		ns->sk = NULL;
	}
	free(ns->rbuf);
	ns->rbuf = NULL;
}

int vn_sock_ifindex(vn_ns *ns, const char *name)
{
	struct ifreq ifr;
	/* a socket's device ioctls act in the socket's namespace */
	memset(&ifr, 0, sizeof ifr);
	if (strlen(name) >= sizeof ifr.ifr_name)
		return -ENODEV;
	strcpy(ifr.ifr_name, name);
	if (ioctl(nl_socket_get_fd(ns->sk), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

/* Records errno no (memory, a socket's failure) in e; returns -no. */
static int fail(vn_err *e, int no)
{
	vn_err_set(e, no, NULL);
	return -no;
}

/* Drops the datagrams waiting on the socket. The kernel answers a request
 * while it is being sent, and makes the next part of a dump as the last is
 * read, so what is left of an answer is queued by now or as this reads. */
static void drain(vn_ns *ns)
{
	char buf[256];
	while (recv(nl_socket_get_fd(ns->sk), buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
}

/* Sends the request h (its port, a new sequence number and NLM_F_REQUEST
 * are filled in). 0 or -errno. */
static int send_hdr(vn_ns *ns, struct nlmsghdr *h, vn_err *e)
{
	int r;
	if ((r = ready(ns, e)) < 0)
		return r;
	h->nlmsg_flags |= NLM_F_REQUEST;
	h->nlmsg_pid = nl_socket_get_local_port(ns->sk);
	h->nlmsg_seq = nl_socket_use_seq(ns->sk);
	ns->requests++;
	while (send(nl_socket_get_fd(ns->sk), h, h->nlmsg_len, 0) < 0)
		if (errno != EINTR)
			return fail(e, errno);
	return 0;
}

/* Adds the data message h to l: its payload (raw lists), or the object
 * libnl parses from it. */
static void list_msg(vn_list *l, const struct nlmsghdr *h);

/* How far read_answer reads. */
enum { UNTIL_ACK, UNTIL_DONE, UNTIL_ONE };

#define DUMP_AGAIN 1       /* read_answer: the dump changed under way */
#define RBUF (64 * 1024)   /* the kernel makes dump datagrams of at most 32 KiB */

/* Reads the answer to the request req just sent: until its ack or error
 * (UNTIL_ACK), the end of a dump (UNTIL_DONE) or the first datagram that
 * answers it (UNTIL_ONE, a get). Data messages go to l (may be NULL).
 * Returns 0, DUMP_AGAIN for a dump that changed under way (NLM_F_DUMP_INTR,
 * read to its end), or -errno with e filled in (-EINTR and -ETIMEDOUT when
 * a signal or ns.timeout ended the wait: see unfinished).
 * Answers land in the handle's buffer, made on first use and kept: one made
 * and freed for each answer costs the allocator a brk call every few
 * requests. Only the pages an answer fills are touched, so the hundreds of
 * handles of a topology, whose answers are acks, hold little memory. */
static int read_answer(vn_ns *ns, const struct nlmsghdr *req, vn_list *l, int until,
		       vn_err *e)
{
	int fd = nl_socket_get_fd(ns->sk), intr = 0;
	uint32_t seq = req->nlmsg_seq, port = req->nlmsg_pid;

	if (!ns->rbuf && !(ns->rbuf = (unsigned char *)malloc(RBUF))) {
		drain(ns);
		return fail(e, ENOMEM);
	}
	for (;;) {
		struct iovec iov = { ns->rbuf, RBUF };
		struct msghdr mh;
		const struct nlmsghdr *h;
		ssize_t n;
		int left, answered = 0;

		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		/* On a failure below, what is left of the answer is drained: it
		 * must not be taken for the answer to the next request, and a
		 * dump left unread would make the kernel refuse the next one
		 * (EBUSY). Each read lets the kernel fill in more of a dump. */
		if ((n = recvmsg(fd, &mh, 0)) < 0) {
			int no = errno;
			if (no == EINTR || no == EAGAIN || no == EWOULDBLOCK)
				return unfinished(ns, no, e);
			drain(ns);
			return fail(e, no);
		}
		if (mh.msg_flags & MSG_TRUNC) {
			drain(ns);
			fail(e, EMSGSIZE);
			snprintf(e->msg, sizeof e->msg, VN_NOTE "an answer of the kernel was "
				 "larger than the receive buffer (%d bytes)", RBUF);
			return -EMSGSIZE;
		}
		left = (int)n;
		for (h = (const struct nlmsghdr *)ns->rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != port)
				continue; /* a stale answer to an earlier request */
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (h->nlmsg_type == NLMSG_DONE) {
				int x = 0;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof x))
					memcpy(&x, NLMSG_DATA(h), sizeof x);
				if (x < 0) {
					fail(e, -x);
					if (h->nlmsg_flags & NLM_F_ACK_TLVS)
						ack_text(e, (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof x),
							 (int)(h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof x))),
							 NULL);
					return x;
				}
				return intr && until == UNTIL_DONE ? DUMP_AGAIN : 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *x = (const struct nlmsgerr *)NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof *x)) {
					drain(ns);
					return fail(e, EBADMSG);
				}
				if (x->error == 0)
					return 0;
				on_error(e, x, req);
				return -e->no;
			}
			if (h->nlmsg_type == NLMSG_OVERRUN) {
				drain(ns);
				return fail(e, ENOBUFS);
			}
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (l)
				list_msg(l, h);
			answered = 1;
		}
		if (answered && until == UNTIL_ONE)
			return 0;
	}
}

static int batch_add(vn_batch *b, const struct nlmsghdr *h);

static void list_add(struct nl_object *o, void *arg)
{
	vn_list *l = (vn_list *)arg;
	if (l->oom || (l->keep && !l->keep(o, l->arg)))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nl_object **v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	nl_object_get(o);
	l->v[l->n++] = o;
}

/* Raw mode: payloads packed one after another ([u32 len][bytes], 4-byte
 * aligned) into chunks of CHUNK bytes (more for a larger payload). */
struct vn_chunk {
	vn_chunk *next;
	size_t used, cap;
	unsigned char data[];
};
#define CHUNK (64 * 1024)
#define REC(len) (sizeof(uint32_t) + NLMSG_ALIGN(len))

static void raw_add(vn_list *l, const struct nlmsghdr *h)
{
	size_t len = h->nlmsg_len - NLMSG_HDRLEN, need = REC(len);
	vn_chunk *c = l->tail;
	uint32_t n32 = (uint32_t)len;
	if (l->oom || !l->rkeep(h, l->arg))
		return;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > CHUNK ? need : CHUNK;
		if (!(c = malloc(sizeof *c + cap))) {
			l->oom = 1;
			return;
		}
		c->next = NULL;
		c->used = 0;
		c->cap = cap;
		if (l->tail)
			l->tail->next = c;
		else
			l->head = c;
		l->tail = c;
	}
	if (l->rcopy) {
		len = l->rcopy(c->data + c->used + sizeof n32, h);
		n32 = (uint32_t)len;
	} else {
		memcpy(c->data + c->used + sizeof n32, NLMSG_DATA(h), len);
	}
	memcpy(c->data + c->used, &n32, sizeof n32);
	c->used += REC(len);
	l->n++;
}

const void *vn_list_first(const vn_list *l, size_t *len)
{
	uint32_t n32;
	if (!l->head || !l->head->used)
		return NULL;
	memcpy(&n32, l->head->data, sizeof n32);
	*len = n32;
	return l->head->data + sizeof n32;
}

static void list_msg(vn_list *l, const struct nlmsghdr *h)
{
	struct nl_msg *msg;
	if (l->rkeep) {
		raw_add(l, h);
		return;
	}
	if (l->oom)
		return;
	if (!(msg = nlmsg_convert((struct nlmsghdr *)h))) {
		l->oom = 1;
		return;
	}
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	nl_msg_parse(msg, list_add, l);
	nlmsg_free(msg);
}

struct nlmsghdr *vn_msg_copy(int type, const void *p, size_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)calloc(1, NLMSG_SPACE(len));
	if (h) {
		h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
		h->nlmsg_type = (uint16_t)type;
		memcpy(NLMSG_DATA(h), p, len);
	}
	return h;
}

/* A dump: taken again when it changed under way. */
static int dump(vn_ns *ns, struct nlmsghdr *h, vn_list *l, vn_err *e)
{
	int r, tries = 0;
	h->nlmsg_flags |= NLM_F_DUMP;
	for (;;) {
		if ((r = send_hdr(ns, h, e)) < 0)
			break;
		r = read_answer(ns, h, l, UNTIL_DONE, e);
		/* a dump that changed under way is taken again */
		if (r != DUMP_AGAIN)
			break;
		vn_list_free(l);
		l->oom = 0;
		if (++tries == 10) {
			r = fail(e, EAGAIN);
			break;
		}
	}
	if (r == 0 && l->oom)
		r = fail(e, ENOMEM);
	if (r < 0)
		vn_list_free(l);
	return r;
}

int vn_req(vn_ns *ns, struct nlmsghdr *h, int flags, vn_list *l, vn_err *e)
{
	vn_err spare;
	int r;
	if (!e)
		e = &spare;
	vn_err_set(e, 0, NULL);
	if (flags & VN_DUMP)
		return dump(ns, h, l, e);
	if (!(flags & VN_GET) && ns->batch) {
		/* a change inside ns:batch(): queued, sent by the commit */
		h->nlmsg_flags &= (uint16_t)~NLM_F_ECHO;
		return batch_add(ns->batch, h) < 0 ? fail(e, ENOMEM) : 0;
	}
	if (!(flags & VN_GET))
		h->nlmsg_flags |= NLM_F_ACK | (flags & VN_ECHO && l ? NLM_F_ECHO : 0);
	if ((r = send_hdr(ns, h, e)) < 0)
		return r;
	/* a get answers with the object or an error, in one datagram; an echo
	 * comes before the ack */
	r = read_answer(ns, h, l, flags & VN_GET ? UNTIL_ONE : UNTIL_ACK, e);
	if (r < 0 || !(flags & VN_GET))
		/* a change the kernel made stands even if its echo could not be
		 * kept (the caller reads it back) */
		return r;
	if (l->oom)
		return fail(e, ENOMEM);
	return l->n == 0 ? fail(e, ENOENT) : 0;
}

void vn_list_free(vn_list *l)
{
	size_t i;
	for (i = 0; l->v && i < l->n; i++)
		if (l->v[i])
			nl_object_put(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
	while (l->head) {
		vn_chunk *c = l->head;
		l->head = c->next;
		free(c);
	}
	l->tail = NULL;
}

/* The state of an iterator over dumped objects: objects are boxed one at
 * a time as the loop reaches them; the rest are released by __gc. */
typedef struct vn_iter {
	vn_list l;
	size_t pos;        /* next object, or next byte of the head chunk */
	const char *tname;
	vn_push_raw push;  /* raw lists */
} vn_iter;

static int iter_gc(lua_State *L)
{
	vn_iter *it = (vn_iter *)luaL_testudata(L, 1, "vnet.iter");
	if (it)
		vn_list_free(&it->l);
	return 0;
}

/* upvalues: the vn_iter, the namespace handle[, the argument of push];
 * returns what push pushed */
static int iter_next(lua_State *L)
{
	vn_iter *it = (vn_iter *)lua_touserdata(L, lua_upvalueindex(1));
	vn_box *b;
	if (it->push) {
		vn_chunk *c = it->l.head;
		uint32_t n32;
		int top;
		if (c && it->pos >= c->used) {
			/* this chunk is done: give its memory back now */
			it->l.head = c->next;
			free(c);
			it->pos = 0;
			if (!(c = it->l.head))
				it->l.tail = NULL;
		}
		if (!c) {
			lua_pushnil(L);
			return 1;
		}
		memcpy(&n32, c->data + it->pos, sizeof n32);
		top = lua_gettop(L);
		it->push(L, c->data + it->pos + sizeof n32, n32, lua_upvalueindex(2));
		it->pos += REC(n32);
		return lua_gettop(L) - top;
	}
	if (it->pos >= it->l.n) {
		vn_list_free(&it->l);
		lua_pushnil(L);
		return 1;
	}
	vn_box_push(L, NULL, it->tname, lua_upvalueindex(2));
	b = (vn_box *)lua_touserdata(L, -1);
	b->o = it->l.v[it->pos];
	it->l.v[it->pos++] = NULL;
	return 1;
}

/* Pushes a zeroed userdata of size bytes whose metatable tname has the
 * finalizer gc: it owns the C memory made after it. Returns it. */
static void *owner_new(lua_State *L, size_t size, const char *tname, lua_CFunction gc)
{
	void *p = lua_newuserdata(L, size);
	memset(p, 0, size);
	if (luaL_newmetatable(L, tname)) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return p;
}

vn_list *vn_list_new(lua_State *L)
{
	vn_iter *it = (vn_iter *)owner_new(L, sizeof *it, "vnet.iter", iter_gc);
	return &it->l;
}

int vn_list_index(lua_State *L, const vn_list *l)
{
	int i;
	for (i = lua_gettop(L); i > 0; i--)
		if (lua_touserdata(L, i) == (const void *)l)
			return i;
	return luaL_error(L, "vnet: internal error: a list not made by vn_list_new");
}

void vn_list_drop(lua_State *L, vn_list *l)
{
	int i = vn_list_index(L, l);
	vn_list_free(l);
	lua_remove(L, i);
}

static void push_iter(lua_State *L, vn_list *l, const char *tname,
		      vn_push_raw push, int nsidx, int argidx)
{
	/* the list's own userdata (vn_list_new) becomes the iterator's state:
	 * nothing is allocated while the list is held only by C */
	vn_iter *it = (vn_iter *)l;
	int gidx = vn_list_index(L, l);
	nsidx = vn_absindex(L, nsidx);
	if (argidx)
		argidx = vn_absindex(L, argidx);
	it->pos = 0;
	it->tname = tname;
	it->push = push;
	lua_pushvalue(L, gidx);
	lua_pushvalue(L, nsidx);
	if (argidx)
		lua_pushvalue(L, argidx);
	lua_pushcclosure(L, iter_next, argidx ? 3 : 2);
}

void vn_push_iter(lua_State *L, vn_list *l, const char *tname, int nsidx)
{
	push_iter(L, l, tname, NULL, nsidx, 0);
}

void vn_push_raw_iter(lua_State *L, vn_list *l, vn_push_raw push, int nsidx)
{
	push_iter(L, l, NULL, push, nsidx, 0);
}

void vn_push_raw_iter_arg(lua_State *L, vn_list *l, vn_push_raw push, int nsidx,
			  int argidx)
{
	push_iter(L, l, NULL, push, nsidx, argidx);
}

/* ---- pipelined batches ------------------------------------------------ */
/* Each queued request is preceded by a record: the user's call it belongs
 * to (failures are reported by call, not by request) and whether it waits
 * for the request before it (a second step of one call, e.g. the alias of
 * a new link, which must not touch an older link of that name). */
typedef struct qrec {
	uint32_t call;   /* 1-based index of the user's call */
	uint32_t then;   /* sent only once the previous request was accepted */
} qrec;

struct vn_batch {
	char *buf;       /* the queued requests, each after its qrec, aligned */
	size_t len, cap;
	size_t n;        /* how many requests */
	size_t calls;    /* how many user calls */
	int then;        /* the next request continues the last call */
	int oom;
	char name[16];   /* the last device name resolved while queueing */
	int ifindex;
};

int vn_batch_ifindex(vn_ns *ns, const char *name, int ifindex)
{
	vn_batch *b = ns->batch;
	if (!b)
		return 0;
	if (ifindex > 0) {
		snprintf(b->name, sizeof b->name, "%s", name);
		b->ifindex = ifindex;
		return ifindex;
	}
	return b->ifindex && strcmp(b->name, name) == 0 ? b->ifindex : 0;
}

void vn_batch_then(vn_ns *ns)
{
	if (ns->batch && ns->batch->calls)
		ns->batch->then = 1;
}

#define BATCH_WINDOW 256          /* requests in flight */
#define BATCH_SEND (64 * 1024)    /* bytes per sendmsg */
#define BATCH_RECV 64             /* datagrams per recvmmsg */
#define BATCH_SLOT 4096           /* bytes for each (acks are small) */

typedef struct batch_fail {
	size_t seq;      /* which request (0-based) */
	size_t index;    /* which user call (1-based) */
	vn_err e;
} batch_fail;

/* What a batch's commit collects, owned by a userdata pushed when the batch
 * begins, so that it is freed if Lua raises (out of memory) while the
 * result is made. */
typedef struct batch_out {
	batch_fail *f;
	size_t nf, cap;
} batch_out;

static int out_gc(lua_State *L)
{
	batch_out *o = (batch_out *)lua_touserdata(L, 1);
	free(o->f);
	o->f = NULL;
	o->nf = o->cap = 0;
	return 0;
}

int vn_batch_begin(lua_State *L, vn_ns *ns)
{
	owner_new(L, sizeof(batch_out), "vnet.batch", out_gc);
	ns->batch = calloc(1, sizeof *ns->batch);
	return ns->batch ? 0 : -ENOMEM;
}

void vn_batch_abort(vn_ns *ns)
{
	vn_batch *b = ns->batch;
	if (!b)
		return;
	free(b->buf);
	free(b);
	ns->batch = NULL;
}

/* Copies the request into the queue (a libnl message holds a whole page;
 * a queued route is about 60 bytes). */
static int batch_add(vn_batch *b, const struct nlmsghdr *h)
{
	size_t l = NLMSG_ALIGN(h->nlmsg_len);
	qrec q;
	if (b->len + sizeof q + l > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		char *nb;
		while (cap < b->len + sizeof q + l)
			cap *= 2;
		if (!(nb = realloc(b->buf, cap))) {
			b->oom = 1;
			b->then = 0;
			return -ENOMEM;
		}
		b->buf = nb;
		b->cap = cap;
	}
	q.then = (uint32_t)b->then;
	q.call = (uint32_t)(b->then ? b->calls : ++b->calls);
	b->then = 0;
	memcpy(b->buf + b->len, &q, sizeof q);
	b->len += sizeof q;
	memcpy(b->buf + b->len, h, h->nlmsg_len);
	memset(b->buf + b->len + h->nlmsg_len, 0, l - h->nlmsg_len);
	b->len += l;
	b->n++;
	return 0;
}

/* Records the error of an NLMSG_ERROR reply h (seq - base = request). */
static int batch_ack(struct nlmsghdr *h, uint32_t base, batch_out *o,
		     size_t *bad)
{
	struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
	batch_fail *x;
	if (e->error == 0)
		return 0;
	if (o->nf == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		batch_fail *nv = realloc(o->f, cap * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		o->f = nv;
		o->cap = cap;
	}
	x = &o->f[o->nf++];
	on_error(&x->e, e, NULL);
	x->seq = h->nlmsg_seq - base;
	x->index = 0;
	*bad = x->seq;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	size_t x = ((const batch_fail *)a)->seq, y = ((const batch_fail *)b)->seq;
	return x < y ? -1 : x > y;
}

/* Sends every queued message, at most BATCH_WINDOW unanswered at a time,
 * several per sendmsg, and reads the acks. A request marked "then" is sent
 * once every request before it is answered, and skipped (with no failure
 * of its own) when the one just before was refused or skipped. 0, or
 * -errno for a socket error (then the batch's outcome is unknown). */
static int batch_run(vn_ns *ns, vn_batch *b, batch_out *o, vn_err *e)
{
	int r, k, fd;
	uint32_t port, base;
	size_t sent = 0, acked = 0, off = 0, bad = (size_t)-1, i, j;
	char *rbuf = NULL, *sbuf = NULL;
	struct mmsghdr mm[BATCH_RECV];
	struct iovec iov[BATCH_RECV];

	if ((r = ready(ns, e)) < 0)
		return r;
	fd = nl_socket_get_fd(ns->sk);
	port = nl_socket_get_local_port(ns->sk);
	base = (uint32_t)time(NULL) << 8;
	rbuf = malloc(BATCH_RECV * BATCH_SLOT);
	sbuf = malloc(BATCH_SEND);
	if (!rbuf || !sbuf) {
		r = -ENOMEM;
		goto out;
	}
	memset(mm, 0, sizeof mm);
	for (k = 0; k < BATCH_RECV; k++) {
		iov[k].iov_base = rbuf + (size_t)k * BATCH_SLOT;
		iov[k].iov_len = BATCH_SLOT;
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
	while (acked < b->n) {
		size_t len = 0;
		while (sent < b->n && sent - acked < BATCH_WINDOW) {
			qrec q;
			struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + off + sizeof q);
			size_t l = NLMSG_ALIGN(h->nlmsg_len);
			memcpy(&q, b->buf + off, sizeof q);
			if (q.then && (len || acked < sent))
				break;   /* first the answers to what is in flight */
			if (q.then && sent > 0 && bad == sent - 1) {
				/* the step before was refused: this one is not sent */
				bad = sent;
				off += sizeof q + l;
				sent++;
				acked++;
				continue;
			}
			if (len + l > BATCH_SEND) {
				if (len)
					break;
				/* one large message: send it alone */
			}
			h->nlmsg_seq = base + (uint32_t)sent;
			h->nlmsg_pid = port;
			h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
			ns->requests++;
			if (l > BATCH_SEND) {
				if (send(fd, h, h->nlmsg_len, 0) < 0) {
					r = -errno;
					goto out;
				}
			} else {
				memcpy(sbuf + len, h, l);
				len += l;
			}
			off += sizeof q + l;
			sent++;
		}
		if (len && send(fd, sbuf, len, 0) < 0) {
			r = -errno;
			goto out;
		}
		if (acked == sent)
			continue;   /* nothing in flight (requests were skipped) */
		/* read what has come, many datagrams per call: at least one */
		{
			int got = recvmmsg(fd, mm, BATCH_RECV, MSG_WAITFORONE, NULL);
			struct nlmsghdr *h;
			int left;
			if (got < 0) {
				if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
					r = unfinished(ns, errno, e);
					goto out;
				}
				r = -errno;
				goto out;
			}
			for (k = 0; k < got; k++) {
				left = (int)mm[k].msg_len;
				h = (struct nlmsghdr *)iov[k].iov_base;
				/* an ack larger than its slot (no NETLINK_CAP_ACK: it
				 * quotes the request) still counts: what fits is read */
				if ((mm[k].msg_hdr.msg_flags & MSG_TRUNC) &&
				    left >= (int)NLMSG_HDRLEN && (int)h->nlmsg_len > left)
					h->nlmsg_len = (uint32_t)left;
				for (; NLMSG_OK(h, left);
				     h = NLMSG_NEXT(h, left)) {
					if (h->nlmsg_seq - base >= sent)
						continue; /* not ours (a stale reply) */
					if (h->nlmsg_type != NLMSG_ERROR)
						continue;
					if (batch_ack(h, base, o, &bad) < 0) {
						r = -ENOMEM;
						goto out;
					}
					acked++;
				}
			}
		}
	}
	/* each failure is reported by the user's call it belongs to */
	if (o->nf > 1)
		qsort(o->f, o->nf, sizeof *o->f, by_seq);
	for (i = 0, j = 0, off = 0; i < b->n && j < o->nf; i++) {
		qrec q;
		const struct nlmsghdr *h = (const struct nlmsghdr *)(b->buf + off + sizeof q);
		memcpy(&q, b->buf + off, sizeof q);
		while (j < o->nf && o->f[j].seq == i)
			o->f[j++].index = q.call;
		off += sizeof q + NLMSG_ALIGN(h->nlmsg_len);
	}
out:
	free(rbuf);
	free(sbuf);
	return r;
}

int vn_batch_commit(lua_State *L, vn_ns *ns, int oidx)
{
	vn_batch *b = ns->batch;
	batch_out *o = (batch_out *)luaL_checkudata(L, oidx, "vnet.batch");
	size_t i, n = b ? b->calls : 0;
	int r, oom = b ? b->oom : 0;
	vn_err e;

	if (!b) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* the queue is taken off the handle while it is sent: requests made
	 * meanwhile (none: nothing here calls back into Lua) go out at once */
	ns->batch = NULL;
	vn_err_set(&e, 0, NULL);
	r = oom ? -ENOMEM : batch_run(ns, b, o, &e);
	ns->batch = b;
	vn_batch_abort(ns);
	if (r < 0 && e.msg[0] == VN_NOTE[0])   /* not sent, or a receive ended early */
		return vn_push_err(L, "batch", &e, NULL);
	if (r < 0)
		return vn_fail(L, "batch", -r, "the outcome of the queued requests is unknown");
	if (o->nf == 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	/* nil, msg, errname, failures: made while o still owns the failures */
	lua_pushnil(L);
	lua_pushfstring(L, "batch: %d of %d requests failed; request %d: %s%s%s%s",
			(int)o->nf, (int)n, (int)o->f[0].index, strerror(o->f[0].e.no),
			o->f[0].e.msg[0] ? " (the kernel said: " : "", o->f[0].e.msg,
			o->f[0].e.msg[0] ? ")" : "");
	lua_pushstring(L, vn_errname(o->f[0].e.no));
	lua_createtable(L, (int)o->nf, 0);
	for (i = 0; i < o->nf; i++) {
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)o->f[i].index);
		lua_setfield(L, -2, "index");
		lua_pushstring(L, vn_errname(o->f[i].e.no));
		lua_setfield(L, -2, "errname");
		lua_pushfstring(L, "%s%s%s%s", strerror(o->f[i].e.no),
				o->f[i].e.msg[0] ? " (the kernel said: " : "", o->f[i].e.msg,
				o->f[i].e.msg[0] ? ")" : "");
		lua_setfield(L, -2, "message");
		lua_rawseti(L, -2, (int)i + 1);
	}
	return 4;
}
