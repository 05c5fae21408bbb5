/*
 * netns.c - network namespace handles: add/delete/list/open/current, named
 * namespaces kept where `ip netns` keeps them (bind mounts under /run/netns),
 * exec of a program inside one, and its sysctls.
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
static void *guard_new(lua_State *L, size_t size, void (*fin)(void *))
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
static void guard_done(lua_State *L, int idx)
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
	guard_done(L, 1);
	return 0;
}

vn_ns *vn_checkns(lua_State *L, int idx)
{
	vn_ns *ns = (vn_ns *)luaL_checkudata(L, idx, VN_NETNS);
	if (ns->fd < 0)
		luaL_error(L, "attempt to use a closed %s", VN_NETNS);
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
	list_st *s = (list_st *)guard_new(L, sizeof *s, list_fin);
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
	guard_done(L, gidx);
	lua_getfield(L, LUA_REGISTRYINDEX, "vnet.iter_values");
	lua_insert(L, -2);
	lua_pushinteger(L, 0);
	lua_call(L, 2, 1);
	return 1;
}

/* vnet.netns.open(name | { name = | path = | pid = }) -> handle | nil, msg, errname */
static int l_open(lua_State *L)
{
	static const char *const keys[] = { "name", "path", "pid", NULL };
	char path[256], namebuf[128];
	const char *name = NULL;
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
		if (!name)
			return push_handle(L, "netns.open", path, "");
	} else {
		return luaL_argerror(L, 1, "namespace name or options table expected");
	}
	check_name(L, "netns.open", name);
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	return push_handle(L, "netns.open", path, name);
}

/* vnet.netns.current() -> handle of the calling thread's namespace */
static int l_current(lua_State *L)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/ns/net", (int)getpid(), (int)gettid());
	return push_handle(L, "netns.current", path, "");
}

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
	} else {
		lua_pushnil(L);
	}
	return 1;
}

/* ---- sysctl ---------------------------------------------------------- */
struct sysctl_open { const char *path; int flags; int fd; };

static int open_sysctl(void *arg)
{
	struct sysctl_open *s = (struct sysctl_open *)arg;
	s->fd = open(s->path, s->flags | O_CLOEXEC);
	return s->fd < 0 ? -errno : 0;
}

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

/* ---- exec ------------------------------------------------------------ */
/* ns:exec starts two processes. The keeper is cloned with an exit signal of
 * 0 and never calls exec: the kernel sends the caller no SIGCHLD for it and
 * never reaps it on its own (not even when SIGCHLD is ignored), and a host's
 * waitpid(-1, ...) (nginx reaps its children that way) does not see it; only
 * vnet's wait with __WALL for its pid collects it. (A program's own exit
 * signal would not do: exec resets it to SIGCHLD.) The keeper forks the
 * program, kills its process group when the timeout passes, reaps it and
 * writes its wait status on the error pipe, where the program itself reports
 * a failure to start. Both call nothing that allocates or takes a lock. */
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct outbuf { char *p; size_t n, cap; } outbuf;

enum { P_IN_R, P_IN_W, P_OUT_R, P_OUT_W, P_ERR_R, P_ERR_W, P_EX_R, P_EX_W, P_N };

/* What ns:exec holds (in a guard) from reading its options to pushing its
 * results: freed, closed and reaped whatever raises. */
typedef struct exec_st {
	char **argv;    /* argv[0] spare (for /bin/sh), the program's from [1] */
	char **envp;    /* NULL: the caller's environment */
	outbuf ob, eb;  /* captured stdout and stderr */
	int fd[P_N];    /* the pipes, -1 when closed */
	pid_t pid;      /* the keeper, > 0 until reaped */
	int oom;        /* an output buffer could not grow */
} exec_st;

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void free_strv(char **v)
{
	size_t i;
	if (!v) return;
	for (i = 0; v[i]; i++) free(v[i]);
	free(v);
}

