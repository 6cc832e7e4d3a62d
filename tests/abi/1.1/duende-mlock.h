/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The public header of release 1.1.0, kept as it was released: programs
 * compiled against it must keep working with every later 1.x library
 * (tests/unit/test-abi-compat.c). Never edit it. */
/*
 * duende-mlock: keep swap-critical daemons out of swap.
 *
 * A daemon that serves a swap device deadlocks when the kernel swaps the
 * daemon's own pages out to it (DT-007). This library locks the daemon's
 * memory with mlockall(2), explains precisely why locking failed, hardens
 * the daemon beyond the lock and reports the lock state of any process.
 *
 * Conventions:
 *  - Every function that can fail returns 0 or a negative errno value.
 *  - Nothing is printed and nothing exits. The library itself never calls
 *    malloc; only libc calls it makes in hardening may (glibc's
 *    pthread_getattr_np reads /proc/self/maps for the main thread).
 *  - THREAD SAFETY: every function may be called from many threads at once;
 *    the library keeps no mutable global state.
 *  - The queries duende_mlock_is_locked(), duende_mlock_locked_bytes() and
 *    duende_mlock_read_locked_bytes() are async-signal-safe and safe in the
 *    child of a multi-threaded fork(): they use one open/read/close of
 *    /proc/self/status into a stack buffer and preserve errno.
 */
#ifndef DUENDE_MLOCK_H
#define DUENDE_MLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DUENDE_MLOCK_VERSION_MAJOR, _MINOR, _PATCH and _STRING, generated from
 * the build's one version number. */
#include <duende-mlock-version.h>

/* Compare with DUENDE_MLOCK_VERSION_NUMBER >= DUENDE_MLOCK_VERSION_AT(1, 0, 0). */
#define DUENDE_MLOCK_VERSION_AT(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
#define DUENDE_MLOCK_VERSION_NUMBER                                      \
	DUENDE_MLOCK_VERSION_AT(DUENDE_MLOCK_VERSION_MAJOR,              \
				DUENDE_MLOCK_VERSION_MINOR,              \
				DUENDE_MLOCK_VERSION_PATCH)

#if defined(__GNUC__) || defined(__clang__)
#define DUENDE_MLOCK_WUR __attribute__((warn_unused_result))
#else
#define DUENDE_MLOCK_WUR
#endif

/* A byte count that has no limit (RLIMIT_MEMLOCK infinity, CAP_IPC_LOCK). */
#define DUENDE_MLOCK_UNLIMITED UINT64_MAX

/* Headroom below which a locked daemon's later allocations are at risk
 * (MCL_FUTURE: mappings beyond the limit fail); the survey warns below it
 * and status exports it for alerting (since 1.1). */
#define DUENDE_MLOCK_LOW_HEADROOM ((uint64_t)64 << 20)

/* Version of the library actually loaded, e.g. "1.0.0". */
const char *duende_mlock_version(void);

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

struct duende_mlock_config {
	/* Lock the pages mapped now (MCL_CURRENT). */
	bool current;
	/* Lock every page mapped from now on (MCL_FUTURE). */
	bool future;
	/* true: a failed lock is an error (negative errno returned).
	 * false: a failed lock is reported as status "failed (errno=N)" and
	 * the call returns 0, so the daemon can go on with a warning. */
	bool required;
	/* Lock pages only when they are first touched (MCL_ONFAULT, Linux
	 * 4.4+). Needs current or future. On an older kernel the library falls
	 * back to a full lock and sets DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE. */
	bool onfault;
	/* Lean mode: lock what the daemon uses, not what it merely reserves.
	 * Current pages are populated and locked; future mappings are locked
	 * as they are touched (lock-on-fault); threads created afterwards get
	 * lean_stack_size stacks by default; glibc malloc uses one arena.
	 * See duende_mlock_lock_with_config(3) for what it trades. */
	bool lean;
	/* Required mode only: refuse (-ENOMEM, DUENDE_MLOCK_F_HEADROOM_SHORT)
	 * when, after locking, less than this many bytes could still be
	 * locked under RLIMIT_MEMLOCK. 0 disables the check. */
	uint64_t min_headroom;
	/* Lean mode: default stack size of threads created afterwards,
	 * 0 for DUENDE_MLOCK_LEAN_STACK_DEFAULT; at least 16 KiB and at most
	 * DUENDE_MLOCK_LEAN_STACK_MAX (since 1.1), else the configuration is
	 * refused (DUENDE_MLOCK_F_BAD_CONFIG). */
	size_t lean_stack_size;
	/* Room to grow without breaking the ABI; must be zero. */
	uint64_t reserved[4];
};

