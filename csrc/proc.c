/*
 * proc.c - programs run inside a namespace: ns:exec (run one to its end,
 * output captured) and ns:spawn (start one and hand back a vnet.process to
 * drive from any event loop: pollable fds, non-blocking reads and writes,
 * wait with a bound, kill). Both go through one keeper process, so that a
 * host's SIGCHLD handler can neither reap the program nor lose its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "util.h"
#include "handle.h"

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

enum { P_IN_R, P_IN_W, P_OUT_R, P_OUT_W, P_ERR_R, P_ERR_W, P_EX_R, P_EX_W,
       P_CTL_R, P_CTL_W, P_N };

/* What ns:exec and ns:spawn hold (in a guard) from reading their options
 * to pushing their results: freed, closed and reaped whatever raises. */
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
 * errno), spawn's MSG_PID (a: the program's pid) once it runs, then the
 * keeper's MSG_STATUS (a: wait status, b: timed out). */
enum { FAIL_SETNS = 1, FAIL_STDIO, FAIL_CWD, FAIL_EXEC, FAIL_FORK, MSG_STATUS,
       MSG_PID };
struct exec_msg { int kind, a, b; };

struct child_arg {
	vn_ns *ns;
	char **argv;          /* argv[0] spare, program from argv[1] */
	char **envp;
	const char *cwd;      /* or NULL */
	const char *path;     /* PATH to search */
	int in, out, err, ex; /* pipe ends, -1 for none */
	int ctl;              /* spawn: the keeper's end of the control socket */
	int err_to_out;       /* stderr goes where stdout goes */
	int pgroup;           /* the program gets a process group of its own */
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

/* Writes m, of errno e, on the pipe ex and ends the process (status 127). */
__attribute__((noreturn)) static void report_exit(int ex, struct exec_msg *m, int e)
{
	m->a = e;
	if (write(ex, m, sizeof *m) < 0) { /* nothing more to do */ }
	_exit(127);
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

	if (a->pgroup)
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
	if (a->err_to_out && dup2(1, 2) < 0) goto fail;
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
	report_exit(ex, &m, errno);
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

/* A keeper's start: default signal dispositions, and when a has a timeout
 * its end (on the monotonic clock) in *end. */
static void keeper_begin(const struct child_arg *a, struct timespec *end)
{
	struct sigaction dfl;
	int sig;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	if (a->timeout > 0) {
		double whole = (double)(long)a->timeout;
		clock_gettime(CLOCK_MONOTONIC, end);
		end->tv_sec += (time_t)whole;
		end->tv_nsec += (long)((a->timeout - whole) * 1e9);
		if (end->tv_nsec >= 1000000000L) {
			end->tv_sec++;
			end->tv_nsec -= 1000000000L;
		}
	}
}

/* The time from now to end in *left; whether it is over (left < 0). */
static int time_left(const struct timespec *end, struct timespec *left)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = end->tv_sec - now.tv_sec;
	left->tv_nsec = end->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	return left->tv_sec < 0;
}

/* The keeper (cloned with all signals blocked, which it keeps): default
 * signal dispositions (SIGCHLD not ignored), the program forked, every
 * descriptor but the error pipe closed, then the program waited for, up to
 * the timeout; its status goes on the error pipe. */
static void keeper(const struct child_arg *a)
{
	struct exec_msg m = { MSG_STATUS, 0, 0 };
	struct timespec end;
	sigset_t chld;
	int status = 0, ex = a->ex;
	pid_t p;

	keeper_begin(a, &end);
	p = clone_raw(SIGCHLD);
	if (p == 0)
		child(a);
	if (p < 0) {
		m.kind = FAIL_FORK;
		report_exit(ex, &m, errno);
	}
	if (a->pgroup)
		setpgid(p, p);  /* as the program does: whichever comes first */
	if (ex == 3 || dup3(ex, 3, O_CLOEXEC) == 3) {
		ex = 3;
		close(0); close(1); close(2);
		close_from(4);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct timespec left;
		pid_t r = waitpid(p, &status, a->timeout > 0 ? WNOHANG : 0);
		if (r == p || (r < 0 && errno != EINTR))
			break;
		if (r < 0 || a->timeout <= 0)
			continue;
		if (time_left(&end, &left)) {
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
static void read_argv(lua_State *L, int idx, const char *fn, exec_st *st)
{
	size_t n = lua_rawlen(L, idx), i, len;
	if (n == 0)
		luaL_error(L, "%s: argv is empty", fn);
	if (!(st->argv = (char **)calloc(n + 2, sizeof *st->argv)))
		luaL_error(L, "%s: out of memory", fn);
	for (i = 1; i <= n; i++) {
		const char *s;
		lua_rawgeti(L, idx, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "%s: argv[%d] must be a string, got %s", fn, (int)i,
				   luaL_typename(L, -1));
		s = lua_tolstring(L, -1, &len);
		if (strlen(s) != len)
			luaL_error(L, "%s: argv[%d] contains a NUL byte", fn, (int)i);
		if (!(st->argv[i] = strdup(s)))
			luaL_error(L, "%s: out of memory", fn);
		lua_pop(L, 1);
	}
}

/* Builds st->envp: the caller's environment with the keys of the env table
 * at idx set (false removes them); clear starts from nothing. Raises on a
 * bad key or value, naming it. */
static void read_env(lua_State *L, int idx, const char *fn, int clear, exec_st *st)
{
	size_t n = 0, i = 0, j;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t kl, vl;
		const char *k;
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "%s: env keys must be variable names, got %s", fn,
				   luaL_typename(L, -2));
		k = lua_tolstring(L, -2, &kl);
		if (kl == 0 || strchr(k, '=') || strlen(k) != kl)
			luaL_error(L, "%s: env key '%s' is not a variable name%s", fn, k,
				   strlen(k) != kl ? " (it contains a NUL byte)" : "");
		if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
			const char *v;
			lua_pushvalue(L, -1);
			v = lua_tolstring(L, -1, &vl);
			if (strlen(v) != vl)
				luaL_error(L, "%s: env.%s contains a NUL byte", fn, k);
			lua_pop(L, 1);
		} else if (!(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
			luaL_error(L, "%s: env.%s must be a string, a number or false, got %s", fn,
				   k, luaL_typename(L, -1));
		}
		lua_pop(L, 1);
		n++;
	}
	if (!clear)
		for (j = 0; environ[j]; j++)
			n++;
	if (!(st->envp = (char **)calloc(n + 1, sizeof *st->envp)))
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
			if (!overridden && !(st->envp[i++] = strdup(environ[j])))
				luaL_error(L, "%s: out of memory", fn);
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
				luaL_error(L, "%s: out of memory", fn);
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

/* The options exec and spawn share, each read once (an __index may run Lua
 * code) and kept on the stack at the indexes given. */
typedef struct run_opts {
	const char *cwd;      /* or NULL */
	double timeout;       /* 0: none */
	int clear;            /* clearenv */
} run_opts;

/* Checks the options table at 2 against keys and pushes each key's value
 * (at 3, 4, ... in keys' order); checks cwd, env, clearenv and timeout (at
 * stack indexes cwd_i, env_i, clear_i, timeout_i) into o; raises naming fn
 * and the option. */
static void read_run_opts(lua_State *L, const char *fn, const char *const *keys, int cwd_i,
			  int env_i, int clear_i, int timeout_i, run_opts *o)
{
	size_t len;
	int i;
	luaL_checktype(L, 2, LUA_TTABLE);
	vn_opts_check(L, 2, fn, keys);
	lua_settop(L, 2);
	for (i = 0; keys[i]; i++)
		lua_getfield(L, 2, keys[i]);
	memset(o, 0, sizeof *o);
	if (!lua_isnil(L, cwd_i)) {
		if (lua_type(L, cwd_i) != LUA_TSTRING)
			luaL_error(L, "%s: option 'cwd' must be a string, got %s", fn,
				   luaL_typename(L, cwd_i));
		o->cwd = lua_tolstring(L, cwd_i, &len);
		if (strlen(o->cwd) != len)
			luaL_error(L, "%s: option 'cwd' contains a NUL byte", fn);
		if (len >= PATH_MAX)
			luaL_error(L, "%s: option 'cwd' is longer than %d bytes", fn,
				   PATH_MAX - 1);
	}
	if (!lua_isnil(L, env_i) && !lua_istable(L, env_i))
		luaL_error(L, "%s: option 'env' must be a table, got %s", fn,
			   luaL_typename(L, env_i));
	if (!lua_isnil(L, env_i) && lua_getmetatable(L, env_i))
		luaL_error(L, "%s: option 'env' must be a plain table (without a "
			   "metatable: its keys are read raw)", fn);
	if (!lua_isnil(L, clear_i)) {
		if (!lua_isboolean(L, clear_i))
			luaL_error(L, "%s: option 'clearenv' must be a boolean, got %s", fn,
				   luaL_typename(L, clear_i));
		o->clear = lua_toboolean(L, clear_i);
	}
	if (!lua_isnil(L, timeout_i)) {
		if (lua_type(L, timeout_i) != LUA_TNUMBER)
			luaL_error(L, "%s: option 'timeout' must be a number of seconds, got %s",
				   fn, luaL_typename(L, timeout_i));
		o->timeout = (double)lua_tonumber(L, timeout_i);
		if (!(o->timeout > 0 && o->timeout <= 1e9))
			luaL_error(L, "%s: option 'timeout' must be a number of seconds "
				   "above 0 (at most 1e9)", fn);
	}
}

/* Pushes a guard for a run of fn and copies argv (from the options at 2)
 * and the environment (env table at env_i, made empty when only clearenv
 * is given) into it. */
static exec_st *new_run(lua_State *L, const char *fn, int env_i, const run_opts *o)
{
	exec_st *st = (exec_st *)vn_guard_new(L, sizeof *st, exec_fin);
	int i;
	for (i = 0; i < P_N; i++)   /* before anything can raise: 0 is a fd */
		st->fd[i] = -1;
	read_argv(L, 2, fn, st);
	if (!lua_isnil(L, env_i) || o->clear) {
		if (lua_isnil(L, env_i)) {
			lua_newtable(L);
			lua_replace(L, env_i);
		}
		read_env(L, env_i, fn, o->clear, st);
	}
	return st;
}

#define PIPE(i) (1u << ((i) / 2))

/* Makes the pipes of st named in want (PIPE(P_IN_R) for fd[P_IN_R] and
 * fd[P_IN_W], ...; the control pair is a socket pair). Returns 0 or an
 * errno. */
static int open_pipes(exec_st *st, unsigned want)
{
	int i;
	for (i = 0; i < P_N; i += 2) {
		int pp[2];
		if (!(want & PIPE(i)))
			continue;
		if ((i == P_CTL_R ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp) :
		     pipe2(pp, O_CLOEXEC)) < 0)
			return errno;
		st->fd[i] = pp[0];
		st->fd[i + 1] = pp[1];
	}
	return 0;
}

/* Pushes ok, code, how of a wait status s (how: "timeout" when timed_out). */
static void push_exit(lua_State *L, int s, int timed_out)
{
	int code = WIFEXITED(s) ? WEXITSTATUS(s) : WIFSIGNALED(s) ? WTERMSIG(s) : -1;
	lua_pushboolean(L, !timed_out && WIFEXITED(s) && code == 0);
	lua_pushinteger(L, code);
	lua_pushstring(L, timed_out ? "timeout" : WIFSIGNALED(s) ? "signal" : "exit");
}

/* Fills ca for a run of st (pipe ends from st->fd, -1 where none). */
static void run_arg(struct child_arg *ca, vn_ns *ns, exec_st *st, const run_opts *o)
{
	memset(ca, 0, sizeof *ca);
	ca->ns = ns;
	ca->argv = st->argv;
	ca->envp = st->envp ? st->envp : environ;
	ca->cwd = o->cwd;
	ca->path = env_path(ca->envp);
	ca->in = st->fd[P_IN_R];
	ca->out = st->fd[P_OUT_W];
	ca->err = st->fd[P_ERR_W];
	ca->ex = st->fd[P_EX_W];
	ca->ctl = st->fd[P_CTL_R];
	ca->timeout = o->timeout;
	ca->pgroup = o->timeout > 0;
}

/* Clones the keeper k(ca) with every signal blocked (no handler of the
 * host may run in it) and no exit signal. Returns its pid, or -errno. */
static pid_t start_keeper(void (*k)(const struct child_arg *), const struct child_arg *ca)
{
	sigset_t all, old;
	pid_t pid;
	int e;
	fflush(NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone_raw(0);
	if (pid == 0)
		k(ca);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -e : pid;
}

/* Pushes the failure triple of a program fn could not start (e: errno of
 * vnet's own step, else the child's report fail). */
static int start_failed(lua_State *L, const char *fn, const char *prog, const char *cwd,
			int e, const struct exec_msg *fail)
{
	if (e)
		lua_pushfstring(L, "%s %s", fn, prog);
	else if (fail->kind == FAIL_CWD)
		lua_pushfstring(L, "%s: cwd '%s'", fn, cwd);
	else if (fail->kind == FAIL_SETNS)
		lua_pushfstring(L, "%s %s: entering the namespace", fn, prog);
	else if (fail->kind == FAIL_STDIO)
		lua_pushfstring(L, "%s %s: setting up stdio", fn, prog);
	else
		lua_pushfstring(L, "%s %s", fn, prog);
	return vn_fail(L, lua_tostring(L, -1), e ? e : fail->a, NULL);
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
	const char *in_data = NULL;
	size_t in_len = 0;
	int capture = 1, kstatus = 0, e = 0, i;
	struct exec_msg fail = { 0, 0, 0 }, done = { 0, 0, 0 };
	struct child_arg ca;
	run_opts o;
	exec_st *st;
	pid_t pid;

	/* each option read once and kept on the stack: CWD .. TIMEOUT */
	read_run_opts(L, "exec", keys, CWD, ENV, CLEARENV, TIMEOUT, &o);
	if (!lua_isnil(L, STDIN)) {
		if (lua_type(L, STDIN) != LUA_TSTRING)
			return luaL_error(L, "exec: option 'stdin' must be a string, got %s",
					  luaL_typename(L, STDIN));
		in_data = lua_tolstring(L, STDIN, &in_len);
	}
	if (!lua_isnil(L, CAPTURE)) {
		if (!lua_isboolean(L, CAPTURE))
			return luaL_error(L, "exec: option 'capture' must be a boolean, got %s",
					  luaL_typename(L, CAPTURE));
		capture = lua_toboolean(L, CAPTURE);
	}

	/* copies owned by the guard; no Lua code runs from here on */
	st = new_run(L, "exec", ENV, &o);

	/* from here on nothing raises until the keeper is reaped */
	e = open_pipes(st, PIPE(P_EX_R) | (in_data ? PIPE(P_IN_R) : 0) |
			   (capture ? PIPE(P_OUT_R) | PIPE(P_ERR_R) : 0));
	if (e)
		goto out;
	run_arg(&ca, ns, st, &o);
	pid = start_keeper(keeper, &ca);
	if (pid < 0) {
		e = -pid;
		goto out;
	}
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
	if (e || fail.kind)
		return start_failed(L, "exec", st->argv[1], o.cwd, e, &fail);
	if (st->oom)
		return luaL_error(L, "exec: out of memory");
	{
		/* without the keeper's report (it was killed), its own status */
		push_exit(L, done.kind ? done.a : kstatus, done.b);   /* ok, code, how */
		if (capture)
			lua_pushlstring(L, st->ob.p ? st->ob.p : "", st->ob.n);
		else
			lua_pushnil(L);
		lua_insert(L, -3);                                     /* ok, out, code, how */
		if (capture)
			lua_pushlstring(L, st->eb.p ? st->eb.p : "", st->eb.n);
		else
			lua_pushnil(L);
		lua_insert(L, -3);
		vn_guard_done(L, ST);
		return 5;
	}
}

/* ---- spawn ------------------------------------------------------------- */
/* ns:spawn uses exec's keeper scheme with two changes. The keeper learns
 * of the program's end with waitid(WNOWAIT) and leaves it a zombie until
 * vnet has read its status: until then its pid cannot be reused, so
 * process:kill signals the program and nothing else. And a control socket
 * tells the keeper vnet is done (a byte) or gone (it closes when the caller
 * exits, however it dies), whereupon it kills the program's process group
 * (the program, if still running, and whatever it left in its group), reaps
 * the program and exits; vnet reaps the keeper. The error pipe, readable
 * once the status is written, is the process's pollable exit fd. */

#define VN_PROCESS "vnet.process"
#define PROC_READ_MAX (1 << 24)       /* bytes, one read() at most */

enum { IO_PIPE, IO_NULL, IO_INHERIT, IO_STDOUT };
static const char *const io_names[] = { "pipe", "null", "inherit", "stdout", NULL };

typedef struct vn_proc {
	pid_t keeper;         /* > 0 until reaped */
	pid_t pid;            /* the program */
	pid_t owner;          /* the process that spawned it (not a fork of it) */
	int in, out, err;     /* our ends of its stdio pipes, -1 for none */
	int ex;               /* the error pipe: readable once it has ended */
	int ctl;              /* our end of the control socket */
	int io[3];            /* IO_* of stdin, stdout, stderr */
	int eof[3];           /* stdout/stderr (1, 2) read to their end */
	int done;             /* status read */
	int status, timed_out;
	int live;             /* 0 once closed */
	char prog[64];        /* argv[1], for tostring and messages */
} vn_proc;

static void noop_handler(int sig)
{
	(void)sig;
}

/* Moves fd to target (close-on-exec). Returns target or -1. */
static int fd_to(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -1 : fd;
	return dup3(fd, target, O_CLOEXEC);
}

/* Tells the keeper vnet is done (a byte, in case a fork of the caller
 * holds the other end too) and closes the control socket. */
static void ctl_done(int *ctl)
{
	if (*ctl >= 0)
		send(*ctl, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close_fd(ctl);
}

static void kill_group(pid_t p)
{
	kill(-p, SIGKILL);
	kill(p, SIGKILL);
}

/* The keeper of a spawned program (cloned with all signals blocked, which
 * it keeps but for SIGCHLD while it polls): the program forked, its start
 * (exec) or failure reported, then its end waited for together with the
 * control socket, its status reported, vnet's word (a byte or the end)
 * waited for, its group killed, the program reaped. The error pipe becomes
 * fd 3, the control socket fd 4, every other descriptor is closed. */
static void spawn_keeper(const struct child_arg *a)
{
	struct exec_msg m = { 0, 0, 0 };
	struct child_arg c = *a;
	struct sigaction sa;
	struct timespec end = { 0, 0 };
	sigset_t waitmask;
	int start[2], timed = 0, ctl_open = 1, ex, ctl;
	siginfo_t si;
	pid_t p;

	keeper_begin(a, &end);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = noop_handler;    /* so that SIGCHLD ends a ppoll */
	sigaction(SIGCHLD, &sa, NULL);
	/* the program reports a failure to start on a pipe of its own, closed
	 * by its exec */
	if (pipe2(start, O_CLOEXEC) < 0) {
		m.kind = FAIL_FORK;
		report_exit(a->ex, &m, errno);
	}
	c.ex = start[1];
	p = clone_raw(SIGCHLD);
	if (p == 0)
		child(&c);
	close(start[1]);
	if (p < 0) {
		m.kind = FAIL_FORK;
		report_exit(a->ex, &m, errno);
	}
	setpgid(p, p);   /* as the program does: whichever comes first */
	while (read(start[0], &m, sizeof m) < 0 && errno == EINTR) {}
	close(start[0]);
	if (m.kind == 0) {
		m.kind = MSG_PID;
		m.a = (int)p;
	}
	/* fds 3 and 4, every other closed (the caller's sockets and the
	 * program's pipes among them) */
	ex = fcntl(a->ex, F_DUPFD_CLOEXEC, 5);
	ctl = fcntl(a->ctl, F_DUPFD_CLOEXEC, 5);
	if (ex < 0 || ctl < 0 || fd_to(ex, 3) < 0 || fd_to(ctl, 4) < 0) {
		kill_group(p);
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
		_exit(127);
	}
	close(0); close(1); close(2);
	close_from(5);
	if (write(3, &m, sizeof m) < 0) { /* vnet is gone: the pipe tells below */ }

	sigfillset(&waitmask);
	sigdelset(&waitmask, SIGCHLD);
	for (;;) {
		struct pollfd pf;
		struct timespec left, *tp = NULL;
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT | (ctl_open ? WNOHANG : 0)) == 0) {
			if (si.si_pid == p)
				break;
		} else if (errno != EINTR) {
			break;
		}
		if (!ctl_open)
			continue;
		if (a->timeout > 0 && !timed) {
			if (time_left(&end, &left)) {
				kill_group(p);
				timed = 1;
				continue;
			}
			tp = &left;
		}
		pf.fd = 4;
		pf.events = POLLIN;
		pf.revents = 0;
		if (ppoll(&pf, 1, tp, &waitmask) > 0) {
			/* vnet's word (a byte) or its end (end of file): the
			 * process was closed, or the caller is gone */
			ctl_open = 0;
			kill_group(p);
		}
	}
	m.kind = MSG_STATUS;
	m.a = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : (si.si_status & 0x7f);
	m.b = timed;
	if (write(3, &m, sizeof m) < 0) { /* vnet is gone */ }
	/* vnet's word: a byte on the control socket, or its end */
	if (ctl_open) {
		char b;
		while (read(4, &b, 1) < 0 && errno == EINTR) {}
	}
	kill(-p, SIGKILL);   /* what the program left in its group */
	while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
	_exit(0);
}

static vn_proc *proc_check(lua_State *L, int idx)
{
	vn_proc *p = (vn_proc *)luaL_checkudata(L, idx, VN_PROCESS);
	vn_handle_open(L, p->live, VN_PROCESS);
	return p;
}

/* Reads the error pipe without blocking; a MSG_STATUS ends the program's
 * story: its status is kept, the keeper is told (control socket) and
 * reaped. Returns p->done. */
static int proc_collect(vn_proc *p)
{
	while (!p->done && p->ex >= 0) {
		struct exec_msg m;
		ssize_t r = read(p->ex, &m, sizeof m);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == (ssize_t)sizeof m && m.kind == MSG_STATUS) {
			p->status = m.a;
			p->timed_out = m.b;
			p->done = 1;
		} else if (r == 0) {
			/* the keeper died without a word (killed): its program with it */
			p->status = SIGKILL;
			p->done = 1;
		} else if (r < 0) {
			break;
		}
	}
	if (p->done && p->keeper > 0) {
		ctl_done(&p->ctl);
		while (waitpid(p->keeper, NULL, __WALL) < 0 && errno == EINTR) {}
		p->keeper = 0;
	}
	return p->done;
}

/* Ends the process: the program and its group killed (unless it ended and
 * was collected), both processes reaped, every descriptor closed. In a
 * forked copy of the spawning process only the descriptors are closed:
 * the processes are not its own. Idempotent. */
static void proc_release(vn_proc *p)
{
	if (p->keeper > 0 && p->owner == getpid()) {
		ctl_done(&p->ctl);   /* the keeper kills the group, reaps, exits */
		while (waitpid(p->keeper, NULL, __WALL) < 0 && errno == EINTR) {}
		p->keeper = 0;       /* never waited for again: its pid may be reused */
		if (!p->done)
			proc_collect(p);
		p->done = 1;
	}
	p->keeper = 0;
	close_fd(&p->ctl);
	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
	close_fd(&p->ex);
	p->live = 0;
}

static int proc_gc(lua_State *L)
{
	proc_release((vn_proc *)luaL_checkudata(L, 1, VN_PROCESS));
	return 0;
}

/* Reads a stdio option at idx (nil: dflt) as IO_*; raises naming it. */
static int io_opt(lua_State *L, int idx, const char *key, int dflt, int max)
{
	int i;
	const char *s;
	if (lua_isnil(L, idx))
		return dflt;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "spawn: option '%s' must be a string, got %s", key,
			   luaL_typename(L, idx));
	s = lua_tostring(L, idx);
	for (i = 0; i <= max; i++)
		if (strlen(s) == lua_rawlen(L, idx) && !strcmp(s, io_names[i]))
			return i;
	return luaL_error(L, "spawn: option '%s' must be %s, got '%s'", key,
			  max == IO_STDOUT ? "\"pipe\", \"null\", \"inherit\" or \"stdout\"" :
			  "\"pipe\", \"null\" or \"inherit\"", s);
}

