/*
 * link_kinds.c - one row per link kind: option parser and info reader.
 *
 * Most kinds are described by a table of their IFLA_INFO_DATA attributes
 * (struct kattr: option name <-> attribute, with its wire format, range and
 * names), read by one generic parser and one generic info pusher; what does
 * not fit a single attribute (vlan flags, GRE keys and flags, vxlan remote
 * versus group, IPv6 tunnel encap limit and flow info, macsec SCI...) is a
 * small per-kind hook run after the table.
 *
 * libnl 3.7 has no support for several of these kinds (bridge options,
 * erspan, ip6gretap, nlmon, tun) and only partial support for others (bond
 * has no setters; no read-back of many attributes). So every kind with a
 * table gets the same link info operations of our own: they keep the raw
 * IFLA_INFO_DATA of each link object beside it (a table keyed by the
 * object), put it back into requests, and let the table decode it. These
 * operations replace libnl's for those kind names while this module is
 * loaded (and libnl's are put back when it is unloaded); veth, dummy and
 * ifb keep libnl's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/list.h>
#include <netlink/route/link/veth.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/if_macsec.h>
#include <linux/if_tun.h>
#include <linux/if_vlan.h>
#include <linux/ip6_tunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "link.h"

/* ---- libnl's link info operations (struct from libnl's private header,
 * unchanged in layout from 3.2 to 3.11) -------------------------------- */
struct rtnl_link_info_ops;
extern struct rtnl_link_info_ops *rtnl_link_info_ops_lookup(const char *);
extern void rtnl_link_info_ops_put(struct rtnl_link_info_ops *);
extern int rtnl_link_register_info(struct rtnl_link_info_ops *);
extern int rtnl_link_unregister_info(struct rtnl_link_info_ops *);

typedef struct info_ops {
	char *io_name;
	int io_refcnt;
	int (*io_alloc)(struct rtnl_link *);
	int (*io_parse)(struct rtnl_link *, struct nlattr *, struct nlattr *);
	void (*io_dump[NL_DUMP_MAX + 1])(struct rtnl_link *, struct nl_dump_params *);
	int (*io_clone)(struct rtnl_link *, struct rtnl_link *);
	int (*io_put_attrs)(struct nl_msg *, struct rtnl_link *);
	void (*io_free)(struct rtnl_link *);
	int (*io_compare)(struct rtnl_link *, struct rtnl_link *, int);
	struct nl_list_head io_list;
} info_ops;

/* ---- raw IFLA_INFO_DATA kept beside each link object ------------------ */
typedef struct kdata {
	struct kdata *next;
	const struct rtnl_link *link;
	unsigned char *buf;      /* the attributes inside IFLA_INFO_DATA */
	size_t len, cap;
} kdata;

#define KD_BUCKETS 512
static kdata *kd_tab[KD_BUCKETS];
static pthread_mutex_t kd_lock = PTHREAD_MUTEX_INITIALIZER;

static kdata **kd_slot(const struct rtnl_link *l)
{
	uintptr_t h = (uintptr_t)l;
	kdata **p = &kd_tab[((h >> 4) ^ (h >> 13)) % KD_BUCKETS];
	while (*p && (*p)->link != l)
		p = &(*p)->next;
	return p;
}

/* Under kd_lock: the entry of l, made if missing (NULL when out of memory). */
static kdata *kd_get(const struct rtnl_link *l)
{
	kdata **p = kd_slot(l);
	if (!*p && (*p = (kdata *)calloc(1, sizeof **p)))
		(*p)->link = l;
	return *p;
}

static int kd_reserve(kdata *e, size_t more)
{
	if (e->len + more > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 128;
		unsigned char *b;
		while (cap < e->len + more)
			cap *= 2;
		if (!(b = (unsigned char *)realloc(e->buf, cap)))
			return -ENOMEM;
		e->buf = b;
		e->cap = cap;
	}
	return 0;
}

static int io_alloc(struct rtnl_link *l)
{
	kdata *e;
	pthread_mutex_lock(&kd_lock);
	if ((e = kd_get(l)))
		e->len = 0;
	pthread_mutex_unlock(&kd_lock);
	return e ? 0 : -NLE_NOMEM;
}

static int io_parse(struct rtnl_link *l, struct nlattr *data, struct nlattr *xstats)
{
	kdata *e;
	int r = -NLE_NOMEM;
	(void)xstats;
	pthread_mutex_lock(&kd_lock);
	if ((e = kd_get(l))) {
		size_t n = data ? (size_t)nla_len(data) : 0;
		e->len = 0;
		if (kd_reserve(e, n) == 0) {
			if (n)
				memcpy(e->buf, nla_data(data), n);
			e->len = n;
			r = 0;
		}
	}
	pthread_mutex_unlock(&kd_lock);
	return r;
}

static int io_clone(struct rtnl_link *dst, struct rtnl_link *src)
{
	kdata *s, *d;
	int r = 0;
	pthread_mutex_lock(&kd_lock);
	s = *kd_slot(src);
	if (s) {
		r = -NLE_NOMEM;
		if ((d = kd_get(dst))) {
			d->len = 0;
			if (kd_reserve(d, s->len) == 0) {
				if (s->len)
					memcpy(d->buf, s->buf, s->len);
				d->len = s->len;
				r = 0;
			}
		}
	}
	pthread_mutex_unlock(&kd_lock);
	return r;
}

static int io_put_attrs(struct nl_msg *msg, struct rtnl_link *l)
{
	kdata *e;
	int r = 0;
	pthread_mutex_lock(&kd_lock);
	e = *kd_slot(l);
	if (e && e->len)
		r = nla_put(msg, IFLA_INFO_DATA | NLA_F_NESTED, (int)e->len, e->buf);
	pthread_mutex_unlock(&kd_lock);
	return r < 0 ? -NLE_MSGSIZE : 0;
}

static void io_free(struct rtnl_link *l)
{
	kdata **p, *e;
	pthread_mutex_lock(&kd_lock);
	p = kd_slot(l);
	e = *p;
	if (e)
		*p = e->next;
	pthread_mutex_unlock(&kd_lock);
	if (e) {
		free(e->buf);
		free(e);
	}
}

static int io_compare(struct rtnl_link *a, struct rtnl_link *b, int flags)
{
	kdata *x, *y;
	int d;
	(void)flags;
	pthread_mutex_lock(&kd_lock);
	x = *kd_slot(a);
	y = *kd_slot(b);
	d = !x || !y ? x != y :
	    x->len != y->len || (x->len && memcmp(x->buf, y->buf, x->len));
	pthread_mutex_unlock(&kd_lock);
	return d;
}

/* Appends one attribute to the data of l. 0 or -ENOMEM. */
static int kd_put(struct rtnl_link *l, int type, const void *v, size_t n)
{
	kdata *e;
	int r = -ENOMEM;
	size_t total = NLA_ALIGN(NLA_HDRLEN + n);
	pthread_mutex_lock(&kd_lock);
	if ((e = kd_get(l)) && kd_reserve(e, total) == 0) {
		struct nlattr *a = (struct nlattr *)(e->buf + e->len);
		a->nla_len = (uint16_t)(NLA_HDRLEN + n);
		a->nla_type = (uint16_t)type;
		if (n)
			memcpy((char *)a + NLA_HDRLEN, v, n);
		memset((char *)a + NLA_HDRLEN + n, 0, total - NLA_HDRLEN - n);
		e->len += total;
		r = 0;
	}
	pthread_mutex_unlock(&kd_lock);
	return r;
}

static size_t kd_len(const struct rtnl_link *l)
{
	kdata *e;
	size_t n;
	pthread_mutex_lock(&kd_lock);
	e = *kd_slot(l);
	n = e ? e->len : 0;
	pthread_mutex_unlock(&kd_lock);
	return n;
}

#define TB_MAX 80

/* Copies the data of l into a userdata left on the stack and indexes its
 * attributes in tb (pointing into that copy). Returns 1 if l has data. */
static int kd_snapshot(lua_State *L, struct rtnl_link *l, struct nlattr **tb)
{
	kdata *e;
	size_t n;
	void *copy;
	memset(tb, 0, (TB_MAX + 1) * sizeof *tb);
	for (;;) {
		pthread_mutex_lock(&kd_lock);
		e = *kd_slot(l);
		n = e ? e->len : 0;
		pthread_mutex_unlock(&kd_lock);
		copy = lua_newuserdata(L, n ? n : 1);     /* may raise: no lock held */
		pthread_mutex_lock(&kd_lock);
		e = *kd_slot(l);
		if (!e || e->len == n) {
			if (e && n)
				memcpy(copy, e->buf, n);
			pthread_mutex_unlock(&kd_lock);
			break;
		}
		pthread_mutex_unlock(&kd_lock);
		lua_pop(L, 1);
	}
	if (!e)
		return 0;
	nla_parse(tb, TB_MAX, (struct nlattr *)copy, (int)n, NULL);
	return 1;
}

/* ---- kind descriptions ------------------------------------------------ */
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

/* What a hook gets: the options table, the link being built, and the
 * current attributes (NULL when adding). */
typedef struct kctx {
	lua_State *L;
	int idx;
	vn_ns *ns;
	struct rtnl_link *l;
	const vn_kind *k;
	const char *kname;       /* for messages: "vlan link", "bridge port"... */
	const char *fn;
	struct nlattr **cur;     /* current data when changing, else NULL */
	const char **what;
} kctx;

#define KS_PARENT  1u  /* needs a parent link */
#define KS_RAW     2u  /* uses our info operations */
#define KS_REPLACE 4u  /* a change replaces every setting (IP tunnels): send
			* the current ones along with the new */

struct vn_kspec {
	const kattr *attrs;
	int (*parse)(kctx *c);
	void (*info)(lua_State *L, struct nlattr **tb);
	unsigned flags;
};

/* ---- option readers ---------------------------------------------------- */
static void kput(kctx *c, int type, const void *v, size_t n)
{
	if (kd_put(c->l, type, v, n) < 0)
		luaL_error(c->L, "%s: out of memory", c->fn);
}
static void kput_u8(kctx *c, int t, uint8_t v) { kput(c, t, &v, 1); }
static void kput_u16(kctx *c, int t, uint16_t v) { kput(c, t, &v, 2); }
static void kput_u32(kctx *c, int t, uint32_t v) { kput(c, t, &v, 4); }

static int has_opt(lua_State *L, int idx, const char *key)
{
	int r;
	lua_getfield(L, idx, key);
	r = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return r;
}

/* Raises "<fn>: option 'key' must be one of 'a', 'b', got 'x'". */
static int bad_sym(lua_State *L, const char *fn, const char *key, const sym *s,
		   const char *prefix)
{
	int n = 0;
	lua_pushfstring(L, "%s: option '%s' must be %s", fn, key, prefix);
	for (; s->name; s++, n++)
		lua_pushfstring(L, "%s'%s'", n ? ", " : "", s->name);
	if (lua_type(L, -n - 2) == LUA_TSTRING || lua_type(L, -n - 2) == LUA_TNUMBER)
		lua_pushfstring(L, ", got '%s'", lua_tostring(L, -n - 2));
	else
		lua_pushfstring(L, ", got %s", luaL_typename(L, -n - 2));
	lua_concat(L, n + 2);
	return lua_error(L);
}

static const char *lnum(lua_State *L, long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", v);
	lua_pushstring(L, buf);
	return lua_tostring(L, -1);
}

/* Reads a number option with a range and optional names for values (e.g.
 * ttl = "inherit"); the value is at the top of the stack. */