#define DUENDE_MLOCK_LEAN_STACK_DEFAULT ((size_t)256 * 1024)
/* The largest lean stack (since 1.1): eight times glibc's default. Under
 * MCL_FUTURE every byte of a thread's stack counts against RLIMIT_MEMLOCK,
 * and a huge default makes every pthread_create fail. */
#define DUENDE_MLOCK_LEAN_STACK_MAX ((size_t)64 << 20)

/* The defaults of the original crate: current, future, required. */
#define DUENDE_MLOCK_CONFIG_INIT                                          \
	{ .current = true, .future = true, .required = true, .onfault = false, \
	  .lean = false, .min_headroom = 0, .lean_stack_size = 0,          \
	  .reserved = { 0, 0, 0, 0 } }

/* ------------------------------------------------------------------ */
/* Status                                                             */
/* ------------------------------------------------------------------ */

enum duende_mlock_state {
	DUENDE_MLOCK_STATE_NONE = 0,        /* not filled in */
	DUENDE_MLOCK_STATE_LOCKED = 1,      /* locked; see bytes_locked */
	DUENDE_MLOCK_STATE_FAILED = 2,      /* failed; see failure_errno */
	DUENDE_MLOCK_STATE_UNSUPPORTED = 3, /* no mlockall on this platform */
};

/* Bits of duende_mlock_status.flags */
#define DUENDE_MLOCK_F_CURRENT (1u << 0)  /* MCL_CURRENT was applied */
#define DUENDE_MLOCK_F_FUTURE (1u << 1)   /* MCL_FUTURE was applied */
#define DUENDE_MLOCK_F_ONFAULT (1u << 2)  /* MCL_ONFAULT was applied */
/* onfault was asked for, the kernel lacks MCL_ONFAULT: fully locked. */
#define DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE (1u << 3)
/* The process held CAP_IPC_LOCK (RLIMIT_MEMLOCK does not bind it). */
#define DUENDE_MLOCK_F_CAP_IPC_LOCK (1u << 4)
/* /proc/self/status could not be read: bytes_locked, mapped_bytes and
 * headroom_bytes are unknown, not zero. */
#define DUENDE_MLOCK_F_USAGE_UNKNOWN (1u << 5)
/* Refused: headroom below config.min_headroom (failure_errno ENOMEM). */
#define DUENDE_MLOCK_F_HEADROOM_SHORT (1u << 6)
/* Refused: the configuration itself is invalid (failure_errno EINVAL). */
#define DUENDE_MLOCK_F_BAD_CONFIG (1u << 7)
/* Lean mode settings were applied. */
#define DUENDE_MLOCK_F_LEAN (1u << 8)
/* The process held CAP_SYS_RESOURCE, so it could raise its own hard
 * RLIMIT_MEMLOCK (since 1.1). */
#define DUENDE_MLOCK_F_CAP_SYS_RESOURCE (1u << 9)
/* Set on failures: the library ran inside duende-mlock exec's preload
 * shim, so the program was started by exec, which refuses file
 * capabilities: setcap is no remedy for it (since 1.1). */
#define DUENDE_MLOCK_F_PRELOADED (1u << 10)

struct duende_mlock_status {
	enum duende_mlock_state state;
	/* Positive errno when state is FAILED, else 0. */
	int failure_errno;
	/* VmLck right after locking (state LOCKED), else 0. */
	size_t bytes_locked;
	/* DUENDE_MLOCK_F_* bits. */
	uint32_t flags;
	/* RLIMIT_MEMLOCK when the call decided; DUENDE_MLOCK_UNLIMITED for
	 * infinity. */
	uint64_t memlock_soft;
	uint64_t memlock_hard;
	/* VmSize: what the kernel compares with RLIMIT_MEMLOCK for
	 * MCL_CURRENT (PROT_NONE reservations included). */
	uint64_t mapped_bytes;
	/* VmLck when the call decided (after locking on success). */
	uint64_t locked_vm_bytes;
	/* How many more bytes may be locked (new mappings under MCL_FUTURE
	 * fail beyond it); DUENDE_MLOCK_UNLIMITED with CAP_IPC_LOCK or an
	 * infinite limit. */
	uint64_t headroom_bytes;
	/* The min_headroom that was asked for. */
	uint64_t min_headroom;
	uint64_t reserved[4];
};

/* ------------------------------------------------------------------ */
/* Locking                                                            */
/* ------------------------------------------------------------------ */

