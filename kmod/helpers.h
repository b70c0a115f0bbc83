/* SPDX-License-Identifier: GPL-2.0 */
/* Prototypes of helpers.c; the Rust side declares the same in ffi.rs. */
#ifndef OSPREY_HELPERS_H
#define OSPREY_HELPERS_H
#include <linux/types.h>
#include <linux/compiler_types.h>

unsigned int osprey_preempt_disable_cpu(void);
void osprey_preempt_enable(void);
u64 __percpu *osprey_alloc_percpu_u64s(size_t count);
const u64 *osprey_per_cpu_u64s(u64 __percpu *p, unsigned int cpu);
long osprey_strncpy_from_user_nofault(char *dst, const char __user *src, long count);
void osprey_tracepoint_sync(void);
void osprey_current_ids(u32 *ppid, u32 *uid, u32 *gid, u32 *loginuid, u32 *vtid, u32 *vpid, u64 *cgroup);
u64 osprey_current_cgroup(void);
struct pid;
struct pid *osprey_current_tgid_get(void);
long osprey_fd_path(int fd, char *buf, int len, unsigned int *flags, bool *is_dir);
bool osprey_fd_is_named_file(int fd);
long osprey_fd_peer(int fd, char *buf, int len);
long osprey_exe_path(char *buf, int len);
long osprey_cwd_path(char *buf, int len);
long osprey_exec_args(char *buf, int len, int *truncated);
long osprey_exec_env(char *buf, int len, int *truncated);
void osprey_caps(u64 *inheritable, u64 *permitted, u64 *effective);
long osprey_exe_facts(u64 *ino, u64 *ctime_ns, u64 *mtime_ns, int *writable, int *memfd, int *layer);
#endif
