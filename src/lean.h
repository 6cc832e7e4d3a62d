/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_LEAN_H
#define DM_LEAN_H

#include <stddef.h>

/* Smallest stack the lean mode accepts (glibc's PTHREAD_STACK_MIN). */
#define DM_LEAN_STACK_MIN ((size_t)16384)

/* Makes threads created from now on default to stack_size bytes of stack
 * and glibc malloc use a single arena, so that locking pins what the
 * daemon touches rather than what it reserves. 0 when both applied,
 * -ENOTSUP when the libc offers neither. */
int dm_apply_lean(size_t stack_size);

#endif