/* ns:spawn{ "prog", "arg", ..., stdin =, stdout =, stderr =, env =,
 *           clearenv =, cwd =, timeout = }
 * -> a vnet.process once the program runs (exec done)
 *  | nil, msg, errname when it could not be started.
 * stdin ("null" by default), stdout and stderr ("pipe" by default): "pipe",
 * "null" or "inherit"; stderr also "stdout". Raises on misuse. */
static int m_spawn(lua_State *L)
{
	static const char *const keys[] = { "cwd", "stdin", "stdout", "stderr", "env",
					    "clearenv", "timeout", NULL };
	enum { CWD = 3, STDIN, STDOUT, STDERR, ENV, CLEARENV, TIMEOUT, ST };
	vn_ns *ns = vn_checkns(L, 1);
	struct exec_msg first = { 0, 0, 0 };
	struct child_arg ca;
	int io[3], e = 0, i, nullfd = -1, box;
	run_opts o;
	exec_st *st;
	vn_proc *p;
	pid_t pid;

	read_run_opts(L, "spawn", keys, CWD, ENV, CLEARENV, TIMEOUT, &o);
	io[0] = io_opt(L, STDIN, "stdin", IO_NULL, IO_INHERIT);
	io[1] = io_opt(L, STDOUT, "stdout", IO_PIPE, IO_INHERIT);
	io[2] = io_opt(L, STDERR, "stderr", IO_PIPE, IO_STDOUT);
	st = new_run(L, "spawn", ENV, &o);                 /* ..., guard (ST) */
	/* the box, closed, before anything it will own */
	p = (vn_proc *)lua_newuserdata(L, sizeof *p);
	memset(p, 0, sizeof *p);
	p->in = p->out = p->err = p->ex = p->ctl = -1;
	luaL_setmetatable(L, VN_PROCESS);
	box = lua_gettop(L);
	for (i = 0; i < 3; i++)
		p->io[i] = io[i];
	snprintf(p->prog, sizeof p->prog, "%s", st->argv[1]);

	/* from here on nothing raises until the box owns what is made */
	e = open_pipes(st, PIPE(P_EX_R) | PIPE(P_CTL_R) |
			   (io[0] == IO_PIPE ? PIPE(P_IN_R) : 0) |
			   (io[1] == IO_PIPE ? PIPE(P_OUT_R) : 0) |
			   (io[2] == IO_PIPE ? PIPE(P_ERR_R) : 0));
	if (!e && (io[0] == IO_NULL || io[1] == IO_NULL || io[2] == IO_NULL) &&
	    (nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		e = errno;
	if (e)
		goto fail;
	run_arg(&ca, ns, st, &o);
	ca.pgroup = 1;
	if (io[0] == IO_NULL) ca.in = nullfd;
	if (io[1] == IO_NULL) ca.out = nullfd;
	if (io[2] == IO_NULL) ca.err = nullfd;
	ca.err_to_out = io[2] == IO_STDOUT;
	pid = start_keeper(spawn_keeper, &ca);
	if (nullfd >= 0)
		close(nullfd);
	if (pid < 0) {
		e = -pid;
		goto fail;
	}
	p->keeper = pid;
	p->owner = getpid();
	p->live = 1;
	p->in = st->fd[P_IN_W];
	p->out = st->fd[P_OUT_R];
	p->err = st->fd[P_ERR_R];
	p->ex = st->fd[P_EX_R];
	p->ctl = st->fd[P_CTL_W];
	st->fd[P_IN_W] = st->fd[P_OUT_R] = st->fd[P_ERR_R] = -1;
	st->fd[P_EX_R] = st->fd[P_CTL_W] = -1;
	for (i = 0; i < P_N; i++)   /* the keeper's ends */
		close_fd(&st->fd[i]);
	/* the first word: the program runs, or why it could not start */
	for (;;) {
		ssize_t r = read(p->ex, &first, sizeof first);
		if (r == (ssize_t)sizeof first)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		first.kind = FAIL_FORK;
		first.a = r < 0 ? errno : ECHILD;
		break;
	}
	if (p->in >= 0) fcntl(p->in, F_SETFL, O_NONBLOCK);
	if (p->out >= 0) fcntl(p->out, F_SETFL, O_NONBLOCK);
	if (p->err >= 0) fcntl(p->err, F_SETFL, O_NONBLOCK);
	fcntl(p->ex, F_SETFL, O_NONBLOCK);
	if (first.kind != MSG_PID) {
		proc_release(p);
		return start_failed(L, "spawn", st->argv[1], o.cwd, 0, &first);
	}
	p->pid = (pid_t)first.a;
	vn_guard_done(L, ST);
	lua_pushvalue(L, box);
	return 1;
fail:
	if (nullfd >= 0)
		close(nullfd);
	return start_failed(L, "spawn", st->argv[1], o.cwd, e, &first);
}

/* Pushes ok, code, how of an ended process (as exec's). */
static int push_status(lua_State *L, const vn_proc *p)
{
	push_exit(L, p->status, p->timed_out);
	return 3;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* process:wait([timeout]) -> ok, code, how (as exec's) once the program
 * has ended | nil, "timeout", "ETIMEDOUT" when it still runs after timeout
 * seconds (no timeout: until it ends; 0: a look without waiting). */
static int proc_wait(lua_State *L)
{
	vn_proc *p = proc_check(L, 1);
	double t = -1, end;
	t = vn_check_timeout(L, 2, "wait", -1);
	end = mono_now() + t;
	while (!proc_collect(p)) {
		struct pollfd pf;
		int ms = -1;
		if (t >= 0) {
			double left = end - mono_now();
			if (left <= 0) {
				lua_pushnil(L);
				lua_pushliteral(L, "timeout");
				lua_pushliteral(L, "ETIMEDOUT");
				return 3;
			}
			ms = (int)ceil(left * 1000.0);
		}
		pf.fd = p->ex;
		pf.events = POLLIN;
		pf.revents = 0;
		if (poll(&pf, 1, ms) < 0 && errno != EINTR)
			return vn_fail(L, "wait", errno, NULL);
		/* interrupted: the time left is counted again */
	}
	return push_status(L, p);
}

static const struct { const char *name; int sig; } signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "ALRM", SIGALRM },
	{ "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "PIPE", SIGPIPE }, { NULL, 0 }
};

/* process:kill([sig]) -> true | nil, msg, errname ("ESRCH" once it has
 * ended). sig: a number (0 to 64) or a name ("TERM", "SIGTERM"), default
 * "TERM". Signals the program only, never a recycled pid: the keeper keeps
 * the program unreaped until vnet has its status. */
static int proc_kill(lua_State *L)
{
	vn_proc *p = proc_check(L, 1);
	int sig = SIGTERM, i;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		if (!lua_isinteger(L, 2) || lua_tointeger(L, 2) < 0 || lua_tointeger(L, 2) > 64)
			return luaL_error(L, "kill: signal must be an integer from 0 to 64");
		sig = (int)lua_tointeger(L, 2);
	} else if (lua_type(L, 2) == LUA_TSTRING) {
		const char *s = lua_tostring(L, 2);
		if (!strncmp(s, "SIG", 3))
			s += 3;
		for (i = 0; signames[i].name; i++)
			if (strlen(lua_tostring(L, 2)) == lua_rawlen(L, 2) &&
			    !strcmp(s, signames[i].name))
				break;
		if (!signames[i].name)
			return luaL_error(L, "kill: unknown signal name '%s'", lua_tostring(L, 2));
		sig = signames[i].sig;
	} else if (!lua_isnoneornil(L, 2)) {
		return luaL_error(L, "kill: signal must be a number or a name, got %s",
				  luaL_typename(L, 2));
	}
	if (proc_collect(p) || p->owner != getpid())
		return vn_fail(L, lua_pushfstring(L, "kill %s (pid %d)", p->prog, (int)p->pid),
			       ESRCH, NULL);
	if (kill(p->pid, sig) < 0)
		return vn_fail(L, lua_pushfstring(L, "kill %s (pid %d)", p->prog, (int)p->pid),
			       errno, NULL);
	lua_pushboolean(L, 1);
	return 1;
}

/* The read end of stream which (1 stdout, 2 stderr) at idx; raises when it
 * is not a pipe. */
static int stream_arg(lua_State *L, vn_proc *p, int idx, const char *fn)
{
	const char *s;
	int which;
	s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
	if (lua_isnoneornil(L, idx))
		which = 1, s = "stdout";
	else if (s && strlen(s) == lua_rawlen(L, idx) && !strcmp(s, "stdout"))
		which = 1;
	else if (s && strlen(s) == lua_rawlen(L, idx) && !strcmp(s, "stderr"))
		which = 2;
	else
		return luaL_error(L, "%s: stream must be \"stdout\" or \"stderr\"", fn);
	if (p->io[which] != IO_PIPE)
		luaL_error(L, "%s: %s is not a pipe (spawn's option %s = \"%s\")", fn, s, s,
			   io_names[p->io[which]]);
	return which;
}

/* process:read([stream [, max]]) -> what the program wrote on stream
 * ("stdout" by default) that can be read now, at most max bytes (default
 * 65536): a string, "" when nothing is there yet, nil at its end (the
 * program and whatever shares the pipe closed it) | nil, msg, errname. */
static int proc_read(lua_State *L)
{
	vn_proc *p = proc_check(L, 1);
	int which = stream_arg(L, p, 2, "read"), fd = which == 1 ? p->out : p->err;
	lua_Integer max = 65536;
	size_t got = 0;
	if (!lua_isnoneornil(L, 3)) {
		if (!lua_isinteger(L, 3) || lua_tointeger(L, 3) < 1 ||
		    lua_tointeger(L, 3) > PROC_READ_MAX)
			return luaL_error(L, "read: max must be an integer from 1 to %d",
					  PROC_READ_MAX);
		max = lua_tointeger(L, 3);
	}
	if (p->eof[which]) {
		lua_pushnil(L);
		return 1;
	}
	/* pieces read into a buffer on the C stack, each pushed as a string,
	 * joined once (no luaL_Buffer: its box cannot be had under low memory) */
	lua_settop(L, 3);
	lua_pushliteral(L, "");
	while (got < (size_t)max) {
		char buf[16384];
		size_t room = (size_t)max - got;
		ssize_t r;
		if (room > sizeof buf)
			room = sizeof buf;
		r = read(fd, buf, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0)
			return vn_fail(L, "read", errno, NULL);
		if (r == 0) {
			p->eof[which] = 1;
			break;
		}
		luaL_checkstack(L, 2, "read: too many pieces");
		lua_pushlstring(L, buf, (size_t)r);
		got += (size_t)r;
	}
	lua_concat(L, lua_gettop(L) - 3);
	if (got == 0 && p->eof[which])
		lua_pushnil(L);
	return 1;
}

/* process:write(data) -> the number of bytes taken now (0 when the pipe is
 * full) | nil, msg, "EPIPE" when the program closed its stdin. The caller
 * never dies of SIGPIPE (blocked around the write; one it caused is taken
 * back). Raises when stdin is not a pipe or was closed. */
static int proc_write(lua_State *L)
{
	vn_proc *p = proc_check(L, 1);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	sigset_t pipeset, oldmask, pend;
	int was_pending = 0, blocked, e;
	ssize_t w;
	if (p->io[0] != IO_PIPE)
		return luaL_error(L, "write: stdin is not a pipe (spawn's option stdin = \"%s\")",
				  io_names[p->io[0]]);
	if (p->in < 0)
		return luaL_error(L, "write: stdin was closed");
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	if (sigpending(&pend) == 0)
		was_pending = sigismember(&pend, SIGPIPE) == 1;
	blocked = pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask) == 0;
	do
		w = write(p->in, data, len);
	while (w < 0 && errno == EINTR);
	e = errno;
	if (blocked) {
		if (w < 0 && e == EPIPE && !was_pending) {
			struct timespec zero = { 0, 0 };
			while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR) {}
		}
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	}
	if (w < 0 && e == EAGAIN)
		w = 0;
	if (w < 0)
		return vn_fail(L, "write", e, NULL);
	lua_pushinteger(L, (lua_Integer)w);
	return 1;
}

