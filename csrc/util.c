/*
 * util.c - option readers, object boxes, failures and name files shared by
 * every object type of vnet.core.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/route/link.h>

#include "util.h"

/* ---- Lua 5.1 shims -------------------------------------------------- */
#ifdef VN_NEED_51_SHIMS
void vn_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	for (; l->name; l++) {
		int i;
		for (i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		lua_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}

void *vn_testudata(lua_State *L, int idx, const char *tname)
{
	void *p = lua_touserdata(L, idx);
	if (p && lua_getmetatable(L, idx)) {
		luaL_getmetatable(L, tname);
		if (!lua_rawequal(L, -1, -2))
			p = NULL;
		lua_pop(L, 2);
		return p;
	}
	return NULL;
}
#endif

/* User values: 5.1 keeps them in the userdata's environment table. */
static void setuv(lua_State *L, int idx)
{
	idx = vn_absindex(L, idx);
#if LUA_VERSION_NUM == 501
	lua_createtable(L, 1, 0);
	lua_insert(L, -2);
	lua_rawseti(L, -2, 1);
	lua_setfenv(L, idx);
#elif LUA_VERSION_NUM < 504
	lua_setuservalue(L, idx);
#else
	lua_setiuservalue(L, idx, 1);
#endif
}

static void getuv(lua_State *L, int idx)
{
#if LUA_VERSION_NUM == 501
	lua_getfenv(L, idx);
	if (lua_istable(L, -1)) {
		lua_rawgeti(L, -1, 1);
		lua_remove(L, -2);
	}
#elif LUA_VERSION_NUM < 504
	lua_getuservalue(L, idx);
#else
	lua_getiuservalue(L, idx, 1);
#endif
}

/* ---- failures ------------------------------------------------------- */
#define ERRNOS(X) X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) \
	X(E2BIG) X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) \
	X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) \
	X(EINVAL) X(ENFILE) X(EMFILE) X(ENOSPC) X(EROFS) X(EMLINK) X(EPIPE) \
	X(EDOM) X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOSYS) X(ENOTEMPTY) \
	X(ELOOP) X(ENOMSG) X(ENODATA) X(ETIME) X(ENONET) X(ENOLINK) \
	X(EPROTO) X(EBADMSG) X(EOVERFLOW) X(EILSEQ) X(ENOTSOCK) \
	X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) \
	X(EPROTONOSUPPORT) X(EOPNOTSUPP) X(EAFNOSUPPORT) X(EADDRINUSE) \
	X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH) X(ENETRESET) \
	X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN) X(ENOTCONN) \
	X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN) X(EHOSTUNREACH) X(EALREADY) \
	X(EINPROGRESS) X(ESTALE) X(EDQUOT) X(ECANCELED) X(ENOTUNIQ) X(ERFKILL)

const char *vn_errname(int err)
{
	switch (err) {
#define CASE(e) case e: return #e;
	ERRNOS(CASE)
#undef CASE
	default: return "EUNKNOWN";
	}
}

/* Pushes a table mapping both ways: t.EEXIST = 17, t[17] = "EEXIST". */
void vn_push_errnos(lua_State *L)
{
	lua_newtable(L);
#define SET(e) lua_pushinteger(L, e); lua_setfield(L, -2, #e); \
	lua_pushstring(L, #e); lua_rawseti(L, -2, e);
	ERRNOS(SET)
#undef SET
}

int vn_push_err(lua_State *L, const char *what, const vn_err *e, const vn_optname *opts)
{
	const char *opt = NULL;
	int no = e->no ? e->no : EIO;
	for (; opts && e->attr >= 0 && opts->opt; opts++)
		if (opts->attr == e->attr) {
			opt = opts->opt;
			break;
		}
	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s%s%s%s%s%s%s", what, opt ? "option '" : "", opt ? opt : "",
			opt ? "': " : "", strerror(no), e->msg[0] ? " (the kernel said: " : "",
			e->msg, e->msg[0] ? ")" : "");
	lua_pushstring(L, vn_errname(no));
	return 3;
}

int vn_fail(lua_State *L, const char *what, int err, const char *kmsg)
{
	vn_err e;
	vn_err_set(&e, err, kmsg);
	return vn_push_err(L, what, &e, NULL);
}

int vn_push_nlerr(lua_State *L, const char *what, int nlerr)
{
	return vn_fail(L, what, nlerr == -NLE_NOMEM ? ENOMEM : EINVAL, nl_geterror(nlerr));
}

/* ---- object boxes --------------------------------------------------- */
static const vn_type *box_type(lua_State *L, int idx)
{
	const vn_type *t;
	if (!lua_getmetatable(L, idx))
		return NULL;
	lua_getfield(L, -1, "__vn_type");
	t = (const vn_type *)lua_touserdata(L, -1);
	lua_pop(L, 2);
	return t;
}

/* The object of the box ud of type t (see vn_field), NULL once released. */
static void *box_obj(const vn_type *t, void *ud)
{
	if (!ud)
		return NULL;
	if (t->live)
		return t->live(ud) ? ud : NULL;
	return ((vn_box *)ud)->o;
}

/* The object of the box at idx, of type t; raises when it is released or
 * t is NULL (not a vnet object). */
