/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "duende-mlock.h"
#include "platform.h"

DM_EXPORT const char *duende_mlock_version(void)
{
	return DUENDE_MLOCK_VERSION_STRING;
}
