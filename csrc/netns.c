/*
 * netns.c - network namespace handles: add/delete/list/open/current, named
 * namespaces kept where `ip netns` keeps them (bind mounts under /run/netns),
 * and their sysctls (programs in a namespace: proc.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "util.h"
#include "handle.h"

/***
 * Network namespaces: `vnet.netns` (also `vnet.core.netns`) makes, opens,
 * lists and deletes them; a handle (`vnet.netns` object) holds one netlink
 * socket opened inside its namespace and carries the methods of every other
 * module (`ns:link_add`, `ns:addr_add`, `ns:route_add`, `ns:monitor`...).
 * Named namespaces live where `ip netns` keeps them (bind mounts under
 * /run/netns). The calling thread enters a namespace only for the instant
 * of opening a socket or a sysctl file.
 * @module vnet.netns
 */

/*** The calling thread's own namespace.
 * @function current
 * @return a handle
 */

/*** The named namespaces, as `ip netns list`.
 * @function list
 * @return an iterator over names (sorted), or `nil, message, errname` when
 *   /run/netns cannot be read
 */

/*** Opens an existing namespace.
 * @function open
 * @param what a name, or `{ name = }`, `{ path = }` (a namespace file) or
 *   `{ pid = }` (a process's namespace); a table may give `timeout`
 *   (`ns.timeout`'s value for the new handle)
 * @return a handle, or `nil, message, errname`
 */

/*** Adds a named namespace, pinned at /run/netns/NAME (`ip netns add`).
 * @function add
 * @tparam string name 1 to 63 bytes, no `/`, not `.` or `..`
 * @return a handle, or `nil, message, errname` (`EEXIST`)
 * @raise on a bad name
 */

/*** A new namespace with no name: nothing lists it, and it vanishes with
 * the last thing that holds it (a handle, a process, a link's peer).
 * @function new
 * @return a handle, or `nil, message, errname`
 * @usage
 * local vnet = require "vnet"
 * local ns = assert(vnet.netns.new())
 * local a = assert(ns:link_add{ name = "a0", kind = "veth", peer = "b0", up = true })
 * assert(a:addr_add("10.0.0.1/24"))
 * for l in ns:links() do print(l) end
 * local ok, out = ns:exec{ "ip", "-br", "addr" }
 * assert(ok and out:find("10.0.0.1/24", 1, true), out)
 * ns:close()
 */

/*** Deletes a named namespace (`ip netns delete`): its name goes; the
 * namespace itself ends with the last thing that holds it.
 * @function delete
 * @param name a name or a named handle
 * @return `true`, or `nil, message, errname`
 */

/*** A namespace handle.
 * @type ns
 */

/*** The fields of a `vnet.netns` handle.
 * @table fields
 * @field name the namespace's name, nil for one without a name
 * @field path the file the handle was opened from
 * @field id the namespace's inode number (the same for two handles of one
 *   namespace; `==` compares it)
 * @field closed true once `ns:close()` ran
 * @field requests the netlink requests sent on the handle so far (each
 *   message of a batch counts)
 * @field timeout seconds (0.001 to 2147483, default 30) each wait for the
 *   kernel's answer on the handle may take before the call fails with
 *   `ETIMEDOUT`; the one field that can be set (`ns.timeout = 5`)
 */

/*** Runs a program inside the namespace and waits for it.
 * @function ns:exec
 * @tparam table argv the program and its arguments (`{ "ip", "link" }`) and
 *   the options `env` (a table name = value, false removes), `clearenv`,
 *   `cwd`, `stdin` (a string fed to it), `capture` (default true: collect
 *   stdout and stderr), `timeout` (seconds: then it is killed)
 * @return `ok, stdout, stderr, code, how` (`ok`: exit status 0; `how`:
 *   `"exit"`, `"signal"` or `"timeout"`), or `nil, message, errname` when
 *   it could not be started
 */

/*** Sends many changes at once: fn(ns) runs with the handle's changes
 * queued instead of sent, then they are sent pipelined and every ack is
 * collected. Changes made inside return true instead of objects. An error
 * raised by fn drops the queue (nothing is sent) and is raised again.
 * @function ns:batch
 * @tparam function fn called with the handle
 * @return `true`, or `nil, message, errname, failures` (a list of
 *   `{ index, errname, message }`)
 */
