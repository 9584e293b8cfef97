package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The shells a user reads their contracts from: XDG_RUNTIME_DIR unset (cron,
// sudo -u), pointing at another directory of theirs, relative (ignored),
// and the one the contract was started with.
func xdgReaders(xdgStart, xdgOther string) []struct {
	name  string
	env   []string
	noXDG bool
} {
	return []struct {
		name  string
		env   []string
		noXDG bool
	}{
		{"unset", nil, true},
		{"another directory", []string{"XDG_RUNTIME_DIR=" + xdgOther}, false},
		{"relative", []string{"XDG_RUNTIME_DIR=run"}, false},
		{"the starting shell's", []string{"XDG_RUNTIME_DIR=" + xdgStart}, false},
	}
}

// A user's contracts are the user's wherever they were started from:
// started with XDG_RUNTIME_DIR set, one is listed by ctstat, its members
// by ctkill -l, and its events by ctwatch, with the variable unset or
// naming another directory; and nothing of it is written under the
// variable's directory.
func TestUserContractsWhateverXDG(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	xdgStart, xdgOther := userRuntimeDir(t), userRuntimeDir(t)
	script := `echo $CTRUN_CTID > ` + dir + `/ctid; while [ ! -e ` + dir + `/go ]; do sleep 0.05; done`
	cmd, _, stderr := start(t, call{args: []string{"-i", "exit", "sh", "-c", script}, user: true, env: []string{"XDG_RUNTIME_DIR=" + xdgStart}})
	id := readPidFile(t, dir+"/ctid")
	if left, _ := filepath.Glob(filepath.Join(xdgStart, "*")); len(left) > 0 {
		t.Errorf("state written under XDG_RUNTIME_DIR: %q", left)
	}
	var watchers []*tool
	for _, rd := range xdgReaders(xdgStart, xdgOther) {
		r := run(t, call{bin: ctstatBin, args: []string{"-i", itoa(id)}, user: true, env: rd.env, noXDG: rd.noXDG})
		if row, ok := statRows(t, r.stdout)[id]; r.code != 0 || !ok || row.state != "owned" || row.holder != itoa(cmd.Process.Pid) {
			t.Errorf("XDG_RUNTIME_DIR %s: ctstat -i %d: exit %d, %q\n%s", rd.name, id, r.code, r.stdout, r.stderr)
		}
		r = run(t, call{bin: ctkillBin, args: []string{"-l", itoa(id)}, user: true, env: rd.env, noXDG: rd.noXDG})
		if r.code != 0 || !strings.Contains(r.stdout, " sh\n") {
			t.Errorf("XDG_RUNTIME_DIR %s: ctkill -l %d: exit %d, %q\n%s", rd.name, id, r.code, r.stdout, r.stderr)
		}
		watchers = append(watchers, startWatch(t, rd.env, rd.noXDG, id))
	}
	// Every ctwatch replays (-f) and follows the contract's exit events
	// (each sleep's) before the contract is let go.
	for i, w := range watchers {
		eventually(t, 10*time.Second, "ctwatch "+xdgReaders(xdgStart, xdgOther)[i].name+" to report", func() bool {
			return strings.Contains(w.output(), `"ctid":`+itoa(id))
		})
	}
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 15*time.Second); code != 0 {
		t.Fatalf("ctrun: exit %d\n%s", code, stderr)
	}
	for i, w := range watchers {
		<-w.done
		if code := w.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("ctwatch, XDG_RUNTIME_DIR %s: exit %d:\n%s", xdgReaders(xdgStart, xdgOther)[i].name, code, w.output())
		}
	}
}

// startWatch starts ctwatch -f -j id as uid 65534 with env.
func startWatch(t *testing.T, env []string, noXDG bool, id int) *tool {
	t.Helper()
	return startToolCall(t, call{bin: ctwatchBin, args: []string{"-f", "-j", itoa(id)}, user: true, env: env, noXDG: noXDG})
}

// ctrun -a adopts a user's orphaned contract from a shell without the
// XDG_RUNTIME_DIR it was started with.
func TestUserAdoptsWhateverXDG(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	xdg := userRuntimeDir(t)
	script := `exec >/dev/null 2>&1; echo $CTRUN_CTID > ` + dir + `/ctid; while [ ! -e ` + dir + `/go ]; do sleep 0.05; done`
	holder, _, _ := start(t, call{args: []string{"sh", "-c", script}, user: true, env: []string{"XDG_RUNTIME_DIR=" + xdg}})
	id := readPidFile(t, dir+"/ctid")
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.Process.Wait()
	// A holder killed by SIGKILL leaves its watch socket (see
	// TestCtstatOrphaned).
	t.Cleanup(func() { os.Remove(filepath.Join(userStateDir, "holder-"+itoa(holder.Process.Pid)+".sock")) })
	adopter, _, stderr := start(t, call{args: []string{"-a", itoa(id)}, user: true, noXDG: true})
	eventually(t, 10*time.Second, "the adopter to hold the contract", func() bool {
		r := run(t, call{bin: ctstatBin, args: []string{"-i", itoa(id)}, user: true, noXDG: true})
		return statRows(t, r.stdout)[id].holder == itoa(adopter.Process.Pid)
	})
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, adopter, 15*time.Second); code != 0 {
		t.Fatalf("ctrun -a %d: exit %d\n%s", id, code, stderr)
	}
}
