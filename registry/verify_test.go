package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
)

// A record is only the writer's word: List refuses one whose init is no
// contract init of the directory's owner.
func TestListRefusesForgedRecords(t *testing.T) {
	self := Self()
	// The machine's PID 1 is old (past startGrace) and no contract init.
	pid1 := ProcessOf(1)
	for _, tc := range []struct {
		name string
		rec  Record
		want string // in the refusal
		root bool   // PID 1 is root's: the directory must be too
	}{
		{
			name: "an init that is no contract init",
			rec:  Record{ID: 1, Init: pid1, Holder: self, UID: 0},
			want: "no contract init",
			root: true,
		},
		{
			name: "a creator uid that is not the directory's owner",
			rec:  Record{ID: self.Pid, Init: self, Holder: self, UID: os.Geteuid() + 1},
			want: "claims creator uid",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root: the forged record names PID 1, a process of root's")
			}
			d := Dir(t.TempDir())
			if err := d.Write(&tc.rec); err != nil {
				t.Fatal(err)
			}
			es, errs := List([]Dir{d}, ListOptions{})
			if len(es) != 0 {
				t.Fatalf("forged record listed: %+v", es)
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("errors = %v, want one saying %q", errs, tc.want)
			}
			if _, err := Find([]Dir{d}, tc.rec.ID); err == nil {
				t.Fatal("Find accepted the forged record")
			}
		})
	}
}

// A record written while its init still execs ours names a process not yet
// called ctrun-init: a young one is left out quietly (no warning), never
// listed as a contract.
func TestListLeavesOutStartingContracts(t *testing.T) {
	self := Self() // a test binary started a moment ago
	if age, err := procfs.Default.Age(self.Pid); err != nil || age >= startGrace {
		t.Skipf("the test process is %v old (%v): not young enough to pass for a starting init", age, err)
	}
	d := Dir(t.TempDir())
	if err := d.Write(&Record{ID: self.Pid, Init: self, Holder: self, UID: os.Geteuid()}); err != nil {
		t.Fatal(err)
	}
	es, errs, starting := list([]Dir{d}, ListOptions{})
	if len(es) != 0 || len(errs) != 0 {
		t.Fatalf("listed %+v, errors %v; want it left out quietly", es, errs)
	}
	if len(starting) != 1 || starting[0] != self.Pid {
		t.Fatalf("starting = %v, want [%d]", starting, self.Pid)
	}
}

// Collect removes a dead contract's record, but not a record that has
// been replaced since it was read (a new contract with the same id).
func TestCollectOnlyWhatWasRead(t *testing.T) {
	dead := Process{Pid: os.Getpid(), Start: 1} // not our start time: dead
	for _, tc := range []struct {
		name     string
		replace  bool
		wantGone bool
	}{
		{"the record read", false, true},
		{"a record written since", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			r := Record{ID: dead.Pid, Init: dead, UID: os.Geteuid()}
			if err := d.Write(&r); err != nil {
				t.Fatal(err)
			}
			if tc.replace {
				n := r
				n.Init = Self()
				if err := d.Write(&n); err != nil {
					t.Fatal(err)
				}
			}
			d.Collect(&r)
			_, err := os.Stat(d.Path(r.ID))
			if gone := os.IsNotExist(err); gone != tc.wantGone {
				t.Fatalf("record removed = %v, want %v (stat: %v)", gone, tc.wantGone, err)
			}
		})
	}
}

// Root hands a user's sub-contract over (-t) by rewriting its record as
// that user: the record stays the user's, so the user's tools accept it.
func TestReparentInAUsersDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test writes into another user's directory")
	}
	const nobody = 65534
	// The user must be able to reach it, as their XDG_RUNTIME_DIR.
	parent, err := os.MkdirTemp("", "ctrun-registry-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	d := Dir(filepath.Join(parent, "user"))
	if err := os.Mkdir(string(d), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(string(d), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	r := Record{ID: 4000001, Init: Process{Pid: 4000001}, UID: nobody, Parent: 7, Terms: Terms{Options: []string{"inherit"}}}
	if err := asOwner(nobody, nobody, func() error { return d.Write(&r) }); err != nil {
		t.Fatal(err)
	}
	moved, err := Reparent([]Dir{d}, 7, 8)
	if err != nil || len(moved) != 1 || moved[0] != r.ID {
		t.Fatalf("Reparent = %v, %v; want [%d]", moved, err, r.ID)
	}
	got, err := d.Read(r.ID)
	if err != nil {
		t.Fatalf("the user's record after the hand-over: %v", err)
	}
	if got.Parent != 8 {
		t.Errorf("parent %d, want 8", got.Parent)
	}
	var st unix.Stat_t
	if err := unix.Stat(d.Path(r.ID), &st); err != nil || st.Uid != nobody {
		t.Errorf("record owner %d (%v), want %d", st.Uid, err, nobody)
	}
	if os.Getuid() != 0 || os.Geteuid() != 0 {
		t.Error("the caller's own identity changed")
	}
}

// A process that has died but is not yet reaped (a holder killed by
// SIGKILL whose parent does not wait for it) is not alive: its contract is
// orphaned, not owned.
func TestZombieIsNotAlive(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	p := ProcessOf(cmd.Process.Pid)
	if !p.Alive() {
		t.Fatalf("running process %+v not alive", p)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := procfs.Default.Stat(p.Pid)
		if err != nil {
			t.Fatal(err)
		}
		state := st.State
		if state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still in state %c", p.Pid, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.Alive() {
		t.Fatal("a zombie is taken to be alive")
	}
}
