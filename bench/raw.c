/*
 * raw.c - the "limit" peer of the vnet benchmarks: every workload of issue 5
 * done with hand-written rtnetlink, no library.
 *
 *   socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), SO_{SND,RCV}BUFFORCE raised,
 *   NETLINK_CAP_ACK + NETLINK_EXT_ACK; requests are pre-built into one buffer
 *   and sent in chunks of `window` messages (window sized to the receive
 *   buffer so that no ack can be dropped), acks are read back in batches with
 *   recvmmsg().  Dumps read 64 KiB at a time, retry on NLM_F_DUMP_INTR and
 *   parse every attribute into C structs.
 *
 * usage: raw [-v] [-t] [-w WINDOW] [-n NETNS] COMMAND ARGS...
 *   -n NETNS   setns() into /run/netns/NETNS first (benchmarks never touch
 *              the caller's namespace)
 *   -t         print the time of the netlink work to stderr
 *   -v         verbose (window, buffer sizes)
 *
 * commands (names and addresses are the ones every peer of bench/ uses):
 *   veth N                 N veth pairs va<i>/vb<i> (i=0..N-1), both up, 10.<i/256>.<i%256>.1/24
 *                          on va<i>
 *   star-up N PREFIX       netns PREFIX<i> (i=1..N) made like `ip netns add`; bridge br0 (up)
 *                          in the current netns; veth h<i> (master br0, up) with peer eth0
 *                          created directly in PREFIX<i>; 10.200.<i/256>.<i%256>/16 on eth0
 *                          and eth0 up, through a socket opened inside PREFIX<i>
 *   star-down N PREFIX     unmount+unlink /run/netns/PREFIX<i> (like `ip netns del`), delete br0
 *   routes-add N TABLE DEV [FIRST]  N routes <prefix(i)>/24 dev DEV scope link table TABLE
 *   routes-del N TABLE DEV [FIRST]  delete them
 *   dump TABLE             dump one table (kernel-filtered, NETLINK_GET_STRICT_CHK), parse
 *                          every field into an array; prints routes=COUNT
 *   fixture-links N        fixture: ifb d<i> (down) with 10.<i/256>.<i%256>.1/24, i=0..N-1
 *   links                  list all links with their addresses (link dump + addr dump,
 *                          joined by index); prints links=X addrs=Y
 *   lookup K N             K lookups by name of d<j> (one RTM_GETLINK with IFLA_IFNAME each)
 *   route-get N            N sequential RTM_GETROUTE lookups of 10.<..>; prints found=N
 *   wait-links MAX [TIMEOUT_S]  poll every 1 ms until at most MAX links are left
 *   impair add|change|del N netem|tbf
 *                          an impairment at the root of h<i> (i=1..N; their indexes from
 *                          one link dump): netem handle e1: delay 10ms loss 1% rate 10mbit
 *                          (change: 20ms 2% 20mbit), or tbf handle e2: rate 10mbit burst
 *                          12500 limit 1514000 (change: 20mbit burst 25000); del removes it
 *   nop                    nothing (process start-up baseline)
 *
 * prefix(i) = (11 + i/65536).(i/256%256).(i%256).0  -- the same in every peer.
 *
 * Build: cc -O2 -Wall -Wextra -o raw raw.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/pkt_sched.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NETNS_RUN_DIR "/run/netns"
#define SOCKBUF (4 << 20)  /* requested; the kernel doubles it */
#define RECV_VLEN 256      /* datagrams per recvmmsg() */
#define RECV_SLOT 2048     /* bytes per ack/reply datagram */
#define DUMP_BUF (64 << 10)

static int verbose, window_opt;
static unsigned errors_shown;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "raw: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* message buffer: many netlink messages back to back                  */

struct buf {
	char *p;
	size_t len, cap;
	unsigned n; /* messages */
};

static void *buf_put(struct buf *b, size_t n)
{
	size_t need = b->len + NLMSG_ALIGN(n);
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < need)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory");
		b->cap = cap;
	}
	void *r = b->p + b->len;
	memset(r, 0, NLMSG_ALIGN(n));
	b->len = need;
	return r;
}

/* the open message is always the last one; offsets survive realloc */
static size_t cur_msg;

static void *msg_begin(struct buf *b, int type, int flags, size_t hdrlen)
{
	cur_msg = b->len;
	struct nlmsghdr *h = buf_put(b, NLMSG_HDRLEN + hdrlen);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++b->n;
	return NLMSG_DATA(h);
}

static void msg_end(struct buf *b)
{
	((struct nlmsghdr *)(b->p + cur_msg))->nlmsg_len = b->len - cur_msg;
}

static void attr(struct buf *b, int type, const void *data, size_t len)
{
	struct nlattr *a = buf_put(b, NLA_HDRLEN + len);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
}

static void attr_u32(struct buf *b, int type, uint32_t v) { attr(b, type, &v, 4); }
static void attr_str(struct buf *b, int type, const char *s) { attr(b, type, s, strlen(s) + 1); }

