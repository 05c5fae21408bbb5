/*
 * netns.c - network namespace handles: add/delete/list/open/current, named
 * namespaces kept where `ip netns` keeps them (bind mounts under /run/netns),
 * exec of a program inside one, and its sysctls.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* Pushes a new handle for the namespace file at path, or the failure triple.
 * name may be "". */
static int push_handle(lua_State *L, const char *fn, const char *path, const char *name)
{
	vn_ns *ns;
	struct stat st;
	int r;
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
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0 || fstat(ns->fd, &st) < 0) {
		int e = errno;
		ns_release(ns);
		lua_pushfstring(L, "%s %s", fn, *name ? name : path);
		return vn_fail(L, lua_tostring(L, -1), e, NULL);
	}
	ns->ino = (unsigned long long)st.st_ino;
	r = vn_sock_open(ns);
	if (r < 0) {
		ns_release(ns);
		lua_pushfstring(L, "%s %s", fn, *name ? name : path);
		return vn_fail(L, lua_tostring(L, -1), -r,
			       r == -EINVAL ? "not a network namespace" : NULL);
	}
	return 1;
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

/* Runs inside a fresh namespace: pins it on the file at arg. */
static int pin_new_ns(void *arg)
{
	const char *path = (const char *)arg;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

/* vnet.netns.add(name) -> handle | nil, msg, errname. Raises on a bad name. */
static int l_add(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
	int fd, r, self;

	check_name(L, "netns.add", name);
	lua_settop(L, 1);
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	make_run_dir();
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return vn_fail(L, lua_pushfstring(L, "netns.add %s", name), errno, NULL);
	close(fd);
	/* unshare() moves the thread: run it where vn_in_ns brings us back */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		r = -errno;
	} else {
		r = vn_in_ns(self, pin_new_ns, path);
		close(self);
	}
	if (r < 0) {
		umount2(path, MNT_DETACH);
		unlink(path);
		return vn_fail(L, lua_pushfstring(L, "netns.add %s", name), -r, NULL);
	}
	r = push_handle(L, "netns.add", path, name);
	if (r != 1) {
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	return r;
}

/* vnet.netns.delete(name) -> true | nil, msg, errname */
static int l_delete(lua_State *L)
{
	const char *name;
	char path[sizeof NETNS_RUN_DIR + NAME_MAXLEN + 2];
	if (lua_type(L, 1) == LUA_TUSERDATA) {
		vn_ns *ns = (vn_ns *)luaL_checkudata(L, 1, VN_NETNS);
		if (!*ns->name)
			return luaL_argerror(L, 1, "namespace has no name under " NETNS_RUN_DIR);
		lua_pushstring(L, ns->name);
		lua_replace(L, 1);
	}
	name = luaL_checkstring(L, 1);
	check_name(L, "netns.delete", name);
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

/* vnet.netns.list() -> iterator over names (sorted), as `ip netns list`. */
static int l_list(lua_State *L)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	int oom = 0;

	lua_newtable(L);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
				if (!nv) { oom = 1; break; }
				v = nv;
			}
			if (!(v[n] = strdup(e->d_name))) { oom = 1; break; }
			n++;
		}
		closedir(d);
	}
	qsort(v, n, sizeof *v, cmp_str);
	for (i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	if (oom)
		return luaL_error(L, "netns.list: out of memory");
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
	char path[256];
	const char *name = "";
	if (lua_type(L, 1) == LUA_TSTRING) {
		name = lua_tostring(L, 1);
	} else if (lua_istable(L, 1)) {
		const char *p;
		lua_Integer pid;
		int n = 0;
		vn_opts_check(L, 1, "netns.open", keys);
		if ((p = vn_opt_str(L, 1, "netns.open", "name", 0))) { name = p; n++; }
		if ((p = vn_opt_str(L, 1, "netns.open", "path", sizeof path - 1))) {
			snprintf(path, sizeof path, "%s", p);
			n++;
		}
		if (vn_opt_int(L, 1, "netns.open", "pid", 1, 0x7fffffff, &pid)) {
			snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
			n++;
		}
		if (n != 1)
			return luaL_error(L, "netns.open: give exactly one of 'name', 'path' or 'pid'");
		if (!*name)
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
		lua_pushfstring(L, "vnet.netns: %s", ns->path);
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
		lua_pushnumber(L, (lua_Number)ns->ino);
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

/* ns:sysctl(key [, value]) -> value string | true | nil, msg, errname.
 * key is "net.ipv4.ip_forward" or "net/ipv4/conf/eth0.5/forwarding". */
static int m_sysctl(lua_State *L)
{
	vn_ns *ns = vn_checkns(L, 1);
	const char *key = luaL_checkstring(L, 2);
	char path[512], buf[4096];
	struct sysctl_open so;
	size_t i, n = strlen(key), vlen = 0;
	const char *val = NULL;
	int r, slash = strchr(key, '/') != NULL;

	if (!lua_isnoneornil(L, 3)) {
		if (lua_type(L, 3) == LUA_TBOOLEAN)
			val = lua_toboolean(L, 3) ? "1" : "0";
		else if (lua_type(L, 3) == LUA_TNUMBER || lua_type(L, 3) == LUA_TSTRING)
			val = lua_tolstring(L, 3, &vlen);
		else
			return luaL_argerror(L, 3, "sysctl value must be a string, number or boolean");
		if (!vlen)
			vlen = strlen(val);
	}
	if (n == 0 || n > 400 || strstr(key, "..") || key[0] == '/' || key[0] == '.')
		return luaL_error(L, "sysctl: bad key '%s'", key);
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
typedef struct outbuf { char *p; size_t n, cap; } outbuf;

static int outbuf_read(int fd, outbuf *b)
{
	char tmp[16384];
	ssize_t r = read(fd, tmp, sizeof tmp);
	if (r <= 0)
		return r < 0 && errno == EINTR ? 1 : 0;
	if (b->n + (size_t)r > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 16384);
		char *np;
		while (cap < b->n + (size_t)r) cap *= 2;
		if (!(np = realloc(b->p, cap)))
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, tmp, (size_t)r);
	b->n += (size_t)r;
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

extern char **environ;

/* The child: enter the namespace, give it its own /sys (as `ip netns exec`),
 * set up stdio, cwd and environment, exec. Reports errno on errpipe. */
static void child(vn_ns *ns, char **argv, char **envp, const char *cwd,
		  int in, int out, int err, int errpipe)
{
	int e;
	if (setns(ns->fd, CLONE_NEWNET) < 0)
		goto fail;
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount("", "/", "none", MS_SLAVE | MS_REC, NULL) == 0 &&
	    umount2("/sys", MNT_DETACH) == 0)
		mount(*ns->name ? ns->name : "sysfs", "/sys", "sysfs", 0, NULL);
	if (in >= 0 && dup2(in, 0) < 0) goto fail;
	if (out >= 0 && dup2(out, 1) < 0) goto fail;
	if (err >= 0 && dup2(err, 2) < 0) goto fail;
	if (cwd && chdir(cwd) < 0)
		goto fail;
	if (envp)
		environ = envp;
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errpipe, &e, sizeof e) < 0) { /* nothing more to do */ }
	_exit(127);
}

