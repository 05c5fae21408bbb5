/*
 * reaper.c - a test-only preload for spec/exec_spec.lua and spec/spawn_spec.lua:
 * it gives the process a SIGCHLD handler that reaps any child with
 * waitpid(-1), the way nginx does, and prints at exit how many it reaped.
 * Built by H.reaper() (spec/helper.lua); not part of vnet.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

static volatile sig_atomic_t reaped;

static void on_chld(int sig)
{
	(void)sig;
	while (waitpid(-1, 0, WNOHANG) > 0)
		reaped++;
}

__attribute__((constructor)) static void init(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, 0);
}

__attribute__((destructor)) static void fini(void)
{
	fprintf(stderr, "reaped %d\n", (int)reaped);
}
