package test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Events concern every member: a grandchild reaped by its own parent, a
// daemon that double-forked away.
func TestEventsForEveryMember(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		script := probe + ` grandchild 0; ` + probe + ` daemon ` + dir + `/d 0; sh -c '` + probe + ` segv'; exit 0`
		r := run(t, call{args: []string{"-v", "-i", "fork,exit,core", "sh", "-c", script}, user: user})
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{
			`event fork: pid \d+ \(sh\) joined`,
			`event exit: pid \d+ \(probe\) exited with status 7`, // the grandchild, reaped by the child
			`event core: pid \d+ \(probe\) killed by SIGSEGV`,
			`event exit: pid \d+ \(sh\) exited with status 0`,
			`event empty`,
		} {
			if !regexp.MustCompile(want).MatchString(r.stderr) {
				t.Errorf("no %q in:\n%s", want, r.stderr)
			}
		}
		// The daemon: a member whose parent exited; its exit is seen too.
		pid := readPidFile(t, dir+"/d")
		_ = pid
		if n := strings.Count(r.stderr, "event fork"); n < 6 {
			t.Errorf("%d fork events, want every member's:\n%s", n, r.stderr)
		}
		if nf, ne := strings.Count(r.stderr, "event fork"), strings.Count(r.stderr, "event exit"); nf != ne {
			t.Errorf("%d forks but %d exits:\n%s", nf, ne, r.stderr)
		}
	})
}

// signal: a member killed by a process outside the contract is a signal
// event; one killed by itself or by another member is not.
func TestSignalAttribution(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string // $1 is a shared directory
		// outside: the test kills the pid in $1/victim from the host.
		outside bool
		signal  bool
	}{
		{"self", `sh -c 'kill -TERM $$'; sleep 0.2`, false, false},
		{"self with a core signal", `sh -c 'kill -SEGV $$'; sleep 0.2`, false, false},
		{"member kills member", `sleep 30 & kill -TERM $!; wait; sleep 0.2`, false, false},
		{"member kills member with kill(1)", `sleep 30 & /bin/kill -USR1 $!; wait; sleep 0.2`, false, false},
		{"member kills a group", `sh -c 'sleep 30' & sleep 0.1; kill -TERM 0 2>/dev/null & wait; sleep 0.2`, false, false},
		{"kernel fault", probe + ` segv; sleep 0.2`, false, false},
		{"broken pipe", `yes | head -1 >/dev/null; sleep 0.2`, false, false},
		{"from the host", `echo $$ > $1/victim; exec sleep 30`, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				cmd, _, stderr := start(t, call{args: []string{"-V", "-f", "signal", "sh", "-c", tc.script, "sh", dir}, user: user})
				if tc.outside {
					nspid := readPidFile(t, dir+"/victim")
					host := hostPidOf(t, cmd.Process.Pid, nspid)
					if err := syscall.Kill(host, syscall.SIGUSR1); err != nil {
						t.Fatal(err)
					}
				}
				code := waitExit(t, cmd, 20*time.Second)
				out := stderr.String()
				gotSignal := strings.Contains(out, "event signal")
				if gotSignal != tc.signal {
					t.Fatalf("signal event %v, want %v (exit %d)\n%s", gotSignal, tc.signal, code, out)
				}
				if tc.signal && !strings.Contains(out, "killing every member") {
					t.Fatalf("a fatal signal event did not end the contract:\n%s", out)
				}
			})
		})
	}
}

// hwerr is a SIGBUS with a machine-check code; an ordinary SIGBUS is core.
// This kernel cannot inject memory failures: the machine check is
// simulated by a SIGBUS with BUS_MCEERR_AR the process queues to itself.
func TestHardwareError(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		// hwerr is fatal by default.
		r := run(t, call{args: []string{"-v", "sh", "-c", probe + " mce; sleep 5"}, user: user})
		if !strings.Contains(r.stderr, "fatal event hwerr") || !strings.Contains(r.stderr, "killing every member") {
			t.Fatalf("simulated machine check not a fatal hwerr:\n%s", r.stderr)
		}
		if r.elapsed > 4*time.Second {
			t.Fatalf("the contract was not killed (took %v)", r.elapsed)
		}
		r = run(t, call{args: []string{"-v", "sh", "-c", probe + " bus; echo after"}, user: user})
		if strings.Contains(r.stderr, "hwerr") || !strings.Contains(r.stderr, "event core") || r.stdout != "after\n" {
			t.Fatalf("an ordinary SIGBUS: want core and no hwerr, got:\n%s\nstdout %q", r.stderr, r.stdout)
		}
	})
}