#define NETNS_RUN_DIR "/run/netns"
#define NAME_MAXLEN 63

static void check_name(lua_State *L, const char *fn, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAXLEN)
		luaL_error(L, "%s: namespace name '%s' must be 1 to %d bytes long", fn,
			   name, NAME_MAXLEN);
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		luaL_error(L, "%s: namespace name '%s' may not contain '/' or be '.' or '..'",
			   fn, name);
}

/* The namespace name at stack index idx: a string without NUL bytes that
 * check_name accepts; raises otherwise. */
static const char *name_arg(lua_State *L, int idx, const char *fn)
{
	size_t len;
	const char *name;
	if (lua_type(L, idx) != LUA_TSTRING)   /* not a number made into a name */
		luaL_error(L, "%s: namespace name must be a string, got %s", fn,
			   luaL_typename(L, idx));
	name = lua_tolstring(L, idx, &len);
	if (strlen(name) != len)
		luaL_error(L, "%s: namespace name contains a NUL byte", fn);
	check_name(L, fn, name);
	return name;
}

/* ---- C resources owned by Lua ---------------------------------------- */
/* A guard is a userdata holding a block of C state and the function that
 * releases what the block owns (memory, descriptors, a child). Its __gc runs
 * that function, so whatever is kept there is freed even when Lua raises
 * (out of memory) before the owner is done; guard_done releases it at once. */
#define VN_GUARD "vnet.netns.guard"
typedef struct guard_hdr { void (*fin)(void *body); } guard_hdr;
#define GUARD_BODY(g) ((void *)((char *)(g) + ((sizeof(guard_hdr) + 15) & ~(size_t)15)))

/* Pushes a guard whose body (size bytes, zeroed) is returned; fin(body)
 * runs once, at guard_done or __gc. */
void *vn_guard_new(lua_State *L, size_t size, void (*fin)(void *))
{
	size_t total = ((sizeof(guard_hdr) + 15) & ~(size_t)15) + size;
	guard_hdr *g;
#if LUA_VERSION_NUM >= 504
	g = (guard_hdr *)lua_newuserdatauv(L, total, 0);
#else
	g = (guard_hdr *)lua_newuserdata(L, total);
#endif
	memset(g, 0, total);
	g->fin = fin;
	luaL_setmetatable(L, VN_GUARD);
	return GUARD_BODY(g);
}

/* Releases the guard at idx now (its __gc will do nothing). */
void vn_guard_done(lua_State *L, int idx)
{
	guard_hdr *g = (guard_hdr *)lua_touserdata(L, idx);
	void (*fin)(void *) = g->fin;
	g->fin = NULL;
	if (fin)
		fin(GUARD_BODY(g));
}

static int guard_gc(lua_State *L)
{
	luaL_checkudata(L, 1, VN_GUARD);
	vn_guard_done(L, 1);
	return 0;
}

vn_ns *vn_checkns(lua_State *L, int idx)
{
	vn_ns *ns = (vn_ns *)luaL_checkudata(L, idx, VN_NETNS);
	vn_handle_open(L, ns->fd >= 0, VN_NETNS);
	return ns;
}

static void ns_release(vn_ns *ns)
{
	vn_batch_abort(ns);
	vn_sock_close(ns);
	if (ns->fd >= 0) {
		close(ns->fd);
		ns->fd = -1;
	}
}

static int ns_gc(lua_State *L)
{
	ns_release((vn_ns *)luaL_checkudata(L, 1, VN_NETNS));
	return 0;
}

/* Pushes a closed handle (fd -1) named name (may be "") with path: the box
 * that owns the fd once one is opened into it. */
