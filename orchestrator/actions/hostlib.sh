# shellcheck shell=sh
# hostlib.sh - the shell functions that havoc's commands call on hosts.
#
# POSIX sh: dash, bash and busybox ash run it (the SSH user's login shell
# runs havoc's commands; the dead-man timer runs under /bin/sh). It is
# built into havoc (hostlib.awk makes C of it), and every command havoc
# sends begins with the functions it calls, with those they call in turn
# (hostcmd.c picks them), so that a command runs on its own: the dead-man
# timer and `havoc recover` run it without havoc. The command then sets:
#
#   hv_lib	the functions' text, for a detached shell to define them
#   HV_DIR	havoc's state folder (HV_REMOTE_DIR): pid, lock, marks
#   HV_KEEP	state that must outlive a reboot (HV_KEEP_DIR)
#   HV_TAG	the fault's tag: it names its state files and marks what
#		it adds, so that a revert removes exactly that
#
# Rules of this file: a function is "NAME() {" and ends with "}" alone at
# the start of a line; a comment above it says what it takes and does.
# Values arrive as arguments, never as text to evaluate (only hv_inject,
# hv_undo, hv_deadman and hv_later evaluate text, and it is havoc's: an
# action's own command). Globals begin with hv_, so they never clash with
# a command's own variables. A value reaches a tool after "--" wherever
# the tool takes it; kill, the shell's, does not (pids are numbers here).
# Messages go to stderr; a function ends with its status.
#
# shellcheck disable=SC2154 # HV_DIR, HV_KEEP, HV_TAG, hv_lib: see above

# hv_need TOOL: fails (127) with a message when TOOL is not installed.
hv_need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	printf '%s is not installed on this host\n' "$1" >&2
	return 127
}

# hv_own_dir DIR: makes DIR (mode 700) if need be; fails when it is a
# link or another user's folder: it is in a folder that everyone writes
# to, and whoever owns it would choose what the files in it say.
hv_own_dir() {
	# shellcheck disable=SC2174 # chmod below sets the mode of the last
	mkdir -p -m 700 -- "$1" 2>/dev/null
	if [ -d "$1" ] && [ ! -h "$1" ] && [ -O "$1" ] &&
	    chmod 700 -- "$1" 2>/dev/null; then
		return 0
	fi
	printf '%s: a link, or a folder of another user\n' "$1" >&2
	return 1
}

# hv_state_dir: hv_own_dir of HV_DIR.
hv_state_dir() {
	hv_own_dir "$HV_DIR"
}

# hv_state_ok: HV_DIR is there and to be trusted (ours, not a link).
hv_state_ok() {
	[ -d "$HV_DIR" ] && [ ! -h "$HV_DIR" ] && [ -O "$HV_DIR" ]
}

# hv_file_ok FILE: a state file to be trusted: a regular file of this
# user's, not a link.
hv_file_ok() {
	[ -f "$1" ] && [ ! -h "$1" ] && [ -O "$1" ]
}

# hv_lock WAIT: takes the fault's lock (flock on HV_DIR/HV_TAG.lock,
# held on fd 9 until the shell ends), waiting WAIT seconds at most. 0
# when it holds it, or when there is no lock to take here (no flock, or
# one that cannot wait, the folder is not ours, a file system without
# locks): the caller goes on without; 1 when another command of this
# fault still holds it.
hv_lock() {
	hv_lockf=$HV_DIR/$HV_TAG.lock
	if hv_state_ok && [ ! -h "$hv_lockf" ] &&
	    command -v flock >/dev/null 2>&1 &&
	    { command exec 9>>"$hv_lockf"; } 2>/dev/null; then
		flock -w "$1" -E 75 9 2>/dev/null
		[ $? = 75 ] && return 1
	fi
	return 0
}

# hv_marked NAME: the fault bears the mark NAME (HV_DIR/HV_TAG.NAME).
hv_marked() {
	hv_state_ok && hv_file_ok "$HV_DIR/$HV_TAG.$1"
}

# hv_mark NAME: gives the fault the mark NAME, when HV_DIR is ours (an
# empty file: it needs no room on a full disk, only an inode).
hv_mark() {
	hv_state_ok && { true >"$HV_DIR/$HV_TAG.$1"; } 2>/dev/null
}