static void *box_live(lua_State *L, int idx, const vn_type *t)
{
	void *o = t ? box_obj(t, lua_touserdata(L, idx)) : NULL;
	if (!t)
		luaL_argerror(L, idx, "vnet object expected");
	if (!o)
		luaL_error(L, "attempt to use a released %s", t->name);
	return o;
}

static int box_gc(lua_State *L)
{
	vn_box *b = (vn_box *)lua_touserdata(L, 1);
	if (b && b->o) {
		nl_object_put(b->o);
		b->o = NULL;
	}
	return 0;
}

/* __close of inline types; upvalue 1 is the type */
static int box_release(lua_State *L)
{
	const vn_type *t = (const vn_type *)lua_touserdata(L, lua_upvalueindex(1));
	void *b = luaL_testudata(L, 1, t->name);
	if (b)
		t->release(b);
	return 0;
}

/* __index: fields first, then methods. Upvalues: a private table field
 * name -> index in t->fields, the methods table, the type, the metatable. */
static int box_index(lua_State *L)
{
	const vn_type *t = (const vn_type *)lua_touserdata(L, lua_upvalueindex(3));
	void *o;
	lua_settop(L, 2);                                   /* obj, key */
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));                 /* 3: field index */
	if (lua_isnil(L, 3)) {
		lua_pushvalue(L, 2);
		lua_rawget(L, lua_upvalueindex(2));
		if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
			return 1;
	}
	/* the metatable check keeps a borrowed __index from reading another
	 * kind of userdata */
	if (!lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(4)))
		return luaL_argerror(L, 1, t->name);
	o = box_live(L, 1, t);
	if (lua_isnil(L, 3)) {
		lua_pushnil(L);
	} else {
		if (t->fresh)
			t->fresh(L, 1);
		t->fields[lua_tointeger(L, 3)].get(L, o);
	}
	return 1;
}

/* obj:ns() -> the namespace handle the object is bound to */
static int box_ns(lua_State *L)
{
	box_live(L, 1, box_type(L, 1));
	vn_box_ns(L, 1);
	return 1;
}

static int box_newindex(lua_State *L)
{
	const vn_type *t = box_type(L, 1);
	return luaL_error(L, "%s fields are read-only (use :set{...})",
			  t ? t->name : "vnet");
}

/* __eq: same namespace handle and the same kernel object identity. */
static int box_eq(lua_State *L)
{
	const vn_type *t = box_type(L, 1);
	void *a = t ? box_obj(t, lua_touserdata(L, 1)) : NULL;
	void *b = t && box_type(L, 2) == t ? box_obj(t, lua_touserdata(L, 2)) : NULL;
	int same = 0;
	if (a && b) {
		vn_ns *na, *nb;
		getuv(L, 1);
		getuv(L, 2);
		na = (vn_ns *)lua_touserdata(L, -2);
		nb = (vn_ns *)lua_touserdata(L, -1);
		lua_pop(L, 2);
		same = (t->same ? t->same(a, b) : nl_object_identical(
				(struct nl_object *)a, (struct nl_object *)b)) &&
			(na == nb || (na && nb && na->ino == nb->ino));
	}
	lua_pushboolean(L, same);
	return 1;
}

int vn_box_totable(lua_State *L)
{
	const vn_type *t = box_type(L, 1);
	void *o = box_live(L, 1, t);
	const vn_field *f;
	if (t->fresh)
		t->fresh(L, 1);
	lua_newtable(L);
	for (f = t->fields; f->name; f++) {
		f->get(L, o);
		lua_setfield(L, -2, f->name);
	}
	return 1;
}

void vn_type_register(lua_State *L, const vn_type *t)
{
	int i;
	luaL_newmetatable(L, t->name);                 /* mt */
	lua_pushlightuserdata(L, (void *)t);
	lua_setfield(L, -2, "__vn_type");
	lua_pushstring(L, t->name);
	lua_setfield(L, -2, "__name");
	lua_newtable(L);                               /* mt, methods */
	luaL_setfuncs(L, t->methods, 0);
	lua_pushcfunction(L, vn_box_totable);
	lua_setfield(L, -2, "totable");
	lua_pushcfunction(L, box_ns);
	lua_setfield(L, -2, "ns");
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "__vn_methods");
	lua_newtable(L);                               /* mt, methods, fields */
	for (i = 0; t->fields[i].name; i++) {
		lua_pushinteger(L, i);
		lua_setfield(L, -2, t->fields[i].name);
	}
	lua_insert(L, -2);                             /* mt, fields, methods */
	lua_pushlightuserdata(L, (void *)t);
	lua_pushvalue(L, -4);                          /* ..., t, mt */
	lua_pushcclosure(L, box_index, 4);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, box_newindex);
	lua_setfield(L, -2, "__newindex");
	/* __close also where Lua has no to-be-closed variables: calling it
	 * releases an object before the collector does */
	if (t->live) {
		lua_pushlightuserdata(L, (void *)t);
		lua_pushcclosure(L, box_release, 1);
		if (t->gc) {
			lua_pushvalue(L, -1);
			lua_setfield(L, -3, "__gc");
		}
	} else {
		lua_pushcfunction(L, box_gc);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "__gc");
	}
	lua_setfield(L, -2, "__close");
	lua_pushcfunction(L, box_eq);
	lua_setfield(L, -2, "__eq");
	lua_pushcfunction(L, t->tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
}

