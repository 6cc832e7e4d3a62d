/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Every remedy the library offers, written once. The words of each setting
 * as each way of running a daemon spells it (a shell, systemd, docker,
 * compose, Kubernetes, a file capability, duende-mlock exec) are defined
 * here and nowhere else; the error strings, the lock diagnosis, the
 * hardening steps' explanations and the host survey's fix are made of
 * them, through the functions below. A number that goes into a remedy
 * comes from the public header (DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED).
 */
#ifndef DM_REMEDY_H
#define DM_REMEDY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "duende-mlock.h"
#include "text.h"

/* ---- the words ---- */
/* RLIMIT_MEMLOCK */
#define DM_MEMLOCK_SHELL "ulimit -l"               /* + " KIB" or " unlimited" */
#define DM_MEMLOCK_SYSTEMD "LimitMEMLOCK="         /* + "NM" or "infinity" */
#define DM_MEMLOCK_DOCKER "--ulimit memlock="      /* + "SOFT:HARD"; -1 is unlimited */
#define DM_MEMLOCK_COMPOSE "ulimits: memlock: -1"
#define DM_MEMLOCK_PRLIMIT "prlimit --memlock=unlimited:unlimited --pid PID"
/* CAP_IPC_LOCK */
#define DM_IPC_LOCK_SETCAP "setcap cap_ipc_lock=+ep PROGRAM"
#define DM_IPC_LOCK_SYSTEMD "AmbientCapabilities=CAP_IPC_LOCK"
#define DM_IPC_LOCK_DOCKER "--cap-add=IPC_LOCK"
#define DM_IPC_LOCK_K8S "securityContext.capabilities.add: [\"IPC_LOCK\"]"
/* CAP_SYS_RESOURCE: PR_SET_IO_FLUSHER, a negative oom_score_adj, a higher
 * hard limit */
#define DM_SYS_RESOURCE_SYSTEMD "AmbientCapabilities=CAP_SYS_RESOURCE"
#define DM_SYS_RESOURCE_DOCKER "--cap-add=SYS_RESOURCE"
#define DM_SYS_RESOURCE_K8S "capabilities.add: [\"SYS_RESOURCE\"]"
/* What else keeps a daemon's memory (cgroup v2, the OOM killer) */
#define DM_NO_SWAP_SYSTEMD "MemorySwapMax=0"
#define DM_MEMORY_MIN_SYSTEMD "MemoryMin="
#define DM_OOM_SYSTEMD "OOMScoreAdjust="           /* + the advised score */
#define DM_OOM_K8S "a Guaranteed QoS pod"
#define DM_OWN_CGROUP "keep the daemon out of any memory-limited cgroup that other work shares"
/* duende-mlock itself */
#define DM_EXEC "duende-mlock exec"
/* A server that runs: locked where it runs, with the workers it forked
 * (a restart is not safe while swap is in use on its device). */
#define DM_LOCK_TREE "duende-mlock lock --tree"
/* exec's option for the precise lock (config.precise). */
#define DM_PRECISE_OPTION "--precise"

/* ---- the words as remedies, where a static string needs them ---- */
#define DM_FIX_IPC_LOCK_SETCAP DM_IPC_LOCK_SETCAP
#define DM_FIX_IPC_LOCK_SYSTEMD "systemd: " DM_IPC_LOCK_SYSTEMD
#define DM_FIX_IPC_LOCK_DOCKER "docker: " DM_IPC_LOCK_DOCKER
#define DM_FIX_IPC_LOCK_K8S "Kubernetes: " DM_IPC_LOCK_K8S
#define DM_FIX_MEMLOCK_SHELL DM_MEMLOCK_SHELL " unlimited"
#define DM_FIX_MEMLOCK_SYSTEMD "systemd: " DM_MEMLOCK_SYSTEMD "infinity"
#define DM_FIX_MEMLOCK_DOCKER "docker: " DM_MEMLOCK_DOCKER "-1:-1"
#define DM_FIX_MEMLOCK_COMPOSE "compose: " DM_MEMLOCK_COMPOSE
#define DM_FIX_SYS_RESOURCE                                                     \
	"systemd: " DM_SYS_RESOURCE_SYSTEMD "; docker: " DM_SYS_RESOURCE_DOCKER \
	"; Kubernetes: " DM_SYS_RESOURCE_K8S