# hv_tidy: removes the marks of faults reverted more than a week ago.
hv_tidy() {
	command -v find >/dev/null 2>&1 || return 0
	find "$HV_DIR" -maxdepth 1 -type f \( -name '*.reverted' -o \
	    -name '*.reverting' \) -mtime +7 -exec rm -f -- {} + 2>/dev/null
	return 0
}

# hv_env PID: the environment of process PID, a line per variable. The
# file reads empty when PID is in execve, and when it exec'd between the
# open and the read (the open holds on to the old image): cat opens and
# reads at once (not a redirection, opened a fork and an exec before the
# read), and an empty read is tried again, 5 times in 0.1 s at most,
# unless the process is gone or a zombie (empty for good).
hv_env() {
	hv_t=0
	while :; do
		hv_e=$(cat -- "/proc/$1/environ" 2>/dev/null | tr '\0' '\n')
		[ -n "$hv_e" ] || [ "$hv_t" -ge 5 ] && break
		IFS= read -r hv_st 2>/dev/null <"/proc/$1/stat" || break
		case ${hv_st##*) } in
		Z*)	break ;;
		esac
		sleep 0.02
		hv_t=$((hv_t + 1))
	done
	[ -n "$hv_e" ] && printf '%s\n' "$hv_e"
	return 0
}

# hv_is_job PID: the process bears the mark (HAVOC_JOB in its
# environment) of a dead-man timer or a background fault of havoc's.
hv_is_job() {
	hv_env "$1" | grep -q '^HAVOC_JOB='
}

# hv_detach PIDFILE COMMAND [ARG...]: runs COMMAND (a program, exec, or
# one of these functions) detached from the SSH session: its own session
# and process group, no terminal, no lock, its pid in PIDFILE first
# (kill -TERM -PID then ends it and whatever it started), and the mark
# HAVOC_JOB=PIDFILE that hv_stop looks for. Waits 5 s at most for
# PIDFILE; fails when it did not appear.
hv_detach() {
	hv_pid=$1
	shift
	hv_state_dir || return 1
	rm -f -- "$hv_pid"
	# shellcheck disable=SC2016 # expanded by the detached shell
	HV_DIR=$HV_DIR HV_KEEP=$HV_KEEP HV_TAG=$HV_TAG HAVOC_JOB=$hv_pid \
	    setsid sh -c 'hv_lib=$1; eval "$hv_lib"; echo $$ >"$2"; shift 2
	    "$@"' sh "$hv_lib" "$hv_pid" "$@" </dev/null >/dev/null 2>&1 9>&- &
	hv_i=0
	while [ ! -s "$hv_pid" ] && [ "$hv_i" -lt 50 ]; do
		sleep 0.1
		hv_i=$((hv_i + 1))
	done
	[ -s "$hv_pid" ] && return 0
	echo 'cannot start in the background' >&2
	return 1
}

# hv_stop PIDFILE: ends what hv_detach started with PIDFILE, with its
# whole process group (TERM, then KILL after 5 s), and removes PIDFILE.
# Trusted only: a pid file of ours, and a group whose leader or one of
# its members bears that start's mark (a pid file that outlived its
# process, after a reboot or a kill -9, may name someone else's). Never
# fails.
hv_stop() {
	hv_file_ok "$1" || return 0
	hv_p=$(cat -- "$1")
	if [ "$hv_p" -gt 1 ] 2>/dev/null; then
		for hv_q in "$hv_p" $(pgrep -g "$hv_p" 2>/dev/null); do
			hv_env "$hv_q" | grep -qxF -- "HAVOC_JOB=$1" && break
			hv_q=
		done
		if [ -n "$hv_q" ]; then
			kill -TERM -"$hv_p" 2>/dev/null
			hv_i=0
			while kill -0 -"$hv_p" 2>/dev/null &&
			    [ "$hv_i" -lt 50 ]; do
				sleep 0.1
				hv_i=$((hv_i + 1))
			done
			kill -KILL -"$hv_p" 2>/dev/null
		fi
	fi
	rm -f -- "$1"
	return 0
}

