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
};

/* ---- status-select.c ---- */

/* The processes to report: the PIDs given (npids of them, each one that
 * parse_pid() accepts), else every process holding locked memory, and
 * those of each spec. 0, -ENOMEM, or -EINVAL for a spec the library
 * cannot read (returned in *bad); a spec that names nothing readable is
 * that daemon's error, kept in its spec. */
int status_select(struct scan *s, char *const *pids, int npids, const char **bad);
/* The library's report of each process selected, and the swap areas. A
 * process that only the scan of locked processes found and that has
 * exited since is dropped: it is simply not there any more. */
void status_read(struct scan *s);

/* ---- status-judge.c ---- */

/* Each expected daemon: does it run, and is every process of it locked
 * (with IO_FLUSHER if asked)? */
void status_judge(struct scan *s);
/* Every process read in full and every expected daemon as expected: the
 * exit status 0. */
bool status_all_fine(const struct scan *s);
/* What stands out about e, in a few words ("" when nothing does). */
const char *status_note(const struct scan *s, const struct entry *e);

/* ---- the formats ---- */

void status_table(FILE *f, const struct scan *s);
void status_json(FILE *f, const struct scan *s);
void status_prometheus(FILE *f, const struct scan *s);

#endif