struct nl_object **vn_guard(lua_State *L)
{
	vn_box *b = (vn_box *)lua_newuserdata(L, sizeof *b);
	b->o = NULL;
	if (luaL_newmetatable(L, "vnet.guard")) {
		lua_pushcfunction(L, box_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return &b->o;
}

void vn_type_methods(lua_State *L, const char *tname, const luaL_Reg *l)
{
	luaL_getmetatable(L, tname);
	lua_getfield(L, -1, "__vn_methods");
	luaL_setfuncs(L, l, 0);
	lua_pop(L, 2);
}

void *vn_box_new(lua_State *L, size_t size, const char *tname, int nsidx)
{
	void *b;
	nsidx = vn_absindex(L, nsidx);
#if LUA_VERSION_NUM >= 504
	b = lua_newuserdatauv(L, size, 1);
#else
	b = lua_newuserdata(L, size);
#endif
	memset(b, 0, size);
	luaL_setmetatable(L, tname);
	lua_pushvalue(L, nsidx);
	setuv(L, -2);
	return b;
}

void vn_box_push(lua_State *L, struct nl_object *o, const char *tname, int nsidx)
{
	((vn_box *)vn_box_new(L, sizeof(vn_box), tname, nsidx))->o = o;
}

void vn_msgbox_push(lua_State *L, const char *tname, const void *p, size_t len, int nsidx)
{
	vn_msgbox *b = (vn_msgbox *)vn_box_new(L, offsetof(vn_msgbox, m) + len, tname, nsidx);
	memcpy(b->m, p, len);
	b->len = (uint32_t)len;
}

int vn_msgbox_live(const void *box)
{
	return ((const vn_msgbox *)box)->len != 0;
}

void vn_msgbox_release(void *box)
{
	((vn_msgbox *)box)->len = 0;
}

struct nl_object *vn_box_check(lua_State *L, int idx, const char *tname)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, idx, tname);
	if (!b->o)
		luaL_error(L, "attempt to use a released %s", tname);
	return b->o;
}

void vn_box_replace(lua_State *L, int idx, const char *tname, struct nl_object *o)
{
	vn_box *b = (vn_box *)luaL_checkudata(L, idx, tname);
	nl_object_get(o);
	if (b->o)
		nl_object_put(b->o);
	b->o = o;
}

vn_ns *vn_box_ns(lua_State *L, int idx)
{
	getuv(L, idx);
	return vn_checkns(L, -1);
}

vn_ns *vn_box_ns_open(lua_State *L, int idx)
{
	vn_ns *ns;
	getuv(L, idx);
	ns = (vn_ns *)luaL_testudata(L, -1, VN_NETNS);
	return ns && ns->fd >= 0 ? ns : NULL;
}

void vn_box_setns(lua_State *L, int idx, int nsidx)
{
	idx = vn_absindex(L, idx);
	lua_pushvalue(L, nsidx);
	setuv(L, idx);
}

/* ---- strict option tables ------------------------------------------- */
unsigned vn_opts_check(lua_State *L, int idx, const char *fn, const char *const keys[])
{
	unsigned has = 0;
	idx = vn_absindex(L, idx);
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: options must be a table, got %s", fn,
			   luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *const *k;
		const char *s;
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			/* array part is allowed only where the caller reads it */
			if (lua_isinteger(L, -1)) continue;
			luaL_error(L, "%s: option keys must be strings", fn);
		}
		s = lua_tostring(L, -1);
		for (k = keys; *k; k++)
			if (strcmp(*k, s) == 0)
				break;
		if (!*k)
			luaL_error(L, "%s: unknown option '%s'", fn, s);
		if (k - keys < 32)
			has |= 1u << (k - keys);
	}
	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 1);
		has = ~0u;
	}
	return has;
}

static int opt_get(lua_State *L, int idx, const char *key)
{
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	return 1;
}

/* The description of a value in errors: what, or "option 'key'" when what
 * is NULL (made only to raise; it stays on the stack). */
static const char *what_of(lua_State *L, const char *what, const char *key)
{
	return what ? what : lua_pushfstring(L, "option '%s'", key);
}

/* Whether the number at sidx is an integer lua_Integer holds (1.0 is, 1.5,
 * NaN, inf and 2^63 are not); *out gets it. Never raises. */
static int num_integer(lua_State *L, int sidx, lua_Integer *out)
{
#if LUA_VERSION_NUM >= 503
	int ok = 0;
	lua_Integer v = lua_tointegerx(L, sidx, &ok);
	if (!ok)
		return 0;
	*out = v;
	return 1;
#else
	lua_Number n = lua_tonumber(L, sidx);
	/* the comparisons are false for NaN; the cast is defined in range */
	if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0) ||
	    n != (lua_Number)(long long)n)
		return 0;
	*out = (lua_Integer)(long long)n;
	return 1;
#endif
}