# hv_revert_once REVERT: the fault's revert, run unless it was reverted
# already (by havoc, or by the dead-man timer). The caller holds the
# lock. The mark "reverting" is set first: an inject that comes after
# does nothing; "reverted" when the revert worked: a second revert does
# nothing. The revert runs in a subshell without the lock (what it
# starts, a daemon, must not hold it) and without the job mark.
hv_revert_once() {
	hv_marked reverted && return 0
	hv_marked reverting || hv_mark reverting
	(unset HAVOC_JOB; eval "$1") 9>&-
	hv_rc=$?
	if [ "$hv_rc" = 0 ] && hv_state_ok; then
		mv -f -- "$HV_DIR/$HV_TAG.reverting" \
		    "$HV_DIR/$HV_TAG.reverted" 2>/dev/null ||
		    hv_mark reverted
	fi
	return "$hv_rc"
}

# hv_deadman SECONDS WAIT REVERT: the dead-man timer (run by hv_detach):
# sleeps, then reverts, in turn with havoc's revert (the lock, waited
# for WAIT seconds at most; then it reverts all the same, as nothing
# else would), and cleans up.
hv_deadman() {
	sleep "$1"
	hv_lock "$2"
	hv_revert_once "$3"
	rm -f -- "$HV_DIR/$HV_TAG.lock" "$HV_DIR/$HV_TAG.deadman"
}

# hv_inject WAIT SECONDS TIMER_WAIT REVERT INJECT: injects a fault, in
# turn with its revert: under the fault's lock (waited for WAIT seconds
# at most), and only if no revert of it has begun; arms the dead-man
# timer first (SECONDS > 0), which runs REVERT then. The inject goes on
# to its end when the SSH channel closes (SIGPIPE and SIGHUP ignored),
# holding the lock: a revert waits for it.
hv_inject() {
	trap '' PIPE HUP
	hv_state_dir || return 1
	if ! hv_lock "$1"; then
		echo 'another command of this fault still runs; not' \
		    'injected' >&2
		return 75
	fi
	if hv_marked reverting || hv_marked reverted; then
		echo 'its revert has begun; not injected' >&2
		return 75
	fi
	hv_tidy
	if [ "$2" -gt 0 ]; then
		hv_detach "$HV_DIR/$HV_TAG.deadman" hv_deadman "$2" "$3" \
		    "$4" || return 1
	fi
	{ eval "$5"; } 9>&-
}

# hv_undo WAIT REVERT: havoc's revert of a fault: in turn with its
# inject and its dead-man timer (the lock, waited for WAIT seconds at
# most: 75 when it is still held; the timer stays armed), once (a second
# revert does nothing), then disarms the timer. A revert that fails
# leaves the timer armed, as a second chance that needs no havoc.
hv_undo() {
	trap '' PIPE HUP
	hv_state_dir 2>/dev/null
	if ! hv_lock "$1"; then
		printf '%s %s\n' "the inject or the dead-man timer of this" \
		    "fault still runs after $1 s; not reverted yet" >&2
		return 75
	fi
	hv_revert_once "$2" || return
	hv_stop "$HV_DIR/$HV_TAG.deadman"
	rm -f -- "$HV_DIR/$HV_TAG.lock" 2>/dev/null
	return 0
}

# hv_later SECONDS COMMAND: runs the shell command COMMAND that much
# later, detached (host.reboot: the SSH session ends cleanly first).
hv_later() {
	# shellcheck disable=SC2016 # expanded by the detached shell
	setsid sh -c 'sleep "$1"; eval "$2"' sh "$1" "$2" </dev/null \
	    >/dev/null 2>&1 &
}

# hv_bg_start WHAT PROGRAM [ARG...]: a fault that is a process (stress,
# a listener), in the background for as long as the fault lasts, with
# the pid file HV_DIR/HV_TAG.WHAT; fails unless it still runs a moment
# later.
hv_bg_start() {
	hv_pf=$HV_DIR/$HV_TAG.$1
	shift
	hv_need "$1" || return
	hv_detach "$hv_pf" exec "$@" || return 1
	sleep 0.3
	kill -0 "$(cat -- "$hv_pf")" 2>/dev/null && return 0
	echo 'it exited at once' >&2
	rm -f -- "$hv_pf"
	return 1
}

# hv_bg_stop WHAT: ends hv_bg_start's WHAT (hv_stop).
hv_bg_stop() {
	hv_stop "$HV_DIR/$HV_TAG.$1"
}

