/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Every remedy the library offers, written once. The error strings,
 * the lock diagnosis, the hardening steps' explanations and the host
 * survey's fix all take their wording from here.
 */
#ifndef DM_REMEDY_H
#define DM_REMEDY_H

#include <stdbool.h>
#include <stdint.h>

#include "text.h"

/* CAP_IPC_LOCK: lifts RLIMIT_MEMLOCK altogether. */
#define DM_FIX_IPC_LOCK_SETCAP "setcap cap_ipc_lock=+ep PROGRAM"
#define DM_FIX_IPC_LOCK_SYSTEMD "systemd: AmbientCapabilities=CAP_IPC_LOCK"
#define DM_FIX_IPC_LOCK_DOCKER "docker: --cap-add=IPC_LOCK"
#define DM_FIX_IPC_LOCK_K8S "Kubernetes: securityContext.capabilities.add: [\"IPC_LOCK\"]"
/* RLIMIT_MEMLOCK, unlimited. */
#define DM_FIX_MEMLOCK_SHELL "ulimit -l unlimited"
#define DM_FIX_MEMLOCK_SYSTEMD "systemd: LimitMEMLOCK=infinity"
#define DM_FIX_MEMLOCK_DOCKER "docker: --ulimit memlock=-1:-1"
#define DM_FIX_MEMLOCK_COMPOSE "compose: ulimits: memlock: -1"
/* CAP_SYS_RESOURCE: PR_SET_IO_FLUSHER, a negative oom_score_adj, a higher
 * hard limit. */
#define DM_FIX_SYS_RESOURCE                                                  \
	"systemd: AmbientCapabilities=CAP_SYS_RESOURCE; docker: "            \
	"--cap-add=SYS_RESOURCE; Kubernetes: capabilities.add: [\"SYS_RESOURCE\"]"
#define DM_FIX_OOM_FROM_MANAGER "systemd: OOMScoreAdjust=-900; Kubernetes: a Guaranteed QoS pod"
#define DM_FIX_OWN_CGROUP                                                    \
	"keep the daemon out of any memory-limited cgroup that other work shares"
/* The score a swap daemon should have: killed, it takes every page
 * swapped to it along. */
#define DM_OOM_SCORE_ADJ_ADVISED (-900)

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

/* What a systemd drop-in for a swap-serving daemon is made from. */
struct dm_dropin {
	uint64_t memory_min; /* what the daemon locks; 0: unknown, left out */
	bool cgroup_v1;      /* the host's memory controller is v1 */
};

/* The drop-in, "[Service]" and one setting a line, each line after
 * indent. */
void dm_put_systemd_dropin(struct dm_text *t, const char *indent, const struct dm_dropin *d);

#endif
