/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* survey-verdicts.c built again for 1.1's layout (layout.h). */
#define DM_LAYOUT_1_1 1
#include "survey-verdicts.c" // NOLINT(bugprone-suspicious-include): the same source, another layout
