/*
 * A QEMU TCG plugin for scripts/bench-syscall-insns.sh: counts the guest
 * instructions one vCPU executes between two marker functions of the guest
 * program bench/insn-loop.c, and prints "window <vcpu> <count>" at each
 * stop marker. Instruction counts are repeatable where TCG's timings are
 * not, and they weigh the module's code as a native CPU would run it, not
 * as the emulator does.
 *
 * Plugin arguments: start=<vaddr>,stop=<vaddr> (the markers' addresses in
 * the statically linked, non-PIE guest program).
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

static uint64_t start_vaddr, stop_vaddr;

static void tb_executed(unsigned int vcpu, void *insns)
{
	if (vcpu < MAX_VCPUS && vcpus[vcpu].counting)
		vcpus[vcpu].count += (uintptr_t)insns;
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
	snprintf(line, sizeof(line), "window %u %" PRIu64 "\n", vcpu, vcpus[vcpu].count);
	qemu_plugin_outs(line);
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_executed, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
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
	}
	if (!start_vaddr || !stop_vaddr) {
		qemu_plugin_outs("insn-window: needs start=<vaddr>,stop=<vaddr>\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
	return 0;
}
