#!/usr/bin/env bash
# hack/bench.sh: ctrun's benchmarks (make bench). Each figure is a ratio
# against a peer measured in the same run, as these machines are noisy:
#
#   start       ctrun /bin/true, whole process, root and unprivileged, against
#               unshare -fp --mount-proc (the kernel floor), bwrap, crun, runc
#               and bare libcontainer (hack/lcfloor: ctrun's spec, the
#               command exec'd by libcontainer's own init, nothing else)
#   restart     from a member's fatal death to the command running again,
#               against a shell loop restarting the same probe; and the
#               memory of a holder keeping the next instance ready
#   kill1000    a fatal event in a contract of 1000 members until ctrun has
#               returned, against the kernel tearing down a PID namespace of
#               1000 (unshare with its PID 1 killed)
#   memory      VmRSS of ctrun's own processes (holder + init) holding a sleep
#   observe     2000 runs of /bin/true under -f core,signal -i fork,exit -v,
#               against the same script under unshare -fp --mount-proc, in
#               alternating pairs (median of the pair ratios); root and
#               uid 65534 (against unshare -Urfp)
#   ctstat      listing 100 live contracts
#   ctwatch     delay from a member's exit to ctwatch printing it; 100 members
#               forking and exiting as fast as they can, watched and not
#   handover    a regent's restart that hands over 100 inherited sub-contracts
#               (-t), against the same regent and command with none to hand
#               over
#   container   in a container's restrictions, simulated (test/restrict:
#               its own network namespace, namespaces refused by seccomp,
#               read-only cgroups): ctrun's start and observation overhead
#               against tini's in the same one
#
# Needs root (it also runs ctrun as uid 65534). Peers it lacks it installs
# from Debian's archive. Usage: hack/bench.sh [section...]
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(start restart kill1000 memory observe ctstat ctwatch handover container)

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v crun >/dev/null || need+=(crun)
command -v runc >/dev/null || need+=(runc)
command -v tini >/dev/null || need+=(tini)
if ((${#need[@]})); then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

make -s all
work=$(mktemp -d /tmp/ctrun-bench-XXXXXX)
chmod 755 "$work"
cleanup() {
	pkill -KILL -f "$work/" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# World-readable copies, so uid 65534 can run them.
cp bin/ctrun bin/ctstat bin/ctkill bin/ctwatch "$work/"
# The bare-libcontainer peer (see hack/lcfloor): ctrun's spec, nothing else.
CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo -ldflags "-s -w -extldflags -static" -o "$work/lcfloor" ./hack/lcfloor
cc -O2 -pthread -o "$work/probe" test/probe/probe.c
# The restrictions of a default container, without Docker (test/restrict).
go build -o "$work/restrict" ./test/restrict
ctrun=$work/ctrun
probe=$work/probe
xdg=$work/xdg
mkdir -m 700 "$xdg" && chown 65534:65534 "$xdg"
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$xdg" "$@"; }

# hyperfine's mean (ms) of each command, from its JSON export.
means() { python3 -c 'import json,sys; [print(round(r["mean"]*1000,2)) for r in json.load(open(sys.argv[1]))["results"]]' "$1"; }
ratio() { python3 -c "import sys; print(round(float(sys.argv[1])/float(sys.argv[2]), 2))" "$1" "$2"; }
# KiB as MiB, to two decimals (a target of 6 MiB is 6144 KiB).
mib() { python3 -c "import sys; print(format(int(sys.argv[1]) / 1024, '.2f'))" "$1"; }
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin.read().split()]; print(round(statistics.median(v),2))'; }
say() { printf '%-10s %s\n' "$1" "$2"; }
# kill_contracts: SIGKILL every contract ctstat lists (what a section made).
kill_contracts() {
	local id
	for id in $("$work/ctstat" | awk 'NR>1 {print $1}'); do "$work/ctkill" -s KILL "$id" >/dev/null 2>&1 || true; done
}

bench_start() {
	# runc and crun need a bundle; crun refuses this hybrid cgroup host unless
	# /sys/fs/cgroup/unified is out of the way, so the whole comparison runs
	# in a private mount namespace without it (ctrun does not care).
	local b=$work/bundle
	mkdir -p "$b/rootfs/bin"
	cp /bin/true "$b/rootfs/bin/"
	for lib in $(ldd /bin/true | grep -o '/[^ ]*'); do
		mkdir -p "$b/rootfs$(dirname "$lib")"
		cp "$lib" "$b/rootfs$lib"
	done
	(cd "$b" && runc spec)
	python3 - "$b/config.json" <<-'EOF'
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["terminal"] = False
		c["process"]["args"] = ["/bin/true"]
		c["linux"]["cgroupsPath"] = "ctrun-bench-peer"   # below our own cgroup
		json.dump(c, open(p, "w"))
	EOF
	unshare -m --propagation private sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; cd $b && hyperfine -N -w 5 -r 40 --export-json $work/start.json \
		'unshare -fp --mount-proc /bin/true' \
		'bwrap --unshare-pid --dev-bind / / --proc /proc /bin/true' \
		'crun run --bundle $b peer' \
		'runc run --bundle $b peer' \
		'$work/lcfloor /bin/true' \
		'$ctrun /bin/true'" >/dev/null
	mapfile -t m < <(means "$work/start.json")
	say start "root: unshare ${m[0]} ms, bwrap ${m[1]} ms, crun ${m[2]} ms, runc ${m[3]} ms, bare libcontainer ${m[4]} ms, ctrun ${m[5]} ms"
	say start "root: ctrun/unshare $(ratio "${m[5]}" "${m[0]}")x (target <= 6), runc/ctrun $(ratio "${m[3]}" "${m[5]}")x (target >= 1.5), crun/ctrun $(ratio "${m[2]}" "${m[5]}")x"
	say start "root: bare libcontainer/unshare $(ratio "${m[4]}" "${m[0]}")x, ctrun/bare libcontainer $(ratio "${m[5]}" "${m[4]}")x (target <= 1.1)"
	as_user hyperfine -N -w 5 -r 40 --export-json "$xdg/ustart.json" \
		'unshare -Urfp --mount-proc /bin/true' "$work/lcfloor /bin/true" "$ctrun /bin/true" >/dev/null
	mapfile -t u < <(means "$xdg/ustart.json")
	say start "uid 65534: unshare -U ${u[0]} ms, bare libcontainer ${u[1]} ms, ctrun ${u[2]} ms: ctrun/unshare $(ratio "${u[2]}" "${u[0]}")x, bare libcontainer/unshare $(ratio "${u[1]}" "${u[0]}")x, ctrun/bare libcontainer $(ratio "${u[2]}" "${u[1]}")x"
}

bench_restart() {
	# The probe of issue 12: it stamps its start, lives a little over a
	# second (so no crash-loop pause is part of what is measured), stamps
	# its death and dies of SIGSEGV. ctrun restarts it in a new contract;
	# the peer is a plain shell loop running it again.
	local n=8 f=$work/restarts
	local body='echo "start $EPOCHREALTIME" >>"$0"; sleep 1.05; echo "death $EPOCHREALTIME" >>"$0"; kill -SEGV $$'
	rm -f "$f"
	"$ctrun" -r "$n" -f core bash -c "$body" "$f" 2>/dev/null || true
	local ours loop
	ours=$(restart_latency "$f")
	rm -f "$f"
	bash -c 'for i in $(seq 0 "$1"); do bash -c "$2" "$3"; done' loop "$n" "$body" "$f" 2>/dev/null || true
	loop=$(restart_latency "$f")
	say restart "fatal death to running again, median of $n: ctrun $ours ms, shell loop $loop ms: $(ratio "$ours" "$loop")x (target <= 1.5)"
	# What the instance kept ready for the next restart costs: holder,
	# init and the next run's waiting init, as root and uid 65534.
	local who
	for who in root user; do
		if [ $who = root ]; then
			"$ctrun" -r 0 sleep 30 &
		else
			as_user "$ctrun" -r 0 sleep 30 &
		fi
		local h=$! holder kids total=0 k
		sleep 1
		holder=$(pgrep -f "^$ctrun -r 0 sleep 30" | head -1)
		kids=$(pgrep -P "$holder" | tr '\n' ' ')
		total=$(rss "$holder")
		for k in $kids; do total=$((total + $(rss "$k"))); done
		say restart "$who, with the next instance ready: holder + $(echo $kids | wc -w) inits = $total KiB = $(mib "$total") MiB (target <= 8 MiB)"
		kill -TERM "$holder"
		wait "$h" 2>/dev/null || true
	done
}

bench_kill1000() {
	local t0 t1 kern ours
	# The kernel: a PID namespace of 1000, its PID 1 killed from outside.
	rm -f "$work/spawned"
	unshare -fp --mount-proc sh -c "$probe spawn 1000 120 > $work/spawned; sleep 120" 2>/dev/null &
	local up=$!
	while [ ! -s "$work/spawned" ]; do sleep 0.05; done
	local nsinit
	nsinit=$(cat /proc/$up/task/*/children | awk '{print $1}')
	t0=$(date +%s%N)
	kill -KILL "$nsinit"
	wait "$up" 2>/dev/null || true
	t1=$(date +%s%N)
	kern=$(( (t1 - t0) / 1000 ))
	# ctrun: a member's fatal SIGSEGV in a contract of 1000.
	rm -f "$work/spawned" "$work/t0"
	"$ctrun" -f core sh -c "$probe spawn 1000 120 > $work/spawned & while [ ! -s $work/spawned ]; do sleep 0.05; done; $probe stamp $work/t0 t; $probe segv; sleep 120" 2>/dev/null || true
	t1=$(date +%s%N)
	t0=$(awk '{print $2}' "$work/t0")
	ours=$(( (t1 - t0) / 1000 ))
	say kill1000 "kernel teardown $((kern / 1000)) ms, ctrun fatal event to return $((ours / 1000)) ms: $(ratio "$ours" "$kern")x (target <= 1.5)"
}

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# VmRSS's parts: anonymous memory (heap, stacks) and mapped file pages (the
# binary's), KiB.
rss_parts() { awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print "anon " a ", file " f}' "/proc/$1/status"; }

bench_memory() {
	local who
	for who in root user; do
		if [ $who = root ]; then
			"$ctrun" sleep 30 &
		else
			as_user "$ctrun" sleep 30 &
		fi
		local h=$!
		sleep 1
		local holder init
		holder=$(pgrep -f "^$ctrun sleep 30" | head -1)
		init=$(pgrep -P "$holder" | head -1)
		# Each read once, so that the parts printed add up to the total.
		local hk ik
		hk=$(rss "$holder") ik=$(rss "$init")
		say memory "$who: holder $hk KiB ($(rss_parts "$holder")) + init $ik KiB ($(rss_parts "$init")) = $((hk + ik)) KiB = $(mib $((hk + ik))) MiB (target <= 6)"
		kill -TERM "$holder"
		wait "$h" 2>/dev/null || true
	done
}

# paired N A B: runs the commands A and B (words split) alternately, N
# pairs in ABBA order, so that a machine getting busier or quieter during
# the run weighs on both alike; prints the median time of each (ms) and the
# median of the per-pair ratios B/A.
paired() {
	local n=$1 i t0 t1 t2
	shift
	local a=$1 b=$2
	for ((i = 0; i < n; i++)); do
		if ((i % 2 == 0)); then
			t0=$(date +%s%N); eval "$a" >/dev/null 2>&1; t1=$(date +%s%N); eval "$b" >/dev/null 2>&1; t2=$(date +%s%N)
			echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))"
		else
			t0=$(date +%s%N); eval "$b" >/dev/null 2>&1; t1=$(date +%s%N); eval "$a" >/dev/null 2>&1; t2=$(date +%s%N)
			echo "$(((t2 - t1) / 1000)) $(((t1 - t0) / 1000))"
		fi
	done | python3 -c '
import statistics, sys
p = [tuple(int(x) for x in l.split()) for l in sys.stdin]
print(round(statistics.median(a for a, _ in p) / 1000, 1), round(statistics.median(b for _, b in p) / 1000, 1),
      round(statistics.median(b / a for a, b in p), 2))'
}

bench_observe() {
	local script='i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done'
	local r
	r=($(paired 10 "unshare -fp --mount-proc sh -c '$script'" "$ctrun -f core,signal -i fork,exit -v sh -c '$script'"))
	say observe "root: 2000 x /bin/true, 10 alternating pairs: unshare ${r[0]} ms, ctrun -v -i fork,exit ${r[1]} ms (medians): ${r[2]}x, median of pair ratios (target <= 1.15)"
	r=($(paired 10 "as_user unshare -Urfp --mount-proc sh -c '$script'" "as_user $ctrun -f core,signal -i fork,exit -v sh -c '$script'"))
	say observe "uid 65534: unshare -U ${r[0]} ms, ctrun ${r[1]} ms (medians): ${r[2]}x, median of pair ratios (target <= 1.15)"
}

bench_container() {
	# A default container's restrictions: no connector (own network
	# namespace), no namespaces (seccomp), read-only cgroups. tini -s is the
	# init people put there; ctrun holds the contract by a subreaper init and
	# learns events from it.
	local jail="$work/restrict -netns -nons -rocgroup --"
	hyperfine -N -w 5 -r 40 --export-json "$work/cstart.json" \
		"$jail /bin/true" "$jail tini -s -- /bin/true" "$jail $ctrun /bin/true" >/dev/null
	mapfile -t m < <(means "$work/cstart.json")
	say container "start: bare ${m[0]} ms, tini ${m[1]} ms, ctrun ${m[2]} ms: ctrun/tini $(ratio "${m[2]}" "${m[1]}")x"
	local script='i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done'
	local r
	r=($(paired 10 "$jail tini -s -- sh -c '$script'" "$jail $ctrun -f core,signal -i fork,exit -v sh -c '$script'"))
	say container "root: 2000 x /bin/true, 10 alternating pairs: tini ${r[0]} ms, ctrun -v -i fork,exit ${r[1]} ms (medians): ${r[2]}x, median of pair ratios (target <= 1.15)"
	r=($(paired 10 "$work/restrict -netns -nons -rocgroup -user 65534 -- env XDG_RUNTIME_DIR=$xdg tini -s -- sh -c '$script'" \
		"$work/restrict -netns -nons -rocgroup -user 65534 -- env XDG_RUNTIME_DIR=$xdg $ctrun -f core,signal -i fork,exit -v sh -c '$script'"))
	say container "uid 65534: tini ${r[0]} ms, ctrun ${r[1]} ms (medians): ${r[2]}x, median of pair ratios (target <= 1.15)"
}

bench_ctstat() {
	local i
	for i in $(seq 100); do "$ctrun" -l none sleep 120; done
	hyperfine -N -w 3 -r 20 --export-json "$work/ctstat.json" "$work/ctstat" "$work/ctstat -v" >/dev/null
	mapfile -t m < <(means "$work/ctstat.json")
	say ctstat "100 live contracts: ctstat ${m[0]} ms, ctstat -v ${m[1]} ms (target < 50)"
	"$work/ctkill" -s KILL -a "$("$work/ctstat" | awk 'NR==2 {print $1}')" 2>/dev/null || true
	kill_contracts
	sleep 1
}

bench_ctwatch() {
	# Delay: a member stamps the time and exits at once; ctwatch -j's line
	# is timed on arrival.
	local f=$work/wstamps
	rm -f "$f"
	"$ctrun" -i exit sh -c "sleep 1; for i in \$(seq 20); do $probe stamp $f exit 42; sleep 0.05; done" &
	local c=$!
	sleep 0.5
	python3 - "$work/ctwatch" "$f" <<-'EOF'
		import json, select, subprocess, sys, time
		p = subprocess.Popen([sys.argv[1], "-j"], stdout=subprocess.PIPE, text=True, bufsize=1)
		arrivals = []
		deadline = time.time() + 8
		while len(arrivals) < 20 and time.time() < deadline:
		    if not select.select([p.stdout], [], [], 0.5)[0]:
		        continue
		    l = json.loads(p.stdout.readline())
		    if l.get("type") == "exit" and l.get("exit_code") == 42:
		        arrivals.append(time.time_ns())
		p.kill()
		stamps = [int(x.split()[1]) for x in open(sys.argv[2])]
		d = sorted((a - s) / 1e6 for a, s in zip(arrivals, stamps))
		print("ctwatch    member exit to ctwatch output: median %.2f ms, max %.2f ms over %d (target <= 10)" % (d[len(d)//2], d[-1], len(d)))
	EOF
	wait "$c" 2>/dev/null || true
	# Load: 100 members forking and exiting as fast as they can, alone and
	# watched by ctwatch (started before the clock runs), in alternating
	# pairs as in paired.
	local load="for i in \$(seq 100); do $probe forkloop 30 & done; wait"
	local i
	# one_load [watched]: prints the run's wall time in microseconds.
	one_load() {
		local w t0 t1
		if [ -n "${1:-}" ]; then
			"$work/ctwatch" -j >/dev/null 2>&1 &
			w=$!
			sleep 0.3
		fi
		t0=$(date +%s%N); "$ctrun" -i fork,exit sh -c "$load" >/dev/null 2>&1; t1=$(date +%s%N)
		if [ -n "${1:-}" ]; then
			kill "$w" 2>/dev/null || true
			wait "$w" 2>/dev/null || true
		fi
		echo $(((t1 - t0) / 1000))
	}
	for ((i = 0; i < 8; i++)); do
		local a b
		if ((i % 2 == 0)); then a=$(one_load); b=$(one_load watched); else b=$(one_load watched); a=$(one_load); fi
		echo "$a $b"
	done >"$work/load.txt"
	local r
	r=($(python3 -c '
import statistics, sys
p = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1])]
print(round(statistics.median(a for a, _ in p) / 1000, 1), round(statistics.median(b for _, b in p) / 1000, 1),
      round(statistics.median(b / a for a, b in p), 2))' "$work/load.txt"))
	say ctwatch "100 members x 30 forks each, 8 pairs: ${r[0]} ms alone, ${r[1]} ms watched (medians): ${r[2]}x, median of pair ratios (target <= 1.15)"
}

# restart_latency FILE: median of "start" after "death" in a probe log (ms).
restart_latency() {
	python3 - "$1" <<-'EOF'
		import sys
		# Stamps in nanoseconds (the probe's) or seconds ($EPOCHREALTIME).
		death, out = None, []
		for line in open(sys.argv[1]):
		    w, t = line.split()
		    t = float(t) if "." in t else int(t) / 1e9
		    if w == "death":
		        death = t
		    elif w == "start" and death is not None:
		        out.append((t - death) * 1e3)
		        death = None
		out.sort()
		print(round(out[len(out) // 2], 2) if out else "nan")
	EOF
}

# handover_run N: the median restart latency of a regent (-t -o regent)
# whose command, through the same shell script every run, first makes N
# helpers in contracts of their own to be inherited, then stamps its start
# and, a second later, its death. The helpers are killed after.
handover_run() {
	local n=$1 d=$work/handover-$1
	mkdir -p "$d"
	cat > "$d/food" <<-EOF
		#!/bin/sh
		if [ ! -e $d/made ]; then
		    for i in \$(seq $n); do $ctrun -l none -o inherit sleep 600 </dev/null >/dev/null 2>&1; done
		    touch $d/made
		fi
		exec $probe restart $d/stamps 1100
	EOF
	chmod +x "$d/food"
	"$ctrun" -r 10 -t -o regent -f core "$d/food" 2>/dev/null || true
	restart_latency "$d/stamps"
	kill_contracts
}

bench_handover() {
	# The same regent and script, with 100 sub-contracts to hand over at
	# every restart and with none: only the handing over differs.
	local n=100 with without
	with=$(handover_run $n)
	without=$(handover_run 0)
	say handover "restart handing over $n inherited contracts: $with ms, with none: $without ms: $(ratio "$with" "$without")x (target <= 1.5)"
}

for s in "${sections[@]}"; do
	"bench_$s"
done