static size_t nest_begin(struct buf *b, int type)
{
	size_t off = b->len;
	attr(b, type | NLA_F_NESTED, NULL, 0);
	return off;
}

static void nest_end(struct buf *b, size_t off)
{
	((struct nlattr *)(b->p + off))->nla_len = b->len - off;
}

/* ------------------------------------------------------------------ */
/* sockets                                                             */

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int v = SOCKBUF, one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa))
		die("bind: %s", strerror(errno));
	return fd;
}

/* How many acks may be outstanding: each ack is a small skb whose truesize
 * (~768 bytes with its shared info) is charged to the receive buffer; 1 KiB
 * per ack keeps a margin, so no ack is ever dropped (ENOBUFS). */
static unsigned window_for(int fd)
{
	if (window_opt)
		return window_opt;
	int rcv = 0;
	socklen_t l = sizeof rcv;
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l);
	unsigned w = rcv / 1024;
	if (w < 8)
		w = 8;
	if (w > 1024)
		w = 1024;
	if (verbose)
		fprintf(stderr, "raw: rcvbuf=%d window=%u\n", rcv, w);
	return w;
}

static void send_all(int fd, const void *p, size_t len)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	for (;;) {
		ssize_t r = sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof sa);
		if (r == (ssize_t)len)
			return;
		if (r < 0 && errno == EINTR)
			continue;
		die("send(%zu bytes): %s", len, r < 0 ? strerror(errno) : "short write");
	}
}

static const char *ext_ack_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	size_t off = NLMSG_HDRLEN + sizeof *e; /* NETLINK_CAP_ACK: no request copy */
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	const char *p = (const char *)h + NLMSG_ALIGN(off);
	const char *end = (const char *)h + h->nlmsg_len;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)p;
		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			return p + NLA_HDRLEN;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

typedef void (*reply_fn)(const struct nlmsghdr *h, void *ctx);

/* Collect `expected` answers (acks, errors or single replies).  Returns the
 * number of error answers. */
static unsigned collect(int fd, unsigned expected, reply_fn fn, void *ctx)
{
	static char slots[RECV_VLEN][RECV_SLOT];
	static struct iovec iov[RECV_VLEN];
	static struct mmsghdr mm[RECV_VLEN];
	unsigned errors = 0;

	while (expected) {
		unsigned want = expected < RECV_VLEN ? expected : RECV_VLEN;
		for (unsigned i = 0; i < want; i++) {
			iov[i].iov_base = slots[i];
			iov[i].iov_len = RECV_SLOT;
			memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, mm, want, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				die("ENOBUFS: the kernel dropped replies (window too large)");
			die("recvmmsg: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				die("reply truncated");
			int len = mm[i].msg_len;
			for (struct nlmsghdr *h = (void *)slots[i]; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = NLMSG_DATA(h);
					if (e->error) {
						const char *m = ext_ack_msg(h);
						if (errors_shown++ < 5)
							fprintf(stderr, "raw: request %u: %s%s%s\n", e->msg.nlmsg_seq,
								strerror(-e->error), m ? ": " : "", m ? m : "");
						errors++;
					}
				} else if (fn) {
					fn(h, ctx);
				}
				expected--;
			}
		}
	}
	return errors;
}

/* Send every message of b, at most `window` in flight, collect the acks. */
static void pipeline(int fd, struct buf *b, reply_fn fn, void *ctx)
{
	unsigned window = window_for(fd), errors = 0;
	size_t off = 0;
	while (off < b->len) {
		size_t start = off;
		unsigned k = 0;
		while (off < b->len && k < window) {
			off += NLMSG_ALIGN(((struct nlmsghdr *)(b->p + off))->nlmsg_len);
			k++;
		}
		send_all(fd, b->p + start, off - start);
		errors += collect(fd, k, fn, ctx);
	}
	if (errors)
		die("%u of %u requests failed", errors, b->n);
}

/* One request, one answer (ack or reply). */
static void request(int fd, struct buf *b, reply_fn fn, void *ctx)
{
	send_all(fd, b->p, b->len);
	if (collect(fd, 1, fn, ctx))
		die("request failed");
}

/* Dump: restarts from scratch when the kernel marks it interrupted. */
static unsigned long dump(int fd, struct buf *req, reply_fn fn, void *ctx, void (*reset)(void *))
{
	static char rb[DUMP_BUF];
	for (;;) {
		unsigned long count = 0;
		int intr = 0, done = 0;
		send_all(fd, req->p, req->len);
		while (!done) {
			ssize_t len = recv(fd, rb, sizeof rb, 0);
			if (len < 0) {
				if (errno == EINTR)
					continue;
				die("recv: %s", strerror(errno));
			}
			for (struct nlmsghdr *h = (void *)rb; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = 1;
				if (h->nlmsg_type == NLMSG_DONE) {
					done = 1;
					break;
				}
				if (h->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = NLMSG_DATA(h);
					const char *m = ext_ack_msg(h);
					die("dump: %s%s%s", strerror(-e->error), m ? ": " : "", m ? m : "");
				}
				fn(h, ctx);
				count++;
			}
		}
		if (!intr)
			return count;
		if (verbose)
			fprintf(stderr, "raw: dump interrupted, retrying\n");
		if (reset)
			reset(ctx);
	}
}

