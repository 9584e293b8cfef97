#!/usr/bin/env bash
# test/docker/dockerd.sh: the docker suite's private Docker daemon.
#
#   dockerd.sh install   install docker.io and busybox-static from Debian's
#                        archive when missing (make test-docker runs it)
#   dockerd.sh run       start a private dockerd under a new temporary
#                        directory, print "ready DIR" once it answers, hold it
#                        until standard input closes, then stop it, remove
#                        what it made and check that nothing is left
#
# TestMain (docker_test.go) starts "run" in a session of its own, so that ^C
# does not reach it, and keeps the write end of its standard input. However
# the test binary ends (done, ^C, go test's timeout panic, a SIGKILL), that
# input closes and this script tears the daemon down: a cleanup inside the
# test binary would be skipped by a panic or a kill. SIGTERM, SIGINT or SIGHUP
# to this script tear down as well.
#
# Environment: DOCKERD and DOCKER, the daemon and the CLI to use (default:
# from PATH); DOCKERSUITE_STOP_TIMEOUT, seconds to wait for dockerd after
# SIGTERM before SIGKILL (default 60: dockerd gives running containers 15 s).
set -uo pipefail

install_missing() {
	local need=()
	command -v dockerd >/dev/null || need+=(docker.io)
	# busybox (the dynamic one) would also give /bin/busybox: the image has no
	# libc, so it must be the static package.
	dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
	((${#need[@]})) || return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${need[@]}"
}

DOCKERD=${DOCKERD:-dockerd}
DOCKER=${DOCKER:-docker}
stop_timeout=${DOCKERSUITE_STOP_TIMEOUT:-60}
dir= pid= holdpid= cgparent= premade=()

# alive PID: the process exists and is not a zombie (our own dead child
# stays a zombie until waited for, and kill -0 would still succeed).
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# mounts_under: the mount points at or below $dir, deepest first.
mounts_under() {
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# procs_of_dir: processes whose command line names $dir (dockerd, its
# containerd, the shims), as "pid: cmdline".
procs_of_dir() {
	local f c
	for f in /proc/[0-9]*/cmdline; do
		c=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
		case $c in *"$dir"*) f=${f#/proc/}; echo "${f%/cmdline}: $c" ;; esac
	done
}

# cgroups: the cgroup directories the daemon's containers went under.
cgroups() {
	local d
	for d in /sys/fs/cgroup/"$cgparent" /sys/fs/cgroup/*/"$cgparent"; do
		[ -d "$d" ] && echo "$d"
	done
}

teardown() {
	local status=$? left=() i m c p forced=0
	# The test binary may be gone, and with it the reader of our stderr.
	trap '' PIPE INT TERM HUP
	[ -n "$holdpid" ] && kill "$holdpid" 2>/dev/null && wait "$holdpid" 2>/dev/null
	if [ -n "$pid" ] && alive "$pid"; then
		# Backstop for a test binary that died before removing its
		# containers: dockerd would otherwise wait 15 s on each.
		# (Bounded: a daemon that hangs must not hang the teardown.)
		c=$(timeout 20 "$DOCKER" ps -aq 2>/dev/null)
		[ -n "$c" ] && timeout 60 "$DOCKER" rm -f $c >/dev/null 2>&1
		kill -TERM "$pid"
		for ((i = 0; i < stop_timeout * 10; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			# Only now SIGKILL: it leaves mounts (exec/netns/default), the
			# managed containerd's shims and their containers, removed below.
			echo "dockerd.sh: dockerd did not stop ${stop_timeout}s after SIGTERM: killing it" >&2
			kill -KILL "$pid"
			forced=1
			for p in $(cat $(cgroups | sed 's|$|/*/cgroup.procs|') 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null
			done
			procs_of_dir | while IFS=: read -r p _; do kill -KILL "$p" 2>/dev/null; done
		fi
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	if [ -n "$dir" ]; then
		for m in $(mounts_under); do
			umount "$m" 2>/dev/null || umount -l "$m"
		done
		rm -rf "$dir"
	fi
	# A container's cgroup goes with it; the parent runc made for them stays.
	if [ -n "$cgparent" ]; then
		for ((i = 0; i < 50; i++)); do
			c=$(cgroups)
			[ -z "$c" ] && break
			for m in $c; do
				find "$m" -depth -type d -exec rmdir {} + 2>/dev/null
			done
			[ -z "$(cgroups)" ] || sleep 0.1
		done
	fi
	# What dockerd and containerd make whatever their roots: /run/docker
	# (plugins), /run/containerd (the shims' sockets); and umount's
	# /run/mount. Removed when this run made them: the empty directories,
	# and after a forced stop, the sockets the killed shims left.
	for p in /run/containerd /run/docker /run/mount; do
		[[ " ${premade[*]} " == *" $p "* ]] && continue
		if ((forced)); then
			rm -rf "$p"
		elif [ -d "$p" ]; then
			find "$p" -depth -type d -empty -delete
		fi
	done

	# What must not be left, whatever happened above.
	if [ -n "$dir" ]; then
		[ -e "$dir" ] && left+=("directory $dir")
		while read -r m; do [ -n "$m" ] && left+=("mount $m"); done < <(mounts_under)
		while read -r p; do [ -n "$p" ] && left+=("process $p"); done < <(procs_of_dir)
	fi
	[ -n "$pid" ] && alive "$pid" && left+=("dockerd (pid $pid)")
	[ -n "$cgparent" ] && while read -r c; do [ -n "$c" ] && left+=("cgroup $c"); done < <(cgroups)
	for p in /run/containerd /run/docker /run/mount; do
		[[ " ${premade[*]} " == *" $p "* ]] || [ ! -e "$p" ] || left+=("directory $p")
	done
	if ((${#left[@]})); then
		printf 'dockerd.sh: left behind:\n' >&2
		printf '  %s\n' "${left[@]}" >&2
		exit 1
	fi
	exit "$status"
}

run() {
	local i
	for p in /run/containerd /run/docker /run/mount; do
		[ -e "$p" ] && premade+=("$p")
	done
	trap teardown EXIT
	trap 'exit 130' INT TERM HUP
	dir=$(mktemp -d "${TMPDIR:-/tmp}/dockersuite.XXXXXX") || exit 1
	# Containers' cgroups go below a parent of this run's own, which the
	# teardown can remove (runc leaves the parent behind).
	cgparent=dockersuite-${dir##*.}
	# Everything under $dir: not the machine's /etc/docker/daemon.json, no
	# /etc/docker/key.json (docker.io 20.10 has no flag for its path, only
	# this configuration key), no ~/.docker for the client.
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$dir" >"$dir/daemon.json"
	export DOCKER_HOST=unix://$dir/docker.sock DOCKER_CONFIG=$dir/cli
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	"$DOCKERD" --config-file "$dir/daemon.json" \
		--storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
		--cgroup-parent "/$cgparent" \
		--data-root "$dir/root" --exec-root "$dir/exec" -H "$DOCKER_HOST" \
		--pidfile "$dir/dockerd.pid" </dev/null >"$dir/dockerd.log" 2>&1 &
	pid=$!
	for ((i = 0; ; i++)); do
		"$DOCKER" version >/dev/null 2>&1 && break
		if ! alive "$pid" || ((i >= 600)); then
			if alive "$pid"; then
				echo "dockerd.sh: dockerd did not answer within 60 s; its log ends:" >&2
			else
				echo "dockerd.sh: dockerd exited; its log ends:" >&2
			fi
			tail -20 "$dir/dockerd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "ready $dir"
	exec >&2
	# Wait for the end of standard input in the background, so that a
	# signal's trap runs at once rather than after the foreground command.
	cat >/dev/null <&0 &
	holdpid=$!
	wait "$holdpid"
	holdpid=
	exit 0
}

case ${1-} in
install) install_missing ;;
run) run ;;
*)
	echo "usage: dockerd.sh install|run" >&2
	exit 2
	;;
esac