# hv_rule_add [-6] CHAIN ARG...: inserts the rule (iptables, or with -6
# ip6tables) at the top of CHAIN, marked with the tag as its comment.
hv_rule_add() {
	hv_ipt=iptables
	if [ "$1" = -6 ]; then
		hv_ipt=ip6tables
		shift
	fi
	hv_need "$hv_ipt" || return
	"$hv_ipt" -w -I "$@" -m comment --comment "$HV_TAG"
}

# hv_rule_del [-6] CHAIN ARG...: removes every copy of the rule (16 at
# most) that hv_rule_add inserted. Fails, and hv_rules_gone fails after,
# when it is still there or iptables cannot tell (not when iptables is
# not installed: then there is no rule).
hv_rule_del() {
	hv_ipt=iptables
	if [ "$1" = -6 ]; then
		hv_ipt=ip6tables
		shift
	fi
	hv_i=0
	while [ "$hv_i" -lt 16 ] && "$hv_ipt" -w -D "$@" -m comment \
	    --comment "$HV_TAG" 2>/dev/null; do
		hv_i=$((hv_i + 1))
	done
	command -v "$hv_ipt" >/dev/null 2>&1 || return 0
	# The loop ends at the first failure, whatever its cause (the
	# xtables lock, a module): -C says whether the rule is gone (1; 2,
	# a rule it cannot even parse here, cannot be there), still there
	# (0), or cannot be told (else: not root, no IPv6).
	"$hv_ipt" -w -C "$@" -m comment --comment "$HV_TAG" 2>/dev/null
	case $? in
	1|2)	return 0 ;;
	0)	echo "$hv_ipt: a rule in $1 is still there" >&2 ;;
	*)	echo "$hv_ipt: cannot tell whether a rule in $1 is still" \
		    "there" >&2 ;;
	esac
	hv_left=1
	return 1
}

# hv_rules_gone: every rule that hv_rule_del removed is gone.
hv_rules_gone() {
	[ "${hv_left:-0}" = 0 ]
}

# hv_tc_free IFACE: fails when IFACE has a root qdisc of its own (not
# the kernel's default): havoc leaves it alone.
hv_tc_free() {
	hv_need tc || return
	if tc qdisc show dev "$1" | grep -q ' root' &&
	    ! tc qdisc show dev "$1" | grep -q '^qdisc [a-z_]* 0: root'; then
		echo "$1 has a root qdisc of its own; havoc leaves it alone" >&2
		return 1
	fi
}

# hv_tc_del IFACE HANDLE: removes havoc's root qdisc HANDLE from IFACE,
# if it is there, and nobody's else.
hv_tc_del() {
	if tc qdisc show dev "$1" 2>/dev/null |
	    grep -q "^qdisc [a-z_]* $2 root"; then
		tc qdisc del dev "$1" root handle "$2"
	fi
}

# hv_procs name NAME | pattern ERE: the pids of the processes whose name
# is exactly NAME (read from /proc: no regular expression, no option), or
# whose command line matches ERE (pgrep -f).
hv_procs() {
	if [ "$1" = pattern ]; then
		hv_need pgrep || return
		pgrep -f -- "$2"
		return 0
	fi
	for hv_d in /proc/[0-9]*; do
		IFS= read -r hv_c 2>/dev/null <"$hv_d/comm" || continue
		[ "$hv_c" = "$2" ] && echo "${hv_d#/proc/}"
	done
	return 0
}

