/*
 * Guest side of scripts/bench-syscall-insns.sh: N getppid calls, then N
 * openat+close pairs, each loop between the markers that the plugin
 * bench/insn-window.c counts instructions between. Built static and
 * non-PIE, so that the markers have fixed addresses.
 *
 *   insn-loop N
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Out of line and distinct: the plugin hooks their first instruction. */
__attribute__((noinline, used)) void insn_window_start(void)
{
	__asm__ volatile("nop" ::: "memory");
}

__attribute__((noinline, used)) void insn_window_stop(void)
{
	__asm__ volatile("nop; nop" ::: "memory");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	if (n <= 0) {
		fprintf(stderr, "usage: insn-loop N\n");
		return 2;
	}
	/* Warm: the loops' code and the kernel paths are translated once. */
	for (long i = 0; i < 1000; i++) {
		syscall(SYS_getppid);
		syscall(SYS_close, syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY));
	}
	insn_window_start();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	insn_window_stop();
	insn_window_start();
	for (long i = 0; i < n; i++)
		syscall(SYS_close, syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY));
	insn_window_stop();
	return 0;
}
