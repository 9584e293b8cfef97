package test

// ctrun where it cannot have everything a bare host gives it: in a
// container, on a host that forbids namespaces, as PID 1 (issue 10). Each
// environment is simulated without Docker by test/restrict (built beside
// ctrun by TestMain), and every check of issue 10 runs in each: a table of
// environments times a small set of checks.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restriction is one simulated environment: what test/restrict takes
// away from ctrun, and whether ctrun runs as uid 65534 there.
type restriction struct {
	name string
	// netns: a network namespace of its own, so no process-events
	// connector (as in every container).
	netns bool
	// nons: namespaces, mounts and BPF refused by seccomp (Docker's
	// default profile without CAP_SYS_ADMIN).
	nons bool
	// nouserns: user namespaces refused (user.max_user_namespaces=0,
	// Ubuntu's AppArmor restriction).
	nouserns bool
	// rocgroup: /sys/fs/cgroup read-only (as Docker mounts it).
	rocgroup bool
	// pid1: ctrun is PID 1 of a fresh PID namespace (a container's
	// entrypoint).
	pid1 bool
	// user: ctrun runs as uid 65534.
	user bool
	// missing is what ctrun lacks there that it has on a bare host, which
	// is why CTRUN_STRICT=1 must refuse every one of these environments.
	missing string
}

// restrictions are the environments of issue 10's "Tests" section, the
// Docker-like combination as root and as uid 65534, and that combination
// with ctrun as the container's entrypoint.
func restrictions() []restriction {
	return []restriction{
		{name: "netns", netns: true,
			missing: "the process-events connector (it reports to the first network namespace only)"},
		{name: "nons", nons: true,
			missing: "new namespaces, mounts and BPF"},
		{name: "rocgroup", rocgroup: true,
			missing: "a cgroup of the contract's own (root has one on a bare host)"},
		{name: "pid1", pid1: true,
			missing: "the process-events connector (it answers the first PID namespace only)"},
		{name: "uid65534-nouserns", nouserns: true, user: true,
			missing: "a user namespace, and so any new namespace"},
		{name: "docker", netns: true, nons: true, rocgroup: true,
			missing: "the connector, new namespaces and a writable cgroup"},
		{name: "docker-uid65534", netns: true, nons: true, rocgroup: true, user: true,
			missing: "the connector and new namespaces"},
		{name: "docker-entrypoint", pid1: true, netns: true, nons: true, rocgroup: true,
			missing: "the connector, new namespaces and a writable cgroup"},
	}
}

// filterFlags are restrict's flags for the seccomp filter and the user:
// what a process started in the environment later (docker exec) gets too.
func (r restriction) filterFlags() []string {
	var f []string
	if r.nons {
		f = append(f, "-nons")
	}
	if r.nouserns {
		f = append(f, "-nouserns")
	}
	if r.user {
		f = append(f, "-user", strconv.Itoa(nobody))
	}
	return f
}

// flags are restrict's flags that make the environment.
func (r restriction) flags() []string {
	var f []string
	for _, x := range []struct {
		on   bool
		flag string
	}{{r.netns, "-netns"}, {r.rocgroup, "-rocgroup"}, {r.pid1, "-pid1"}} {
		if x.on {
			f = append(f, x.flag)
		}
	}
	return append(f, r.filterFlags()...)
}

// restrictBin is test/restrict, built by TestMain.
func restrictBin() string { return filepath.Join(binDir, "restrict") }

// restricted turns the harness's command for c (ctrun's, or prog's if
// not empty) into the same command run by restrict with flags. restrict,
// not the harness, becomes uid 65534: it must be root to make the
// environment first.
func restricted(t *testing.T, ctx context.Context, c call, prog string, flags []string) *exec.Cmd {
	t.Helper()
	cmd := c.command(t, ctx)
	if prog == "" {
		prog = cmd.Path
	}
	cmd.SysProcAttr.Credential = nil
	args := append([]string{restrictBin()}, flags...)
	args = append(append(args, "--", prog), cmd.Args[1:]...)
	cmd.Path, cmd.Args = restrictBin(), args
	return cmd
}

// runIn runs ctrun with c in r to the end (within c.timeout, 15 s if not
// set), as the harness's run does.
func runIn(t *testing.T, r restriction, c call) result {
	t.Helper()
	c.user = r.user
	return runRestricted(t, c, "", r.flags())
}

