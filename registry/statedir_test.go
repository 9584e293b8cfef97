package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// Where contracts are made depends on the uid (and, for root, on whether
// /run can be written), never on the environment.
func TestStateDirIgnoresTheEnvironment(t *testing.T) {
	for _, tc := range []struct {
		uid         int
		runWritable bool
		want        string
	}{
		{0, true, "/run/ctrun"},
		{0, false, "/tmp/ctrun-0"},
		{1000, true, "/tmp/ctrun-1000"},
		{1000, false, "/tmp/ctrun-1000"},
		{65534, true, "/tmp/ctrun-65534"},
	} {
		if got := stateDirFor(tc.uid, tc.runWritable); got != tc.want {
			t.Errorf("stateDirFor(%d, %v) = %q, want %q", tc.uid, tc.runWritable, got, tc.want)
		}
	}
	// StateDir itself, whatever XDG_RUNTIME_DIR says.
	want, _ := StateDir()
	for _, xdg := range []string{"", "/run/user/1000", t.TempDir(), "relative"} {
		t.Setenv("XDG_RUNTIME_DIR", xdg)
		if got, err := StateDir(); err != nil || got != want {
			t.Errorf("XDG_RUNTIME_DIR=%q: StateDir = %q, %v; want %q", xdg, got, err, want)
		}
	}
}

// Readers look where the contracts are made first, then where else the
// caller's may be recorded: root's other choice; a user's directories of
// earlier versions (XDG_RUNTIME_DIR, when set and absolute, and
// /run/user/<uid>).
func TestReadDirs(t *testing.T) {
	for _, tc := range []struct {
		uid         int
		runWritable bool
		xdg         string
		want        []string
	}{
		{0, true, "", []string{"/run/ctrun", "/tmp/ctrun-0"}},
		{0, false, "/run/user/0", []string{"/tmp/ctrun-0", "/run/ctrun"}},
		{1000, true, "", []string{"/tmp/ctrun-1000", "/run/user/1000/ctrun"}},
		{1000, true, "/run/user/1000", []string{"/tmp/ctrun-1000", "/run/user/1000/ctrun"}},
		{1000, true, "/home/u/rt/", []string{"/tmp/ctrun-1000", "/home/u/rt/ctrun", "/run/user/1000/ctrun"}},
		{1000, true, "rt", []string{"/tmp/ctrun-1000", "/run/user/1000/ctrun"}},
	} {
		if got := readDirsFor(tc.uid, tc.runWritable, tc.xdg); !slices.Equal(got, tc.want) {
			t.Errorf("readDirsFor(%d, %v, %q) = %q, want %q", tc.uid, tc.runWritable, tc.xdg, got, tc.want)
		}
	}
}

// Dirs finds a directory named by a running contract init (as an earlier
// version's contract under XDG_RUNTIME_DIR names its own) when it is a
// real directory of the user the init runs as, and not otherwise.
func TestDirsFollowsInits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the stand-in init runs in a PID namespace of its own")
	}
	base := t.TempDir()
	mine := filepath.Join(base, "mine")
	others := filepath.Join(base, "others")
	link := filepath.Join(base, "link")
	for _, d := range []string{mine, others} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(others, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mine, link); err != nil {
		t.Fatal(err)
	}
	// Stand-in inits: a program called ctrun-init, PID 1 of a namespace of
	// its own, as root, naming each directory.
	bin := filepath.Join(base, InitName)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{mine, others, link} {
		cmd := exec.Command(bin, "60")
		cmd.Env = []string{StateEnv + "=" + d}
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
		if err := cmd.Start(); err != nil {
			t.Skipf("cannot start a process in a new PID namespace: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	var dirs []Dir
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		dirs = Dirs("/nonexistent-own")
		if slices.Contains(dirs, Dir(mine)) || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Contains(dirs, Dir(mine)) {
		t.Errorf("Dirs = %q: the directory a root init names is missing", dirs)
	}
	for _, d := range []string{others, link} {
		if slices.Contains(dirs, Dir(d)) {
			t.Errorf("Dirs = %q: has %s, which is not the init's user's real directory", dirs, d)
		}
	}
	if dirs[0] != "/nonexistent-own" {
		t.Errorf("Dirs = %q: the caller's own directory is not first", dirs)
	}
}