/* ------------------------------------------------------------------ */
/* namespaces                                                          */

static void enter_netns(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, NETNS_RUN_DIR "/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

/* What `ip netns add` does once: /run/netns exists and is a shared mount. */
static void prepare_run_dir(void)
{
	mkdir(NETNS_RUN_DIR, 0755);
	int made = 0;
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		if (errno != EINVAL || made)
			die("mount --make-shared " NETNS_RUN_DIR ": %s", strerror(errno));
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL))
			die("mount --bind " NETNS_RUN_DIR ": %s", strerror(errno));
		made = 1;
	}
}

static void raise_nofile(void)
{
	struct rlimit r;
	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ------------------------------------------------------------------ */
/* message builders                                                    */

static void ipv4(uint8_t out[4], unsigned a, unsigned b, unsigned c, unsigned d)
{
	out[0] = a, out[1] = b, out[2] = c, out[3] = d;
}

static void prefix_of(unsigned i, uint8_t out[4])
{
	ipv4(out, 11 + (i >> 16), (i >> 8) & 255, i & 255, 0);
}

static void add_addr4(struct buf *b, int ifindex, const uint8_t a[4], int plen)
{
	struct ifaddrmsg *ifa = msg_begin(b, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = ifindex;
	attr(b, IFA_LOCAL, a, 4);
	attr(b, IFA_ADDRESS, a, 4);
	msg_end(b);
}

static void set_up(struct buf *b, int ifindex)
{
	struct ifinfomsg *ifi = msg_begin(b, RTM_NEWLINK, NLM_F_ACK, sizeof *ifi);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	msg_end(b);
}

/* route message for prefix(i)/24 dev oif scope link table t, proto boot like `ip` */
static void route_msg(struct buf *b, int type, unsigned i, unsigned table, int oif)
{
	int flags = NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct rtmsg *r = msg_begin(b, type, flags, sizeof *r);
	uint8_t dst[4];
	prefix_of(i, dst);
	r->rtm_family = AF_INET;
	r->rtm_dst_len = 24;
	r->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	r->rtm_protocol = type == RTM_NEWROUTE ? RTPROT_BOOT : 0;
	r->rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	r->rtm_type = type == RTM_NEWROUTE ? RTN_UNICAST : 0;
	attr_u32(b, RTA_TABLE, table);
	attr(b, RTA_DST, dst, 4);
	attr_u32(b, RTA_OIF, oif);
	msg_end(b);
}

/* ------------------------------------------------------------------ */
/* attribute parsing                                                   */

#define MAXATTR 64
static void parse_attrs(const struct nlattr *tb[MAXATTR], const void *p, int len)
{
	memset(tb, 0, sizeof(tb[0]) * MAXATTR);
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		unsigned t = a->nla_type & NLA_TYPE_MASK;
		if (t < MAXATTR)
			tb[t] = a;
		p = (const char *)p + NLA_ALIGN(a->nla_len);
		len -= NLA_ALIGN(a->nla_len);
	}
}

#define ADATA(a) ((const void *)((const char *)(a) + NLA_HDRLEN))
#define ALEN(a) ((size_t)((a)->nla_len - NLA_HDRLEN))
static uint32_t a_u32(const struct nlattr *a) { return a ? *(const uint32_t *)ADATA(a) : 0; }
static void a_copy(void *dst, size_t max, const struct nlattr *a)
{
	if (a) {
		size_t n = ALEN(a) < max ? ALEN(a) : max;
		memcpy(dst, ADATA(a), n);
	}
}

/* every route field users ask for */
struct route {
	uint8_t family, dst_len, src_len, tos, protocol, scope, type;
	uint32_t flags, table, oif, iif, priority, mark, mtu, pref;
	uint8_t dst[16], src[16], gateway[16], prefsrc[16];
};

struct routes {
	struct route *v;
	size_t n, cap;
};

static void parse_route(const struct nlmsghdr *h, struct route *r)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct nlattr *tb[MAXATTR];
	parse_attrs(tb, RTM_RTA(rt), h->nlmsg_len - NLMSG_LENGTH(sizeof *rt));
	memset(r, 0, sizeof *r);
	r->family = rt->rtm_family;
	r->dst_len = rt->rtm_dst_len;
	r->src_len = rt->rtm_src_len;
	r->tos = rt->rtm_tos;
	r->protocol = rt->rtm_protocol;
	r->scope = rt->rtm_scope;
	r->type = rt->rtm_type;
	r->flags = rt->rtm_flags;
	r->table = tb[RTA_TABLE] ? a_u32(tb[RTA_TABLE]) : rt->rtm_table;
	r->oif = a_u32(tb[RTA_OIF]);
	r->iif = a_u32(tb[RTA_IIF]);
	r->priority = a_u32(tb[RTA_PRIORITY]);
	r->mark = a_u32(tb[RTA_MARK]);
	r->pref = tb[RTA_PREF] ? *(const uint8_t *)ADATA(tb[RTA_PREF]) : 0;
	a_copy(r->dst, 16, tb[RTA_DST]);
	a_copy(r->src, 16, tb[RTA_SRC]);
	a_copy(r->gateway, 16, tb[RTA_GATEWAY]);
	a_copy(r->prefsrc, 16, tb[RTA_PREFSRC]);
	if (tb[RTA_METRICS]) {
		const struct nlattr *mx[MAXATTR];
		parse_attrs(mx, ADATA(tb[RTA_METRICS]), ALEN(tb[RTA_METRICS]));
		r->mtu = a_u32(mx[RTAX_MTU]);
	}
}

