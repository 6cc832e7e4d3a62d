/* SPDX-License-Identifier: MIT OR Apache-2.0 */
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
 *  - THREAD SAFETY: the library keeps no mutable global state, so its
 *    functions may be called from many threads at once, but for the malloc
 *    settings (duende_mlock_malloc_keep(), lean mode, and hardening's
 *    malloc step): glibc's mallopt is not thread-safe, so call those
 *    before the program starts threads. Each man page says.
 *  - The queries duende_mlock_is_locked(), duende_mlock_locked_bytes() and
 *    duende_mlock_read_locked_bytes() are async-signal-safe and safe in the
 *    child of a multi-threaded fork(): they use one open/read/close of
 *    /proc/self/status into a stack buffer and preserve errno.
 *  - Each function's man page has an ATTRIBUTES section: whether it is
 *    MT-safe and async-signal-safe, whether it creates a process, and the
 *    most stack it takes.
 *  - GROWTH (since 1.2): a structure the library fills is sized by the
 *    caller. Its function, named *_sized, takes the caller's sizeof (the
 *    macro of the plain name passes it); the library fills as much as both
 *    know, zeroes the rest of the caller's size and records what it filled
 *    in the structure's size field, which the *_sized readers of it heed.
 *    Fields are only appended, and each says since when it is there.
 *    Structures the caller fills (the configurations) grow into reserved
 *    words, which must be zero. The functions of the plain names, which
 *    programs built against 1.0 and 1.1 call, keep those layouts.
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
/* Since 1.2. The loaded library's version as DUENDE_MLOCK_VERSION_AT()
 * makes it: a caller compiled against a newer header learns what it got. */
unsigned duende_mlock_version_number(void);
/* Since 1.2. 0 when the loaded library has what version major.minor has
 * (the fields and flags marked "since major.minor" included); -ENOTSUP
 * when it is older, -EPROTO for another major version. Call it as
 * duende_mlock_check_version(DUENDE_MLOCK_VERSION_MAJOR,
 * DUENDE_MLOCK_VERSION_MINOR) to require the header's own version. */
DUENDE_MLOCK_WUR int duende_mlock_check_version(unsigned major, unsigned minor);

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
	/* Since 1.2. Precise lock: lock what can deadlock on its own swap and
	 * leave file data to the kernel. Swap-backed memory (anonymous
	 * memory, shared memory: memfd, SysV, tmpfs; the written,
	 * copy-on-write pages of private file mappings), the program's own
	 * code and files on a FUSE mount the process serves itself are locked
	 * as the default lock locks them; mappings of file data (shared, or
	 * private and never written), whose pages can only return to their
	 * own file, are unlocked, whatever their size. Later mappings are
	 * locked as future says; those made through
	 * duende_mlock_mmap_precise() (the preload shim routes mmap(2) there)
	 * are left unlocked when they map file data. Needs current or future;
	 * refused with onfault (the plan populates what it locks). See
	 * duende_mlock_lock_with_config(3). */
	bool precise;
	/* Must be zero (since 1.2, the rest of the first reserved word). */
	uint8_t reserved8[7];
	/* Room to grow without breaking the ABI; must be zero. */
	uint64_t reserved[3];
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
	  .precise = false, .reserved8 = { 0, 0, 0, 0, 0, 0, 0 },          \
	  .reserved = { 0, 0, 0 } }

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
/* Since 1.2: the precise plan was applied (config.precise): file data was
 * left unlocked, the rest locked and populated. */
#define DUENDE_MLOCK_F_PRECISE (1u << 11)
/* Since 1.2: precise was asked but /proc/self/maps could not be read, so
 * current pages were locked as the default lock locks them. */
#define DUENDE_MLOCK_F_PRECISE_UNAVAILABLE (1u << 12)

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

/* Since 1.2. mmap(2) for a process under a precise lock (config.precise):
 * the same arguments, result and errno as mmap(2), and a mapping of file
 * data (a regular file on a file system that holds file data, not a FUSE
 * mount this process serves, without PROT_EXEC, MAP_LOCKED or
 * MAP_HUGETLB) is made without being locked, so that a lock of future
 * mappings (MCL_FUTURE) neither reads it all in nor counts it against
 * RLIMIT_MEMLOCK for longer than the call: shared and read-only private
 * mappings unlocked, writable private ones locked as they are touched
 * (their written pages are swap-backed). Every other mapping is made as
 * mmap(2) makes it. The mapping is made inaccessible first, unlocked,
 * then given its protection (and moved into place for MAP_FIXED); any
 * step that fails is undone and the call made as asked, so the result is
 * what mmap(2) itself gives. Async-signal-safe; system calls only. */
void *duende_mlock_mmap_precise(void *addr, size_t length, int prot, int flags, int fd,
				int64_t offset);
/* Since 1.2. cgroup v2: memory.swap.max 0 in the memory cgroup of
 * process pid (0: the caller), so that none of its memory goes to swap,
 * locked or not: the complement of a precise lock, which leaves file data
 * unlocked. Only a cgroup of the process's own is changed. 0; -ENOTSUP no
 * cgroup v2 memory cgroup with swap accounting (cgroup v1, the root
 * cgroup); -EBUSY the cgroup holds other processes; -EACCES, -EPERM or
 * -EROFS not writable here; -ESRCH no such process. No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_cgroup_no_swap(pid_t pid);
/* duende_mlock_cgroup_no_swap()'s outcome rc in one line, with the fix
 * where one applies (a unit's MemorySwapMax=0). snprintf semantics. */
int duende_mlock_cgroup_no_swap_explain(int rc, char *buf, size_t len);

/* Since 1.2. mprotect(2) for a process under a precise lock: the same
 * result and errno, and where it makes private file mappings writable,
 * they are locked as they are touched from then on (their written pages
 * are swap-backed). Reads /proc/self/maps when prot has PROT_WRITE.
 * Async-signal-safe. */
int duende_mlock_mprotect_precise(void *addr, size_t length, int prot);

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

/* Room in struct duende_mlock_harden_result for the steps of this and
 * later versions (since 1.2). */
#define DUENDE_MLOCK_STEPS_MAX 16

/* oom_score_adj: the kernel's range, and the score a swap-serving daemon
 * should have (killed, it takes every page swapped to it along). Since 1.2. */
#define DUENDE_MLOCK_OOM_SCORE_ADJ_MIN (-1000)
#define DUENDE_MLOCK_OOM_SCORE_ADJ_MAX 1000
#define DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED (-900)

/* The most stack duende_mlock_harden() prefaults (since 1.2): eight
 * times the 8 MiB a main thread usually has is no stack. */
#define DUENDE_MLOCK_PREFAULT_STACK_MAX ((size_t)64 << 20)

