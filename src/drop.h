/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_DROP_H
#define DM_DROP_H

#include <stddef.h>
#include <stdint.h>

#include "duende-mlock.h"

/* The first released size of struct duende_mlock_drop (1.2): smaller
 * callers are refused. */
#define DM_DROP_SIZE_1_2 (offsetof(struct duende_mlock_drop, headroom) + sizeof(uint64_t))

#endif