static void free_strv(char **v)
{
	size_t i;
	if (!v) return;
	for (i = 0; v[i]; i++) free(v[i]);
	free(v);
}

/* Raises unless table idx has a non-empty array of strings (argv). */
static void argv_check(lua_State *L, int idx, const char *fn)
{
	size_t n = lua_rawlen(L, idx), i;
	if (n == 0)
		luaL_error(L, "%s: argv is empty", fn);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "%s: argv[%d] must be a string, got %s", fn, (int)i,
				   luaL_typename(L, -1));
		lua_pop(L, 1);
	}
}

/* A NULL-ended copy of argv (checked by argv_check), or NULL. */
static char **argv_from(lua_State *L, int idx)
{
	size_t n = lua_rawlen(L, idx), i;
	char **v = calloc(n + 1, sizeof *v);
	for (i = 0; v && i < n; i++) {
		lua_rawgeti(L, idx, (int)i + 1);
		v[i] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		if (!v[i]) { free_strv(v); v = NULL; }
	}
	return v;
}

/* The environment: the caller's, with env's keys set (false removes them);
 * clearenv = true starts from nothing. Checked first, then built. */
static char **envp_from(lua_State *L, int idx, int clear, const char *fn)
{
	size_t n = 0, i = 0, j;
	char **v;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) != LUA_TSTRING || strchr(lua_tostring(L, -2), '='))
			luaL_error(L, "%s: env keys must be variable names", fn);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER &&
		    !(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
			luaL_error(L, "%s: env.%s must be a string, a number or false", fn,
				   lua_tostring(L, -2));
		lua_pop(L, 1);
		n++;
	}
	if (!clear)
		for (j = 0; environ[j]; j++) n++;
	v = calloc(n + 1, sizeof *v);
	if (!v)
		luaL_error(L, "%s: out of memory", fn);
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
			if (!overridden && !(v[i++] = strdup(environ[j])))
				goto oom;
		}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -1) != LUA_TBOOLEAN) {
			size_t kl, vl;
			const char *k = lua_tolstring(L, -2, &kl), *s;
			lua_pushvalue(L, -1);
			s = lua_tolstring(L, -1, &vl);
			if (!(v[i] = malloc(kl + vl + 2))) { lua_pop(L, 3); goto oom; }
			memcpy(v[i], k, kl);
			v[i][kl] = '=';
			memcpy(v[i] + kl + 1, s, vl + 1);
			i++;
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	return v;
oom:
	free_strv(v);
	luaL_error(L, "%s: out of memory", fn);
	return NULL;
}