struct duende_mlock_harden_config {
	/* Raise the soft RLIMIT_MEMLOCK to the hard limit before locking
	 * (only where CAP_IPC_LOCK is missing; no privilege needed). */
	bool raise_memlock;
	/* PR_SET_IO_FLUSHER (Linux 5.6+, needs CAP_SYS_RESOURCE): the
	 * daemon's allocations never wait on I/O, so reclaim cannot wait on
	 * writeback to the daemon's own device. Inherited across fork and
	 * execve. */
	bool io_flusher;
	/* Write oom_score_adj (DUENDE_MLOCK_OOM_SCORE_ADJ_MIN..MAX): a killed
	 * swap daemon takes every page swapped to it with it. Inherited
	 * across fork/execve. */
	bool set_oom_score_adj;
	int oom_score_adj;
	/* glibc: freed memory stays in the heap (no trim, no per-allocation
	 * mmap) so it is not faulted in again on the I/O path. */
	bool malloc_keep;
	/* Lock as lock_config says. */
	bool lock;
	struct duende_mlock_config lock_config;
	/* Touch this many bytes of the calling thread's stack after locking,
	 * so that deep calls on the I/O path do not fault. 0: skip; at most
	 * DUENDE_MLOCK_PREFAULT_STACK_MAX (since 1.2; above it the
	 * configuration is invalid). */
	size_t prefault_stack;
	/* Since 1.2: in required mode (lock_config.required), the steps
	 * besides the lock whose failure stops the program too: bits
	 * (1u << step), DUENDE_MLOCK_STEPS_ALL for every requested step. 0:
	 * only the lock decides (where a 1.0 or 1.1 program leaves it). */
	uint32_t required_steps;
	uint32_t reserved32; /* must be zero */
	uint64_t reserved[3];
};

/* Every step, in duende_mlock_harden_config.required_steps (since 1.2). */
#define DUENDE_MLOCK_STEPS_ALL UINT32_MAX

/* Raise memlock, IO_FLUSHER, oom_score_adj -900, keep malloc memory,
 * lock current and future pages (required), prefault 256 KiB of stack. */
#define DUENDE_MLOCK_HARDEN_CONFIG_INIT                                     \
	{ .raise_memlock = true, .io_flusher = true, .set_oom_score_adj = true, \
	  .oom_score_adj = DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED,              \
	  .malloc_keep = true, .lock = true,                                 \
	  .lock_config = DUENDE_MLOCK_CONFIG_INIT,                            \
	  .prefault_stack = 256 * 1024, .required_steps = 0, .reserved32 = 0, \
	  .reserved = { 0, 0, 0 } }

struct duende_mlock_step_result {
	bool requested; /* the config asked for this step */
	int rc;         /* 0 done, or a negative errno */
	/* What the step left in place: the soft limit after raising
	 * (DUENDE_MLOCK_UNLIMITED for infinity), the oom_score_adj, the
	 * prefaulted bytes; 0 otherwise. */
	uint64_t value;
};

/* Since 1.2 (1.0's layout held steps[6] first: see
 * duende_mlock_harden(3)). */
struct duende_mlock_harden_result {
	/* Bytes of this structure the library filled. */
	uint32_t size;
	/* Bit (1u << step) for every requested step that failed. */
	uint32_t failed;
	/* Required mode and a requested step failed: the program must not
	 * go on (what duende_mlock_harden() returned, as a fact). */
	bool must_stop;
	/* How many steps this library knows (DUENDE_MLOCK_STEP_COUNT of its
	 * own header); steps[] beyond it are zero. */
	uint32_t steps_known;
	uint64_t reserved[6];
	/* Filled when the lock step ran. */
	struct duende_mlock_status lock_status;
	struct duende_mlock_step_result steps[DUENDE_MLOCK_STEPS_MAX];
};

/* Runs each requested step and records each outcome separately; a failed
 * step does not stop the others. size is sizeof(*result) as the caller
 * knows it; the macro duende_mlock_harden() passes it. Returns 0 when the
 * program may go on, a negative errno when it must not (result->must_stop):
 * in required mode (config->lock_config.required) the lock failed, or a
 * step named in config->required_steps did; the rc is that step's (the
 * lock's first; a feature this kernel or libc lacks is -ENOTSUP, never
 * -EINVAL). Every other failure is in the result only (result->failed).
 * -EINVAL means only: config or result NULL, config invalid
 * (reserved words, oom_score_adj out of range, prefault_stack above
 * DUENDE_MLOCK_PREFAULT_STACK_MAX, an invalid lock_config) or size too
 * small; then no step runs and the result, when there is one, is zeroed.
 * Nothing is printed (duende_mlock_harden_explain() words the result).
 * Since 1.2. */
DUENDE_MLOCK_WUR int
duende_mlock_harden_sized(const struct duende_mlock_harden_config *config,
			  struct duende_mlock_harden_result *result, size_t size);
#define duende_mlock_harden(config, result) \
	duende_mlock_harden_sized((config), (result), sizeof(*(result)))
/* Would a failure of step stop the program under config (required mode,
 * and the lock or a step in required_steps)? The rule
 * duende_mlock_harden() applies, for a step a caller runs itself.
 * Since 1.2. */
bool duende_mlock_step_is_required(const struct duende_mlock_harden_config *config,
				   enum duende_mlock_step step);
/* The 1.0 entry point, for programs built against 1.0 or 1.1: fills
 * 1.0's layout (steps[6], then lock_status) and returns the first failed
 * step's rc also in best-effort mode. New code gets
 * duende_mlock_harden_sized() through the macro above. */
DUENDE_MLOCK_WUR int(duende_mlock_harden)(const struct duende_mlock_harden_config *config,
					  void *result_1_0);

/* Bits of duende_mlock_harden_explain()'s flags. */
#define DUENDE_MLOCK_EXPLAIN_ALL_STEPS (1u << 0) /* also the steps that worked */

/* The whole result in words, one line a step ("io-flusher: FAILED
 * (EPERM): not permitted: ... CAP_SYS_RESOURCE ..."), each line ending in
 * a newline: the failed steps, or every requested step with
 * DUENDE_MLOCK_EXPLAIN_ALL_STEPS; a failed lock is followed by its
 * diagnosis (duende_mlock_explain()). Callers put their own prefix before
 * each line. snprintf semantics; -EINVAL for NULL or unknown flags.
 * Since 1.2. */
int duende_mlock_harden_explain(const struct duende_mlock_harden_result *result,
				unsigned flags, char *buf, size_t len);

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
/* -EPERM without CAP_SYS_RESOURCE, -EINVAL before Linux 5.6. The flag is
 * per thread: each thread that serves I/O sets it for itself. */
DUENDE_MLOCK_WUR int duende_mlock_set_io_flusher(void);
/* Since 1.2. Whether the calling thread has PR_SET_IO_FLUSHER, from the
 * task flags the kernel shows (/proc/thread-self/stat: both
 * DUENDE_MLOCK_PF_MEMALLOC_NOIO and DUENDE_MLOCK_PF_LOCAL_THROTTLE), so no
 * privilege is needed: 1 set, 0 not, or a negative errno. A "successful"
 * prctl that set nothing (PR_SET_IO_FLUSHER with 0 clears the flag) shows
 * here. Async-signal-safe. */
