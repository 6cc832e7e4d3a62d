/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "procfs.h"

#include "platform.h"

#include <errno.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_blanks(const char *s, size_t len, size_t *pos)
{
	while (*pos < len && is_blank(s[*pos]))
		(*pos)++;
}

static bool skip_token(const char *s, size_t len, size_t *pos)
{
	size_t start;

	skip_blanks(s, len, pos);
	start = *pos;
	while (*pos < len && !is_blank(s[*pos]) && s[*pos] != '\n')
		(*pos)++;
	return *pos > start;
}

static bool take_token(const char *s, size_t len, size_t *pos, char *out, size_t cap)
{
	size_t start;

	skip_blanks(s, len, pos);
	start = *pos;
	while (*pos < len && !is_blank(s[*pos]))
		(*pos)++;
	if (*pos == start || *pos - start >= cap)
		return false;
	memcpy(out, s + start, *pos - start);
	out[*pos - start] = '\0';
	return true;
}

int dm_for_each_line(const char *buf, size_t len, dm_line_fn fn, void *ctx)
{
	size_t start = 0;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - buf) : len;
		int rc = fn(ctx, buf + start, end - start);

		if (rc)
			return rc;
		start = end + 1;
	}
	return 0;
}

bool dm_parse_u64(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	skip_blanks(s, len, pos);
	i = *pos;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return true;
}

