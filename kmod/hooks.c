// SPDX-License-Identifier: GPL-2.0
/*
 * Per-syscall hooks. The sys_enter/sys_exit tracepoints are a per-task switch
 * (SYSCALL_WORK_SYSCALL_TRACEPOINT) that the kernel turns on for every task
 * while anyone is registered, sending every syscall of every task through the
 * slow entry and exit paths. With per-syscall hooks the switch stays off: a
 * function hook (ftrace) on the entry point of each syscall of interest
 * records the entry and turns the switch on for the current task only, so
 * that this one syscall's exit reaches the sys_exit tracepoint (in the
 * sleepable context the exit captures need); the exit probe turns it off
 * again. A child of fork/clone inherits the switch and so reports its own
 * return from the syscall, as with the plain tracepoints.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_trace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "hooks.h"

/*
 * Turns the switch on for every task (tasklist_lock is not exported: RCU
 * makes the walk safe, not complete). A task whose fork is under way during
 * the walk may copy its parent's switch still off: the module's
 * sched_process_fork probe turns it on.
 */
static void trace_every_task(void)
{
	struct task_struct *p, *t;

	rcu_read_lock();
	for_each_process_thread(p, t)
		set_task_syscall_work(t, SYSCALL_TRACEPOINT);
	rcu_read_unlock();
}

/*
 * One ftrace_ops on the entry points of the syscalls of interest, of every
 * table: x86-64's and x32's own (__x64_sys_*, __x64_compat_sys_*), i386's
 * (__ia32_sys_*, __ia32_compat_sys_*). The handler tells the table from the
 * task. An ftrace_ops of its own, not an fprobe: ftrace calls its function
 * straight from the hooked function's trampoline, where fprobes share one
 * ftrace_ops and look each call's address up in a hash table (~100
 * instructions per call, as much again as the handler).
 */
struct osprey_hooks {
	/*
	 * Whether the hooks carry the syscalls (else every task has the switch
	 * on). First: the probes, which test it on every syscall, read it in
	 * place (`SyscallHooks::active`), not through a call.
	 */
	bool active;
#ifdef CONFIG_DYNAMIC_FTRACE
	struct ftrace_ops ops;
#endif
	void (*entered)(void *data, struct pt_regs *regs);
	void *data;
	/* Held while the hooks change state. */
	struct mutex lock;
	/* Whether the current set of syscalls (maybe none) is hooked; whether ops is registered. */
	bool ready, registered;
	/* Whether another user of the syscall tracepoints is present. */
	bool yielded;
	/* The syscall tracepoints, and the watch for other users on them. */
	struct tracepoint *sys_enter, *sys_exit;
	struct delayed_work watch;
};

static_assert(offsetof(struct osprey_hooks, active) == 0);

/* Probes on a (faultable) tracepoint, read as its callers do. */
static int tracepoint_probes(struct tracepoint *tp)
{
	struct tracepoint_func *f;
	int n = 0;

	guard(rcu_tasks_trace)();
	f = rcu_dereference_raw(tp->funcs);
	while (f && f[n].func)
		n++;
	return n;
}

/*
 * Another tracer on sys_enter/sys_exit (perf trace, ftrace syscall events, a
 * BPF program) sees only the tasks whose switch is on, so while one is
 * present the hooks stand aside. Osprey itself has one probe on each.
 */
static bool other_syscall_tracer(struct osprey_hooks *h)
{
	return h->sys_enter && h->sys_exit &&
	       tracepoint_probes(h->sys_enter) + tracepoint_probes(h->sys_exit) > 2;
}

/*
 * Makes `active` what the state calls for; h->lock held. Turning the hooks on
 * leaves every task's switch on: each task turns its own off at its next
 * syscall exit, so a syscall under way (its entry seen through the
 * tracepoints) still reports its return.
 */
static void hooks_apply(struct osprey_hooks *h)
{
	bool want = h->ready && !h->yielded;

	if (want == h->active)
		return;
	if (want) {
		WRITE_ONCE(h->active, true);
		return;
	}
	/*
	 * Stopping. The first walk has every task seen while the hooks still
	 * run. A task may turn its own switch off at an exit after that walk,
	 * having read the hooks as active; the second walk, after the store and
	 * a full barrier, turns it on again. The exit probe pairs with this: it
	 * reads `active` again after turning its switch off (and so does the
	 * fork probe, for a child neither walk may find). Whichever side comes
	 * last, no task is left with its switch off once the hooks are inactive.
	 */
	trace_every_task();
	WRITE_ONCE(h->active, false);
	/* Pairs with the exit and fork probes' full barriers (above). */
	smp_mb();
	trace_every_task();
}

/* h->lock held. */
static void update_yielded(struct osprey_hooks *h)
{
	bool other = other_syscall_tracer(h);

	if (other != h->yielded)
		pr_info("osprey: %s\n", other ?
			"another syscall tracer is present: every syscall goes through the tracepoints" :
			"the other syscall tracer is gone");
	h->yielded = other;
}

static void hooks_watch(struct work_struct *work)
{
	struct osprey_hooks *h = container_of(to_delayed_work(work), struct osprey_hooks, watch);

	mutex_lock(&h->lock);
	update_yielded(h);
	hooks_apply(h);
	mutex_unlock(&h->lock);
	schedule_delayed_work(&h->watch, HZ);
}