// A fatal event kills every member; pgrponly only the process group of the
// member that caused it.
func TestFatalKill(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		// A member in its own process group survives pgrponly.
		script := `setsid sh -c 'sleep 1; touch $0/survivor' $1 & sh -c 'sleep 0.2; ` + probe + ` segv' & wait`
		r := run(t, call{args: []string{"-v", "-f", "core", "-o", "pgrponly", "sh", "-c", script, "sh", dir}, user: user})
		if !strings.Contains(r.stderr, "killing process group") {
			t.Fatalf("pgrponly: no group kill:\n%s", r.stderr)
		}
		if _, err := os.Stat(dir + "/survivor"); err != nil {
			t.Fatalf("pgrponly killed a member of another process group:\n%s", r.stderr)
		}
		dir2 := sharedDir(t)
		r = run(t, call{args: []string{"-v", "-f", "core", "sh", "-c", script, "sh", dir2}, user: user})
		if !strings.Contains(r.stderr, "killing every member") || r.code != 123 {
			t.Fatalf("fatal core: exit %d\n%s", r.code, r.stderr)
		}
		time.Sleep(time.Second)
		if _, err := os.Stat(dir2 + "/survivor"); err == nil {
			t.Fatal("a member survived the fatal event")
		}
	})
}

// A contract of 1000 members is gone, and ctrun has returned, well within
// a second of the fatal event.
func TestFatalKillThousand(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		script := probe + ` spawn 1000 60 > ` + dir + `/spawned & while [ ! -s ` + dir + `/spawned ]; do sleep 0.05; done; date +%s.%N > ` + dir + `/t0; ` + probe + ` segv; sleep 30`
		r := run(t, call{args: []string{"-f", "core", "sh", "-c", script}, user: user, timeout: 60 * time.Second})
		end := time.Now()
		if r.code != 123 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		b, _ := os.ReadFile(dir + "/t0")
		t0, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			t.Fatalf("no start time: %v", err)
		}
		took := end.Sub(time.Unix(0, int64(t0*1e9)))
		if took > time.Second {
			t.Fatalf("1000 members took %v to be gone after the fatal event", took)
		}
		t.Logf("1000 members gone %v after the fatal event", took)
	})
}

// Members are not traced: TracerPid is 0 and strace can attach.
func TestMembersNotTraced(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		cmd, _, stderr := start(t, call{args: []string{"-i", "fork,exit,core,signal", "sh", "-c", "echo $$ > " + dir + "/pid; sleep 0.5; grep TracerPid /proc/$$/status > " + dir + "/tracer; sleep 1"}, user: user})
		nspid := readPidFile(t, dir+"/pid")
		host := hostPidOf(t, cmd.Process.Pid, nspid)
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(host) + "/status")
		if !strings.Contains(string(b), "TracerPid:\t0\n") {
			t.Fatalf("member is traced:\n%s", b)
		}
		if code := waitExit(t, cmd, 10*time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		tr, _ := os.ReadFile(filepath.Join(dir, "tracer"))
		if strings.TrimSpace(string(tr)) != "TracerPid:\t0" {
			t.Fatalf("inside: %q", tr)
		}
	})
}

// A kernel OOM kill of a member is a signal event (the OOM killer is not a
// member): -f signal restarts a daemon on OOM, as users of other
// supervisors expect. Tested as root with a memory limit on a cgroup that
// ctrun runs in (the contract's cgroup is below it).
func TestOOMKillIsSignal(t *testing.T) {
	requireRoot(t)
	clean(t)
	own := ownCgroup(t, "memory")
	limited := filepath.Join("/sys/fs/cgroup/memory", own, "oomtest-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(limited, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		// Everything in it is gone once ctrun returned.
		eventually(t, 5*time.Second, "the test cgroup to empty", func() bool { return os.Remove(limited) == nil })
	})
	if err := os.WriteFile(filepath.Join(limited, "memory.limit_in_bytes"), []byte("64M"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(limited, "memory.memsw.limit_in_bytes"), []byte("64M"), 0o644)
	// Enter the limited cgroup, then become ctrun.
	c := call{args: []string{"-v", "-f", "signal", "sh", "-c", probe + " alloc; sleep 5"}}
	cmd := c.command(t, context.Background())
	cmd.Path = "/bin/sh"
	cmd.Args = append([]string{"sh", "-c", `echo $$ > ` + limited + `/cgroup.procs && exec "$@"`, "sh", ctrun}, c.args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code := waitExit(t, cmd, 30*time.Second)
	out := stderr.String()
	if !strings.Contains(out, "fatal event signal") || !strings.Contains(out, "OOM killer") {
		t.Fatalf("OOM kill not a signal event (exit %d):\n%s", code, out)
	}
	if code != 123 {
		t.Fatalf("exit %d, want 123:\n%s", code, out)
	}
}

// ownCgroup is the test's own cgroup path in a v1 hierarchy.
func ownCgroup(t *testing.T, controller string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && f[1] == controller {
			return f[2]
		}
	}
	t.Skipf("no %s cgroup", controller)
	return ""
}
