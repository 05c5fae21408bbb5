/*
 * tc.h - traffic control (`tc qdisc`, `tc class`, `tc filter`) shared by
 * tc.c (the objects, requests and dumps), tc_kinds.c (one row per qdisc
 * and class kind) and tc_filter.c (filter kinds and their actions).
 *
 * Every tc object is the kernel's message (struct tcmsg, then attributes)
 * held in a vn_msgbox, decoded on access. Requests are written by hand
 * into a tc_buf, a buffer owned by a Lua userdata (nothing leaks if a
 * parser raises), and sent through sock.c's request path.
 */
#ifndef VNET_TC_H
#define VNET_TC_H

#include <stdint.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/pkt_cls.h>
#include "util.h"
#include "msg.h"

#define VN_QDISC "vnet.qdisc"
#define VN_CLASS "vnet.class"
#define VN_FILTER "vnet.filter"

/* ---- message buffer ------------------------------------------------------ */
typedef struct tc_buf {
	size_t cap;             /* bytes at h */
	const char *fn;         /* the calling function, for errors */
	int err;                /* errno a parser met (ENODEV: a named device
				 * that is not there), reported as a failure */
	char what[96];          /* ... and what it was */
	union {
		struct nlmsghdr h;
		uint64_t align_;
	} u;
} tc_buf;
#define TC_HDR(b) (&(b)->u.h)
#define TC_TCM(b) ((struct tcmsg *)NLMSG_DATA(TC_HDR(b)))

#define TC_BUFSZ 4096
/* A buffer of TC_BUFSZ bytes for a message, kept on the C stack of a call
 * (parsers may raise: it owns nothing). */
typedef struct tc_stackbuf {
	tc_buf b;
	unsigned char room[TC_BUFSZ];
} tc_stackbuf;
tc_buf *tc_buf_init(tc_stackbuf *sb, const char *fn, int type, int flags);
/* Pushes a userdata buffer with room for extra bytes of attributes past
 * the usual 4 KiB, holding a message of type with flags and an empty tcmsg. */
tc_buf *tc_buf_new(lua_State *L, const char *fn, int type, int flags, size_t extra);
/* Appends an attribute (raises "<fn>: options too large" past the room). */
struct rtattr *tc_put(lua_State *L, tc_buf *b, int type, const void *data, size_t len);
void tc_put_u32(lua_State *L, tc_buf *b, int type, uint32_t v);
void tc_put_str(lua_State *L, tc_buf *b, int type, const char *s);
/* Opens a nested attribute; tc_nest_end closes it (its offset from h). */
size_t tc_nest(lua_State *L, tc_buf *b, int type);
void tc_nest_end(tc_buf *b, size_t off);

/* ---- units (as tc spells them) ------------------------------------------- */
/* Each reads option key of the table at idx: 1 with *out set, 0 when
 * absent; raises naming the option for a bad value or unit.
 * A rate: "10mbit", "1.5gbit", "100kbps" (bytes), or bits per second. */
int tc_opt_rate(lua_State *L, int idx, const char *fn, const char *key, uint64_t *bps);
/* A size: "32kb", "1500", "1mb", "10kbit", or bytes (max bytes at most). */
int tc_opt_size(lua_State *L, int idx, const char *fn, const char *key, uint64_t max,
		uint64_t *bytes);
/* A time: "10ms", "100us", "1.5s", "500ns", or seconds (a number); *ns in
 * nanoseconds, at most max. */
int tc_opt_time(lua_State *L, int idx, const char *fn, const char *key, int64_t max,
		int64_t *ns);
/* A probability: "1%", "0.5%", or a number of percent (0..100); *out as
 * the kernel scales it (0..2^32-1). */