/* What the remedies may assume about whoever applies them. */
struct dm_remedy_ctx {
	uint64_t memlock_hard; /* DUENDE_MLOCK_UNLIMITED for infinity */
	bool can_raise_hard;   /* CAP_SYS_RESOURCE held */
	bool program_is_preloaded; /* run by duende-mlock exec: no setcap */
	/* A process that already runs, locked from outside: its limits are
	 * changed with prlimit(2) by whoever may (can_raise_hard: that caller
	 * holds CAP_SYS_RESOURCE), and capabilities come only with a
	 * restart. 0: the remedies are for the process itself. */
	int running_pid;
	/* The caller may prlimit(2) it at all: the same user, or
	 * CAP_SYS_RESOURCE. */
	bool caller_can_prlimit;
};

/* "raise RLIMIT_MEMLOCK to at least N, or to unlimited (shell: ...;
 * systemd: ...; docker: ...)", and, where the hard limit is below the need
 * and cannot be raised here, who can raise it. */
void dm_put_fix_memlock(struct dm_text *t, uint64_t needed, const struct dm_remedy_ctx *c);
/* "grant CAP_IPC_LOCK, which lifts the limit (...)". */
void dm_put_fix_ipc_lock(struct dm_text *t, const struct dm_remedy_ctx *c);
/* Both, as alternatives, ending with ".". */
void dm_put_fix_lock(struct dm_text *t, uint64_t needed, const struct dm_remedy_ctx *c);
/* Who can raise a hard RLIMIT_MEMLOCK: "systemd LimitMEMLOCK=, docker
 * --ulimit memlock=, prlimit as root with CAP_SYS_RESOURCE". */
void dm_put_memlock_raisers(struct dm_text *t);
/* "systemd: OOMScoreAdjust=-900; Kubernetes: a Guaranteed QoS pod". */
void dm_put_fix_oom_from_manager(struct dm_text *t);
/* "(systemd: MemorySwapMax=0)" and "(systemd: MemoryMin=)". */
void dm_put_fix_no_swap(struct dm_text *t);
void dm_put_fix_memory_min(struct dm_text *t);
/* A soft limit below the hard one: "raise the soft limit (duende-mlock
 * exec does)". */
void dm_put_fix_soft_limit(struct dm_text *t);

/* What a systemd drop-in for a swap-serving daemon is made from. */
struct dm_dropin {
	uint64_t memory_min; /* what the daemon locks; 0: unknown, left out */
	bool cgroup_v1;      /* the host's memory controller is v1 */
};

/* The drop-in, "[Service]" and one setting a line, each line after
 * indent. */
void dm_put_systemd_dropin(struct dm_text *t, const char *indent, const struct dm_dropin *d);

/* ---- the host survey's fix: one block per way of running the daemon ---- */
/* "systemctl edit UNIT" and its drop-in (unit NULL: "YOUR.service"). */
void dm_put_fix_systemd_unit(struct dm_text *t, const char *unit, const struct dm_dropin *d);
/* The container runtime's run line and compose, or Kubernetes' context. */
void dm_put_fix_container(struct dm_text *t, enum duende_mlock_container kind);
/* What a shell can do with the caller's hard limit and capabilities for a
 * daemon that must lock needed bytes. */
void dm_put_fix_shell(struct dm_text *t, uint64_t caller_hard, bool caller_sys_resource,
		      uint64_t needed);
/* setcap, for a daemon linked with the library. */
void dm_put_fix_file_capability(struct dm_text *t);
/* The duende-mlock exec line, with the hardening the caller can give. */
void dm_put_fix_exec(struct dm_text *t, bool caller_sys_resource, bool precise);
/* The precise lock, for a daemon that maps much file data. */
/* "duende-mlock lock --tree PID": the fix for a swap server that runs
 * unlocked. */
void dm_put_fix_lock_running(struct dm_text *t, pid_t pid);

void dm_put_fix_precise(struct dm_text *t);

/* Where a daemon whose privilege drop leaves its lock short runs. */
enum dm_drop_fix_from {
	DM_DROP_FIX_OUTSIDE_EXEC, /* started some other way */
	DM_DROP_FIX_EXEC_REFUSED, /* under exec --no-keep-ipc-lock */
	DM_DROP_FIX_EXEC,         /* under exec, which could not keep it */
};
/* The fix for it: exec keeping CAP_IPC_LOCK through the drop, an
 * unlimited RLIMIT_MEMLOCK where it starts, or the capability for the user
 * it drops to. */
void dm_put_fix_drop(struct dm_text *t, enum dm_drop_fix_from from);

#endif
