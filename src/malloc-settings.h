/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Every setting this library gives the C library's allocator. */
#ifndef DM_MALLOC_SETTINGS_H
#define DM_MALLOC_SETTINGS_H

/* glibc: one malloc arena. Every extra arena reserves 64 MiB of PROT_NONE
 * address space, which the kernel charges to RLIMIT_MEMLOCK under
 * MCL_FUTURE. 0, -EINVAL if refused, -ENOTSUP without mallopt. */
int dm_malloc_single_arena(void);

#endif
