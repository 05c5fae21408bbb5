/*
 * box.h - the object type system (box.c): one metatable per type,
 * boxes bound to their namespace handle, fields read through __index;
 * live checks, tostring words, flag sets, dump filters and results, and
 * libnl-built requests the object files share.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_BOX_H
#define VNET_BOX_H

#include <netlink/object.h>
#include "sock.h"

typedef struct vn_field {
	const char *name;
	/* o: the box's libnl object, or for an inline type the box itself */
	void (*get)(lua_State *L, void *o);
} vn_field;

struct vn_mode;

typedef struct vn_type {
	const char *name;          /* metatable name, e.g. "vnet.link" */
	const luaL_Reg *methods;   /* methods (self is the box) */
	const vn_field *fields;    /* read-only fields, NULL-terminated */
	/* __tostring is "<name>: " and what summary adds to b (o as for a
	 * field), or "<name> (released)" once released. A type without a
	 * summary gives tostring instead, called for a live box only. */
	void (*summary)(lua_State *L, luaL_Buffer *b, void *o);
	int (*tostring)(lua_State *L);
	/* Inline types (routes, links) keep their object in the box itself:
	 * live(box) says whether it is not released, release(box) releases it
	 * (__close, and __gc when gc is set), same(a, b) is __eq's identity.
	 * NULL for boxes of libnl objects (vn_box). */
	int (*live)(const void *box);
	void (*release)(void *box);
	int (*same)(const void *a, const void *b);
	/* an inline type whose box owns memory: release also runs at __gc */
	int gc;
	/* optional: brings the live box at idx up to date before its fields
	 * are read (a link re-reads itself after a change); may raise */
	void (*fresh)(lua_State *L, int idx);
	/* optional: the methods the type's file adds to the netns handle
	 * (ns_methods, and modify in each mode of modes: see vn_netns_modes)
	 * and to links */
	const luaL_Reg *ns_methods;
	lua_CFunction modify;
	const struct vn_mode *modes;
	const luaL_Reg *link_methods;
} vn_type;

typedef struct vn_box {
	struct nl_object *o;       /* one reference, NULL once released */
} vn_box;

/* The box of inline types that hold one kernel message (routes, addresses):
 * its payload as the kernel sent it, the family header (at least; the
 * dump filters check it) then the attributes. */
typedef struct vn_msgbox {
	uint32_t len;             /* bytes in m; 0 once released */
	uint32_t pad_;
	unsigned char m[];
} vn_msgbox;
/* Pushes a message box of type tname holding a copy of the len bytes at
 * p, bound to the netns handle at nsidx. */
void vn_msgbox_push(lua_State *L, const char *tname, const void *p, size_t len, int nsidx);
/* vn_type's live and release for message boxes. */
int vn_msgbox_live(const void *box);
void vn_msgbox_release(void *box);
/* The members of the vn_type of a message box type whose one method is
 * delete (more may follow: { VN_MSGBOX(...), .ns_methods = ... }). */
#define VN_MSGBOX(tname, flds, summ, eq, del) .name = (tname),		\
	.methods = (const luaL_Reg[]){ { "delete", (del) }, { NULL, NULL } },	\
	.fields = (flds), .summary = (summ), .live = vn_msgbox_live,	\
	.release = vn_msgbox_release, .same = (eq)
/* The same with a __tostring of its own. */
#define VN_MSGBOX_TYPE(tname, flds, tostr, eq, del)			\
	{ VN_MSGBOX(tname, flds, NULL, eq, del), .tostring = (tostr) }

/* Creates the metatable for t (with __index, __gc, __close, __eq, __tostring
 * and __name), adds its methods to the netns handle and to links, and
 * leaves nothing on the stack. */
void vn_type_register(lua_State *L, const vn_type *t);
struct rtattr;
/* Pushes the u32 attribute a as an integer, or nil when a is NULL (a
 * field of a message box). */
void vn_push_rta_u32(lua_State *L, const struct rtattr *a);
/* Creates the metatable name of a type that is no vn_type and leaves it on
 * the stack: __name, the methods (also as __vn_methods) served by index
 * (upvalue 1: the methods table), __gc, __close (none when close is NULL),
 * __tostring. */
