package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// aheadScript is a run of TestRestartReadyInstance: it says whether the
// run before it left a member (one holds a lock on $1/lock for as long as
// it lives), records its contract id, starts such a member, and dies of
// SIGSEGV once the test creates $1/crash.
const aheadScript = `if flock -n "$1/lock" true; then f=empty; else f=busy; fi
echo "$CTRUN_CTID $f" >> "$1/runs"
flock "$1/lock" sleep 300 &
while [ ! -e "$1/crash" ]; do sleep 0.02; done
rm -f "$1/crash"
exec "$2" segv`

// With -r, the next run's contract instance is made while a run holds its
// contract: its init waits, the command does not run in it and ctstat
// does not list it. After the fatal event the old contract is emptied
// first, then the ready instance runs the command, as a new contract whose
// id is that init's. No instance is made ahead for a run that cannot be
// restarted, and nothing is left at the end.
func TestRestartReadyInstance(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		runs := filepath.Join(dir, "runs")
		cmd, _, stderr := start(t, call{user: user, args: []string{"-r", "2", "-f", "core", "sh", "-c", aheadScript, "sh", dir, probe}})
		holder := cmd.Process.Pid
		lines := func() []string {
			b, _ := os.ReadFile(runs)
			return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", " | "))
		}
		waitRuns := func(n int) []string {
			var l []string
			eventually(t, 10*time.Second, "run "+strconv.Itoa(n)+" to start", func() bool {
				b, _ := os.ReadFile(runs)
				l = strings.Split(strings.TrimSpace(string(b)), "\n")
				return len(b) > 0 && len(l) >= n
			})
			if len(l) != n {
				t.Fatalf("%d runs, want %d: %v\n%s", len(l), n, lines(), stderr)
			}
			return l
		}
		var ids []int
		for run := 1; run <= 3; run++ {
			l := waitRuns(run)
			f := strings.Fields(l[run-1])
			if len(f) != 2 || f[1] != "empty" {
				t.Fatalf("run %d found the contract before it not empty: %q", run, l[run-1])
			}
			id := atoi(f[0])
			if len(ids) > 0 && alive(ids[len(ids)-1]) {
				t.Fatalf("run %d: the old contract's init %d outlives it", run, ids[len(ids)-1])
			}
			ids = append(ids, id)
			if es := statAll(t, user, nil); len(es) != 1 || es[id].ID != id {
				t.Fatalf("run %d: ctstat lists %v, want contract %d alone (a ready instance is no contract)", run, es, id)
			}
			var next []int
			if run < 3 {
				// Runs 1 and 2 may be restarted: the next instance is
				// made while they run.
				eventually(t, 10*time.Second, "the next instance to be made", func() bool {
					next = ready(holder, id)
					return len(next) == 1
				})
			} else {
				// The last run cannot be: nothing is kept ready.
				time.Sleep(300 * time.Millisecond)
				if next = ready(holder, id); len(next) != 0 {
					t.Fatalf("an instance %v is made for a run -r 2 does not allow", next)
				}
			}
			if got := len(waitRuns(run)); got != run {
				t.Fatalf("the ready instance ran the command: %d runs", got)
			}
			if err := os.WriteFile(filepath.Join(dir, "crash"), nil, 0o666); err != nil {
				t.Fatal(err)
			}
			if run < 3 {
				l := waitRuns(run + 1)
				if got := atoi(strings.Fields(l[run])[0]); got != next[0] {
					t.Fatalf("run %d is contract %d, not the ready instance %d", run+1, got, next[0])
				}
			}
		}
		if code := waitExit(t, cmd, 10*time.Second); code != 123 {
			t.Fatalf("exit %d, want 123 (the last run died of SIGSEGV)\n%s", code, stderr)
		}
		if len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
			t.Fatalf("contract ids %v, want three different ones", ids)
		}
	})
}

// A holder killed while the next instance waits leaves it to the
// collector: once the orphaned contract is killed, one ctstat leaves
// nothing of either.
func TestReadyInstanceHolderKilled(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		env, state := killedEnv(t, user)
		before := snapshot(state)
		dir := sharedDir(t)
		marker := "3" + strconv.Itoa(os.Getpid()%1000) + ".5"
		cmd, _, _ := start(t, call{user: user, env: env, args: []string{"-r", "0", "-f", "core", "sh", "-c", `echo $CTRUN_CTID > "$0/id"; exec sleep ` + marker, dir}})
		id := readPidFile(t, filepath.Join(dir, "id"))
		eventually(t, 10*time.Second, "the next instance to be made", func() bool { return len(ready(cmd.Process.Pid, id)) == 1 })
		waiting := ready(cmd.Process.Pid, id)[0]
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		endAndCollect(t, user, env, marker)
		eventually(t, 10*time.Second, "the waiting init to end", func() bool { return !alive(waiting) })
		checkCollected(t, before, state)
	})
}

// ready lists the contract inits among the holder's children other than
// that of contract running: the instances it keeps ready.
func ready(holder, running int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(holder) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			pid := atoi(s)
			cmdline, _ := os.ReadFile("/proc/" + s + "/cmdline")
			if pid != running && alive(pid) && strings.Contains(string(cmdline), "contract-init") {
				out = append(out, pid)
			}
		}
	}
	return out
}
