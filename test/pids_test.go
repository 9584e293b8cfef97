package test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pidsCgroup makes a cgroup v1 pids group below the caller's own, with
// pids.max max, removed at the end of the test. Not named ctrun-*: it is
// the caller's, not a contract's.
func pidsCgroup(t *testing.T, max int) string {
	t.Helper()
	requireRoot(t)
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	own := ""
	for s := bufio.NewScanner(f); s.Scan(); {
		if parts := strings.SplitN(s.Text(), ":", 3); len(parts) == 3 && parts[1] == "pids" {
			own = parts[2]
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); own == "" || err != nil {
		// The v2 pass of make test mounts cgroup2 over /sys/fs/cgroup;
		// the v1 pass runs this test.
		t.Skip("no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (a cgroup v2 view)")
	}
	dir := filepath.Join("/sys/fs/cgroup/pids", own, fmt.Sprintf("pidstest-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// What ctrun left (noorphan's kills land as it returns) is
		// the test's clean's to find; the cgroup goes once empty.
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := os.Remove(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
				t.Errorf("remove the test's pids cgroup: %v (processes: %q)", err, b)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(itoa(max)), 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

// inCgroup is a shell script that joins cgroup dir, then runs ctrun (as
// uid 65534 for user) with the script's further arguments.
func inCgroup(dir string, user bool) string {
	as := ""
	if user {
		as = "setpriv --reuid=65534 --regid=65534 --clear-groups "
	}
	return `echo $$ > ` + dir + `/cgroup.procs && exec ` + as + `"$0" "$@"`
}

// With the pids limit of the caller's cgroup reached, ctrun says so in
// one line and exits 124 before anything is started; once started, a
// command whose forks fail sees its own failures, its output whole,
// ctrun holds the contract as its terms say (to its last member by
// default, only to the command's exit with -l child -o noorphan, which
// kills the rest) and returns the command's status, saying nothing of
// its own. Nothing is left behind.
func TestPidsLimit(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		requireRoot(t) // to make the cgroup
		clean(t)
		t.Run("no room to start", func(t *testing.T) {
			dir := pidsCgroup(t, 8)
			r := runBin(t, "/bin/sh", false, nil, "-c", inCgroup(dir, user), ctrun, "sh", "-c", "echo ran")
			if r.code != 124 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 124 and the command not run", r.code, r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ctrun: ") || !strings.Contains(r.stderr, "limit on processes") {
				t.Errorf("stderr %q; want one line saying the limit on processes is reached", r.stderr)
			}
		})
		// Forks until one fails; what the command prints comes first, the
		// shell's own complaint last.
		forks := `echo before; i=0; while [ $i -lt 80 ]; do sleep 2 & i=$((i+1)); done; echo never`
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"the contract held to its last member", nil},
			{"the rest killed at the command's exit", []string{"-l", "child", "-o", "noorphan"}},
		} {
			t.Run("members' forks fail, "+tc.name, func(t *testing.T) {
				dir := pidsCgroup(t, 48)
				args := append([]string{"-c", inCgroup(dir, user), ctrun}, tc.args...)
				r := runBin(t, "/bin/sh", false, nil, append(args, "sh", "-c", forks)...)
				if r.code != 2 || r.stdout != "before\n" {
					t.Errorf("exit %d, stdout %q; want the shell's 2 and its output", r.code, r.stdout)
				}
				if strings.Contains(r.stderr, "ctrun") || !strings.Contains(r.stderr, "fork") || strings.Count(r.stderr, "\n") != 1 {
					t.Logf("exit %d, stdout %q", r.code, r.stdout)
					t.Errorf("stderr %q; want only the shell's line about its fork", r.stderr)
				}
			})
		}
	})
}