void vn_class_new(lua_State *L, const char *name, const luaL_Reg *methods,
		  lua_CFunction index, lua_CFunction gc, lua_CFunction close,
		  lua_CFunction tostring);
/* Adds methods to the registered type tname (e.g. addr.c adds
 * link:addr_add to "vnet.link"). */
void vn_type_methods(lua_State *L, const char *tname, const luaL_Reg *l);
/* Pushes a new box owning o (one reference moves in), bound to the netns
 * handle at nsidx (kept alive through the user value). */
void vn_box_push(lua_State *L, struct nl_object *o, const char *tname, int nsidx);
/* Pushes a new zeroed box of size bytes with the metatable tname, bound to
 * the netns handle at nsidx, and returns it (for inline types). */
void *vn_box_new(lua_State *L, size_t size, const char *tname, int nsidx);
/* Pushes a userdata that owns the libnl object put into *result (released
 * at __gc): what a request is built in stays owned if a parser raises. */
struct nl_object **vn_guard(lua_State *L);
/* Checks a live box of type tname at idx. */
struct nl_object *vn_box_check(lua_State *L, int idx, const char *tname);
/* Checks that the value at idx is a box of the registered type tname (any
 * kind of box), raising "attempt to use a released <tname>" once it is
 * released, and returns the box. */
void *vn_check_live(lua_State *L, int idx, const char *tname);
/* Replaces the object in a box (drops the old reference, takes one). */
void vn_box_replace(lua_State *L, int idx, const char *tname, struct nl_object *o);
/* Pushes the netns handle a box is bound to and returns it. */
vn_ns *vn_box_ns(lua_State *L, int idx);
/* Pushes the netns handle a box is bound to (or what stands there) and
 * returns it, or NULL when it is closed; never raises. */
vn_ns *vn_box_ns_open(lua_State *L, int idx);
/* Rebinds the box at idx to the netns handle at nsidx. */
void vn_box_setns(lua_State *L, int idx, int nsidx);
/* Pushes a fields table {name = value, ...} of the box at idx. */
int vn_box_totable(lua_State *L);


/* Pushes the user value of the box at idx (its namespace handle, or what
 * stands there); never raises. */
void vn_box_uv(lua_State *L, int idx);
/* Whether the box at idx (of any registered type) has been released. */
int vn_box_released(lua_State *L, int idx);
/* For __tostring: adds " <word> <value at the top>" to buf, consuming the
 * value (only luaL_addvalue may run with a value above the buffer). */
void vn_add_word(lua_State *L, luaL_Buffer *buf, const char *word);
/* The same, adding nothing for a nil value. */
void vn_add_word_opt(lua_State *L, luaL_Buffer *buf, const char *word);

/* A flag bit and its name; a { NULL } row ends a table of them. */
typedef struct vn_flag {
	const char *name;
	unsigned f;
} vn_flag;
/* Pushes the set { name = true, ... } of the flags of names that f has. */
void vn_push_flags(lua_State *L, unsigned f, const vn_flag *names);

/* Reads the link options dev and master of the table at idx, the filters
 * of the dump fn, into *dev and *master (0 when absent; see
 * vn_opt_ifindex). Returns 0, or, when one names no link, pushes nil,
 * "<fn>: <key> '<name>'", "ENODEV" and returns 3. */
int vn_opt_dev_master(lua_State *L, int idx, vn_ns *ns, const char *fn, int *dev,
		      int *master);

/* Pushes an iterator over what the dump r (0, or -errno with e filled in)
 * put into l (vn_push_raw_iter: push makes each value, bound to the handle
 * at nsidx), or, when it failed, nil, message, errname naming what;
 * returns the count. */
int vn_push_dump(lua_State *L, vn_list *l, int r, const vn_err *e, const char *what,
		 vn_push_raw push, int nsidx);

/* Sends the request a rtnl_*_build_*_request of libnl made into msg (r:
 * what that returned) and frees it. Pushes true, or nil, message, errname
 * (what names the request; opts the options, see vn_push_err); returns the
 * count. */
int vn_req_built(lua_State *L, vn_ns *ns, int r, struct nl_msg *msg, const char *what,
		 const vn_optname *opts);

#endif