static vn_ns *new_box(lua_State *L, const char *path, const char *name)
{
	vn_ns *ns;
#if LUA_VERSION_NUM >= 504
	ns = (vn_ns *)lua_newuserdatauv(L, sizeof *ns, 0);
#else
	ns = (vn_ns *)lua_newuserdata(L, sizeof *ns);
#endif
	memset(ns, 0, sizeof *ns);
	ns->fd = -1;
	luaL_setmetatable(L, VN_NETNS);
	snprintf(ns->name, sizeof ns->name, "%s", name);
	snprintf(ns->path, sizeof ns->path, "%s", path);
	return ns;
}

/* Completes the handle whose fd is open (or failed to open with errno e):
 * identity and socket. Returns 0, or releases it and returns the errno. */
static int finish_handle(vn_ns *ns, int e)
{
	struct stat st;
	int r;
	if (ns->fd < 0 || fstat(ns->fd, &st) < 0) {
		if (ns->fd >= 0)
			e = errno;
		ns_release(ns);
		return e;
	}
	ns->ino = (unsigned long long)st.st_ino;
	r = vn_sock_open(ns);
	if (r < 0) {
		ns_release(ns);
		return -r;
	}
	return 0;
}

/* Pushes the failure triple of a handle that could not be made. */
static int handle_fail(lua_State *L, const char *fn, const char *what, int e)
{
	lua_pushfstring(L, "%s%s%s", fn, *what ? " " : "", what);
	return vn_fail(L, lua_tostring(L, -1), e, e == EINVAL ? "not a network namespace" : NULL);
}

/* Pushes a new handle for the namespace file at path (name may be ""). On
 * failure the handle is released and the errno returned, else 0. */
static int open_handle(lua_State *L, const char *path, const char *name)
{
	vn_ns *ns = new_box(L, path, name);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	return finish_handle(ns, errno);
}

/* Pushes a new handle for the namespace file at path, or the failure triple.
 * name may be "". */
static int push_handle(lua_State *L, const char *fn, const char *path, const char *name)
{
	int e = open_handle(L, path, name);
	return e == 0 ? 1 : handle_fail(L, fn, *name ? name : path, e);
}

/* Makes /run/netns a shared mount point the way iproute2 does, so that
 * namespaces mounted later propagate to other mount namespaces. */
static void make_run_dir(void)
{
	mkdir("/run", 0755);
	mkdir(NETNS_RUN_DIR, 0755);
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return;
	if (errno != EINVAL)
		return;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) == 0)
		mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL);
}

/* Runs in the calling thread (vn_in_ns brings it back): makes a fresh
 * namespace and opens it into *(int *)arg. */
static int open_new_ns(void *arg)
{
	int *fd = (int *)arg;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

/* Opens a fresh namespace into ns->fd. Returns 0 or sets errno, -1. */
static int make_ns(vn_ns *ns)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), r;
	if (self < 0)
		return -1;
	r = vn_in_ns(self, open_new_ns, &ns->fd);
	close(self);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* Makes the namespace of fd visible at path, which is created here (so an
 * existing name fails with EEXIST). Returns 0 or -errno, leaving nothing. */
static int pin_fd(int fd, const char *path)
{
	char src[64];
	int f, e;
	make_run_dir();
	f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (f < 0)
		return -errno;
	close(f);
	snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
	if (mount(src, path, "none", MS_BIND, NULL) < 0) {
		e = errno;
		unlink(path);
		return -e;
	}
	return 0;
}

/* vnet.netns.add(name) -> handle | nil, msg, errname. Raises on a bad name. */
static int l_add(lua_State *L)
{
	const char *name = name_arg(L, 1, "netns.add");
	char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
	vn_ns *ns;
	int r;

	lua_settop(L, 1);
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	ns = new_box(L, path, name);
	make_ns(ns);              /* on failure ns->fd stays -1, errno says why */
	if ((r = finish_handle(ns, errno)) != 0)
		return handle_fail(L, "netns.add", name, r);
	if ((r = pin_fd(ns->fd, path)) < 0) {
		ns_release(ns);
		return vn_fail(L, lua_pushfstring(L, "netns.add %s", name), -r, NULL);
	}
	return 1;
}

/* vnet.netns.new() -> handle | nil, msg, errname: a fresh namespace with no
 * name, which lives while something holds it (this handle, a process, a
 * link's peer...) and vanishes with the last of them. */