/* process:close_stdin() -> true: the program reads end of file. */
static int proc_close_stdin(lua_State *L)
{
	vn_proc *p = proc_check(L, 1);
	close_fd(&p->in);
	lua_pushboolean(L, 1);
	return 1;
}

/* process:close(): kills the program (and its process group) unless it has
 * ended, reaps it, closes the descriptors. Again is a no-op. */
static int proc_close(lua_State *L)
{
	proc_release((vn_proc *)luaL_checkudata(L, 1, VN_PROCESS));
	return 0;
}

/* Pushes what tostring and totable say of the state: "running", "exited",
 * "killed", "timeout" or "closed". */
static const char *proc_state(vn_proc *p)
{
	if (!p->live)
		return "closed";
	if (!proc_collect(p))
		return "running";
	return p->timed_out ? "timeout" : WIFSIGNALED(p->status) ? "killed" : "exited";
}

/* Set field k of the table at the top: to the string s; to the descriptor
 * fd (none: -1). */
static const char *const proc_fields[] = { "pid", "program", "state", "fd", "stdin_fd",
	"stdout_fd", "stderr_fd", NULL };

/* field i of proc_fields; a descriptor is nil once closed */
static void proc_field(lua_State *L, int i)
{
	vn_proc *p = proc_check(L, 1);
	const int fds[] = { p->ex, p->in, p->out, p->err };
	if (i == 0)
		lua_pushinteger(L, p->pid);
	else if (i == 1)
		lua_pushstring(L, p->prog);
	else if (i == 2)
		lua_pushstring(L, proc_state(p));
	else if (fds[i - 3] >= 0)
		lua_pushinteger(L, fds[i - 3]);
	else
		lua_pushnil(L);
}