/* Raises "<fn>: <what> must be an integer between min and max, got v". */
static int int_fail(lua_State *L, int sidx, const char *fn, const char *what,
		    lua_Integer min, lua_Integer max)
{
	char buf[96];
	sidx = vn_absindex(L, sidx);
	snprintf(buf, sizeof buf, "between %lld and %lld", (long long)min, (long long)max);
	if (lua_type(L, sidx) == LUA_TNUMBER) {
		lua_pushvalue(L, sidx);
		return luaL_error(L, "%s: %s must be an integer %s, got %s", fn, what, buf,
				  lua_tostring(L, -1));
	}
	if (lua_type(L, sidx) == LUA_TSTRING)
		return luaL_error(L, "%s: %s must be an integer %s, got string '%s'", fn,
				  what, buf, lua_tostring(L, sidx));
	return luaL_error(L, "%s: %s must be an integer %s, got %s", fn, what, buf,
			  luaL_typename(L, sidx));
}

/* The integer at sidx in [min, max]; raises naming what (or option key). */
static lua_Integer int_at(lua_State *L, int sidx, const char *fn, const char *what,
			  const char *key, lua_Integer min, lua_Integer max)
{
	lua_Integer v = 0;
	if (lua_type(L, sidx) != LUA_TNUMBER || !num_integer(L, sidx, &v) ||
	    v < min || v > max)
		int_fail(L, sidx, fn, what_of(L, what, key), min, max);
	return v;
}

lua_Integer vn_check_int(lua_State *L, int sidx, const char *fn, const char *what,
			 lua_Integer min, lua_Integer max)
{
	return int_at(L, vn_absindex(L, sidx), fn, what, NULL, min, max);
}

int vn_parse_int(const char *s, lua_Integer min, lua_Integer max, lua_Integer *out)
{
	unsigned long long v = 0;
	const char *p = s;
	int neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		for (p += 2; isxdigit((unsigned char)*p); p++) {
			if (v > (~0ULL >> 4))
				return 0;
			v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' :
						 (tolower((unsigned char)*p) - 'a' + 10));
		}
	} else {
		for (; isdigit((unsigned char)*p); p++) {
			if (v > (~0ULL - 9) / 10)
				return 0;
			v = v * 10 + (unsigned)(*p - '0');
		}
	}
	if (*p || v > (neg ? 9223372036854775808ULL : 9223372036854775807ULL))
		return 0;
	if (!neg)
		*out = (lua_Integer)v;
	else if (v == 9223372036854775808ULL)
		*out = (lua_Integer)(-9223372036854775807LL - 1);
	else
		*out = -(lua_Integer)v;
	return *out >= min && *out <= max;
}

int vn_opt_int(lua_State *L, int idx, const char *fn, const char *key,
	       lua_Integer min, lua_Integer max, lua_Integer *out)
{
	if (!opt_get(L, idx, key))
		return 0;
	*out = int_at(L, lua_gettop(L), fn, NULL, key, min, max);
	lua_pop(L, 1);
	return 1;
}

int vn_opt_bool(lua_State *L, int idx, const char *fn, const char *key, int *out)
{
	if (!opt_get(L, idx, key))
		return 0;
	if (!lua_isboolean(L, -1))
		luaL_error(L, "%s: option '%s' must be a boolean, got %s", fn, key,
			   luaL_typename(L, -1));
	*out = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return 1;
}

/* The string at sidx, checked (see vn_check_str); *lenp gets its length. */
static const char *str_at(lua_State *L, int sidx, const char *fn, const char *what,
			  const char *key, size_t maxlen, size_t *lenp)
{
	const char *s;
	size_t len;
	if (lua_type(L, sidx) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string, got %s", fn, what_of(L, what, key),
			   luaL_typename(L, sidx));
	s = lua_tolstring(L, sidx, &len);
	if (strlen(s) != len)
		luaL_error(L, "%s: %s may not contain a NUL byte", fn, what_of(L, what, key));
	if (maxlen && len > maxlen)
		luaL_error(L, "%s: %s is longer than %d bytes", fn, what_of(L, what, key),
			   (int)maxlen);
	if (lenp)
		*lenp = len;
	return s;
}

const char *vn_check_str(lua_State *L, int sidx, const char *fn, const char *what,
			 size_t maxlen)
{
	return str_at(L, vn_absindex(L, sidx), fn, what, NULL, maxlen, NULL);
}

const char *vn_opt_str(lua_State *L, int idx, const char *fn, const char *key,
		       char *buf, size_t size)
{
	const char *s;
	size_t len;
	if (!opt_get(L, idx, key))
		return NULL;
	s = str_at(L, lua_gettop(L), fn, NULL, key, size - 1, &len);
	memcpy(buf, s, len + 1);
	lua_pop(L, 1);
	return buf;
}

int vn_opt_enum(lua_State *L, int idx, const char *fn, const char *key,
		const char *const names[], int *out)
{
	const char *s;
	int i;
	if (!opt_get(L, idx, key))
		return 0;
	s = str_at(L, lua_gettop(L), fn, NULL, key, 0, NULL);  /* stays on the stack */
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0) {
			lua_pop(L, 1);
			*out = i;
			return 1;
		}
	lua_pushfstring(L, "%s: option '%s' must be one of", fn, key);
	for (i = 0; names[i]; i++)
		lua_pushfstring(L, "%s '%s'", i ? "," : "", names[i]);
	lua_pushfstring(L, ", got '%s'", s);
	lua_concat(L, i + 2);
	return lua_error(L);
}

