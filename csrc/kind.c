/*
 * kind.c - the link kind row engine: the one parser and the one info
 * reader of the kinds' attribute tables (kind.h), the kind rows looked up
 * by name (those of kind_l2.c and kind_tunnel.c), the request a kind's
 * options are written into (vn_kreq) and its IFLA_LINKINFO, the kind
 * methods of links (link:set_info here, link:port and link:set_port of
 * kind_port.c), and the kind table exported to Lua (vnet.core.kind,
 * tunnel_modes).
 *
 * Attributes are written with libnl's public nla_* API into an nl_msg the
 * request owns, and read back from the link's own message: no libnl link
 * info operations are used or replaced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "kind.h"
#include "msg.h"

/* ---- the request a kind's options are written into ---------------------- */
/* A request is the body of a guard (netns.h) that frees its message. */
static void kreq_fin(void *body)
{
	nlmsg_free(((vn_kreq *)body)->data);
}

vn_kreq *vn_kreq_new(lua_State *L, const vn_kind *k, const char *fn)
{
	vn_kreq *r = (vn_kreq *)vn_guard_new(L, sizeof *r, kreq_fin);
	r->kind = k;
	if (!(r->data = nlmsg_alloc()))
		luaL_error(L, "%s: out of memory", fn);
	return r;
}

/* The attributes written into a request so far (*len bytes). */
static const void *kreq_attrs(const struct nl_msg *m, size_t *len)
{
	struct nlmsghdr *h = nlmsg_hdr((struct nl_msg *)m);
	*len = (size_t)nlmsg_datalen(h);
	return nlmsg_data(h);
}

int vn_kind_put(struct nl_msg *msg, const vn_kind *k, const vn_kreq *req)
{
	struct nlattr *li = nla_nest_start(msg, IFLA_LINKINFO);
	size_t n = 0;
	const void *p = req ? kreq_attrs(req->data, &n) : NULL;
	if (!li || nla_put_string(msg, IFLA_INFO_KIND, k->name) < 0 ||
	    (n && nla_put(msg, IFLA_INFO_DATA | NLA_F_NESTED, (int)n, p) < 0))
		return -ENOMEM;
	nla_nest_end(msg, li);
	return 0;
}

/* ---- writing attributes -------------------------------------------------- */
void kput(kctx *c, int type, const void *v, size_t n)
{
	if (nla_put(c->out, type, (int)n, v) < 0)
		luaL_error(c->L, "%s: out of memory", c->fn);
}
void kput_u8(kctx *c, int t, uint8_t v) { kput(c, t, &v, 1); }
void kput_u16(kctx *c, int t, uint16_t v) { kput(c, t, &v, 2); }
void kput_u32(kctx *c, int t, uint32_t v) { kput(c, t, &v, 4); }

int has_opt(lua_State *L, int idx, const char *key)
{
	int r;
	lua_getfield(L, idx, key);
	r = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return r;
}

/* Option key, one of the names of syms: 1 with *v set, 0 when absent. */
static int kopt_sym(kctx *c, const char *key, const sym *syms, uint32_t *v)
{
	const char *names[16];
	int i, n = 0;
	for (n = 0; syms[n].name && n < 15; n++)
		names[n] = syms[n].name;
	names[n] = NULL;
	if (!vn_opt_enum(c->L, c->idx, c->fn, key, names, &i))
		return 0;
	*v = syms[i].v;
	return 1;
}

int kopt_num(kctx *c, const kattr *a, uint32_t *v)
{
	lua_State *L = c->L;
	lua_Integer n;
	const sym *s;
	if (!a->syms) {
		if (!vn_opt_int(L, c->idx, c->fn, a->key, a->min, a->max, &n))
			return 0;
		*v = (uint32_t)n;
		return 1;
	}
	lua_getfield(L, c->idx, a->key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *got;
		luaL_Buffer b;
		lua_pushfstring(L, "option '%s'", a->key);
		got = vn_check_str(L, -2, c->fn, lua_tostring(L, -1), 0);
		lua_pop(L, 1);
		for (s = a->syms; s->name; s++)
			if (!strcmp(s->name, got)) {
				lua_pop(L, 1);
				*v = s->v;
				return 1;
			}
		luaL_buffinit(L, &b);
		lua_pushfstring(L, "%s: option '%s' must be an integer between %I and %I",
				c->fn, a->key, (lua_Integer)a->min, (lua_Integer)a->max);
		luaL_addvalue(&b);
		for (s = a->syms; s->name; s++) {
			lua_pushfstring(L, " or '%s'", s->name);
			luaL_addvalue(&b);
		}
		lua_pushfstring(L, ", got '%s'", got);
		luaL_addvalue(&b);
		luaL_pushresult(&b);
		lua_error(L);
	}
	lua_pushfstring(L, "option '%s'", a->key);
	*v = (uint32_t)vn_check_int(L, -2, c->fn, lua_tostring(L, -1), a->min, a->max);
	lua_pop(L, 2);
	return 1;
}