DUENDE_MLOCK_WUR int duende_mlock_get_io_flusher(void);
/* -EINVAL outside DUENDE_MLOCK_OOM_SCORE_ADJ_MIN..MAX; -EACCES when
 * lowering needs CAP_SYS_RESOURCE. */
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
/* The same line for an outcome the caller got itself: rc (0 or a negative
 * errno) and value as a step result holds them (see
 * struct duende_mlock_step_result). Since 1.2. */
int duende_mlock_explain_step(enum duende_mlock_step step, int rc, uint64_t value,
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
/* The verdicts were judged (since 1.2; a 1.0 library leaves verdicts 0
 * without meaning "not locked"). */
#define DUENDE_MLOCK_R_VERDICTS (1u << 6)

/* The library's verdicts on a process (duende_mlock_report.verdicts,
 * since 1.1). */
/* Locked: VmLck above 0 and, where smaps could be read, no accessible
 * mapping a lock must cover left unlocked (since 1.2, unlocked file
 * data does not count: see DUENDE_MLOCK_V_FILE_DATA_UNLOCKED; before, any
 * accessible mapping did). */
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
/* Since 1.2: mappings of file data are left unlocked (a precise lock):
 * file_unlocked_size is above 0. Since 1.2 such mappings do not keep
 * DUENDE_MLOCK_V_LOCKED from a process: the lock covers what can deadlock
 * when every mapping it must cover is locked (must_lock_unlocked 0). */
#define DUENDE_MLOCK_V_FILE_DATA_UNLOCKED (1u << 5)

/* How long a read of smaps may make no progress before the process is
 * reported as not responding (since 1.1). */
#define DUENDE_MLOCK_REPORT_STALL_MS 2000

/* Task flags of /proc/PID/stat that PR_SET_IO_FLUSHER sets (both). */
#define DUENDE_MLOCK_PF_MEMALLOC_NOIO 0x00080000u
#define DUENDE_MLOCK_PF_LOCAL_THROTTLE 0x00100000u
/* A kernel thread: it has no user memory to lock. */
#define DUENDE_MLOCK_PF_KTHREAD 0x00200000u

/* The kinds of memory a report tells apart (since 1.2). */
enum duende_mlock_memory_kind {
	/* Private anonymous memory: heap, stacks, anonymous mappings. */
	DUENDE_MLOCK_MEMORY_ANONYMOUS = 0,
	/* Shared memory (memfd, SysV, shared anonymous), files on memory
	 * file systems (tmpfs, ramfs), devices, and files on mounts the
	 * reader cannot see: swap-backed or never dropped. */
	DUENDE_MLOCK_MEMORY_SHARED = 1,
	/* Private mappings of file data; their anonymous bytes are the
	 * written (copy-on-write) pages, which are swap-backed. */
	DUENDE_MLOCK_MEMORY_PRIVATE_FILE = 2,
	/* Shared mappings of file data. */
	DUENDE_MLOCK_MEMORY_SHARED_FILE = 3,
	/* Files on a FUSE mount the process serves itself: file data that
	 * only it can read back. */
	DUENDE_MLOCK_MEMORY_SERVED_FILE = 4,
};
#define DUENDE_MLOCK_MEMORY_KINDS 5

/* One kind of memory of a process, from its smaps (since 1.2). */
struct duende_mlock_memory {
	uint32_t mappings, locked_mappings;
	/* Bytes: mapped, resident (Rss), anonymous (Anonymous), on swap
	 * (Swap), and resident and anonymous in locked mappings. */
	uint64_t size, resident, anonymous, swapped;
	uint64_t locked_resident, locked_anonymous;
};

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
	/* Since 1.2: bytes of this structure the library filled (0 from
	 * 1.0 and 1.1). */
	uint32_t size;
	uint64_t reserved[1];
	/* Fields after this line are since 1.2 and later: check size. */
	/* From smaps (DUENDE_MLOCK_R_SMAPS), what a lock against DT-007 must
	 * cover, apart from what it need not. Swap-backed: what can go to
	 * swap (anonymous and shared memory, the written pages of private
	 * file mappings); file data: pages that can only return to their own
	 * file. Resident bytes, and those of them in locked mappings. */
	uint64_t swap_backed_resident, swap_backed_locked;
	uint64_t file_resident, file_pinned;
	/* Size of the mappings of file data, and of those left unlocked. */
	uint64_t file_mapped, file_unlocked_size;
	/* Accessible mappings a lock must cover (swap-backed, writable
	 * private file mappings, files of a FUSE mount it serves) that are
	 * not locked, and their size: 0 under a precise lock. */
	uint32_t must_lock_unlocked;
	uint32_t reserved32_2; /* zero */
	uint64_t must_lock_unlocked_size;
	/* Each kind of memory (DUENDE_MLOCK_MEMORY_*). */
	struct duende_mlock_memory memory[DUENDE_MLOCK_MEMORY_KINDS];
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
DUENDE_MLOCK_WUR int duende_mlock_report_pid_sized(pid_t pid, struct duende_mlock_report *report,
					       size_t size);
#define duende_mlock_report_pid(pid, report) \
	duende_mlock_report_pid_sized((pid), (report), sizeof(*(report)))
/* The 1.0 entry point, for programs built against 1.0 or 1.1: fills the
 * structure as 1.1 knew it (its first 280 bytes). */
DUENDE_MLOCK_WUR int(duende_mlock_report_pid)(pid_t pid, struct duende_mlock_report *report);

/* How far a process is locked, the one answer every text and format of
 * this library gives (since 1.2). */
enum duende_mlock_lock_state {
	DUENDE_MLOCK_LOCK_STATE_UNKNOWN = 0,        /* its status could not be read */
	DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED = 1,     /* VmLck 0 */
	DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED = 2,  /* VmLck above 0, some mapping not locked */
	DUENDE_MLOCK_LOCK_STATE_LOCKED = 3,         /* DUENDE_MLOCK_V_LOCKED */
	DUENDE_MLOCK_LOCK_STATE_NOT_APPLICABLE = 4, /* no user memory */
};
/* The lock state a report shows. Since 1.2. */
enum duende_mlock_lock_state duende_mlock_report_lock_state(const struct duende_mlock_report *report);
/* "unknown", "not locked", "partly locked", "locked", "not applicable";
 * NULL out of range. Since 1.2. */
const char *duende_mlock_lock_state_name(enum duende_mlock_lock_state state);

/* Since 1.2. VmLck of process pid (0: this process) in bytes, from one
 * read of its status: what "holds locked memory" means everywhere in this
 * library. 0, -ESRCH (no such process), -EACCES, -EPROTO (no VmLck: a
 * kernel thread, a zombie, or no such field), or -EINVAL. Async-signal-
 * safe, no malloc, errno preserved. */
DUENDE_MLOCK_WUR int duende_mlock_read_pid_locked_bytes(pid_t pid, uint64_t *bytes);

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
	/* Since 1.2: room to grow; zero. */
	uint64_t reserved[8];
};