/* Parses s as an address of family (AF_UNSPEC: either) with an optional
 * "/prefix"; "default", "any" and "all" are the empty address. 0, or -1
 * when s is not one (libnl is lenient, "10" parsing as 10.0.0.0: this
 * insists on real syntax). */
static int ip_parse(const char *s, int family, vn_ip *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t n;
	memset(out, 0, sizeof *out);
	out->family = family;
	if (!strcmp(s, "default") || !strcmp(s, "any") || !strcmp(s, "all"))
		return 0;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (family != AF_INET6 && inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = AF_INET;
		out->len = 4;
	} else if (family != AF_INET && inet_pton(AF_INET6, buf, out->b) == 1) {
		out->family = AF_INET6;
		out->len = 16;
	} else {
		return -1;
	}
	out->plen = out->len * 8;
	if (slash) {
		char *end;
		long p;
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		p = strtol(slash + 1, &end, 10);
		if (*end || p > out->plen)
			return -1;
		out->plen = (int)p;
	}
	return 0;
}

/* Raises for the value at sidx that is no address of family. */
static void ip_fail(lua_State *L, int sidx, const char *fn, const char *what, int family)
{
	if (lua_type(L, sidx) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be an address string, got %s", fn, what,
			   luaL_typename(L, sidx));
	luaL_error(L, "%s: %s '%s' is not a valid %saddress", fn, what,
		   lua_tostring(L, sidx), family == AF_INET ? "IPv4 " :
		   family == AF_INET6 ? "IPv6 " : "");
}

/* Reads the address at sidx into *out; raises naming what (or option key)
 * for a value that is not a string, holds a NUL byte or is no address. */
static void ip_at(lua_State *L, int sidx, const char *fn, const char *what,
		  const char *key, int family, vn_ip *out)
{
	if (lua_type(L, sidx) == LUA_TSTRING)
		str_at(L, sidx, fn, what, key, 0, NULL);
	if (lua_type(L, sidx) != LUA_TSTRING || ip_parse(lua_tostring(L, sidx), family, out) < 0)
		ip_fail(L, sidx, fn, what_of(L, what, key), family);
}

int vn_opt_ip(lua_State *L, int idx, const char *fn, const char *key, int family,
	      vn_ip *out)
{
	if (!opt_get(L, idx, key))
		return 0;
	ip_at(L, lua_gettop(L), fn, NULL, key, family, out);
	lua_pop(L, 1);
	return 1;
}

void vn_check_ip(lua_State *L, int sidx, const char *fn, const char *what, int family,
		 vn_ip *out)
{
	ip_at(L, vn_absindex(L, sidx), fn, what, NULL, family, out);
}

struct nl_addr *vn_check_addr(lua_State *L, int sidx, const char *fn,
			      const char *what, int family)
{
	struct nl_addr *a = NULL;
	vn_ip ip;
	vn_check_ip(L, sidx, fn, what, family, &ip);
	if (nl_addr_parse(lua_tostring(L, sidx), family, &a) < 0 || !a)
		luaL_error(L, "%s: %s '%s' is not a valid address", fn, what,
			   lua_tostring(L, sidx));
	return a;
}

struct nl_addr *vn_opt_addr(lua_State *L, int idx, const char *fn,
			    const char *key, int family)
{
	struct nl_addr *a;
	if (!opt_get(L, idx, key))
		return NULL;
	lua_pushfstring(L, "option '%s'", key);
	/* may raise: nothing allocated yet */
	a = vn_check_addr(L, -2, fn, lua_tostring(L, -1), family);
	lua_pop(L, 2);
	return a;
}

int vn_str_family(lua_State *L, int idx, const char *key)
{
	int f = 0;
	lua_getfield(L, idx, key);
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *s = lua_tostring(L, -1);
		if (strchr(s, ':'))
			f = AF_INET6;
		else if (strcmp(s, "default") && strcmp(s, "any") && strcmp(s, "all"))
			f = AF_INET;
	}
	lua_pop(L, 1);
	return f;
}

int vn_opt_family(lua_State *L, int idx, const char *fn, const char *key, int *out)
{
	static const char *const names[] = { "all", "inet", "inet6", "ipv4", "ipv6",
					     "bridge", "link", NULL };
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_INET, AF_INET6,
				    AF_BRIDGE, AF_UNSPEC };
	lua_Integer v = 0;
	int i;
	if (!opt_get(L, idx, key))
		return 0;
	if (lua_type(L, -1) == LUA_TNUMBER) {
		if (!num_integer(L, -1, &v) || (v != 4 && v != 6)) {
			lua_pushvalue(L, -1);
			luaL_error(L, "%s: option '%s' must be 4, 6 or a family name, got %s",
				   fn, key, lua_tostring(L, -1));
		}
		lua_pop(L, 1);
		*out = v == 4 ? AF_INET : AF_INET6;
		return 1;
	}
	lua_pop(L, 1);
	if (!vn_opt_enum(L, idx, fn, key, names, &i))
		return 0;
	*out = fams[i];
	return 1;
}