/* Address option key (a host address, not a prefix) into ip. */
static int kopt_host(kctx *c, const char *key, int family, vn_ip *ip)
{
	if (!vn_opt_ip(c->L, c->idx, c->fn, key, family, ip))
		return 0;
	if ((ip->len != 4 && ip->len != 16) || ip->plen != ip->len * 8)
		luaL_error(c->L, "%s: option '%s' must be a host address, not a prefix",
			   c->fn, key);
	return 1;
}

uint32_t get_num(const struct nlattr *a, int size)
{
	if (!a || nla_len(a) < size)
		return 0;
	return size == 1 ? nla_get_u8((struct nlattr *)a) :
	       size == 2 ? nla_get_u16((struct nlattr *)a) : nla_get_u32((struct nlattr *)a);
}

uint32_t cur_u32(kctx *c, int type, int size)
{
	return c->cur ? get_num(c->cur[type], size) : 0;
}

static int is_bit(const kattr *a)
{
	return (a->fmt == T_BIT16 || a->fmt == T_BIT32) && !(a->flags & KA_RO);
}

int kparse_attrs(kctx *c, const kattr *attrs)
{
	lua_State *L = c->L;
	const kattr *a, *b;
	int r, on, ref;
	uint32_t v, t;
	vn_ip ip;

	for (a = attrs; a && a->key; a++) {
		if (a->flags & KA_RO)
			continue;
		if (!has_opt(L, c->idx, a->key)) {
			if (!c->cur && (a->flags & KA_REQ))
				luaL_error(L, "%s: option '%s' is required for a %s",
					   c->fn, a->key, c->kname);
			continue;
		}
		if (c->cur && (a->flags & KA_FIXED))
			luaL_error(L, "%s: option '%s' of a %s cannot be changed",
				   c->fn, a->key, c->kname);
		switch (a->fmt) {
		case T_U8: case T_U16: case T_U32: case T_BE16: case T_BE32:
			kopt_num(c, a, &v);
			if (a->fmt == T_U8) kput_u8(c, a->type, (uint8_t)v);
			else if (a->fmt == T_U16) kput_u16(c, a->type, (uint16_t)v);
			else if (a->fmt == T_U32) kput_u32(c, a->type, v);
			else if (a->fmt == T_BE16) kput_u16(c, a->type, htons((uint16_t)v));
			else kput_u32(c, a->type, htonl(v));
			break;
		case T_BOOL: case T_BOOL32: case T_FLAG:
			vn_opt_bool(L, c->idx, c->fn, a->key, &on);
			if (a->fmt == T_BOOL)
				kput_u8(c, a->type, (uint8_t)on);
			else if (a->fmt == T_BOOL32)
				kput_u32(c, a->type, (uint32_t)on);
			else if (on)
				kput(c, a->type, NULL, 0);
			else if (c->cur)
				luaL_error(L, "%s: option '%s' of a %s cannot be turned off",
					   c->fn, a->key, c->kname);
			break;
		case T_ENUM8: case T_ENUM16: case T_ENUM32: case T_ENUMBE16:
			kopt_sym(c, a->key, a->syms, &v);
			if (a->fmt == T_ENUM8) kput_u8(c, a->type, (uint8_t)v);
			else if (a->fmt == T_ENUM16) kput_u16(c, a->type, (uint16_t)v);
			else if (a->fmt == T_ENUM32) kput_u32(c, a->type, v);
			else kput_u16(c, a->type, htons((uint16_t)v));
			break;
		case T_IN4: case T_IN6: case T_INX:
			kopt_host(c, a->key, a->fmt == T_IN4 ? AF_INET :
				  a->fmt == T_IN6 ? AF_INET6 : AF_UNSPEC, &ip);
			kput(c, ip.len == 16 && a->type6 ? a->type6 : a->type, ip.b,
			     (size_t)ip.len);
			break;
		case T_LINK:
			if ((r = vn_link_ref(L, c->idx, c->ns, c->fn, a->key, &ref, c->what)) < 0)
				return r;
			kput_u32(c, a->type, (uint32_t)ref);
			break;
		case T_TABLE:
			vn_opt_table(L, c->idx, c->fn, a->key, &t);
			kput_u32(c, a->type, t);
			break;
		case T_BIT16: case T_BIT32:
			vn_opt_bool(L, c->idx, c->fn, a->key, &on);  /* combined below */
			break;
		default:
			break;  /* T_HOOK */
		}
	}
	/* bit options: each attribute once, starting from its current value */
	for (a = attrs; a && a->key; a++) {
		int size, any = 0, seen = 0;
		if (!is_bit(a))
			continue;
		for (b = attrs; b != a; b++)
			if (is_bit(b) && b->type == a->type)
				seen = 1;
		if (seen)
			continue;
		size = a->fmt == T_BIT16 ? 2 : 4;
		v = cur_u32(c, a->type, size);
		for (b = a; b->key; b++) {
			if (!is_bit(b) || b->type != a->type ||
			    !vn_opt_bool(L, c->idx, c->fn, b->key, &on))
				continue;
			any = 1;
			v = on ? v | (uint32_t)b->max : v & ~(uint32_t)b->max;
		}
		if (any && size == 2)
			kput_u16(c, a->type, (uint16_t)v);
		else if (any)
			kput_u32(c, a->type, v);
	}
	return 0;
}

