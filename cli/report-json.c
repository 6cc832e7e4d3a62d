/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A process report as JSON members, for status and doctor alike. */
#include "json.h"

void json_u64(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, ", \"%s\": %llu", key, (unsigned long long)v);
}

void json_limit(FILE *f, const char *key, uint64_t v)
{
	if (v == DUENDE_MLOCK_UNLIMITED)
		fprintf(f, ", \"%s\": null", key);
	else
		json_u64(f, key, v);
}

void json_bool(FILE *f, const char *key, bool v)
{
	fprintf(f, ", \"%s\": %s", key, v ? "true" : "false");
}

void json_text(FILE *f, const char *text)
{
	if (text)
		put_json_string(f, text);
	else
		fputs("null", f);
}

void json_string(FILE *f, const char *key, const char *text)
{
	fprintf(f, ", \"%s\": ", key);
	json_text(f, text);
}

/* Every verdict bit set, by its library name. */
static void json_verdicts(FILE *f, uint32_t verdicts)
{
	int n = 0;

	fprintf(f, ", \"verdicts\": [");
	for (uint32_t bit = 1; bit; bit <<= 1) {
		const char *name = duende_mlock_verdict_name(bit);
		if (!(verdicts & bit) || !name)
			continue;
		fprintf(f, "%s", n++ ? ", " : "");
		put_json_string(f, name);
	}
	fprintf(f, "]");
}

/* Bytes: what is pinned leads; VmLck, which counts whole locked mappings
 * (PROT_NONE reservations such as malloc arenas' included), is named the
 * locked address space ("locked_bytes" is the same figure, kept for those
 * who read it). */
static void json_bytes(FILE *f, const struct duende_mlock_report *r)
{
	if (r->known & DUENDE_MLOCK_R_SMAPS)
		json_u64(f, "pinned_bytes", r->locked_resident);
	json_u64(f, "resident_bytes", r->vm_rss);
	json_u64(f, "swapped_bytes", r->vm_swap);
	json_u64(f, "locked_address_space_bytes", r->vm_lck);
	json_u64(f, "locked_bytes", r->vm_lck);
	json_u64(f, "mapped_bytes", r->vm_size);
}

static void json_caps(FILE *f, const struct duende_mlock_report *r)
{
	json_bool(f, "cap_ipc_lock", r->cap_ipc_lock);
	fprintf(f, ", \"cap_effective\": \"%016llx\", \"cap_bounding\": \"%016llx\"",
		(unsigned long long)r->cap_effective, (unsigned long long)r->cap_bounding);
}

static void json_smaps(FILE *f, const struct duende_mlock_report *r)
{
	if (r->known & DUENDE_MLOCK_R_SMAPS) {
		json_u64(f, "locked_swapped_bytes", r->locked_swapped);
		json_u64(f, "unlocked_resident_bytes", r->unlocked_resident);
		json_u64(f, "inaccessible_bytes", r->inaccessible_size);
		fprintf(f, ", \"mappings\": {\"total\": %u, \"locked\": %u, \"lock_on_fault\": %u, "
			   "\"unlocked_inaccessible\": %u, \"unlocked_special\": %u, "
			   "\"unlocked_other\": %u}",
			r->mappings, r->locked_mappings, r->lockonfault_mappings,
			r->unlocked_inaccessible, r->unlocked_special, r->unlocked_other);
	} else if (r->smaps_error) {
		json_string(f, "smaps_error", duende_mlock_strerror(r->smaps_error));
	}
}

static void json_limits(FILE *f, const struct duende_mlock_report *r)
{
	if (!(r->known & DUENDE_MLOCK_R_LIMITS))
		return;
	json_limit(f, "memlock_soft", r->memlock_soft);
	json_limit(f, "memlock_hard", r->memlock_hard);
	json_limit(f, "headroom_bytes", r->headroom);
}

static void json_tasks(FILE *f, const struct duende_mlock_report *r)
{
	if (r->known & DUENDE_MLOCK_R_STAT)
		json_u64(f, "major_faults", r->major_faults);
	if (r->known & DUENDE_MLOCK_R_TASKS) {
		fprintf(f, ", \"threads\": %u, \"io_flusher_threads\": %u, \"blocked_threads\": %u",
			r->threads, r->threads_io_flusher, r->threads_blocked);
		json_bool(f, "io_flusher", r->verdicts & DUENDE_MLOCK_V_IO_FLUSHER);
	}
	if (r->known & DUENDE_MLOCK_R_OOM)
		fprintf(f, ", \"oom_score_adj\": %d", (int)r->oom_score_adj);
}

static void json_serves(FILE *f, pid_t pid, const struct duende_mlock_swaps *swaps)
{
	int i = -1, n = 0;

	fprintf(f, ", \"serves\": [");
	while (swaps && (i = duende_mlock_swap_served_by(swaps, pid, (uint32_t)(i + 1))) >= 0) {
		fprintf(f, "%s", n++ ? ", " : "");
		put_json_string(f, swaps->area[i].path);
	}
	fprintf(f, "]");
}

void json_report(FILE *f, const struct duende_mlock_report *r, const struct duende_mlock_swaps *swaps)
{
	char state[2] = { r->state ? r->state : '?', '\0' };

	fprintf(f, "\"pid\": %d", (int)r->pid);
	json_string(f, "name", r->name);
	json_string(f, "state", state);
	fprintf(f, ", \"uid\": %u", r->uid);
	json_verdicts(f, r->verdicts);
	json_bool(f, "locked", r->verdicts & DUENDE_MLOCK_V_LOCKED);
	json_bool(f, "responding", !(r->verdicts & DUENDE_MLOCK_V_NOT_RESPONDING));
	json_bool(f, "user_memory", !(r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY));
	json_bytes(f, r);
	json_caps(f, r);
	json_smaps(f, r);
	json_limits(f, r);
	json_tasks(f, r);
	json_serves(f, r->pid, swaps);
}
