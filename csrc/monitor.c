/*
 * monitor.c - events, as `ip monitor` shows them: ns:monitor{...} opens a
 * NETLINK_ROUTE socket of its own inside the handle's namespace, subscribed
 * to the kernel's multicast groups, non-blocking. Its fd can be handed to
 * any event loop; read() takes the next event without blocking, wait() and
 * events() poll with a bound. Each event carries the object the dumps
 * would give (links, addresses, routes, rules, neighbours), and a receive
 * overrun (ENOBUFS) is an event of its own: the caller must dump again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/fib_rules.h>
#include <netlink/msg.h>
#include <netlink/errno.h>
#include <netlink/route/neighbour.h>

#include <linux/nexthop.h>

#include "util.h"
#include "link.h"
#include "handle.h"

#define VN_MONITOR "vnet.monitor"
#define VN_ADDR "vnet.addr"             /* addr.c's type */
#define MON_BUF (64 * 1024)
#define MON_RCVBUF (1 << 20)          /* default receive buffer */
#define MON_DEFAULT_WAIT 5.0          /* seconds, when wait() is given none */

/* kinds of events (bit i: kind i subscribed) */
enum { K_LINK, K_ADDR, K_ROUTE, K_NEIGH, K_RULE, K_NEXTHOP, K_N };
static const char *const kind_names[K_N] = { "link", "addr", "route", "neigh", "rule",
	"nexthop" };

/* A group name: the kernel groups it joins and the kind it delivers. */
static const struct mon_group {
	const char *name;
	int kind;
	int g1, g2;                   /* RTNLGRP_*, 0: none */
} groups[] = {
	{ "link", K_LINK, RTNLGRP_LINK, 0 },
	{ "addr", K_ADDR, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR },
	{ "ipv4-addr", K_ADDR, RTNLGRP_IPV4_IFADDR, 0 },
	{ "ipv6-addr", K_ADDR, RTNLGRP_IPV6_IFADDR, 0 },
	{ "route", K_ROUTE, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE },
	{ "ipv4-route", K_ROUTE, RTNLGRP_IPV4_ROUTE, 0 },
	{ "ipv6-route", K_ROUTE, RTNLGRP_IPV6_ROUTE, 0 },
	{ "neigh", K_NEIGH, RTNLGRP_NEIGH, 0 },
	{ "rule", K_RULE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE },
	{ "ipv4-rule", K_RULE, RTNLGRP_IPV4_RULE, 0 },
	{ "ipv6-rule", K_RULE, RTNLGRP_IPV6_RULE, 0 },
	{ "nexthop", K_NEXTHOP, RTNLGRP_NEXTHOP, 0 },
	{ NULL, 0, 0, 0 }
};

typedef struct vn_mon {
	int live;                     /* 1 while fd is open */
	int fd;
	int overrun;                  /* an overrun to deliver next */
	unsigned kinds;               /* bit K_*: subscribed */
	unsigned char *buf;           /* the last datagram read */
	size_t cap, len, off;         /* its size, bytes in it, next message */
	uint64_t gmask;               /* the groups joined (bit g-1), for tostring */
	int pid;                      /* the process that opened it */
} vn_mon;

static void mon_release(vn_mon *m)
{
	if (m->live) {
		close(m->fd);
		m->live = 0;
		m->fd = -1;
	}
	free(m->buf);
	m->buf = NULL;
	m->len = m->off = m->cap = 0;
}

static vn_mon *mon_check(lua_State *L, int idx)
{
	vn_mon *m = (vn_mon *)luaL_checkudata(L, idx, VN_MONITOR);
	vn_handle_open(L, m->live, VN_MONITOR);
	return m;
}

/* ---- opening ---------------------------------------------------------- */
static int open_sock(void *arg)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	*(int *)arg = fd;
	return fd < 0 ? -errno : 0;
}