static void exec_fin(void *p)
{
	exec_st *st = (exec_st *)p;
	int i;
	for (i = 0; i < P_N; i++)
		close_fd(&st->fd[i]);
	if (st->pid > 0) {
		/* not reached: nothing raises between start and reaping */
		kill(st->pid, SIGKILL);
		while (waitpid(st->pid, NULL, __WALL) < 0 && errno == EINTR) {}
		st->pid = 0;
	}
	if (st->argv) {
		for (i = 1; st->argv[i]; i++)  /* argv[0] is never allocated */
			free(st->argv[i]);
		free(st->argv);
		st->argv = NULL;
	}
	free_strv(st->envp);
	st->envp = NULL;
	free(st->ob.p);
	free(st->eb.p);
	st->ob.p = st->eb.p = NULL;
}

/* The messages of the error pipe: a failure to start (kind FAIL_*, a: the
 * errno), then the keeper's MSG_STATUS (a: wait status, b: timed out). */
enum { FAIL_SETNS = 1, FAIL_STDIO, FAIL_CWD, FAIL_EXEC, FAIL_FORK, MSG_STATUS };
struct exec_msg { int kind, a, b; };

struct child_arg {
	vn_ns *ns;
	char **argv;          /* argv[0] spare, program from argv[1] */
	char **envp;
	const char *cwd;      /* or NULL */
	const char *path;     /* PATH to search */
	int in, out, err, ex; /* pipe ends, -1 for none */
	double timeout;       /* seconds, 0 for none */
};

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Closes every descriptor from lowfd up (close_range, or /proc/self/fd
 * read with getdents64: nothing that allocates). */
static void close_from(int lowfd)
{
	char buf[1024];
	int dfd, again = 1;
	if (syscall(__NR_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
		return;
	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		long fd, max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = lowfd; fd < max; fd++)
			close((int)fd);
		return;
	}
	while (again) {
		long nread, off;
		again = 0;
		while ((nread = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
			for (off = 0; off < nread;) {
				struct linux_dirent64_ *d = (struct linux_dirent64_ *)(buf + off);
				long fd = 0;
				const char *c = d->d_name;
				off += d->d_reclen;
				if (*c < '0' || *c > '9')
					continue;
				for (; *c >= '0' && *c <= '9'; c++)
					fd = fd * 10 + (*c - '0');
				if (fd >= lowfd && fd != dfd) {
					close((int)fd);
					again = 1;
				}
			}
		}
		if (again)
			lseek(dfd, 0, SEEK_SET);
	}
	close(dfd);
}

/* execve of argv[1] found the way execvp finds it, in the directories of
 * path; a file that is not an executable format is run by /bin/sh.
 * Returns the errno to report. */
static int exec_search(char **argv, char **envp, const char *path)
{
	const char *file = argv[1], *p, *end;
	char buf[PATH_MAX];
	size_t fl = strlen(file);
	int eacces = 0;
	if (strchr(file, '/')) {
		execve(file, argv + 1, envp);
		if (errno == ENOEXEC) {
			argv[0] = (char *)"/bin/sh";
			argv[1] = (char *)file;
			execve("/bin/sh", argv, envp);
		}
		return errno;
	}
	for (p = path;; p = end + 1) {
		size_t dl;
		end = strchrnul(p, ':');
		dl = (size_t)(end - p);
		if (dl + fl + 2 <= sizeof buf) {
			if (dl) {
				memcpy(buf, p, dl);
				buf[dl] = '/';
				memcpy(buf + dl + 1, file, fl + 1);
			} else {
				memcpy(buf, file, fl + 1);  /* an empty entry: "." */
			}
			execve(buf, argv + 1, envp);
			switch (errno) {
			case EACCES:
				eacces = 1;
				break;
			case ENOENT: case ENOTDIR: case ESTALE: case ENODEV:
			case ETIMEDOUT: case ENAMETOOLONG: case ELOOP:
				break;
			case ENOEXEC:
				argv[0] = (char *)"/bin/sh";
				argv[1] = buf;
				execve("/bin/sh", argv, envp);
				return errno;
			default:
				return errno;
			}
		}
		if (!*end)
			break;
	}
	return eacces ? EACCES : ENOENT;
}

/* The program's process (signals all blocked, default dispositions): its
 * own process group when a timeout may kill it, the namespace, its own /sys
 * (as `ip netns exec`), stdio, no other descriptor, cwd, an empty signal
 * mask, exec. A failure is reported on the error pipe (closed by exec). */
static void child(const struct child_arg *a)
{
	struct exec_msg m = { 0, 0, 0 };
	sigset_t none;
	int *fds[4], i;
	int in = a->in, out = a->out, err = a->err, ex = a->ex;

	if (a->timeout > 0)
		setpgid(0, 0);
	if (setns(a->ns->fd, CLONE_NEWNET) < 0) {
		m.kind = FAIL_SETNS;
		goto fail;
	}
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount("", "/", "none", MS_SLAVE | MS_REC, NULL) == 0 &&
	    umount2("/sys", MNT_DETACH) == 0)
		mount(*a->ns->name ? a->ns->name : "sysfs", "/sys", "sysfs", 0, NULL);
	/* lift the pipe ends clear of 0..3 first, so that no dup2 below
	 * overwrites one still needed */
	fds[0] = &in; fds[1] = &out; fds[2] = &err; fds[3] = &ex;
	m.kind = FAIL_STDIO;
	for (i = 0; i < 4; i++)
		if (*fds[i] >= 0 && *fds[i] <= 3 &&
		    (*fds[i] = fcntl(*fds[i], F_DUPFD_CLOEXEC, 4)) < 0)
			goto fail;
	if (in >= 0 && dup2(in, 0) < 0) goto fail;
	if (out >= 0 && dup2(out, 1) < 0) goto fail;
	if (err >= 0 && dup2(err, 2) < 0) goto fail;
	if (dup3(ex, 3, O_CLOEXEC) < 0)
		goto fail;
	ex = 3;
	close_from(4);
	if (a->cwd && chdir(a->cwd) < 0) {
		m.kind = FAIL_CWD;
		goto fail;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	m.kind = FAIL_EXEC;
	errno = exec_search(a->argv, a->envp, a->path);
fail:
	m.a = errno;
	if (write(ex, &m, sizeof m) < 0) { /* nothing more to do */ }
	_exit(127);
}

/* fork() without glibc's fork handlers (another thread of the caller may
 * hold a lock they take): clone with exit signal sig and the caller's stack
 * (copied). */
static pid_t clone_raw(int sig)
{
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0UL, (unsigned long)sig, 0UL, 0UL, 0UL);
#else
	return (pid_t)syscall(SYS_clone, (unsigned long)sig, 0UL, 0UL, 0UL, 0UL);
#endif
}

