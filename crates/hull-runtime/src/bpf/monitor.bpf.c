// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// hull monitor eBPF programs: raw tracepoints only (no kprobes/fentry/LSM, no tracefs).
//
// - raw_tp/sched_process_exec|fork|exit: process lifecycle, argv read from the new mm.
// - raw_tp/sys_exit: one program for the syscalls hull watches, read at syscall exit
//   (arguments come from the saved user registers, the result from `ret`), filtered in
//   the kernel by syscall number first (the `sysmap` array, filled by user space from a
//   per-architecture table, so this file holds no syscall numbers), then by result,
//   open flags and path prefix (the `open_prefixes` LPM trie, derived by user space
//   from the loaded rules).
// - Exec records carry what user space would otherwise read from /proc: parent name,
//   executable ctime/mtime (drift), whether stdin/stdout is a socket.
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
	char pcomm[16];    // parent's comm
	__u64 exe_time_ns; // exec: max(ctime, mtime) of the executable, ns since the epoch
};

// exec `flags` bits
#define EXEC_STDIO_SOCKET 1
#define EXEC_TIME_VALID 2

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); // ~6500 records: seconds of exec/fork/exit bursts
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

// Opens decided against in the kernel: [0] read-only opens whose path matches no rule
// prefix, [1] opens of host processes (when only container opens are reported).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} filtered SEC(".maps");

// Syscall number -> what it is (enum sc); 0 = not watched. Filled by user space.
enum sc {
	SC_OPEN = 1,
	SC_OPENAT = 2,
	SC_OPENAT2 = 3,
	SC_CONNECT = 4,
	SC_ACCEPT = 5,
	SC_ACCEPT4 = 6,
	SC_PTRACE = 7,
	SC_SETUID = 8,
	SC_SETREUID = 9,
	SC_SETRESUID = 10,
	SC_SETFSUID = 11,
	SC_CAPSET = 12,
	SC_MOUNT = 13,
	SC_INIT_MODULE = 14,
	SC_FINIT_MODULE = 15,
	SC_MEMFD_CREATE = 16,
};
#define SYSMAP_LEN 1024
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSMAP_LEN);
	__type(key, __u32);
	__type(value, __u32);
} sysmap SEC(".maps");

// Read-only opens are reported when their path starts with one of these prefixes
// (longest-prefix-match trie over path bytes; a zero-length entry means every path).
// Paths are compared on their first PFX_LEN - 1 bytes.
#define PFX_LEN 64
struct pfx_key {
	__u32 prefixlen; // in bits
	__u8 data[PFX_LEN];
};
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct pfx_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} open_prefixes SEC(".maps");

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

static __always_inline void count_filtered(__u32 idx)
{
	// Per-CPU slot, and programs do not migrate mid-run: no atomic needed.
	__u64 *v = bpf_map_lookup_elem(&filtered, &idx);
	if (v)
		*v += 1;
}

static __always_inline __u32 syscall_kind(long nr)
{
	if (nr < 0 || nr >= SYSMAP_LEN)
		return 0;
	__u32 key = nr;
	__u32 *k = bpf_map_lookup_elem(&sysmap, &key);
	return k ? *k : 0;
}

// Wake the reader only when the unread data crosses WAKE_BYTES (it also reads every
// few milliseconds on its own): one wakeup per event costs more than handling the
// event, and a wakeup on every record while a slow reader is behind would cost the
// producing process far more (irq_work per record). The window (16 records) tolerates
// many CPUs reserving at once; a missed crossing only waits for the reader's timer.
#define WAKE_BYTES (64 * 1024)
#define REC_BYTES (sizeof(struct event) + 8)
// First event time per cgroup. During a cgroup's first second, its process events
// (not opens) wake the reader at once: a new container's first events are attributed
// while its runtime state still exists (runc writes state.json after init starts and
// removes it at exit), which the reader's 25 ms timer can miss for a short-lived
// container. A few wakeups per container start; none for long-running ones.
#define NEW_CGROUP_NS 1000000000ULL
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} cgroup_first_seen SEC(".maps");

