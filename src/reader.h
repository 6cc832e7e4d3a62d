/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Readers: open a /proc or cgroup file, read it through a caller's buffer
 * and hand its lines to a parser. open/read/close only (async-signal-safe),
 * EINTR retried, no allocation.
 */
#ifndef DM_READER_H
#define DM_READER_H

#include <stddef.h>
#include <stdint.h>

#include "procfs.h"

/* Feeds each line of dirfd/path to fn through buf. A line longer than
 * cap - 1 is skipped (its bytes are never passed on partly). Stops early
 * when fn returns non-zero. Returns 0 or a negative errno. */
int dm_read_lines(int dirfd, const char *path, char *buf, size_t cap,
		  dm_line_fn fn, void *ctx);

/* Finds the line "KEY:..." in dirfd/path with one memmem per chunk read
 * (the queries' fast path: no per-line work) and points *line at it
 * within buf, *len its length without the newline. -ENOENT when the file
 * or the key is missing, -EPROTO when the line does not fit in buf. */
int dm_read_field(int dirfd, const char *path, const char *key, char *buf, size_t cap,
		  const char **line, size_t *len);

/* Parses dirfd/path as a /proc/PID/status file into *st, stopping once
 * every DM_ST_* field in want has been seen (want 0: read it all). */
int dm_read_proc_status(int dirfd, const char *path, uint32_t want, struct dm_proc_status *st);

/* Reads the whole of a small file into buf (NUL-terminated); -EFBIG when
 * it does not fit. *len gets its length. */
int dm_read_small(int dirfd, const char *path, char *buf, size_t cap, size_t *len);

/* /proc/<pid>/<file> (pid 0 = self) into out, which has room for 64. */
void dm_proc_path(char *out, size_t cap, int pid, const char *file);

#endif
