package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Resources run out (issue 11): ctrun says what failed in one line, holds
// or kills the contract as its terms say, leaves nothing behind, and the
// command's own output is never lost or held up by ctrun's reporting.

// An event log that cannot be written: on a full disk (/dev/full) the
// command runs and exits as it would, its output whole, and ctrun says
// once that the log failed; a FIFO nobody reads is refused before
// anything starts, rather than waited on.
func TestEventLogCannotBeWritten(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		fifo := filepath.Join(sharedDir(t), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		if user {
			// The user's own: a FIFO of someone else's in a shared
			// directory is refused anyway (fs.protected_fifos).
			if err := os.Chown(fifo, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name, log    string
			code         int
			stdout       string
			stderrPrefix string
		}{
			{"full disk", "/dev/full", 3, "one\ntwo\n", "ctrun: event log /dev/full: no space left on device; no more events are written to it"},
			{"FIFO without a reader", fifo, 124, "", "ctrun: event log: open " + fifo + ": no such device or address"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := run(t, call{args: []string{"-E", tc.log, "-i", "fork,exit", "sh", "-c", "echo one; (:); echo two; exit 3"}, user: user})
				if r.code != tc.code || r.stdout != tc.stdout {
					t.Errorf("exit %d, stdout %q; want %d, %q\nstderr: %s", r.code, r.stdout, tc.code, tc.stdout, r.stderr)
				}
				if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, tc.stderrPrefix) {
					t.Errorf("stderr %q; want one line %q", r.stderr, tc.stderrPrefix)
				}
			})
		}
	})
}

// With the state directory's file system full (a small tmpfs, filled, in
// a private mount namespace), ctrun cannot record the contract: it says
// so in one line and exits 124, the command never runs, and nothing of
// the contract is left there.
func TestStateDirFull(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		requireRoot(t) // to mount the tmpfs
		clean(t)
		state, run := "/run/ctrun", ctrun
		opts := "size=256k,mode=0700"
		if user {
			// The user's state directory, whatever XDG_RUNTIME_DIR says
			// (registry.StateDir); the tmpfs goes over it in the private
			// mount namespace only.
			state = "/tmp/ctrun-65534"
			if err := os.Mkdir(state, 0o700); err == nil {
				if err := os.Chown(state, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Remove(state) })
			} else if !os.IsExist(err) {
				t.Fatal(err)
			}
			opts += ",uid=65534,gid=65534"
			run = "setpriv --reuid=65534 --regid=65534 --clear-groups " + ctrun
		} else if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		script := `set -e
			mount -t tmpfs -o ` + opts + ` tmpfs ` + state + `
			head -c 1M /dev/zero > ` + state + `/fill 2>/dev/null || true
			set +e
			` + run + ` sh -c 'echo ran'
			echo "status $?"
			ls -A ` + state
		r := runBin(t, "/usr/bin/unshare", false, nil, "-m", "--propagation", "private", "sh", "-c", script)
		if r.stdout != "status 124\nfill\n" {
			t.Errorf("stdout %q; want the command not run, ctrun's status 124 and only the filler left", r.stdout)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ctrun: ") || !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("stderr %q; want one line saying the disk is full", r.stderr)
		}
	})
}
