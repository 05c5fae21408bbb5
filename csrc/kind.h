/*
 * kind.h - the link kind row engine's interface to the files that describe
 * kinds (kind_l2.c, kind_tunnel.c) and bridge/bond ports (kind_port.c).
 *
 * A kind is described by a table of its IFLA_INFO_DATA attributes (kattr:
 * option name <-> attribute, with its wire format, range and names), read
 * by the engine's one parser and one info reader (kind.c), plus a small
 * hook for what does not fit a single attribute. The attributes are
 * written with libnl's public nla_* API into a message the request owns
 * (vn_kreq), and read back from the link's own message (its IFLA_LINKINFO,
 * walked with msg.h's walker): vnet never touches libnl's handlers of link
 * kinds, so nothing depends on load order and a host that uses libnl
 * itself sees no change.
 */
#ifndef VNET_KIND_H
#define VNET_KIND_H

#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "link.h"

typedef struct sym { const char *name; uint32_t v; } sym;

enum {
	T_U8 = 1, T_U16, T_U32, T_BE16, T_BE32, /* numbers (syms: extra names) */
	T_BOOL, T_BOOL32,                        /* u8 / u32 holding 0 or 1 */
	T_FLAG,                                  /* present or absent */
	T_ENUM8, T_ENUM16, T_ENUM32, T_ENUMBE16, /* one of syms */
	T_IN4, T_IN6, T_INX,                     /* address (T_INX: type or type6) */
	T_LINK,                                  /* a link (u32 ifindex) */
	T_TABLE,                                 /* a routing table (u32) */
	T_BIT16, T_BIT32,                        /* one bit (max) of a u16/u32 */
	T_HOOK                                   /* read by the kind's hook */
};

#define KA_REQ   1u  /* required when adding */
#define KA_FIXED 2u  /* cannot be changed once made */
#define KA_RO    4u  /* read back only, not an option */

typedef struct kattr {
	const char *key;
	int type, type6;
	int fmt;
	unsigned flags;
	long long min, max;
	const sym *syms;
} kattr;

/* The rows most kinds' tables have: a u8 boolean, a u16 or u32 of the whole
 * range, a u32 the kernel keeps as an int (0..2^31-1), a link, one of the
 * words of syms (fmt: T_ENUM8...), a value only read back, an option the
 * kind's hook reads, the end of a table. */
#define KBOOL(key, type) { key, type, 0, T_BOOL, 0, 0, 0, NULL }
#define KU16(key, type) { key, type, 0, T_U16, 0, 0, 65535, NULL }
#define KU32(key, type) { key, type, 0, T_U32, 0, 0, 0xffffffffLL, NULL }
#define KINT(key, type) { key, type, 0, T_U32, 0, 0, 0x7fffffff, NULL }
#define KLINK(key, type) { key, type, 0, T_LINK, 0, 0, 0, NULL }
#define KENUM(key, type, fmt, syms) { key, type, 0, fmt, 0, 0, 0, syms }
#define KRO(key, type, fmt) { key, type, 0, fmt, KA_RO, 0, 0, NULL }
#define KHOOK(key) { key, 0, 0, T_HOOK, 0, 0, 0, NULL }
#define KEND { NULL, 0, 0, 0, 0, 0, 0, NULL }

/* The highest attribute type any kind's table indexes. */
#define TB_MAX 80
typedef const struct nlattr *ktb[TB_MAX + 1];

/* What a hook gets: the options table, where the attributes go, and the
 * current attributes (NULL when adding). */
typedef struct kctx {
	lua_State *L;
	int idx;
	vn_ns *ns;
	struct nl_msg *out;      /* the IFLA_INFO_DATA (or port) attributes */
	const char *kname;       /* for messages: "vlan link", "bridge port"... */
	const char *fn;
	const struct nlattr **cur; /* current data when changing, else NULL */
	const char **what;
} kctx;

#define KS_PARENT  1u  /* needs a parent link */
#define KS_REPLACE 4u  /* a change replaces every setting (IP tunnels): send
			* the current ones along with the new */

struct vn_kspec {
	const kattr *attrs;
	int (*parse)(kctx *c);
	void (*info)(lua_State *L, const struct nlattr **tb);
	unsigned flags;
	/* the options (besides name, kind and a parent) a minimal link of the
	 * kind takes, "key=value ..." (vnet.supports probes with them) */
	const char *probe;
};

/* ---- writing (the engine, kind.c) -------------------------------------- */
/* Appends one attribute to c->out; raises "<fn>: out of memory". */
void kput(kctx *c, int type, const void *v, size_t n);
void kput_u8(kctx *c, int t, uint8_t v);
void kput_u16(kctx *c, int t, uint16_t v);
void kput_u32(kctx *c, int t, uint32_t v);
/* Whether option key of the options table is given (not nil). */
int has_opt(lua_State *L, int idx, const char *key);
/* Reads option a->key: an integer in [a->min, a->max] or one of the words
 * of a->syms. 1 with *v set, 0 when absent; raises naming it otherwise. */
int kopt_num(kctx *c, const kattr *a, uint32_t *v);
/* The current value of a u8..u32 attribute (0 when adding or absent). */
uint32_t cur_u32(kctx *c, int type, int size);
/* Reads every option of the attribute table attrs into c->out. 0 or -errno
 * (a link option naming no link: *c->what set). */
int kparse_attrs(kctx *c, const kattr *attrs);

/* ---- reading ----------------------------------------------------------- */
/* A number attribute of size 1, 2 or 4 (0 when short). */
uint32_t get_num(const struct nlattr *a, int size);
void setbool(lua_State *L, const char *k, int v);
/* Whether every byte of a's payload is 0. */
int kd_all_zero(const struct nlattr *a);
/* Indexes the attributes inside a nested attribute (NULL: none) by type. */
void kd_index(const struct nlattr *nest, const struct nlattr **tb);
/* Sets the fields of the attribute table attrs in the table at -1. */
void kinfo_attrs(lua_State *L, const kattr *attrs, const struct nlattr **tb);
/* The IFLA_LINKINFO nested attribute of type t of a link message (its
 * payload m, len bytes), or NULL. */
const struct nlattr *kd_linkinfo(const void *m, size_t len, int t);

/* The end of a change of the link box at 1 (ifindex): inside a batch
 * pushes true; else reads the link again and leaves it, or pushes the
 * failure ("<fn> <name>: reading it back"). Returns the count pushed. */
int kd_changed(lua_State *L, vn_ns *ns, int ifindex, const char *fn, const char *name);

/* ---- the rows ---------------------------------------------------------- */
/* The table kinds' parse and info functions (the row engine's). */
int kind_parse(lua_State *L, int idx, vn_ns *ns, vn_kreq *req, const char *fn,
	       const char **what);
void kind_info(lua_State *L, const vn_kind *k, const void *m, size_t len);
#define KROW(name, spec) { name, kind_parse, kind_info, NULL, &spec }

/* kind_l2.c and kind_tunnel.c: their rows, each list ending with a NULL name. */
extern const vn_kind vn_kinds_l2[];
extern const vn_kind vn_kinds_tunnel[];
/* kind_tunnel.c: the modes of `ip tunnel` (tunnel_add), NULL-ended. */
typedef struct vn_tmode {
	const char *mode, *kind;
	const char *opts;        /* fixed options, "key=value ..." or NULL */
} vn_tmode;
extern const vn_tmode vn_tunnel_modes[];

/* kind_port.c: link:port() and link:set_port() (methods of vnet.link) */
int vn_link_port(lua_State *L);
int vn_link_set_port(lua_State *L);

#endif
