// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the Osprey module: each wraps something that is a macro or an
 * inline function in C and therefore has no Rust binding in this kernel. They
 * return plain scalars so that no layout is shared between C and Rust; the
 * wire layouts live only in shared-abi.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/audit.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/capability.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/rcupdate_trace.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#ifdef OSPREY_HAVE_OVL_ENTRY
/* overlayfs's private inode layout, from the same tree the kernel was built from. */
#include "ovl_entry.h"
#endif

#include "helpers.h"

/* Disables preemption and returns the CPU, now stable. */
unsigned int osprey_preempt_disable_cpu(void)
{
	preempt_disable();
	return smp_processor_id();
}
void osprey_preempt_enable(void) { preempt_enable(); }
/* Zeroed per-CPU memory; the Rust side increments it with one %gs-relative instruction. */
u64 __percpu *osprey_alloc_percpu_u64s(size_t count) { return __alloc_percpu(count * sizeof(u64), sizeof(u64)); }
void osprey_free_percpu(u64 __percpu *p) { free_percpu(p); }
/* CPU `cpu`'s copy, or NULL for a CPU that cannot exist. */
const u64 *osprey_per_cpu_u64s(u64 __percpu *p, unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_possible(cpu) ? per_cpu_ptr(p, cpu) : NULL;
}
/*
 * The boot clock (CLOCK_BOOTTIME): it never steps when the wall clock is set,
 * so the consumer's merge of the rings by time stays the order things
 * happened; the consumer adds the wall clock's offset. The tracers' fast
 * accessor: a latch instead of a seqcount retry loop. Only an NMI can see it
 * go back on one CPU, and the probes are not NMIs.
 */
u64 osprey_now_ns(void) { return ktime_get_boot_fast_ns(); }

/*
 * strncpy_from_user_nofault() without its last step (which is not exported
 * anyway): copies the user string at `src` up to its NUL, a word at a time,
 * into at most `count` bytes; returns its length, `count` when no NUL came
 * within them (`dst` then holds `count` bytes and no NUL), -EFAULT on a
 * fault. Never sleeps: the probes write with preemption off. The string is
 * read once, so what is recorded never holds a NUL.
 */
long osprey_strncpy_from_user_nofault(char *dst, const char __user *src, long count)
{
	long n;

	pagefault_disable();
	n = strncpy_from_user(dst, src, count);
	pagefault_enable();
	return n;
}

/* Waits until no probe runs any more (faultable and non-faultable ones). */
void osprey_tracepoint_sync(void) { tracepoint_synchronize_unregister(); }

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
static int hook(struct osprey_hooks *h, const char **syms, int n) { return -EOPNOTSUPP; }
static void unhook_functions(struct osprey_hooks *h) { }
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

/*
 * An id of the initial user namespace as from_kuid_munged(&init_user_ns, ...)
 * gives it: that namespace maps every id to itself, so the lookup in its
 * extent table (a tenth of a record's cost) is skipped; the invalid id
 * reads as the overflow uid or gid, as there.
 */
static u32 initial_ns_id(u32 id, int overflow)
{
	return id == (u32)-1 ? overflow : id;
}

/* pid_nr_ns(), inlined: the capture path asks it for a thread's process. */
static inline u32 nr_in(struct pid *pid, struct pid_namespace *ns)
{
	struct upid *upid;

	if (!pid || !ns || ns->level > pid->level)
		return 0;
	upid = &pid->numbers[ns->level];
	return upid->ns == ns ? upid->nr : 0;
}

static u32 current_loginuid(void)
{
#ifdef CONFIG_AUDIT
	kuid_t uid = audit_get_loginuid(current);

	if (uid_valid(uid))
		return initial_ns_id(__kuid_val(uid), overflowuid);
#endif
	return U32_MAX;
}

/*
 * Everything a record header says about the current task, in one call (the
 * capture path runs it for every record): the parent's tgid, uid and gid in
 * the initial namespaces, the loginuid (U32_MAX when unset), the tid and pid
 * in the task's own pid namespace, and its cgroup v2 id.
 *
 * Called with preemption disabled (a record is written in its reserved
 * space), which since the RCU flavours were consolidated is an RCU read-side
 * critical section as rcu_read_lock() is (Documentation/RCU/
 * rcu_dereference.rst): the parent and the cgroup are read under it, with
 * the accessors that say so to lockdep, without the lock's own calls
 * (~30 instructions a record in a preemptible kernel, where they are real
 * calls).
 */