/* The generic parser: every option of the kind's table, then its hook. */
static int kparse(kctx *c, const vn_kind *k)
{
	const struct vn_kspec *sp = k->spec;
	char kname[48];
	int r;
	snprintf(kname, sizeof kname, "%s link", k->name);
	c->kname = kname;
	if ((sp->flags & KS_PARENT) && !c->cur && !has_opt(c->L, c->idx, "parent"))
		luaL_error(c->L, "%s: option 'parent' is required for a %s link", c->fn,
			   k->name);
	if ((r = kparse_attrs(c, sp->attrs)) < 0)
		return r;
	return sp->parse ? sp->parse(c) : 0;
}

/* The row's parse function for table kinds: adding a link. */
int kind_parse(lua_State *L, int idx, vn_ns *ns, vn_kreq *req, const char *fn,
	       const char **what)
{
	kctx c;
	memset(&c, 0, sizeof c);
	c.L = L; c.idx = idx; c.ns = ns; c.out = req->data; c.fn = fn; c.what = what;
	return kparse(&c, req->kind);
}

/* ---- reading ------------------------------------------------------------ */
void setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

void kd_index(const struct nlattr *nest, const struct nlattr **tb)
{
	const struct rtattr *rt[TB_MAX + 1];
	int i;
	if (nest)
		vn_attrs_index(nla_data(nest), (size_t)nla_len(nest), 0, rt, TB_MAX);
	else
		memset(rt, 0, sizeof rt);
	for (i = 0; i <= TB_MAX; i++)
		tb[i] = (const struct nlattr *)rt[i];
}

