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
#include <sys/types.h>

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

/* VmLck of process pid (0: this one) from its status, the queries' fast
 * path: 0, -ESRCH no such process, -ENOENT no /proc, -EPROTO no VmLck
 * field (kernel thread, zombie), -EACCES. Async-signal-safe; errno kept. */
int dm_read_vm_lck(int pid, uint64_t *bytes);

/* Reads the whole of a small file into buf (NUL-terminated); -EFBIG when
 * it does not fit. *len gets its length. */
int dm_read_small(int dirfd, const char *path, char *buf, size_t cap, size_t *len);

/* /proc/<pid>/<file> (pid 0 = self) into out, which has room for 64. */
void dm_proc_path(char *out, size_t cap, int pid, const char *file);

/* Calls fn for each entry of directory dirfd/path whose name is a
 * positive decimal (the PIDs of /proc, the TIDs of /proc/PID/task, the
 * FDs of /proc/PID/fd), through getdents64 into a stack buffer (opendir
 * would allocate). Stops when fn returns non-zero. 0 or a negative errno. */
typedef int (*dm_number_fn)(void *ctx, int dirfd, const char *name, uint64_t number);
int dm_for_each_number(int dirfd, const char *path, dm_number_fn fn, void *ctx);

/* dm_read_lines for a file whose read can block for good (smaps takes the
 * memory map lock of a process that may be stuck on I/O): read in a
 * child process, which hands back the parser's state, ctx of ctx_size
 * plain bytes, through a pipe. The child is killed and -ETIMEDOUT
 * returned when it makes no progress for stall_ms. */
int dm_read_lines_bounded(int dirfd, const char *path, dm_line_fn fn, void *ctx,
			  size_t ctx_size, int stall_ms);

/* The readers' own input and output, shared with the bounded reader: EINTR
 * retried, errors as negative errno. */
int dm_open_retry(int dirfd, const char *path);
ssize_t dm_read_retry(int fd, char *buf, size_t len);
/* Feeds fd's lines to fn through buf; writes a byte to progress_fd (when
 * >= 0) every 200 ms while reads bring data. */
int dm_read_lines_fd(int fd, char *buf, size_t cap, dm_line_fn fn, void *ctx, int progress_fd);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t dm_now_ms(void);

#endif