int dm_parse_i64_file(const char *buf, size_t len, int64_t *out)
{
	size_t pos = 0;
	bool neg = false;
	uint64_t v;

	while (len && (buf[len - 1] == '\n' || is_blank(buf[len - 1])))
		len--;
	skip_blanks(buf, len, &pos);
	if (pos < len && buf[pos] == '-') {
		neg = true;
		pos++;
	}
	if (!dm_parse_u64(buf, len, &pos, &v) || pos != len || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static bool parse_hex64(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t i, digits = 0;

	skip_blanks(s, len, pos);
	for (i = *pos; i < len; i++, digits++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (v >> 60)
			return false;
		v = (v << 4) | d;
	}
	if (!digits)
		return false;
	*pos = i;
	*out = v;
	return true;
}

/* Only blanks may follow a value. */
static bool rest_is_blank(const char *s, size_t len, size_t pos)
{
	skip_blanks(s, len, &pos);
	return pos == len;
}

/* "   1234 kB" -> bytes */
static bool parse_kb(const char *s, size_t len, size_t pos, uint64_t *bytes)
{
	uint64_t kb;

	if (!dm_parse_u64(s, len, &pos, &kb))
		return false;
	skip_blanks(s, len, &pos);
	if (len - pos < 2 || s[pos] != 'k' || s[pos + 1] != 'B')
		return false;
	if (!rest_is_blank(s, len, pos + 2))
		return false;
	if (kb > UINT64_MAX / 1024)
		return false;
	*bytes = kb * 1024;
	return true;
}

/* If line starts with "key:", sets *pos past the colon. */
static bool has_key(const char *line, size_t len, const char *key, size_t *pos)
{
	size_t klen = strlen(key);

	if (len <= klen || memcmp(line, key, klen) != 0 || line[klen] != ':')
		return false;
	*pos = klen + 1;
	return true;
}

/* ---------------- status ---------------- */

void dm_status_init(struct dm_proc_status *st)
{
	memset(st, 0, sizeof(*st));
}

struct kb_field {
	const char *key;
	uint32_t bit;
	size_t offset;
};

static const struct kb_field status_kb_fields[] = {
	{ "VmSize", DM_ST_VMSIZE, offsetof(struct dm_proc_status, vm_size) },
	{ "VmLck", DM_ST_VMLCK, offsetof(struct dm_proc_status, vm_lck) },
	{ "VmPin", DM_ST_VMPIN, offsetof(struct dm_proc_status, vm_pin) },
	{ "VmRSS", DM_ST_VMRSS, offsetof(struct dm_proc_status, vm_rss) },
	{ "VmSwap", DM_ST_VMSWAP, offsetof(struct dm_proc_status, vm_swap) },
};

static void mark(struct dm_proc_status *st, uint32_t bit, bool ok)
{
	if (ok)
		st->present |= bit;
	else
		st->malformed |= bit;
}

static bool seen(const struct dm_proc_status *st, uint32_t bit)
{
	return (st->present | st->malformed) & bit;
}

static void parse_name(struct dm_proc_status *st, const char *line, size_t len, size_t pos)
{
	size_t n;

	skip_blanks(line, len, &pos);
	n = len - pos;
	if (n >= sizeof(st->name))
		n = sizeof(st->name) - 1;
	memcpy(st->name, line + pos, n);
	st->name[n] = '\0';
	mark(st, DM_ST_NAME, n > 0);
}

int dm_status_parse_line(void *ctx, const char *line, size_t len)
{
	struct dm_proc_status *st = ctx;
	size_t pos;
	uint64_t v;

	for (size_t i = 0; i < DM_ARRAY_SIZE(status_kb_fields); i++) {
		const struct kb_field *f = &status_kb_fields[i];

		if (!has_key(line, len, f->key, &pos))
			continue;
		if (seen(st, f->bit))
			return 0;
		bool ok = parse_kb(line, len, pos, &v);
		if (ok)
			memcpy((char *)st + f->offset, &v, sizeof(v));
		mark(st, f->bit, ok);
		return 0;
	}
	if (has_key(line, len, "Name", &pos)) {
		if (!seen(st, DM_ST_NAME))
			parse_name(st, line, len, pos);
	} else if (has_key(line, len, "State", &pos)) {
		if (!seen(st, DM_ST_STATE)) {
			skip_blanks(line, len, &pos);
			bool ok = pos < len && line[pos] >= 'A' && line[pos] <= 'Z';
			if (ok)
				st->state = line[pos];
			mark(st, DM_ST_STATE, ok);
		}
	} else if (has_key(line, len, "Uid", &pos)) {
		if (!seen(st, DM_ST_UID)) {
			uint64_t e, s;
			bool ok = dm_parse_u64(line, len, &pos, &v) && v <= UINT32_MAX;
			/* effective and saved follow; a short line means the same */
			if (!dm_parse_u64(line, len, &pos, &e) || e > UINT32_MAX)
				e = v;
			if (!dm_parse_u64(line, len, &pos, &s) || s > UINT32_MAX)
				s = e;
			if (ok) {
				st->uid = (uint32_t)v;
				st->euid = (uint32_t)e;
				st->suid = (uint32_t)s;
			}
			mark(st, DM_ST_UID, ok);
		}
	} else if (has_key(line, len, "TracerPid", &pos)) {
		if (!seen(st, DM_ST_TRACER)) {
			bool ok = dm_parse_u64(line, len, &pos, &v) && v <= INT32_MAX;
			if (ok)
				st->tracer_pid = (uint32_t)v;
			mark(st, DM_ST_TRACER, ok);
		}
	} else if (has_key(line, len, "SigPnd", &pos)) {
		if (!seen(st, DM_ST_SIGPND))
			mark(st, DM_ST_SIGPND,
			     parse_hex64(line, len, &pos, &st->sig_pnd) && rest_is_blank(line, len, pos));
	} else if (has_key(line, len, "ShdPnd", &pos)) {
		if (!seen(st, DM_ST_SHDPND))
			mark(st, DM_ST_SHDPND,
			     parse_hex64(line, len, &pos, &st->shd_pnd) && rest_is_blank(line, len, pos));
	} else if (has_key(line, len, "NSpid", &pos)) {
		if (!seen(st, DM_ST_NSPID)) {
			bool ok = dm_parse_u64(line, len, &pos, &v);
			/* nested namespaces add fields: the last is the innermost */
			while (ok && !rest_is_blank(line, len, pos))
				ok = dm_parse_u64(line, len, &pos, &v);
			ok = ok && v <= INT32_MAX;
			if (ok)
				st->ns_pid = (uint32_t)v;
			mark(st, DM_ST_NSPID, ok);
		}
	} else if (has_key(line, len, "CapEff", &pos)) {
		if (!seen(st, DM_ST_CAPEFF))
			mark(st, DM_ST_CAPEFF,
			     parse_hex64(line, len, &pos, &st->cap_eff) &&
				     rest_is_blank(line, len, pos));
	} else if (has_key(line, len, "CapBnd", &pos)) {
		if (!seen(st, DM_ST_CAPBND))
			mark(st, DM_ST_CAPBND,
			     parse_hex64(line, len, &pos, &st->cap_bnd) &&
				     rest_is_blank(line, len, pos));
	}
	return 0;
}

void dm_status_parse(struct dm_proc_status *st, const char *buf, size_t len)
{
	dm_for_each_line(buf, len, dm_status_parse_line, st);
}

/* ---------------- limits ---------------- */

void dm_limits_init(struct dm_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
}

static bool parse_limit_value(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	static const char unlimited[] = "unlimited";
	size_t n = sizeof(unlimited) - 1;

	skip_blanks(s, len, pos);
	if (len - *pos >= n && memcmp(s + *pos, unlimited, n) == 0) {
		*pos += n;
		*out = UINT64_MAX;
		return true;
	}
	return dm_parse_u64(s, len, pos, out);
}

int dm_limits_parse_line(void *ctx, const char *line, size_t len)
{
	static const char key[] = "Max locked memory";
	struct dm_limits *lim = ctx;
	size_t pos = sizeof(key) - 1;
	uint64_t soft, hard;

	if (len < pos || memcmp(line, key, pos) != 0 || lim->found || lim->malformed)
		return 0;
	if (parse_limit_value(line, len, &pos, &soft) &&
	    parse_limit_value(line, len, &pos, &hard)) {
		lim->found = true;
		lim->memlock_soft = soft;
		lim->memlock_hard = hard;
	} else {
		lim->malformed = true;
	}
	return 0;
}

void dm_limits_parse(struct dm_limits *lim, const char *buf, size_t len)
{
	dm_for_each_line(buf, len, dm_limits_parse_line, lim);
}

/* ---------------- smaps ---------------- */

void dm_smaps_init(struct dm_smaps *sm)
{
	memset(sm, 0, sizeof(*sm));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void account_mapping(struct dm_smaps *sm)
{
	if (!sm->in_mapping)
		return;
	sm->mappings++;
	sm->size = add_sat(sm->size, sm->cur_size);
	sm->rss = add_sat(sm->rss, sm->cur_rss);
	sm->swap = add_sat(sm->swap, sm->cur_swap);
	if (sm->flag_lo) {
		sm->locked_mappings++;
		if (sm->flag_lf)
			sm->lockonfault_mappings++;
		sm->locked_size = add_sat(sm->locked_size, sm->cur_size);
		sm->locked_rss = add_sat(sm->locked_rss, sm->cur_rss);
		sm->locked_swap = add_sat(sm->locked_swap, sm->cur_swap);
	} else if (sm->inaccessible) {
		sm->unlocked_inaccessible++;
		sm->inaccessible_size = add_sat(sm->inaccessible_size, sm->cur_size);
	} else if (sm->flag_special) {
		sm->unlocked_special++;
	} else {
		sm->unlocked_other++;
		sm->unlocked_other_size = add_sat(sm->unlocked_other_size, sm->cur_size);
		sm->unlocked_other_rss = add_sat(sm->unlocked_other_rss, sm->cur_rss);
	}
	sm->in_mapping = false;
}

int dm_tcp_parse_line(const char *line, size_t len, struct dm_tcp_entry *out)
{
	size_t pos = 0;
	uint64_t state;

	skip_blanks(line, len, &pos);
	if (len - pos >= 2 && memcmp(line + pos, "sl", 2) == 0)
		return 1;
	/* "N:" local remote st tx:rx tr:when retrnsmt uid timeout inode */
	if (!dm_parse_u64(line, len, &pos, &state) || pos >= len || line[pos] != ':')
		return -EINVAL;
	pos++;
	if (!take_token(line, len, &pos, out->local, sizeof(out->local)) ||
	    !take_token(line, len, &pos, out->remote, sizeof(out->remote)) ||
	    !parse_hex64(line, len, &pos, &state) || state > 0xff)
		return -EINVAL;
	out->state = (unsigned)state;
	for (int i = 0; i < 5; i++)
		if (!skip_token(line, len, &pos))
			return -EINVAL;
	if (!dm_parse_u64(line, len, &pos, &out->inode))
		return -EINVAL;
	return strchr(out->local, ':') && strchr(out->remote, ':') ? 0 : -EINVAL;
}

bool dm_uid_map_is_initial(const char *buf, size_t len)
{
	size_t pos = 0;
	uint64_t inside, outside, count;

	if (!dm_parse_u64(buf, len, &pos, &inside) || !dm_parse_u64(buf, len, &pos, &outside) ||
	    !dm_parse_u64(buf, len, &pos, &count))
		return false;
	skip_blanks(buf, len, &pos);
	if (pos < len && buf[pos] == '\n')
		pos++;
	return pos == len && inside == 0 && outside == 0 && count == UINT64_C(4294967295);
}

static bool is_perm(char c, char set)
{
	return c == '-' || c == set;
}

int dm_maps_parse_line(const char *line, size_t len, struct dm_map_entry *out)
{
	size_t pos = 0;

	if (!parse_hex64(line, len, &pos, &out->start) || pos >= len || line[pos] != '-')
		return -EINVAL;
	pos++;
	if (!parse_hex64(line, len, &pos, &out->end) || pos >= len || line[pos] != ' ' ||
	    out->end < out->start)
		return -EINVAL;
	pos++;
	if (len - pos < 4 || !is_perm(line[pos], 'r') || !is_perm(line[pos + 1], 'w') ||
	    !is_perm(line[pos + 2], 'x') || (line[pos + 3] != 'p' && line[pos + 3] != 's'))
		return -EINVAL;
	memcpy(out->perms, line + pos, 4);
	out->perms[4] = '\0';
	pos += 4;
	if (pos < len && !is_blank(line[pos]))
		return -EINVAL;
	/* offset, then major:minor, then inode */
	if (!parse_hex64(line, len, &pos, &out->offset) || !skip_token(line, len, &pos) ||
	    !dm_parse_u64(line, len, &pos, &out->inode) || (pos < len && !is_blank(line[pos])))
		return -EINVAL;
	return 0;
}

static bool parse_mapping_header(struct dm_smaps *sm, const char *line, size_t len)
{
	struct dm_map_entry m;

	if (dm_maps_parse_line(line, len, &m) != 0)
		return false;
	account_mapping(sm);
	sm->in_mapping = true;
	sm->has_flags = false;
	sm->flag_lo = sm->flag_lf = false;
	/* The vsyscall page is the "gate" area mlock never touches. */
	sm->flag_special = len >= 10 && memcmp(line + len - 10, "[vsyscall]", 10) == 0;
	sm->inaccessible = m.perms[0] == '-' && m.perms[1] == '-' && m.perms[2] == '-';
	sm->cur_size = m.end - m.start;
	sm->cur_rss = sm->cur_swap = 0;
	return true;
}

static void parse_vmflags(struct dm_smaps *sm, const char *line, size_t len, size_t pos)
{
	sm->has_flags = true;
	while (pos < len) {
		skip_blanks(line, len, &pos);
		size_t start = pos;
		while (pos < len && !is_blank(line[pos]))
			pos++;
		if (pos - start != 2)
			continue;
		const char *f = line + start;
		if (f[0] == 'l' && f[1] == 'o')
			sm->flag_lo = true;
		else if (f[0] == 'l' && f[1] == 'f')
			sm->flag_lf = true;
		else if ((f[0] == 'i' && f[1] == 'o') || (f[0] == 'p' && f[1] == 'f') ||
			 (f[0] == 'd' && f[1] == 'e') || (f[0] == 'm' && f[1] == 'm'))
			sm->flag_special = true;
	}
}

int dm_smaps_parse_line(void *ctx, const char *line, size_t len)
{
	struct dm_smaps *sm = ctx;
	size_t pos;
	uint64_t v;

	if (len && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) &&
	    parse_mapping_header(sm, line, len))
		return 0;
	if (!sm->in_mapping) {
		if (len)
			sm->malformed_lines++;
		return 0;
	}
	/* Of the twenty-odd fields a mapping has, three are read: one byte
	 * tells the rest apart (a host scan parses millions of lines). */
	if (!len || (line[0] != 'R' && line[0] != 'S' && line[0] != 'V'))
		return 0;
	if (has_key(line, len, "Rss", &pos)) {
		if (parse_kb(line, len, pos, &v))
			sm->cur_rss = v;
		else
			sm->malformed_lines++;
	} else if (has_key(line, len, "Swap", &pos)) {
		if (parse_kb(line, len, pos, &v))
			sm->cur_swap = v;
		else
			sm->malformed_lines++;
	} else if (has_key(line, len, "VmFlags", &pos)) {
		parse_vmflags(sm, line, len, pos);
	}
	return 0;
}

void dm_smaps_finish(struct dm_smaps *sm)
{
	account_mapping(sm);
}

void dm_smaps_parse(struct dm_smaps *sm, const char *buf, size_t len)
{
	dm_for_each_line(buf, len, dm_smaps_parse_line, sm);
	dm_smaps_finish(sm);
}

/* ---------------- swaps ---------------- */


static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* The kernel prints paths in /proc/swaps and mountinfo with space, tab,
 * newline and backslash as "\ooo" (seq_escape); decodes them in place. */
static void decode_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && is_octal(s[1]) && is_octal(s[2]) && is_octal(s[3]) && s[1] <= '3') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* A path token, its octal escapes decoded; an encoded NUL ends it. */
static bool take_path(const char *s, size_t len, size_t *pos, char *out, size_t cap)
{
	if (!take_token(s, len, pos, out, cap))
		return false;
	decode_octal(out);
	return out[0] != '\0';
}

static bool parse_i64(const char *s, size_t len, size_t *pos, int64_t *out)
{
	bool neg = false;
	uint64_t v;

	skip_blanks(s, len, pos);
	if (*pos < len && s[*pos] == '-') {
		neg = true;
		(*pos)++;
	}
	if (!dm_parse_u64(s, len, pos, &v) || v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

int dm_swaps_parse_line(const char *line, size_t len, struct dm_swap_entry *out)
{
	static const char header[] = "Filename";
	size_t pos = 0;
	uint64_t size_kb, used_kb;

	if (len >= sizeof(header) - 1 && memcmp(line, header, sizeof(header) - 1) == 0)
		return 1;
	if (!take_path(line, len, &pos, out->path, sizeof(out->path)) ||
	    !take_token(line, len, &pos, out->type, sizeof(out->type)) ||
	    !dm_parse_u64(line, len, &pos, &size_kb) ||
	    !dm_parse_u64(line, len, &pos, &used_kb) ||
	    !parse_i64(line, len, &pos, &out->priority) || !rest_is_blank(line, len, pos))
		return -EINVAL;
	if (size_kb > UINT64_MAX / 1024 || used_kb > UINT64_MAX / 1024)
		return -EINVAL;
	out->size = size_kb * 1024;
	out->used = used_kb * 1024;
	return 0;
}

/* ---------------- cgroup ---------------- */

static bool list_has(const char *list, size_t len, const char *word)
{
	size_t wlen = strlen(word), pos = 0;

	while (pos <= len) {
		const char *comma = memchr(list + pos, ',', len - pos);
		size_t end = comma ? (size_t)(comma - list) : len;

		if (end - pos == wlen && memcmp(list + pos, word, wlen) == 0)
			return true;
		pos = end + 1;
	}
	return false;
}

int dm_cgroup_parse_line(const char *line, size_t len, struct dm_cgroup_entry *out)
{
	size_t pos = 0;
	const char *c1, *c2;
	size_t plen;

	if (!dm_parse_u64(line, len, &pos, &out->hierarchy) || pos >= len || line[pos] != ':')
		return -EINVAL;
	c1 = line + pos;
	c2 = memchr(c1 + 1, ':', len - pos - 1);
	if (!c2)
		return -EINVAL;
	out->v2 = out->hierarchy == 0 && c2 == c1 + 1;
	out->has_memory = list_has(c1 + 1, (size_t)(c2 - c1 - 1), "memory");
	plen = len - (size_t)(c2 + 1 - line);
	if (plen == 0 || c2[1] != '/' || plen >= sizeof(out->path))
		return -EINVAL;
	memcpy(out->path, c2 + 1, plen);
	out->path[plen] = '\0';
	return 0;
}

int dm_parse_cgroup_limit(const char *buf, size_t len, uint64_t *out)
{
	size_t pos = 0;
	uint64_t v;

	while (len && (buf[len - 1] == '\n' || is_blank(buf[len - 1])))
		len--;
	if (len == 3 && memcmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!dm_parse_u64(buf, len, &pos, &v) || pos != len)
		return -EINVAL;
	/* v1 prints PAGE_COUNTER_MAX * PAGE_SIZE, just under LONG_MAX, for
	 * "no limit"; nothing real is that large. */
	*out = v >= (UINT64_C(1) << 62) ? UINT64_MAX : v;
	return 0;
}

/* ---------------- stat ---------------- */


int dm_stat_parse(const char *buf, size_t len, struct dm_proc_stat *out)
{
	const char *close = NULL;
	size_t pos;

	/* comm may hold spaces and parentheses: the last ')' ends it. */
	for (size_t i = len; i > 0; i--)
		if (buf[i - 1] == ')') {
			close = buf + i - 1;
			break;
		}
	if (!close)
		return -EINVAL;
	pos = (size_t)(close - buf) + 1;
	skip_blanks(buf, len, &pos);
	if (pos >= len || buf[pos] < 'A' || buf[pos] > 'Z')
		return -EINVAL;
	out->state = buf[pos++];
	out->start_time = 0;
	if (!dm_parse_u64(buf, len, &pos, &out->ppid))
		return -EINVAL;
	/* pgrp session tty_nr tpgid (may be -1) */
	for (int i = 0; i < 4; i++)
		if (!skip_token(buf, len, &pos))
			return -EINVAL;
	if (!dm_parse_u64(buf, len, &pos, &out->flags))
		return -EINVAL;
	/* minflt cminflt */
	for (int i = 0; i < 2; i++)
		if (!skip_token(buf, len, &pos))
			return -EINVAL;
	if (!dm_parse_u64(buf, len, &pos, &out->majflt))
		return -EINVAL;
	/* cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue, then starttime: optional, so a short line still
	 * gives the fields above. */
	for (int i = 0; i < 9; i++)
		if (!skip_token(buf, len, &pos))
			return 0;
	if (!dm_parse_u64(buf, len, &pos, &out->start_time))
		out->start_time = 0;
	return 0;
}

/* ---------------- mountinfo ---------------- */

/* "major:minor" */
static bool parse_dev(const char *s, size_t len, size_t *pos, uint32_t *major, uint32_t *minor)
{
	uint64_t ma, mi;

	if (!dm_parse_u64(s, len, pos, &ma) || *pos >= len || s[*pos] != ':')
		return false;
	(*pos)++;
	if (!dm_parse_u64(s, len, pos, &mi) || ma > UINT32_MAX || mi > UINT32_MAX)
		return false;
	*major = (uint32_t)ma;
	*minor = (uint32_t)mi;
	return true;
}

int dm_mountinfo_parse_line(const char *line, size_t len, struct dm_mount_entry *out)
{
	size_t pos = 0;

	/* id parent major:minor root */
	for (int i = 0; i < 2; i++)
		if (!skip_token(line, len, &pos))
			return -EINVAL;
	if (!parse_dev(line, len, &pos, &out->dev_major, &out->dev_minor) || !skip_token(line, len, &pos))
		return -EINVAL;
	if (!take_path(line, len, &pos, out->mount_point, sizeof(out->mount_point)))
		return -EINVAL;
	/* options, then optional fields up to a lone "-" */
	for (;;) {
		size_t start;

		skip_blanks(line, len, &pos);
		start = pos;
		if (!skip_token(line, len, &pos))
			return -EINVAL;
		if (pos - start == 1 && line[start] == '-')
			break;
	}
	if (!take_token(line, len, &pos, out->fstype, sizeof(out->fstype)) ||
	    !take_token(line, len, &pos, out->source, sizeof(out->source)))
		return -EINVAL;
	return 0;
}

/* ---------------- fdinfo ---------------- */

int dm_fdinfo_fuse_connection(const char *line, size_t len, uint64_t *conn)
{
	size_t pos;

	if (!has_key(line, len, "fuse_connection", &pos) || !dm_parse_u64(line, len, &pos, conn) ||
	    !rest_is_blank(line, len, pos))
		return -EINVAL;
	return 0;
}