void osprey_current_ids(u32 *ppid, u32 *uid, u32 *gid, u32 *loginuid, u32 *vtid, u32 *vpid, u64 *cgroup)
{
	const struct cred *cred = current_cred();
	struct pid *pid = task_pid(current), *tgid = task_tgid(current);

	lockdep_assert_preemption_disabled();
	*ppid = task_tgid_nr(rcu_dereference_all(current->real_parent));
	*cgroup = cgroup_id(task_dfl_cgroup(current));
	if (pid) {
		/* The task's namespace is its pid's deepest: its number there is the last. */
		struct upid *own = &pid->numbers[pid->level];

		*vtid = own->nr;
		/* A thread group's leader (most tasks) is its own process. */
		*vpid = tgid == pid ? own->nr : nr_in(tgid, own->ns);
	} else {
		*vtid = *vpid = 0;
	}
	*uid = initial_ns_id(__kuid_val(cred->uid), overflowuid);
	*gid = initial_ns_id(__kgid_val(cred->gid), overflowgid);
	*loginuid = current_loginuid();
}

/* A counted reference on the current task's process (its thread group's
 * pid), for put_pid(). */
struct pid *osprey_current_tgid_get(void)
{
	return get_pid(task_tgid(current));
}

/* The current task's cgroup v2 id, on its own: the container filter needs it
 * before a record is written. */
u64 osprey_current_cgroup(void)
{
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
}

void osprey_caps(u64 *inheritable, u64 *permitted, u64 *effective)
{
	const struct cred *cred = current_cred();

	*inheritable = cred->cap_inheritable.val;
	*permitted = cred->cap_permitted.val;
	*effective = cred->cap_effective.val;
}

static struct file *current_exe(void)
{
	struct mm_struct *mm = current->mm;
	struct file *exe = NULL;

	/* get_mm_exe_file() is not exported; this is its body. */
	if (mm) {
		rcu_read_lock();
		exe = get_file_rcu(&mm->exe_file);
		rcu_read_unlock();
	}
	return exe;
}

static u64 timespec_ns(struct timespec64 t)
{
	return (u64)t.tv_sec * NSEC_PER_SEC + t.tv_nsec;
}

/*
 * Whether the current task may write `file`'s inode, judged as
 * generic_permission() judges it without ACLs: the owner's, the group's or
 * the others' write bit by the task's fsuid, fsgid and groups, or
 * CAP_DAC_OVERRIDE; never on a read-only mount or an immutable inode. Unlike
 * inode_permission(), it asks no security module (no denial is logged per
 * exec) and no network file system.
 */
static bool may_write(struct file *file)
{
	struct mnt_idmap *idmap = file_mnt_idmap(file);
	struct inode *inode = file_inode(file);
	umode_t mode = inode->i_mode;

	if (IS_IMMUTABLE(inode) || sb_rdonly(inode->i_sb) || __mnt_is_readonly(file->f_path.mnt))
		return false;
	if (capable_noaudit(CAP_DAC_OVERRIDE))
		return true;
	if (vfsuid_eq_kuid(i_uid_into_vfsuid(idmap, inode), current_fsuid()))
		return mode & 0200;
	if (vfsgid_in_group_p(i_gid_into_vfsgid(idmap, inode)))
		return mode & 0020;
	return mode & 0002;
}

/* Whether `file` is a memfd: a name from memfd_create() and no link. */
static bool is_memfd(struct file *file)
{
	struct name_snapshot name;
	bool memfd;

	if (file_inode(file)->i_nlink)
		return false;
	/* A dentry's name may change under a rename: read a stable copy. */
	take_dentry_name_snapshot(&name, file->f_path.dentry);
	memfd = strncmp(name.name.name, "memfd:", 6) == 0;
	release_dentry_name_snapshot(&name);
	return memfd;
}

/*
 * The current executable's inode facts. *layer: 0 not on overlayfs, 1 in a
 * lower layer only, 2 in the upper layer (created or copied up), -1 on
 * overlayfs but unknown (a tree without overlayfs's private header). Call
 * preemptible.
 */
long osprey_exe_facts(u64 *ino, u64 *ctime_ns, u64 *mtime_ns, int *writable, int *memfd, int *layer)
{
	struct file *exe = current_exe();
	struct inode *inode;

	if (!exe)
		return -ENOENT;
	inode = file_inode(exe);
	*ino = inode->i_ino;
	*ctime_ns = timespec_ns(inode_get_ctime(inode));
	*mtime_ns = timespec_ns(inode_get_mtime(inode));
	*writable = may_write(exe);
	*memfd = is_memfd(exe);
	*layer = 0;
	if (inode->i_sb->s_magic == OVERLAYFS_SUPER_MAGIC) {
#ifdef OSPREY_HAVE_OVL_ENTRY
		*layer = READ_ONCE(OVL_I(inode)->__upperdentry) ? 2 : 1;
#else
		*layer = -1;
#endif
	}
	fput(exe);
	return 0;
}

/* The mode and link count of the current task's descriptor `fd`; false when
 * it has none. Callable with preemption off: fdget borrows the table's
 * reference when the table is not shared (no atomics), and fput of a
 * reference that is not the last only decrements. */