/* The keeper (cloned with all signals blocked, which it keeps): default
 * signal dispositions (SIGCHLD not ignored), the program forked, every
 * descriptor but the error pipe closed, then the program waited for, up to
 * the timeout; its status goes on the error pipe. */
static void keeper(const struct child_arg *a)
{
	struct exec_msg m = { MSG_STATUS, 0, 0 };
	struct sigaction dfl;
	struct timespec end;
	sigset_t chld;
	int sig, status = 0, ex = a->ex;
	pid_t p;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	if (a->timeout > 0) {
		double whole = (double)(long)a->timeout;
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += (time_t)whole;
		end.tv_nsec += (long)((a->timeout - whole) * 1e9);
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
	}
	p = clone_raw(SIGCHLD);
	if (p == 0)
		child(a);
	if (p < 0) {
		m.kind = FAIL_FORK;
		m.a = errno;
		if (write(ex, &m, sizeof m) < 0) { /* nothing more to do */ }
		_exit(127);
	}
	if (a->timeout > 0)
		setpgid(p, p);  /* as the program does: whichever comes first */
	if (ex == 3 || dup3(ex, 3, O_CLOEXEC) == 3) {
		ex = 3;
		close(0); close(1); close(2);
		close_from(4);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct timespec now, left;
		pid_t r = waitpid(p, &status, a->timeout > 0 ? WNOHANG : 0);
		if (r == p || (r < 0 && errno != EINTR))
			break;
		if (r < 0 || a->timeout <= 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			kill(-p, SIGKILL);
			kill(p, SIGKILL);
			m.b = 1;
			while (waitpid(p, &status, 0) < 0 && errno == EINTR) {}
			break;
		}
		sigtimedwait(&chld, NULL, &left);
	}
	m.a = status;
	if (write(ex, &m, sizeof m) < 0) { /* nothing more to do */ }
	_exit(0);
}

/* Reads what fd has now into b: until it would block, at most max bytes
 * (0: no limit). Returns 0 at end of file or on an error (close fd), else 1.
 * When b cannot grow the bytes are read and dropped, and *oom is set. */
