// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// hull monitor eBPF programs: raw tracepoints only (no kprobes/fentry/LSM, no tracefs).
//
// - raw_tp/sched_process_exec|fork|exit: process lifecycle, argv read from the new mm.
// - raw_tp/sys_exit: one program for the syscalls hull watches, read at syscall exit
//   (arguments come from the saved user registers, the result from `ret`), filtered in
//   the kernel by syscall number first, then by result, open flags and path prefix.
// - Two ring buffers: `hi` (exec, credentials, connects, ptrace, mounts, modules) and
//   `opens` (file opens), so an open flood cannot push out exec events. Failed
//   reservations are counted per buffer in `drops`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PATH_LEN 256
#define ARGS_LEN 256

enum kind {
	K_EXEC = 1,
	K_FORK = 2,
	K_EXIT = 3,
	K_OPEN = 4,
	K_CONNECT = 5,
	K_ACCEPT = 6,
	K_SETUID = 7,
	K_SETGID = 8,
	K_CAPSET = 9,
	K_PTRACE = 10,
	K_MOUNT = 11,
	K_MEMFD = 12,
	K_INITMOD = 13,
};

struct event {
	__u32 kind;
	__u32 pid;
	__u32 ppid;
	__u32 uid;     // effective uid (after the call)
	__u64 ts_ns;   // CLOCK_MONOTONIC (bpf_ktime_get_ns)
	__u64 cgroup_id;
	__s64 ret;
	__u32 prev_uid;
	__u32 flags;   // open flags; ptrace request
	__u32 family;  // AF_INET / AF_INET6
	__u16 dport;   // host order
	__u16 args_len;
	__u8 daddr[16];
	__u8 cap_gained;
	__u8 pad[7];
	char comm[16];
	char path[PATH_LEN];
	char args[ARGS_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} hi SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} opens SEC(".maps");

// drops[0] = hi, drops[1] = opens
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

// Configuration written by user space before attach.
const volatile __u32 host_pidns = 0;      // inode of the host pid namespace
const volatile __u32 opens_containers_only = 1;
const volatile __u32 self_tgid = 0;       // never report the monitor itself
const volatile __u32 learn = 0;           // record syscalls per cgroup (--learn)

// --learn: 512-bit syscall bitmap per cgroup id (containers only).
struct sysbits {
	__u64 w[8];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct sysbits);
} learned SEC(".maps");

// Credentials before a setuid/capset call, keyed by thread id (filled at sys_enter).
struct cred_snap {
	__u32 euid;
	__u32 pad;
	__u64 cap_eff;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct cred_snap);
} pending SEC(".maps");

static __always_inline void count_drop(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u32 task_pidns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, pid_ns_for_children, ns.inum);
}

static __always_inline int in_container(struct task_struct *t)
{
	return host_pidns == 0 || task_pidns(t) != host_pidns;
}

