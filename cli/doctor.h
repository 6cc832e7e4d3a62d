/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock doctor's two ways of looking beyond a running process. */
#ifndef DM_CLI_DOCTOR_H
#define DM_CLI_DOCTOR_H

#include "cli.h"
#include "duende-mlock.h"

/* doctor -- PROGRAM [ARGS]: starts PROGRAM as duende-mlock exec would,
 * and the preload shim surveys it the moment it would lock it, then stops
 * it before main(). 0 with *s filled, or an exit status with the reason
 * printed on stderr. */
int doctor_probe_program(char **argv, struct duende_mlock_survey *s);

/* doctor --systemd-unit UNIT: prints the drop-in that makes UNIT safe and
 * checks it with systemd-analyze verify. Returns the exit status, or
 * -EINVAL (nothing printed) when UNIT is not a unit name. */
int doctor_systemd_unit(FILE *f, const char *unit, bool json);

#endif