/* Reads the group names (array part) and options of the table at idx. */
static void read_opts(lua_State *L, int idx, vn_mon *m, lua_Integer *rcvbuf)
{
	static const char *const keys[] = { "rcvbuf", NULL };
	const char *fn = "monitor";
	lua_Integer i, n;
	if (lua_isnoneornil(L, idx))
		return;
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: options must be a table, got %s", fn, luaL_typename(L, idx));
	/* the string keys are options; integer keys 1..n are group names */
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -1);
			int j, ok = 0;
			for (j = 0; keys[j]; j++)
				ok |= !strcmp(k, keys[j]);
			if (!ok)
				luaL_error(L, "%s: unknown option '%s'", fn, k);
		} else if (!lua_isinteger(L, -1) || lua_tonumber(L, -1) < 1 ||
			   lua_tonumber(L, -1) > (lua_Number)lua_rawlen(L, idx)) {
			luaL_error(L, "%s: a key must be a group position or an option name, got %s",
				   fn, luaL_typename(L, -1));
		}
	}
	vn_opt_int(L, idx, fn, "rcvbuf", 1024, 1 << 30, rcvbuf);
	if (lua_getmetatable(L, idx))
		luaL_error(L, "%s: group names must be in a plain table (without a "
			   "metatable: it is read raw)", fn);
	n = (lua_Integer)lua_rawlen(L, idx);
	for (i = 1; i <= n; i++) {
		const struct mon_group *g;
		const char *s;
		lua_rawgeti(L, idx, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: group %d must be a string, got %s", fn, (int)i,
				   luaL_typename(L, -1));
		s = vn_check_str(L, -1, fn, "group", 64);
		if (!strcmp(s, "all")) {
			for (g = groups; g->name; g++)
				m->gmask |= (1ull << (g->g1 - 1)) |
					    (g->g2 ? 1ull << (g->g2 - 1) : 0);
		} else {
			for (g = groups; g->name && strcmp(g->name, s); g++)
				;
			if (!g->name)
				luaL_error(L, "%s: unknown group '%s' (link, addr, route, neigh, rule, nexthop, "
					   "ipv4-addr, ipv6-addr, ipv4-route, ipv6-route, ipv4-rule, "
					   "ipv6-rule or all)", fn, s);
			m->gmask |= (1ull << (g->g1 - 1)) | (g->g2 ? 1ull << (g->g2 - 1) : 0);
		}
		lua_pop(L, 1);
	}
}

/* The kind of events group g (RTNLGRP_*) brings. */
static int group_kind(int g)
{
	const struct mon_group *p;
	for (p = groups; p->name; p++)
		if (p->g1 == g || p->g2 == g)
			return p->kind;
	return -1;
}

/* Pushes a monitor of the handle at nsidx joined to the groups of gmask,
 * with a receive buffer of rcvbuf bytes, and returns it (1); or pushes a
 * failure triple instead and returns 3 (the box, below it, is closed). */
static int mon_open(lua_State *L, int nsidx, uint64_t gmask, int rcvbuf, vn_mon **out)
{
	vn_ns *ns = (vn_ns *)lua_touserdata(L, nsidx);
	struct sockaddr_nl sa;
	vn_mon *m;
	int fd = -1, r, g;
	/* the box first (closed), then what it owns */
	*out = m = (vn_mon *)vn_box_new(L, sizeof *m, VN_MONITOR, nsidx);
	m->fd = -1;
	m->gmask = gmask;
	if (!(m->buf = (unsigned char *)malloc(MON_BUF)))
		return vn_fail(L, "monitor", ENOMEM, NULL);
	m->cap = MON_BUF;
	r = vn_in_ns(ns->fd, open_sock, &fd);
	if (r < 0)
		return vn_fail(L, "monitor: socket", -r, NULL);
	m->fd = fd;
	m->live = 1;
	m->pid = (int)getpid();
	/* past rmem_max needs the privileged option; a small one works as is */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		mon_release(m);
		return vn_fail(L, "monitor: bind", e, NULL);
	}
	for (g = 1; g <= 64; g++) {
		if (!(gmask & (1ull << (g - 1))))
			continue;
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0) {
			int e = errno;
			mon_release(m);
			return vn_fail(L, "monitor: joining a group", e, NULL);
		}
		m->kinds |= 1u << group_kind(g);
	}
	return 1;
}

/***
 * Kernel events without blocking (`ip monitor`): `ns:monitor` opens a
 * `vnet.monitor`, a netlink socket of its own inside the handle's namespace
 * subscribed to the groups named, whose fd any event loop can poll.
 *
 * Groups: `"link"`, `"addr"` (`"ipv4-addr"`, `"ipv6-addr"`), `"route"`
 * (`"ipv4-route"`, `"ipv6-route"`), `"rule"` (`"ipv4-rule"`,
 * `"ipv6-rule"`), `"neigh"`, `"nexthop"`, and `"all"` (or no name: all of
 * them). An event is `{ type = "new" | "del", kind =, object = }` with the
 * usual `vnet.link`, `vnet.addr`, `vnet.route`, `vnet.rule`, `vnet.neigh`
 * or `vnet.nexthop` object, or `{ type = "overrun" }` when the kernel
 * dropped events (read the state again; events go on after it).
 * @module vnet.monitor
 */

