/*
 * Falco's kernel driver (scap.ko) drained the way Falco drains it, for the
 * side-by-side benchmarks: libscap's kmod engine opens /dev/scap*, asks the
 * driver for a set of syscalls, and scap_next() takes every event off the
 * per-CPU buffers until SIGINT. The events are counted, not decoded: this is
 * the driver's cost with a consumer attached, the counterpart of `osprey
 * capture --no-print`.
 *
 *   falco-drain [-s SET] [-b BYTES] [-r READY_FILE] [-m DROPS_FILE]
 *
 * SET: "all" (every syscall the driver knows, and process exit: what a
 * consumer of all syscalls asks for), or syscall names separated by commas
 * (getppid,openat,close). BYTES: each CPU's buffer (default 8 MiB, Falco's).
 * READY_FILE is created once the capture runs. DROPS_FILE, when given,
 * holds the driver's count of dropped events, rewritten every second (what
 * the zero-drop benchmark watches). At the end, one line on stderr:
 * "falco-stats {...}" with libscap's counters.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libscap/scap.h>
#include <libscap/scap_engines.h>
#include <libscap/engine/kmod/kmod_public.h>

/* The driver's names for what it can capture (PPM_SC_*), from its table. */
static const struct sc_name {
	const char *name;
	int code;
} sc_names[] = {
#define PPM_SC_X(name, value) { #name, value },
	PPM_SC_FIELDS
#undef PPM_SC_X
};

#define N_SC_NAMES (sizeof(sc_names) / sizeof(sc_names[0]))

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void log_warnings(const char *component, const char *msg,
			 const enum falcosecurity_log_severity severity)
{
	if (severity <= FALCOSECURITY_LOG_SEV_WARNING)
		fprintf(stderr, "falco-drain: %s: %s\n", component ? component : "libscap", msg);
}

/* Codes the driver raises from tracepoints rather than syscalls. */
static bool is_tracepoint(int code)
{
	switch (code) {
	case PPM_SC_SCHED_PROCESS_EXIT:
	case PPM_SC_SCHED_SWITCH:
	case PPM_SC_PAGE_FAULT_USER:
	case PPM_SC_PAGE_FAULT_KERNEL:
	case PPM_SC_SIGNAL_DELIVER:
		return true;
	default:
		return false;
	}
}

/* Marks SET's codes in INTEREST; returns how many, or -1 naming the unknown one. */
static int choose(const char *set, bool *interest)
{
	int chosen = 0;

	if (!strcmp(set, "all")) {
		for (size_t i = 0; i < N_SC_NAMES; i++) {
			int code = sc_names[i].code;

			if (code <= 0 || code >= PPM_SC_MAX)
				continue;
			if (is_tracepoint(code) && code != PPM_SC_SCHED_PROCESS_EXIT)
				continue;
			interest[code] = true;
			chosen++;
		}
		return chosen;
	}
	char *names = strdup(set), *saved = NULL;

	for (char *name = strtok_r(names, ",", &saved); name; name = strtok_r(NULL, ",", &saved)) {
		size_t i = 0;

		while (i < N_SC_NAMES && strcasecmp(sc_names[i].name, name))
			i++;
		if (i == N_SC_NAMES) {
			fprintf(stderr, "falco-drain: the driver has no syscall named %s\n", name);
			free(names);
			return -1;
		}
		interest[sc_names[i].code] = true;
		chosen++;
	}
	free(names);
	return chosen;
}

static const char *drops_file;
static struct timespec drops_written;

/* Rewrites DROPS_FILE with the driver's drop count, at most once a second. */
static void report_drops(scap_t *handle)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == drops_written.tv_sec)
		return;
	drops_written = now;
	scap_stats stats;

	memset(&stats, 0, sizeof(stats));
	scap_get_stats(handle, &stats);
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp", drops_file);
	FILE *out = fopen(tmp, "w");

	if (!out)
		return;
	fprintf(out, "%llu\n", (unsigned long long)stats.n_drops);
	fclose(out);
	rename(tmp, drops_file);
}

/* Takes what the buffers hold; returns the count, stops at the first non-event. */
static uint64_t drain(scap_t *handle, bool until_stopped)
{
	uint64_t events = 0;

	for (;;) {
		scap_evt *event;
		uint16_t cpu;
		uint32_t flags;
		int32_t rc = scap_next(handle, &event, &cpu, &flags);

		if (drops_file && (rc != SCAP_SUCCESS || (events & 0xffff) == 0))
			report_drops(handle);
		if (rc == SCAP_SUCCESS) {
			events++;
			continue;
		}
		if (rc == SCAP_TIMEOUT && until_stopped && !stopping)
			continue;
		if (rc != SCAP_TIMEOUT && rc != SCAP_EOF)
			fprintf(stderr, "falco-drain: scap_next: %s\n", scap_getlasterr(handle));
		return events;
	}
}

int main(int argc, char **argv)
{
	const char *set = "all", *ready_file = NULL;
	unsigned long buffer_bytes = 8UL << 20;
	int opt;

	while ((opt = getopt(argc, argv, "s:b:r:m:")) != -1) {
		if (opt == 's')
			set = optarg;
		else if (opt == 'b')
			buffer_bytes = strtoul(optarg, NULL, 0);
		else if (opt == 'r')
			ready_file = optarg;
		else if (opt == 'm')
			drops_file = optarg;
		else {
			fprintf(stderr, "usage: falco-drain [-s all|NAME,...] [-b BYTES] [-r READY_FILE] [-m DROPS_FILE]\n");
			return 2;
		}
	}

	scap_open_args args;

	memset(&args, 0, sizeof(args));
	args.log_fn = log_warnings;
	int chosen = choose(set, args.ppm_sc_of_interest.ppm_sc);

	if (chosen < 0)
		return 2;
	struct scap_kmod_engine_params kmod = { .buffer_bytes_dim = buffer_bytes };

	args.engine_params = &kmod;
	char error[SCAP_LASTERR_SIZE] = "";
	int32_t rc = SCAP_SUCCESS;
	scap_t *handle = scap_open(&args, &scap_kmod_engine, error, &rc);

	if (!handle) {
		fprintf(stderr, "falco-drain: opening the driver: %s (%d)\n", error, rc);
		return 1;
	}
	if (scap_start_capture(handle) != SCAP_SUCCESS) {
		fprintf(stderr, "falco-drain: starting the capture: %s\n", scap_getlasterr(handle));
		return 1;
	}
	struct sigaction stop = { .sa_handler = on_stop };

	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	fprintf(stderr, "falco-drain: %d syscalls, %lu-byte buffers\n", chosen, buffer_bytes);
	if (ready_file) {
		int fd = open(ready_file, O_CREAT | O_WRONLY | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}

	uint64_t events = drain(handle, true);

	scap_stop_capture(handle);
	events += drain(handle, false);

	scap_stats stats;

	memset(&stats, 0, sizeof(stats));
	scap_get_stats(handle, &stats);
	fprintf(stderr,
		"falco-stats {\"delivered\": %llu, \"seen\": %llu, \"dropped\": %llu, "
		"\"dropped_buffer_full\": %llu, \"dropped_page_fault\": %llu, \"preemptions\": %llu}\n",
		(unsigned long long)events, (unsigned long long)stats.n_evts,
		(unsigned long long)stats.n_drops, (unsigned long long)stats.n_drops_buffer,
		(unsigned long long)stats.n_drops_pf, (unsigned long long)stats.n_preemptions);
	scap_close(handle);
	return 0;
}