# hv_signal SIGNAL name NAME | pattern ERE [oldest]: sends SIGNAL to the
# matching processes (or only the oldest one), never to havoc's own: not
# this shell, not its parent (the SSH session), not a process that bears
# a job mark (a dead-man timer, whose sleep a pattern may match, or a
# background fault). STOP is a fault: only processes not stopped already,
# and their pids are kept (HV_DIR/HV_TAG.stopped) for hv_cont.
hv_signal() {
	hv_sig=$1
	hv_p=
	for hv_q in $(hv_procs "$2" "$3"); do
		[ "$hv_q" = "$$" ] || [ "$hv_q" = "$PPID" ] && continue
		[ -d "/proc/$hv_q" ] || continue
		hv_is_job "$hv_q" && continue
		if [ "$hv_sig" = STOP ]; then
			IFS= read -r hv_st 2>/dev/null <"/proc/$hv_q/stat" ||
			    continue
			case ${hv_st##*) } in
			[Tt]*)	continue ;;
			esac
		fi
		hv_p="$hv_p $hv_q"
	done
	if [ "$4" = oldest ] && [ -n "$hv_p" ]; then
		# shellcheck disable=SC2086 # a list of pids
		hv_p=$(ps -o pid= --sort=start_time -p "$(echo $hv_p |
		    tr ' ' ,)" | head -n 1)
	fi
	if [ -z "$hv_p" ]; then
		if [ "$hv_sig" = STOP ]; then
			echo 'no running process matched' >&2
		else
			echo 'no process matched' >&2
		fi
		return 1
	fi
	if [ "$hv_sig" = STOP ]; then
		hv_state_dir || return 1
		# shellcheck disable=SC2086 # a list of pids
		echo $hv_p >"$HV_DIR/$HV_TAG.stopped" || return 1
	fi
	hv_n=
	for hv_q in $hv_p; do
		kill -"$hv_sig" "$hv_q" 2>/dev/null && hv_n=1
	done
	[ -n "$hv_n" ] && return 0
	echo 'every process matched is gone' >&2
	return 1
}

# hv_cont: SIGCONT to exactly the processes hv_signal STOP stopped (not
# to one that someone else stopped); one that is gone since is no
# failure.
hv_cont() {
	hv_f=$HV_DIR/$HV_TAG.stopped
	hv_file_ok "$hv_f" || return 0
	# shellcheck disable=SC2013 # pids, one word each
	for hv_q in $(cat -- "$hv_f"); do
		case $hv_q in
		*[!0-9]*)	;;
		*)	kill -CONT "$hv_q" 2>/dev/null ;;
		esac
	done
	rm -f -- "$hv_f"
}

# hv_service VERB NAME: VERB (start, stop, restart, status) the service
# NAME: with systemd when the host runs it, else service(8), else its
# /etc/init.d script.
hv_service() {
	if [ -d /run/systemd/system ] &&
	    command -v systemctl >/dev/null 2>&1; then
		systemctl "$1" -- "$2"
	elif command -v service >/dev/null 2>&1; then
		service "$2" "$1"
	elif [ -x "/etc/init.d/$2" ]; then
		"/etc/init.d/$2" "$1"
	else
		echo 'no service manager found' >&2
		return 127
	fi
}

# hv_service_stop NAME: stops the service, when it runs (else its revert
# would start it, and leave the host otherwise than it was), with a mark
# on disk (HV_KEEP/HV_TAG.stopped: a reboot meanwhile does not lose it)
# for hv_service_restore.
hv_service_stop() {
	if ! hv_service status "$1" >/dev/null 2>&1; then
		echo "$1 is not running; havoc leaves it alone" >&2
		return 1
	fi
	hv_own_dir "$HV_KEEP" || return 1
	{ true >"$HV_KEEP/$HV_TAG.stopped"; } 2>/dev/null || return 1
	hv_service stop "$1"
}

# hv_service_restore NAME: starts the service again if hv_service_stop
# stopped it (also when that failed half-way); else nothing.
hv_service_restore() {
	if hv_file_ok "$HV_KEEP/$HV_TAG.stopped"; then
		hv_service start "$1" || return
		rm -f -- "$HV_KEEP/$HV_TAG.stopped"
	fi
	rmdir -- "$HV_KEEP" 2>/dev/null
	return 0
}

# hv_fill FOLDER BYTES: a file of BYTES in FOLDER (havoc-fill-TAG), made
# with fallocate, else written with dd; nothing left when it fails.
hv_fill() {
	hv_f=$1/havoc-fill-$HV_TAG
	if [ ! -d "$1" ]; then
		echo "$1: not a folder" >&2
		return 1
	fi
	if [ -e "$hv_f" ] || [ -h "$hv_f" ]; then
		echo "$hv_f: there already" >&2
		return 1
	fi
	fallocate -l "$2" -- "$hv_f" 2>/dev/null && return 0
	dd if=/dev/zero of="$hv_f" bs=1048576 \
	    count=$((($2 + 1048575) / 1048576)) status=none && return 0
	rm -f -- "$hv_f"
	return 1
}

# hv_unfill FOLDER: removes hv_fill's file.
hv_unfill() {
	rm -f -- "$1/havoc-fill-$HV_TAG"
}