/* process:totable() -> { pid =, program =, state =, fd =, stdin_fd =,
 * stdout_fd =, stderr_fd = } */
static int proc_totable(lua_State *L)
{
	return vn_handle_totable(L, proc_fields, proc_field);
}

static int proc_tostring(lua_State *L)
{
	vn_proc *p = (vn_proc *)luaL_checkudata(L, 1, VN_PROCESS);
	if (!p->live)
		lua_pushfstring(L, "vnet.process: %s (closed)", p->prog);
	else
		lua_pushfstring(L, "vnet.process: %s pid %d (%s)", p->prog, (int)p->pid,
				proc_state(p));
	return 1;
}

/* __index: fields pid, program, state, running, closed, fd, stdin_fd,
 * stdout_fd, stderr_fd (raise once closed, but closed); methods */
static int proc_index(lua_State *L)
{
	vn_proc *p = (vn_proc *)luaL_checkudata(L, 1, VN_PROCESS);
	if (lua_type(L, 2) == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "running")) {
		proc_check(L, 1);
		lua_pushboolean(L, !proc_collect(p));
		return 1;
	}
	return vn_handle_index(L, p->live, proc_fields, proc_field);
}

/* ---- poll --------------------------------------------------------------- */
#define POLL_MAX_FDS 4096