static void pipe_pair(int p[2], int *ok)
{
	if (*ok && pipe2(p, O_CLOEXEC) < 0)
		*ok = 0;
}

/* ns:exec{ "prog", "arg", ..., env =, clearenv =, cwd =, stdin =, capture = }
 * -> ok, stdout, stderr, code, how  (ok: exit status 0; how: "exit"|"signal")
 *  | nil, msg, errname when the program could not be started. */
static int m_exec(lua_State *L)
{
	static const char *const keys[] = { "env", "clearenv", "cwd", "stdin",
					    "capture", NULL };
	vn_ns *ns = vn_checkns(L, 1);
	const char *cwd, *in_data = NULL;
	size_t in_len = 0, in_off = 0;
	int capture = 1, clear = 0, ok = 1, status = 0, e = 0;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int pex[2] = { -1, -1 };
	char **argv, **envp = NULL;
	outbuf ob = { 0 }, eb = { 0 };
	pid_t pid;

	luaL_checktype(L, 2, LUA_TTABLE);
	vn_opts_check(L, 2, "exec", keys);
	cwd = vn_opt_str(L, 2, "exec", "cwd", 4096);
	vn_opt_bool(L, 2, "exec", "capture", &capture);
	vn_opt_bool(L, 2, "exec", "clearenv", &clear);
	lua_getfield(L, 2, "stdin");
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "exec: option 'stdin' must be a string, got %s",
					  luaL_typename(L, -1));
		in_data = lua_tolstring(L, -1, &in_len);
	}
	lua_getfield(L, 2, "env");
	if (!lua_isnil(L, -1) && !lua_istable(L, -1))
		return luaL_error(L, "exec: option 'env' must be a table, got %s",
				  luaL_typename(L, -1));
	/* stack: ns, opts, stdin, env */
	argv_check(L, 2, "exec");
	if (!lua_isnil(L, 4) || clear) {
		if (lua_isnil(L, 4)) {
			lua_newtable(L);
			lua_replace(L, 4);
		}
		envp = envp_from(L, 4, clear, "exec");
	}
	if (!(argv = argv_from(L, 2))) {
		free_strv(envp);
		return luaL_error(L, "exec: out of memory");
	}

	/* from here on nothing raises until the results are pushed */
	pipe_pair(pex, &ok);
	if (in_data) pipe_pair(pin, &ok);
	if (capture) { pipe_pair(pout, &ok); pipe_pair(perr, &ok); }
	if (!ok) {
		e = errno;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		e = errno;
		goto out;
	}
	if (pid == 0) {
		/* pipes are O_CLOEXEC; dup2 clears it on the copies */
		child(ns, argv, envp, cwd, pin[0], pout[1], perr[1], pex[1]);
	}
	close_fd(&pex[1]);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	{
		int ce;
		ssize_t r = read(pex[0], &ce, sizeof ce);
		while (r < 0 && errno == EINTR)
			r = read(pex[0], &ce, sizeof ce);
		if (r == (ssize_t)sizeof ce) {
			e = ce;
			close_fd(&pin[1]);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
			goto out;
		}
	}
	if (pin[1] >= 0 && in_len == 0)
		close_fd(&pin[1]);
	if (pin[1] >= 0)
		fcntl(pin[1], F_SETFL, O_NONBLOCK);
	while (pin[1] >= 0 || pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd p[3];
		int np = 0, k;
		if (pin[1] >= 0) { p[np].fd = pin[1]; p[np].events = POLLOUT; np++; }
		if (pout[0] >= 0) { p[np].fd = pout[0]; p[np].events = POLLIN; np++; }
		if (perr[0] >= 0) { p[np].fd = perr[0]; p[np].events = POLLIN; np++; }
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR) continue;
			break;
		}
		for (k = 0; k < np; k++) {
			if (!p[k].revents) continue;
			if (p[k].fd == pin[1]) {
				ssize_t w = write(pin[1], in_data + in_off, in_len - in_off);
				if (w > 0) in_off += (size_t)w;
				if (w < 0 && errno != EAGAIN && errno != EINTR) in_off = in_len;
				if (in_off >= in_len) close_fd(&pin[1]);
			} else if (p[k].fd == pout[0]) {
				if (outbuf_read(pout[0], &ob) <= 0) close_fd(&pout[0]);
			} else if (p[k].fd == perr[0]) {
				if (outbuf_read(perr[0], &eb) <= 0) close_fd(&perr[0]);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
out:
	close_fd(&pex[0]); close_fd(&pex[1]);
	close_fd(&pin[0]); close_fd(&pin[1]);
	close_fd(&pout[0]); close_fd(&pout[1]);
	close_fd(&perr[0]); close_fd(&perr[1]);
	lua_pushstring(L, argv[0]);
	free_strv(argv);
	free_strv(envp);
	if (e) {
		free(ob.p);
		free(eb.p);
		return vn_fail(L, lua_pushfstring(L, "exec %s", lua_tostring(L, -1)), e, NULL);
	}
	lua_pop(L, 1);
	{
		int code = WIFEXITED(status) ? WEXITSTATUS(status) :
			   WIFSIGNALED(status) ? WTERMSIG(status) : -1;
		lua_pushboolean(L, WIFEXITED(status) && code == 0);
		if (capture) {
			lua_pushlstring(L, ob.p ? ob.p : "", ob.n);
			lua_pushlstring(L, eb.p ? eb.p : "", eb.n);
		} else {
			lua_pushnil(L);
			lua_pushnil(L);
		}
		free(ob.p);
		free(eb.p);
		lua_pushinteger(L, code);
		lua_pushstring(L, WIFSIGNALED(status) ? "signal" : "exit");
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
	{ "sysctl", m_sysctl },
	{ NULL, NULL }
};

static const luaL_Reg ns_funcs[] = {
	{ "add", l_add },
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

void vn_open_netns(lua_State *L)
{
	lua_pushcfunction(L, make_iter);
	lua_setfield(L, LUA_REGISTRYINDEX, "vnet.iter_values");
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

vn_ns *vn_opt_netns(lua_State *L, int idx, const char *fn, const char *key)
{
	vn_ns *ns;
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
		const char *name = lua_tostring(L, -1);
		check_name(L, fn, name);
		snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
		if (push_handle(L, fn, path, name) != 1)
			luaL_error(L, "%s: option '%s': %s", fn, key, lua_tostring(L, -2));
		lua_remove(L, -2);
		return (vn_ns *)lua_touserdata(L, -1);
	}
}