static uint32_t num_at(lua_State *L, const char *fn, const kattr *a)
{
	lua_Integer v;
	if (lua_type(L, -1) == LUA_TSTRING && a->syms) {
		const sym *s;
		for (s = a->syms; s->name; s++)
			if (!strcmp(s->name, lua_tostring(L, -1)))
				return s->v;
	}
	if (lua_type(L, -1) != LUA_TNUMBER || !lua_isinteger(L, -1)) {
		if (a->syms) {
			char pre[64];
			snprintf(pre, sizeof pre, "an integer between %lld and %lld or ",
				 a->min, a->max);
			bad_sym(L, fn, a->key, a->syms, pre);
		}
		luaL_error(L, "%s: option '%s' must be an integer, got %s", fn, a->key,
			   lua_type(L, -1) == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
	}
	v = lua_tointeger(L, -1);
	if (v < a->min || v > a->max)
		luaL_error(L, "%s: option '%s' must be between %s and %s, got %s", fn,
			   a->key, lnum(L, a->min), lnum(L, a->max), lnum(L, v));
	return (uint32_t)v;
}

static uint32_t enum_at(lua_State *L, const char *fn, const char *key, const sym *syms)
{
	const sym *s;
	if (lua_type(L, -1) == LUA_TSTRING)
		for (s = syms; s->name; s++)
			if (!strcmp(s->name, lua_tostring(L, -1)))
				return s->v;
	bad_sym(L, fn, key, syms, "one of ");
	return 0;
}

/* Parses an address option at the top of the stack (a host address, not a
 * prefix) into buf; returns its family. */
static int addr_at(lua_State *L, const char *fn, const char *key, int family,
		   unsigned char *buf)
{
	struct nl_addr *a;
	int fam, len;
	lua_pushfstring(L, "option '%s'", key);
	a = vn_check_addr(L, -2, fn, lua_tostring(L, -1), family);   /* may raise */
	fam = nl_addr_get_family(a);
	len = (int)nl_addr_get_len(a);
	if ((len != 4 && len != 16) || (int)nl_addr_get_prefixlen(a) != len * 8) {
		nl_addr_put(a);
		luaL_error(L, "%s: option '%s' '%s' must be a host address", fn, key,
			   lua_tostring(L, -2));
	}
	memcpy(buf, nl_addr_get_binary_addr(a), (size_t)len);
	nl_addr_put(a);
	lua_pop(L, 1);
	return fam;
}

/* The current value of a u8..u32 attribute (cur may be NULL). */
static uint32_t cur_u32(kctx *c, int type, int size)
{
	struct nlattr *a = c->cur ? c->cur[type] : NULL;
	if (!a || nla_len(a) < size)
		return 0;
	return size == 1 ? nla_get_u8(a) : size == 2 ? nla_get_u16(a) : nla_get_u32(a);
}

/* Reads every option of the attribute table attrs. */
static int kparse_attrs(kctx *c, const kattr *attrs)
{
	lua_State *L = c->L;
	const kattr *a;
	int r;

	for (a = attrs; a && a->key; a++) {
		unsigned char ab[16];
		uint32_t v;
		if (a->flags & KA_RO)
			continue;
		lua_getfield(L, c->idx, a->key);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			if (!c->cur && (a->flags & KA_REQ))
				luaL_error(L, "%s: option '%s' is required for a %s",
					   c->fn, a->key, c->kname);
			continue;
		}
		if (c->cur && (a->flags & KA_FIXED))
			luaL_error(L, "%s: option '%s' of a %s cannot be changed",
				   c->fn, a->key, c->kname);
		switch (a->fmt) {
		case T_U8: kput_u8(c, a->type, (uint8_t)num_at(L, c->fn, a)); break;
		case T_U16: kput_u16(c, a->type, (uint16_t)num_at(L, c->fn, a)); break;
		case T_U32: kput_u32(c, a->type, num_at(L, c->fn, a)); break;
		case T_BE16: kput_u16(c, a->type, htons((uint16_t)num_at(L, c->fn, a))); break;
		case T_BE32: kput_u32(c, a->type, htonl(num_at(L, c->fn, a))); break;
		case T_BOOL:
		case T_BOOL32:
		case T_FLAG:
			if (!lua_isboolean(L, -1))
				luaL_error(L, "%s: option '%s' must be a boolean, got %s", c->fn,
					   a->key, luaL_typename(L, -1));
			v = (uint32_t)lua_toboolean(L, -1);
			if (a->fmt == T_BOOL)
				kput_u8(c, a->type, (uint8_t)v);
			else if (a->fmt == T_BOOL32)
				kput_u32(c, a->type, v);
			else if (v)
				kput(c, a->type, NULL, 0);
			else if (c->cur)
				luaL_error(L, "%s: option '%s' of a %s cannot be turned off",
					   c->fn, a->key, c->kname);
			break;
		case T_ENUM8: kput_u8(c, a->type, (uint8_t)enum_at(L, c->fn, a->key, a->syms)); break;
		case T_ENUM16: kput_u16(c, a->type, (uint16_t)enum_at(L, c->fn, a->key, a->syms)); break;
		case T_ENUM32: kput_u32(c, a->type, enum_at(L, c->fn, a->key, a->syms)); break;
		case T_ENUMBE16:
			kput_u16(c, a->type, htons((uint16_t)enum_at(L, c->fn, a->key, a->syms)));
			break;
		case T_IN4:
			addr_at(L, c->fn, a->key, AF_INET, ab);
			kput(c, a->type, ab, 4);
			break;
		case T_IN6:
			addr_at(L, c->fn, a->key, AF_INET6, ab);
			kput(c, a->type, ab, 16);
			break;
		case T_INX:
			if (addr_at(L, c->fn, a->key, AF_UNSPEC, ab) == AF_INET)
				kput(c, a->type, ab, 4);
			else
				kput(c, a->type6, ab, 16);
			break;
		case T_LINK: {
			int ref;
			lua_pop(L, 1);
			if ((r = vn_link_ref(L, c->idx, c->ns, c->fn, a->key, &ref, c->what)) < 0)
				return r;
			kput_u32(c, a->type, (uint32_t)ref);
			continue;
		}
		case T_TABLE: {
			uint32_t t;
			lua_pop(L, 1);
			vn_opt_table(L, c->idx, c->fn, a->key, &t);
			kput_u32(c, a->type, t);
			continue;
		}
		case T_BIT16:
		case T_BIT32:
			if (!lua_isboolean(L, -1))
				luaL_error(L, "%s: option '%s' must be a boolean, got %s", c->fn,
					   a->key, luaL_typename(L, -1));
			break;  /* combined below */
		default:
			break;  /* T_HOOK */
		}
		lua_pop(L, 1);
	}
	/* bit options: each attribute once, starting from its current value */
	for (a = attrs; a && a->key; a++) {
		const kattr *b;
		int size, any = 0, seen = 0;
		uint32_t v;
		if ((a->fmt != T_BIT16 && a->fmt != T_BIT32) || (a->flags & KA_RO))
			continue;
		for (b = attrs; b != a; b++)
			if ((b->fmt == T_BIT16 || b->fmt == T_BIT32) && b->type == a->type)
				seen = 1;
		if (seen)
			continue;
		size = a->fmt == T_BIT16 ? 2 : 4;
		v = cur_u32(c, a->type, size);
		for (b = a; b->key; b++) {
			int on;
			if (b->type != a->type || (b->fmt != T_BIT16 && b->fmt != T_BIT32) ||
			    !vn_opt_bool(L, c->idx, c->fn, b->key, &on))
				continue;
			any = 1;
			v = on ? v | (uint32_t)b->max : v & ~(uint32_t)b->max;
		}
		if (any) {
			if (size == 2)
				kput_u16(c, a->type, (uint16_t)v);
			else
				kput_u32(c, a->type, v);
		}
	}
	return 0;
}

static int kind_ready(const vn_kind *k);

/* The generic parser: every option of the kind's table, then its hook. */
static int kparse(kctx *c)
{
	const struct vn_kspec *sp = c->k->spec;
	const char *const *key;
	char kname[48];
	int r;
	snprintf(kname, sizeof kname, "%s link", c->k->name);
	c->kname = kname;
	for (key = c->k->keys; !kind_ready(c->k) && key && *key; key++)
		if (has_opt(c->L, c->idx, *key))
			luaL_error(c->L, "%s: the settings of %s links are unavailable in this "
				   "process (libnl's own support for them is in use)", c->fn,
				   c->k->name);
	if ((sp->flags & KS_PARENT) && !c->cur && !has_opt(c->L, c->idx, "parent"))
		luaL_error(c->L, "%s: option 'parent' is required for a %s link", c->fn,
			   c->k->name);
	if ((r = kparse_attrs(c, sp->attrs)) < 0)
		return r;
	return sp->parse ? sp->parse(c) : 0;
}

/* The row's parse function for table kinds: adding a link. */
static int kind_parse(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
		      const char *fn, const char **what)
{
	kctx c;
	c.L = L; c.idx = idx; c.ns = ns; c.l = l; c.fn = fn; c.cur = NULL; c.what = what;
	c.k = vn_kind_find(rtnl_link_get_type(l));
	if (!c.k || !c.k->spec)
		return luaL_error(L, "%s: kind '%s' has no options", fn, rtnl_link_get_type(l));
	return kparse(&c);
}

/* ---- info ------------------------------------------------------------- */
static void push_sym(lua_State *L, const sym *s, uint32_t v)
{
	for (; s && s->name; s++)
		if (s->v == v) {
			lua_pushstring(L, s->name);
			return;
		}
	lua_pushinteger(L, v);
}

static void push_ip(lua_State *L, const struct nlattr *a)
{
	char buf[INET6_ADDRSTRLEN];
	int n = nla_len(a);
	if (n == 4 || n == 16) {
		inet_ntop(n == 4 ? AF_INET : AF_INET6, nla_data(a), buf, sizeof buf);
		lua_pushstring(L, buf);
	} else {
		lua_pushnil(L);
	}
}

static int all_zero(const struct nlattr *a)
{
	const unsigned char *p = (const unsigned char *)nla_data(a);
	int i;
	for (i = 0; i < nla_len(a); i++)
		if (p[i])
			return 0;
	return 1;
}

static uint32_t get_num(const struct nlattr *a, int size)
{
	if (nla_len(a) < size)
		return 0;
	return size == 1 ? nla_get_u8(a) : size == 2 ? nla_get_u16(a) : nla_get_u32(a);
}

static void kinfo_attrs(lua_State *L, const kattr *attrs, struct nlattr **tb)
{
	const kattr *a;
	for (a = attrs; a && a->key; a++) {
		struct nlattr *x = a->type ? tb[a->type] : NULL;
		if (a->fmt == T_INX && !x && a->type6)
			x = tb[a->type6];
		if (!x || a->fmt == T_HOOK)
			continue;
		switch (a->fmt) {
		case T_U8: lua_pushinteger(L, get_num(x, 1)); break;
		case T_U16: lua_pushinteger(L, get_num(x, 2)); break;
		case T_U32: lua_pushinteger(L, get_num(x, 4)); break;
		case T_BE16: lua_pushinteger(L, ntohs((uint16_t)get_num(x, 2))); break;
		case T_BE32: lua_pushinteger(L, ntohl(get_num(x, 4))); break;
		case T_BOOL: lua_pushboolean(L, get_num(x, 1) != 0); break;
		case T_BOOL32: lua_pushboolean(L, get_num(x, 4) != 0); break;
		case T_FLAG: lua_pushboolean(L, 1); break;
		case T_ENUM8: push_sym(L, a->syms, get_num(x, 1)); break;
		case T_ENUM16: push_sym(L, a->syms, get_num(x, 2)); break;
		case T_ENUM32: push_sym(L, a->syms, get_num(x, 4)); break;
		case T_ENUMBE16: push_sym(L, a->syms, ntohs((uint16_t)get_num(x, 2))); break;
		case T_IN4:
		case T_IN6:
		case T_INX:
			if (all_zero(x))
				continue;
			push_ip(L, x);
			break;
		case T_LINK:
			if (!get_num(x, 4))
				continue;
			lua_pushinteger(L, get_num(x, 4));
			break;
		case T_TABLE: vn_push_rtname(L, "rt_tables", (long)get_num(x, 4)); break;
		case T_BIT16: lua_pushboolean(L, (get_num(x, 2) & a->max) != 0); break;
		case T_BIT32: lua_pushboolean(L, (get_num(x, 4) & a->max) != 0); break;
		default: continue;
		}
		lua_setfield(L, -2, a->key);
	}
	/* flags absent from the reply are off */
	for (a = attrs; a && a->key; a++)
		if (a->fmt == T_FLAG && !tb[a->type]) {
			lua_pushboolean(L, 0);
			lua_setfield(L, -2, a->key);
		}
}

static void kinfo_tb(lua_State *L, const vn_kind *k, struct nlattr **tb)
{
	kinfo_attrs(L, k->spec->attrs, tb);
	if (k->spec->info)
		k->spec->info(L, tb);
}

/* The row's info function for table kinds. */
static void kind_info(lua_State *L, struct rtnl_link *l)
{
	struct nlattr *tb[TB_MAX + 1];
	const char *t = rtnl_link_get_type(l);
	const vn_kind *k = t ? vn_kind_find(t) : NULL;
	if (!k || !k->spec)
		return;
	if (kd_snapshot(L, l, tb)) {          /* info, copy */
		lua_insert(L, -2);                /* copy, info */
		kinfo_tb(L, k, tb);
		lua_insert(L, -2);
	}
	lua_pop(L, 1);
}

static void setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

/* ---- veth ------------------------------------------------------------ */
static const char *const veth_keys[] = { "peer", NULL };

