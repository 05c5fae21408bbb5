/*
 * fork_helper.c - a test-only Lua module for spec/host_spec.lua: what a
 * host such as nginx does to a library (fork after init, signals without
 * SA_RESTART) and what a misbehaving process sharing a socket does
 * (stealing answers). Built by the spec itself for the running Lua; not
 * part of vnet.
 *
 *   fork() -> pid (0 in the child)        exit(code)   (_exit: no atexit, no Lua close)
 *   wait(pid, seconds) -> "exit"|"signal", code | "timeout" (then killed and reaped)
 *   catch()           SIGUSR1 gets a handler that does nothing, without SA_RESTART
 *   kill(pid)         sends SIGUSR1
 *   steal(seconds [, pid, every]) -> n: reads every datagram arriving on the
 *                     netlink sockets this process holds, for seconds; sends
 *                     SIGUSR1 to pid every `every` seconds (0.1) when given
 *   drop_admin() -> true | nil, msg: this process gives up CAP_SYS_ADMIN
 *                     (as a worker that gave up root)
 *   getpid() -> pid
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <lua.h>
#include <lauxlib.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int h_fork(lua_State *L)
{
	pid_t p;
	fflush(NULL);
	p = fork();
	if (p < 0)
		return luaL_error(L, "fork: %s", strerror(errno));
	lua_pushinteger(L, p);
	return 1;
}

static int h_exit(lua_State *L)
{
	_exit((int)luaL_optinteger(L, 1, 0));
	return 0;
}

static int h_wait(lua_State *L)
{
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);
	double end = now() + luaL_checknumber(L, 2);
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno == ECHILD) {
			lua_pushliteral(L, "gone");   /* reaped already */
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return luaL_error(L, "wait: %s", strerror(errno));
		if (now() > end) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
			lua_pushliteral(L, "timeout");
			return 1;
		}
		usleep(10000);
	}
	if (WIFEXITED(st)) {
		lua_pushliteral(L, "exit");
		lua_pushinteger(L, WEXITSTATUS(st));
	} else {
		lua_pushliteral(L, "signal");
		lua_pushinteger(L, WTERMSIG(st));
	}
	return 2;
}

static void nothing(int sig) { (void)sig; }

static int h_catch(lua_State *L)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = nothing;   /* no SA_RESTART, as nginx sets its handlers */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	(void)L;
	return 0;
}

static int h_kill(lua_State *L)
{
	kill((pid_t)luaL_checkinteger(L, 1), SIGUSR1);
	return 0;
}

static int h_steal(lua_State *L)
{
	double end = now() + luaL_checknumber(L, 1);
	pid_t pid = (pid_t)luaL_optinteger(L, 2, 0);
	double every = luaL_optnumber(L, 3, 0.1), next = now() + every;
	int fds[64], n = 0, got = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 64) {
		int fd = atoi(e->d_name), dom = 0;
		socklen_t l = sizeof dom;
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_NETLINK)
			fds[n++] = fd;
	}
	if (d)
		closedir(d);
	/* spins, so that an answer is taken before its owner reads it */
	while (now() < end) {
		int i;
		if (pid && now() >= next) {
			kill(pid, SIGUSR1);
			next += every;
		}
		for (i = 0; i < n; i++) {
			char buf[65536];
			while (recv(fds[i], buf, sizeof buf, MSG_DONTWAIT) > 0)
				got++;
		}
	}
	lua_pushinteger(L, got);
	return 1;
}

static int h_drop_admin(lua_State *L)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	memset(&h, 0, sizeof h);
	memset(d, 0, sizeof d);
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) < 0)
		goto fail;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		goto fail;
	lua_pushboolean(L, 1);
	return 1;
fail:
	lua_pushnil(L);
	lua_pushstring(L, strerror(errno));
	return 2;
}

static int h_getpid(lua_State *L)
{
	lua_pushinteger(L, getpid());
	return 1;
}

int luaopen_fork_helper(lua_State *L);
int luaopen_fork_helper(lua_State *L)
{
	static const luaL_Reg f[] = {
		{ "fork", h_fork }, { "exit", h_exit }, { "wait", h_wait },
		{ "catch", h_catch }, { "kill", h_kill }, { "steal", h_steal },
		{ "drop_admin", h_drop_admin }, { "getpid", h_getpid },
		{ NULL, NULL }
	};
	lua_newtable(L);
	for (const luaL_Reg *r = f; r->name; r++) {
		lua_pushcfunction(L, r->func);
		lua_setfield(L, -2, r->name);
	}
	return 1;
}