/* vnet.poll(fds [, timeout]) -> the list of the fds of the list fds that
 * are ready to read (or at their end), in the list's order; {} when none is
 * within timeout seconds (none: until one is; an empty list needs one) |
 * nil, msg, "EBADF" for a fd that is not open. For plain Lua callers of monitors and processes; an
 * event loop polls the same fds itself. Raises on a bad list or timeout. */
int vn_poll(lua_State *L)
{
	struct pollfd *pf;
	size_t n, i;
	double t = -1, end;
	int k;
	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	if (n > POLL_MAX_FDS)
		return luaL_error(L, "poll: at most %d fds", POLL_MAX_FDS);
	t = vn_check_timeout(L, 2, "poll", -1);
	if (n == 0 && t < 0)
		return luaL_error(L, "poll: no fds and no timeout: it would wait forever");
	pf = (struct pollfd *)lua_newuserdata(L, (n ? n : 1) * sizeof *pf);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 1, (int)(i + 1));
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 ||
		    lua_tointeger(L, -1) > INT_MAX)
			return luaL_error(L, "poll: fds[%d] must be a descriptor (an integer from 0)",
					  (int)(i + 1));
		pf[i].fd = (int)lua_tointeger(L, -1);
		pf[i].events = POLLIN;
		pf[i].revents = 0;
		lua_pop(L, 1);
	}
	end = mono_now() + t;
	for (;;) {
		int ms = -1, r;
		if (t >= 0) {
			double left = end - mono_now();
			ms = left > 0 ? (int)ceil(left * 1000.0) : 0;
		}
		r = poll(pf, (nfds_t)n, ms);
		if (r >= 0)
			break;
		if (errno != EINTR)
			return vn_fail(L, "poll", errno, NULL);
		/* interrupted: the time left is counted again */
	}
	lua_newtable(L);
	for (i = 0, k = 0; i < n; i++) {
		if (pf[i].revents & POLLNVAL)
			return vn_fail(L, lua_pushfstring(L, "poll: fd %d is not open", pf[i].fd),
				       EBADF, NULL);
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			lua_pushinteger(L, pf[i].fd);
			lua_rawseti(L, -2, ++k);
		}
	}
	return 1;
}