static int veth_parse(lua_State *L, int idx, vn_ns *ns, struct rtnl_link *l,
		      const char *fn, const char **what)
{
	/* "up" is marked on the peer here; the kernel cannot open a veth end
	 * before its pair exists (ENOTCONN), so link_add takes the mark off the
	 * request and brings the peer up once the pair is made */
	static const char *const peer_keys[] = { "name", "netns", "address", "mtu",
						  "txqlen", "up", NULL };
	struct rtnl_link *peer;
	const char *s;
	char buf[256];
	lua_Integer n;
	vn_ns *pns;
	int err;

	lua_getfield(L, idx, "peer");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		/* peer = "name" is short for peer = { name = "name" } */
		lua_createtable(L, 0, 1);
		lua_insert(L, -2);
		lua_setfield(L, -2, "name");
	}
	idx = lua_gettop(L);
	vn_opts_check(L, idx, "link_add: peer", peer_keys);
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_put(peer); /* l holds it; get_peer added a reference */
	if ((s = vn_opt_str(L, idx, fn, "name", buf, sizeof buf))) {
		vn_check_ifname(L, s, fn, "peer.name");
		rtnl_link_set_name(peer, s);
	}
	if (vn_opt_int(L, idx, fn, "mtu", 68, 65535, &n))
		rtnl_link_set_mtu(peer, (unsigned)n);
	if (vn_opt_int(L, idx, fn, "txqlen", 0, 0xffffffffLL, &n))
		rtnl_link_set_txqlen(peer, (unsigned)n);
	lua_getfield(L, idx, "up");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		luaL_error(L, "%s: option 'peer.up' must be a boolean, got %s", fn,
			   luaL_typename(L, -1));
	if (lua_toboolean(L, -1))
		rtnl_link_set_flags(peer, IFF_UP);
	lua_pop(L, 1);
	{
		struct nl_addr *a = NULL;
		lua_getfield(L, idx, "address");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING ||
			    nl_addr_parse(vn_check_str(L, -1, fn, "option 'peer.address'", 0),
					  AF_LLC, &a) < 0)
				luaL_error(L, "%s: option 'peer.address' must be a MAC address", fn);
			rtnl_link_set_addr(peer, a);
			nl_addr_put(a);
		}
		lua_pop(L, 1);
	}
	/* the peer table stays on the stack, and the namespace handle above it */
	pns = vn_opt_netns(L, idx, fn, "netns", &err);
	if (err) {
		*what = "peer";
		ns->err = err;
		return -err;
	}
	if (pns)
		rtnl_link_set_ns_fd(peer, pns->fd);
	return 0;
}

static void veth_info(lua_State *L, struct rtnl_link *l)
{
	int32_t nsid;
	if (rtnl_link_get_link(l)) {
		lua_pushinteger(L, rtnl_link_get_link(l));
		lua_setfield(L, -2, "peer_index");
	}
	if (rtnl_link_get_link_netnsid(l, &nsid) == 0) {
		lua_pushinteger(L, nsid);
		lua_setfield(L, -2, "peer_netnsid");
	}
}

/* ---- vlan ------------------------------------------------------------ */
static const sym vlan_protos[] = { { "802.1Q", 0x8100 }, { "802.1ad", 0x88a8 },
				   { NULL, 0 } };
static const sym vlan_flagbits[] = { { "reorder_hdr", VLAN_FLAG_REORDER_HDR },
	{ "gvrp", VLAN_FLAG_GVRP }, { "loose_binding", VLAN_FLAG_LOOSE_BINDING },
	{ "mvrp", VLAN_FLAG_MVRP }, { "bridge_binding", VLAN_FLAG_BRIDGE_BINDING },
	{ NULL, 0 } };

