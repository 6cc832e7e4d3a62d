/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Which layout a unit of the survey and swap code is built for. The
 * sources are written once, against the names below; each is compiled as
 * this version (the default) and again for 1.1 (compat-1.1-*.c define
 * DM_LAYOUT_1_1), so that the 1.1 entry points fill and read 1.1's
 * structures with the same code, not a copy of it.
 */
#ifndef DM_LAYOUT_H
#define DM_LAYOUT_H

#include <stddef.h>

#include "duende-mlock.h"
#include "layout-1.1.h"

/* The sizes of the structures 1.2 made growable, as 1.2 released them:
 * the least a caller may pass, whatever this version has appended since.
 * (The report's least is 1.1's, DM_REPORT_SIZE_1_1 in report.h.) */
#define DM_HARDEN_RESULT_SIZE_1_2 408
#define DM_SWAPS_SIZE_1_2 22336
#define DM_SURVEY_SIZE_1_2 24584
#define DM_PID_RESULT_SIZE_1_2 488

#ifdef DM_LAYOUT_1_1
#define DM_SURVEY struct dm_v11_survey
#define DM_SWAPS struct dm_v11_swaps
#define DM_SWAP struct dm_v11_swap
#define DM_SURVEY_REPORT struct dm_v11_report
#define DM_SWAPS_MAX DM_V11_SWAPS_MAX
#define DM_SWAP_SERVERS DM_V11_SWAP_SERVERS
#define DM_SURVEY_FINDINGS DM_V11_SURVEY_FINDINGS
/* The 1.1 layout has no size, flags or container kind. */
#define DM_LAYOUT_HAS_SIZE 0
/* Functions of a 1.1 unit get a name of their own. */
#define DM_LAYOUT_NAME(name) name##_v11
#else
#define DM_SURVEY struct duende_mlock_survey
#define DM_SWAPS struct duende_mlock_swaps
#define DM_SWAP struct duende_mlock_swap
#define DM_SURVEY_REPORT struct duende_mlock_report
#define DM_SWAPS_MAX DUENDE_MLOCK_SWAPS_MAX
#define DM_SWAP_SERVERS DUENDE_MLOCK_SWAP_SERVERS
#define DM_SURVEY_FINDINGS DUENDE_MLOCK_SURVEY_FINDINGS
#define DM_LAYOUT_HAS_SIZE 1
#define DM_LAYOUT_NAME(name) name
#endif


#endif
