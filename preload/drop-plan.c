/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What the shim does when a locked program drops privileges: the rule the
 * shim's wrappers follow (drops.c) and exec's note at start asks
 * (exec-settings.h). */
#include "exec-settings.h"

enum dm_drop_plan dm_drop_plan(const struct dm_exec_settings *s, bool locked, bool limit_covers,
			       bool holds_ipc_lock, bool can_keep)
{
	if (!locked || limit_covers || !holds_ipc_lock)
		return DM_DROP_SOUND;
	if (s->keep_ipc_lock && can_keep)
		return DM_DROP_KEEP;
	return s->harden.lock_config.required ? DM_DROP_STOP : DM_DROP_UNSOUND;
}
