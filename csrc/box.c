/*
 * box.c - the object type system: a metatable per type (vn_type:
 * methods, read-only fields through __index, __gc/__close, __eq,
 * __tostring, the methods its file adds to netns handles and links),
 * boxes of libnl objects, of kernel messages (vn_msgbox) or inline, each
 * bound to its namespace handle through its user value; and what the
 * object files share beyond it: live checks, tostring words, flag sets,
 * dump filters and results, sending a request libnl built. See box.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "box.h"
#include "link.h"
#include "msg.h"
#include "names.h"
#include "netns.h"

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

/* __tostring; upvalue 1 is the type */
static int box_tostring(lua_State *L)
{
	const vn_type *t = (const vn_type *)lua_touserdata(L, lua_upvalueindex(1));
	void *o = box_obj(t, luaL_checkudata(L, 1, t->name));
	luaL_Buffer b;
	if (!o) {
		lua_pushfstring(L, "%s (released)", t->name);
		return 1;
	}
	if (!t->summary)
		return t->tostring(L);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, t->name);
	luaL_addstring(&b, ": ");
	t->summary(L, &b, o);
	luaL_pushresult(&b);
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
	lua_pushlightuserdata(L, (void *)t);
	lua_pushcclosure(L, box_tostring, 1);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
	if (t->ns_methods)
		vn_netns_methods(L, t->ns_methods);
	if (t->modes)
		vn_netns_modes(L, t->modify, t->modes);
	if (t->link_methods)
		vn_type_methods(L, VN_LINK, t->link_methods);
}

void vn_push_rta_u32(lua_State *L, const struct rtattr *a)
{
	if (a)
		lua_pushinteger(L, (lua_Integer)vn_rta_u32(a));
	else
		lua_pushnil(L);
}

void vn_class_new(lua_State *L, const char *name, const luaL_Reg *methods,
		  lua_CFunction index, lua_CFunction gc, lua_CFunction close,
		  lua_CFunction tostring)
{
	luaL_newmetatable(L, name);                    /* mt */
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_newtable(L);                               /* mt, methods */
	luaL_setfuncs(L, methods, 0);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "__vn_methods");
	lua_pushcclosure(L, index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	if (close) {
		lua_pushcfunction(L, close);
		lua_setfield(L, -2, "__close");
	}
	lua_pushcfunction(L, tostring);
	lua_setfield(L, -2, "__tostring");
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

void *vn_check_live(lua_State *L, int idx, const char *tname)
{
	void *b = luaL_checkudata(L, idx, tname);
	box_live(L, idx, box_type(L, idx));
	return b;
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


void vn_box_uv(lua_State *L, int idx)
{
	getuv(L, idx);
}

int vn_box_released(lua_State *L, int idx)
{
	const vn_type *t = box_type(L, idx);
	return !t || !box_obj(t, lua_touserdata(L, idx));
}

void vn_add_word(lua_State *L, luaL_Buffer *buf, const char *word)
{
	lua_pushfstring(L, " %s %s", word, lua_tostring(L, -1));
	lua_remove(L, -2);
	luaL_addvalue(buf);
}

void vn_add_word_opt(lua_State *L, luaL_Buffer *buf, const char *word)
{
	if (lua_isnil(L, -1))
		lua_pop(L, 1);
	else
		vn_add_word(L, buf, word);
}

void vn_push_flags(lua_State *L, unsigned f, const vn_flag *names)
{
	lua_newtable(L);
	for (; names->name; names++)
		if (f & names->f) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, names->name);
		}
}

int vn_opt_dev_master(lua_State *L, int idx, vn_ns *ns, const char *fn, int *dev,
		      int *master)
{
	const char *k;
	*master = 0;
	*dev = vn_opt_ifindex(L, idx, ns, fn, "dev");
	if (*dev >= 0)
		*master = vn_opt_ifindex(L, idx, ns, fn, "master");
	if (*dev >= 0 && *master >= 0)
		return 0;
	k = *dev < 0 ? "dev" : "master";
	lua_getfield(L, idx, k);
	return vn_fail(L, lua_pushfstring(L, "%s: %s '%s'", fn, k, lua_tostring(L, -1)),
		       ENODEV, NULL);
}

int vn_push_dump(lua_State *L, vn_list *l, int r, const vn_err *e, const char *what,
		 vn_push_raw push, int nsidx)
{
	if (r < 0) {
		vn_list_free(l);
		return vn_push_err(L, what, e, NULL);
	}
	vn_push_raw_iter(L, l, push, nsidx);
	return 1;
}

int vn_req_built(lua_State *L, vn_ns *ns, int r, struct nl_msg *msg, const char *what,
		 const vn_optname *opts)
{
	vn_err e;
	if (r < 0) {
		nlmsg_free(msg);
		return vn_push_nlerr(L, what, r);
	}
	r = vn_req(ns, nlmsg_hdr(msg), 0, NULL, &e);
	nlmsg_free(msg);
	if (r < 0)
		return vn_push_err(L, what, &e, opts);
	lua_pushboolean(L, 1);
	return 1;
}