/*** Opens a monitor.
 * @function ns:monitor
 * @tparam[opt] table opts group names (array part) and `rcvbuf` (bytes,
 *   1024 to 2^30, default 1 MiB)
 * @return a `vnet.monitor`, or `nil, message, errname`
 * @raise on an unknown group or option, and on a closed handle
 * @usage
 * local vnet = require "vnet"
 * local ns = assert(vnet.netns.new())
 * local mon = assert(ns:monitor{ "link" })
 * assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
 * local ev = assert(mon:wait(5))
 * assert(ev.type == "new" and ev.kind == "link")
 * mon:close()
 * ns:close()
 */

/*** A monitor.
 * @type monitor
 */

/*** The fields of a `vnet.monitor`.
 * @table fields
 * @field fd the socket's fd, for poll, epoll, luv, cqueues, OpenResty
 *   (raises once closed)
 * @field closed whether it is closed
 * @field groups the list of the group names it joined
 */
/* ns:monitor([{ "link", "addr", ..., rcvbuf = bytes }]) -> monitor |
 * nil, msg, errname. No group names: every group. Raises on an unknown
 * group or option and on a closed handle. */
static int ns_monitor(lua_State *L)
{
	lua_Integer rcvbuf = MON_RCVBUF;
	vn_mon opts, *m;
	vn_checkns(L, 1);
	memset(&opts, 0, sizeof opts);
	read_opts(L, 2, &opts, &rcvbuf);
	if (!opts.gmask) {
		const struct mon_group *p;
		for (p = groups; p->name; p++)
			opts.gmask |= (1ull << (p->g1 - 1)) | (p->g2 ? 1ull << (p->g2 - 1) : 0);
	}
	return mon_open(L, 1, opts.gmask, (int)rcvbuf, &m);
}

/* ---- events ------------------------------------------------------------ */
/* The kind of an event message (and *type: 1 new, 0 del), or -1 for one
 * that is not delivered. */
static int msg_kind(const vn_mon *m, const struct nlmsghdr *h, int *isnew)
{
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	const unsigned char *p = (const unsigned char *)NLMSG_DATA(h);
	int k = -1;
	*isnew = 1;
	switch (h->nlmsg_type) {
	case RTM_DELLINK: *isnew = 0; /* fall through */
	case RTM_NEWLINK:
		/* bridge port messages (family AF_BRIDGE) are no links of a dump */
		if (plen >= sizeof(struct ifinfomsg) &&
		    ((const struct ifinfomsg *)p)->ifi_family == AF_UNSPEC)
			k = K_LINK;
		break;
	case RTM_DELADDR: *isnew = 0; /* fall through */
	case RTM_NEWADDR:
		if (plen >= sizeof(struct ifaddrmsg) &&
		    (p[0] == AF_INET || p[0] == AF_INET6))
			k = K_ADDR;
		break;
	case RTM_DELROUTE: *isnew = 0; /* fall through */
	case RTM_NEWROUTE:
		if (plen >= sizeof(struct rtmsg) && (p[0] == AF_INET || p[0] == AF_INET6) &&
		    !(((const struct rtmsg *)p)->rtm_flags & RTM_F_CLONED))
			k = K_ROUTE;
		break;
	case RTM_DELNEIGH: *isnew = 0; /* fall through */
	case RTM_NEWNEIGH:
		if (plen >= sizeof(struct ndmsg) && (p[0] == AF_INET || p[0] == AF_INET6))
			k = K_NEIGH;
		break;
	case RTM_DELRULE: *isnew = 0; /* fall through */
	case RTM_NEWRULE:
		if (plen >= sizeof(struct fib_rule_hdr) && (p[0] == AF_INET || p[0] == AF_INET6))
			k = K_RULE;
		break;
	case RTM_DELNEXTHOP: *isnew = 0; /* fall through */
	case RTM_NEWNEXTHOP:
		if (plen >= sizeof(struct nhmsg))
			k = K_NEXTHOP;
		break;
	default:
		break;
	}
	return k >= 0 && (m->kinds >> k & 1u) ? k : -1;
}

/* Pushes the object of message h of kind k, bound to the handle at nsidx.
 * Returns 0, 1 for a message libnl cannot read (nothing pushed: it is
 * skipped) or -ENOMEM (nothing pushed). */
