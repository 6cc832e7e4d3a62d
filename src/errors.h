/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_ERRORS_H
#define DM_ERRORS_H

/* The name of a negative errno ("EPERM" for -EPERM), or NULL when the
 * library cannot name it. The one table of errno names. */
const char *dm_errno_name(int err);

#endif
