# shellcheck shell=bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Bash completion for duende-mlock. Subcommands and options are read from
# the command's own --help when completing, so they have one home, the
# command (`guard` takes options only). PIDs complete for `status` and `lock`
# and for options whose value is a PID
# (`doctor --pid`); after `exec`'s options (or `--`) a program completes,
# then that program's own arguments (through bash-completion when loaded).

# Prints one line per option that `CMD [SUBCOMMAND] --help` lists: the
# option, then the name of its value if it takes one (PID, SIZE, FILE...).
_duende_mlock_options() {
	"$@" --help 2>/dev/null |
		sed -nE 's/^[[:space:]]+(-[[:alnum:]], )?(--[[:alnum:]][-[:alnum:]]*)(( |=)([A-Z][A-Z_]*))?([[:space:]].*)?$/\2 \5/p'
}

# Prints the subcommands listed under "Commands:" in `CMD --help`.
_duende_mlock_commands() {
	"$1" --help 2>/dev/null | sed -nE '/^Commands:/,/^$/ s/^[[:space:]]+([a-z][-a-z]*)([[:space:]].*)?$/\1/p'
}

# Appends to COMPREPLY the words of $1 that start with $2.
_duende_mlock_add() {
	local w
	while IFS= read -r w; do
		[ -n "$w" ] && COMPREPLY+=("$w")
	done < <(compgen -W "$1" -- "$2")
}

_duende_mlock_pids() {
	local p pids=()
	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	_duende_mlock_add "${pids[*]}" "$1"
}

# Completes the value of an option whose value is named $1.
_duende_mlock_value() {
	local w
	case $1 in
	PID) _duende_mlock_pids "$2" ;;
	FILE | PATH | DIR)
		if declare -F _filedir >/dev/null; then
			cur=$2 _filedir
		else
			while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -f -- "$2")
		fi
		;;
	esac
}

_duende_mlock() {
	local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd=${COMP_WORDS[0]}
	local sub='' si=0 i w opt val options
	COMPREPLY=()
	[ "$cword" -gt 0 ] && prev=${COMP_WORDS[cword - 1]}
	# Bash splits "--pid=12" into "--pid", "=", "12".
	if [ "$cur" = = ]; then
		cur=
	elif [ "$prev" = = ] && [ "$cword" -gt 1 ]; then
		prev=${COMP_WORDS[cword - 2]}
	fi
	[[ $cmd == \~/* ]] && cmd=$HOME/${cmd#\~/}

	for ((i = 1; i < cword; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w != -* ]]; then
			sub=$w si=$i
			break
		fi
	done
	if [ -z "$sub" ]; then
		if [[ $cur == -* ]]; then
			_duende_mlock_add "$(_duende_mlock_options "$cmd" | cut -d' ' -f1)" "$cur"
		else
			_duende_mlock_add "$(_duende_mlock_commands "$cmd")" "$cur"
		fi
		return 0
	fi

	options=$(_duende_mlock_options "$cmd" "$sub")
	# The value of an option that takes one.
	if [[ $prev == -* ]]; then
		val=$(awk -v o="$prev" '$1 == o {print $2}' <<<"$options")
		if [ -n "$val" ]; then
			_duende_mlock_value "$val" "$cur"
			return 0
		fi
	fi

	if [ "$sub" = exec ]; then
		# PROGRAM is the first word after `--`, or after the options.
		for ((i = si + 1; i < cword; i++)); do
			w=${COMP_WORDS[i]}
			if [ "$w" = -- ]; then
				i=$((i + 1))
				break
			fi
			if [ "$w" = = ]; then
				i=$((i + 1))
				continue
			fi
			[[ $w == -* ]] || break
			opt=$(awk -v o="$w" '$1 == o {print $2}' <<<"$options")
			[ -n "$opt" ] && [ "${COMP_WORDS[i + 1]}" != = ] && i=$((i + 1))
		done
		if [ "$i" -lt "$cword" ] || { [ "$i" -eq "$cword" ] && [[ $cur != -* || ${COMP_WORDS[i - 1]} == -- ]]; }; then
			if declare -F _command_offset >/dev/null; then
				_command_offset "$i"
			elif [ "$i" -eq "$cword" ]; then
				_duende_mlock_add "$(compgen -c -- "$cur")" "$cur"
			else
				_duende_mlock_value FILE "$cur"
			fi
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		_duende_mlock_add "$(cut -d' ' -f1 <<<"$options")" "$cur"
	elif [ "$sub" = status ] || [ "$sub" = lock ]; then
		_duende_mlock_pids "$cur"
	fi
	return 0
}
complete -F _duende_mlock duende-mlock
