/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status, by job: which processes (status-select.c), how
 * they stand against what was expected (status-judge.c), and each format
 * (status-table.c, status-json.c, status-prometheus.c). Every figure and
 * verdict of a process comes from the library's report. */
#ifndef DM_CLI_STATUS_H
#define DM_CLI_STATUS_H

#include "cli.h"
#include "duende-mlock.h"

/* A daemon that must be locked (--expect, --expect-io-flusher). */
struct spec {
	const char *text;
	bool io_flusher;   /* --expect-io-flusher */
	int running;       /* processes that match it */
	int error;         /* why it could not be read (a negative errno), or 0 */
	bool all_locked;   /* each of them locked (and with IO_FLUSHER if asked) */
};

#define MAX_SPECS 64

struct entry {
	pid_t pid;
	bool asked;     /* named on the command line */
	int rc;         /* of duende_mlock_report_pid() */
	int spec;       /* the spec it is shown under, or -1 */
	uint64_t specs; /* every spec that names it, a bit each */
	struct duende_mlock_report r;
};

struct scan {
	struct entry *e;
	size_t n, cap;
	struct spec *specs;
	size_t nspecs;
	struct duende_mlock_swaps swaps;
	/* Per swap area: duende_mlock_swap_protected() (1, 0, or a negative
	 * errno); meaningful for the areas served from user space. */
	int swap_protected[DUENDE_MLOCK_SWAPS_MAX];
	/* The whole host was scanned (no PID given): every user-space swap
	 * area's servers are reported, and one unprotected is exit status 1. */
	bool host;
	/* A running `duende-mlock guard` (guard-find.h): its PID, 0 for none,
	 * or a negative errno. */
	pid_t guard;
};

/* ---- status-select.c ---- */

/* The processes to report: the PIDs given (npids of them, each one that
 * parse_pid() accepts), else every process holding locked memory and
 * every process that serves a swap area from user space, locked or not,
 * and those of each spec. Reads the swap areas. 0, -ENOMEM, or -EINVAL for a spec the library
 * cannot read (returned in *bad); a spec that names nothing readable is
 * that daemon's error, kept in its spec. */
int status_select(struct scan *s, char *const *pids, int npids, const char **bad);
/* The library's report of each process selected, whether each swap area
 * is protected, and whether a guard runs. A
 * process that only the scan of locked processes found and that has
 * exited since is dropped: it is simply not there any more. */
void status_read(struct scan *s);

/* ---- status-judge.c ---- */

/* Each expected daemon: does it run, and is every process of it locked
 * (with IO_FLUSHER if asked)? */
void status_judge(struct scan *s);
/* Every process read in full, every expected daemon as expected and, in
 * a scan of the host, every user-space swap area protected: the exit
 * status 0. */
bool status_all_fine(const struct scan *s);
/* What stands out about e, in a few words ("" when nothing does). */
const char *status_note(const struct scan *s, const struct entry *e);

/* ---- the formats ---- */

void status_table(FILE *f, const struct scan *s);
void status_json(FILE *f, const struct scan *s);
void status_prometheus(FILE *f, const struct scan *s);

#endif