/* Bits of duende_mlock_swaps.flags (since 1.2). */
/* More swap areas are active than area[] holds. */
#define DUENDE_MLOCK_SWAPS_F_TRUNCATED (1u << 0)

/* Since 1.2 (1.1's had no size, flags or reserve: see
 * duende_mlock_read_swaps(3)). Grows into its reserved words only: the
 * survey holds it by value. */
struct duende_mlock_swaps {
	int error;          /* negative errno when /proc/swaps was unreadable */
	uint32_t count;
	uint32_t size;      /* bytes of this structure the library filled */
	uint32_t flags;     /* DUENDE_MLOCK_SWAPS_F_* */
	uint64_t reserved[6];
	struct duende_mlock_swap area[DUENDE_MLOCK_SWAPS_MAX];
};

/* Reads the active swap areas, what backs each and, for those served
 * from user space, which processes serve them. Never touches a path a
 * FUSE daemon serves (a hung daemon would hang the reader). size is the
 * caller's sizeof(*swaps) (the macro passes it). Returns 0 or the
 * negative errno also left in swaps->error; -EINVAL for NULL or a size
 * below 1.2's. No malloc. Since 1.2. */
DUENDE_MLOCK_WUR int duende_mlock_read_swaps_sized(struct duende_mlock_swaps *swaps, size_t size);
#define duende_mlock_read_swaps(swaps) duende_mlock_read_swaps_sized((swaps), sizeof(*(swaps)))
/* The 1.1 entry point, for programs built against 1.1: fills 1.1's
 * layout. */
DUENDE_MLOCK_WUR int(duende_mlock_read_swaps)(void *swaps_1_1);

/* The index of the first swap area at or after from that pid serves, or
 * -ENOENT. Since 1.2 (the macro of the plain name calls it). */
int duende_mlock_swap_served_by_sized(const struct duende_mlock_swaps *swaps, pid_t pid,
				      uint32_t from);
#define duende_mlock_swap_served_by(swaps, pid, from) \
	duende_mlock_swap_served_by_sized((swaps), (pid), (from))
/* The 1.1 entry point: reads 1.1's layout. */
int(duende_mlock_swap_served_by)(const void *swaps_1_1, pid_t pid, uint32_t from);

/* Is swap area i of swaps (as duende_mlock_read_swaps() filled it)
 * protected from the deadlock of a server that waits for its own pages:
 * every process that serves it is locked and, where it shares a
 * memory-limited cgroup with other processes, has PR_SET_IO_FLUSHER on
 * every thread? 1 yes; 0 no, also when its servers are unknown or more
 * than servers[] holds; 1 for an area the kernel serves itself (no
 * process to wait on). -EINVAL for NULL or i out of range. Reads each
 * server's /proc anew (its smaps in a short-lived process). No malloc.
 * Since 1.3. */
DUENDE_MLOCK_WUR int duende_mlock_swap_protected(const struct duende_mlock_swaps *swaps, uint32_t i);

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
	/* Since 1.2: locked without CAP_IPC_LOCK beyond what the limit covers
	 * (a daemon that dropped root): its new mappings fail. */
	DUENDE_MLOCK_FOUND_LOCKED_SHORT,
	/* Since 1.2: root that can drop privileges, or whose children did,
	 * where the limit cannot cover the lock without CAP_IPC_LOCK. */
	DUENDE_MLOCK_FOUND_DROP,
	/* Since 1.2: it maps more file data than it could lock, or than
	 * DUENDE_MLOCK_FILE_DATA_PIN_MAX, and the lock pins it (or would):
	 * a precise lock would leave it to the kernel. */
	DUENDE_MLOCK_FOUND_FILE_DATA_PINNED,
	/* Since 1.2: its file data is left to the kernel (a precise lock). */
	DUENDE_MLOCK_FOUND_FILE_DATA_UNPINNED,
	/* Since 1.3: memory cgroup v1, which has neither memory.min nor
	 * memory.swap.max: only the lock keeps the daemon out of swap. */
	DUENDE_MLOCK_FOUND_CGROUP_V1_PROTECTION,
	/* Since 1.3: vm.min_free_kbytes, judged where swap is served from
	 * user space (survey.min_free_bytes). */
	DUENDE_MLOCK_FOUND_MIN_FREE,
};

/* File data a lock may sensibly pin (since 1.2): a process that maps more,
 * under a lock that pins it, is advised the precise lock. */
#define DUENDE_MLOCK_FILE_DATA_PIN_MAX ((uint64_t)256 << 20)

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
	/* Since 1.3, with DUENDE_MLOCK_SURVEY_F_EFFECTIVE: what is in force
	 * from the cgroup up to the top of the hierarchy (v2). memory.swap.max
	 * limits every cgroup below it, and memory.min and memory.low protect
	 * a cgroup only as far as each ancestor's do: each is the smallest on
	 * that path (UINT64_MAX for "max"). */
	uint64_t effective_min, effective_low, effective_swap_max;
	uint64_t reserved[1];
};

/* Room for findings (1.1 had 32). */
#define DUENDE_MLOCK_SURVEY_FINDINGS 64

/* Bits of duende_mlock_survey.flags (since 1.2). */
/* More findings were made than findings[] holds; the worst severity is
 * still in verdict. */
#define DUENDE_MLOCK_SURVEY_F_TRUNCATED (1u << 0)
/* The cgroup's effective_* were read (since 1.3). */
#define DUENDE_MLOCK_SURVEY_F_EFFECTIVE (1u << 1)

/* The container runtime a process runs under (since 1.2). */
enum duende_mlock_container {
	DUENDE_MLOCK_CONTAINER_NONE = 0,
	DUENDE_MLOCK_CONTAINER_DOCKER = 1,
	DUENDE_MLOCK_CONTAINER_PODMAN = 2,
	DUENDE_MLOCK_CONTAINER_KUBERNETES = 3,
};

/* Since 1.2 (1.1's held the report first: see duende_mlock_survey_pid(3)).
 * The survey's own fields grow into reserved; process, last, grows with
 * struct duende_mlock_report. */