static const kattr vlan_attrs[] = {
	{ "id", IFLA_VLAN_ID, 0, T_U16, KA_REQ | KA_FIXED, 0, 4094, NULL },
	{ "protocol", IFLA_VLAN_PROTOCOL, 0, T_ENUMBE16, KA_FIXED, 0, 0, vlan_protos },
	{ "reorder_hdr", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "gvrp", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "mvrp", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "loose_binding", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "bridge_binding", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static int vlan_hook(kctx *c)
{
	struct ifla_vlan_flags f = { 0, 0 };
	const sym *s;
	int on;
	for (s = vlan_flagbits; s->name; s++)
		if (vn_opt_bool(c->L, c->idx, c->fn, s->name, &on)) {
			f.mask |= s->v;
			if (on)
				f.flags |= s->v;
		}
	if (f.mask)
		kput(c, IFLA_VLAN_FLAGS, &f, sizeof f);
	return 0;
}

static void vlan_info(lua_State *L, struct nlattr **tb)
{
	const sym *s;
	struct ifla_vlan_flags f = { 0, 0 };
	if (tb[IFLA_VLAN_FLAGS] && nla_len(tb[IFLA_VLAN_FLAGS]) >= (int)sizeof f)
		memcpy(&f, nla_data(tb[IFLA_VLAN_FLAGS]), sizeof f);
	for (s = vlan_flagbits; s->name; s++)
		setbool(L, s->name, (f.flags & s->v) != 0);
}

static const struct vn_kspec vlan_spec = { vlan_attrs, vlan_hook, vlan_info,
					   KS_PARENT | KS_RAW };

/* ---- vxlan ------------------------------------------------------------ */
static const sym ttl_names[] = { { "inherit", 0 }, { NULL, 0 } };
static const sym tos_names[] = { { "inherit", 1 }, { NULL, 0 } };

static const kattr vxlan_attrs[] = {
	{ "id", IFLA_VXLAN_ID, 0, T_U32, KA_REQ | KA_FIXED, 0, 0xffffff, NULL },
	{ "remote", IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, T_INX, 0, 0, 0, NULL },
	{ "local", IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, T_INX, 0, 0, 0, NULL },
	{ "dev", IFLA_VXLAN_LINK, 0, T_LINK, 0, 0, 0, NULL },
	{ "dstport", IFLA_VXLAN_PORT, 0, T_BE16, 0, 0, 65535, NULL },
	{ "ttl", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "tos", IFLA_VXLAN_TOS, 0, T_U8, 0, 0, 255, tos_names },
	{ "label", IFLA_VXLAN_LABEL, 0, T_BE32, 0, 0, 0xfffff, NULL },
	{ "learning", IFLA_VXLAN_LEARNING, 0, T_BOOL, 0, 0, 0, NULL },
	{ "port_range", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "ageing", IFLA_VXLAN_AGEING, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "maxaddress", IFLA_VXLAN_LIMIT, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "proxy", IFLA_VXLAN_PROXY, 0, T_BOOL, 0, 0, 0, NULL },
	{ "rsc", IFLA_VXLAN_RSC, 0, T_BOOL, 0, 0, 0, NULL },
	{ "l2miss", IFLA_VXLAN_L2MISS, 0, T_BOOL, 0, 0, 0, NULL },
	{ "l3miss", IFLA_VXLAN_L3MISS, 0, T_BOOL, 0, 0, 0, NULL },
	{ "udpcsum", IFLA_VXLAN_UDP_CSUM, 0, T_BOOL, 0, 0, 0, NULL },
	{ "udp6zerocsumtx", IFLA_VXLAN_UDP_ZERO_CSUM6_TX, 0, T_BOOL, 0, 0, 0, NULL },
	{ "udp6zerocsumrx", IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 0, T_BOOL, 0, 0, 0, NULL },
	{ "external", IFLA_VXLAN_COLLECT_METADATA, 0, T_BOOL, KA_FIXED, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static int is_multicast(int fam, const unsigned char *a)
{
	return fam == AF_INET ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* ttl = 0..255 | "inherit"; the inherit attribute is a flag (vxlan) or a
 * u8 (geneve) */
static void ttl_hook(kctx *c, int ttl_attr, int inherit_attr, int inherit_is_flag)
{
	static const kattr ttl = { "ttl", 0, 0, T_U8, 0, 0, 255, NULL };
	lua_getfield(c->L, c->idx, "ttl");
	if (lua_isnil(c->L, -1)) {
		lua_pop(c->L, 1);
		return;
	}
	if (lua_type(c->L, -1) == LUA_TSTRING && !strcmp(lua_tostring(c->L, -1), "inherit")) {
		if (inherit_is_flag)
			kput(c, inherit_attr, NULL, 0);
		else
			kput_u8(c, inherit_attr, 1);
	} else {
		if (lua_type(c->L, -1) == LUA_TSTRING)
			luaL_error(c->L, "%s: option 'ttl' must be an integer between 0 and 255 "
				   "or 'inherit', got '%s'", c->fn, lua_tostring(c->L, -1));
		kput_u8(c, ttl_attr, (uint8_t)num_at(c->L, c->fn, &ttl));
		if (!inherit_is_flag && c->cur && c->cur[inherit_attr])
			kput_u8(c, inherit_attr, 0);
	}
	lua_pop(c->L, 1);
}

static void ttl_info(lua_State *L, struct nlattr **tb, int ttl_attr, int inherit_attr,
		     int inherit_is_flag)
{
	struct nlattr *i = tb[inherit_attr];
	(void)inherit_is_flag;  /* replies carry it as a u8 (vxlan: a flag on input) */
	if (i && (nla_len(i) == 0 || get_num(i, 1)))
		lua_pushstring(L, "inherit");
	else if (tb[ttl_attr])
		lua_pushinteger(L, get_num(tb[ttl_attr], 1));
	else
		return;
	lua_setfield(L, -2, "ttl");
}

/* remote: the peer, or a multicast group (the option 'group' would clash
 * with the link's device group) */
static int vxlan_hook(kctx *c)
{
	ttl_hook(c, IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, 1);
	lua_getfield(c->L, c->idx, "port_range");
	if (!lua_isnil(c->L, -1)) {
		struct ifla_vxlan_port_range pr;
		lua_Integer lo, hi;
		if (!lua_istable(c->L, -1))
			luaL_error(c->L, "%s: option 'port_range' must be a table { low, high }, "
				   "got %s", c->fn, luaL_typename(c->L, -1));
		lua_rawgeti(c->L, -1, 1);
		lua_rawgeti(c->L, -2, 2);
		if (!lua_isinteger(c->L, -2) || !lua_isinteger(c->L, -1) ||
		    lua_type(c->L, -1) != LUA_TNUMBER || lua_type(c->L, -2) != LUA_TNUMBER)
			luaL_error(c->L, "%s: option 'port_range' must be a table { low, high } "
				   "of port numbers", c->fn);
		lo = lua_tointeger(c->L, -2);
		hi = lua_tointeger(c->L, -1);
		if (lo < 1 || hi > 65535 || lo > hi)
			luaL_error(c->L, "%s: option 'port_range' must be { low, high } with "
				   "1 <= low <= high <= 65535", c->fn);
		pr.low = htons((uint16_t)lo);
		pr.high = htons((uint16_t)hi);
		kput(c, IFLA_VXLAN_PORT_RANGE, &pr, sizeof pr);
		lua_pop(c->L, 2);
	}
	lua_pop(c->L, 1);
	return 0;
}

static void vxlan_info(lua_State *L, struct nlattr **tb)
{
	struct nlattr *g = tb[IFLA_VXLAN_GROUP] ? tb[IFLA_VXLAN_GROUP] : tb[IFLA_VXLAN_GROUP6];
	if (g && !all_zero(g))
		setbool(L, "multicast", is_multicast(nla_len(g) == 4 ? AF_INET : AF_INET6,
						     (const unsigned char *)nla_data(g)));
	ttl_info(L, tb, IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, 1);
	if (tb[IFLA_VXLAN_PORT_RANGE] &&
	    nla_len(tb[IFLA_VXLAN_PORT_RANGE]) >= (int)sizeof(struct ifla_vxlan_port_range)) {
		struct ifla_vxlan_port_range pr;
		memcpy(&pr, nla_data(tb[IFLA_VXLAN_PORT_RANGE]), sizeof pr);
		lua_createtable(L, 2, 0);
		lua_pushinteger(L, ntohs(pr.low));
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, ntohs(pr.high));
		lua_rawseti(L, -2, 2);
		lua_setfield(L, -2, "port_range");
	}
}

static const struct vn_kspec vxlan_spec = { vxlan_attrs, vxlan_hook, vxlan_info, KS_RAW };

/* ---- macvlan, macvtap ------------------------------------------------- */
static const sym macvlan_modes[] = { { "private", MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_MODE_VEPA }, { "bridge", MACVLAN_MODE_BRIDGE },
	{ "passthru", MACVLAN_MODE_PASSTHRU }, { "source", MACVLAN_MODE_SOURCE },
	{ NULL, 0 } };

static const kattr macvlan_attrs[] = {
	{ "mode", IFLA_MACVLAN_MODE, 0, T_ENUM32, 0, 0, 0, macvlan_modes },
	{ "nopromisc", IFLA_MACVLAN_FLAGS, 0, T_BIT16, 0, 0, MACVLAN_FLAG_NOPROMISC, NULL },
	{ "bcqueuelen", IFLA_MACVLAN_BC_QUEUE_LEN, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec macvlan_spec = { macvlan_attrs, NULL, NULL,
					      KS_PARENT | KS_RAW };

/* ---- ipvlan, ipvtap --------------------------------------------------- */
static const sym ipvlan_modes[] = { { "l2", IPVLAN_MODE_L2 }, { "l3", IPVLAN_MODE_L3 },
				    { "l3s", IPVLAN_MODE_L3S }, { NULL, 0 } };
static const sym ipvlan_flags[] = { { "bridge", 0 }, { "private", IPVLAN_F_PRIVATE },
				    { "vepa", IPVLAN_F_VEPA }, { NULL, 0 } };
static const kattr ipvlan_attrs[] = {
	{ "mode", IFLA_IPVLAN_MODE, 0, T_ENUM16, 0, 0, 0, ipvlan_modes },
	{ "flags", IFLA_IPVLAN_FLAGS, 0, T_ENUM16, 0, 0, 0, ipvlan_flags },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec ipvlan_spec = { ipvlan_attrs, NULL, NULL,
					     KS_PARENT | KS_RAW };

/* ---- tun, tap (made by tuntap.c; here only read back) ------------------ */
static const sym tun_types[] = { { "tun", IFF_TUN }, { "tap", IFF_TAP }, { NULL, 0 } };
static const kattr tun_attrs[] = {
	{ "type", IFLA_TUN_TYPE, 0, T_ENUM8, KA_RO, 0, 0, tun_types },
	{ "owner", IFLA_TUN_OWNER, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "owner_group", IFLA_TUN_GROUP, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "pi", IFLA_TUN_PI, 0, T_BOOL, 0, 0, 0, NULL },
	{ "vnet_hdr", IFLA_TUN_VNET_HDR, 0, T_BOOL, 0, 0, 0, NULL },
	{ "multi_queue", IFLA_TUN_MULTI_QUEUE, 0, T_BOOL, KA_FIXED, 0, 0, NULL },
	{ "persist", IFLA_TUN_PERSIST, 0, T_BOOL, KA_RO, 0, 0, NULL },
	{ "num_queues", IFLA_TUN_NUM_QUEUES, 0, T_U32, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec tun_spec = { tun_attrs, NULL, NULL, KS_RAW };
/* the "tap" row: same options; tap devices read back as kind "tun" */
static const struct vn_kspec tap_spec = { tun_attrs, NULL, NULL, 0 };

/* ---- bond ------------------------------------------------------------- */
static const sym bond_modes[] = { { "balance-rr", 0 }, { "active-backup", 1 },
	{ "balance-xor", 2 }, { "broadcast", 3 }, { "802.3ad", 4 },
	{ "balance-tlb", 5 }, { "balance-alb", 6 }, { NULL, 0 } };
static const sym bond_hash[] = { { "layer2", 0 }, { "layer3+4", 1 },
	{ "layer2+3", 2 }, { "encap2+3", 3 }, { "encap3+4", 4 },
	{ "vlan+srcmac", 5 }, { NULL, 0 } };
static const sym bond_lacp[] = { { "slow", 0 }, { "fast", 1 }, { NULL, 0 } };
static const sym bond_adsel[] = { { "stable", 0 }, { "bandwidth", 1 },
				  { "count", 2 }, { NULL, 0 } };
static const sym bond_fom[] = { { "none", 0 }, { "active", 1 }, { "follow", 2 },
				{ NULL, 0 } };
static const sym bond_arpval[] = { { "none", 0 }, { "active", 1 }, { "backup", 2 },
	{ "all", 3 }, { "filter", 4 }, { "filter_active", 5 },
	{ "filter_backup", 6 }, { NULL, 0 } };
static const sym bond_resel[] = { { "always", 0 }, { "better", 1 },
				  { "failure", 2 }, { NULL, 0 } };

static const kattr bond_attrs[] = {
	{ "mode", IFLA_BOND_MODE, 0, T_ENUM8, 0, 0, 0, bond_modes },
	{ "miimon", IFLA_BOND_MIIMON, 0, T_U32, 0, 0, 0x7fffffff, NULL },
	{ "updelay", IFLA_BOND_UPDELAY, 0, T_U32, 0, 0, 0x7fffffff, NULL },
	{ "downdelay", IFLA_BOND_DOWNDELAY, 0, T_U32, 0, 0, 0x7fffffff, NULL },
	{ "use_carrier", IFLA_BOND_USE_CARRIER, 0, T_BOOL, 0, 0, 0, NULL },
	{ "arp_interval", IFLA_BOND_ARP_INTERVAL, 0, T_U32, 0, 0, 0x7fffffff, NULL },
	{ "arp_validate", IFLA_BOND_ARP_VALIDATE, 0, T_ENUM32, 0, 0, 0, bond_arpval },
	{ "primary", IFLA_BOND_PRIMARY, 0, T_LINK, 0, 0, 0, NULL },
	{ "primary_reselect", IFLA_BOND_PRIMARY_RESELECT, 0, T_ENUM8, 0, 0, 0, bond_resel },
	{ "fail_over_mac", IFLA_BOND_FAIL_OVER_MAC, 0, T_ENUM8, 0, 0, 0, bond_fom },
	{ "xmit_hash_policy", IFLA_BOND_XMIT_HASH_POLICY, 0, T_ENUM8, 0, 0, 0, bond_hash },
	{ "all_slaves_active", IFLA_BOND_ALL_SLAVES_ACTIVE, 0, T_BOOL, 0, 0, 0, NULL },
	{ "min_links", IFLA_BOND_MIN_LINKS, 0, T_U32, 0, 0, 0x7fffffff, NULL },
	{ "packets_per_slave", IFLA_BOND_PACKETS_PER_SLAVE, 0, T_U32, 0, 0, 65535, NULL },
	{ "lacp_rate", IFLA_BOND_AD_LACP_RATE, 0, T_ENUM8, 0, 0, 0, bond_lacp },
	{ "ad_select", IFLA_BOND_AD_SELECT, 0, T_ENUM8, 0, 0, 0, bond_adsel },
	{ "active_slave", IFLA_BOND_ACTIVE_SLAVE, 0, T_LINK, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec bond_spec = { bond_attrs, NULL, NULL, KS_RAW };

/* ---- bridge ----------------------------------------------------------- */
static const kattr bridge_attrs[] = {
	{ "stp", IFLA_BR_STP_STATE, 0, T_BOOL32, 0, 0, 0, NULL },
	{ "forward_delay", IFLA_BR_FORWARD_DELAY, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "hello_time", IFLA_BR_HELLO_TIME, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "max_age", IFLA_BR_MAX_AGE, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "ageing_time", IFLA_BR_AGEING_TIME, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "priority", IFLA_BR_PRIORITY, 0, T_U16, 0, 0, 65535, NULL },
	{ "vlan_filtering", IFLA_BR_VLAN_FILTERING, 0, T_BOOL, 0, 0, 0, NULL },
	{ "vlan_protocol", IFLA_BR_VLAN_PROTOCOL, 0, T_ENUMBE16, 0, 0, 0, vlan_protos },
	{ "vlan_default_pvid", IFLA_BR_VLAN_DEFAULT_PVID, 0, T_U16, 0, 0, 4094, NULL },
	{ "vlan_stats_enabled", IFLA_BR_VLAN_STATS_ENABLED, 0, T_BOOL, 0, 0, 0, NULL },
	{ "group_fwd_mask", IFLA_BR_GROUP_FWD_MASK, 0, T_U16, 0, 0, 65535, NULL },
	{ "mcast_snooping", IFLA_BR_MCAST_SNOOPING, 0, T_BOOL, 0, 0, 0, NULL },
	{ "mcast_querier", IFLA_BR_MCAST_QUERIER, 0, T_BOOL, 0, 0, 0, NULL },
	{ "nf_call_iptables", IFLA_BR_NF_CALL_IPTABLES, 0, T_BOOL, 0, 0, 0, NULL },
	{ "nf_call_ip6tables", IFLA_BR_NF_CALL_IP6TABLES, 0, T_BOOL, 0, 0, 0, NULL },
	{ "nf_call_arptables", IFLA_BR_NF_CALL_ARPTABLES, 0, T_BOOL, 0, 0, 0, NULL },
	{ "root_port", IFLA_BR_ROOT_PORT, 0, T_U16, KA_RO, 0, 0, NULL },
	{ "root_path_cost", IFLA_BR_ROOT_PATH_COST, 0, T_U32, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static void push_bridge_id(lua_State *L, struct nlattr *a, const char *key)
{
	struct ifla_bridge_id id;
	if (!a || nla_len(a) < (int)sizeof id)
		return;
	memcpy(&id, nla_data(a), sizeof id);
	{
		char buf[32];
		snprintf(buf, sizeof buf, "%02x%02x.%02x:%02x:%02x:%02x:%02x:%02x", id.prio[0],
			 id.prio[1], id.addr[0], id.addr[1], id.addr[2], id.addr[3],
			 id.addr[4], id.addr[5]);
		lua_pushstring(L, buf);
	}
	lua_setfield(L, -2, key);
}

static void bridge_info(lua_State *L, struct nlattr **tb)
{
	push_bridge_id(L, tb[IFLA_BR_BRIDGE_ID], "bridge_id");
	push_bridge_id(L, tb[IFLA_BR_ROOT_ID], "root_id");
}
static const struct vn_kspec bridge_spec = { bridge_attrs, NULL, bridge_info, KS_RAW };

/* ---- vrf -------------------------------------------------------------- */
static const kattr vrf_attrs[] = {
	{ "table", IFLA_VRF_TABLE, 0, T_TABLE, KA_REQ | KA_FIXED, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec vrf_spec = { vrf_attrs, NULL, NULL, KS_RAW };

/* ---- geneve ----------------------------------------------------------- */
static const sym geneve_df[] = { { "unset", 0 }, { "set", 1 }, { "inherit", 2 },
				 { NULL, 0 } };
static const kattr geneve_attrs[] = {
	{ "id", IFLA_GENEVE_ID, 0, T_U32, KA_REQ, 0, 0xffffff, NULL },
	{ "remote", IFLA_GENEVE_REMOTE, IFLA_GENEVE_REMOTE6, T_INX, 0, 0, 0, NULL },
	{ "dstport", IFLA_GENEVE_PORT, 0, T_BE16, 0, 1, 65535, NULL },
	{ "ttl", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "tos", IFLA_GENEVE_TOS, 0, T_U8, 0, 0, 255, tos_names },
	{ "label", IFLA_GENEVE_LABEL, 0, T_BE32, 0, 0, 0xfffff, NULL },
	{ "df", IFLA_GENEVE_DF, 0, T_ENUM8, 0, 0, 0, geneve_df },
	{ "udpcsum", IFLA_GENEVE_UDP_CSUM, 0, T_BOOL, 0, 0, 0, NULL },
	{ "udp6zerocsumtx", IFLA_GENEVE_UDP_ZERO_CSUM6_TX, 0, T_BOOL, 0, 0, 0, NULL },
	{ "udp6zerocsumrx", IFLA_GENEVE_UDP_ZERO_CSUM6_RX, 0, T_BOOL, 0, 0, 0, NULL },
	{ "external", IFLA_GENEVE_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static int geneve_hook(kctx *c)
{
	ttl_hook(c, IFLA_GENEVE_TTL, IFLA_GENEVE_TTL_INHERIT, 0);
	return 0;
}
static void geneve_info(lua_State *L, struct nlattr **tb)
{
	ttl_info(L, tb, IFLA_GENEVE_TTL, IFLA_GENEVE_TTL_INHERIT, 0);
}
static const struct vn_kspec geneve_spec = { geneve_attrs, geneve_hook, geneve_info,
					     KS_RAW };

/* ---- macsec ------------------------------------------------------------ */
static const sym macsec_validate[] = { { "disabled", MACSEC_VALIDATE_DISABLED },
	{ "check", MACSEC_VALIDATE_CHECK }, { "strict", MACSEC_VALIDATE_STRICT },
	{ NULL, 0 } };
static const struct { const char *name; uint64_t id; } macsec_ciphers[] = {
	{ "gcm-aes-128", MACSEC_CIPHER_ID_GCM_AES_128 },
	{ "gcm-aes-256", MACSEC_CIPHER_ID_GCM_AES_256 },
	{ "gcm-aes-xpn-128", MACSEC_CIPHER_ID_GCM_AES_XPN_128 },
	{ "gcm-aes-xpn-256", MACSEC_CIPHER_ID_GCM_AES_XPN_256 },
	{ NULL, 0 }
};
static const kattr macsec_attrs[] = {
	{ "port", IFLA_MACSEC_PORT, 0, T_BE16, KA_FIXED, 1, 65535, NULL },
	{ "sci", 0, 0, T_HOOK, KA_FIXED, 0, 0, NULL },
	{ "cipher", 0, 0, T_HOOK, KA_FIXED, 0, 0, NULL },
	{ "icvlen", IFLA_MACSEC_ICV_LEN, 0, T_U8, KA_FIXED, 8, 16, NULL },
	{ "encrypt", IFLA_MACSEC_ENCRYPT, 0, T_BOOL, 0, 0, 0, NULL },
	{ "protect", IFLA_MACSEC_PROTECT, 0, T_BOOL, 0, 0, 0, NULL },
	{ "send_sci", IFLA_MACSEC_INC_SCI, 0, T_BOOL, 0, 0, 0, NULL },
	{ "end_station", IFLA_MACSEC_ES, 0, T_BOOL, 0, 0, 0, NULL },
	{ "scb", IFLA_MACSEC_SCB, 0, T_BOOL, 0, 0, 0, NULL },
	{ "replay", IFLA_MACSEC_REPLAY_PROTECT, 0, T_BOOL, 0, 0, 0, NULL },
	{ "window", IFLA_MACSEC_WINDOW, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "encodingsa", IFLA_MACSEC_ENCODING_SA, 0, T_U8, 0, 0, 3, NULL },
	{ "validate", IFLA_MACSEC_VALIDATION, 0, T_ENUM8, 0, 0, 0, macsec_validate },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static uint64_t be64(uint64_t v)
{
	unsigned char b[8];
	uint64_t r;
	int i;
	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	memcpy(&r, b, 8);
	return r;
}

static int macsec_hook(kctx *c)
{
	lua_State *L = c->L;
	const char *s;
	char buf[64];
	if ((s = vn_opt_str(L, c->idx, c->fn, "sci", buf, sizeof buf))) {
		char *end;
		unsigned long long v;
		const char *p = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
		size_t n = strlen(p), i;
		for (i = 0; i < n; i++)
			if (!strchr("0123456789abcdefABCDEF", p[i]))
				break;
		if (n == 0 || n > 16 || i != n)
			luaL_error(L, "%s: option 'sci' must be up to 16 hex digits, got '%s'",
				   c->fn, s);
		v = strtoull(p, &end, 16);
		if (has_opt(L, c->idx, "port"))
			luaL_error(L, "%s: options 'sci' and 'port' exclude each other", c->fn);
		{
			uint64_t b = be64((uint64_t)v);
			kput(c, IFLA_MACSEC_SCI, &b, 8);
		}
	}
	lua_getfield(L, c->idx, "cipher");
	if (!lua_isnil(L, -1)) {
		int i;
		for (i = 0; macsec_ciphers[i].name; i++)
			if (lua_type(L, -1) == LUA_TSTRING &&
			    !strcmp(lua_tostring(L, -1), macsec_ciphers[i].name))
				break;
		if (!macsec_ciphers[i].name)
			luaL_error(L, "%s: option 'cipher' must be one of 'gcm-aes-128', "
				   "'gcm-aes-256', 'gcm-aes-xpn-128', 'gcm-aes-xpn-256'", c->fn);
		{
			uint64_t id = macsec_ciphers[i].id;
			kput(c, IFLA_MACSEC_CIPHER_SUITE, &id, 8);
		}
	}
	lua_pop(L, 1);
	return 0;
}

static void macsec_info(lua_State *L, struct nlattr **tb)
{
	if (tb[IFLA_MACSEC_SCI] && nla_len(tb[IFLA_MACSEC_SCI]) >= 8) {
		unsigned char b[8];
		char buf[20];
		memcpy(b, nla_data(tb[IFLA_MACSEC_SCI]), 8);
		snprintf(buf, sizeof buf, "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1],
			 b[2], b[3], b[4], b[5], b[6], b[7]);
		lua_pushstring(L, buf);
		lua_setfield(L, -2, "sci");
		lua_pushinteger(L, (b[6] << 8) | b[7]);
		lua_setfield(L, -2, "port");
	}
	if (tb[IFLA_MACSEC_CIPHER_SUITE] && nla_len(tb[IFLA_MACSEC_CIPHER_SUITE]) >= 8) {
		uint64_t id;
		int i;
		memcpy(&id, nla_data(tb[IFLA_MACSEC_CIPHER_SUITE]), 8);
		for (i = 0; macsec_ciphers[i].name; i++)
			if (macsec_ciphers[i].id == id
			    /* the kernel reports the default suite by its old id */
			    || (id == MACSEC_DEFAULT_CIPHER_ID &&
				macsec_ciphers[i].id == MACSEC_CIPHER_ID_GCM_AES_128))
				break;
		if (macsec_ciphers[i].name)
			lua_pushstring(L, macsec_ciphers[i].name);
		else
			lua_pushnumber(L, (lua_Number)id);
		lua_setfield(L, -2, "cipher");
	}
}
static const struct vn_kspec macsec_spec = { macsec_attrs, macsec_hook, macsec_info,
					     KS_PARENT | KS_RAW };

/* ---- IP tunnels: ipip, sit, ip6tnl ------------------------------------- */
static const sym ipip_protos[] = { { "ipip", IPPROTO_IPIP }, { "mplsip", IPPROTO_MPLS },
				   { "any", 0 }, { NULL, 0 } };
static const sym sit_protos[] = { { "ip6ip", IPPROTO_IPV6 }, { "ipip", IPPROTO_IPIP },
				  { "mplsip", IPPROTO_MPLS }, { "any", 0 }, { NULL, 0 } };
static const sym ip6tnl_protos[] = { { "ip6ip6", IPPROTO_IPV6 }, { "ipip6", IPPROTO_IPIP },
				     { "any", 0 }, { NULL, 0 } };

#define TUN4_ATTRS(protos)                                                          \
	{ "remote", IFLA_IPTUN_REMOTE, 0, T_IN4, 0, 0, 0, NULL },                   \
	{ "local", IFLA_IPTUN_LOCAL, 0, T_IN4, 0, 0, 0, NULL },                     \
	{ "dev", IFLA_IPTUN_LINK, 0, T_LINK, 0, 0, 0, NULL },                       \
	{ "ttl", IFLA_IPTUN_TTL, 0, T_U8, 0, 0, 255, ttl_names },                   \
	{ "tos", IFLA_IPTUN_TOS, 0, T_U8, 0, 0, 255, tos_names },                   \
	{ "pmtudisc", IFLA_IPTUN_PMTUDISC, 0, T_BOOL, 0, 0, 0, NULL },              \
	{ "proto", IFLA_IPTUN_PROTO, 0, T_ENUM8, 0, 0, 0, protos },                 \
	{ "fwmark", IFLA_IPTUN_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },        \
	{ "external", IFLA_IPTUN_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL }

static const kattr ipip_attrs[] = {
	TUN4_ATTRS(ipip_protos),
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec ipip_spec = { ipip_attrs, NULL, NULL,
					   KS_RAW | KS_REPLACE };

static const kattr sit_attrs[] = {
	TUN4_ATTRS(sit_protos),
	{ "isatap", IFLA_IPTUN_FLAGS, 0, T_BIT16, KA_FIXED, 0, SIT_ISATAP, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const struct vn_kspec sit_spec = { sit_attrs, NULL, NULL, KS_RAW | KS_REPLACE };

/* IPv6 tunnels: encaplimit = 0..255 | "none", tclass and flowlabel =
 * number | "inherit", all in the encap limit, flow info and flags
 * attributes whose numbers differ between ip6tnl and ip6gre. */
typedef struct ip6attrs { int encap, flowinfo, flags, ttl; } ip6attrs;
static const ip6attrs ip6tnl_a = { IFLA_IPTUN_ENCAP_LIMIT, IFLA_IPTUN_FLOWINFO,
				   IFLA_IPTUN_FLAGS, IFLA_IPTUN_TTL };
static const ip6attrs ip6gre_a = { IFLA_GRE_ENCAP_LIMIT, IFLA_GRE_FLOWINFO,
				   IFLA_GRE_FLAGS, IFLA_GRE_TTL };

/* Option a->key of c: absent (0), the word (1), or a number in a's range
 * (2, *v set). */
static int num_or_word(kctx *c, const kattr *a, const char *word, uint32_t *v)
{
	lua_State *L = c->L;
	int r = 0;
	lua_getfield(L, c->idx, a->key);
	if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), word)) {
		r = 1;
	} else if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *got = lua_tostring(L, -1);
			const char *min = lnum(L, a->min), *max = lnum(L, a->max);
			luaL_error(L, "%s: option '%s' must be an integer between %s and %s "
				   "or '%s', got '%s'", c->fn, a->key, min, max, word, got);
		}
		*v = num_at(L, c->fn, a);
		r = 2;
	}
	lua_pop(L, 1);
	return r;
}

static int ip6_hook(kctx *c, const ip6attrs *t)
{
	lua_State *L = c->L;
	uint32_t flags = cur_u32(c, t->flags, 4);
	uint32_t flow = c->cur && c->cur[t->flowinfo] ? ntohl(cur_u32(c, t->flowinfo, 4)) : 0;
	uint32_t v = 0;
	int fw = 0, k, given = 0;   /* given: any of the three options */
	static const kattr enc = { "encaplimit", 0, 0, T_U8, 0, 0, 255, NULL };
	static const kattr tc = { "tclass", 0, 0, T_U8, 0, 0, 255, NULL };
	static const kattr lab = { "flowlabel", 0, 0, T_U32, 0, 0, 0xfffff, NULL };

	k = num_or_word(c, &enc, "none", &v);
	given |= k;
	switch (k) {
	case 1:
		flags |= IP6_TNL_F_IGN_ENCAP_LIMIT;
		break;
	case 2:
		kput_u8(c, t->encap, (uint8_t)v);
		flags &= ~(uint32_t)IP6_TNL_F_IGN_ENCAP_LIMIT;
		break;
	}
	k = num_or_word(c, &tc, "inherit", &v);
	given |= k;
	switch (k) {
	case 1:
		flags |= IP6_TNL_F_USE_ORIG_TCLASS;
		flow &= ~0x0ff00000u;
		break;
	case 2:
		flow = (flow & ~0x0ff00000u) | (v << 20);
		flags &= ~(uint32_t)IP6_TNL_F_USE_ORIG_TCLASS;
		fw = 1;
		break;
	}
	k = num_or_word(c, &lab, "inherit", &v);
	given |= k;
	switch (k) {
	case 1:
		flags |= IP6_TNL_F_USE_ORIG_FLOWLABEL;
		flow &= ~0x000fffffu;
		break;
	case 2:
		flow = (flow & ~0x000fffffu) | v;
		flags &= ~(uint32_t)IP6_TNL_F_USE_ORIG_FLOWLABEL;
		fw = 1;
		break;
	}
	if (!c->cur) {
		/* iproute2's defaults for new IPv6 tunnels: hop limit 64, encap
		 * limit 4 (the kernel's would be 0 for both) */
		if (!has_opt(L, c->idx, "ttl"))
			kput_u8(c, t->ttl, 64);
		if (!has_opt(L, c->idx, "encaplimit"))
			kput_u8(c, t->encap, 4);
	}
	if (given)
		kput_u32(c, t->flags, flags);
	if (fw || (given && c->cur))
		kput_u32(c, t->flowinfo, htonl(flow));
	return 0;
}

static void ip6_info(lua_State *L, struct nlattr **tb, const ip6attrs *t)
{
	uint32_t flags = tb[t->flags] ? get_num(tb[t->flags], 4) : 0;
	uint32_t flow = tb[t->flowinfo] ? ntohl(get_num(tb[t->flowinfo], 4)) : 0;
	if (flags & IP6_TNL_F_IGN_ENCAP_LIMIT)
		lua_pushstring(L, "none");
	else if (tb[t->encap])
		lua_pushinteger(L, get_num(tb[t->encap], 1));
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "encaplimit");
	if (flags & IP6_TNL_F_USE_ORIG_TCLASS)
		lua_pushstring(L, "inherit");
	else
		lua_pushinteger(L, (flow >> 20) & 0xff);
	lua_setfield(L, -2, "tclass");
	if (flags & IP6_TNL_F_USE_ORIG_FLOWLABEL)
		lua_pushstring(L, "inherit");
	else
		lua_pushinteger(L, flow & 0xfffff);
	lua_setfield(L, -2, "flowlabel");
}

static const kattr ip6tnl_attrs[] = {
	{ "remote", IFLA_IPTUN_REMOTE, 0, T_IN6, 0, 0, 0, NULL },
	{ "local", IFLA_IPTUN_LOCAL, 0, T_IN6, 0, 0, 0, NULL },
	{ "dev", IFLA_IPTUN_LINK, 0, T_LINK, 0, 0, 0, NULL },
	{ "ttl", IFLA_IPTUN_TTL, 0, T_U8, 0, 0, 255, ttl_names },
	{ "proto", IFLA_IPTUN_PROTO, 0, T_ENUM8, 0, 0, 0, ip6tnl_protos },
	{ "fwmark", IFLA_IPTUN_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "external", IFLA_IPTUN_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL },
	{ "encaplimit", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "tclass", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "flowlabel", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static int ip6tnl_hook(kctx *c) { return ip6_hook(c, &ip6tnl_a); }
static void ip6tnl_info(lua_State *L, struct nlattr **tb) { ip6_info(L, tb, &ip6tnl_a); }
static const struct vn_kspec ip6tnl_spec = { ip6tnl_attrs, ip6tnl_hook, ip6tnl_info,
					     KS_RAW | KS_REPLACE };

/* ---- GRE family: gre, gretap, ip6gre, ip6gretap, erspan, ip6erspan ----- */
#define H_GRE_CSUM 0x8000
#define H_GRE_KEY  0x2000
#define H_GRE_SEQ  0x1000

/* key = ikey = okey: an integer or a dotted quad, as iproute2 takes it */
static int read_key(kctx *c, const char *key, uint32_t *out)
{
	lua_State *L = c->L;
	struct in_addr a;
	lua_getfield(L, c->idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING && inet_pton(AF_INET, lua_tostring(L, -1), &a) == 1) {
		*out = ntohl(a.s_addr);
	} else if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1) &&
		   lua_tointeger(L, -1) >= 0 && lua_tointeger(L, -1) <= 0xffffffffLL) {
		*out = (uint32_t)lua_tointeger(L, -1);
	} else {
		luaL_error(L, "%s: option '%s' must be an integer between 0 and 4294967295 "
			   "or a dotted quad, got %s%s%s", c->fn, key,
			   lua_type(L, -1) == LUA_TSTRING ? "'" : "",
			   lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
							   : luaL_typename(L, -1),
			   lua_type(L, -1) == LUA_TSTRING ? "'" : "");
	}
	lua_pop(L, 1);
	return 1;
}

/* Reads key, ikey and okey into ik and ok; returns a mask: 1 ikey, 2 okey. */
static int read_keys(kctx *c, uint32_t *ik, uint32_t *ok)
{
	uint32_t k;
	int m = 0;
	if (read_key(c, "key", &k)) {
		if (has_opt(c->L, c->idx, "ikey") || has_opt(c->L, c->idx, "okey"))
			luaL_error(c->L, "%s: option 'key' excludes 'ikey' and 'okey'", c->fn);
		*ik = *ok = k;
		m = 3;
	}
	if (read_key(c, "ikey", ik))
		m |= 1;
	if (read_key(c, "okey", ok))
		m |= 2;
	return m;
}

static int gre_common(kctx *c, int erspan)
{
	lua_State *L = c->L;
	uint16_t ifl = (uint16_t)ntohs((uint16_t)cur_u32(c, IFLA_GRE_IFLAGS, 2));
	uint16_t ofl = (uint16_t)ntohs((uint16_t)cur_u32(c, IFLA_GRE_OFLAGS, 2));
	uint32_t ik = 0, ok = 0;
	int m, on, fl = 0;
	static const struct { const char *key; int dir; uint16_t bit; } bits[] = {
		{ "csum", 3, H_GRE_CSUM }, { "icsum", 1, H_GRE_CSUM }, { "ocsum", 2, H_GRE_CSUM },
		{ "seq", 3, H_GRE_SEQ }, { "iseq", 1, H_GRE_SEQ }, { "oseq", 2, H_GRE_SEQ },
		{ NULL, 0, 0 } };
	int i;

	m = read_keys(c, &ik, &ok);
	if (m & 1) {
		kput_u32(c, IFLA_GRE_IKEY, htonl(ik));
		ifl |= H_GRE_KEY;
		fl = 1;
	}
	if (m & 2) {
		kput_u32(c, IFLA_GRE_OKEY, htonl(ok));
		ofl |= H_GRE_KEY;
		fl = 1;
	}
	for (i = 0; bits[i].key; i++) {
		if (erspan && bits[i].bit == H_GRE_SEQ)
			continue;
		if (!vn_opt_bool(L, c->idx, c->fn, bits[i].key, &on))
			continue;
		fl = 1;
		if (bits[i].dir & 1)
			ifl = on ? ifl | bits[i].bit : ifl & ~bits[i].bit;
		if (bits[i].dir & 2)
			ofl = on ? ofl | bits[i].bit : ofl & ~bits[i].bit;
	}
	if (erspan && !c->cur) {
		/* ERSPAN needs a key and sequence numbers both ways */
		int ext = 0;
		vn_opt_bool(L, c->idx, c->fn, "external", &ext);
		if (!ext && m != 3)
			luaL_error(L, "%s: option 'key' is required for a %s", c->fn,
				   c->kname);
		if (!ext) {
			ifl |= H_GRE_SEQ | H_GRE_KEY;
			ofl |= H_GRE_SEQ | H_GRE_KEY;
			fl = 1;
		}
	}
	if (fl) {
		kput_u16(c, IFLA_GRE_IFLAGS, htons(ifl));
		kput_u16(c, IFLA_GRE_OFLAGS, htons(ofl));
	}
	return 0;
}

static void gre_info(lua_State *L, struct nlattr **tb)
{
	uint16_t ifl = tb[IFLA_GRE_IFLAGS] ? ntohs((uint16_t)get_num(tb[IFLA_GRE_IFLAGS], 2)) : 0;
	uint16_t ofl = tb[IFLA_GRE_OFLAGS] ? ntohs((uint16_t)get_num(tb[IFLA_GRE_OFLAGS], 2)) : 0;
	uint32_t ik = tb[IFLA_GRE_IKEY] ? ntohl(get_num(tb[IFLA_GRE_IKEY], 4)) : 0;
	uint32_t ok = tb[IFLA_GRE_OKEY] ? ntohl(get_num(tb[IFLA_GRE_OKEY], 4)) : 0;
	if (ifl & H_GRE_KEY) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "ikey");
	}
	if (ofl & H_GRE_KEY) {
		lua_pushinteger(L, ok);
		lua_setfield(L, -2, "okey");
	}
	if ((ifl & H_GRE_KEY) && (ofl & H_GRE_KEY) && ik == ok) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "key");
	}
	setbool(L, "iseq", (ifl & H_GRE_SEQ) != 0);
	setbool(L, "oseq", (ofl & H_GRE_SEQ) != 0);
	setbool(L, "icsum", (ifl & H_GRE_CSUM) != 0);
	setbool(L, "ocsum", (ofl & H_GRE_CSUM) != 0);
	setbool(L, "seq", (ifl & ofl & H_GRE_SEQ) != 0);
	setbool(L, "csum", (ifl & ofl & H_GRE_CSUM) != 0);
}

#define GRE_KEY_ATTRS                                                             \
	{ "key", 0, 0, T_HOOK, 0, 0, 0, NULL },                                   \
	{ "ikey", 0, 0, T_HOOK, 0, 0, 0, NULL },                                  \
	{ "okey", 0, 0, T_HOOK, 0, 0, 0, NULL },                                  \
	{ "csum", 0, 0, T_HOOK, 0, 0, 0, NULL },                                  \
	{ "icsum", 0, 0, T_HOOK, 0, 0, 0, NULL },                                 \
	{ "ocsum", 0, 0, T_HOOK, 0, 0, 0, NULL }
#define GRE_SEQ_ATTRS                                                             \
	{ "seq", 0, 0, T_HOOK, 0, 0, 0, NULL },                                   \
	{ "iseq", 0, 0, T_HOOK, 0, 0, 0, NULL },                                  \
	{ "oseq", 0, 0, T_HOOK, 0, 0, 0, NULL }
#define GRE4_ATTRS                                                                \
	{ "remote", IFLA_GRE_REMOTE, 0, T_IN4, 0, 0, 0, NULL },                   \
	{ "local", IFLA_GRE_LOCAL, 0, T_IN4, 0, 0, 0, NULL },                     \
	{ "dev", IFLA_GRE_LINK, 0, T_LINK, 0, 0, 0, NULL },                       \
	{ "ttl", IFLA_GRE_TTL, 0, T_U8, 0, 0, 255, ttl_names },                   \
	{ "tos", IFLA_GRE_TOS, 0, T_U8, 0, 0, 255, tos_names },                   \
	{ "pmtudisc", IFLA_GRE_PMTUDISC, 0, T_BOOL, 0, 0, 0, NULL },              \
	{ "ignore_df", IFLA_GRE_IGNORE_DF, 0, T_BOOL, 0, 0, 0, NULL },            \
	{ "fwmark", IFLA_GRE_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },        \
	{ "external", IFLA_GRE_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL }
#define GRE6_ATTRS                                                                \
	{ "remote", IFLA_GRE_REMOTE, 0, T_IN6, 0, 0, 0, NULL },                   \
	{ "local", IFLA_GRE_LOCAL, 0, T_IN6, 0, 0, 0, NULL },                     \
	{ "dev", IFLA_GRE_LINK, 0, T_LINK, 0, 0, 0, NULL },                       \
	{ "ttl", IFLA_GRE_TTL, 0, T_U8, 0, 0, 255, ttl_names },                   \
	{ "fwmark", IFLA_GRE_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },        \
	{ "external", IFLA_GRE_COLLECT_METADATA, 0, T_FLAG, KA_FIXED, 0, 0, NULL }, \
	{ "encaplimit", 0, 0, T_HOOK, 0, 0, 0, NULL },                            \
	{ "tclass", 0, 0, T_HOOK, 0, 0, 0, NULL },                                \
	{ "flowlabel", 0, 0, T_HOOK, 0, 0, 0, NULL }
static const sym erspan_dirs[] = { { "ingress", 0 }, { "egress", 1 }, { NULL, 0 } };
#define ERSPAN_ATTRS                                                              \
	{ "version", IFLA_GRE_ERSPAN_VER, 0, T_U8, 0, 1, 2, NULL },               \
	{ "index", IFLA_GRE_ERSPAN_INDEX, 0, T_U32, 0, 0, 0xfffff, NULL },        \
	{ "direction", IFLA_GRE_ERSPAN_DIR, 0, T_ENUM8, 0, 0, 0, erspan_dirs },   \
	{ "hwid", IFLA_GRE_ERSPAN_HWID, 0, T_U16, 0, 0, 63, NULL }

static const kattr gre_attrs[] = { GRE4_ATTRS, GRE_KEY_ATTRS, GRE_SEQ_ATTRS,
				   { NULL, 0, 0, 0, 0, 0, 0, NULL } };
static const kattr gre6_attrs[] = { GRE6_ATTRS, GRE_KEY_ATTRS, GRE_SEQ_ATTRS,
				    { NULL, 0, 0, 0, 0, 0, 0, NULL } };
static const kattr erspan_attrs[] = { GRE4_ATTRS, GRE_KEY_ATTRS, ERSPAN_ATTRS,
				      { NULL, 0, 0, 0, 0, 0, 0, NULL } };
static const kattr erspan6_attrs[] = { GRE6_ATTRS, GRE_KEY_ATTRS, ERSPAN_ATTRS,
				       { NULL, 0, 0, 0, 0, 0, 0, NULL } };

/* ERSPAN: index belongs to version 1, direction and hwid to version 2 */
static int erspan_check(kctx *c)
{
	lua_Integer ver = 1;
	static const kattr v = { "version", 0, 0, T_U8, 0, 1, 2, NULL };
	lua_getfield(c->L, c->idx, "version");
	if (!lua_isnil(c->L, -1))
		ver = num_at(c->L, c->fn, &v);
	else if (c->cur && c->cur[IFLA_GRE_ERSPAN_VER])
		ver = get_num(c->cur[IFLA_GRE_ERSPAN_VER], 1);
	lua_pop(c->L, 1);
	if (ver == 1 && (has_opt(c->L, c->idx, "direction") || has_opt(c->L, c->idx, "hwid")))
		luaL_error(c->L, "%s: options 'direction' and 'hwid' need version 2", c->fn);
	if (ver == 2 && has_opt(c->L, c->idx, "index"))
		luaL_error(c->L, "%s: option 'index' needs version 1", c->fn);
	return gre_common(c, 1);
}

static int gre_hook(kctx *c) { return gre_common(c, 0); }
static int gre6_hook(kctx *c) { gre_common(c, 0); return ip6_hook(c, &ip6gre_a); }
static int erspan6_hook(kctx *c) { erspan_check(c); return ip6_hook(c, &ip6gre_a); }
static void gre6_info(lua_State *L, struct nlattr **tb)
{
	gre_info(L, tb);
	ip6_info(L, tb, &ip6gre_a);
}
static void erspan_info(lua_State *L, struct nlattr **tb)
{
	gre_info(L, tb);
	lua_pushnil(L);
	lua_setfield(L, -2, "seq");
}
static void erspan6_info(lua_State *L, struct nlattr **tb)
{
	erspan_info(L, tb);
	ip6_info(L, tb, &ip6gre_a);
}

static const struct vn_kspec gre_spec = { gre_attrs, gre_hook, gre_info,
					   KS_RAW | KS_REPLACE };
static const struct vn_kspec gre6_spec = { gre6_attrs, gre6_hook, gre6_info,
					   KS_RAW | KS_REPLACE };
static const struct vn_kspec erspan_spec = { erspan_attrs, erspan_check, erspan_info,
					     KS_RAW | KS_REPLACE };
static const struct vn_kspec erspan6_spec = { erspan6_attrs, erspan6_hook, erspan6_info,
					      KS_RAW | KS_REPLACE };

/* ---- vti, vti6 --------------------------------------------------------- */
static const kattr vti_attrs[] = {
	{ "remote", IFLA_VTI_REMOTE, 0, T_IN4, 0, 0, 0, NULL },
	{ "local", IFLA_VTI_LOCAL, 0, T_IN4, 0, 0, 0, NULL },
	{ "dev", IFLA_VTI_LINK, 0, T_LINK, 0, 0, 0, NULL },
	{ "fwmark", IFLA_VTI_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "key", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "ikey", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "okey", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};
static const kattr vti6_attrs[] = {
	{ "remote", IFLA_VTI_REMOTE, 0, T_IN6, 0, 0, 0, NULL },
	{ "local", IFLA_VTI_LOCAL, 0, T_IN6, 0, 0, 0, NULL },
	{ "dev", IFLA_VTI_LINK, 0, T_LINK, 0, 0, 0, NULL },
	{ "fwmark", IFLA_VTI_FWMARK, 0, T_U32, 0, 0, 0xffffffffLL, NULL },
	{ "key", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "ikey", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ "okey", 0, 0, T_HOOK, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static int vti_hook(kctx *c)
{
	uint32_t ik = 0, ok = 0;
	int m = read_keys(c, &ik, &ok);
	if (m & 1)
		kput_u32(c, IFLA_VTI_IKEY, htonl(ik));
	if (m & 2)
		kput_u32(c, IFLA_VTI_OKEY, htonl(ok));
	return 0;
}

static void vti_info(lua_State *L, struct nlattr **tb)
{
	uint32_t ik = tb[IFLA_VTI_IKEY] ? ntohl(get_num(tb[IFLA_VTI_IKEY], 4)) : 0;
	uint32_t ok = tb[IFLA_VTI_OKEY] ? ntohl(get_num(tb[IFLA_VTI_OKEY], 4)) : 0;
	lua_pushinteger(L, ik);
	lua_setfield(L, -2, "ikey");
	lua_pushinteger(L, ok);
	lua_setfield(L, -2, "okey");
	if (ik == ok) {
		lua_pushinteger(L, ik);
		lua_setfield(L, -2, "key");
	}
}
static const struct vn_kspec vti_spec = { vti_attrs, vti_hook, vti_info,
					   KS_RAW | KS_REPLACE };
static const struct vn_kspec vti6_spec = { vti6_attrs, vti_hook, vti_info,
					   KS_RAW | KS_REPLACE };

/* ---- kinds without settings -------------------------------------------- */
static const struct vn_kspec plain_spec = { NULL, NULL, NULL, 0 };

/* ---- the table --------------------------------------------------------- */
#define KROW(name, spec) { name, NULL, NULL, kind_parse, kind_info, NULL, &spec }

static vn_kind kinds[] = {
	{ "veth", veth_keys, rtnl_link_veth_alloc, veth_parse, veth_info, NULL, NULL },
	KROW("bridge", bridge_spec),
	KROW("vlan", vlan_spec),
	KROW("vxlan", vxlan_spec),
	KROW("macvlan", macvlan_spec),
	KROW("macvtap", macvlan_spec),
	KROW("ipvlan", ipvlan_spec),
	KROW("ipvtap", ipvlan_spec),
	{ "tun", NULL, NULL, NULL, kind_info, vn_tun_create, &tun_spec },
	{ "tap", NULL, NULL, NULL, kind_info, vn_tap_create, &tap_spec },
	KROW("dummy", plain_spec),
	KROW("ifb", plain_spec),
	KROW("nlmon", plain_spec),
	KROW("bond", bond_spec),
	KROW("vrf", vrf_spec),
	KROW("geneve", geneve_spec),
	KROW("macsec", macsec_spec),
	KROW("ipip", ipip_spec),
	KROW("sit", sit_spec),
	KROW("ip6tnl", ip6tnl_spec),
	KROW("gre", gre_spec),
	KROW("gretap", gre_spec),
	KROW("ip6gre", gre6_spec),
	KROW("ip6gretap", gre6_spec),
	KROW("erspan", erspan_spec),
	KROW("ip6erspan", erspan6_spec),
	KROW("vti", vti_spec),
	KROW("vti6", vti6_spec),
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL }
};

#define NKINDS (sizeof kinds / sizeof kinds[0] - 1)
#define MAXKEYS 48
static const char *kind_keys[NKINDS][MAXKEYS];
static info_ops kind_ops[NKINDS];
static struct rtnl_link_info_ops *libnl_ops[NKINDS];   /* replaced, to put back */
static int registered[NKINDS];

/* At load: the key lists, and our info operations for the table kinds. */
static void __attribute__((constructor)) kinds_init(void)
{
	size_t i;
	for (i = 0; i < NKINDS; i++) {
		vn_kind *k = &kinds[i];
		const kattr *a;
		int n = 0;
		if (!k->spec)
			continue;
		for (a = k->spec->attrs; a && a->key && n < MAXKEYS - 1; a++)
			if (!(a->flags & KA_RO))
				kind_keys[i][n++] = a->key;
		kind_keys[i][n] = NULL;
		k->keys = kind_keys[i];
		if (!(k->spec->flags & KS_RAW))
			continue;
		kind_ops[i].io_name = (char *)k->name;
		kind_ops[i].io_alloc = io_alloc;
		kind_ops[i].io_parse = io_parse;
		kind_ops[i].io_clone = io_clone;
		kind_ops[i].io_put_attrs = io_put_attrs;
		kind_ops[i].io_free = io_free;
		kind_ops[i].io_compare = io_compare;
		{
			struct rtnl_link_info_ops *old = rtnl_link_info_ops_lookup(k->name);
			if (old) {
				rtnl_link_info_ops_put(old);
				if (rtnl_link_unregister_info(old) < 0)
					continue;   /* in use: libnl keeps the kind */
				libnl_ops[i] = old;
			}
		}
		if (rtnl_link_register_info((struct rtnl_link_info_ops *)&kind_ops[i]) == 0)
			registered[i] = 1;
		else if (libnl_ops[i] && rtnl_link_register_info(libnl_ops[i]) == 0)
			libnl_ops[i] = NULL;
	}
}

static void __attribute__((destructor)) kinds_fini(void)
{
	size_t i;
	for (i = 0; i < NKINDS; i++) {
		if (registered[i] &&
		    rtnl_link_unregister_info((struct rtnl_link_info_ops *)&kind_ops[i]) == 0)
			registered[i] = 0;
		if (!registered[i] && libnl_ops[i]) {
			rtnl_link_register_info(libnl_ops[i]);
			libnl_ops[i] = NULL;
		}
	}
}

/* Whether our info operations serve the kind (or it needs none). */
static int kind_ready(const vn_kind *k)
{
	return !k->spec || !(k->spec->flags & KS_RAW) || registered[k - kinds];
}

/* A kind served by our info operations, for holder objects. */
static const char *raw_kind(void)
{
	size_t i;
	for (i = 0; i < NKINDS; i++)
		if (registered[i])
			return kinds[i].name;
	return NULL;
}

const vn_kind *vn_kind_find(const char *name)
{
	const vn_kind *k;
	for (k = kinds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void vn_kind_names(lua_State *L)
{
	const vn_kind *k;
	int i = 1;
	lua_newtable(L);
	for (k = kinds; k->name; k++) {
		lua_pushstring(L, k->name);
		lua_rawseti(L, -2, i++);
	}
}

/* ---- changing a link's kind settings ------------------------------------ */
static int what_fail(lua_State *L, vn_ns *ns, const char *fn, const char *name,
		     int idx, const char *what)
{
	lua_getfield(L, idx, what);
	lua_pushfstring(L, "%s %s: %s '%s'", fn, name, what,
			lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	return vn_fail(L, lua_tostring(L, -1), ns->err ? ns->err : ENODEV, NULL);
}

/* link:set_info{ kind options } -> link (refreshed) | nil, msg, errname
 * Changes the kind-specific settings of a link (vlan flags, vxlan ttl,
 * bridge stp, bond miimon, tunnel remote...). Options that a kind cannot
 * change raise; the kernel's refusals come back as the failure triple. */
static int m_set_info(lua_State *L)
{
	struct rtnl_link *orig = vn_link_check(L, 1);
	const char *t = rtnl_link_get_type(orig), *what = NULL;
	const char *name = rtnl_link_get_name(orig);
	const vn_kind *k = t ? vn_kind_find(t) : NULL;
	struct nlattr *cur[TB_MAX + 1];
	struct rtnl_link *chg;
	struct nl_msg *msg = NULL;
	char kname[48];
	vn_ns *ns;
	kctx c;
	int r, ifindex = rtnl_link_get_ifindex(orig);

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	if (!k || !k->spec || !k->keys || !k->keys[0])
		return luaL_error(L, "set_info: a %s link has no settings of its own",
				  t ? t : "device");
	vn_opts_check(L, 2, "set_info", k->keys);
	ns = vn_box_ns(L, 1);                                   /* 3: handle */
	kd_snapshot(L, orig, cur);                              /* 4: current data */
	snprintf(kname, sizeof kname, "%s link", k->name);
	memset(&c, 0, sizeof c);
	c.L = L; c.idx = 2; c.ns = ns; c.k = k; c.kname = kname; c.fn = "set_info";
	c.cur = cur; c.what = &what;
	if (k->create) {
		/* tun/tap: changed through /dev/net/tun, not RTM_NEWLINK */
		const kattr *a;
		vn_tunreq req;
		if (vn_deferred(ns))
			return luaL_error(L, "set_info: the settings of a %s device cannot be "
					  "changed inside ns:batch (they are changed through "
					  "/dev/net/tun at once, not queued)", k->name);
		for (a = k->spec->attrs; a->key; a++)
			if ((a->flags & KA_FIXED) && has_opt(L, 2, a->key))
				return luaL_error(L, "set_info: option '%s' of a %s cannot be "
						  "changed", a->key, kname);
		req.uid = req.gid = -1;
		req.flags = (cur[IFLA_TUN_TYPE] ? get_num(cur[IFLA_TUN_TYPE], 1) : IFF_TUN) |
			    (cur[IFLA_TUN_PI] && get_num(cur[IFLA_TUN_PI], 1) ? 0 : IFF_NO_PI) |
			    (cur[IFLA_TUN_VNET_HDR] && get_num(cur[IFLA_TUN_VNET_HDR], 1)
				 ? IFF_VNET_HDR : 0) |
			    (cur[IFLA_TUN_MULTI_QUEUE] && get_num(cur[IFLA_TUN_MULTI_QUEUE], 1)
				 ? IFF_MULTI_QUEUE : 0);
		vn_tun_opts(L, 2, "set_info", &req);
		r = vn_tun_apply(ns, name, &req, 0);
		if (r < 0)
			return vn_fail(L, lua_pushfstring(L, "set_info %s", name), -r, NULL);
	} else {
		chg = vn_link_guard(L, NULL, "set_info");                /* 5: guard */
		if (rtnl_link_set_type(chg, t) < 0)
			return luaL_error(L, "set_info: out of memory");
		c.l = chg;
		r = kparse(&c);
		if (r < 0)
			return what_fail(L, ns, "set_info", name, 2, what);
		if (k->spec->flags & KS_REPLACE) {
			struct nlattr *now[TB_MAX + 1];
			int i;
			kd_snapshot(L, chg, now);               /* 6 */
			for (i = 1; i <= TB_MAX; i++)
				if (cur[i] && !now[i] &&
				    kd_put(chg, i, nla_data(cur[i]), (size_t)nla_len(cur[i])) < 0)
					return luaL_error(L, "set_info: out of memory");
		}
		if (rtnl_link_build_change_request(orig, chg, 0, &msg) < 0) {
			ns->err = ENOMEM;
			return vn_nsfail(L, ns, lua_pushfstring(L, "set_info %s", name));
		}
		r = vn_talk(ns, msg);
		nlmsg_free(msg);
		if (r < 0)
			return vn_nsfail(L, ns, lua_pushfstring(L, "set_info %s", name));
		if (vn_deferred(ns)) {
			lua_pushboolean(L, 1);
			return 1;
		}
	}
	if (vn_link_refresh(L, 1, ns, ifindex) < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "set_info %s: reading it back",
							name));
	lua_settop(L, 1);
	return 1;
}

/* ---- ports: a link's settings as the port of a bridge or a bond --------- */
static const sym brport_states[] = { { "disabled", 0 }, { "listening", 1 },
	{ "learning", 2 }, { "forwarding", 3 }, { "blocking", 4 }, { NULL, 0 } };
static const sym brport_mcrouter[] = { { "disabled", 0 }, { "auto", 1 },
	{ "permanent", 2 }, { "temporary", 3 }, { NULL, 0 } };

static const kattr brport_attrs[] = {
	{ "state", IFLA_BRPORT_STATE, 0, T_ENUM8, 0, 0, 0, brport_states },
	{ "priority", IFLA_BRPORT_PRIORITY, 0, T_U16, 0, 0, 63, NULL },
	{ "cost", IFLA_BRPORT_COST, 0, T_U32, 0, 1, 65535, NULL },
	{ "hairpin", IFLA_BRPORT_MODE, 0, T_BOOL, 0, 0, 0, NULL },
	{ "guard", IFLA_BRPORT_GUARD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "root_block", IFLA_BRPORT_PROTECT, 0, T_BOOL, 0, 0, 0, NULL },
	{ "fastleave", IFLA_BRPORT_FAST_LEAVE, 0, T_BOOL, 0, 0, 0, NULL },
	{ "learning", IFLA_BRPORT_LEARNING, 0, T_BOOL, 0, 0, 0, NULL },
	{ "flood", IFLA_BRPORT_UNICAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "mcast_flood", IFLA_BRPORT_MCAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "bcast_flood", IFLA_BRPORT_BCAST_FLOOD, 0, T_BOOL, 0, 0, 0, NULL },
	{ "mcast_router", IFLA_BRPORT_MULTICAST_ROUTER, 0, T_ENUM8, 0, 0, 0, brport_mcrouter },
	{ "mcast_to_unicast", IFLA_BRPORT_MCAST_TO_UCAST, 0, T_BOOL, 0, 0, 0, NULL },
	{ "proxy_arp", IFLA_BRPORT_PROXYARP, 0, T_BOOL, 0, 0, 0, NULL },
	{ "neigh_suppress", IFLA_BRPORT_NEIGH_SUPPRESS, 0, T_BOOL, 0, 0, 0, NULL },
	{ "isolated", IFLA_BRPORT_ISOLATED, 0, T_BOOL, 0, 0, 0, NULL },
	{ "group_fwd_mask", IFLA_BRPORT_GROUP_FWD_MASK, 0, T_U16, 0, 0, 65535, NULL },
	{ "id", IFLA_BRPORT_ID, 0, T_U16, KA_RO, 0, 0, NULL },
	{ "no", IFLA_BRPORT_NO, 0, T_U16, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const sym bslave_states[] = { { "active", 0 }, { "backup", 1 }, { NULL, 0 } };
static const sym bslave_mii[] = { { "up", 0 }, { "going_down", 1 }, { "down", 2 },
				  { "going_back", 3 }, { NULL, 0 } };
static const kattr bondport_attrs[] = {
	{ "queue_id", IFLA_BOND_SLAVE_QUEUE_ID, 0, T_U16, 0, 0, 65535, NULL },
	{ "state", IFLA_BOND_SLAVE_STATE, 0, T_ENUM8, KA_RO, 0, 0, bslave_states },
	{ "mii_status", IFLA_BOND_SLAVE_MII_STATUS, 0, T_ENUM8, KA_RO, 0, 0, bslave_mii },
	{ "link_failure_count", IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 0, T_U32, KA_RO, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const struct { const char *kind; const kattr *attrs; } port_kinds[] = {
	{ "bridge", brport_attrs }, { "bond", bondport_attrs }, { NULL, NULL }
};

static const kattr *port_attrs(const char *kind)
{
	int i;
	for (i = 0; port_kinds[i].kind; i++)
		if (!strcmp(port_kinds[i].kind, kind))
			return port_kinds[i].attrs;
	return NULL;
}

static int open_rtnl(void *arg)
{
	int *fd = (int *)arg;
	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	return *fd < 0 ? -errno : 0;
}

#define PORT_BUF 65536

/* Asks the kernel for the link at ifindex with its own socket (libnl's
 * parser drops the port data) and finds the port kind and data in it.
 * buf is a PORT_BUF buffer. 0 (kind may stay NULL when the link is no
 * port) or -errno. */
static int port_query(vn_ns *ns, int ifindex, unsigned char *buf,
		      const char **kind, struct nlattr **data)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	int fd = -1, r;
	ssize_t n;

	*kind = NULL;
	*data = NULL;
	if ((r = vn_in_ns(ns->fd, open_rtnl, &fd)) < 0)
		return r;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	if (send(fd, &req, sizeof req, 0) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	n = recv(fd, buf, PORT_BUF, 0);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (n < (ssize_t)sizeof *h || !NLMSG_OK(h, (unsigned)n))
		return -EIO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
		return e->error ? e->error : -EIO;
	}
	if (h->nlmsg_type != RTM_NEWLINK)
		return -EIO;
	if (nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return -EIO;
	if (!tb[IFLA_LINKINFO] ||
	    nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0)
		return 0;
	if (li[IFLA_INFO_SLAVE_KIND])
		*kind = nla_get_string(li[IFLA_INFO_SLAVE_KIND]);
	*data = li[IFLA_INFO_SLAVE_DATA];
	return 0;
}

/* link:port() -> { kind = "bridge", cost =, priority =, state =, ... } with
 * the link's settings as a port of its master (bridge or bond); nil, msg,
 * "ENOENT" if it is no port. */
static int m_port(lua_State *L)
{
	struct rtnl_link *l = vn_link_check(L, 1);
	unsigned char *buf;
	struct nlattr *tb[TB_MAX + 1], *data;
	const char *kind;
	const kattr *attrs;
	vn_ns *ns;
	int r;

	lua_settop(L, 1);
	ns = vn_box_ns(L, 1);                               /* 2 */
	buf = (unsigned char *)lua_newuserdata(L, PORT_BUF);  /* 3 */
	r = port_query(ns, rtnl_link_get_ifindex(l), buf, &kind, &data);
	if (r < 0)
		return vn_fail(L, lua_pushfstring(L, "port %s", rtnl_link_get_name(l)), -r, NULL);
	if (!kind)
		return vn_fail(L, lua_pushfstring(L, "port %s: not the port of a bridge or "
						  "a bond", rtnl_link_get_name(l)), ENOENT, NULL);
	lua_newtable(L);
	lua_pushstring(L, kind);
	lua_setfield(L, -2, "kind");
	if (rtnl_link_get_master(l)) {
		lua_pushinteger(L, rtnl_link_get_master(l));
		lua_setfield(L, -2, "master");
	}
	memset(tb, 0, sizeof tb);
	if (data)
		nla_parse_nested(tb, TB_MAX, data, NULL);
	if ((attrs = port_attrs(kind)))
		kinfo_attrs(L, attrs, tb);
	return 1;
}

/* A port change of the link at ifindex: the attributes of IFLA_INFO_SLAVE_DATA
 * (len bytes at data), or, with data NULL, those of tb[] that differ
 * between now[] and cur[] (each put back as in cur). 0, 1 when there is
 * nothing to send, or -errno. */
static int port_change(vn_ns *ns, int ifindex, const void *data, size_t len,
		       struct nlattr **tb, struct nlattr **now, struct nlattr **cur)
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct ifinfomsg ifi;
	struct nlattr *li, *d;
	int r = -ENOMEM, i, any = data != NULL;

	memset(&ifi, 0, sizeof ifi);
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    !(li = nla_nest_start(msg, IFLA_LINKINFO)))
		goto out;
	if (data) {
		if (nla_put(msg, IFLA_INFO_SLAVE_DATA | NLA_F_NESTED, (int)len, data) < 0)
			goto out;
	} else {
		if (!(d = nla_nest_start(msg, IFLA_INFO_SLAVE_DATA)))
			goto out;
		for (i = 1; i <= TB_MAX; i++) {
			if (!tb[i] || !cur[i] || !now[i] ||
			    (nla_len(now[i]) == nla_len(cur[i]) &&
			     !memcmp(nla_data(now[i]), nla_data(cur[i]), (size_t)nla_len(cur[i]))))
				continue;
			if (nla_put(msg, i, nla_len(cur[i]), nla_data(cur[i])) < 0)
				goto out;
			any = 1;
		}
		nla_nest_end(msg, d);
	}
	nla_nest_end(msg, li);
	r = any ? vn_talk(ns, msg) : 1;
out:
	if (r == -ENOMEM)
		ns->err = ENOMEM;
	nlmsg_free(msg);
	return r;
}

/* link:set_port{ cost =, priority =, state =, learning =, ... } -> link |
 * nil, msg, errname: changes the link's settings as a port of its bridge
 * (or bond: queue_id). All or nothing: the kernel applies the settings one
 * at a time and keeps those before one it refuses (a cost and a priority
 * before a state it cannot take), so a refused change is undone. */
static int m_set_port(lua_State *L)
{
	struct rtnl_link *l = vn_link_check(L, 1);
	const char *name = rtnl_link_get_name(l), *kind, *what = NULL;
	const char *keys[MAXKEYS];
	unsigned char *buf;
	struct nlattr *cur[TB_MAX + 1], *data, *tb[TB_MAX + 1];
	struct rtnl_link *holder;
	const kattr *attrs, *a;
	char kname[48];
	vn_ns *ns;
	kctx c;
	int r, n = 0, ifindex = rtnl_link_get_ifindex(l);

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	ns = vn_box_ns(L, 1);                                   /* 3 */
	buf = (unsigned char *)lua_newuserdata(L, PORT_BUF);    /* 4 */
	r = port_query(ns, ifindex, buf, &kind, &data);
	if (r < 0)
		return vn_fail(L, lua_pushfstring(L, "set_port %s", name), -r, NULL);
	if (!kind || !(attrs = port_attrs(kind)))
		return vn_fail(L, lua_pushfstring(L, "set_port %s: not the port of a bridge "
						  "or a bond", name), ENOENT, NULL);
	for (a = attrs; a->key && n < MAXKEYS - 1; a++)
		if (!(a->flags & KA_RO))
			keys[n++] = a->key;
	keys[n] = NULL;
	vn_opts_check(L, 2, "set_port", keys);
	memset(cur, 0, sizeof cur);
	if (data)
		nla_parse_nested(cur, TB_MAX, data, NULL);
	/* the options are built into a holder link of a kind with our info
	 * operations, which frees them with the guard box */
	holder = vn_link_guard(L, NULL, "set_port");                     /* 5 */
	if (!raw_kind())
		return luaL_error(L, "set_port: unavailable in this process (libnl's own "
				  "link support is in use)");
	if (rtnl_link_set_type(holder, raw_kind()) < 0)
		return luaL_error(L, "set_port: out of memory");
	snprintf(kname, sizeof kname, "%s port", kind);
	memset(&c, 0, sizeof c);
	c.L = L; c.idx = 2; c.ns = ns; c.l = holder; c.kname = kname; c.fn = "set_port";
	c.cur = cur; c.what = &what;
	if ((r = kparse_attrs(&c, attrs)) < 0)
		return what_fail(L, ns, "set_port", name, 2, what);
	if (kd_len(holder) == 0) {
		lua_settop(L, 1);
		return 1;       /* nothing to change */
	}
	kd_snapshot(L, holder, tb);                             /* 6: the options */
	r = port_change(ns, ifindex, lua_touserdata(L, 6), lua_rawlen(L, 6), NULL, NULL, NULL);
	if (r < 0 && !vn_deferred(ns)) {
		/* put back what the kernel applied before it refused (calling no
		 * Lua, which could raise half way) */
		struct nlattr *now[TB_MAX + 1];
		unsigned char *nbuf = (unsigned char *)malloc(PORT_BUF);
		const char *nkind;
		char m[VN_ERRLEN];
		int e = ns->err;
		memcpy(m, ns->msg, sizeof m);
		memset(now, 0, sizeof now);
		if (nbuf && port_query(ns, ifindex, nbuf, &nkind, &data) == 0 && nkind &&
		    !strcmp(nkind, kind) && data) {
			nla_parse_nested(now, TB_MAX, data, NULL);
			port_change(ns, ifindex, NULL, 0, tb, now, cur);
		}
		free(nbuf);
		ns->err = e;
		memcpy(ns->msg, m, sizeof m);
	}
	if (r < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "set_port %s", name));
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (vn_link_refresh(L, 1, ns, ifindex) < 0)
		return vn_nsfail(L, ns, lua_pushfstring(L, "set_port %s: reading it back", name));
	lua_settop(L, 1);
	return 1;
}

static const luaL_Reg kind_methods[] = {
	{ "set_info", m_set_info },
	{ "port", m_port },
	{ "set_port", m_set_port },
	{ NULL, NULL }
};

void vn_open_kinds(lua_State *L)
{
	vn_type_methods(L, VN_LINK, kind_methods);
}