static int l_new(lua_State *L)
{
	vn_ns *ns = new_box(L, "", "");
	int e;
	make_ns(ns);
	e = finish_handle(ns, errno);
	return e == 0 ? 1 : handle_fail(L, "netns.new", "", e);
}

/*** Makes the handle's namespace visible as /run/netns/NAME (like
 * `ip netns attach`); the handle takes the name. `new`, set up, then `pin`:
 * no one sees the namespace half made.
 * @function ns:pin
 * @tparam string name as for `add`
 * @return the handle, or `nil, message, errname` (`EEXIST` when taken)
 * @raise on a bad name, and inside `ns:batch`
 */
/* ns:pin(name) -> ns | nil, msg, errname: makes the handle's namespace
 * visible as /run/netns/NAME (like `ip netns attach`), created exclusively;
 * the handle takes that name. Raises on a bad name. */
static int m_pin(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	const char *name = name_arg(L, 2, "pin");
	char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
	int r;
	if (vn_deferred(ns))
		return luaL_error(L, "pin: cannot be used inside ns:batch (it is not a "
				  "netlink request and cannot be queued): pin before or "
				  "after the batch");
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	if ((r = pin_fd(ns->fd, path)) < 0)
		return vn_fail(L, lua_pushfstring(L, "pin %s", name), -r, NULL);
	snprintf(ns->name, sizeof ns->name, "%s", name);
	snprintf(ns->path, sizeof ns->path, "%s", path);
	lua_settop(L, 1);
	return 1;
}

/* vnet.netns.delete(name) -> true | nil, msg, errname */
static int l_delete(lua_State *L)
{
	const char *name;
	char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
	if (lua_type(L, 1) == LUA_TUSERDATA) {
		vn_ns *ns = (vn_ns *)luaL_checkudata(L, 1, VN_NETNS);
		if (!*ns->name)
			return luaL_error(L, "netns.delete: namespace has no name under " NETNS_RUN_DIR);
		lua_pushstring(L, ns->name);
		lua_replace(L, 1);
	}
	name = name_arg(L, 1, "netns.delete");
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) {
		int e = errno;
		return vn_fail(L, lua_pushfstring(L, "netns.delete %s", name), e, NULL);
	}
	if (unlink(path) < 0)
		return vn_fail(L, lua_pushfstring(L, "netns.delete %s", name), errno, NULL);
	lua_pushboolean(L, 1);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What netns.list holds while it reads the directory (in a guard). */
typedef struct list_st {
	DIR *d;
	char **v;
	size_t n, cap;
} list_st;

