/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* survey-explain.c built again for 1.1's layout (layout.h): the entry points that
 * programs built against 1.1 call. */
#define DM_LAYOUT_1_1 1
#include "survey-explain.c" // NOLINT(bugprone-suspicious-include): the same source, another layout
