/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status --json: one document, each process as the one
 * report writer prints it (doctor prints the same), and the expected
 * daemons. */
#include "json.h"
#include "status.h"

static void json_entry(FILE *f, const struct scan *s, const struct entry *e)
{
	fprintf(f, "\n  {");
	if (e->rc) {
		fprintf(f, "\"pid\": %d", (int)e->pid);
		json_string(f, "error", duende_mlock_strerror(e->rc));
		fprintf(f, ", \"errno\": %d", -e->rc);
	} else {
		json_report(f, &e->r, &s->swaps);
	}
	if (e->spec >= 0)
		json_string(f, "expect", s->specs[e->spec].text);
	fprintf(f, "}");
}

/* The swap areas served from user space, each with its servers and
 * whether they protect it (the library's rule). */
static void json_swap_areas(FILE *f, const struct scan *s)
{
	bool first = true;

	fprintf(f, ", \"swap_areas\": [");
	for (uint32_t i = 0; i < s->swaps.count && i < DUENDE_MLOCK_SWAPS_MAX; i++) {
		const struct duende_mlock_swap *sw = &s->swaps.area[i];
		if (!sw->user_space)
			continue;
		fprintf(f, "%s\n  {\"device\": ", first ? "" : ",");
		first = false;
		put_json_string(f, sw->path);
		json_string(f, "kind", sw->kind);
		fprintf(f, ", \"servers\": [");
		for (uint32_t j = 0; j < sw->nservers && j < DUENDE_MLOCK_SWAP_SERVERS; j++)
			fprintf(f, "%s%d", j ? ", " : "", (int)sw->servers[j]);
		fprintf(f, "]");
		json_bool(f, "protected", s->swap_protected[i] == 1);
		fprintf(f, "}");
	}
	fprintf(f, "\n]");
}

void status_json(FILE *f, const struct scan *s)
{
	fprintf(f, "{\"processes\": [");
	for (size_t i = 0; i < s->n; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_entry(f, s, &s->e[i]);
	}
	fprintf(f, "\n], \"expected\": [");
	for (size_t k = 0; k < s->nspecs; k++) {
		fprintf(f, "%s\n  {\"spec\": ", k ? "," : "");
		put_json_string(f, s->specs[k].text);
		json_bool(f, "io_flusher", s->specs[k].io_flusher);
		fprintf(f, ", \"processes\": %d", s->specs[k].running);
		json_bool(f, "locked", s->specs[k].all_locked);
		if (s->specs[k].error)
			json_string(f, "error", duende_mlock_strerror(s->specs[k].error));
		fprintf(f, "}");
	}
	fprintf(f, "\n]");
	json_swap_areas(f, s);
	if (s->guard >= 0)
		json_bool(f, "guard_running", s->guard > 0);
	fprintf(f, "}\n");
}