static __always_inline void submit(struct event *e, void *rb)
{
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (avail >= WAKE_BYTES && avail < WAKE_BYTES + 16 * REC_BYTES)
		flags = BPF_RB_FORCE_WAKEUP;
	// Key and value from the stack: helpers do not take ring-buffer memory.
	__u64 cg = e->cgroup_id, ts = e->ts_ns;
	__u64 *first = bpf_map_lookup_elem(&cgroup_first_seen, &cg);
	if (!first) {
		bpf_map_update_elem(&cgroup_first_seen, &cg, &ts, BPF_ANY);
		flags = BPF_RB_FORCE_WAKEUP;
	} else if (e->kind != K_OPEN && ts - *first < NEW_CGROUP_NS) {
		flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
}

// Hot path (every open): direct BTF loads from the trusted current task instead of
// probe-read helper calls.
static __always_inline int current_in_container(void)
{
	if (host_pidns == 0)
		return 1;
	struct task_struct *t = bpf_get_current_task_btf();
	return t->nsproxy->pid_ns_for_children->ns.inum != host_pidns;
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
	e->exe_time_ns = 0;
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	BPF_CORE_READ_STR_INTO(&e->pcomm, parent, comm);
	return e;
}

// Inode times moved twice: `i_ctime` (timespec64) became `__i_ctime` in 6.6 and
// `i_ctime_sec`/`i_ctime_nsec` in 6.11 (mtime likewise in 6.7 and 6.11). CO-RE picks
// the layout the running kernel has.
struct inode___v611 {
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
	time64_t i_mtime_sec;
	u32 i_mtime_nsec;
} __attribute__((preserve_access_index));
struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));
struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

static __always_inline __u64 ts_ns(__s64 sec, __s64 nsec)
{
	return sec <= 0 ? 0 : (__u64)sec * 1000000000ULL + (__u64)nsec;
}

// max(ctime, mtime) of an inode in ns (0 when unknown).
static __always_inline __u64 inode_time_ns(struct inode *ino)
{
	if (!ino)
		return 0;
	__u64 c = 0, m = 0;
	if (bpf_core_field_exists(((struct inode___v611 *)0)->i_ctime_sec)) {
		struct inode___v611 *i = (void *)ino;
		c = ts_ns(BPF_CORE_READ(i, i_ctime_sec), BPF_CORE_READ(i, i_ctime_nsec));
		m = ts_ns(BPF_CORE_READ(i, i_mtime_sec), BPF_CORE_READ(i, i_mtime_nsec));
	} else if (bpf_core_field_exists(((struct inode___v66 *)0)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;
		c = ts_ns(BPF_CORE_READ(i, __i_ctime.tv_sec), BPF_CORE_READ(i, __i_ctime.tv_nsec));
		if (bpf_core_field_exists(i->__i_mtime))
			m = ts_ns(BPF_CORE_READ(i, __i_mtime.tv_sec), BPF_CORE_READ(i, __i_mtime.tv_nsec));
	} else {
		struct inode___old *i = (void *)ino;
		c = ts_ns(BPF_CORE_READ(i, i_ctime.tv_sec), BPF_CORE_READ(i, i_ctime.tv_nsec));
		if (bpf_core_field_exists(i->i_mtime))
			m = ts_ns(BPF_CORE_READ(i, i_mtime.tv_sec), BPF_CORE_READ(i, i_mtime.tv_nsec));
	}
	return c > m ? c : m;
}

#define S_IFMT 0170000
#define S_IFSOCK 0140000

// Is fd 0 or 1 of `p` a socket (a reverse shell's stdio)?
static __always_inline int stdio_is_socket(struct task_struct *p)
{
	struct fdtable *fdt = BPF_CORE_READ(p, files, fdt);
	if (!fdt)
		return 0;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	for (int i = 0; i < 2; i++) {
		if ((unsigned int)i >= max)
			break;
		struct file *f = 0;
		if (bpf_probe_read_kernel(&f, sizeof(f), &fds[i]) || !f)
			continue;
		umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
		if ((mode & S_IFMT) == S_IFSOCK)
			return 1;
	}
	return 0;
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
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);
	__u64 tm = inode_time_ns(ino);
	if (tm) {
		e->exe_time_ns = tm;
		e->flags |= EXEC_TIME_VALID;
	}
	if (stdio_is_socket(p))
		e->flags |= EXEC_STDIO_SOCKET;
	submit(e, &hi);
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
	// The child's parent is current: its name is the child's parent name too.
	__builtin_memcpy(e->pcomm, e->comm, sizeof(e->pcomm));
	submit(e, &hi);
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
		submit(e, &hi);
	return 0;
}

static __always_inline int is_cred_call(__u32 sc)
{
	return sc == SC_SETUID || sc == SC_SETREUID || sc == SC_SETRESUID || sc == SC_SETFSUID ||
	       sc == SC_CAPSET;
}