/* What is wrong with an interface name (a format taking fn, key, name and
 * the longest length), or NULL when it is valid. */
static const char *ifname_problem(const char *name)
{
	size_t n = strlen(name), i;
	if (n == 0 || n >= IFNAMSIZ)
		return "%s: %s '%s' must be 1 to %d bytes long";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "%s: %s '%s' is not a valid interface name";
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return "%s: %s '%s' may not contain '/', ':' or white space";
	return NULL;
}

void vn_check_ifname(lua_State *L, const char *name, const char *fn, const char *key)
{
	const char *why = ifname_problem(name);
	if (why)
		luaL_error(L, why, fn, key, name, IFNAMSIZ - 1);
}

/* The index of the link named name (valid): remembered within a batch,
 * else one ioctl. -ENODEV when there is none. */
static int name_ifindex(vn_ns *ns, const char *name)
{
	int idx;
	if ((idx = vn_batch_ifindex(ns, name, 0)) > 0)
		return idx;
	if ((idx = vn_sock_ifindex(ns, name)) <= 0)
		return -ENODEV;
	vn_batch_ifindex(ns, name, idx);
	return idx;
}

/* The link given at stack index sidx, described in errors as what or,
 * when what is NULL, as option 'key' (that text is made only to raise). A
 * link object must belong to the namespace of ns (the same namespace, not
 * only the same handle): its index means nothing elsewhere. */
static int ifindex_of(lua_State *L, int sidx, vn_ns *ns, const char *fn,
		      const char *what, const char *key)
{
	const char *name, *why;
	sidx = vn_absindex(L, sidx);
	switch (lua_type(L, sidx)) {
	case LUA_TNUMBER:
		/* the kernel's ifindex is a positive int */
		return (int)int_at(L, sidx, fn, what, key, 1, 0x7fffffff);
	case LUA_TSTRING:
		name = str_at(L, sidx, fn, what, key, 0, NULL);
		if ((why = ifname_problem(name)))
			return luaL_error(L, why, fn, what_of(L, what, key), name, IFNAMSIZ - 1);
		return name_ifindex(ns, name);
	case LUA_TUSERDATA: {
		const vn_type *t = box_type(L, sidx);
		vn_ns *other;
		if (!t || !luaL_testudata(L, sidx, "vnet.link"))
			break;
		if (!box_obj(t, lua_touserdata(L, sidx)))
			return luaL_error(L, "%s: %s is a released vnet.link", fn,
					  what_of(L, what, key));
		getuv(L, sidx);
		other = (vn_ns *)luaL_testudata(L, -1, VN_NETNS);
		lua_pop(L, 1);
		if (ns && (!other || other->ino != ns->ino)) {
			what = what_of(L, what, key);
			vn_link_desc(L, sidx);
			return luaL_error(L, "%s: %s: link %s belongs to another namespace",
					  fn, what, lua_tostring(L, -1));
		}
		return vn_link_ifindex(L, sidx);
	}
	default:
		break;
	}
	/* another vnet object is named by its type ("got vnet.addr") */
	what = what_of(L, what, key);
	if (luaL_getmetafield(L, sidx, "__name") && lua_type(L, -1) == LUA_TSTRING)
		return luaL_error(L, "%s: %s must be a link, a name or an index, got %s", fn,
				  what, lua_tostring(L, -1));
	return luaL_error(L, "%s: %s must be a link, a name or an index, got %s", fn,
			  what, luaL_typename(L, sidx));
}

int vn_ifindex_at(lua_State *L, int sidx, vn_ns *ns, const char *fn, const char *what)
{
	return ifindex_of(L, sidx, ns, fn, what, NULL);
}

int vn_opt_ifindex(lua_State *L, int idx, vn_ns *ns, const char *fn, const char *key)
{
	int r;
	if (!opt_get(L, idx, key))
		return 0;
	r = ifindex_of(L, -1, ns, fn, NULL, key);
	lua_pop(L, 1);
	return r;
}

/* ---- iproute2 name files -------------------------------------------- */
static const char *const rtdirs[] = { "/etc/iproute2", "/usr/share/iproute2",
				      "/usr/lib/iproute2", NULL };

/* The entries of one name file (rt_tables, rt_protos...) from every
 * directory iproute2 reads, in its order. Loaded once and kept; checked
 * again (a few stat calls) at most every 200 ms, so reading the table name of
 * a million routes costs no system calls. */
typedef struct rtn_entry { long id; char name[64]; } rtn_entry;
typedef struct rtn_cache {
	char file[32];
	rtn_entry *v;
	size_t n, cap;
	long long sig;          /* mtimes and sizes of what was read */
	struct timespec checked;
} rtn_cache;

static rtn_cache rtn_caches[8];  /* one per name file read */
static pthread_mutex_t rtn_lock = PTHREAD_MUTEX_INITIALIZER;

/* The caches live as long as the module: freed when it is unloaded. */
__attribute__((destructor)) static void rtn_free(void)
{
	size_t i;
	for (i = 0; i < sizeof rtn_caches / sizeof *rtn_caches; i++) {
		free(rtn_caches[i].v);
		memset(&rtn_caches[i], 0, sizeof rtn_caches[i]);
	}
}