static int push_object(lua_State *L, int k, struct nlmsghdr *h, int nsidx)
{
	const void *p = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	struct rtnl_neigh *n = NULL;
	int r = 0;
	switch (k) {
	case K_LINK: lk_push(L, p, len, nsidx); return 0;
	case K_ADDR: vn_msgbox_push(L, "vnet.addr", p, len, nsidx); return 0;
	case K_ROUTE: vn_msgbox_push(L, "vnet.route", p, len, nsidx); return 0;
	case K_RULE: vn_msgbox_push(L, "vnet.rule", p, len, nsidx); return 0;
	case K_NEXTHOP: vn_msgbox_push(L, "vnet.nexthop", p, len, nsidx); return 0;
	default:
		/* the box first, then the library object it owns */
		vn_box_push(L, NULL, "vnet.neigh", nsidx);
		if ((r = rtnl_neigh_parse(h, &n)) < 0 || !n) {
			lua_pop(L, 1);
			return r == -NLE_NOMEM ? -ENOMEM : 1;
		}
		((vn_box *)lua_touserdata(L, -1))->o = (struct nl_object *)n;
		return 0;
	}
}

/* What one attempt to take an event gives. */
enum { EV_NONE, EV_PUSHED, EV_FAILED };

/* Takes the next event of the monitor m at stack index midx without
 * blocking: pushes the event (EV_PUSHED), a failure triple (EV_FAILED), or
 * nothing when none is queued (EV_NONE). */
/* Pushes nil, "<fn>: <strerror(no)> (<note>)", errname; returns EV_FAILED. */
static int mon_note(lua_State *L, const char *fn, int no, const char *note)
{
	vn_err e;
	vn_err_set(&e, no, NULL);
	snprintf(e.msg, sizeof e.msg, VN_NOTE "%s", note);
	vn_push_err(L, fn, &e, NULL);
	return EV_FAILED;
}

static int next_event(lua_State *L, vn_mon *m, int midx, const char *fn)
{
	if (m->pid != (int)getpid()) {
		/* after fork() both processes hold the one socket, and each
		 * event would go to whichever reads first */
		char note[160];
		snprintf(note, sizeof note, "the monitor was opened in process %d and is "
			 "used after a fork in process %d; open a monitor in this process",
			 m->pid, (int)getpid());
		return mon_note(L, fn, EBADF, note);
	}
	for (;;) {
		ssize_t n;
		if (m->overrun) {
			lua_createtable(L, 0, 1);
			lua_pushliteral(L, "overrun");
			lua_setfield(L, -2, "type");
			m->overrun = 0;
			return EV_PUSHED;
		}
		while (m->off + NLMSG_HDRLEN <= m->len) {
			struct nlmsghdr *h = (struct nlmsghdr *)(m->buf + m->off);
			size_t room = m->len - m->off;
			int k, isnew, top, r;
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > room) {
				m->off = m->len;
				break;
			}
			k = msg_kind(m, h, &isnew);
			if (k < 0) {
				m->off += NLMSG_ALIGN(h->nlmsg_len);
				continue;
			}
			/* the message is taken once its event is whole: a raise
			 * (out of memory) leaves it for the next read */
			top = lua_gettop(L);
			lua_createtable(L, 0, 3);
			lua_pushstring(L, isnew ? "new" : "del");
			lua_setfield(L, -2, "type");
			lua_pushstring(L, kind_names[k]);
			lua_setfield(L, -2, "kind");
			(void)vn_box_ns_open(L, midx);  /* the handle, open or not */
			if ((r = push_object(L, k, h, -1)) != 0) {
				lua_settop(L, top);
				if (r < 0)
					return vn_fail(L, fn, ENOMEM, NULL), EV_FAILED;
				m->off += NLMSG_ALIGN(h->nlmsg_len);
				continue;
			}
			lua_remove(L, -2);             /* ev, object */
			lua_setfield(L, -2, "object");
			m->off += NLMSG_ALIGN(h->nlmsg_len);
			return EV_PUSHED;
		}
		m->off = m->len = 0;
		n = recv(m->fd, m->buf, m->cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN || e == EWOULDBLOCK)
				return EV_NONE;
			if (e == ENOBUFS) {
				m->overrun = 1;
				continue;
			}
			vn_fail(L, fn, e, NULL);
			return EV_FAILED;
		}
		if ((size_t)n > m->cap) {
			/* a datagram larger than the buffer is lost: the caller
			 * must resync, as after an overrun; the next one fits */
			unsigned char *b = (unsigned char *)realloc(m->buf, (size_t)n);
			if (b) {
				m->buf = b;
				m->cap = (size_t)n;
			}
			m->overrun = 1;
			continue;
		}
		m->len = (size_t)n;
	}
}