static int drain(int fd, outbuf *b, int *oom, size_t max)
{
	size_t got = 0;
	for (;;) {
		char scratch[4096], *dst = scratch;
		size_t room = sizeof scratch;
		ssize_t r;
		if (!*oom) {
			if (b->cap - b->n < 16384) {
				size_t cap = b->cap ? b->cap * 2 : 65536;
				char *np = (char *)realloc(b->p, cap);
				if (np) {
					b->p = np;
					b->cap = cap;
				} else {
					*oom = 1;
				}
			}
			if (!*oom) {
				dst = b->p + b->n;
				room = b->cap - b->n;
			}
		}
		if (max && room > max - got)
			room = max - got;
		r = read(fd, dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN;
		if (r == 0)
			return 0;
		if (dst != scratch)
			b->n += (size_t)r;
		got += (size_t)r;
		if (max && got >= max)
			return 1;
	}
}

/* Feeds stdin and collects stdout and stderr until the keeper reports the
 * program's end (not until every copy of the pipes is closed: a program may
 * leave a background process holding them), reading the error pipe's
 * messages into *fail and *done. SIGPIPE is blocked meanwhile and one that
 * a write raised is taken back. */
static void exec_wait(exec_st *st, const char *in, size_t in_len,
		      struct exec_msg *fail, struct exec_msg *done)
{
	sigset_t pipeset, oldmask, pend;
	int blocked = 0, was_pending = 0, epipe = 0, over = 0, i;
	size_t off = 0;

	if (st->fd[P_IN_W] >= 0 && in_len == 0)
		close_fd(&st->fd[P_IN_W]);
	if (st->fd[P_IN_W] >= 0) {
		/* a SIGPIPE already pending is the host's: leave it there */
		sigemptyset(&pipeset);
		sigaddset(&pipeset, SIGPIPE);
		if (sigpending(&pend) == 0)
			was_pending = sigismember(&pend, SIGPIPE) == 1;
		blocked = pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask) == 0;
	}
	while (!over && st->fd[P_EX_R] >= 0) {
		struct pollfd p[4];
		int np = 0, r;
		if (st->fd[P_IN_W] >= 0) {
			p[np].fd = st->fd[P_IN_W]; p[np].events = POLLOUT; np++;
		}
		if (st->fd[P_OUT_R] >= 0) {
			p[np].fd = st->fd[P_OUT_R]; p[np].events = POLLIN; np++;
		}
		if (st->fd[P_ERR_R] >= 0) {
			p[np].fd = st->fd[P_ERR_R]; p[np].events = POLLIN; np++;
		}
		p[np].fd = st->fd[P_EX_R]; p[np].events = POLLIN; np++;
		r = poll(p, (nfds_t)np, -1);
		if (r < 0 && errno != EINTR)
			break;
		for (i = 0; r > 0 && i < np; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == st->fd[P_EX_R]) {
				struct exec_msg m[4];
				ssize_t got = read(p[i].fd, m, sizeof m), k;
				if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
					over = 1;   /* the keeper is gone */
				for (k = 0; k < got / (ssize_t)sizeof *m; k++) {
					if (m[k].kind == MSG_STATUS) {
						*done = m[k];
						over = 1;
					} else if (!fail->kind) {
						*fail = m[k];
					}
				}
			} else if (p[i].fd == st->fd[P_IN_W]) {
				ssize_t w = write(p[i].fd, in + off, in_len - off);
				if (w > 0)
					off += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR)
					off = in_len, epipe |= errno == EPIPE;
				if (off >= in_len)
					close_fd(&st->fd[P_IN_W]);
			} else if (p[i].fd == st->fd[P_OUT_R]) {
				if (!drain(p[i].fd, &st->ob, &st->oom, 0))
					close_fd(&st->fd[P_OUT_R]);
			} else if (p[i].fd == st->fd[P_ERR_R]) {
				if (!drain(p[i].fd, &st->eb, &st->oom, 0))
					close_fd(&st->fd[P_ERR_R]);
			}
		}
	}
	close_fd(&st->fd[P_IN_W]);
	if (blocked) {
		if (epipe && !was_pending) {
			struct timespec zero = { 0, 0 };
			while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR) {}
		}
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	}
	/* what the program wrote before it ended, not what others still hold
	 * open: at most one pipe's worth, which it cannot have exceeded */
	if (st->fd[P_OUT_R] >= 0)
		drain(st->fd[P_OUT_R], &st->ob, &st->oom, 1 << 20);
	if (st->fd[P_ERR_R] >= 0)
		drain(st->fd[P_ERR_R], &st->eb, &st->oom, 1 << 20);
}