static long long rtn_sig(const char *file)
{
	const char *const *d;
	char path[512];
	struct stat st;
	long long sig = 0;
	for (d = rtdirs; *d; d++) {
		snprintf(path, sizeof path, "%s/%s", *d, file);
		if (stat(path, &st) == 0)
			sig += (long long)st.st_mtim.tv_sec * 1000000007LL +
			       st.st_mtim.tv_nsec + st.st_size;
		snprintf(path, sizeof path, "%s/%s.d", *d, file);
		if (stat(path, &st) == 0)
			sig += (long long)st.st_mtim.tv_sec * 1000000009LL +
			       st.st_mtim.tv_nsec + st.st_nlink;
	}
	return sig;
}

static void rtn_add(rtn_cache *c, long id, const char *name)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		rtn_entry *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].id = id;
	snprintf(c->v[c->n].name, sizeof c->v[c->n].name, "%.63s", name);
	c->n++;
}

static void rtn_read(rtn_cache *c, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char nm[256];
		char *p = line, *end;
		long v;
		while (isspace((unsigned char)*p)) p++;
		if (*p == '#' || !*p)
			continue;
		v = strtol(p, &end, 0);
		if (end == p || sscanf(end, " %255s", nm) != 1 || nm[0] == '#')
			continue;
		rtn_add(c, v, nm);
	}
	fclose(f);
}

static void rtn_load(rtn_cache *c)
{
	const char *const *d;
	char path[512];
	c->n = 0;
	for (d = rtdirs; *d; d++) {
		DIR *dir;
		struct dirent *e;
		snprintf(path, sizeof path, "%s/%s", *d, c->file);
		rtn_read(c, path);
		snprintf(path, sizeof path, "%s/%s.d", *d, c->file);
		if (!(dir = opendir(path)))
			continue;
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			char fp[900];
			if (n < 6 || strcmp(e->d_name + n - 5, ".conf"))
				continue;
			snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
			rtn_read(c, fp);
		}
		closedir(dir);
	}
}

/* Finds name (when non-NULL) or id in file; copies the match out. */
static int rtname_find(const char *file, const char *name, long id,
		       long *out_id, char *out_name, size_t outlen)
{
	rtn_cache *c = NULL;
	struct timespec now;
	size_t i;
	int found = 0;

	pthread_mutex_lock(&rtn_lock);
	for (i = 0; i < sizeof rtn_caches / sizeof *rtn_caches; i++)
		if (!rtn_caches[i].file[0] || !strcmp(rtn_caches[i].file, file)) {
			c = &rtn_caches[i];
			break;
		}
	if (c) {
		int pass, fresh = 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* a name not found is looked for again in the files as they are now */
		for (pass = 0; pass < 2 && !found; pass++) {
			if (pass && (fresh || !name))
				break;
			if (pass || !c->file[0] || now.tv_sec - c->checked.tv_sec > 1 ||
			    (now.tv_sec - c->checked.tv_sec) * 1000000000LL +
			    (now.tv_nsec - c->checked.tv_nsec) > 200000000LL) {
				long long sig = rtn_sig(file);
				if (!c->file[0] || sig != c->sig) {
					snprintf(c->file, sizeof c->file, "%s", file);
					c->sig = sig;
					rtn_load(c);
				}
				c->checked = now;
				fresh = 1;
			}
			for (i = 0; i < c->n && !found; i++)
				if (name ? !strcmp(c->v[i].name, name) : c->v[i].id == id) {
					*out_id = c->v[i].id;
					if (out_name)
						snprintf(out_name, outlen, "%s", c->v[i].name);
					found = 1;
				}
		}
	}
	pthread_mutex_unlock(&rtn_lock);
	return found;
}

static const struct { const char *file, *name; long id; } builtin_names[] = {
	{ "rt_tables", "unspec", 0 }, { "rt_tables", "default", 253 },
	{ "rt_tables", "main", 254 }, { "rt_tables", "local", 255 },
	{ "rt_protos", "unspec", 0 }, { "rt_protos", "redirect", 1 },
	{ "rt_protos", "kernel", 2 }, { "rt_protos", "boot", 3 },
	{ "rt_protos", "static", 4 }, { "rt_protos", "ra", 9 },
	{ "rt_protos", "dhcp", 16 }, { "rt_protos", "bgp", 186 },
	{ "rt_protos", "isis", 187 }, { "rt_protos", "ospf", 188 },
	{ "rt_protos", "rip", 189 }, { "rt_protos", "eigrp", 192 },
	{ "rt_scopes", "global", 0 }, { "rt_scopes", "universe", 0 },
	{ "rt_scopes", "site", 200 }, { "rt_scopes", "link", 253 },
	{ "rt_scopes", "host", 254 }, { "rt_scopes", "nowhere", 255 },
	{ NULL, NULL, 0 }
};

long vn_rtname_lookup(const char *file, const char *name)
{
	lua_Integer n;
	long v;
	int i;
	if (vn_parse_int(name, 0, 0xffffffffLL, &n))
		return (long)n;
	for (i = 0; builtin_names[i].file; i++)
		if (!strcmp(builtin_names[i].file, file) &&
		    !strcmp(builtin_names[i].name, name))
			return builtin_names[i].id;
	if (rtname_find(file, name, -1, &v, NULL, 0))
		return v;
	return -1;
}