/***
 * Processes (`ns:spawn`): a program started inside a namespace and driven
 * from any event loop through the `vnet.process` it hands back: pollable
 * descriptors, non-blocking reads and writes, a wait with a bound, kill.
 * (`ns:exec`, which runs a program to its end, is with `vnet.netns`.)
 *
 * Options of `ns:spawn` (the program and its arguments in the array part):
 *
 *  * `stdin`: `"null"` (default), `"pipe"` or `"inherit"`
 *  * `stdout`, `stderr`: `"pipe"` (default), `"null"` or `"inherit"`;
 *    `stderr` also `"stdout"` (one pipe for both)
 *  * `env`: a table name = value (`false` removes one); `clearenv`: start
 *    from an empty environment
 *  * `cwd`: the working directory
 *  * `timeout`: seconds, after which the program's process group is killed
 *
 * The program runs in a process group of its own; closing the process (or
 * collecting it, or the caller's exit however it dies) kills that group.
 * Misuse raises naming the option; a program that cannot start returns
 * `nil, message, errname` (`ENOENT` for a missing program).
 * @module vnet.process
 */

/*** Starts a program inside the namespace and returns at once.
 * @function ns:spawn
 * @tparam table argv the program and its arguments, and the options above
 * @return a `vnet.process` once the program runs, or `nil, message,
 *   errname` when it could not be started
 * @raise on misuse (an unknown option, a bad value, a NUL byte)
 * @usage
 * local vnet = require "vnet"
 * local ns = assert(vnet.netns.new())
 * local p = assert(ns:spawn{ "sh", "-c", "echo hello" })
 * assert(p:wait(10))
 * assert(p:read() == "hello\n")
 * p:close()
 * ns:close()
 */

