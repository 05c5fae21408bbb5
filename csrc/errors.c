/*
 * errors.c - the failure convention: errno names both ways (vnet.errno),
 * and the one function that pushes nil, message, errname from a vn_err
 * (naming the Lua option the kernel pointed at). See errors.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>

#include "errors.h"

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
	X(EINPROGRESS) X(ESTALE) X(EDQUOT) X(ECANCELED) X(ENOTUNIQ) X(ERFKILL) \
	X(EXFULL)

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
	if (e->msg[0] == VN_NOTE[0])   /* vnet's own note, not the kernel's */
		lua_pushfstring(L, "%s: %s (%s)", what, strerror(no), e->msg + 1);
	else
		lua_pushfstring(L, "%s: %s%s%s%s%s%s%s", what, opt ? "option '" : "",
				opt ? opt : "", opt ? "': " : "", strerror(no),
				e->msg[0] ? " (the kernel said: " : "", e->msg,
				e->msg[0] ? ")" : "");
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


void vn_err_set(vn_err *e, int no, const char *msg)
{
	if (!e)
		return;
	e->no = no;
	e->attr = -1;
	snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "");
}