struct osprey_hooks *osprey_hooks_new(void (*entered)(void *data, struct pt_regs *regs))
{
	struct osprey_hooks *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (h) {
		h->entered = entered;
		mutex_init(&h->lock);
		INIT_DELAYED_WORK(&h->watch, hooks_watch);
	}
	return h;
}

/* Starts watching the syscall tracepoints (Osprey's probes are on them) for other users, every second. */
void osprey_hooks_watch(struct osprey_hooks *h, struct tracepoint *sys_enter, struct tracepoint *sys_exit)
{
	mutex_lock(&h->lock);
	h->sys_enter = sys_enter;
	h->sys_exit = sys_exit;
	mutex_unlock(&h->lock);
	schedule_delayed_work(&h->watch, HZ);
}

#ifdef CONFIG_DYNAMIC_FTRACE
/*
 * Called straight from the trampoline, without ftrace's recursion guard (the
 * ops does not ask for one): only syscall entry points are hooked, which
 * neither this nor the handler calls, and they run in task context, where
 * RCU is watching. The handler runs while the functions are hooked, the
 * hooks active or stopping (it tells which).
 */
static void hooks_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *ops,
			struct ftrace_regs *fregs)
{
	struct osprey_hooks *h = container_of(ops, struct osprey_hooks, ops);

	/* A syscall's entry point gets the task's user registers. */
	h->entered(h->data, task_pt_regs(current));
}

/*
 * The addresses of the functions `syms` (kallsyms_lookup_name() is not
 * exported to modules): kprobes registered disabled are resolved and checked
 * but never armed. 0 or -errno (-ENOENT: a function the kernel lacks).
 */
static int lookup_functions(const char **syms, int n, unsigned long *addrs)
{
	struct kprobe *kps = kcalloc(n, sizeof(*kps), GFP_KERNEL);
	struct kprobe **list = kcalloc(n, sizeof(*list), GFP_KERNEL);
	int ret = -ENOMEM, i;

	if (kps && list) {
		for (i = 0; i < n; i++) {
			kps[i].symbol_name = syms[i];
			kps[i].flags = KPROBE_FLAG_DISABLED;
			list[i] = &kps[i];
		}
		ret = register_kprobes(list, n);
		if (!ret) {
			for (i = 0; i < n; i++)
				addrs[i] = (unsigned long)kps[i].addr;
			unregister_kprobes(list, n);
		}
	}
	kfree(list);
	kfree(kps);
	return ret;
}

/*
 * Hooks the functions `syms` (n > 0) with h->ops; h->lock held. The filter
 * is never empty when the ops is registered: an empty one hooks every
 * function.
 */
static int hook(struct osprey_hooks *h, const char **syms, int n)
{
	unsigned long *addrs = kcalloc(n, sizeof(*addrs), GFP_KERNEL);
	int ret = addrs ? lookup_functions(syms, n, addrs) : -ENOMEM;

	h->ops.func = hooks_entry;
	if (!ret)
		ret = ftrace_set_filter_ips(&h->ops, addrs, n, 0, 1);
	if (!ret)
		ret = register_ftrace_function(&h->ops);
	if (ret)
		ftrace_free_filter(&h->ops);
	kfree(addrs);
	return ret;
}

/* Unhooks what `hook` hooked, once no handler runs any more; h->lock held. */
static void unhook_functions(struct osprey_hooks *h)
{
	unregister_ftrace_function(&h->ops);
	ftrace_free_filter(&h->ops);
}
#else
/* A kernel without the function tracer: the tracepoints carry every syscall. */
static int hook(struct osprey_hooks *h, const char **syms, int n)
{
	return -EOPNOTSUPP;
}

static void unhook_functions(struct osprey_hooks *h)
{
}
#endif

/* Every task to the tracepoints, then no hook any more; h->lock held. */
static void unhook(struct osprey_hooks *h)
{
	h->ready = false;
	hooks_apply(h);
	if (h->registered)
		unhook_functions(h);
	h->registered = false;
}

/*
 * Hooks exactly the functions `syms` (n of them; none unhooks), replacing
 * what was hooked, with `data` for the handler. While the set changes (and
 * when it cannot be hooked, or another tracer is present) every task has the
 * switch on and the plain tracepoints carry every syscall, so none is
 * missed. 0 or -errno. The hooks are by address: two names of one function
 * (a syscall without arguments has one under its __x64_ and __ia32_ names)
 * hook it once.
 */
int osprey_hooks_set(struct osprey_hooks *h, const char **syms, int n, void *data)
{
	int ret = 0;

	mutex_lock(&h->lock);
	unhook(h);
	if (n) {
		h->data = data;
		ret = hook(h, syms, n);
		h->registered = !ret;
	}
	h->ready = !ret;
	update_yielded(h);
	hooks_apply(h);
	mutex_unlock(&h->lock);
	return ret;
}

/* Unhooks (waiting for running handlers): the tracepoints carry every syscall until the next osprey_hooks_set(). */
void osprey_hooks_unhook(struct osprey_hooks *h)
{
	mutex_lock(&h->lock);
	unhook(h);
	mutex_unlock(&h->lock);
}

/* Stops watching for other tracers and unhooks, for good. */
void osprey_hooks_stop(struct osprey_hooks *h)
{
	cancel_delayed_work_sync(&h->watch);
	osprey_hooks_unhook(h);
}

void osprey_hooks_free(struct osprey_hooks *h)
{
	osprey_hooks_stop(h);
	kfree(h);
}
