package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctrun/ctrun/testhook"
)

// -r count: at most count more runs, each a fresh contract with a new id,
// the same argv, environment, working directory and streams.
func TestRestartCount(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		log := filepath.Join(dir, "runs")
		script := `echo "$CTRUN_CTID $PWD $MARK $1 $(cat)" >> ` + log + `; ` + probe + ` segv; sleep 5`
		r := run(t, call{args: []string{"-v", "-r", "2", "-f", "core", "sh", "-c", script, "sh", "arg"}, user: user,
			env: []string{"MARK=m"}, dir: dir, stdin: []byte("in")})
		if r.code != 123 {
			t.Fatalf("exit %d, want 123 (the last run died of SIGSEGV)\n%s", r.code, r.stderr)
		}
		b, _ := os.ReadFile(log)
		runs := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(runs) != 3 {
			t.Fatalf("%d runs, want 3 (1 + 2 restarts):\n%s\n%s", len(runs), b, r.stderr)
		}
		ids := map[string]bool{}
		for i, l := range runs {
			f := strings.Fields(l)
			if len(f) < 4 || f[1] != dir || f[2] != "m" || f[3] != "arg" {
				t.Fatalf("run %d saw %q, want id %s m arg", i+1, l, dir)
			}
			ids[f[0]] = true
		}
		// stdin is read by the first run only: the same stream is passed on.
		if !strings.HasSuffix(runs[0], " in") {
			t.Fatalf("the first run did not get stdin: %q", runs[0])
		}
		if len(ids) != 3 {
			t.Fatalf("contract ids repeat across restarts: %v", ids)
		}
		for _, want := range []string{"restart 1 of 2", "restart 2 of 2", "giving up"} {
			if !strings.Contains(r.stderr, want) {
				t.Fatalf("-v does not say %q:\n%s", want, r.stderr)
			}
		}
	})
}

// No restart after a normal exit (whatever its status), without -r, or
// when the event was not fatal.
func TestNoRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"normal exit with an error status", []string{"-r", "5", "-f", "core,signal", "sh", "-c", "echo run >> $0/runs; exit 7"}, 7},
		{"without -r", []string{"-f", "core", "sh", "-c", "echo run >> $0/runs; " + probePath() + " segv; sleep 5"}, 123},
		{"informative event only", []string{"-r", "5", "-i", "core", "sh", "-c", "echo run >> $0/runs; " + probePath() + " segv; exit 0"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				r := run(t, call{args: append(tc.args, dir), user: user})
				if r.code != tc.want {
					t.Fatalf("exit %d, want %d\n%s", r.code, tc.want, r.stderr)
				}
				b, _ := os.ReadFile(filepath.Join(dir, "runs"))
				if n := strings.Count(string(b), "run"); n != 1 {
					t.Fatalf("%d runs, want 1\n%s", n, r.stderr)
				}
			})
		})
	}
}

// A contract that keeps failing right after it starts is restarted after
// a growing pause, which -v shows and which never changes the count; six
// immediate failures under -r 0 still finish within a few seconds.
func TestCrashLoopPause(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		counter := filepath.Join(dir, "n")
		// Fail six times, then succeed.
		script := `n=$(cat ` + counter + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + counter + `; [ $n -gt 6 ] && exit 0; ` + probe + ` segv; sleep 5`
		r := run(t, call{args: []string{"-v", "-r", "0", "-f", "core", "sh", "-c", script}, user: user})
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if r.elapsed > 5*time.Second {
			t.Fatalf("six quick failures took %v", r.elapsed)
		}
		if !strings.Contains(r.stderr, "pausing") {
			t.Fatalf("no pause reported:\n%s", r.stderr)
		}
		if n := len(regexp.MustCompile(`restart \d+ in a new contract`).FindAllString(r.stderr, -1)); n != 6 {
			t.Fatalf("%d restarts reported, want 6:\n%s", n, r.stderr)
		}
	})
}

// A user's stop that comes while a contract is ended for a restart (here:
// just as its remains are about to be removed) is never followed by a
// start: the command ran once, ctrun says why it does not restart, and
// nothing is left, the instance made ahead for the next run included.
func TestStopDuringRestart(t *testing.T) {
	bin := hookedCtrun(t)
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		runs := filepath.Join(dir, "runs")
		// Long enough for the next instance to be made ahead (holder/ahead.go).
		script := `echo run >> "$1"; sleep 0.4; kill -SEGV $$`
		env := []string{testhook.StopEnv + "=" + testhook.Teardown}
		cmd, stderr := startBin(t, call{user: user, env: env, args: []string{"-v", "-r", "3", "-f", "core", "sh", "-c", script, "sh", runs}}, bin)
		waitExit(t, cmd, 20*time.Second)
		b, _ := os.ReadFile(runs)
		if n := strings.Count(string(b), "run\n"); n != 1 {
			t.Errorf("the command ran %d times, want once\n%s", n, stderr)
		}
		if !strings.Contains(stderr.String(), "not restarting: stopped by SIGTERM") {
			t.Errorf("no stop reported:\n%s", stderr)
		}
		if strings.Contains(stderr.String(), "restart 1") {
			t.Errorf("a restart was reported after the stop:\n%s", stderr)
		}
	})
}