const struct nlattr *kd_linkinfo(const void *m, size_t len, int t)
{
	const struct rtattr *tb[IFLA_MAX + 1];
	vn_attrs_index(m, len, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	return (const struct nlattr *)vn_rta_nested(tb[IFLA_LINKINFO], (unsigned)t);
}

static void push_sym(lua_State *L, const sym *s, uint32_t v)
{
	for (; s && s->name; s++)
		if (s->v == v) {
			lua_pushstring(L, s->name);
			return;
		}
	lua_pushinteger(L, v);
}

int kd_all_zero(const struct nlattr *a)
{
	const unsigned char *p = (const unsigned char *)nla_data(a);
	int i;
	for (i = 0; i < nla_len(a); i++)
		if (p[i])
			return 0;
	return 1;
}

void kinfo_attrs(lua_State *L, const kattr *attrs, const struct nlattr **tb)
{
	const kattr *a;
	for (a = attrs; a && a->key; a++) {
		const struct nlattr *x = a->type ? tb[a->type] : NULL;
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
		case T_IN4: case T_IN6: case T_INX:
			if (kd_all_zero(x))
				continue;
			vn_push_ip(L, nla_len(x) == 4 ? AF_INET : AF_INET6, nla_data(x),
				   (size_t)nla_len(x), -1);
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
		if (a->fmt == T_FLAG && !tb[a->type])
			setbool(L, a->key, 0);
}

/* The row's info function for table kinds. */
void kind_info(lua_State *L, const vn_kind *k, const void *m, size_t len)
{
	const struct nlattr *tb[TB_MAX + 1];
	kd_index(kd_linkinfo(m, len, IFLA_INFO_DATA), tb);
	kinfo_attrs(L, k->spec->attrs, tb);
	if (k->spec->info)
		k->spec->info(L, tb);
}

/* ---- the rows ----------------------------------------------------------- */
static const vn_kind *const row_lists[] = { vn_kinds_l2, vn_kinds_tunnel, NULL };

const vn_kind *vn_kind_find(const char *name)
{
	const vn_kind *const *l;
	const vn_kind *k;
	for (l = row_lists; *l; l++)
		for (k = *l; k->name; k++)
			if (strcmp(k->name, name) == 0)
				return k;
	return NULL;
}

int vn_kind_keys(const vn_kind *k, const char **keys, int max)
{
	const kattr *a;
	int n = 0;
	for (a = k->spec->attrs; a && a->key && n < max; a++)
		if (!(a->flags & KA_RO))
			keys[n++] = a->key;
	return n;
}

void vn_kind_names(lua_State *L)
{
	const vn_kind *const *l;
	const vn_kind *k;
	int i = 1;
	lua_newtable(L);
	for (l = row_lists; *l; l++)
		for (k = *l; k->name; k++) {
			lua_pushstring(L, k->name);
			lua_rawseti(L, -2, i++);
		}
}

/* Sets "key=value ..." of s as fields of the table at -1 (a value of
 * digits a number, "true" a boolean, else a string). */
static void push_opts(lua_State *L, const char *s)
{
	char key[32], val[64];
	int n;
	while (s && sscanf(s, " %31[^= ]=%63s%n", key, val, &n) == 2) {
		lua_Integer v;
		if (!strcmp(val, "true"))
			lua_pushboolean(L, 1);
		else if (vn_parse_int(val, 0, 0xffffffffLL, &v))
			lua_pushinteger(L, v);
		else
			lua_pushstring(L, val);
		lua_setfield(L, -2, key);
		s += n;
	}
}

/* vnet.core.kind(name) -> { name =, parent =, required = { ... }, options =
 * { ... }, probe = { ... }, tunnel =, modes = { ... } } | nil, msg, "ENOENT"
 * What vnet knows of a link kind: whether it needs a parent link, its
 * required and its own options, the options a minimal link takes, whether
 * it is a tunnel of `ip tunnel` and the modes that make it. nil, msg,
 * "ENOENT" for a kind vnet does not know. */
static int l_kind(lua_State *L)
{
	const char *name = vn_check_str(L, 1, "kind", "name", 0), *keys[64];
	const vn_kind *k = vn_kind_find(name);
	const vn_tmode *t;
	const kattr *a;
	int i, n;
	if (!k)
		return vn_fail(L, lua_pushfstring(L, "kind: vnet has no link kind '%s'", name),
			       ENOENT, NULL);
	lua_createtable(L, 0, 6);
	lua_pushstring(L, k->name);
	lua_setfield(L, -2, "name");
	lua_pushboolean(L, (k->spec->flags & KS_PARENT) != 0);
	lua_setfield(L, -2, "parent");
	lua_newtable(L);
	for (i = 1, a = k->spec->attrs; a && a->key; a++)
		if (a->flags & KA_REQ) {
			lua_pushstring(L, a->key);
			lua_rawseti(L, -2, i++);
		}
	lua_setfield(L, -2, "required");
	n = vn_kind_keys(k, keys, 64);
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		lua_pushstring(L, keys[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "options");
	lua_newtable(L);
	push_opts(L, k->spec->probe);
	lua_setfield(L, -2, "probe");
	lua_newtable(L);
	for (i = 0, t = vn_tunnel_modes; t->mode; t++)
		if (!strcmp(t->kind, k->name)) {
			lua_pushstring(L, t->mode);
			lua_rawseti(L, -2, ++i);
		}
	lua_setfield(L, -2, "modes");
	lua_pushboolean(L, i > 0);
	lua_setfield(L, -2, "tunnel");
	return 1;
}

/* vnet.core.tunnel_modes() -> { mode = { kind = "sit", isatap = true }, ... }
 * The modes of `ip tunnel`: each the kind it makes and the options it
 * fixes. */
static int l_tunnel_modes(lua_State *L)
{
	const vn_tmode *t;
	lua_newtable(L);
	for (t = vn_tunnel_modes; t->mode; t++) {
		lua_newtable(L);
		lua_pushstring(L, t->kind);
		lua_setfield(L, -2, "kind");
		push_opts(L, t->opts);
		lua_setfield(L, -2, t->mode);
	}
	return 1;
}

/***
 * @module vnet.core
 */

/*** What vnet knows of a link kind.
 * @function kind
 * @string name a kind, `"vlan"`
 * @return `{ name =, parent =, required = { ... }, options = { ... },
 *   probe = { ... }, tunnel =, modes = { ... } }`: whether it needs a
 *   parent link, its required and its own options (see `link_kinds`), the
 *   options a minimal link takes, whether it is a tunnel of `ip tunnel` and
 *   the modes that make it; or `nil, message, "ENOENT"` for a kind vnet
 *   does not know
 * @usage
 * local core = require "vnet.core"
 * local k = assert(core.kind("vlan"))
 * assert(k.parent and k.required[1] == "id")
 * assert(core.tunnel_modes().isatap.kind == "sit")
 */

/*** The modes of `ip tunnel` (what `ns:tunnel_add` takes).
 * @function tunnel_modes
 * @return `{ [mode] = { kind = "sit", isatap = true }, ... }`: each mode's
 *   kind and the options it fixes
 */

void vn_kind_export(lua_State *L)
{
	lua_pushcfunction(L, l_kind);
	lua_setfield(L, -2, "kind");
	lua_pushcfunction(L, l_tunnel_modes);
	lua_setfield(L, -2, "tunnel_modes");
}

/* ---- changing a link's kind settings ------------------------------------ */
/* Pushes a copy of the message of the link box at idx (read again first
 * when stale): what set_info and set_port read the current settings from,
 * kept while Lua runs (an option's __index may refresh the box). */
static const unsigned char *link_copy(lua_State *L, int idx, size_t *len)
{
	const unsigned char *m = vn_link_msg(L, idx, len);
	unsigned char *c = (unsigned char *)lua_newuserdata(L, *len ? *len : 1);
	memcpy(c, m, *len);
	return c;
}

/* The name of the link message m, copied into buf. */
static const char *link_name(const void *m, size_t len, char *buf)
{
	const struct rtattr *tb[IFLA_MAX + 1];
	vn_attrs_index(m, len, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	buf[0] = 0;
	if (tb[IFLA_IFNAME])
		snprintf(buf, IFNAMSIZ, "%.*s", (int)RTA_PAYLOAD(tb[IFLA_IFNAME]),
			 (const char *)RTA_DATA(tb[IFLA_IFNAME]));
	return buf;
}

/* tun/tap: changed through /dev/net/tun, not RTM_NEWLINK */
static int set_tun(lua_State *L, vn_ns *ns, const vn_kind *k, const char *name,
		   const struct nlattr **cur)
{
	const kattr *a;
	vn_tunreq req;
	int r;
	if (vn_deferred(ns))
		return luaL_error(L, "set_info: the settings of a %s device cannot be "
				  "changed inside ns:batch (they are changed through "
				  "/dev/net/tun at once, not queued)", k->name);
	for (a = k->spec->attrs; a->key; a++)
		if ((a->flags & KA_FIXED) && has_opt(L, 2, a->key))
			return luaL_error(L, "set_info: option '%s' of a %s link cannot be "
					  "changed", a->key, k->name);
	req.uid = req.gid = -1;
	req.flags = (cur[IFLA_TUN_TYPE] ? (int)get_num(cur[IFLA_TUN_TYPE], 1) : IFF_TUN) |
		    (get_num(cur[IFLA_TUN_PI], 1) ? 0 : IFF_NO_PI) |
		    (get_num(cur[IFLA_TUN_VNET_HDR], 1) ? IFF_VNET_HDR : 0) |
		    (get_num(cur[IFLA_TUN_MULTI_QUEUE], 1) ? IFF_MULTI_QUEUE : 0);
	vn_tun_opts(L, 2, "set_info", &req);
	r = vn_tun_apply(ns, name, &req, 0);
	if (r < 0)
		return vn_fail(L, lua_pushfstring(L, "set_info %s", name), -r, NULL);
	return 0;
}

int kd_changed(lua_State *L, vn_ns *ns, int ifindex, const char *fn, const char *name)
{
	vn_err e;
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (vn_deferred(ns)) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (vn_link_refresh(L, 1, ns, ifindex, &e) < 0)
		return vn_push_err(L, lua_pushfstring(L, "%s %s: reading it back", fn, name),
				   &e, NULL);
	lua_settop(L, 1);
	return 1;
}

/* link:set_info{ kind options } -> link | nil, msg, errname
 * Changes the kind-specific settings of a link (vlan flags, vxlan ttl,
 * bridge stp, bond miimon, tunnel remote...). Options that a kind cannot
 * change raise; the kernel's refusals come back as the failure triple. */
static int m_set_info(lua_State *L)
{
	const struct nlattr *cur[TB_MAX + 1];
	const unsigned char *m;
	const char *what = NULL, *keys[64], *kn;
	char t[32], name[IFNAMSIZ], kname[48];
	const vn_kind *k;
	struct nl_msg *msg;
	struct ifinfomsg ifi;
	vn_kreq *req;
	size_t len, n;
	vn_ns *ns;
	vn_err e;
	kctx c;
	int r, ifindex;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	m = link_copy(L, 1, &len);                  /* 3: its message (checks self) */
	ns = vn_box_ns(L, 1);                                   /* 4: handle */
	ifindex = ((const struct ifinfomsg *)m)->ifi_index;
	link_name(m, len, name);
	kn = vn_link_kindname(m, len, &n);
	snprintf(t, sizeof t, "%.*s", kn ? (int)n : 0, kn ? kn : "");
	k = kn ? vn_kind_find(t) : NULL;
	if (!k || vn_kind_keys(k, keys, 63) == 0)
		return luaL_error(L, "set_info: a %s link has no settings of its own",
				  kn ? t : "device");
	keys[vn_kind_keys(k, keys, 63)] = NULL;
	vn_opts_check(L, 2, "set_info", keys);
	kd_index(kd_linkinfo(m, len, IFLA_INFO_DATA), cur);
	if (k->create) {
		if (set_tun(L, ns, k, name, cur))
			return 3;
	} else {
		req = vn_kreq_new(L, k, "set_info");                   /* 5 */
		snprintf(kname, sizeof kname, "%s link", k->name);
		memset(&c, 0, sizeof c);
		c.L = L; c.idx = 2; c.ns = ns; c.out = req->data; c.fn = "set_info";
		c.cur = cur; c.what = &what;
		if ((r = kparse(&c, k)) < 0)
			return vn_link_fail_ref(L, "set_info", name, 2, what, -r);
		if (k->spec->flags & KS_REPLACE) {
			/* the settings not given are sent as they are */
			const struct nlattr *now[TB_MAX + 1];
			struct nlattr *nest;
			const void *p = kreq_attrs(req->data, &n);
			unsigned char *copy = (unsigned char *)lua_newuserdata(L, n + NLA_HDRLEN);
			int i;
			/* index a copy: the message grows below */
			nest = (struct nlattr *)copy;
			nest->nla_len = (uint16_t)(n + NLA_HDRLEN);
			nest->nla_type = IFLA_INFO_DATA;
			memcpy(copy + NLA_HDRLEN, p, n);
			kd_index(nest, now);
			for (i = 1; i <= TB_MAX; i++)
				if (cur[i] && !now[i])
					kput(&c, i, nla_data(cur[i]), (size_t)nla_len(cur[i]));
		}
		memset(&ifi, 0, sizeof ifi);
		ifi.ifi_family = AF_UNSPEC;
		ifi.ifi_index = ifindex;
		msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
		if (!msg || nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
		    vn_kind_put(msg, k, req) < 0) {
			nlmsg_free(msg);
			return luaL_error(L, "set_info: out of memory");
		}
		r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
		nlmsg_free(msg);
		if (r < 0)
			return vn_push_err(L, lua_pushfstring(L, "set_info %s", name), &e,
					   NULL);
	}
	return kd_changed(L, ns, ifindex, "set_info", name);
}

static const luaL_Reg kind_methods[] = {
	{ "set_info", m_set_info }, { "port", vn_link_port },
	{ "set_port", vn_link_set_port }, { NULL, NULL }
};

void vn_open_kinds(lua_State *L)
{
	vn_type_methods(L, VN_LINK, kind_methods);
}