struct duende_mlock_survey {
	/* Bytes of this structure the library filled. */
	uint32_t size;
	uint32_t flags; /* DUENDE_MLOCK_SURVEY_F_* */
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
	/* Where it runs. */
	enum duende_mlock_container container_kind;
	char container[32];     /* its name: "docker", "podman", "kubernetes" or "" */
	char systemd_unit[128]; /* from its cgroup, or "" */
	bool systemd;           /* PID 1 is systemd */
	/* The verdict: the worst severity found (NOT_APPLICABLE alone). */
	enum duende_mlock_severity verdict;
	uint32_t nfindings;
	struct duende_mlock_finding findings[DUENDE_MLOCK_SURVEY_FINDINGS];
	/* Since 1.2: privilege drops. Does the process's program call what
	 * drops privileges (duende_mlock_program_drops_privileges() of its
	 * executable): 1, 0, or a negative errno when unknown (-EAGAIN: it
	 * lives on a FUSE mount, which is never read). */
	int32_t program_drops;
	/* Its children that run under another uid than it does, how many of
	 * them are locked without CAP_IPC_LOCK beyond what their limit
	 * covers, one of them (a short one first) and its uid. */
	uint32_t dropped_children, dropped_children_short;
	int32_t dropped_child;
	uint32_t dropped_uid;
	uint32_t reserved32;
	/* Since 1.2: the host's RAM (MemTotal, bytes; 0 when unreadable). */
	uint64_t mem_total;
	/* Since 1.3: vm.min_free_kbytes in bytes (0 when unreadable). */
	uint64_t min_free_bytes;
	uint64_t reserved[11];
	/* Active swap areas and who serves them. */
	struct duende_mlock_swaps swaps;
	/* The process surveyed. */
	struct duende_mlock_report process;
};

/* Surveys process pid (0: the caller) and the host it runs on: its lock
 * report, whether it can lock and how much, its capabilities, the
 * kernel's support, its memory cgroup and the swap areas and who serves
 * them, and judges each as a finding. A kernel thread or zombie gets one
 * finding and the verdict NOT_APPLICABLE. Never waits on a FUSE mount.
 * Creates short-lived processes (no fork handlers run) to ask the kernel
 * about MCL_ONFAULT and to read other processes' smaps. size is the
 * caller's sizeof(*survey) (the macro passes it). -ESRCH for no such
 * process, -EACCES when even its status is unreadable, -EINVAL for NULL or
 * a size below 1.2's. No malloc. Since 1.2. */
DUENDE_MLOCK_WUR int duende_mlock_survey_pid_sized(pid_t pid, struct duende_mlock_survey *survey,
					       size_t size);
#define duende_mlock_survey_pid(pid, survey) \
	duende_mlock_survey_pid_sized((pid), (survey), sizeof(*(survey)))
/* The 1.1 entry point, for programs built against 1.1: fills 1.1's
 * layout. */
DUENDE_MLOCK_WUR int(duende_mlock_survey_pid)(pid_t pid, void *survey_1_1);

/* Finding i of survey, in one sentence with its numbers and, where one
 * applies, its fix; names and paths in it are escaped as
 * duende_mlock_escape() does. snprintf semantics; -EINVAL when i is out of
 * range. Since 1.2 (the macro of the plain name calls it). */
int duende_mlock_finding_explain_sized(const struct duende_mlock_survey *survey, uint32_t i,
				       char *buf, size_t len);
#define duende_mlock_finding_explain(survey, i, buf, len) \
	duende_mlock_finding_explain_sized((survey), (i), (buf), (len))
/* The 1.1 entry point: reads 1.1's layout. */
int(duende_mlock_finding_explain)(const void *survey_1_1, uint32_t i, char *buf, size_t len);

/* The fix for this environment (service manager, container runtime,
 * shell), as lines of text, each checked against what the survey found:
 * nothing that the caller's hard limit, capabilities or the way the
 * program is run would refuse. snprintf semantics. Since 1.2 (the macro
 * of the plain name calls it). */
int duende_mlock_survey_fix_sized(const struct duende_mlock_survey *survey, char *buf, size_t len);
#define duende_mlock_survey_fix(survey, buf, len) duende_mlock_survey_fix_sized((survey), (buf), (len))
/* The 1.1 entry point: reads 1.1's layout. */
int(duende_mlock_survey_fix)(const void *survey_1_1, char *buf, size_t len);

/* The systemd drop-in ("[Service]" and its settings, one a line) that
 * makes a unit safe: LimitMEMLOCK=infinity, AmbientCapabilities= with
 * CAP_IPC_LOCK and the CAP_SYS_RESOURCE that PR_SET_IO_FLUSHER needs,
 * OOMScoreAdjust=, MemorySwapMax=0 and MemoryMin= sized for what survey's
 * process locks (left out when survey is NULL: no process of the unit
 * runs). Comments say what the host ignores (memory settings under
 * cgroup v1). snprintf semantics. Since 1.2 (the macro of the plain name
 * calls it). */
int duende_mlock_systemd_dropin_sized(const struct duende_mlock_survey *survey, char *buf,
				      size_t len);
#define duende_mlock_systemd_dropin(survey, buf, len) \
	duende_mlock_systemd_dropin_sized((survey), (buf), (len))