static bool fd_inode_facts(int fd, umode_t *mode, unsigned int *nlink)
{
	struct file *raw;

	{
		CLASS(fd, f)(fd);
		if (!fd_empty(f)) {
			*mode = file_inode(fd_file(f))->i_mode;
			*nlink = file_inode(fd_file(f))->i_nlink;
			return true;
		}
	}
	/* fdget skips O_PATH descriptors. */
	raw = fget_raw(fd);
	if (!raw)
		return false;
	*mode = file_inode(raw)->i_mode;
	*nlink = file_inode(raw)->i_nlink;
	fput(raw);
	return true;
}

/* Whether the current task's descriptor `fd` is a regular file with a name
 * (not a memfd, O_TMPFILE or deleted file) or a device. */
bool osprey_fd_is_named_file(int fd)
{
	umode_t mode;
	unsigned int nlink;

	return fd_inode_facts(fd, &mode, &nlink) &&
	       ((S_ISREG(mode) && nlink > 0) || S_ISCHR(mode) || S_ISBLK(mode));
}

/* d_path() writes at the end of the buffer: move the result to the start.
 * -ENAMETOOLONG when it does not fit. */
static long path_to_buf(const struct path *path, char *buf, int len)
{
	char *p = d_path(path, buf, len);
	long n;

	if (IS_ERR(p))
		return PTR_ERR(p);
	n = buf + len - 1 - p;
	memmove(buf, p, n);
	return n;
}

/*
 * The path of the file behind the current task's descriptor `fd`, as the
 * kernel resolved it (from the task's root), its f_flags and whether it is a
 * directory. The length, or -errno (-EBADF: no such descriptor;
 * -ENAMETOOLONG: a path longer than len). Call preemptible.
 */
long osprey_fd_path(int fd, char *buf, int len, unsigned int *flags, bool *is_dir)
{
	struct file *file = fget_raw(fd);
	long n;

	if (!file)
		return -EBADF;
	*flags = file->f_flags;
	*is_dir = S_ISDIR(file_inode(file)->i_mode);
	n = path_to_buf(&file->f_path, buf, len);
	/*
	 * A file unlinked since it was opened (maybe by another thread, just
	 * now): its name as it was, without the mark d_path() appends, which
	 * no rule on that name would match.
	 */
	if (n >= 10 && d_unlinked(file->f_path.dentry) && !memcmp(buf + n - 10, " (deleted)", 10))
		n -= 10;
	fput(file);
	return n;
}

/*
 * The address of the peer of the socket behind the current task's
 * descriptor `fd`, as the kernel holds it, copied to buf (at most len
 * bytes). Its length, or -errno (-ENOTSOCK, or -ENOTCONN once the peer is
 * gone). Call preemptible: the protocol may lock the socket.
 */
long osprey_fd_peer(int fd, char *buf, int len)
{
	struct sockaddr_storage addr;
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = kernel_getpeername(sock, (struct sockaddr *)&addr);
	sockfd_put(sock);
	if (err < 0)
		return err;
	err = min(err, len);
	memcpy(buf, &addr, err);
	return err;
}

/* Path of the current executable. May sleep: call preemptible. */
long osprey_exe_path(char *buf, int len)
{
	struct file *exe = current_exe();
	long n;

	if (!exe)
		return -ENOENT;
	n = path_to_buf(&exe->f_path, buf, len);
	fput(exe);
	return n;
}

/* Current working directory. May sleep: call preemptible. */
long osprey_cwd_path(char *buf, int len)
{
	struct path pwd;
	long n;

	if (!current->fs)
		return -ENOENT;
	get_fs_pwd(current->fs, &pwd);
	n = path_to_buf(&pwd, buf, len);
	path_put(&pwd);
	return n;
}

/*
 * The current image's argument or environment area (NUL-separated strings, as
 * the new image sees them after exec). Returns the bytes copied; *truncated is
 * set when the area is larger than len. May fault: call preemptible.
 */
static long exec_area(bool env, char *buf, int len, int *truncated)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end, n;

	if (!mm)
		return -ENOENT;
	spin_lock(&mm->arg_lock);
	start = env ? mm->env_start : mm->arg_start;
	end = env ? mm->env_end : mm->arg_end;
	spin_unlock(&mm->arg_lock);
	n = end - start;
	*truncated = n > len;
	if (n > len)
		n = len;
	if (copy_from_user(buf, (const void __user *)start, n))
		return -EFAULT;
	return n;
}

long osprey_exec_args(char *buf, int len, int *truncated) { return exec_area(false, buf, len, truncated); }
long osprey_exec_env(char *buf, int len, int *truncated) { return exec_area(true, buf, len, truncated); }