/* Lock current and future pages, required (DUENDE_MLOCK_CONFIG_INIT).
 * status may be NULL. Returns 0 or a negative errno. */
DUENDE_MLOCK_WUR int duende_mlock_lock_all(struct duende_mlock_status *status);

/* Lock as configured (config NULL means DUENDE_MLOCK_CONFIG_INIT).
 * status may be NULL; when given it is filled on success and on failure,
 * so duende_mlock_explain() can say why. current = future = false locks
 * nothing, makes no system call and reports "locked (0 bytes)". */
DUENDE_MLOCK_WUR int
duende_mlock_lock_with_config(const struct duende_mlock_config *config,
			      struct duende_mlock_status *status);

/* In the child of a locked process, right after fork(): lock it again as
 * config says (memory locks are not inherited across fork). The pages it
 * shares with its parent are locked as they are, on fault, so none is
 * copied; later mappings are locked as config says. Async-signal-safe and
 * safe in the child of a multi-threaded fork (no malloc, no stdio), so it
 * may be called from a pthread_atfork() child handler. Returns as
 * duende_mlock_lock_with_config() (since 1.1). */
DUENDE_MLOCK_WUR int
duende_mlock_lock_after_fork(const struct duende_mlock_config *config,
			     struct duende_mlock_status *status);

/* munlockall(2): unlock every page and stop locking future ones. */
DUENDE_MLOCK_WUR int duende_mlock_unlock_all(void);

/* ------------------------------------------------------------------ */
/* Queries (async-signal-safe, fork-safe, no malloc)                  */
/* ------------------------------------------------------------------ */

/* true when VmLck of this process is above 0. false when nothing is
 * locked AND when /proc/self/status cannot be read; use
 * duende_mlock_read_locked_bytes() to tell the two apart. */
bool duende_mlock_is_locked(void);

/* VmLck of this process in bytes; 0 also when unknown (see above). */
size_t duende_mlock_locked_bytes(void);

/* VmLck of this process in bytes. Returns 0, or a negative errno when the
 * figure is unknown (-ENOENT no /proc, -EACCES, -EPROTO no VmLck field...),
 * in which case *bytes is left untouched. */
DUENDE_MLOCK_WUR int duende_mlock_read_locked_bytes(size_t *bytes);

/* ------------------------------------------------------------------ */
/* Status accessors and text                                          */
/* ------------------------------------------------------------------ */

bool duende_mlock_status_is_locked(const struct duende_mlock_status *status);
bool duende_mlock_status_is_failed(const struct duende_mlock_status *status);
bool duende_mlock_status_is_unsupported(const struct duende_mlock_status *status);
/* bytes_locked when locked, else 0. */
size_t duende_mlock_status_bytes_locked(const struct duende_mlock_status *status);
/* failure_errno when failed, else 0. */
int duende_mlock_status_failure_errno(const struct duende_mlock_status *status);

/* "locked (512 bytes)", "locked (4 KB)", "locked (10 MB)",
 * "locked (size unknown)", "failed (errno=12)", "unsupported platform".
 * snprintf semantics: returns the length of the whole text (excluding the
 * NUL), writes at most len bytes, NUL-terminated when len > 0; -EINVAL for
 * a NULL or unfilled status. */