static void list_fin(void *p)
{
	list_st *s = (list_st *)p;
	size_t i;
	if (s->d)
		closedir(s->d);
	s->d = NULL;
	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* vnet.netns.list() -> iterator over names (sorted), as `ip netns list`
 * | nil, msg, errname when /run/netns cannot be read (none yet: no names). */
static int l_list(lua_State *L)
{
	list_st *s = (list_st *)vn_guard_new(L, sizeof *s, list_fin);
	int gidx = lua_gettop(L);
	struct dirent *e;
	size_t i;

	if (!(s->d = opendir(NETNS_RUN_DIR)) && errno != ENOENT)
		return vn_fail(L, "netns.list " NETNS_RUN_DIR, errno, NULL);
	while (s->d && (e = readdir(s->d))) {
		if (e->d_name[0] == '.')
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			char **nv = (char **)realloc(s->v, cap * sizeof *nv);
			if (!nv)
				return luaL_error(L, "netns.list: out of memory");
			s->v = nv;
			s->cap = cap;
		}
		if (!(s->v[s->n] = strdup(e->d_name)))
			return luaL_error(L, "netns.list: out of memory");
		s->n++;
	}
	if (s->d) {
		closedir(s->d);
		s->d = NULL;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_str);
	lua_createtable(L, (int)s->n, 0);
	for (i = 0; i < s->n; i++) {
		lua_pushstring(L, s->v[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	vn_guard_done(L, gidx);
	lua_getfield(L, LUA_REGISTRYINDEX, "vnet.iter_values");
	lua_insert(L, -2);
	lua_pushinteger(L, 0);
	lua_call(L, 2, 1);
	return 1;
}

/* The bound of a handle's receives given at stack index idx by fn: a
 * number of seconds, 0.001 to 2^31/1000; raises otherwise. */
static double check_timeout(lua_State *L, int idx, const char *fn)
{
	lua_Number t;
	if (lua_type(L, idx) != LUA_TNUMBER)
		luaL_error(L, "%s: timeout must be a number of seconds, got %s", fn,
			   luaL_typename(L, idx));
	t = lua_tonumber(L, idx);
	if (!(t >= 0.001 && t <= 2147483.0))
		luaL_error(L, "%s: timeout must be between 0.001 and 2147483 seconds, "
			   "got %s", fn, lua_tostring(L, idx));
	return (double)t;
}

/* vnet.netns.open(name | { name = | path = | pid =, timeout = })
 *   -> handle | nil, msg, errname */
static int l_open(lua_State *L)
{
	static const char *const keys[] = { "name", "path", "pid", "timeout", NULL };
	char path[256], namebuf[128];
	const char *name = NULL;
	double timeout = 0;
	if (lua_type(L, 1) == LUA_TSTRING) {
		name = vn_check_str(L, 1, "netns.open", "name", 0);
	} else if (lua_istable(L, 1)) {
		lua_Integer pid;
		int n = 0;
		vn_opts_check(L, 1, "netns.open", keys);
		/* copied out: the table's __index may hand out strings that are
		 * collected as soon as they are read */
		if (vn_opt_str(L, 1, "netns.open", "name", namebuf, sizeof namebuf)) {
			name = namebuf;
			n++;
		}
		if (vn_opt_str(L, 1, "netns.open", "path", path, sizeof path))
			n++;
		if (vn_opt_int(L, 1, "netns.open", "pid", 1, 0x7fffffff, &pid)) {
			snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
			n++;
		}
		if (n != 1)
			return luaL_error(L, "netns.open: give exactly one of 'name', 'path' or 'pid'");
		lua_getfield(L, 1, "timeout");
		if (!lua_isnil(L, -1))
			timeout = check_timeout(L, -1, "netns.open");
		lua_pop(L, 1);
	} else {
		return luaL_argerror(L, 1, "namespace name or options table expected");
	}
	if (name) {
		check_name(L, "netns.open", name);
		snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	}
	if (push_handle(L, "netns.open", path, name ? name : "") != 1)
		return 3;
	if (timeout > 0)
		vn_sock_timeout((vn_ns *)lua_touserdata(L, -1), timeout);
	return 1;
}

/* vnet.netns.current() -> handle of the calling thread's namespace */
static int l_current(lua_State *L)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/ns/net", (int)getpid(), (int)gettid());
	return push_handle(L, "netns.current", path, "");
}

/*** Releases the handle's socket and namespace fd (not the namespace).
 * Also `__close` and the collector; closing twice is harmless.
 * @function ns:close
 */
/* ns:close() releases the socket and the namespace fd (not the namespace). */
static int m_close(lua_State *L)
{
	ns_release((vn_ns *)luaL_checkudata(L, 1, VN_NETNS));
	return 0;
}

static int m_tostring(lua_State *L)
{
	vn_ns *ns = (vn_ns *)luaL_checkudata(L, 1, VN_NETNS);
	if (ns->fd < 0)
		lua_pushstring(L, "vnet.netns (closed)");
	else if (*ns->name)
		lua_pushfstring(L, "vnet.netns: %s", ns->name);
	else
		lua_pushfstring(L, "vnet.netns: %s", *ns->path ? ns->path : "(no name)");
	return 1;
}

static int m_eq(lua_State *L)
{
	vn_ns *a = (vn_ns *)luaL_testudata(L, 1, VN_NETNS);
	vn_ns *b = (vn_ns *)luaL_testudata(L, 2, VN_NETNS);
	lua_pushboolean(L, a && b && a->fd >= 0 && b->fd >= 0 && a->ino == b->ino);
	return 1;
}

/* __index: methods (upvalue 1), then the fields name, path, id, closed,
 * requests. */
static int m_index(lua_State *L)
{
	vn_ns *ns = (vn_ns *)luaL_checkudata(L, 1, VN_NETNS);
	const char *k;
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
		return 1;
	k = lua_tostring(L, 2);
	if (!strcmp(k, "name")) {
		if (*ns->name) lua_pushstring(L, ns->name); else lua_pushnil(L);
	} else if (!strcmp(k, "path")) {
		lua_pushstring(L, ns->path);
	} else if (!strcmp(k, "id")) {
		lua_pushinteger(L, (lua_Integer)ns->ino);
	} else if (!strcmp(k, "closed")) {
		lua_pushboolean(L, ns->fd < 0);
	} else if (!strcmp(k, "requests")) {
		lua_pushinteger(L, (lua_Integer)ns->requests);
	} else if (!strcmp(k, "timeout")) {
		lua_pushnumber(L, (lua_Number)(ns->timeout > 0 ? ns->timeout : VN_TIMEOUT));
	} else {
		lua_pushnil(L);
	}
	return 1;
}

/* __newindex: ns.timeout = seconds (the bound of each receive on the
 * handle's socket); any other field raises. */
static int m_newindex(lua_State *L)
{
	vn_ns *ns = (vn_ns *)luaL_checkudata(L, 1, VN_NETNS);
	double t;
	size_t len = 0;
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : NULL;
	if (!k || strcmp(k, "timeout") != 0) {
		if (k && len <= 64 && strlen(k) == len)
			return luaL_error(L, "vnet.netns: cannot set field '%s' (only 'timeout' "
					  "can be set)", k);
		return luaL_error(L, "vnet.netns: cannot set a field named by %s (only "
				  "'timeout' can be set)", k ? "a long string or one with a NUL byte"
				  : luaL_typename(L, 2));
	}
	t = check_timeout(L, 3, "vnet.netns");
	vn_handle_open(L, ns->fd >= 0, VN_NETNS);
	vn_sock_timeout(ns, t);
	return 0;
}

/* ---- sysctl ---------------------------------------------------------- */
struct sysctl_open { const char *path; int flags; int fd; };

static int open_sysctl(void *arg)
{
	struct sysctl_open *s = (struct sysctl_open *)arg;
	s->fd = open(s->path, s->flags | O_CLOEXEC);
	return s->fd < 0 ? -errno : 0;
}

/*** Reads or writes a sysctl of the namespace.
 * @function ns:sysctl
 * @tparam string key `"net.ipv4.ip_forward"` or
 *   `"net/ipv4/conf/eth0.5/forwarding"`; only the namespace's own `net.*`
 *   keys unless `any` is true
 * @param[opt] value the value to write (a string, number or boolean)
 * @tparam[opt] table opts `{ any = true }`: keys outside `net.` (they are
 *   the whole host's)
 * @return the value as a string, `true` after writing, or `nil, message,
 *   errname`
 * @raise on a bad key (`..`, a leading `/` or `.`, a NUL byte) or value
 */
/* ns:sysctl(key [, value [, { any = }]]) -> value string | true
 *   | nil, msg, errname.
 * key is "net.ipv4.ip_forward" or "net/ipv4/conf/eth0.5/forwarding"; only
 * the namespace's own net.* keys unless any = true (kernel.*, vm.*, fs.*
 * are the whole host's). Raises on a bad key or value. */
static int m_sysctl(lua_State *L)
{
	static const char *const keys[] = { "any", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	size_t n;
	const char *key = luaL_checklstring(L, 2, &n);
	char path[512], buf[4096], num[32];
	struct sysctl_open so;
	size_t i, vlen = 0;
	const char *val = NULL;
	int r, any = 0, slash = strchr(key, '/') != NULL;

	if (!lua_isnoneornil(L, 4)) {
		vn_opts_check(L, 4, "sysctl", keys);
		vn_opt_bool(L, 4, "sysctl", "any", &any);
	}
	if (!lua_isnoneornil(L, 3)) {
		if (lua_type(L, 3) == LUA_TBOOLEAN)
			val = lua_toboolean(L, 3) ? "1" : "0";
		else if (lua_type(L, 3) == LUA_TNUMBER && !lua_isinteger(L, 3) &&
			 lua_tonumber(L, 3) > -9.2e18 && lua_tonumber(L, 3) < 9.2e18 &&
			 (lua_Number)(long long)lua_tonumber(L, 3) == lua_tonumber(L, 3)) {
			/* 1024.0: written as the kernel reads it, "1024" */
			snprintf(num, sizeof num, "%lld", (long long)lua_tonumber(L, 3));
			val = num;
		} else if (lua_type(L, 3) == LUA_TNUMBER || lua_type(L, 3) == LUA_TSTRING)
			val = lua_tolstring(L, 3, &vlen);
		else
			return luaL_argerror(L, 3, "sysctl value must be a string, number or boolean");
		if (!vlen)
			vlen = strlen(val);
		else if (strlen(val) != vlen)
			return luaL_error(L, "sysctl: value contains a NUL byte");
	}
	if (strlen(key) != n)
		return luaL_error(L, "sysctl: key contains a NUL byte");
	if (n == 0 || n > 400 || strstr(key, "..") || key[0] == '/' || key[0] == '.')
		return luaL_error(L, "sysctl: bad key '%s'", key);
	if (!any && !(strncmp(key, "net", 3) == 0 && (key[3] == (slash ? '/' : '.'))))
		return luaL_error(L, "sysctl: key '%s' is not a net.* key of the namespace "
				  "(pass { any = true } for the host's others)", key);
	snprintf(path, sizeof path, "/proc/sys/%s", key);
	if (!slash)
		for (i = 10; path[i]; i++)
			if (path[i] == '.')
				path[i] = '/';
	so.path = path;
	so.flags = val ? O_WRONLY : O_RDONLY;
	so.fd = -1;
	r = vn_in_ns(ns->fd, open_sysctl, &so);
	if (r < 0)
		return vn_fail(L, lua_pushfstring(L, "sysctl %s", key), -r, NULL);
	if (val) {
		ssize_t w = write(so.fd, val, vlen);
		int e = errno;
		close(so.fd);
		if (w < 0)
			return vn_fail(L, lua_pushfstring(L, "sysctl %s=%s", key, val), e, NULL);
		lua_pushboolean(L, 1);
		return 1;
	}
	{
		ssize_t got = read(so.fd, buf, sizeof buf - 1);
		int e = errno;
		close(so.fd);
		if (got < 0)
			return vn_fail(L, lua_pushfstring(L, "sysctl %s", key), e, NULL);
		while (got > 0 && (buf[got - 1] == '\n'))
			got--;
		for (i = 0; i < (size_t)got; i++)
			if (buf[i] == '\t')
				buf[i] = ' ';
		lua_pushlstring(L, buf, (size_t)got);
		return 1;
	}
}

/* ns:batch(fn) calls fn(ns) with the handle's changes queued instead of
 * sent, then sends them all pipelined and collects every ack.
 * -> true | nil, msg, errname, failures ({ {index, errname, message}... }).
 * Changes made inside return true instead of objects. An error raised by fn
 * drops the queue (nothing is sent) and is raised again; so does closing
 * the handle inside fn (misuse: the queue went with the socket). */
static int m_batch(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (ns->batch)
		return luaL_error(L, "batch: this namespace handle is already in a batch");
	lua_settop(L, 2);
	if (vn_batch_begin(L, ns) < 0)                      /* 3: its results */
		return luaL_error(L, "batch: out of memory");
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 0, 0) != 0) {
		vn_batch_abort(ns);
		return lua_error(L);
	}
	if (ns->fd < 0 || !ns->batch)
		return luaL_error(L, "batch: the namespace handle was closed inside the "
				  "batch function; nothing was sent");
	return vn_batch_commit(L, ns, 3);
}

/*** The processes living in the namespace, as `ip netns pids` (read from
 * /proc, without starting a process).
 * @function ns:pids
 * @treturn {int,...} the pids
 */
/* ns:pids() -> { pid, ... }: the processes living in this namespace (as
 * `ip netns pids`, without starting a process), in /proc's order */
static int m_pids(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	struct dirent *e;
	struct stat st;
	char path[64];
	int n = 0;
	DIR *d;
	lua_newtable(L);
	if (!(d = opendir("/proc")))
		return vn_fail(L, "pids: /proc", errno, NULL);
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
		if (stat(path, &st) == 0 && (unsigned long long)st.st_ino == ns->ino) {
			lua_pushinteger(L, pid);
			lua_rawseti(L, -2, ++n);
		}
	}
	closedir(d);
	return 1;
}