int tc_opt_percent(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out);
/* The same parsers for the value at stack index sidx (what names it). */
uint64_t tc_check_rate(lua_State *L, int sidx, const char *fn, const char *what);
int64_t tc_check_time(lua_State *L, int sidx, const char *fn, const char *what, int64_t max);
uint32_t tc_check_percent(lua_State *L, int sidx, const char *fn, const char *what);
uint64_t tc_check_size(lua_State *L, int sidx, const char *fn, const char *what, uint64_t max);
/* Pushes a kernel-scaled probability as percent (rounded to 1e-6). */
void tc_push_percent(lua_State *L, uint32_t v);
/* Pushes nanoseconds as seconds. */
void tc_push_ns(lua_State *L, int64_t ns);

/* psched ticks (64 ns each since 2.6.3x; read from /proc/net/psched). */
uint32_t tc_time2tick(int64_t ns);
int64_t tc_tick2ns(uint32_t ticks);
/* The time (ticks) to send size bytes at rate bytes/s, as tc computes it. */
uint32_t tc_xmittime(uint64_t rate, uint64_t size);
/* The bytes sent in ticks at rate bytes/s, as tc computes it. */
uint32_t tc_xmitsize(uint64_t rate, uint32_t ticks);

/* ---- handles --------------------------------------------------------------- */
/* Reads a handle / classid option: "1:", "1:10", ":10", "ffff:", "root",
 * "ingress", "egress", "clsact", "none", or a number (0..2^32-1). egress
 * is clsact's egress hook (ffff:fff3); ingress is ffff:fff1 for a qdisc
 * parent (parent_of_qdisc) and ffff:fff2 (clsact's ingress hook, which the
 * ingress qdisc takes too) otherwise. */
int tc_opt_handle(lua_State *L, int idx, const char *fn, const char *key,
		  int parent_of_qdisc, uint32_t *out);
/* Pushes a handle as tc prints it ("1:", "1:10", "root", "ingress"...). */
void tc_push_handle(lua_State *L, uint32_t h, int is_parent);

/* ---- kinds ------------------------------------------------------------------ */
/* One row per qdisc or class kind: parse writes TCA_OPTIONS (and what else
 * the kind needs) into b from the table at idx; push sets the kind's
 * options, read from the message's TCA_OPTIONS (may be NULL), in the table
 * at the top of the stack. */
typedef struct tc_kind {
	const char *name;
	const char *const *keys;       /* the kind's own option keys */
	void (*parse)(lua_State *L, int idx, tc_buf *b);
	void (*push)(lua_State *L, const struct rtattr *opts);
	const char *const *class_keys; /* classes of this kind (NULL: none) */
	void (*class_parse)(lua_State *L, int idx, tc_buf *b);
	void (*class_push)(lua_State *L, const struct rtattr *opts);
	/* the words tostring adds (NULL: none): options pushed at top */
	void (*words)(lua_State *L, luaL_Buffer *buf, int opts_idx);
} tc_kind;

/* The qdisc kinds (NULL-ended). */
extern const tc_kind *const tc_kinds[];

/* tc_filter.c: filter kinds and actions. */
typedef struct tc_fkind {
	const char *name;
	const char *const *keys;
	/* writes TCA_OPTIONS; may push values (none kept past the call) */
	void (*parse)(lua_State *L, int idx, vn_ns *ns, tc_buf *b);
	void (*push)(lua_State *L, const struct rtattr *opts, uint32_t handle);
} tc_fkind;
/* The filter kinds (NULL-ended). */
extern const tc_fkind *const tc_fkinds[];
/* Writes the actions of option key (one action table or a list) as
 * TCA_*_ACT nested attribute type. */
void tc_parse_actions(lua_State *L, int idx, vn_ns *ns, tc_buf *b, const char *key,
		      int type);
/* Pushes the list of actions in the nested attribute a. */
void tc_push_actions(lua_State *L, const struct rtattr *a);
/* Names of the action kinds vnet writes (NULL-ended). */
extern const char *const tc_action_names[];

/* tc.c: Pushes a device name for ifindex in ns (or its number). */
void tc_push_devname(lua_State *L, vn_ns *ns, int ifindex);

void vn_open_tc(lua_State *L);
/* vnet.core.tc_kinds() -> { qdisc = {...}, filter = {...}, action = {...} }:
 * the kinds this build writes. */
int vn_tc_kinds(lua_State *L);

#endif
