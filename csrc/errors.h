/*
 * errors.h - the failure convention (errors.c): a refused request's errno,
 * the kernel's extended-ack text and the attribute it pointed at, and the one
 * function that pushes nil, message, errname; the errno names.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_ERRORS_H
#define VNET_ERRORS_H

#include "compat.h"

#define VN_ERRLEN 256

/* What a refused request leaves its caller (on the caller's stack). */
typedef struct vn_err {
	int no;              /* errno, 0 if none */
	int attr;            /* the type of the request's top-level attribute the
			      * kernel pointed at (NLMSGERR_ATTR_OFFS), or -1 */
	char msg[VN_ERRLEN]; /* the kernel's extended-ack text, "" if none */
} vn_err;
/* A message beginning with this byte holds vnet's own note (what follows
 * it), not the kernel's extended-ack text: it is printed without "the
 * kernel said". */
#define VN_NOTE "\001"
/* Sets e to errno no and text msg (may be NULL), pointing at no attribute. */
void vn_err_set(vn_err *e, int no, const char *msg);

/* Which option of a call produced which attribute of its request. */
typedef struct vn_optname {
	int attr;          /* attribute type; a { 0, NULL } row ends the table */
	const char *opt;
} vn_optname;
/* THE failure: pushes nil, "<what>: [option 'o': ]<strerror>[ (the kernel
 * said: ...)]", "ENAME" and returns 3; the option is named when the kernel
 * pointed at an attribute that opts (may be NULL) maps to one. */
int vn_push_err(lua_State *L, const char *what, const vn_err *e, const vn_optname *opts);
/* The same for errno err (positive) and text kmsg (may be NULL or ""). */
int vn_fail(lua_State *L, const char *what, int err, const char *kmsg);
/* The same for a libnl builder's failure (a negative NLE code). */
int vn_push_nlerr(lua_State *L, const char *what, int nlerr);
const char *vn_errname(int err);
void vn_push_errnos(lua_State *L);

#endif
