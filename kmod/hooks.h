/* SPDX-License-Identifier: GPL-2.0 */
/* Prototypes of hooks.c; the Rust side declares the same in ffi.rs. */
#ifndef OSPREY_HOOKS_H
#define OSPREY_HOOKS_H

struct osprey_hooks;
struct pt_regs;
struct tracepoint;

struct osprey_hooks *osprey_hooks_new(void (*entered)(void *data, struct pt_regs *regs));
void osprey_hooks_watch(struct osprey_hooks *h, struct tracepoint *sys_enter, struct tracepoint *sys_exit);
int osprey_hooks_set(struct osprey_hooks *h, const char **syms, int n, void *data);
void osprey_hooks_unhook(struct osprey_hooks *h);
void osprey_hooks_stop(struct osprey_hooks *h);
void osprey_hooks_free(struct osprey_hooks *h);
#endif
