/*
 * A QEMU TCG plugin for scripts/bench-syscall-insns.sh: counts the guest
 * instructions one vCPU executes between two marker functions of the guest
 * program bench/insn-loop.c, and prints "window <vcpu> <count>" at each
 * stop marker. Instruction counts are repeatable where TCG's timings are
 * not, and they weigh the module's code as a native CPU would run it, not
 * as the emulator does.
 *
 * Plugin arguments: start=<vaddr>,stop=<vaddr> (the markers' addresses in
 * the statically linked, non-PIE guest program); profile=1 also prints,
 * before each window line, "tb <vaddr> <insns> <runs>" for every
 * translation block the window ran (scripts/bench-syscall-insns.sh
 * --profile maps them to the guest's symbols).
 *
 * Only the handful of plugin API calls used here are declared, by hand:
 * Debian ships QEMU with plugin support but without its header. They are
 * part of the plugin API since its version 1.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*vcpu_udata_cb)(unsigned int vcpu, void *udata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
					  enum qemu_plugin_cb_flags flags, void *udata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb cb,
					    enum qemu_plugin_cb_flags flags, void *udata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 2;

#define MAX_VCPUS 64

/* Per vCPU, touched only by that vCPU's thread. */
static struct {
	bool counting;
	uint64_t count;
} vcpus[MAX_VCPUS];

/* One per translation; a block translated again gets another. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	/* Runs inside the current window (only the counting vCPU adds). */
	uint64_t runs;
	struct block *next;
};

static uint64_t start_vaddr, stop_vaddr;
static bool profile;
/* Every block, pushed by the translating vCPU threads without a lock. */
static struct block *blocks;

static void tb_executed(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	if (vcpu < MAX_VCPUS && vcpus[vcpu].counting) {
		vcpus[vcpu].count += b->insns;
		b->runs++;
	}
}

static void print_profile(void)
{
	char line[80];

	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next) {
		if (!b->runs)
			continue;
		snprintf(line, sizeof(line), "tb %#" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->vaddr, b->insns, b->runs);
		qemu_plugin_outs(line);
		b->runs = 0;
	}
}

static void window_started(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (vcpu < MAX_VCPUS)
		vcpus[vcpu] = (typeof(vcpus[0])){ .counting = true, .count = 0 };
}

static void window_stopped(unsigned int vcpu, void *udata)
{
	char line[64];

	(void)udata;
	if (vcpu >= MAX_VCPUS || !vcpus[vcpu].counting)
		return;
	vcpus[vcpu].counting = false;
	if (profile)
		print_profile();
	snprintf(line, sizeof(line), "window %u %" PRIu64 "\n", vcpu, vcpus[vcpu].count);
	qemu_plugin_outs(line);
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b));

	(void)id;
	if (!b || !n)
		abort();
	b->vaddr = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0));
	b->insns = n;
	b->next = __atomic_load_n(&blocks, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&blocks, &b->next, b, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_executed, QEMU_PLUGIN_CB_NO_REGS, b);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t vaddr = qemu_plugin_insn_vaddr(insn);

		if (vaddr == start_vaddr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, window_started, QEMU_PLUGIN_CB_NO_REGS, NULL);
		else if (vaddr == stop_vaddr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, window_stopped, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info *info,
							       int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "start=", 6) == 0)
			start_vaddr = strtoull(argv[i] + 6, NULL, 0);
		else if (strncmp(argv[i], "stop=", 5) == 0)
			stop_vaddr = strtoull(argv[i] + 5, NULL, 0);
		else if (strcmp(argv[i], "profile=1") == 0)
			profile = true;
	}
	if (!start_vaddr || !stop_vaddr) {
		qemu_plugin_outs("insn-window: needs start=<vaddr>,stop=<vaddr>\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
	return 0;
}