// runRestricted runs prog (ctrun if "") by restrict with flags.
func runRestricted(t *testing.T, c call, prog string, flags []string) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := restricted(t, ctx, c, prog, flags)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	begin := time.Now()
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(begin)}
	if ctx.Err() != nil {
		t.Fatalf("%q under restrict %q did not return within %v\nstderr: %s", c.args, flags, c.timeout, res.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %q under restrict %q: %v", c.args, flags, err)
	}
	noInternalWords(t, fmt.Sprintf("%q", c.args), res.stderr)
	return res
}

// startIn starts ctrun with c in r, as the harness's start does: asked
// to stop (SIGTERM) at the end of the test if still running, killed if it
// does not. Its stderr is checked for internal words once it is over.
func startIn(t *testing.T, r restriction, c call) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	c.user = r.user
	cmd := restricted(t, context.Background(), c, "", r.flags())
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ctrun under restrict: %v", err)
	}
	t.Cleanup(func() { noInternalWords(t, fmt.Sprintf("%q", c.args), errb.String()) })
	stopAtCleanup(t, cmd)
	return cmd, errb
}

// ctrunPid is the pid of ctrun started as cmd in r: cmd itself, which
// restrict became, or under -pid1 restrict's one child, which must be PID
// 1 of its namespace.
func ctrunPid(t *testing.T, r restriction, cmd *exec.Cmd) int {
	t.Helper()
	if !r.pid1 {
		return cmd.Process.Pid
	}
	var pid int
	eventually(t, 5*time.Second, "ctrun as restrict's child", func() bool {
		kids := childrenOf(cmd.Process.Pid)
		if len(kids) != 1 {
			return false
		}
		pid = kids[0]
		b, err := os.ReadFile("/proc/" + itoa(pid) + "/status")
		return err == nil && regexp.MustCompile(`(?m)^NSpid:.*\s1$`).Match(b)
	})
	return pid
}

// internalWords are libcontainer's words for a refusal, and the marks of
// a Go crash: a user must never see them (issue 10).
var internalWords = regexp.MustCompile(`nsexec|failed to unshare remaining namespaces|goroutine \d+ \[|panic: `)

func noInternalWords(t *testing.T, what, stderr string) {
	t.Helper()
	if w := internalWords.FindString(stderr); w != "" {
		t.Errorf("%s: stderr has %q, an internal word or a crash:\n%s", what, w, stderr)
	}
}

// uniqueSleep is an argument for sleep(1) that no other process on the
// machine has, so that /proc can tell whether that sleep still runs, in
// whatever PID namespace: seconds just under secs, with random decimals.
func uniqueSleep(secs int) string {
	return fmt.Sprintf("%d.%06d", secs-1, rand.IntN(1000000))
}

// sleepers lists the live processes running "sleep arg".
func sleepers(arg string) []int {
	var out []int
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/cmdline")
		if err == nil && string(b) == "sleep\x00"+arg+"\x00" && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// restrictedCheck is one behaviour of issue 10, checked in one
// environment.
type restrictedCheck struct {
	name string
	// pid1Only: the check is about ctrun as PID 1.
	pid1Only bool
	check    func(t *testing.T, r restriction)
}

// TestRestricted runs every check in every simulated environment. Checks
// that fail because ctrun lacks the support issue 10 asks for are meant
// to: they are written to the letter.
func TestRestricted(t *testing.T) {
	requireRoot(t)
	checks := []restrictedCheck{
		{"ExitStatus", false, checkExitStatus},
		{"DaemonHeld", false, checkDaemonHeld},
		{"NoOrphan", false, checkNoOrphan},
		{"GrandchildFatalRestarts", false, checkGrandchildRestart},
		{"UnreapedFatal", false, checkUnreapedFatal},
		{"VerboseSaysHow", false, checkVerboseHeldBy},
		{"MemberSignalNoEvent", false, checkMemberSignal},
		{"Strict", false, checkStrict},
		{"CtstatCtkill", false, checkCompanions},
		{"CtkillStop", false, checkCtkillStop},
		{"Inside", false, checkInside},
		{"NoZombies", true, checkNoZombies},
		{"StopSignals", true, checkStopSignals},
	}
	for _, r := range restrictions() {
		t.Run(r.name, func(t *testing.T) {
			for _, c := range checks {
				if c.pid1Only && !r.pid1 {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					clean(t)
					c.check(t, r)
				})
			}
		})
	}
}

