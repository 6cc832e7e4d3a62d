/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_SHIM_PRECISE_H
#define DM_SHIM_PRECISE_H

#include "duende-mlock.h"

/* Once the lock is taken: where it took the precise plan
 * (DUENDE_MLOCK_F_PRECISE), the program's own mmap(2), mmap64 and
 * mprotect(2) calls go through the library's precise ones from now on,
 * in this image and in its forked children. */
void shim_precise_start(const struct duende_mlock_status *lock);

#endif