void vn_push_rtname(lua_State *L, const char *file, long id)
{
	char name[256];
	long v;
	int i;
	for (i = 0; builtin_names[i].file; i++)
		if (builtin_names[i].id == id && !strcmp(builtin_names[i].file, file) &&
		    id != 0) {
			lua_pushstring(L, builtin_names[i].name);
			return;
		}
	if (id > 0 && rtname_find(file, NULL, id, &v, name, sizeof name))
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, id);
}

int vn_opt_rtname(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, lua_Integer max, uint32_t *out)
{
	const char *s;
	lua_Integer n;
	long v;
	if (!opt_get(L, idx, key))
		return 0;
	if (lua_type(L, -1) == LUA_TNUMBER) {
		*out = (uint32_t)int_at(L, lua_gettop(L), fn, NULL, key, 0, max);
		lua_pop(L, 1);
		return 1;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: option '%s' must be a number or a name (of %s), got %s",
			   fn, key, file, luaL_typename(L, -1));
	s = str_at(L, lua_gettop(L), fn, NULL, key, 0, NULL);
	/* a number in a string is read whole and range-checked like a number
	 * (decimal, or 0x hex as iproute2 reads it): never "4294967296" as 0 */
	if (*s == '-' || isdigit((unsigned char)*s)) {
		if (!vn_parse_int(s, 0, max, &n)) {
			char buf[32];
			snprintf(buf, sizeof buf, "%lld", (long long)max);
			luaL_error(L, "%s: option '%s' must be a number between 0 and %s "
				   "or a name (of %s), got '%s'", fn, key, buf, file, s);
		}
		v = (long)n;
	} else if ((v = vn_rtname_lookup(file, s)) < 0 || v > max) {
		luaL_error(L, "%s: option '%s': unknown name '%s' (not in %s)", fn, key, s, file);
	}
	lua_pop(L, 1);
	*out = (uint32_t)v;
	return 1;
}

int vn_opt_table(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out)
{
	return vn_opt_rtname(L, idx, fn, key, "rt_tables", 0xffffffffLL, out);
}

/* inet_ntop for IPv4 without printf */
static void ntoa4(const unsigned char *b, char *o)
{
	int i;
	for (i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		if (b[i] >= 100)
			*o++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*o++ = (char)('0' + b[i] / 10 % 10);
		*o++ = (char)('0' + b[i] % 10);
	}
	*o = 0;
}

void vn_push_ip(lua_State *L, int fam, const void *p, size_t len, int plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t want = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0, n;
	if (!p || !want || len != want) {
		lua_pushnil(L);
		return;
	}
	if (fam == AF_INET)
		ntoa4((const unsigned char *)p, buf);
	else if (!inet_ntop(fam, p, buf, INET6_ADDRSTRLEN)) {
		lua_pushnil(L);
		return;
	}
	n = strlen(buf);
	if (plen >= 0) {
		buf[n++] = '/';
		if (plen >= 100)
			buf[n++] = (char)('0' + plen / 100);
		if (plen >= 10)
			buf[n++] = (char)('0' + plen / 10 % 10);
		buf[n++] = (char)('0' + plen % 10);
	}
	lua_pushlstring(L, buf, n);
}

void vn_push_addr(lua_State *L, struct nl_addr *a, int with_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	int fam;
	if (!a || nl_addr_get_len(a) == 0) {
		lua_pushnil(L);
		return;
	}
	fam = nl_addr_get_family(a);
	if ((fam == AF_INET || fam == AF_INET6) && nl_addr_get_len(a) > 0) {
		inet_ntop(fam, nl_addr_get_binary_addr(a), buf, sizeof buf);
		if (with_prefix)
			lua_pushfstring(L, "%s/%d", buf, (int)nl_addr_get_prefixlen(a));
		else
			lua_pushstring(L, buf);
		return;
	}
	nl_addr2str(a, buf, sizeof buf);
	lua_pushstring(L, buf);
}

void vn_push_family(lua_State *L, int fam)
{
	if (fam == AF_INET) lua_pushliteral(L, "inet");
	else if (fam == AF_INET6) lua_pushliteral(L, "inet6");
	else if (fam == AF_BRIDGE) lua_pushliteral(L, "bridge");
	else lua_pushinteger(L, fam);
}

void vn_push_devdesc(lua_State *L, int sidx)
{
	if (lua_type(L, sidx) == LUA_TUSERDATA) {
		vn_link_desc(L, sidx);
	} else if (lua_type(L, sidx) == LUA_TNUMBER) {
		lua_pushvalue(L, sidx);           /* as Lua writes it, no cast */
		lua_tostring(L, -1);
	} else {
		lua_pushstring(L, lua_tostring(L, sidx));
	}
}

int vn_addr_same(struct nl_addr *a, struct nl_addr *b)
{
	if (!a || !b)
		return !a && !b;
	return nl_addr_get_family(a) == nl_addr_get_family(b) &&
	       nl_addr_get_len(a) == nl_addr_get_len(b) &&
	       memcmp(nl_addr_get_binary_addr(a), nl_addr_get_binary_addr(b),
		      nl_addr_get_len(a)) == 0;
}