/*** The next event queued, without waiting.
 * @function monitor:read
 * @return an event, or nil at once when none is queued
 */
/* mon:read() -> the next event queued, or nothing when none is: never
 * blocks. A socket failure returns nil, msg, errname. */
static int mon_read(lua_State *L)
{
	vn_mon *m = mon_check(L, 1);
	lua_settop(L, 1);
	switch (next_event(L, m, 1, "read")) {
	case EV_PUSHED: return 1;
	case EV_FAILED: return 3;
	default: return 0;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to t seconds for the next event of the monitor m at stack
 * index midx; EV_NONE on timeout. */
static int wait_event(lua_State *L, vn_mon *m, int midx, double t, const char *fn)
{
	double end = now() + t;
	for (;;) {
		struct pollfd pfd;
		double left;
		int r, ms;
		r = next_event(L, m, midx, fn);
		if (r != EV_NONE)
			return r;
		left = end - now();
		if (left <= 0)
			return EV_NONE;
		ms = (int)ceil(left * 1000.0);
		pfd.fd = m->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms);
		if (r < 0) {
			int e = errno;
			/* a signal ends the wait, so that a host (nginx stopping a
			 * worker) is never held up */
			if (e == EINTR)
				return mon_note(L, fn, EINTR, "a signal came while waiting for an event");
			vn_fail(L, fn, e, NULL);
			return EV_FAILED;
		}
		/* ready or timed out: the next turn reads, then sees the time
		 * left */
	}
}

/*** Waits for the next event (a signal ends the wait: `nil, msg, "EINTR"`).
 * @function monitor:wait
 * @number[opt=5] timeout seconds, 0 to 2^31/1000
 * @return an event, or `nil, "timeout", "ETIMEDOUT"`
 */
/* mon:wait([timeout]) -> the next event | nil, "timeout", "ETIMEDOUT" when
 * none comes within timeout seconds (default 5) | nil, msg, errname. */
static int mon_wait(lua_State *L)
{
	vn_mon *m = mon_check(L, 1);
	double t = vn_check_timeout(L, 2, "wait", MON_DEFAULT_WAIT);
	lua_settop(L, 1);
	switch (wait_event(L, m, 1, t, "wait")) {
	case EV_PUSHED: return 1;
	case EV_FAILED: return 3;
	default:
		lua_pushnil(L);
		lua_pushliteral(L, "timeout");
		lua_pushliteral(L, "ETIMEDOUT");
		return 3;
	}
}

/* the iterator of mon:events(): upvalue 1 the monitor, 2 the timeout */
static int events_next(lua_State *L)
{
	vn_mon *m;
	int r;
	lua_settop(L, 0);
	lua_pushvalue(L, lua_upvalueindex(1));
	m = mon_check(L, 1);
	r = wait_event(L, m, 1, lua_tonumber(L, lua_upvalueindex(2)), "events");
	if (r == EV_FAILED)
		return luaL_error(L, "events: %s", lua_tostring(L, -2));
	if (r == EV_NONE)
		lua_pushnil(L);
	return 1;
}

/*** Iterates over the events.
 * @function monitor:events
 * @number[opt=0] timeout the iteration ends when nothing comes within it
 *   (0: what is queued now)
 * @return an iterator over events
 */
/* mon:events([timeout]) -> iterator over the events, which ends when none
 * comes within timeout seconds (default 0: the events queued now). */
static int mon_events(lua_State *L)
{
	double t;
	mon_check(L, 1);
	t = vn_check_timeout(L, 2, "events", 0);
	lua_settop(L, 1);
	lua_pushnumber(L, (lua_Number)t);
	lua_pushcclosure(L, events_next, 2);
	return 1;
}

/*** Closes the socket (also `__close` and the collector); again is a no-op.
 * @function monitor:close
 */
/* mon:close(): closes the socket; again is a no-op. */
static int mon_close(lua_State *L)
{
	mon_release((vn_mon *)luaL_checkudata(L, 1, VN_MONITOR));
	return 0;
}

/* Pushes the list of the group names of mask. */
static void push_groups(lua_State *L, uint64_t mask)
{
	const struct mon_group *g;
	int i = 0;
	lua_newtable(L);
	for (g = groups; g->name; g++) {
		uint64_t want = (1ull << (g->g1 - 1)) | (g->g2 ? 1ull << (g->g2 - 1) : 0);
		/* the widest names first: "route" rather than its two halves */
		if ((mask & want) == want) {
			lua_pushstring(L, g->name);
			lua_rawseti(L, -2, ++i);
			mask &= ~want;
		}
	}
}

/*** The fields as a plain table.
 * @function monitor:totable
 * @return `{ fd =, groups = { ... } }`
 */
/* mon:totable() -> { fd =, groups = { ... } } */
static const char *const mon_fields[] = { "fd", "groups", NULL };

static void mon_field(lua_State *L, int i)
{
	vn_mon *m = mon_check(L, 1);
	if (i == 0)
		lua_pushinteger(L, m->fd);
	else
		push_groups(L, m->gmask);
}

static int mon_totable(lua_State *L)
{
	return vn_handle_totable(L, mon_fields, mon_field);
}

static int mon_tostring(lua_State *L)
{
	vn_mon *m = (vn_mon *)luaL_checkudata(L, 1, VN_MONITOR);
	if (!m->live)
		lua_pushliteral(L, "vnet.monitor (closed)");
	else
		lua_pushfstring(L, "vnet.monitor: fd %d", m->fd);
	return 1;
}

/* __index: fields fd and groups (raise once closed), closed; methods */
static int mon_index(lua_State *L)
{
	vn_mon *m = (vn_mon *)luaL_checkudata(L, 1, VN_MONITOR);
	return vn_handle_index(L, m->live, mon_fields, mon_field);
}

/* ---- link:wait, addr:wait ------------------------------------------ */
/* For a wait of t seconds on the box at 1 (options at 2, read): binds its
 * namespace (3, *ns) and opens a monitor of gmask on it (4, *m); raises
 * inside ns:batch. Returns 1, or 3 with the failure triple pushed. */
static int wait_open(lua_State *L, uint64_t gmask, double t, double *end, vn_ns **ns,
		     vn_mon **m)
{
	lua_settop(L, 2);
	*ns = vn_box_ns(L, 1);                      /* box, opts, ns */
	if (vn_deferred(*ns))
		luaL_error(L, "wait: cannot wait inside ns:batch()");
	*end = now() + t;
	return mon_open(L, 3, gmask, MON_RCVBUF, m);   /* box, opts, ns, mon */
}

/* Waits for the next event of the monitor m at midx, until end. Returns 0
 * with the event pushed; else releases m and returns 3 with nil, "timeout",
 * "ETIMEDOUT" or the failure triple pushed. */
static int wait_next(lua_State *L, vn_mon *m, int midx, double end)
{
	double left = end - now();
	int r = wait_event(L, m, midx, left > 0 ? left : 0, "wait");
	if (r == EV_PUSHED)
		return 0;
	mon_release(m);
	if (r == EV_NONE) {
		lua_pushnil(L);
		lua_pushliteral(L, "timeout");
		lua_pushliteral(L, "ETIMEDOUT");
	}
	return 3;
}

/* Whether the link box at idx is in the state asked (-1: any). */
static int link_is(lua_State *L, int idx, int up, int carrier)
{
	int ok = 1;
	if (up >= 0) {
		lua_getfield(L, idx, "up");
		ok = ok && lua_toboolean(L, -1) == up;
		lua_pop(L, 1);
	}
	if (carrier >= 0) {
		lua_getfield(L, idx, "carrier");
		ok = ok && lua_toboolean(L, -1) == carrier;
		lua_pop(L, 1);
	}
	return ok;
}

/* Pushes the failure triple "wait <link>: <strerror>" of errno e. */
static int link_fail(lua_State *L, int e)
{
	vn_link_desc(L, 1);
	return vn_fail(L, lua_pushfstring(L, "wait %s", lua_tostring(L, -1)), e, NULL);
}

/***
 * @section end
 */

/*** Waits until a link is up or down, or has carrier or not, on a monitor
 * of its own (subscribed before the link is read again: no change is
 * missed). One of `up` and `carrier` is required.
 * @function link:wait
 * @tparam table opts `up` (boolean), `carrier` (boolean), `timeout`
 *   (seconds, default 5)
 * @return the link, refreshed, or `nil, "timeout", "ETIMEDOUT"`, or
 *   `nil, message, "ENODEV"` when the link is removed meanwhile
 * @raise inside `ns:batch`
 */
/* link:wait{ up =, carrier =, timeout = } -> the link, refreshed, once it
 * is up (or down) and has (or has not) a carrier | nil, "timeout",
 * "ETIMEDOUT" | nil, msg, errname ("ENODEV" when the link is removed).
 * Waits on a monitor of the link's namespace (subscribed before the link
 * is read again, so no change is missed), timeout in seconds (default 5). */
static int link_wait(lua_State *L)
{
	static const char *const keys[] = { "up", "carrier", "timeout", NULL };
	int ifindex = vn_link_ifindex(L, 1), up = -1, carrier = -1, b, r;
	const int midx = 4;
	vn_ns *ns;
	vn_mon *m;
	double t = MON_DEFAULT_WAIT, end;
	vn_opts_check(L, 2, "wait", keys);
	if (vn_opt_bool(L, 2, "wait", "up", &b))
		up = b;
	if (vn_opt_bool(L, 2, "wait", "carrier", &b))
		carrier = b;
	lua_getfield(L, 2, "timeout");
	t = vn_check_timeout(L, -1, "wait", MON_DEFAULT_WAIT);
	lua_pop(L, 1);
	if (up < 0 && carrier < 0)
		luaL_error(L, "wait: option 'up' or 'carrier' is required");
	if (wait_open(L, 1ull << (RTNLGRP_LINK - 1), t, &end, &ns, &m) != 1)
		return 3;
	for (;;) {
		if ((r = vn_link_refresh(L, 1, ns, ifindex, NULL)) < 0) {
			mon_release(m);
			return link_fail(L, -r);
		}
		if (link_is(L, 1, up, carrier)) {
			mon_release(m);
			lua_settop(L, 1);
			return 1;
		}
		/* the next event of this link (or an overrun) */
		for (;;) {
			int again = 0;
			if (wait_next(L, m, midx, end))
				return 3;
			lua_getfield(L, -1, "object");       /* ..., ev, obj | nil */
			if (lua_isnil(L, -1)) {
				again = 1;                       /* overrun: read it again */
			} else {
				lua_getfield(L, -1, "index");
				again = lua_tointeger(L, -1) == ifindex;
				lua_pop(L, 1);
				lua_getfield(L, -2, "type");
				if (again && !strcmp(lua_tostring(L, -1), "del")) {
					mon_release(m);
					return link_fail(L, ENODEV);
				}
				lua_pop(L, 1);
			}
			lua_settop(L, midx);
			if (again)
				break;
		}
	}
}

/* ---- addr:wait ----------------------------------------------------- */
/*** Waits until duplicate address detection of the address is over (it is
 * no longer `tentative`; an IPv4 address at once), on a monitor of its
 * namespace opened before the address is read again (so no change is
 * missed). A signal ends the wait: `nil, msg, "EINTR"`.
 * @function addr:wait
 * @tparam table opts `dad = "done"` (required: the one condition so far),
 *   `timeout` (seconds, default 5)
 * @return the address, read again; or `nil, message, "EADDRINUSE"` when
 *   DAD found a duplicate (`dadfailed`), `nil, "timeout", "ETIMEDOUT"`,
 *   `nil, message, "EADDRNOTAVAIL"` when the address is removed, or `nil,
 *   message, errname`
 * @raise inside `ns:batch`
 */
/* Pushes the address of device dev, family fam, with the address string and
 * prefix length of the box at aidx, as a dump of the namespace at nsidx has
 * it now (or nil); 1. A failed dump pushes its nil, msg, errname; 3. */
static int addr_now(lua_State *L, int nsidx, int aidx)
{
	int it;
	lua_getfield(L, nsidx, "addrs");
	lua_pushvalue(L, nsidx);
	lua_createtable(L, 0, 2);
	lua_getfield(L, aidx, "dev");
	lua_setfield(L, -2, "dev");
	lua_getfield(L, aidx, "family");
	lua_setfield(L, -2, "family");
	lua_call(L, 2, 3);                    /* iter | nil, msg, errname */
	if (lua_isnil(L, -3))
		return 3;
	lua_pop(L, 2);
	it = lua_gettop(L);
	for (;;) {
		int same;
		lua_pushvalue(L, it);
		lua_call(L, 0, 1);                /* ..., iter, a | nil */
		if (lua_isnil(L, -1))
			break;
		lua_getfield(L, -1, "address");
		lua_getfield(L, aidx, "address");
		lua_getfield(L, -3, "prefixlen");
		lua_getfield(L, aidx, "prefixlen");
		same = lua_rawequal(L, -4, -3) && lua_rawequal(L, -2, -1);
		lua_pop(L, 4);
		if (same)
			break;
		lua_pop(L, 1);
	}
	lua_remove(L, it);
	return 1;
}

/* Whether the address box at idx has the flag named f. */
static int addr_flag(lua_State *L, int idx, const char *f)
{
	int on;
	lua_getfield(L, idx, "flags");
	lua_getfield(L, -1, f);
	on = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return on;
}

/* addr:wait{ dad = "done", timeout = } -> the address, read again, once
 * duplicate address detection is over (no longer "tentative"; an IPv4
 * address at once) | nil, msg, "EADDRINUSE" when DAD found a duplicate
 * ("dadfailed") | nil, "timeout", "ETIMEDOUT" | nil, msg, "EADDRNOTAVAIL"
 * when the address is removed | nil, msg, errname. Waits on a monitor of
 * the address's namespace (subscribed before the address is read again, so
 * no change is missed), timeout in seconds (default 5). */
static int addr_wait(lua_State *L)
{
	static const char *const keys[] = { "dad", "timeout", NULL };
	const int nsidx = 3, midx = 4;
	int aidx, ipv6;
	const char *dad;
	double t, end;
	vn_ns *ns;
	vn_mon *m;
	luaL_checkudata(L, 1, VN_ADDR);
	luaL_checktype(L, 2, LUA_TTABLE);
	vn_opts_check(L, 2, "wait", keys);
	lua_getfield(L, 2, "dad");
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "wait: option 'dad' is required: \"done\"");
	dad = lua_tostring(L, -1);
	if (strcmp(dad, "done") != 0 || strlen(dad) != lua_rawlen(L, -1))
		luaL_error(L, "wait: option 'dad' must be \"done\", got '%s'", dad);
	lua_getfield(L, 2, "timeout");
	t = vn_check_timeout(L, -1, "wait", MON_DEFAULT_WAIT);
	lua_getfield(L, 1, "family");
	ipv6 = lua_isstring(L, -1) && !strcmp(lua_tostring(L, -1), "inet6");
	if (wait_open(L, 1ull << ((ipv6 ? RTNLGRP_IPV6_IFADDR : RTNLGRP_IPV4_IFADDR) - 1), t,
		      &end, &ns, &m) != 1)
		return 3;
	for (;;) {
		if (addr_now(L, nsidx, 1) == 3) {
			mon_release(m);
			return 3;
		}
		aidx = lua_gettop(L);
		if (lua_isnil(L, aidx) || addr_flag(L, aidx, "dadfailed")) {
			int gone = lua_isnil(L, aidx);
			mon_release(m);
			lua_getfield(L, 1, "cidr");
			return vn_fail(L, lua_pushfstring(L, "wait %s: %s", lua_tostring(L, -1),
				       gone ? "the address was removed" :
				       "duplicate address detected (dadfailed)"),
				       gone ? EADDRNOTAVAIL : EADDRINUSE, NULL);
		}
		if (!addr_flag(L, aidx, "tentative")) {
			mon_release(m);
			return 1;
		}
		lua_settop(L, midx);
		/* any change of the family's addresses: read again */
		if (wait_next(L, m, midx, end))
			return 3;
		lua_settop(L, midx);
	}
}

static const luaL_Reg addr_methods[] = {
	{ "wait", addr_wait }, { NULL, NULL }
};

static const luaL_Reg link_methods[] = {
	{ "wait", link_wait }, { NULL, NULL }
};

static const luaL_Reg mon_methods[] = {
	{ "read", mon_read }, { "wait", mon_wait }, { "events", mon_events },
	{ "close", mon_close }, { "totable", mon_totable }, { NULL, NULL }
};

static const luaL_Reg ns_methods[] = {
	{ "monitor", ns_monitor }, { NULL, NULL }
};

void vn_open_monitor(lua_State *L)
{
	vn_class_new(L, VN_MONITOR, mon_methods, mon_index, mon_close, mon_close,
		     mon_tostring);
	lua_pop(L, 1);
	vn_netns_methods(L, ns_methods);
	vn_type_methods(L, VN_LINK, link_methods);
	vn_type_methods(L, VN_ADDR, addr_methods);
}