/* Copies argv (the array part of the options at idx) into st->argv from
 * index 1. Raises naming a bad element. */
static void read_argv(lua_State *L, int idx, exec_st *st)
{
	size_t n = lua_rawlen(L, idx), i, len;
	if (n == 0)
		luaL_error(L, "exec: argv is empty");
	if (!(st->argv = (char **)calloc(n + 2, sizeof *st->argv)))
		luaL_error(L, "exec: out of memory");
	for (i = 1; i <= n; i++) {
		const char *s;
		lua_rawgeti(L, idx, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "exec: argv[%d] must be a string, got %s", (int)i,
				   luaL_typename(L, -1));
		s = lua_tolstring(L, -1, &len);
		if (strlen(s) != len)
			luaL_error(L, "exec: argv[%d] contains a NUL byte", (int)i);
		if (!(st->argv[i] = strdup(s)))
			luaL_error(L, "exec: out of memory");
		lua_pop(L, 1);
	}
}

/* Builds st->envp: the caller's environment with the keys of the env table
 * at idx set (false removes them); clear starts from nothing. Raises on a
 * bad key or value, naming it. */
static void read_env(lua_State *L, int idx, int clear, exec_st *st)
{
	size_t n = 0, i = 0, j;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t kl, vl;
		const char *k;
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "exec: env keys must be variable names, got %s",
				   luaL_typename(L, -2));
		k = lua_tolstring(L, -2, &kl);
		if (kl == 0 || strchr(k, '=') || strlen(k) != kl)
			luaL_error(L, "exec: env key '%s' is not a variable name%s", k,
				   strlen(k) != kl ? " (it contains a NUL byte)" : "");
		if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
			const char *v;
			lua_pushvalue(L, -1);
			v = lua_tolstring(L, -1, &vl);
			if (strlen(v) != vl)
				luaL_error(L, "exec: env.%s contains a NUL byte", k);
			lua_pop(L, 1);
		} else if (!(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
			luaL_error(L, "exec: env.%s must be a string, a number or false, got %s",
				   k, luaL_typename(L, -1));
		}
		lua_pop(L, 1);
		n++;
	}
	if (!clear)
		for (j = 0; environ[j]; j++)
			n++;
	if (!(st->envp = (char **)calloc(n + 1, sizeof *st->envp)))
		luaL_error(L, "exec: out of memory");
	if (!clear)
		for (j = 0; environ[j]; j++) {
			const char *eq = strchr(environ[j], '=');
			int overridden = 0;
			if (eq) {
				lua_pushlstring(L, environ[j], (size_t)(eq - environ[j]));
				lua_rawget(L, idx);
				overridden = !lua_isnil(L, -1);
				lua_pop(L, 1);
			}
			if (!overridden && !(st->envp[i++] = strdup(environ[j])))
				luaL_error(L, "exec: out of memory");
		}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -1) != LUA_TBOOLEAN) {
			size_t kl, vl;
			const char *k = lua_tolstring(L, -2, &kl), *v;
			char *e;
			lua_pushvalue(L, -1);
			v = lua_tolstring(L, -1, &vl);
			if (!(e = (char *)malloc(kl + vl + 2)))
				luaL_error(L, "exec: out of memory");
			memcpy(e, k, kl);
			e[kl] = '=';
			memcpy(e + kl + 1, v, vl + 1);
			st->envp[i++] = e;
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
}