// Snapshot credentials before setuid-family and capset calls, to report the change.
// sys_enter/sys_exit run on every syscall of the machine: they are BTF-typed raw
// tracepoints (tp_btf), so register and task fields are read with plain loads.
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long nr)
{
	if (learn && nr >= 0 && nr < 512) {
		if (current_in_container()) {
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
	if (!is_cred_call(syscall_kind(nr)))
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct cred_snap s = {};
	s.euid = BPF_CORE_READ(t, cred, euid.val);
	s.cap_eff = BPF_CORE_READ(t, cred, cap_effective.val);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &tid, &s, BPF_ANY);
	return 0;
}

// Should a read-only open of `upath` be reported? Looks the path up in the prefix trie.
static __always_inline int wanted_read(const char *upath)
{
	struct pfx_key k = {};
	long n = bpf_probe_read_user_str(k.data, sizeof(k.data), upath);
	if (n <= 0)
		return 0;
	// n counts the NUL; a longer path was cut to PFX_LEN - 1 bytes.
	k.prefixlen = (__u32)(n - 1) * 8;
	return bpf_map_lookup_elem(&open_prefixes, &k) != 0;
}

static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
	return regs->orig_ax;
#endif
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 sc = syscall_kind(syscall_nr(regs));
	if (!sc)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self_tgid)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct event *e;
	switch (sc) {
	case SC_OPEN:
	case SC_OPENAT:
	case SC_OPENAT2: {
		if (ret < 0)
			return 0;
		if (opens_containers_only && !current_in_container()) {
			count_filtered(1);
			return 0;
		}
		const char *upath;
		__u32 flags;
		if (sc == SC_OPEN) {
			upath = (const char *)PT_REGS_PARM1_SYSCALL(regs);
			flags = PT_REGS_PARM2_SYSCALL(regs);
		} else if (sc == SC_OPENAT) {
			upath = (const char *)PT_REGS_PARM2_SYSCALL(regs);
			flags = PT_REGS_PARM3_SYSCALL(regs);
		} else {
			upath = (const char *)PT_REGS_PARM2_SYSCALL(regs);
			struct open_how how = {};
			bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_SYSCALL(regs));
			flags = how.flags;
		}
		// O_WRONLY|O_RDWR|O_CREAT|O_TRUNC
		int write = (flags & (01 | 02 | 0100 | 01000)) != 0;
		if (!write && !wanted_read(upath)) {
			count_filtered(0);
			return 0;
		}
		e = reserve(&opens, 1, K_OPEN);
		if (!e)
			return 0;
		e->flags = flags;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
		submit(e, &opens);
		return 0;
	}
	case SC_CONNECT:
	case SC_ACCEPT:
	case SC_ACCEPT4: {
		int is_connect = sc == SC_CONNECT;
		if (!is_connect && ret < 0)
			return 0;
		e = reserve(&hi, 0, is_connect ? K_CONNECT : K_ACCEPT);
		if (!e)
			return 0;
		e->ret = ret;
		void *uaddr = (void *)PT_REGS_PARM2_SYSCALL(regs);
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
		submit(e, &hi);
		return 0;
	}
	case SC_SETUID:
	case SC_SETREUID:
	case SC_SETRESUID:
	case SC_SETFSUID:
	case SC_CAPSET: {
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
		if (sc == SC_CAPSET) {
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
		submit(e, &hi);
		return 0;
	}
	case SC_PTRACE: {
		long req = PT_REGS_PARM1_SYSCALL(regs);
		if (req != 16 && req != 0x4206)
			return 0; // only attach / seize
		e = reserve(&hi, 0, K_PTRACE);
		if (!e)
			return 0;
		e->flags = req;
		e->ret = ret;
		submit(e, &hi);
		return 0;
	}
	case SC_MOUNT: {
		e = reserve(&hi, 0, K_MOUNT);
		if (!e)
			return 0;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)PT_REGS_PARM2_SYSCALL(regs));
		submit(e, &hi);
		return 0;
	}
	case SC_MEMFD_CREATE: {
		if (ret < 0)
			return 0;
		e = reserve(&hi, 0, K_MEMFD);
		if (!e)
			return 0;
		e->ret = ret;
		bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)PT_REGS_PARM1_SYSCALL(regs));
		submit(e, &hi);
		return 0;
	}
	case SC_INIT_MODULE:
	case SC_FINIT_MODULE: {
		// Attempts count, failed or not.
		e = reserve(&hi, 0, K_INITMOD);
		if (!e)
			return 0;
		e->ret = ret;
		submit(e, &hi);
		return 0;
	}
	}
	return 0;
}