static void route_collect(const struct nlmsghdr *h, void *ctx)
{
	struct routes *rs = ctx;
	if (h->nlmsg_type != RTM_NEWROUTE)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 1024;
		rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
		if (!rs->v)
			die("out of memory");
	}
	parse_route(h, &rs->v[rs->n++]);
}

static void routes_reset(void *ctx) { ((struct routes *)ctx)->n = 0; }

struct link {
	int index, master, mtu, txqlen;
	unsigned flags, type;
	uint8_t operstate, addrlen;
	char name[IFNAMSIZ], kind[16];
	uint8_t address[32];
	int naddrs;
};

struct addr {
	int index, family, prefixlen, scope, flags;
	uint8_t local[16], address[16];
	char label[IFNAMSIZ];
};

struct table {
	struct link *links;
	struct addr *addrs;
	size_t nl, capl, na, capa;
};

static void parse_link(const struct nlmsghdr *h, struct link *l)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct nlattr *tb[MAXATTR];
	parse_attrs(tb, IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi));
	memset(l, 0, sizeof *l);
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->type = ifi->ifi_type;
	a_copy(l->name, IFNAMSIZ - 1, tb[IFLA_IFNAME]);
	l->mtu = a_u32(tb[IFLA_MTU]);
	l->master = a_u32(tb[IFLA_MASTER]);
	l->txqlen = a_u32(tb[IFLA_TXQLEN]);
	l->operstate = tb[IFLA_OPERSTATE] ? *(const uint8_t *)ADATA(tb[IFLA_OPERSTATE]) : 0;
	if (tb[IFLA_ADDRESS]) {
		l->addrlen = ALEN(tb[IFLA_ADDRESS]) < 32 ? ALEN(tb[IFLA_ADDRESS]) : 32;
		a_copy(l->address, 32, tb[IFLA_ADDRESS]);
	}
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *li[MAXATTR];
		parse_attrs(li, ADATA(tb[IFLA_LINKINFO]), ALEN(tb[IFLA_LINKINFO]));
		a_copy(l->kind, sizeof l->kind - 1, li[IFLA_INFO_KIND]);
	}
}

static void link_collect(const struct nlmsghdr *h, void *ctx)
{
	struct table *t = ctx;
	if (h->nlmsg_type != RTM_NEWLINK)
		return;
	if (t->nl == t->capl) {
		t->capl = t->capl ? t->capl * 2 : 256;
		t->links = realloc(t->links, t->capl * sizeof *t->links);
		if (!t->links)
			die("out of memory");
	}
	parse_link(h, &t->links[t->nl++]);
}

static void addr_collect(const struct nlmsghdr *h, void *ctx)
{
	struct table *t = ctx;
	if (h->nlmsg_type != RTM_NEWADDR)
		return;
	if (t->na == t->capa) {
		t->capa = t->capa ? t->capa * 2 : 256;
		t->addrs = realloc(t->addrs, t->capa * sizeof *t->addrs);
		if (!t->addrs)
			die("out of memory");
	}
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct nlattr *tb[MAXATTR];
	parse_attrs(tb, IFA_RTA(ifa), h->nlmsg_len - NLMSG_LENGTH(sizeof *ifa));
	struct addr *a = &t->addrs[t->na++];
	memset(a, 0, sizeof *a);
	a->index = ifa->ifa_index;
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = tb[IFA_FLAGS] ? a_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	a_copy(a->local, 16, tb[IFA_LOCAL]);
	a_copy(a->address, 16, tb[IFA_ADDRESS]);
	a_copy(a->label, IFNAMSIZ - 1, tb[IFA_LABEL]);
}

static void table_reset_links(void *ctx) { ((struct table *)ctx)->nl = 0; }
static void table_reset_addrs(void *ctx) { ((struct table *)ctx)->na = 0; }

/* ------------------------------------------------------------------ */
/* workloads                                                           */

static unsigned long num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s)
		die("bad %s: %s", what, s);
	return v;
}