int duende_mlock_status_format(const struct duende_mlock_status *status,
			       char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

/* The message for a negative errno returned by this library, with its
 * remediation. Never NULL; static storage. */
const char *duende_mlock_strerror(int err);
/* err (negative) means: not allowed to lock at all (-EPERM). */
bool duende_mlock_is_permission_error(int err);
/* err (negative) means: RLIMIT_MEMLOCK or memory too small (-ENOMEM). */
bool duende_mlock_is_resource_limit(int err);

/* Why the call that filled status failed, in sentences, with the numbers
 * taken at failure time and the fix for each cause (capability, limit,
 * systemd, docker, Kubernetes). For a locked status, a summary with the
 * remaining headroom. snprintf semantics as duende_mlock_status_format(). */
int duende_mlock_explain(const struct duende_mlock_status *status, char *buf,
			 size_t len);


/* ------------------------------------------------------------------ */
/* Hardening: what a swap-serving daemon calls once at start          */
/* ------------------------------------------------------------------ */

/* The steps of duende_mlock_harden(), in the order they run. */
enum duende_mlock_step {
	DUENDE_MLOCK_STEP_RAISE_MEMLOCK = 0, /* soft RLIMIT_MEMLOCK -> hard */
	DUENDE_MLOCK_STEP_IO_FLUSHER,        /* prctl(PR_SET_IO_FLUSHER) */
	DUENDE_MLOCK_STEP_OOM_SCORE_ADJ,     /* /proc/self/oom_score_adj */
	DUENDE_MLOCK_STEP_MALLOC,            /* keep freed memory in the heap */
	DUENDE_MLOCK_STEP_LOCK,              /* duende_mlock_lock_with_config */
	DUENDE_MLOCK_STEP_PREFAULT_STACK,    /* touch the stack it will use */
	DUENDE_MLOCK_STEP_COUNT
};

struct duende_mlock_harden_config {
	/* Raise the soft RLIMIT_MEMLOCK to the hard limit before locking
	 * (only where CAP_IPC_LOCK is missing; no privilege needed). */
	bool raise_memlock;
	/* PR_SET_IO_FLUSHER (Linux 5.6+, needs CAP_SYS_RESOURCE): the
	 * daemon's allocations never wait on I/O, so reclaim cannot wait on
	 * writeback to the daemon's own device. Inherited across fork and
	 * execve. */
	bool io_flusher;
	/* Write oom_score_adj (-1000..1000): a killed swap daemon takes
	 * every page swapped to it with it. Inherited across fork/execve. */
	bool set_oom_score_adj;
	int oom_score_adj;
	/* glibc: freed memory stays in the heap (no trim, no per-allocation
	 * mmap) so it is not faulted in again on the I/O path. */
	bool malloc_keep;
	/* Lock as lock_config says. */
	bool lock;
	struct duende_mlock_config lock_config;
	/* Touch this many bytes of the calling thread's stack after locking,
	 * so that deep calls on the I/O path do not fault. 0: skip. */
	size_t prefault_stack;
	uint64_t reserved[4];
};

/* Raise memlock, IO_FLUSHER, oom_score_adj -900, keep malloc memory,
 * lock current and future pages (required), prefault 256 KiB of stack. */
#define DUENDE_MLOCK_HARDEN_CONFIG_INIT                                     \
	{ .raise_memlock = true, .io_flusher = true, .set_oom_score_adj = true, \
	  .oom_score_adj = -900, .malloc_keep = true, .lock = true,          \
	  .lock_config = DUENDE_MLOCK_CONFIG_INIT,                            \
	  .prefault_stack = 256 * 1024, .reserved = { 0, 0, 0, 0 } }

struct duende_mlock_step_result {
	bool requested; /* the config asked for this step */
	int rc;         /* 0 done, or a negative errno */
	/* What the step left in place: the soft limit after raising
	 * (DUENDE_MLOCK_UNLIMITED for infinity), the oom_score_adj, the
	 * prefaulted bytes; 0 otherwise. */
	uint64_t value;
};

struct duende_mlock_harden_result {
	struct duende_mlock_step_result steps[DUENDE_MLOCK_STEP_COUNT];
	struct duende_mlock_status lock_status; /* filled when the lock ran */
	uint64_t reserved[4];
};

/* Runs each requested step and records each outcome separately; a failed
 * step does not stop the others. Returns 0 when every requested step
 * succeeded (the lock step counts as succeeded in best-effort mode, see
 * lock_status), else the rc of the first failed step. -EINVAL for a NULL
 * or invalid config (then no step runs). Nothing is printed. */
DUENDE_MLOCK_WUR int
duende_mlock_harden(const struct duende_mlock_harden_config *config,
		    struct duende_mlock_harden_result *result);

/* The steps on their own; each returns 0 or a negative errno. */
/* Raises the soft RLIMIT_MEMLOCK to the hard limit; *soft_after (may be
 * NULL) receives the soft limit in force afterwards. */
DUENDE_MLOCK_WUR int duende_mlock_raise_memlock(uint64_t *soft_after);
/* Sets the soft and the hard RLIMIT_MEMLOCK to bytes
 * (DUENDE_MLOCK_UNLIMITED: infinity), so that a daemon that later drops
 * privileges, and with them CAP_IPC_LOCK, can still lock. Raising the hard
 * limit needs CAP_SYS_RESOURCE: -EPERM without it. Inherited across fork
 * and execve (since 1.1). */
DUENDE_MLOCK_WUR int duende_mlock_set_memlock_limit(uint64_t bytes);
/* -EPERM without CAP_SYS_RESOURCE, -EINVAL before Linux 5.6. */
DUENDE_MLOCK_WUR int duende_mlock_set_io_flusher(void);
/* -EINVAL outside -1000..1000; -EACCES when lowering needs
 * CAP_SYS_RESOURCE. */
DUENDE_MLOCK_WUR int duende_mlock_set_oom_score_adj(int adj);
/* -ENOTSUP where the libc has no such settings (musl: its allocator
 * already returns little to the kernel, see the man page). */
DUENDE_MLOCK_WUR int duende_mlock_malloc_keep(void);
/* Touches bytes of the calling thread's stack below the caller. */
DUENDE_MLOCK_WUR int duende_mlock_prefault_stack(size_t bytes);

/* "raise-memlock", "io-flusher", ... ; "unknown" out of range. */
const char *duende_mlock_step_name(enum duende_mlock_step step);
/* One line on a step's outcome with the remedy, e.g. for IO_FLUSHER and
 * -EPERM: that CAP_SYS_RESOURCE is missing and how to grant it.
 * snprintf semantics. */
int duende_mlock_step_explain(enum duende_mlock_step step,
			      const struct duende_mlock_step_result *res,
			      char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Lock report of a process                                           */
/* ------------------------------------------------------------------ */

/* Which sources a report could read. */
#define DUENDE_MLOCK_R_STATUS (1u << 0) /* /proc/PID/status */
#define DUENDE_MLOCK_R_SMAPS (1u << 1)  /* /proc/PID/smaps (ptrace access) */
#define DUENDE_MLOCK_R_LIMITS (1u << 2) /* /proc/PID/limits */
#define DUENDE_MLOCK_R_STAT (1u << 3)   /* /proc/PID/stat (since 1.1) */
#define DUENDE_MLOCK_R_TASKS (1u << 4)  /* /proc/PID/task/TID/stat (since 1.1) */
#define DUENDE_MLOCK_R_OOM (1u << 5)    /* /proc/PID/oom_score_adj (since 1.1) */

/* The library's verdicts on a process (duende_mlock_report.verdicts,
 * since 1.1). */
/* Locked as mlockall locks: VmLck above 0 and, where smaps could be read,
 * no accessible mapping left unlocked. */
#define DUENDE_MLOCK_V_LOCKED (1u << 0)
/* Every thread has PR_SET_IO_FLUSHER (the flag is per thread). */
#define DUENDE_MLOCK_V_IO_FLUSHER (1u << 1)
/* No user memory: a kernel thread, or a zombie whose memory is gone.
 * Locking does not apply to it. */
#define DUENDE_MLOCK_V_NO_USER_MEMORY (1u << 2)
/* Its smaps made no progress for DUENDE_MLOCK_REPORT_STALL_MS: something
 * holds its memory map lock, typically a thread stuck on I/O (on its own
 * swap: DT-007). smaps_error is -ETIMEDOUT; the other figures stand. */
#define DUENDE_MLOCK_V_NOT_RESPONDING (1u << 3)
/* It runs in a user namespace other than the initial one: its
 * capabilities (cap_effective) do not lift RLIMIT_MEMLOCK nor raise hard
 * limits there, so cap_ipc_lock is false whatever CapEff says. */
#define DUENDE_MLOCK_V_USER_NAMESPACE (1u << 4)

/* How long a read of smaps may make no progress before the process is
 * reported as not responding (since 1.1). */
#define DUENDE_MLOCK_REPORT_STALL_MS 2000

/* Task flags of /proc/PID/stat that PR_SET_IO_FLUSHER sets (both). */
#define DUENDE_MLOCK_PF_MEMALLOC_NOIO 0x00080000u
#define DUENDE_MLOCK_PF_LOCAL_THROTTLE 0x00100000u
/* A kernel thread: it has no user memory to lock. */
#define DUENDE_MLOCK_PF_KTHREAD 0x00200000u

struct duende_mlock_report {
	pid_t pid;
	uint32_t known;  /* DUENDE_MLOCK_R_* read; other fields are 0 */
	int smaps_error; /* negative errno when smaps could not be read */
	/* The command name as the kernel holds it (/proc/PID/comm since 1.1):
	 * raw bytes, NUL-terminated, possibly not UTF-8 and possibly holding
	 * control characters; escape it before printing
	 * (duende_mlock_escape()). */
	char name[64];
	char state;      /* R, S, D, ... */
	uint32_t uid;
	bool cap_ipc_lock;
	/* status: bytes */
	uint64_t vm_size, vm_rss, vm_swap, vm_lck;
	/* smaps: resident bytes that sit in locked mappings (VmLck counts
	 * whole locked mappings, so under lock-on-fault it overstates what
	 * is pinned; this does not), and what is left out and why. */
	uint64_t locked_resident, locked_swapped, locked_size;
	uint64_t unlocked_resident, unlocked_size;
	uint64_t inaccessible_size;
	/* lockonfault_mappings: from VmFlags "lf", which Linux shows since
	 * 6.2; before, lock-on-fault mappings count as locked only. */
	uint32_t mappings, locked_mappings, lockonfault_mappings;
	uint32_t unlocked_inaccessible; /* PROT_NONE: not lockable */
	uint32_t unlocked_special;      /* vdso, vvar, I/O maps: never locked */
	uint32_t unlocked_other;        /* accessible but not locked */
	/* limits */
	uint64_t memlock_soft, memlock_hard; /* DUENDE_MLOCK_UNLIMITED */
	/* RLIMIT_MEMLOCK less VmLck: what may still be locked;
	 * DUENDE_MLOCK_UNLIMITED with CAP_IPC_LOCK or no limit. */
	uint64_t headroom;
	/* Since 1.1. status: the capability sets (CapEff, CapBnd). */
	uint64_t cap_effective, cap_bounding;
	/* Since 1.1. stat (DUENDE_MLOCK_R_STAT): the main thread's task
	 * flags (DUENDE_MLOCK_PF_*) and the process's major page faults. */
	uint64_t task_flags;
	uint64_t major_faults;
	/* Since 1.1, from /proc/PID/task (DUENDE_MLOCK_R_TASKS): its threads,
	 * how many have PR_SET_IO_FLUSHER, how many are in uninterruptible
	 * sleep (state D). */
	uint32_t threads, threads_io_flusher, threads_blocked;
	/* Since 1.1 (DUENDE_MLOCK_R_OOM): /proc/PID/oom_score_adj. */
	int32_t oom_score_adj;
	/* Since 1.1: DUENDE_MLOCK_V_* */
	uint32_t verdicts;
	uint32_t reserved32; /* must be zero */
	uint64_t reserved[1];
};

/* Reads /proc/PID (0: this process) into *report: -ESRCH when there is no
 * such process or it exited during the read, -EACCES when even its
 * status is not readable. A readable status with an unreadable smaps
 * (another user's process) returns 0 with DUENDE_MLOCK_R_SMAPS unset and
 * smaps_error set. Nothing that needs the process's memory is read
 * (no cmdline, no environ); smaps, which takes its memory map lock, is
 * read in a short-lived child process that is given up after
 * DUENDE_MLOCK_REPORT_STALL_MS without progress (-ETIMEDOUT,
 * DUENDE_MLOCK_V_NOT_RESPONDING). No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_report_pid(pid_t pid, struct duende_mlock_report *report);

/* Since 1.1. The PIDs of every process that holds locked memory (VmLck
 * above 0), into pids[0..cap). Returns how many there are, which may be
 * more than cap (call again with room for that many), or a negative
 * errno. One read of each process's status; no malloc. */
DUENDE_MLOCK_WUR int duende_mlock_locked_pids(pid_t *pids, size_t cap);

/* Since 1.1. The PIDs of the processes that spec names, into
 * pids[0..cap); returns how many there are (0: none runs), or -EINVAL for
 * a spec that is not one of:
 *   name:COMM      every process whose command name is COMM
 *   pidfile:PATH   the process whose PID the file holds, if it runs
 *   unit:UNIT      every process of systemd unit UNIT (by its cgroup)
 *   cgroup:PATH    every process of cgroup PATH (as /proc/PID/cgroup
 *                  names it, in any hierarchy)
 * Kernel threads are never named. No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_find_pids(const char *spec, pid_t *pids, size_t cap);

/* ------------------------------------------------------------------ */
/* Units (since 1.1)                                                   */
/* ------------------------------------------------------------------ */

/* The unit every text of this library uses: binary prefixes, one decimal
 * where the value is not round: "8 MiB", "1.5 GiB", "1000 bytes", and
 * "unlimited" for DUENDE_MLOCK_UNLIMITED. snprintf semantics.
 * (duende_mlock_status_format() keeps the original crate's "10 MB".) */
int duende_mlock_format_bytes(uint64_t bytes, char *buf, size_t len);

/* Since 1.1. n bytes as printable ASCII, the way ps(1) and systemctl(1)
 * show names: C escapes for backslash and control characters ("\\",
 * "\t", "\n", "\e"...), "\xNN" for every other byte outside printable
 * ASCII, so that no byte of a name reaches a terminal as is and every
 * character is one column wide. Every text of this library escapes the
 * names it quotes this way. snprintf semantics. */
int duende_mlock_escape(const char *bytes, size_t n, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Swap areas and the processes that serve them (since 1.1)           */
/* ------------------------------------------------------------------ */

#define DUENDE_MLOCK_SWAPS_MAX 32
#define DUENDE_MLOCK_SWAP_SERVERS 8

struct duende_mlock_swap {
	char path[256];     /* as /proc/swaps names it, octal escapes decoded */
	char kind[16];      /* "loop", "nbd", "ublk", "zram", "file", "partition" */
	char backing[256];  /* loop: the backing file */
	char backing_fstype[32];
	bool user_space;    /* served by a user-space process */
	uint64_t size, used; /* bytes */
	int64_t priority;
	/* The processes that serve it: for a loop device over a file on a
	 * FUSE mount, those holding that mount's /dev/fuse connection; for
	 * NBD, the processes at the far end of the kernel's connections (the
	 * client of /sys/block/nbdN/pid when the server is on another host);
	 * for ublk, those holding /dev/ublkcN. */
	uint32_t nservers;
	pid_t servers[DUENDE_MLOCK_SWAP_SERVERS];
};

struct duende_mlock_swaps {
	int error;          /* negative errno when /proc/swaps was unreadable */
	uint32_t count;
	struct duende_mlock_swap area[DUENDE_MLOCK_SWAPS_MAX];
};

/* Reads the active swap areas, what backs each and, for those served
 * from user space, which processes serve them. Never touches a path a
 * FUSE daemon serves (a hung daemon would hang the reader). Returns 0 or
 * the negative errno also left in swaps->error. No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_read_swaps(struct duende_mlock_swaps *swaps);

/* The index of the first swap area at or after from that pid serves, or
 * -ENOENT. */
int duende_mlock_swap_served_by(const struct duende_mlock_swaps *swaps, pid_t pid,
				uint32_t from);

/* ------------------------------------------------------------------ */
/* Survey: can a process lock, and what on this host endangers a      */
/* daemon that serves swap (since 1.1)                                 */
/* ------------------------------------------------------------------ */

enum duende_mlock_severity {
	DUENDE_MLOCK_SEVERITY_OK = 0,
	DUENDE_MLOCK_SEVERITY_WARNING = 1,
	DUENDE_MLOCK_SEVERITY_CANNOT_LOCK = 2,
	/* No user memory (kernel thread, zombie): locking does not apply. */
	DUENDE_MLOCK_SEVERITY_NOT_APPLICABLE = 3,
};

/* What a survey found; duende_mlock_finding_explain() words each. */
enum duende_mlock_finding_code {
	DUENDE_MLOCK_FOUND_CAP_IPC_LOCK = 1,     /* the limit does not bind */
	DUENDE_MLOCK_FOUND_LIMITS_UNREADABLE,
	DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED,
	DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW,     /* hard limit would do */
	DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW,      /* cannot lock */
	DUENDE_MLOCK_FOUND_MEMLOCK_COVERS,       /* with its headroom */
	DUENDE_MLOCK_FOUND_CAPS_UNREADABLE,
	DUENDE_MLOCK_FOUND_NO_IPC_LOCK_BOUND,    /* not in the bounding set */
	DUENDE_MLOCK_FOUND_NO_SYS_RESOURCE,
	DUENDE_MLOCK_FOUND_KERNEL_NO_ONFAULT,
	DUENDE_MLOCK_FOUND_KERNEL_NO_IO_FLUSHER,
	DUENDE_MLOCK_FOUND_TASK,                 /* IO_FLUSHER, major faults */
	DUENDE_MLOCK_FOUND_NO_CGROUP,
	DUENDE_MLOCK_FOUND_CGROUP,
	DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED,     /* the DT-007 hazard */
	DUENDE_MLOCK_FOUND_SWAPS_UNREADABLE,
	DUENDE_MLOCK_FOUND_NO_SWAP,
	DUENDE_MLOCK_FOUND_SWAP,                 /* finding.swap names it */
	DUENDE_MLOCK_FOUND_SWAP_USER_SPACE,      /* served by a daemon */
	DUENDE_MLOCK_FOUND_NO_USER_MEMORY,       /* kernel thread or zombie */
	DUENDE_MLOCK_FOUND_SERVES_SWAP,          /* the process serves finding.swap */
	DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP,       /* memory.swap.max lets it swap */
	DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED, /* memory.min and memory.low 0 */
	DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED,  /* no swap, a protected minimum */
	DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED,     /* the hazard, seen on v2 too */
};

struct duende_mlock_finding {
	enum duende_mlock_finding_code code;
	enum duende_mlock_severity severity;
	uint32_t swap; /* index into swaps.area[] for the SWAP findings */
	uint32_t reserved;
};

struct duende_mlock_cgroup {
	int version;        /* 1 or 2 */
	char path[512];     /* as /proc/PID/cgroup names it */
	uint64_t limit;     /* in force, ancestors' included; UINT64_MAX: none */
	uint64_t usage;     /* bytes charged now */
	uint32_t processes; /* in this very cgroup */
	/* v2, below the root: what protects the daemon besides its lock.
	 * memory.min and memory.low (bytes), memory.swap.max (UINT64_MAX for
	 * "max"); protection_known says they were read. */
	bool protection_known;
	uint64_t min, low, swap_max;
	uint64_t reserved[4];
};

#define DUENDE_MLOCK_SURVEY_FINDINGS 32

struct duende_mlock_survey {
	/* The process surveyed. */
	struct duende_mlock_report process;
	/* What the default lock (current and future pages) leaves: the same
	 * headroom as process.headroom, with VmSize counted as MCL_CURRENT
	 * counts it. */
	uint64_t headroom_after_lock;
	/* The caller's own standing, for the remedies it can apply. */
	uint64_t caller_memlock_hard;
	bool caller_cap_sys_resource;
	/* Surveyed from inside duende-mlock exec's preload shim (doctor --
	 * PROGRAM): the program will be run by exec, so file capabilities are
	 * no remedy for it. */
	bool preloaded;
	/* The kernel: 1 supported, 0 not, negative errno unknown. */
	int kernel_onfault;    /* MCL_ONFAULT (4.4) */
	int kernel_io_flusher; /* PR_SET_IO_FLUSHER (5.6) */
	/* The process's memory cgroup; cgroup_error is a negative errno
	 * when none was found. */
	int cgroup_error;
	struct duende_mlock_cgroup cgroup;
	/* Active swap areas and who serves them. */
	struct duende_mlock_swaps swaps;
	/* Where it runs. */
	char container[32];     /* "docker", "podman", "kubernetes", ... or "" */
	char systemd_unit[128]; /* from its cgroup, or "" */
	bool systemd;           /* PID 1 is systemd */
	/* The verdict: the worst severity found (NOT_APPLICABLE alone). */
	enum duende_mlock_severity verdict;
	uint32_t nfindings;
	struct duende_mlock_finding findings[DUENDE_MLOCK_SURVEY_FINDINGS];
	uint64_t reserved[8];
};

/* Surveys process pid (0: the caller) and the host it runs on: its lock
 * report, whether it can lock and how much, its capabilities, the
 * kernel's support, its memory cgroup and the swap areas and who serves
 * them, and judges each as a finding. A kernel thread or zombie gets one
 * finding and the verdict NOT_APPLICABLE. Never waits on a FUSE mount.
 * Forks once, briefly, to ask the kernel about MCL_ONFAULT. -ESRCH for no
 * such process, -EACCES when even its status is unreadable. No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_survey_pid(pid_t pid, struct duende_mlock_survey *survey);

/* Finding i of survey, in one sentence with its numbers and, where one
 * applies, its fix; names and paths in it are escaped as
 * duende_mlock_escape() does. snprintf semantics; -EINVAL when i is out of
 * range. */
int duende_mlock_finding_explain(const struct duende_mlock_survey *survey, uint32_t i,
				 char *buf, size_t len);

/* The fix for this environment (service manager, container runtime,
 * shell), as lines of text, each checked against what the survey found:
 * nothing that the caller's hard limit, capabilities or the way the
 * program is run would refuse. snprintf semantics. */
int duende_mlock_survey_fix(const struct duende_mlock_survey *survey, char *buf, size_t len);

/* The systemd drop-in ("[Service]" and its settings, one a line) that
 * makes a unit safe: LimitMEMLOCK=infinity, AmbientCapabilities= with
 * CAP_IPC_LOCK and the CAP_SYS_RESOURCE that PR_SET_IO_FLUSHER needs,
 * OOMScoreAdjust=, MemorySwapMax=0 and MemoryMin= sized for what survey's
 * process locks (left out when survey is NULL: no process of the unit
 * runs). Comments say what the host ignores (memory settings under
 * cgroup v1). snprintf semantics. */
int duende_mlock_systemd_dropin(const struct duende_mlock_survey *survey, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DUENDE_MLOCK_H */