/*** Waits until any of the descriptors is ready to read (or at its end):
 * for plain Lua callers of monitors and processes (an event loop polls the
 * same descriptors itself). Also `vnet.core.poll`.
 * @function vnet.poll
 * @tparam {int,...} fds descriptors (`process.fd`, `process.stdout_fd`,
 *   `monitor.fd`...), at most 4096
 * @number[opt] timeout seconds; none: until one is ready (an empty list
 *   needs one)
 * @treturn {int,...} those of `fds` that are ready, in the list's order;
 *   `{}` when none is within the timeout; or `nil, message, "EBADF"` for a
 *   descriptor that is not open
 * @raise on a bad list or timeout
 */

/*** A program started by `ns:spawn`. `tostring` gives its program, pid and
 * state; `__close` and the collector do what `process:close` does.
 * @type process
 */

/*** The fields of a `vnet.process`.
 * @table fields
 * @field pid the program's pid
 * @field program the program, as given
 * @field state `"running"`, `"exited"`, `"killed"` (by a signal) or
 *   `"timeout"` (killed when its timeout passed), or `"closed"`
 * @field running whether it still runs (looks without waiting)
 * @field closed true once `process:close()` ran
 * @field fd a descriptor readable once the program has ended (to poll)
 * @field stdin_fd the write end of its stdin pipe, or nil
 * @field stdout_fd the read end of its stdout pipe, or nil
 * @field stderr_fd the read end of its stderr pipe, or nil
 */