static __always_inline struct event *reserve(void *rb, __u32 idx, __u32 kind)
{
	struct event *e = bpf_ringbuf_reserve(rb, sizeof(struct event), 0);
	if (!e) {
		count_drop(idx);
		return 0;
	}
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	e->kind = kind;
	e->pid = id >> 32;
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	e->uid = BPF_CORE_READ(t, cred, euid.val);
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->ret = 0;
	e->prev_uid = 0;
	e->flags = 0;
	e->family = 0;
	e->dport = 0;
	e->args_len = 0;
	e->cap_gained = 0;
	e->path[0] = 0;
	e->args[0] = 0;
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	struct event *e = reserve(&hi, 0, K_EXEC);
	if (!e)
		return 0;
	const char *fname = BPF_CORE_READ(bprm, filename);
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), fname);
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	unsigned long len = end - start;
	// Bounded for the verifier: at most ARGS_LEN - 1 bytes.
	if (len > ARGS_LEN - 1)
		len = ARGS_LEN - 1;
	len &= ARGS_LEN - 1;
	if (len > 0 && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 pid = BPF_CORE_READ(child, pid);
	__u32 tgid = BPF_CORE_READ(child, tgid);
	if (pid != tgid)
		return 0; // a thread
	struct event *e = reserve(&hi, 0, K_FORK);
	if (!e)
		return 0;
	e->ppid = e->pid; // the parent is current
	e->pid = tgid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	if ((__u32)id != (id >> 32))
		return 0; // a thread, not the process
	struct event *e = reserve(&hi, 0, K_EXIT);
	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

// x86_64 syscall numbers
#define NR_open 2
#define NR_connect 42
#define NR_accept 43
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setreuid 113
#define NR_setregid 114
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_setfsuid 122
#define NR_capset 126
#define NR_mount 165
#define NR_init_module 175
#define NR_openat 257
#define NR_accept4 288
#define NR_finit_module 313
#define NR_memfd_create 319
#define NR_openat2 437

static __always_inline int is_cred_call(long nr)
{
	return nr == NR_setuid || nr == NR_setreuid || nr == NR_setresuid || nr == NR_setfsuid ||
	       nr == NR_capset;
}

// Snapshot credentials before setuid-family and capset calls, to report the change.
SEC("raw_tp/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long nr)
{
	if (learn && nr >= 0 && nr < 512) {
		struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
		if (in_container(cur)) {
			__u64 cg = bpf_get_current_cgroup_id();
			struct sysbits *b = bpf_map_lookup_elem(&learned, &cg);
			if (!b) {
				struct sysbits zero = {};
				bpf_map_update_elem(&learned, &cg, &zero, BPF_NOEXIST);
				b = bpf_map_lookup_elem(&learned, &cg);
			}
			if (b) {
				__u32 idx = (nr >> 6) & 7;
				__sync_fetch_and_or(&b->w[idx], 1ULL << (nr & 63));
			}
		}
	}
	if (!is_cred_call(nr))
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct cred_snap s = {};
	s.euid = BPF_CORE_READ(t, cred, euid.val);
	s.cap_eff = BPF_CORE_READ(t, cred, cap_effective.val);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline int wanted_path(const char *p)
{
	// Kernel-side prefix filter for read opens: only places the rules look at.
	if (p[0] != '/')
		return 0;
	if (p[1] == 'e' && p[2] == 't' && p[3] == 'c' && p[4] == '/')
		return 1; // /etc/
	if (p[1] == 'r' && p[2] == 'o' && p[3] == 'o' && p[4] == 't' && p[5] == '/')
		return 1; // /root/
	if (p[1] == 'h' && p[2] == 'o' && p[3] == 'm' && p[4] == 'e' && p[5] == '/')
		return 1; // /home/
	if (p[1] == 'v' && p[2] == 'a' && p[3] == 'r' && p[4] == '/' && p[5] == 'r' && p[6] == 'u' && p[7] == 'n' && p[8] == '/' && p[9] == 's')
		return 1; // /var/run/s(ecrets)
	if (p[1] == 'r' && p[2] == 'u' && p[3] == 'n' && p[4] == '/' && p[5] == 's')
		return 1; // /run/s(ecrets)
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self_tgid)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct event *e;
	switch (nr) {
	case NR_open:
	case NR_openat:
	case NR_openat2: {
		if (ret < 0)
			return 0;
		if (opens_containers_only && !in_container(t))
			return 0;
		const char *upath;
		__u32 flags;
		if (nr == NR_open) {
			upath = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
			flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
		} else if (nr == NR_openat) {
			upath = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
			flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		} else {
			upath = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
			struct open_how how = {};
			bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_CORE_SYSCALL(regs));
			flags = how.flags;
		}
		// O_WRONLY|O_RDWR|O_CREAT|O_TRUNC
		int write = (flags & (01 | 02 | 0100 | 01000)) != 0;
		char head[12] = {};
		bpf_probe_read_user_str(head, sizeof(head), upath);
		if (!write && !wanted_path(head))
			return 0;
		e = reserve(&opens, 1, K_OPEN);
		if (!e)
			return 0;
		e->flags = flags;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_connect:
	case NR_accept:
	case NR_accept4: {
		int is_connect = nr == NR_connect;
		if (!is_connect && ret < 0)
			return 0;
		e = reserve(&hi, 0, is_connect ? K_CONNECT : K_ACCEPT);
		if (!e)
			return 0;
		e->ret = ret;
		void *uaddr = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		if (uaddr) {
			struct sockaddr_in6 sa = {};
			bpf_probe_read_user(&sa, sizeof(sa), uaddr);
			e->family = sa.sin6_family;
			e->dport = bpf_ntohs(sa.sin6_port);
			if (sa.sin6_family == 2) {
				struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
				__builtin_memcpy(e->daddr, &s4->sin_addr, 4);
			} else if (sa.sin6_family == 10) {
				__builtin_memcpy(e->daddr, &sa.sin6_addr, 16);
			}
		}
		if (e->family != 2 && e->family != 10) {
			bpf_ringbuf_discard(e, 0); // unix sockets etc.
			return 0;
		}
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_setuid:
	case NR_setreuid:
	case NR_setresuid:
	case NR_setfsuid:
	case NR_capset: {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct cred_snap *s = bpf_map_lookup_elem(&pending, &tid);
		if (!s)
			return 0;
		struct cred_snap before = *s;
		bpf_map_delete_elem(&pending, &tid);
		if (ret < 0)
			return 0;
		__u32 euid = BPF_CORE_READ(t, cred, euid.val);
		__u64 cap = BPF_CORE_READ(t, cred, cap_effective.val);
		if (nr == NR_capset) {
			if ((cap & ~before.cap_eff) == 0)
				return 0;
			e = reserve(&hi, 0, K_CAPSET);
			if (!e)
				return 0;
			e->cap_gained = 1;
		} else {
			if (euid == before.euid)
				return 0;
			e = reserve(&hi, 0, K_SETUID);
			if (!e)
				return 0;
			e->prev_uid = before.euid;
		}
		e->ret = ret;
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_ptrace: {
		long req = PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (req != 16 && req != 0x4206)
			return 0; // only attach / seize
		e = reserve(&hi, 0, K_PTRACE);
		if (!e)
			return 0;
		e->flags = req;
		e->ret = ret;
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_mount: {
		e = reserve(&hi, 0, K_MOUNT);
		if (!e)
			return 0;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)PT_REGS_PARM2_CORE_SYSCALL(regs));
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_memfd_create: {
		if (ret < 0)
			return 0;
		e = reserve(&hi, 0, K_MEMFD);
		if (!e)
			return 0;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)PT_REGS_PARM1_CORE_SYSCALL(regs));
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	case NR_init_module:
	case NR_finit_module: {
		// Attempts count, failed or not.
		e = reserve(&hi, 0, K_INITMOD);
		if (!e)
			return 0;
		e->ret = ret;
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	}
	return 0;
}