static int ifindex_of(const char *name)
{
	struct buf b = {0};
	struct ifinfomsg *ifi = msg_begin(&b, RTM_GETLINK, 0, sizeof *ifi);
	(void)ifi;
	attr_str(&b, IFLA_IFNAME, name);
	msg_end(&b);
	int fd = nl_open();
	struct link l = {0};
	send_all(fd, b.p, b.len);
	static char rb[DUMP_BUF];
	ssize_t len = recv(fd, rb, sizeof rb, 0);
	struct nlmsghdr *h = (void *)rb;
	if (len < 0 || !NLMSG_OK(h, len) || h->nlmsg_type != RTM_NEWLINK)
		die("no such device: %s", name);
	parse_link(h, &l);
	close(fd);
	free(b.p);
	return l.index;
}

/* W1: N veth pairs, both ends up, an address on va<i>.  Both ends get an
 * explicit ifindex so that the later requests need no lookup.  va<i> is
 * created up; the peer is set up by a second request (on this kernel a veth
 * peer created with IFF_UP fails with ENOTCONN). */
static void w_veth(unsigned n)
{
	int fd = nl_open();
	struct buf b = {0};
	for (unsigned i = 0; i < n; i++) {
		char a[IFNAMSIZ], p[IFNAMSIZ];
		snprintf(a, sizeof a, "va%u", i);
		snprintf(p, sizeof p, "vb%u", i);
		int index = 1000 + 2 * i;
		struct ifinfomsg *ifi = msg_begin(&b, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
		ifi->ifi_index = index;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
		attr_str(&b, IFLA_IFNAME, a);
		size_t li = nest_begin(&b, IFLA_LINKINFO);
		attr_str(&b, IFLA_INFO_KIND, "veth");
		size_t data = nest_begin(&b, IFLA_INFO_DATA);
		size_t peer = nest_begin(&b, VETH_INFO_PEER);
		struct ifinfomsg *pi = buf_put(&b, sizeof *pi);
		pi->ifi_index = index + 1;
		attr_str(&b, IFLA_IFNAME, p);
		nest_end(&b, peer);
		nest_end(&b, data);
		nest_end(&b, li);
		msg_end(&b);
		set_up(&b, index + 1);
		uint8_t ip[4];
		ipv4(ip, 10, (i >> 8) & 255, i & 255, 1);
		add_addr4(&b, index, ip, 24);
	}
	pipeline(fd, &b, NULL, NULL);
	printf("veth=%u\n", n);
}

/* W2 bring-up.  Runs in the hub netns (-n HUB). */
static void w_star_up(unsigned n, const char *prefix)
{
	raise_nofile();
	prepare_run_dir();
	int hubns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (hubns < 0)
		die("open own netns: %s", strerror(errno));
	int *nsfd = calloc(n + 1, sizeof *nsfd), *sock = calloc(n + 1, sizeof *sock);
	if (!nsfd || !sock)
		die("out of memory");

	/* namespaces, like `ip netns add`; a socket is opened in each while we are there */
	for (unsigned i = 1; i <= n; i++) {
		char path[512];
		snprintf(path, sizeof path, NETNS_RUN_DIR "/%s%u", prefix, i);
		int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd < 0)
			die("create %s: %s", path, strerror(errno));
		close(fd);
		if (unshare(CLONE_NEWNET))
			die("unshare: %s", strerror(errno));
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL))
			die("bind %s: %s", path, strerror(errno));
		nsfd[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		sock[i] = nl_open();
		if (setns(hubns, CLONE_NEWNET))
			die("setns back: %s", strerror(errno));
	}

	/* bridge, then every veth with its peer created inside the node namespace */
	int fd = nl_open();
	struct buf b = {0};
	struct ifinfomsg *ifi = msg_begin(&b, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
	ifi->ifi_index = 100;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	attr_str(&b, IFLA_IFNAME, "br0");
	size_t li = nest_begin(&b, IFLA_LINKINFO);
	attr_str(&b, IFLA_INFO_KIND, "bridge");
	nest_end(&b, li);
	msg_end(&b);
	for (unsigned i = 1; i <= n; i++) {
		char h[IFNAMSIZ];
		snprintf(h, sizeof h, "h%u", i);
		ifi = msg_begin(&b, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
		ifi->ifi_index = 1000 + i;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
		attr_str(&b, IFLA_IFNAME, h);
		attr_u32(&b, IFLA_MASTER, 100);
		li = nest_begin(&b, IFLA_LINKINFO);
		attr_str(&b, IFLA_INFO_KIND, "veth");
		size_t data = nest_begin(&b, IFLA_INFO_DATA);
		size_t peer = nest_begin(&b, VETH_INFO_PEER);
		struct ifinfomsg *pi = buf_put(&b, sizeof *pi);
		pi->ifi_index = 2; /* explicit: the address request below needs no lookup */
		attr_str(&b, IFLA_IFNAME, "eth0");
		attr_u32(&b, IFLA_NET_NS_FD, nsfd[i]);
		nest_end(&b, peer);
		nest_end(&b, data);
		nest_end(&b, li);
		msg_end(&b);
	}
	pipeline(fd, &b, NULL, NULL);

	/* address and up inside each namespace: send to all, then collect from all */
	struct buf *nb = calloc(n + 1, sizeof *nb);
	for (unsigned i = 1; i <= n; i++) {
		uint8_t ip[4];
		ipv4(ip, 10, 200, (i >> 8) & 255, i & 255);
		add_addr4(&nb[i], 2, ip, 16);
		set_up(&nb[i], 2);
		send_all(sock[i], nb[i].p, nb[i].len);
	}
	unsigned errors = 0;
	for (unsigned i = 1; i <= n; i++) {
		errors += collect(sock[i], 2, NULL, NULL);
		close(sock[i]);
		close(nsfd[i]);
		free(nb[i].p);
	}
	if (errors)
		die("%u node requests failed", errors);
	printf("nodes=%u\n", n);
}

/* W2 teardown: drop the namespaces (veth ends go with them), delete the bridge. */
static void w_star_down(unsigned n, const char *prefix)
{
	for (unsigned i = 1; i <= n; i++) {
		char path[512];
		snprintf(path, sizeof path, NETNS_RUN_DIR "/%s%u", prefix, i);
		if (umount2(path, MNT_DETACH))
			die("umount %s: %s", path, strerror(errno));
		if (unlink(path))
			die("unlink %s: %s", path, strerror(errno));
	}
	int fd = nl_open();
	struct buf b = {0};
	msg_begin(&b, RTM_DELLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	attr_str(&b, IFLA_IFNAME, "br0");
	msg_end(&b);
	request(fd, &b, NULL, NULL);
	printf("nodes=0\n");
}

/* W3 */
static void w_routes(int type, unsigned n, unsigned table, const char *dev, unsigned first)
{
	int oif = ifindex_of(dev);
	int fd = nl_open();
	struct buf b = {0};
	for (unsigned i = first; i < first + n; i++)
		route_msg(&b, type, i, table, oif);
	pipeline(fd, &b, NULL, NULL);
	printf("routes=%u\n", n);
}

/* W4: dump one table, filtered by the kernel */
static void w_dump(unsigned table)
{
	int fd = nl_open(), one = 1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one))
		die("NETLINK_GET_STRICT_CHK: %s", strerror(errno));
	struct buf b = {0};
	struct rtmsg *r = msg_begin(&b, RTM_GETROUTE, NLM_F_DUMP, sizeof *r);
	r->rtm_family = AF_INET;
	r->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	attr_u32(&b, RTA_TABLE, table);
	msg_end(&b);
	struct routes rs = {0};
	dump(fd, &b, route_collect, &rs, routes_reset);
	unsigned long sum = 0;
	for (size_t i = 0; i < rs.n; i++)
		sum += rs.v[i].oif + rs.v[i].dst[1] + rs.v[i].table;
	printf("routes=%zu\n", rs.n);
	if (verbose)
		fprintf(stderr, "raw: checksum %lu, %zu bytes of structs\n", sum, rs.n * sizeof *rs.v);
	free(rs.v);
}