/*** What the program wrote that can be read now, without waiting.
 * @function process:read
 * @string[opt="stdout"] stream `"stdout"` or `"stderr"`
 * @int[opt=65536] max bytes at most
 * @return a string (`""` when nothing is there yet), nil at the stream's end
 *   (the program and whatever shares the pipe closed it), or `nil, message,
 *   errname`
 * @raise when the stream is not a pipe
 */

/*** Writes to the program's stdin without waiting (the caller never dies of
 * SIGPIPE).
 * @function process:write
 * @string data the bytes
 * @return the number of bytes taken now (0 when the pipe is full), or `nil,
 *   message, "EPIPE"` when the program closed its stdin
 * @raise when stdin is not a pipe or was closed
 */

/*** Closes the program's stdin: it reads end of file.
 * @function process:close_stdin
 * @return `true`
 */

/*** Waits for the program's end.
 * @function process:wait
 * @number[opt] timeout seconds; none: until it ends; 0: a look without
 *   waiting
 * @return `ok, code, how` as `ns:exec`'s (`ok`: exit status 0; `how`:
 *   `"exit"`, `"signal"` or `"timeout"`), or `nil, "timeout", "ETIMEDOUT"`
 *   while it runs
 */

/*** Signals the program (never a recycled pid: it stays unreaped until its
 * status is read).
 * @function process:kill
 * @param[opt="TERM"] sig a number (0 to 64) or a name (`"KILL"`, `"SIGTERM"`)
 * @return `true`, or `nil, message, "ESRCH"` once it has ended
 */

/*** Kills the program and its process group unless it has ended, reaps it
 * and closes the descriptors; again is a no-op.
 * @function process:close
 */

/*** The fields as a plain table.
 * @function process:totable
 * @return `{ pid =, program =, state =, fd =, stdin_fd =, stdout_fd =,
 *   stderr_fd = }`
 */

static const luaL_Reg proc_methods[] = {
	{ "read", proc_read }, { "write", proc_write },
	{ "close_stdin", proc_close_stdin }, { "wait", proc_wait },
	{ "kill", proc_kill }, { "close", proc_close }, { "totable", proc_totable },
	{ NULL, NULL }
};

static const luaL_Reg ns_methods[] = {
	{ "exec", m_exec }, { "spawn", m_spawn }, { NULL, NULL }
};

void vn_open_proc(lua_State *L)
{
	vn_class_new(L, VN_PROCESS, proc_methods, proc_index, proc_gc, proc_gc,
		     proc_tostring);
	lua_pop(L, 1);
	vn_netns_methods(L, ns_methods);
}
