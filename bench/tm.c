/*
 * tm.c - time one command for the benchmark harness.
 *
 * usage: tm [-t SECONDS] RESULT_FILE COMMAND [ARGS...]
 *
 * Runs COMMAND in its own process group (stdin from /dev/null, stdout/stderr
 * inherited), waits for it and writes one line to RESULT_FILE:
 *
 *   <wall s> <user s> <sys s> <peak RSS KiB> <exit status>
 *
 * wall is CLOCK_MONOTONIC from fork to reap; user/sys/RSS come from wait4()'s
 * rusage, which covers the command and every descendant it waited for (RSS is
 * the largest single process).  exit status is 128+N for a signal, 124 when
 * the -t limit killed the command's process group.  SIGINT/SIGTERM/SIGHUP
 * sent to tm are passed on to the group.  tm exits with the command's status.
 *
 * Build: cc -O2 -Wall -Wextra -o tm tm.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile pid_t child;
static volatile sig_atomic_t timed_out;

static void on_signal(int sig)
{
	if (sig == SIGALRM) {
		timed_out = 1;
		sig = SIGKILL;
	}
	if (child > 0)
		kill(-child, sig);
}

int main(int argc, char **argv)
{
	unsigned limit = 0;
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		limit = (unsigned)atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: tm [-t SECONDS] RESULT_FILE COMMAND [ARGS...]\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("tm: fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execvp(argv[2], argv + 2);
		fprintf(stderr, "tm: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no window where a signal misses the group */
	child = pid;
	if (limit)
		alarm(limit);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		;
	double wall = now() - t0;
	/* leftovers of the group (a pipeline's other end) */
	kill(-pid, timed_out ? SIGKILL : SIGTERM);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (timed_out)
		code = 124;
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror("tm: result file");
		return 2;
	}
	fprintf(f, "%.6f %.6f %.6f %ld %d\n", wall,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, code);
	fclose(f);
	return code;
}
