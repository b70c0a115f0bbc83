// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the Osprey module: each wraps something that is a macro or an
 * inline function in C and therefore has no Rust binding in this kernel. They
 * return plain scalars so that no layout is shared between C and Rust; the
 * wire layouts live only in shared-abi.
 */
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

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

void osprey_preempt_enable(void)
{
	preempt_enable();
}

/* Zeroed per-CPU memory; the Rust side increments it with one %gs-relative instruction. */
u64 __percpu *osprey_alloc_percpu_u64s(size_t count)
{
	return __alloc_percpu(count * sizeof(u64), sizeof(u64));
}

/* CPU `cpu`'s copy, or NULL for a CPU that cannot exist. */
const u64 *osprey_per_cpu_u64s(u64 __percpu *p, unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_possible(cpu) ? per_cpu_ptr(p, cpu) : NULL;
}

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
void osprey_tracepoint_sync(void)
{
	tracepoint_synchronize_unregister();
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

/*
 * A counted reference on the current task's process (its thread group's
 * pid), for put_pid().
 */
struct pid *osprey_current_tgid_get(void)
{
	return get_pid(task_tgid(current));
}

/*
 * The current task's cgroup v2 id, on its own: the container filter needs it
 * before a record is written.
 */
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

/*
 * The mode and link count of the current task's descriptor `fd`; false when
 * it has none. Callable with preemption off: fdget borrows the table's
 * reference when the table is not shared (no atomics), and fput of a
 * reference that is not the last only decrements.
 */
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

/*
 * Whether the current task's descriptor `fd` is a regular file with a name
 * (not a memfd, O_TMPFILE or deleted file) or a device.
 */
bool osprey_fd_is_named_file(int fd)
{
	umode_t mode;
	unsigned int nlink;

	return fd_inode_facts(fd, &mode, &nlink) &&
	       ((S_ISREG(mode) && nlink > 0) || S_ISCHR(mode) || S_ISBLK(mode));
}

/*
 * d_path() writes at the end of the buffer: move the result to the start.
 * -ENAMETOOLONG when it does not fit.
 */
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

long osprey_exec_args(char *buf, int len, int *truncated)
{
	return exec_area(false, buf, len, truncated);
}

long osprey_exec_env(char *buf, int len, int *truncated)
{
	return exec_area(true, buf, len, truncated);
}