// The command's status comes back, and 123 when a signal killed it (as
// the container's status, under -pid1).
func checkExitStatus(t *testing.T, r restriction) {
	if res := runIn(t, r, call{args: []string{"sh", "-c", "exit 7"}}); res.code != 7 {
		t.Errorf("sh -c 'exit 7': exit %d, want 7\n%s", res.code, res.stderr)
	}
	if res := runIn(t, r, call{args: []string{"sh", "-c", "kill -TERM $$"}}); res.code != 123 {
		t.Errorf("a command killed by SIGTERM: exit %d, want 123\n%s", res.code, res.stderr)
	}
}

// The default lifetime holds a double-forked setsid daemon: ctrun returns
// only once it ended.
func checkDaemonHeld(t *testing.T, r restriction) {
	dir := sharedDir(t)
	pidFile := filepath.Join(dir, "daemon.pid")
	res := runIn(t, r, call{args: []string{probe, "daemon", pidFile, "1"}})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("the daemon never ran: %v\n%s", err, res.stderr)
	}
	if res.elapsed < 900*time.Millisecond {
		t.Fatalf("ctrun returned after %v, before the daemon (1 s) ended\n%s", res.elapsed, res.stderr)
	}
}

// -o noorphan -l child: ctrun returns when the command exits and kills what
// it left, a setsid daemon included.
func checkNoOrphan(t *testing.T, r restriction) {
	dir := sharedDir(t)
	pidFile := filepath.Join(dir, "left.pid")
	arg := uniqueSleep(30)
	script := `setsid sh -c 'echo $$ > ` + pidFile + `; exec sleep ` + arg + `' </dev/null >/dev/null 2>&1 &
		while [ ! -s ` + pidFile + ` ]; do sleep 0.01; done; echo job done`
	res := runIn(t, r, call{args: []string{"-o", "noorphan", "-l", "child", "sh", "-c", script}})
	if res.code != 0 || res.stdout != "job done\n" {
		t.Fatalf("exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	if b, err := os.ReadFile(pidFile); err != nil || len(bytes.TrimSpace(b)) == 0 {
		t.Fatalf("the command left nothing to kill (pid file: %q, %v)", b, err)
	}
	if res.elapsed > 5*time.Second {
		t.Errorf("ctrun -l child returned after %v, not when the command exited", res.elapsed)
	}
	deadline := time.Now().Add(time.Second)
	for left := sleepers(arg); len(left) > 0; left = sleepers(arg) {
		if time.Now().After(deadline) {
			for _, p := range left {
				syscall.Kill(p, syscall.SIGKILL)
			}
			t.Fatalf("what the command left survived -o noorphan: sleep %s, pid %v\n%s", arg, left, res.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The fatal event of a grandchild whose own parent is alive and reaps it
// kills every member and, with -r 1, restarts the contract once.
func checkGrandchildRestart(t *testing.T, r restriction) {
	dir := sharedDir(t)
	runs := filepath.Join(dir, "runs")
	// Another member, which holds the contract for 3 s unless the fatal
	// event kills it.
	arg := uniqueSleep(3)
	script := `echo run >> ` + runs + `; sleep ` + arg + ` & sh -c "kill -SEGV \$\$"; sleep 0.3`
	res := runIn(t, r, call{args: []string{"-r", "1", "-f", "core", "sh", "-c", script}})
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); n != 2 {
		t.Errorf("%d runs, want 2 (the grandchild's SIGSEGV is fatal; -r 1 restarts once)\n%s", n, res.stderr)
	}
	if res.code != 123 {
		t.Errorf("exit %d, want 123 (the last run was killed)\n%s", res.code, res.stderr)
	}
	if left := sleepers(arg); len(left) > 0 {
		t.Errorf("a member survived the fatal event: sleep %s, pid %v", arg, left)
	}
	if res.elapsed > 2500*time.Millisecond {
		t.Errorf("ctrun took %v: the fatal event did not kill every member at once\n%s", res.elapsed, res.stderr)
	}
}

// The fatal event of a member whose parent is alive and never reaps it
// (the shell became a sleep, which does not wait) is seen while it is a
// zombie: every member is killed then, not once its parent ends.
func checkUnreapedFatal(t *testing.T, r restriction) {
	arg := uniqueSleep(30)
	script := `sh -c 'kill -SEGV $$' & exec sleep ` + arg
	res := runIn(t, r, call{args: []string{"-v", "-f", "core", "sh", "-c", script}})
	if res.code != 123 || !strings.Contains(res.stderr, "fatal event core") {
		t.Errorf("exit %d, want 123 with a fatal core event (the unreaped member's SIGSEGV)\n%s", res.code, res.stderr)
	}
	if left := sleepers(arg); len(left) > 0 {
		t.Errorf("the parent outlived the fatal event: sleep %s, pid %v", arg, left)
	}
}

// -v says once how the contract is held.
func checkVerboseHeldBy(t *testing.T, r restriction) {
	res := runIn(t, r, call{args: []string{"-v", "sh", "-c", "exit 0"}})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if n := strings.Count(res.stderr, "held by"); n != 1 {
		t.Errorf("-v: %d lines saying how the contract is held (\"held by\"), want 1:\n%s", n, res.stderr)
	}
}

// A member's signal to its own process group, a child not yet seen among
// them (forked, killed before it could exec), is no signal event: the
// sender is a member, whichever way signals are observed.
func checkMemberSignal(t *testing.T, r restriction) {
	res := runIn(t, r, call{args: []string{"-V", "-f", "signal", "sh", "-c", "sleep 30 & kill -TERM 0; wait"}})
	if strings.Contains(res.stderr, "event signal") {
		t.Errorf("kill -TERM 0 by a member made a signal event:\n%s", res.stderr)
	}
	if res.code != 123 {
		t.Errorf("the command killed by its own group's SIGTERM: exit %d, want 123\n%s", res.code, res.stderr)
	}
}

// CTRUN_STRICT=1: rather than degrade, ctrun exits 124 with a one-line
// reason and starts nothing. Each environment here lacks something a bare
// host gives (restriction.missing).
func checkStrict(t *testing.T, r restriction) {
	dir := sharedDir(t)
	marker := filepath.Join(dir, "started")
	res := runIn(t, r, call{args: []string{"sh", "-c", "touch " + marker}, env: []string{"CTRUN_STRICT=1"}})
	if res.code != 124 {
		t.Errorf("CTRUN_STRICT=1 without %s: exit %d, want 124\n%s", r.missing, res.code, res.stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n"); res.stderr == "" || len(lines) != 1 {
		t.Errorf("CTRUN_STRICT=1: want one line of reason on stderr, got %d:\n%s", len(lines), res.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("CTRUN_STRICT=1: the command was started")
	}
}

// ctstat and ctkill -l, run in the same environment (in ctrun's own
// namespaces, with the same filter and user, as docker exec would run
// them), list the running contract and its members.
func checkCompanions(t *testing.T, r restriction) {
	env, _ := statEnv(t, r.user)
	dir := sharedDir(t)
	idFile := filepath.Join(dir, "id")
	cmd, stderr := startIn(t, r, call{args: []string{"sh", "-c", "echo $CTRUN_CTID > " + idFile + "; exec sleep 30"}, env: env})
	var id int
	eventually(t, 10*time.Second, "the contract id", func() bool {
		b, err := os.ReadFile(idFile)
		if err == nil {
			id, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if err != nil && !alive(cmd.Process.Pid) {
			t.Fatalf("ctrun gave up before its command started:\n%s", stderr)
		}
		return err == nil && id > 0
	})
	join := append([]string{"-join", itoa(ctrunPid(t, r, cmd))}, r.filterFlags()...)
	companion := func(bin string, args ...string) result {
		return runRestricted(t, call{args: args, env: env, user: r.user}, bin, join)
	}
	var last result
	eventually(t, 5*time.Second, "ctstat to list contract "+itoa(id), func() bool {
		last = companion(ctstatBin, "-i", itoa(id))
		if last.code != 0 || !strings.HasPrefix(last.stdout, statHeader+"\n") {
			return false
		}
		_, ok := statRows(t, last.stdout)[id]
		return ok
	})
	eventually(t, 5*time.Second, "ctkill -l to list the sleep", func() bool {
		last = companion(ctkillBin, "-l", itoa(id))
		if last.code != 0 {
			t.Fatalf("ctkill -l %d: exit %d: %s", id, last.code, last.stderr)
		}
		ls := parseList(t, last.stdout)
		return len(ls) == 1 && ls[0].comm == "sleep"
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, 10*time.Second)
}

// ctkill -S, run in the same environment, stops a restarting daemon and
// a setsid member through the holder: no restart, ctrun returns as for
// SIGTERM, nothing is left. Where ctkill on the host sees the contract's
// pids (no namespace of the environment's own), it also stops the
// contract once orphaned (its holder killed), held as it is there.
func checkCtkillStop(t *testing.T, r restriction) {
	for _, orphan := range []bool{false, true} {
		name := "held"
		if orphan {
			name = "orphaned"
		}
		t.Run(name, func(t *testing.T) {
			if orphan && (r.pid1 || r.netns) {
				t.Skip("the holder's end is the environment's (pid1), or its pids are not the host's (netns)")
			}
			env, _ := statEnv(t, r.user)
			dir := sharedDir(t)
			idFile := filepath.Join(dir, "id")
			u := uniqueSleep(60)
			script := "setsid sleep " + u + " & sleep " + u + " & echo $CTRUN_CTID > " + idFile + "; wait"
			cmd, stderr := startIn(t, r, call{args: []string{"-v", "-r", "0", "-f", "signal", "sh", "-c", script}, env: env})
			id := readPidFile(t, idFile)
			eventually(t, 10*time.Second, "both sleeps", func() bool { return len(sleepers(u)) == 2 })
			flags := append([]string{"-join", itoa(ctrunPid(t, r, cmd))}, r.filterFlags()...)
			if orphan {
				cmd.Process.Kill()
				waitExit(t, cmd, 10*time.Second)
				flags = r.filterFlags()
			}
			res := runRestricted(t, call{args: []string{"-S", itoa(id)}, env: env, user: r.user}, ctkillBin, flags)
			// As PID 1, ctrun's end is its namespace's, and so may be
			// that of a ctkill run there (docker exec): SIGKILL.
			if r.pid1 && res.code == 128+int(syscall.SIGKILL) && res.stderr == "" {
				res.code = 0
			}
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("ctkill -S %d: exit %d: %s\nctrun:\n%s", id, res.code, res.stderr, stderr)
			}
			if left := sleepers(u); len(left) > 0 {
				t.Errorf("members %v outlived ctkill -S", left)
			}
			if orphan {
				return
			}
			if code := waitExit(t, cmd, 10*time.Second); code != 123 || strings.Contains(stderr.String(), "restart 1") {
				t.Errorf("ctrun exit %d, want 123 and no restart:\n%s", code, stderr)
			}
		})
	}
}

// As PID 1, ctrun reaps every orphan: the command sees no zombie in its
// /proc once an orphan it made has exited.
func checkNoZombies(t *testing.T, r restriction) {
	script := `sh -c 'sleep 0.2 & exit 0'; sleep 0.8
		cat /proc/[0-9]*/stat 2>/dev/null | awk '{ sub(/^.*\) /, ""); if ($1 == "Z") n++ } END { print "zombies=" n+0 }'`
	res := runIn(t, r, call{args: []string{"sh", "-c", script}})
	if res.code != 0 || res.stdout != "zombies=0\n" {
		t.Errorf("exit %d, the command saw %q, want zombies=0\n%s", res.code, res.stdout, res.stderr)
	}
}

// As PID 1, the stop signals docker stop and a terminal send to ctrun
// reach the command, and its status is ctrun's.
func checkStopSignals(t *testing.T, r restriction) {
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sigName(sig), func(t *testing.T) {
			dir := sharedDir(t)
			ready := filepath.Join(dir, "ready")
			script := `trap "exit 3" TERM; trap "exit 4" INT; trap "exit 5" HUP; trap "exit 6" QUIT
				echo $$ > ` + ready + `; while :; do sleep 0.05; done`
			cmd, stderr := startIn(t, r, call{args: []string{"sh", "-c", script}})
			readPidFile(t, ready)
			if err := syscall.Kill(ctrunPid(t, r, cmd), sig); err != nil {
				t.Fatal(err)
			}
			if code, want := waitExit(t, cmd, 5*time.Second), 3+i; code != want {
				t.Errorf("%s to ctrun (PID 1): exit %d, want the command's %d\n%s", sigName(sig), code, want, stderr)
			}
		})
	}
}

// The second pass of make test runs this package under a cgroup v2 view
// (CTRUN_TEST_CGROUP=v2): it must really be one, or v2 would go untested
// while the pass stayed green.
func TestRestrictedCgroupView(t *testing.T) {
	const cgroup2Magic = 0x63677270
	var st syscall.Statfs_t
	if err := syscall.Statfs("/sys/fs/cgroup", &st); err != nil {
		t.Fatalf("statfs /sys/fs/cgroup: %v", err)
	}
	switch view := os.Getenv("CTRUN_TEST_CGROUP"); view {
	case "v2":
		if st.Type != cgroup2Magic {
			t.Fatalf("CTRUN_TEST_CGROUP=v2, but /sys/fs/cgroup is not cgroup2 (type %#x)", st.Type)
		}
	case "":
		t.Skipf("not the v2 pass (/sys/fs/cgroup has type %#x)", st.Type)
	default:
		t.Fatalf("CTRUN_TEST_CGROUP=%q: only v2 is known", view)
	}
}