# hv_user_add NAME [OPTION...]: a new account NAME (useradd with the
# options), marked with the tag as its comment (GECOS); one that exists
# already is refused and never touched.
hv_user_add() {
	hv_need useradd || return
	hv_u=$1
	shift
	if id -u -- "$hv_u" >/dev/null 2>&1; then
		echo "user $hv_u exists already; havoc leaves it alone" >&2
		return 1
	fi
	useradd -M -c "$HV_TAG" "$@" -- "$hv_u"
}

# hv_user_del NAME: removes the account if it bears the tag (whether or
# not havoc's inject ran). userdel -f: a second root (uid 0) always "is
# used by process 1", which plain userdel refuses.
hv_user_del() {
	[ "$(getent passwd -- "$1" | cut -d: -f5)" = "$HV_TAG" ] || return 0
	userdel -f -- "$1"
}

# hv_listen ADDRESS PORT: a listener on a TCP port (python3, on almost
# every host) that answers each connection with a line; a port in use is
# refused.
hv_listen() {
	hv_need python3 || return
	if command -v ss >/dev/null 2>&1 &&
	    ss -Hltn "sport = :$2" | grep -q .; then
		echo "port $2 is in use already" >&2
		return 1
	fi
	hv_bg_start listener python3 -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a, int(sys.argv[2])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"havoc open_port\n")
    c.close()' "$1" "$2"
}

# hv_tamper append|replace PATH TEXT, chmod PATH MODE, delete PATH:
# changes a regular file (or none, then made) as an intruder would,
# keeping an exact copy (cp -a: content, mode, owner, times, extended
# attributes) in HV_KEEP, on disk, for hv_untamper. One fault per path at
# a time: each records its path (HV_KEEP/HV_TAG.path), and a path that
# another fault still holds is refused (their dead-man timers would fire
# oldest first, and the newer would put the older's change back).
hv_tamper() {
	hv_m=$HV_KEEP/$HV_TAG.path
	hv_c=$HV_KEEP/$HV_TAG.orig
	hv_own_dir "$HV_KEEP" || return 1
	for hv_x in "$HV_KEEP"/*.path; do
		if [ -f "$hv_x" ] && [ "$hv_x" != "$hv_m" ] &&
		    [ "$(cat -- "$hv_x")" = "$2" ]; then
			echo "$2: changed by another havoc fault" \
			    "(${hv_x##*/}), not reverted yet" >&2
			return 1
		fi
	done
	if [ -h "$2" ] || { [ -e "$2" ] && [ ! -f "$2" ]; }; then
		echo "$2: not a regular file" >&2
		return 1
	fi
	printf %s "$2" >"$hv_m" || return 1
	# The copy is made whole (a full disk) before it bears the name
	# that the revert trusts.
	if [ -e "$2" ]; then
		if ! { cp -a -- "$2" "$hv_c.tmp" && mv -- "$hv_c.tmp" "$hv_c"; }
		then
			rm -f -- "$hv_c.tmp"
			echo "$2: cannot keep a copy" >&2
			return 1
		fi
	else
		{ true >"$HV_KEEP/$HV_TAG.absent"; } 2>/dev/null || return 1
	fi
	case $1 in
	append)		printf %s "$3" >>"$2" ;;
	replace)	printf %s "$3" >"$2" ;;
	chmod)		chmod -- "$3" "$2" ;;
	delete)		rm -f -- "$2" ;;
	*)		echo "$1: no such change" >&2; return 1 ;;
	esac
}

# hv_untamper PATH: puts back what hv_tamper changed, from a keep folder
# of ours only (HV_KEEP is in a sticky folder: nobody else can swap it).
hv_untamper() {
	hv_c=$HV_KEEP/$HV_TAG.orig
	hv_a=$HV_KEEP/$HV_TAG.absent
	[ -d "$HV_KEEP" ] && [ ! -h "$HV_KEEP" ] && [ -O "$HV_KEEP" ] ||
	    return 0
	if [ -f "$hv_c" ]; then
		cp -a -- "$hv_c" "$1" && rm -f -- "$hv_c" || return 1
	elif [ -f "$hv_a" ]; then
		rm -f -- "$1" "$hv_a" || return 1
	fi
	rm -f -- "$HV_KEEP/$HV_TAG.path"
	rmdir -- "$HV_KEEP" 2>/dev/null
	return 0
}