static const luaL_Reg ns_methods[] = {
	{ "batch", m_batch }, { "close", m_close }, { "pids", m_pids },
	{ "pin", m_pin }, { "sysctl", m_sysctl }, { NULL, NULL }
};

static const luaL_Reg ns_funcs[] = {
	{ "add", l_add }, { "new", l_new }, { "delete", l_delete }, { "list", l_list },
	{ "open", l_open }, { "current", l_current }, { NULL, NULL }
};

/* upvalues: t, i */
static int iter_values(lua_State *L)
{
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
	lua_rawgeti(L, lua_upvalueindex(1), (int)i);
	if (!lua_isnil(L, -1)) {
		lua_pushinteger(L, i);
		lua_replace(L, lua_upvalueindex(2));
	}
	return 1;
}

/* make_iter(t, 0) -> closure over t's values */
static int make_iter(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushcclosure(L, iter_values, 2);
	return 1;
}

void vn_netns_methods(lua_State *L, const luaL_Reg *l)
{
	luaL_getmetatable(L, VN_NETNS);
	lua_getfield(L, -1, "__vn_methods");
	luaL_setfuncs(L, l, 0);
	lua_pop(L, 2);
}

void vn_netns_modes(lua_State *L, lua_CFunction f, const vn_mode *m)
{
	luaL_getmetatable(L, VN_NETNS);
	lua_getfield(L, -1, "__vn_methods");
	for (; m->name; m++) {
		lua_pushinteger(L, m->mode);
		lua_pushstring(L, m->name);
		lua_pushcclosure(L, f, 2);
		lua_setfield(L, -2, m->name);
	}
	lua_pop(L, 2);
}