/* W5 fixture (this kernel has no dummy driver; ifb is the closest standalone kind) */
static void w_fixture_links(unsigned n)
{
	int fd = nl_open();
	struct buf b = {0};
	for (unsigned i = 0; i < n; i++) {
		char name[IFNAMSIZ];
		snprintf(name, sizeof name, "d%u", i);
		struct ifinfomsg *ifi = msg_begin(&b, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
		ifi->ifi_index = 100 + i;
		attr_str(&b, IFLA_IFNAME, name);
		size_t li = nest_begin(&b, IFLA_LINKINFO);
		attr_str(&b, IFLA_INFO_KIND, "ifb");
		nest_end(&b, li);
		msg_end(&b);
		uint8_t ip[4];
		ipv4(ip, 10, (i >> 8) & 255, i & 255, 1);
		add_addr4(&b, 100 + i, ip, 24);
	}
	pipeline(fd, &b, NULL, NULL);
	printf("links=%u\n", n);
}

/* W5: every link with its addresses */
static void w_links(void)
{
	int fd = nl_open();
	struct table t = {0};
	struct buf lb = {0}, ab = {0};
	struct ifinfomsg *ifi = msg_begin(&lb, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	attr_u32(&lb, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	msg_end(&lb);
	struct ifaddrmsg *ifa = msg_begin(&ab, RTM_GETADDR, NLM_F_DUMP, sizeof *ifa);
	ifa->ifa_family = AF_UNSPEC;
	msg_end(&ab);
	dump(fd, &lb, link_collect, &t, table_reset_links);
	dump(fd, &ab, addr_collect, &t, table_reset_addrs);

	/* join by ifindex */
	int maxi = 0;
	for (size_t i = 0; i < t.nl; i++)
		if (t.links[i].index > maxi)
			maxi = t.links[i].index;
	int *pos = calloc(maxi + 1, sizeof *pos);
	for (size_t i = 0; i < t.nl; i++)
		pos[t.links[i].index] = i + 1;
	size_t joined = 0;
	for (size_t i = 0; i < t.na; i++) {
		int ix = t.addrs[i].index;
		if (ix <= maxi && pos[ix]) {
			t.links[pos[ix] - 1].naddrs++;
			joined++;
		}
	}
	printf("links=%zu addrs=%zu\n", t.nl, joined);
	free(pos);
	free(t.links);
	free(t.addrs);
}

static void lookup_reply(const struct nlmsghdr *h, void *ctx)
{
	if (h->nlmsg_type == RTM_NEWLINK)
		parse_link(h, ctx);
}

/* W5: K lookups by name, one request each, never a dump */
static void w_lookup(unsigned k, unsigned n)
{
	int fd = nl_open();
	unsigned found = 0;
	struct buf b = {0};
	for (unsigned t = 0; t < k; t++) {
		char name[IFNAMSIZ];
		unsigned j = (unsigned)((t * 7919ull) % n);
		snprintf(name, sizeof name, "d%u", j);
		b.len = 0;
		struct ifinfomsg *ifi = msg_begin(&b, RTM_GETLINK, 0, sizeof *ifi);
		(void)ifi;
		attr_u32(&b, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		attr_str(&b, IFLA_IFNAME, name);
		msg_end(&b);
		struct link l = {0};
		request(fd, &b, lookup_reply, &l);
		if (!strcmp(l.name, name))
			found++;
	}
	printf("found=%u\n", found);
}

static void route_reply(const struct nlmsghdr *h, void *ctx)
{
	if (h->nlmsg_type == RTM_NEWROUTE)
		parse_route(h, ctx);
}

/* W6: N sequential route lookups of 10.x.y.z */
static void w_route_get(unsigned n)
{
	int fd = nl_open();
	unsigned found = 0;
	struct buf b = {0};
	for (unsigned i = 0; i < n; i++) {
		uint8_t dst[4];
		unsigned v = i + 2;
		ipv4(dst, 10, (v >> 16) & 255, (v >> 8) & 255, v & 255);
		b.len = 0;
		struct rtmsg *r = msg_begin(&b, RTM_GETROUTE, 0, sizeof *r);
		r->rtm_family = AF_INET;
		r->rtm_dst_len = 32;
		attr(&b, RTA_DST, dst, 4);
		msg_end(&b);
		struct route rt = {0};
		request(fd, &b, route_reply, &rt);
		if (rt.oif)
			found++;
	}
	printf("found=%u\n", found);
}

/* Poll (1 ms) until the namespace has at most `max` links; for timing how long
 * the kernel takes to clean up after namespaces were dropped. */
static void w_wait_links(unsigned max, unsigned timeout_s)
{
	int fd = nl_open();
	struct buf b = {0};
	struct ifinfomsg *ifi = msg_begin(&b, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	attr_u32(&b, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	msg_end(&b);
	double end = now() + timeout_s;
	struct table t = {0};
	for (;;) {
		t.nl = 0;
		dump(fd, &b, link_collect, &t, table_reset_links);
		if (t.nl <= max)
			break;
		if (now() > end)
			die("still %zu links after %u s", t.nl, timeout_s);
		usleep(1000);
	}
	printf("links=%zu\n", t.nl);
}

/* W7: an impairment on h1..hN. The indexes come from one link dump. */
static void impair_msg(struct buf *b, const char *phase, int ifindex, int netem)
{
	int del = !strcmp(phase, "del"), change = !strcmp(phase, "change");
	int flags = NLM_F_ACK | (del || change ? 0 : NLM_F_CREATE | NLM_F_EXCL);
	struct tcmsg *t = msg_begin(b, del ? RTM_DELQDISC : RTM_NEWQDISC, flags, sizeof *t);
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = (netem ? 0xe1u : 0xe2u) << 16;
	t->tcm_parent = TC_H_ROOT;
	if (!del) {
		uint64_t rate = change ? 20000000 / 8 : 10000000 / 8;   /* bytes/s */
		attr_str(b, TCA_KIND, netem ? "netem" : "tbf");
		if (netem) {
			/* TCA_OPTIONS: struct tc_netem_qopt, then attributes */
			size_t off = b->len;
			struct tc_netem_qopt q = {0};
			int64_t lat = change ? 20000000 : 10000000;         /* ns */
			struct tc_netem_rate r = {0};
			q.limit = 1000;
			q.latency = (uint32_t)(lat >> 6);                     /* 64 ns ticks */
			q.loss = (uint32_t)(change ? 0.02 * 4294967295. : 0.01 * 4294967295.);
			attr(b, TCA_OPTIONS, &q, sizeof q);
			r.rate = (uint32_t)rate;
			attr(b, TCA_NETEM_RATE, &r, sizeof r);
			attr(b, TCA_NETEM_LATENCY64, &lat, sizeof lat);
			((struct nlattr *)(b->p + off))->nla_len = b->len - off;
		} else {
			size_t o = nest_begin(b, TCA_OPTIONS);
			struct tc_tbf_qopt q = {0};
			uint32_t burst = change ? 25000 : 12500;
			q.rate.rate = (uint32_t)rate;
			q.rate.linklayer = TC_LINKLAYER_ETHERNET;
			q.limit = 1514000;
			/* the time to send burst bytes at rate, in 64 ns ticks */
			q.buffer = (uint32_t)((double)burst * 1e9 / (double)rate / 64.);
			attr(b, TCA_TBF_PARMS, &q, sizeof q);
			attr_u32(b, TCA_TBF_BURST, burst);
			nest_end(b, o);
		}
	}
	msg_end(b);
}

static void w_impair(const char *phase, unsigned n, const char *kind)
{
	int fd = nl_open(), netem = !strcmp(kind, "netem");
	struct table t = {0};
	struct buf lb = {0}, b = {0};
	if (!netem && strcmp(kind, "tbf"))
		die("impair: kind must be netem or tbf");
	if (strcmp(phase, "add") && strcmp(phase, "change") && strcmp(phase, "del"))
		die("impair: phase must be add, change or del");
	struct ifinfomsg *ifi = msg_begin(&lb, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	attr_u32(&lb, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	msg_end(&lb);
	dump(fd, &lb, link_collect, &t, table_reset_links);
	int *index = calloc(n + 1, sizeof *index);
	if (!index)
		die("out of memory");
	for (size_t i = 0; i < t.nl; i++) {
		unsigned k;
		char end;
		if (sscanf(t.links[i].name, "h%u%c", &k, &end) == 1 && k >= 1 && k <= n)
			index[k] = t.links[i].index;
	}
	for (unsigned i = 1; i <= n; i++) {
		if (!index[i])
			die("impair: no device h%u", i);
		impair_msg(&b, phase, index[i], netem);
	}
	pipeline(fd, &b, NULL, NULL);
	printf("impaired=%u\n", strcmp(phase, "del") ? n : 0);
	free(index);
	free(t.links);
	free(lb.p);
	free(b.p);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: raw [-v] [-t] [-w WINDOW] [-n NETNS] COMMAND ARGS...\n"
		"  veth N | star-up N PREFIX | star-down N PREFIX\n"
		"  routes-add N TABLE DEV [FIRST] | routes-del N TABLE DEV [FIRST]\n"
		"  dump TABLE | fixture-links N | links | lookup K N | route-get N\n"
		"  wait-links MAX [TIMEOUT_S] | impair add|change|del N netem|tbf | nop\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, timing = 0;
	while ((opt = getopt(argc, argv, "+vtw:n:")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 't': timing = 1; break;
		case 'w': window_opt = num(optarg, "window"); break;
		case 'n': enter_netns(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	const char *cmd = argv[0];
#define NEED(k) do { if (argc < (k) + 1) usage(); } while (0)
	double t0 = now();
	if (!strcmp(cmd, "veth")) {
		NEED(1);
		w_veth(num(argv[1], "N"));
	} else if (!strcmp(cmd, "star-up")) {
		NEED(2);
		w_star_up(num(argv[1], "N"), argv[2]);
	} else if (!strcmp(cmd, "star-down")) {
		NEED(2);
		w_star_down(num(argv[1], "N"), argv[2]);
	} else if (!strcmp(cmd, "routes-add") || !strcmp(cmd, "routes-del")) {
		NEED(3);
		w_routes(cmd[7] == 'a' ? RTM_NEWROUTE : RTM_DELROUTE, num(argv[1], "N"),
			 num(argv[2], "table"), argv[3], argc > 4 ? num(argv[4], "first") : 0);
	} else if (!strcmp(cmd, "dump")) {
		NEED(1);
		w_dump(num(argv[1], "table"));
	} else if (!strcmp(cmd, "fixture-links")) {
		NEED(1);
		w_fixture_links(num(argv[1], "N"));
	} else if (!strcmp(cmd, "links")) {
		w_links();
	} else if (!strcmp(cmd, "lookup")) {
		NEED(2);
		w_lookup(num(argv[1], "K"), num(argv[2], "N"));
	} else if (!strcmp(cmd, "route-get")) {
		NEED(1);
		w_route_get(num(argv[1], "N"));
	} else if (!strcmp(cmd, "wait-links")) {
		NEED(1);
		w_wait_links(num(argv[1], "MAX"), argc > 2 ? num(argv[2], "timeout") : 60);
	} else if (!strcmp(cmd, "impair")) {
		NEED(3);
		w_impair(argv[1], num(argv[2], "N"), argv[3]);
	} else if (!strcmp(cmd, "nop")) {
		/* start-up baseline */
	} else {
		usage();
	}
	if (timing)
		fprintf(stderr, "raw: %s: %.6f s\n", cmd, now() - t0);
	return 0;
}