/* The PATH of an environment, or the default one. */
static const char *env_path(char **envp)
{
	size_t i;
	for (i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return DEFAULT_PATH;
}

/* ns:exec{ "prog", "arg", ..., env =, clearenv =, cwd =, stdin =, capture =,
 *          timeout = }
 * -> ok, stdout, stderr, code, how  (ok: exit status 0; how: "exit",
 *    "signal" or "timeout")
 *  | nil, msg, errname when the program could not be started.
 * Raises on misuse. Every option is read once, before anything is copied or
 * started (an __index may run Lua code); nothing raises while a child runs. */
static int m_exec(lua_State *L)
{
	static const char *const keys[] = { "cwd", "stdin", "env", "capture",
					    "clearenv", "timeout", NULL };
	enum { CWD = 3, STDIN, ENV, CAPTURE, CLEARENV, TIMEOUT, ST };  /* keys' order */
	vn_ns *ns = vn_checkns(L, 1);
	const char *cwd = NULL, *in_data = NULL;
	size_t in_len = 0, len;
	int capture = 1, clear = 0, kstatus = 0, e = 0, i;
	double timeout = 0;
	struct exec_msg fail = { 0, 0, 0 }, done = { 0, 0, 0 };
	struct child_arg ca;
	sigset_t all, old;
	exec_st *st;
	pid_t pid;

	luaL_checktype(L, 2, LUA_TTABLE);
	vn_opts_check(L, 2, "exec", keys);
	lua_settop(L, 2);
	/* each option read once and kept on the stack: CWD .. TIMEOUT */
	for (i = 0; keys[i]; i++)
		lua_getfield(L, 2, keys[i]);
	if (!lua_isnil(L, CWD)) {
		if (lua_type(L, CWD) != LUA_TSTRING)
			return luaL_error(L, "exec: option 'cwd' must be a string, got %s",
					  luaL_typename(L, CWD));
		cwd = lua_tolstring(L, CWD, &len);
		if (strlen(cwd) != len)
			return luaL_error(L, "exec: option 'cwd' contains a NUL byte");
		if (len >= PATH_MAX)
			return luaL_error(L, "exec: option 'cwd' is longer than %d bytes",
					  PATH_MAX - 1);
	}
	if (!lua_isnil(L, STDIN)) {
		if (lua_type(L, STDIN) != LUA_TSTRING)
			return luaL_error(L, "exec: option 'stdin' must be a string, got %s",
					  luaL_typename(L, STDIN));
		in_data = lua_tolstring(L, STDIN, &in_len);
	}
	if (!lua_isnil(L, ENV) && !lua_istable(L, ENV))
		return luaL_error(L, "exec: option 'env' must be a table, got %s",
				  luaL_typename(L, ENV));
	if (!lua_isnil(L, ENV) && lua_getmetatable(L, ENV))
		return luaL_error(L, "exec: option 'env' must be a plain table (without a "
				  "metatable: its keys are read raw)");
	if (!lua_isnil(L, CAPTURE)) {
		if (!lua_isboolean(L, CAPTURE))
			return luaL_error(L, "exec: option 'capture' must be a boolean, got %s",
					  luaL_typename(L, CAPTURE));
		capture = lua_toboolean(L, CAPTURE);
	}
	if (!lua_isnil(L, CLEARENV)) {
		if (!lua_isboolean(L, CLEARENV))
			return luaL_error(L, "exec: option 'clearenv' must be a boolean, got %s",
					  luaL_typename(L, CLEARENV));
		clear = lua_toboolean(L, CLEARENV);
	}
	if (!lua_isnil(L, TIMEOUT)) {
		if (lua_type(L, TIMEOUT) != LUA_TNUMBER)
			return luaL_error(L, "exec: option 'timeout' must be a number of seconds, got %s",
					  luaL_typename(L, TIMEOUT));
		timeout = (double)lua_tonumber(L, TIMEOUT);
		if (!(timeout > 0 && timeout <= 1e9))
			return luaL_error(L, "exec: option 'timeout' must be a number of seconds "
					  "above 0 (at most 1e9)");
	}

	/* copies owned by the guard; no Lua code runs from here on */
	st = (exec_st *)guard_new(L, sizeof *st, exec_fin);
	for (i = 0; i < P_N; i++)   /* before anything can raise: 0 is a fd */
		st->fd[i] = -1;
	read_argv(L, 2, st);
	if (!lua_isnil(L, ENV) || clear) {
		if (lua_isnil(L, ENV)) {
			lua_newtable(L);
			lua_replace(L, ENV);
		}
		read_env(L, ENV, clear, st);
	}

	/* from here on nothing raises until the keeper is reaped */
	for (i = 0; i < P_N; i += 2) {
		int pp[2];
		if ((i == P_IN_R && !in_data) || ((i == P_OUT_R || i == P_ERR_R) && !capture))
			continue;
		if (pipe2(pp, O_CLOEXEC) < 0) {
			e = errno;
			break;
		}
		st->fd[i] = pp[0];
		st->fd[i + 1] = pp[1];
	}
	if (e)
		goto out;
	memset(&ca, 0, sizeof ca);
	ca.ns = ns;
	ca.argv = st->argv;
	ca.envp = st->envp ? st->envp : environ;
	ca.cwd = cwd;
	ca.path = env_path(ca.envp);
	ca.in = st->fd[P_IN_R];
	ca.out = st->fd[P_OUT_W];
	ca.err = st->fd[P_ERR_W];
	ca.ex = st->fd[P_EX_W];
	ca.timeout = timeout;
	fflush(NULL);
	/* no signal handler of the host may run in the keeper */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone_raw(0);
	if (pid == 0)
		keeper(&ca);
	e = pid < 0 ? errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		goto out;
	st->pid = pid;
	close_fd(&st->fd[P_IN_R]);
	close_fd(&st->fd[P_OUT_W]);
	close_fd(&st->fd[P_ERR_W]);
	close_fd(&st->fd[P_EX_W]);
	for (i = 0; i < P_N; i++)
		if (st->fd[i] >= 0)
			fcntl(st->fd[i], F_SETFL, O_NONBLOCK);
	exec_wait(st, in_data, in_len, &fail, &done);
	while (waitpid(pid, &kstatus, __WALL) < 0 && errno == EINTR) {}
	st->pid = 0;
out:
	for (i = 0; i < P_N; i++)
		close_fd(&st->fd[i]);
	if (e || fail.kind) {
		const char *prog = st->argv[1];
		if (e)
			lua_pushfstring(L, "exec %s", prog);
		else if (fail.kind == FAIL_CWD)
			lua_pushfstring(L, "exec: cwd '%s'", cwd);
		else if (fail.kind == FAIL_SETNS)
			lua_pushfstring(L, "exec %s: entering the namespace", prog);
		else if (fail.kind == FAIL_STDIO)
			lua_pushfstring(L, "exec %s: setting up stdio", prog);
		else
			lua_pushfstring(L, "exec %s", prog);
		return vn_fail(L, lua_tostring(L, -1), e ? e : fail.a, NULL);
	}
	if (st->oom)
		return luaL_error(L, "exec: out of memory");
	{
		/* without the keeper's report (it was killed), its own status */
		int status = done.kind ? done.a : kstatus;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) :
			   WIFSIGNALED(status) ? WTERMSIG(status) : -1;
		lua_pushboolean(L, !done.b && WIFEXITED(status) && code == 0);
		if (capture) {
			lua_pushlstring(L, st->ob.p ? st->ob.p : "", st->ob.n);
			lua_pushlstring(L, st->eb.p ? st->eb.p : "", st->eb.n);
		} else {
			lua_pushnil(L);
			lua_pushnil(L);
		}
		lua_pushinteger(L, code);
		lua_pushstring(L, done.b ? "timeout" :
			       WIFSIGNALED(status) ? "signal" : "exit");
		guard_done(L, ST);
		return 5;
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
	{ "batch", m_batch },
	{ "close", m_close },
	{ "exec", m_exec },
	{ "pids", m_pids },
	{ "pin", m_pin },
	{ "sysctl", m_sysctl },
	{ NULL, NULL }
};

static const luaL_Reg ns_funcs[] = {
	{ "add", l_add },
	{ "new", l_new },
	{ "delete", l_delete },
	{ "list", l_list },
	{ "open", l_open },
	{ "current", l_current },
	{ NULL, NULL }
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
	luaL_newmetatable(L, VN_NETNS);              /* mt */
	lua_pushstring(L, VN_NETNS);
	lua_setfield(L, -2, "__name");
	lua_newtable(L);                             /* mt, methods */
	luaL_setfuncs(L, ns_methods, 0);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "__vn_methods");
	lua_pushcclosure(L, m_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ns_gc);
	lua_setfield(L, -2, "__gc");
#if LUA_VERSION_NUM >= 504
	lua_pushcfunction(L, ns_gc);
	lua_setfield(L, -2, "__close");
#endif
	lua_pushcfunction(L, m_tostring);
	lua_setfield(L, -2, "__tostring");
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