void vn_open_netns(lua_State *L)
{
	lua_pushcfunction(L, make_iter);
	lua_setfield(L, LUA_REGISTRYINDEX, "vnet.iter_values");
	luaL_newmetatable(L, VN_GUARD);
	lua_pushcfunction(L, guard_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
#if LUA_VERSION_NUM >= 504
	vn_class_new(L, VN_NETNS, ns_methods, m_index, ns_gc, ns_gc, m_tostring);
#else
	vn_class_new(L, VN_NETNS, ns_methods, m_index, ns_gc, NULL, m_tostring);
#endif
	lua_pushcfunction(L, m_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, m_eq);
	lua_setfield(L, -2, "__eq");
	lua_pop(L, 1);
	luaL_newlib(L, ns_funcs);
}

vn_ns *vn_opt_netns(lua_State *L, int idx, const char *fn, const char *key, int *err)
{
	vn_ns *ns;
	*err = 0;
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if ((ns = (vn_ns *)luaL_testudata(L, -1, VN_NETNS))) {
		if (ns->fd < 0)
			luaL_error(L, "%s: option '%s' is a closed namespace handle", fn, key);
		return ns;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: option '%s' must be a vnet.netns or a name, got %s",
			   fn, key, luaL_typename(L, -1));
	{
		char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
		/* the name stays on the stack while it is used */
		const char *name, *what = lua_pushfstring(L, "option '%s'", key);
		name = vn_check_str(L, -2, fn, what, 0);
		lua_pop(L, 1);
		check_name(L, fn, name);
		snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
		/* a namespace that cannot be opened is a failure, not misuse */
		if ((*err = open_handle(L, path, name))) {
			lua_pop(L, 2);
			return NULL;
		}
		lua_remove(L, -2);
		return (vn_ns *)lua_touserdata(L, -1);
	}
}
