package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Lifetime contract returns only once every member is gone, including a
// double-forked setsid daemon with its stdio on /dev/null.
func TestLifetimeContractWaitsForDaemon(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		pidFile := filepath.Join(dir, "daemon.pid")
		r := run(t, call{args: []string{"-v", probe, "daemon", pidFile, "1"}, user: user})
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if r.elapsed < 900*time.Millisecond {
			t.Fatalf("ctrun returned after %v, before the daemon (1s) ended", r.elapsed)
		}
		if !strings.Contains(r.stderr, "event empty") {
			t.Fatalf("no empty event with -v:\n%s", r.stderr)
		}
	})
}

// Lifetime child returns when the command exits; what it left runs on,
// orphaned, and cleans up after itself when it ends.
func TestLifetimeChild(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		done := filepath.Join(dir, "done")
		r := run(t, call{args: []string{"-l", "child", "sh", "-c", "(sleep 1; touch " + done + ") >/dev/null 2>&1 & exit 3"}, user: user})
		if r.code != 3 {
			t.Fatalf("exit %d, want the command's 3: %s", r.code, r.stderr)
		}
		if r.elapsed > 800*time.Millisecond {
			t.Fatalf("ctrun -l child waited %v for the rest of the contract", r.elapsed)
		}
		if _, err := os.Stat(done); err == nil {
			t.Fatal("the member left behind finished before ctrun returned")
		}
		eventually(t, 10*time.Second, "the orphaned member to finish", func() bool {
			_, err := os.Stat(done)
			return err == nil
		})
	})
}

// Lifetime none returns once the command has been executed.
func TestLifetimeNone(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		done := filepath.Join(dir, "done")
		r := run(t, call{args: []string{"-l", "none", "sh", "-c", "exec >/dev/null 2>&1; sleep 1; touch " + done + "; exit 4"}, user: user})
		if r.code != 0 {
			t.Fatalf("exit %d, want 0: %s", r.code, r.stderr)
		}
		if r.elapsed > 800*time.Millisecond {
			t.Fatalf("ctrun -l none waited %v", r.elapsed)
		}
		eventually(t, 10*time.Second, "the command to run on", func() bool {
			_, err := os.Stat(done)
			return err == nil
		})
	})
}

// Lifetimes child and none with a command that is the contract's last
// member: the holder lets go just as the init finds the contract empty.
// Each may see the other still there; one of them must clean up, and
// nothing may be left (the checks of clean and of the user's runtime
// directory).
func TestLifetimeLetGoOfEmptyContract(t *testing.T) {
	for _, tc := range []struct {
		life string
		want int
	}{{"child", 5}, {"none", 0}} {
		t.Run(tc.life, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				for i := 0; i < 10; i++ {
					r := run(t, call{args: []string{"-l", tc.life, "sh", "-c", "exit 5"}, user: user})
					if r.code != tc.want {
						t.Fatalf("run %d: exit %d, want %d: %s", i, r.code, tc.want, r.stderr)
					}
				}
			})
		})
	}
}

// SIGKILL to ctrun leaves the contract running, orphaned; with noorphan
// every member dies at once. Neither may rest on a handler in ctrun.
func TestHolderKilled(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noorphan bool
	}{{"orphaned", false}, {"noorphan", true}} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				pidFile := filepath.Join(dir, "pid")
				args := []string{"sh", "-c", "exec >/dev/null 2>&1; echo $$ > " + pidFile + "; sleep 1.5 & wait"}
				if tc.noorphan {
					args = append([]string{"-o", "noorphan"}, args...)
				}
				cmd, _, _ := start(t, call{args: args, user: user})
				nspid := readPidFile(t, pidFile)
				hostPid := hostPidOf(t, cmd.Process.Pid, nspid)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				cmd.Process.Wait()
				if tc.noorphan {
					eventually(t, 2*time.Second, "members to die with their holder", func() bool { return !alive(hostPid) })
					return
				}
				time.Sleep(300 * time.Millisecond)
				if !alive(hostPid) {
					t.Fatal("the contract died with its holder")
				}
				eventually(t, 10*time.Second, "the orphaned contract to end", func() bool { return !alive(hostPid) })
			})
		})
	}
}

// hostPidOf finds the host pid of the process with namespace pid nspid in
// the contract held by ctrun process holder: its init is the holder's
// child, and the process must be in the init's PID namespace.
func hostPidOf(t *testing.T, holder, nspid int) int {
	t.Helper()
	var found int
	eventually(t, 5*time.Second, "the member's host pid", func() bool {
		for _, init := range childrenOf(holder) {
			ns, err := os.Readlink("/proc/" + itoa(init) + "/ns/pid")
			if err != nil {
				continue
			}
			des, _ := os.ReadDir("/proc")
			for _, de := range des {
				pid := atoi(de.Name())
				if pid <= 0 {
					continue
				}
				if l, _ := os.Readlink("/proc/" + de.Name() + "/ns/pid"); l != ns {
					continue
				}
				b, err := os.ReadFile("/proc/" + de.Name() + "/status")
				if err != nil {
					continue
				}
				for _, line := range strings.Split(string(b), "\n") {
					if f := strings.Fields(line); len(f) == 3 && f[0] == "NSpid:" && f[2] == itoa(nspid) {
						found = pid
						return true
					}
				}
			}
		}
		return false
	})
	return found
}

// childrenOf lists a process's children.
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir("/proc/" + itoa(pid) + "/task")
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + itoa(pid) + "/task/" + task.Name() + "/children")
		for _, f := range strings.Fields(string(b)) {
			out = append(out, atoi(f))
		}
	}
	return out
}

// Stop signals sent to ctrun reach the command; a contract that ends
// because the user asked it to stop is never restarted, also when the
// signal is a fatal core signal.
func TestStopSignalsReachCommand(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				got := filepath.Join(dir, "got")
				ready := filepath.Join(dir, "ready")
				// The command reports the signal, then dies of it.
				script := `for s in TERM INT HUP QUIT; do trap "echo $s > ` + got + `; trap - $s; kill -$s \$\$" $s; done
					echo $$ > ` + ready + `
					while :; do sleep 0.05; done`
				cmd, _, stderr := start(t, call{args: []string{"-v", "-r", "3", "-f", "core,signal", "sh", "-c", script}, user: user})
				readPidFile(t, ready)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				code := waitExit(t, cmd, 10*time.Second)
				b, _ := os.ReadFile(got)
				want := strings.TrimPrefix(sigName(sig), "SIG")
				if strings.TrimSpace(string(b)) != want {
					t.Fatalf("command got %q, want %s\n%s", b, want, stderr)
				}
				// An interrupt the command died of ends ctrun too, by the
				// same signal (a shell's loop stops); any other stop is
				// reported as a death by a signal, 123.
				interrupt := sig == syscall.SIGINT || sig == syscall.SIGQUIT
				if st := cmd.ProcessState.Sys().(syscall.WaitStatus); interrupt {
					if !st.Signaled() || st.Signal() != sig || st.CoreDump() {
						t.Fatalf("ctrun ended with %#x, want killed by %v without a core dump\n%s", uint32(st), sig, stderr)
					}
				} else if code != 123 {
					t.Fatalf("exit %d, want 123 (the command died of %v)\n%s", code, sig, stderr)
				}
				if strings.Contains(stderr.String(), "restart 1") {
					t.Fatalf("restarted after a stop:\n%s", stderr)
				}
			})
		})
	}
}