/* The 1.1 entry point: reads 1.1's layout. */
int(duende_mlock_systemd_dropin)(const void *survey_1_1, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Names of severities, findings and verdicts (since 1.2)             */
/* ------------------------------------------------------------------ */

/* The name of each value, as every output of duende-mlock spells it:
 * the enumerator after its prefix, in lower case, with blanks between
 * the words ("cannot lock", "memlock too low", "not responding").
 * Static storage; NULL for a value this library does not know (out of
 * range, or from a newer header). Pure: async-signal-safe. */
const char *duende_mlock_severity_name(enum duende_mlock_severity severity);
const char *duende_mlock_finding_name(enum duende_mlock_finding_code code);
/* verdict is one DUENDE_MLOCK_V_* bit; NULL for 0 or several bits. */
const char *duende_mlock_verdict_name(uint32_t verdict);
/* "anonymous", "shared", "private file", "shared file", "served file". */
const char *duende_mlock_memory_kind_name(enum duende_mlock_memory_kind kind);

/* ------------------------------------------------------------------ */
/* Privilege drops (since 1.2)                                        */
/* ------------------------------------------------------------------ */

/* A daemon started as root holds CAP_IPC_LOCK, which lifts
 * RLIMIT_MEMLOCK. When it changes its uid to a service user the kernel
 * clears its capabilities, and from then on the limit binds what it has
 * locked and everything it maps later under MCL_FUTURE: its allocations
 * and thread stacks fail beyond it, and its forked children cannot lock.
 * What such a drop would do to the calling thread, read just before it. */
struct duende_mlock_drop {
	/* Bytes of this structure the library filled. */
	uint32_t size;
	uint32_t flags;   /* DUENDE_MLOCK_DROP_* */
	uint32_t threads; /* threads of the process; 0 when unknown */
	/* RLIMIT_MEMLOCK, which binds once CAP_IPC_LOCK is gone
	 * (DUENDE_MLOCK_UNLIMITED for infinity). */
	uint64_t memlock_soft, memlock_hard;
	uint64_t locked;   /* VmLck: what the kernel counts now */
	uint64_t headroom; /* memlock_soft less locked */
};

/* The soft limit covers what is locked and DUENDE_MLOCK_LOW_HEADROOM more
 * (the survey's own line): the drop leaves the lock sound, the capability
 * is not needed. */
#define DUENDE_MLOCK_DROP_COVERED (1u << 0)
/* CAP_IPC_LOCK is in the calling thread's permitted set (in the initial
 * user namespace, where it counts): it can be kept through a uid change. */
#define DUENDE_MLOCK_DROP_HOLDS_IPC_LOCK (1u << 1)
/* SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS) is set: a uid change keeps the
 * permitted set. */
#define DUENDE_MLOCK_DROP_KEEPCAPS (1u << 2)
/* SECBIT_KEEP_CAPS_LOCKED with SECBIT_KEEP_CAPS off: a uid change from
 * root clears every capability, and nothing can keep one. */
#define DUENDE_MLOCK_DROP_KEEPCAPS_LOCKED (1u << 3)
/* SECBIT_NO_SETUID_FIXUP: uid changes leave the capabilities alone. */
#define DUENDE_MLOCK_DROP_NO_SETUID_FIXUP (1u << 4)
/* VmLck could not be read (no /proc, as after a chroot): locked is 0 and
 * unknown, and the limit is not judged to cover it. */
#define DUENDE_MLOCK_DROP_USAGE_UNKNOWN (1u << 5)

/* Fills *drop for the calling thread (capabilities are per thread): the
 * limits, what is locked, the capability, the securebits. size is the
 * caller's sizeof(*drop), which the macro passes; -EINVAL for NULL or a
 * size below 1.2's. Async-signal-safe, no malloc, safe in a forked child:
 * getrlimit, capget, prctl and one read of /proc/self/status. Since 1.2. */
DUENDE_MLOCK_WUR int duende_mlock_drop_outlook_sized(struct duende_mlock_drop *drop, size_t size);
#define duende_mlock_drop_outlook(drop) duende_mlock_drop_outlook_sized((drop), sizeof(*(drop)))

/* What happened to CAP_IPC_LOCK at a drop. Since 1.2. */
enum duende_mlock_drop_outcome {
	DUENDE_MLOCK_DROP_KEPT = 1,          /* kept, and nothing else */
	DUENDE_MLOCK_DROP_REFUSED,           /* keeping it was refused */
	DUENDE_MLOCK_DROP_OTHER_THREADS,     /* other threads would lose it */
	DUENDE_MLOCK_DROP_LOCKED_OFF,        /* SECBIT_KEEP_CAPS locked off */
	DUENDE_MLOCK_DROP_NO_PRIVILEGE_MODE, /* libcap's CAP_MODE_NOPRIV */
	DUENDE_MLOCK_DROP_KEEP_FAILED,       /* the kernel refused; err says why */
};

/* The outcome in words, with the numbers of *drop (as much as its size
 * field says was filled), what the process meets without the capability
 * and the fix; err is the negative errno of
 * DUENDE_MLOCK_DROP_KEEP_FAILED. snprintf semantics; -EINVAL for NULL or
 * an unknown outcome. Async-signal-safe, no malloc. Since 1.2. */
int duende_mlock_drop_explain(const struct duende_mlock_drop *drop,
			      enum duende_mlock_drop_outcome outcome, int err, char *buf, size_t len);

/* Does the program at path call what drops privileges (setuid, seteuid,
 * setreuid, setresuid, capset, libcap's cap_set_proc, cap_setuid and
 * cap_set_mode), as its dynamic symbols say? 1 yes, 0 no (a static
 * program imports nothing), -ENOEXEC not an ELF file this can read, or
 * the errno of opening it. Bounded reads of the file, no malloc. Since
 * 1.2. */
DUENDE_MLOCK_WUR int duende_mlock_program_drops_privileges(const char *path);

/* ------------------------------------------------------------------ */
/* Locking a process that already runs, from outside (since 1.2)      */
/* ------------------------------------------------------------------ */

/* What to do to the process (duende_mlock_lock_pid()). */
struct duende_mlock_pid_config {
	/* current, future, onfault, required and min_headroom as
	 * duende_mlock_lock_with_config() reads them, judged by the target's
	 * limits and capabilities; lean must be false (it changes the
	 * target's malloc and thread stacks, which only the process itself
	 * can). precise (since 1.3) applies the precise plan to the target's
	 * mappings from its /proc/PID/maps; mappings it makes later are
	 * locked on fault (no preload sees its mmap calls), so file data
	 * mapped later is pinned as far as it is touched. */
	struct duende_mlock_config lock;
	/* PR_SET_IO_FLUSHER on every one of its threads (the flag is per
	 * thread; each thread makes the call itself). Needs the target's
	 * CAP_SYS_RESOURCE. */
	bool io_flusher;
	/* Write its /proc/PID/oom_score_adj (-1000..1000); lowering it needs
	 * the caller's CAP_SYS_RESOURCE. */
	bool set_oom_score_adj;
	int oom_score_adj;
	/* Where it lacks CAP_IPC_LOCK: raise its RLIMIT_MEMLOCK with
	 * prlimit(2), soft to hard, and both to unlimited where the caller
	 * holds CAP_SYS_RESOURCE; such a caller makes both unlimited also
	 * for a process that holds CAP_IPC_LOCK (it can drop it with its
	 * uid). */
	bool raise_memlock;
	/* How long a thread may take to stop (0: DUENDE_MLOCK_PID_STOP_MS)
	 * before it is given up as blocked in the kernel. */
	uint32_t stop_timeout_ms;
	/* 0, or the start time the caller found the process with (clock
	 * ticks after boot, field 22 of /proc/PID/stat; see
	 * duende_mlock_image_tree()): another process with that PID is
	 * refused. */
	uint64_t start_time;
	/* Must be zero. */
	uint64_t reserved[4];
};

#define DUENDE_MLOCK_PID_STOP_MS 2000

/* Lock current and future pages (required), raise its memlock limit. */
#define DUENDE_MLOCK_PID_CONFIG_INIT                                           \
	{ .lock = DUENDE_MLOCK_CONFIG_INIT, .io_flusher = false,              \
	  .set_oom_score_adj = false, .oom_score_adj = 0, .raise_memlock = true, \
	  .stop_timeout_ms = 0, .start_time = 0, .reserved = { 0, 0, 0, 0 } }

/* Why a process was not locked from outside: nothing was done to it. */
enum duende_mlock_pid_refusal {
	DUENDE_MLOCK_PID_ACCEPTED = 0,      /* not refused; see the steps */
	DUENDE_MLOCK_PID_NO_SUCH_PROCESS,   /* -ESRCH */
	DUENDE_MLOCK_PID_REUSED,            /* -ESRCH: the PID names another process now */
	DUENDE_MLOCK_PID_KERNEL_THREAD,     /* -EPERM: no user memory */
	DUENDE_MLOCK_PID_ZOMBIE,            /* -ESRCH: exited, not yet reaped */
	DUENDE_MLOCK_PID_BLOCKED,           /* -ETIMEDOUT: a thread in D state */
	DUENDE_MLOCK_PID_TRACED,            /* -EBUSY: tracer names the tracer */
	DUENDE_MLOCK_PID_NO_PERMISSION,     /* -EPERM: ptrace access refused */
	DUENDE_MLOCK_PID_YAMA,              /* -EPERM: Yama's ptrace_scope */
	DUENDE_MLOCK_PID_USER_NAMESPACE,    /* -EPERM: another user namespace */
	DUENDE_MLOCK_PID_SELF,              /* -EINVAL: use lock_with_config */
	DUENDE_MLOCK_PID_ARCH,              /* -ENOSYS: not this architecture */
	DUENDE_MLOCK_PID_BAD_CONFIG,        /* -EINVAL */
	DUENDE_MLOCK_PID_NO_SYSCALL_INSN,   /* -ENOEXEC: nothing to enter the kernel with */
};

/* Bits of duende_mlock_pid_result.flags */
/* It runs in another user namespace: its capabilities do not count. */
#define DUENDE_MLOCK_PID_F_USER_NAMESPACE (1u << 0)
/* It has another PID in its own PID namespace (ns_pid): a container. */
#define DUENDE_MLOCK_PID_F_PID_NAMESPACE (1u << 1)
/* The caller holds CAP_SYS_RESOURCE (may raise the target's hard limit). */
#define DUENDE_MLOCK_PID_F_CALLER_SYS_RESOURCE (1u << 2)
/* The caller may prlimit(2) it at all (same user, or CAP_SYS_RESOURCE). */
#define DUENDE_MLOCK_PID_F_CALLER_PRLIMIT (1u << 3)
/* It serves a swap area (serves_swap): its resident pages were locked
 * first, without faulting anything in, and only what cannot come from
 * its own device was faulted in after. */
#define DUENDE_MLOCK_PID_F_SERVES_SWAP (1u << 4)
/* Read back after the lock: its /proc/PID/status shows VmLck above 0.
 * (duende_mlock_report_pid()'s DUENDE_MLOCK_V_LOCKED also checks every
 * mapping in smaps, at the cost of a walk of its page tables.) */
#define DUENDE_MLOCK_PID_F_VERIFIED (1u << 5)

/* What duende_mlock_lock_pid() did; filled up to the size the caller
 * passes (fields are only ever appended). */
struct duende_mlock_pid_result {
	pid_t pid;
	int rc; /* what the call returned */
	enum duende_mlock_pid_refusal refusal;
	/* DUENDE_MLOCK_PID_TRACED: the process that traces it. */
	pid_t tracer;
	/* Its PID in its own PID namespace, as it sees itself. */
	pid_t ns_pid;
	uint32_t flags; /* DUENDE_MLOCK_PID_F_* */
	/* The start time of the process locked (see the config). */
	uint64_t start_time;
	/* The lock, with the target's facts: its RLIMIT_MEMLOCK, its
	 * CAP_IPC_LOCK, its VmSize and VmLck; DUENDE_MLOCK_F_* as
	 * duende_mlock_lock_with_config() sets them. */
	struct duende_mlock_status lock_status;
	/* RAISE_MEMLOCK, IO_FLUSHER, OOM_SCORE_ADJ and LOCK, as
	 * duende_mlock_harden() records them (value: the target's soft limit
	 * after raising, its threads with PR_SET_IO_FLUSHER, its
	 * oom_score_adj, its bytes locked). */
	struct duende_mlock_step_result steps[DUENDE_MLOCK_STEP_COUNT];
	/* Its threads, and how many were stopped to run a call. */
	uint32_t threads, threads_stopped;
	/* Threads stopped in an epoll_wait with a timeout, which returned
	 * EINTR, as after SIGSTOP/SIGCONT (the time already waited is
	 * unknown); without a timeout the wait is entered again. */
	uint32_t threads_eintr;
	/* Bytes of this structure the library filled (the caller's size, or
	 * the library's own when smaller). */
	uint32_t size;
	/* The longest time one thread was held stopped, in nanoseconds. */
	uint64_t longest_stop_ns;
	/* After locking: bytes of it still on swap, and of those the bytes
	 * that may be on a swap area it serves itself (left there: faulting
	 * them in would wait on itself; they come back as touched, and are
	 * locked then). */
	uint64_t swap_left, swap_left_own;
	/* Bytes faulted in after the resident pages were locked. */
	uint64_t populated;
	/* The first swap area it serves ("" for none), as /proc/swaps names
	 * it (cut to fit). */
	char serves_swap[64];
	/* Its command name as the kernel holds it (raw bytes; escape before
	 * printing), and the tracer's for DUENDE_MLOCK_PID_TRACED. */
	char name[64];
	char tracer_name[64];
	/* Its real uid and the caller's; Yama's ptrace_scope, -1 without
	 * Yama. */
	uint32_t uid, caller_uid;
	int32_t ptrace_scope;
	/* Its threads with PR_SET_IO_FLUSHER after the call. */
	uint32_t threads_io_flusher;
};

/* Locks process pid (not the caller) from outside, as config says: each
 * step runs inside the target, which makes the system calls itself while
 * stopped under ptrace for as long as they take (registers, signal mask
 * and pending signals as they were, an interrupted system call restarted
 * as after any stop). Its RLIMIT_MEMLOCK is raised with prlimit(2) and
 * its oom_score_adj written from outside. A process that serves swap is
 * locked resident pages first. Refusals leave it untouched. The result
 * is written to out, size bytes of it (sizeof *out; at least the size of
 * the 1.2 struct, else -EINVAL). Returns 0 when every requested step
 * succeeded (a failed lock in best-effort mode counts as done, see
 * lock_status), else the first failure's negative errno. Forks a tracer
 * that exits when done (the kernel detaches whatever it still traces).
 * No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_lock_pid(pid_t pid, const struct duende_mlock_pid_config *config,
					   struct duende_mlock_pid_result *out, size_t size);

/* What duende_mlock_lock_pid() did and, for each refusal or failed step,
 * why and the fix that works for a process already running (computed
 * from the target's limits, capabilities and mapped size, and what the
 * caller may change). snprintf semantics; -EINVAL for a NULL result. */
int duende_mlock_pid_explain(const struct duende_mlock_pid_result *result, char *buf, size_t len);

/* pid, then every process forked from it (children, their children...)
 * that runs the same executable file (the same device and inode of
 * /proc/PID/exe): the workers of a pre-fork server, the forked child of a
 * daemonizing one. A child that runs another program, and what it forks,
 * is left out. Into pids[0..cap) and, when start_times is not NULL, each
 * one's start time (for duende_mlock_pid_config.start_time). Returns how
 * many there are (may be more than cap), -ESRCH when pid does not run.
 * No malloc. */
DUENDE_MLOCK_WUR int duende_mlock_image_tree(pid_t pid, pid_t *pids, uint64_t *start_times,
					     size_t cap);


/* ------------------------------------------------------------------ */
/* Following a process tree from outside (1.3)                        */
/* ------------------------------------------------------------------ */

/* What duende_mlock_follow() tells its callback. */
enum duende_mlock_follow_kind {
	/* Every process asked for is traced: the follow has begun. */
	DUENDE_MLOCK_FOLLOW_ATTACHED = 1,
	/* A child forked from a followed process, locked before it ran one
	 * instruction (parent says from which). */
	DUENDE_MLOCK_FOLLOW_LOCKED_CHILD = 2,
	/* A process that exec'd: the leader, or a process that exec'd the
	 * same file again, locked at the first instruction of the new
	 * program. */
	DUENDE_MLOCK_FOLLOW_LOCKED_EXEC = 3,
	/* A followed process that was not locked when the follow began (it
	 * was forked before), locked now. */
	DUENDE_MLOCK_FOLLOW_LOCKED_RUNNING = 4,
	/* A child exec'd another program: a helper, left alone with what it
	 * starts. */
	DUENDE_MLOCK_FOLLOW_HELPER = 5,
	/* It could not be locked (status says why) and runs on unlocked. */
	DUENDE_MLOCK_FOLLOW_LOCK_FAILED = 6,
	/* It could not be locked (status says why) and is ended with exit
	 * status DUENDE_MLOCK_FOLLOW_EXIT_UNLOCKED before it runs one
	 * instruction of its own (end_unlocked): the callback is the place to
	 * tell it, e.g. on its /proc/PID/fd/2. */
	DUENDE_MLOCK_FOLLOW_ENDING_UNLOCKED = 7,
	/* A new process or thread beyond what the follower can keep track
	 * of (DUENDE_MLOCK_FOLLOW_MAX tasks at once): let go untraced, so a
	 * process runs on unlocked and what it forks is not followed. */
	DUENDE_MLOCK_FOLLOW_UNTRACKED = 8,
};

/* Tasks (processes and their threads) one follow keeps track of at once. */
#define DUENDE_MLOCK_FOLLOW_MAX 16384

/* The exit status a process ended by end_unlocked gets (exec's 120). */
#define DUENDE_MLOCK_FOLLOW_EXIT_UNLOCKED 120

struct duende_mlock_follow_event {
	enum duende_mlock_follow_kind kind;
	pid_t pid;
	pid_t parent;          /* LOCKED_CHILD: the process it was forked from */
	int rc;                /* 0, or the negative errno of the failure */
	uint64_t bytes_locked; /* its VmLck after the lock */
	/* LOCK_FAILED, ENDING_UNLOCKED: the lock's status, judged by the
	 * process's own limits (duende_mlock_explain() says why). */
	struct duende_mlock_status status;
	uint64_t reserved[4];
};

typedef void (*duende_mlock_follow_fn)(const struct duende_mlock_follow_event *event, void *ctx);

struct duende_mlock_follow_config {
	/* How each process is locked. A forked child is locked with
	 * lock-on-fault for what it has when it starts (its pages are its
	 * parent's, locked already: nothing is copied or faulted in), later
	 * mappings as this says. precise and lean are refused (-EINVAL). */
	struct duende_mlock_config lock;
	/* The process is about to execve(2) the program: the first exec is
	 * the program's start, and it is locked there (exec's traced path).
	 * Without it the processes already run and are locked already (by
	 * duende_mlock_lock_pid()); one found unlocked is locked
	 * lock-on-fault. */
	bool await_exec;
	/* A process that cannot be locked ends with exit status
	 * DUENDE_MLOCK_FOLLOW_EXIT_UNLOCKED before it runs an instruction of
	 * its own (exec's required mode); without it, it runs on unlocked. */
	bool end_unlocked;
	/* Lock what exec started (await_exec) and leave it: no forks
	 * followed. */
	bool once;
	uint8_t reserved8[5];
	uint64_t reserved[4];
};

#define DUENDE_MLOCK_FOLLOW_CONFIG_INIT                                         \
	{ .lock = DUENDE_MLOCK_CONFIG_INIT, .await_exec = false,                \
	  .end_unlocked = false, .once = false,                                 \
	  .reserved8 = { 0, 0, 0, 0, 0 }, .reserved = { 0, 0, 0, 0 } }

/*
 * Follows pids[0..n) and every process they fork from now on, from
 * outside, under ptrace (PTRACE_SEIZE with fork, vfork, clone and exec
 * events; never PTRACE_O_EXITKILL): each forked child is locked in its
 * first stop, before it runs; a process that execs the same file (device
 * and inode, the rule of duende_mlock_image_tree()) is locked again at
 * its first instruction, and so is a leader (pids[i]) whatever it execs;
 * a child that execs another program is a helper, left at once with what
 * it starts. Threads are followed (a thread may fork) and need no lock of
 * their own. Signals and group stops reach each process as if no tracer
 * were there (signal-delivery stops re-injected, group stops listened
 * through with PTRACE_LISTEN).
 *
 * The calling thread becomes the tracer and stays in the call until every
 * followed process has ended (returns 0) or a signal of stop_signals
 * (DUENDE_MLOCK_SIGNAL_BIT of each, 0 for none) arrives (every process is detached, left running, and the signal
 * number is returned). The call blocks SIGCHLD and stop_signals in the
 * calling thread while it runs, and restores its mask. Should the caller
 * die, the kernel detaches every process (they run on). Run it in a
 * process of its own that is locked itself: a forked child waits for it.
 * -EINVAL for a bad config, -EPERM/-ESRCH/-EBUSY when pids[0] cannot be
 * traced, -ENOSYS off x86_64 and aarch64. callback may be NULL. No malloc
 * (a scratch mapping holds the table of up to DUENDE_MLOCK_FOLLOW_MAX
 * processes and threads).
 */
/* A signal in duende_mlock_follow()'s stop_signals: bit sig - 1 (signals
 * 1..64; a mask rather than a sigset_t, which strict ISO C leaves
 * undeclared). */
#define DUENDE_MLOCK_SIGNAL_BIT(sig) (UINT64_C(1) << ((sig) - 1))

DUENDE_MLOCK_WUR int duende_mlock_follow(const pid_t *pids, size_t n,
					 const struct duende_mlock_follow_config *config,
					 uint64_t stop_signals, duende_mlock_follow_fn callback,
					 void *ctx);

/* The name of an event kind ("locked-child", ...), "unknown" else. */
const char *duende_mlock_follow_kind_name(enum duende_mlock_follow_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* DUENDE_MLOCK_H */
