package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// CollectRemains removes what a claim names only once its holder is gone,
// and never anything outside the state directory and the claimed cgroups.
func TestCollectRemainsClaims(t *testing.T) {
	dead := deadProcess(t)
	for _, tc := range []struct {
		name     string
		claim    Claim
		wantGone bool // the rootfs, libcontainer directory and claim
	}{
		{"a dead holder's", Claim{Holder: dead}, true},
		{"a live holder's, still making it", Claim{Holder: Self()}, false},
		{"an orphaned contract's, its init running ours", Claim{Holder: dead, Init: Self(), Made: true}, false},
		{"a dead holder's whose init is gone", Claim{Holder: dead, Init: dead, Made: true}, true},
		{"a dead holder's in a PID namespace below", Claim{Holder: dead, PidNS: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			c := tc.claim
			c.Name = "1-1-0000abcd"
			if err := d.WriteClaim(&c); err != nil {
				t.Fatal(err)
			}
			made := []string{
				filepath.Join(string(d), c.Name+RootfsSuffix, "lib"),
				filepath.Join(string(d), c.Name+LibcontainerSuffix, "c"),
			}
			for _, p := range made {
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if errs := d.CollectRemains(); len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			for _, p := range append(made, d.ClaimPath(c.Name)) {
				_, err := os.Lstat(p)
				if gone := os.IsNotExist(err); gone != tc.wantGone {
					t.Errorf("%s removed = %v, want %v", p, gone, tc.wantGone)
				}
			}
		})
	}
}

// A claim is the writer's word: one naming cgroups outside the cgroup
// file system, a name that is a path, or a file that is no claim (a
// symlink, a FIFO) is never acted on, and says why.
func TestCollectRemainsHostileClaims(t *testing.T) {
	dead := deadProcess(t)
	d := Dir(t.TempDir())
	outside := t.TempDir()
	victim := filepath.Join(outside, CgroupName("1-1-0000abcd"))
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	c := Claim{Name: "1-1-0000abcd", Holder: dead, CgroupParents: []string{outside, "/sys/fs/cgroup/../../" + outside}}
	if err := d.WriteClaim(&c); err != nil {
		t.Fatal(err)
	}
	// A name that climbs out, written by hand.
	if err := os.WriteFile(filepath.Join(string(d), "x.claim"), []byte(`{"name":"../../x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(d.ClaimPath(c.Name), filepath.Join(string(d), "2-2-0000abcd.claim")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(string(d), "3-3-0000abcd.claim"), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := d.CollectRemains()
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("a directory outside the cgroup file system was removed: %v", err)
	}
	if len(errs) != 2 {
		t.Errorf("errors = %v, want the symlink and the FIFO refused", errs)
	}
	if _, err := os.Lstat(filepath.Join(string(d), "x.claim")); err != nil {
		t.Errorf("a claim ctrun cannot have written was removed: %v", err)
	}
}

// Temporary files go with their writer; an endpoint goes when nobody
// answers and no record names it (and it is not new).
func TestCollectRemainsTemporaryFiles(t *testing.T) {
	dead := deadProcess(t)
	d := Dir(t.TempDir())
	deadTmp := TempName(d.Path(7), dead.Pid)
	liveTmp := TempName(d.Path(8), os.Getpid())
	for _, p := range []string{deadTmp, liveTmp} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d.CollectRemains()
	if _, err := os.Lstat(deadTmp); !os.IsNotExist(err) {
		t.Errorf("a dead writer's temporary file is left (%v)", err)
	}
	if _, err := os.Lstat(liveTmp); err != nil {
		t.Errorf("a live writer's temporary file was removed: %v", err)
	}
}

// deadProcess names a process that has exited (and been reaped).
func deadProcess(t *testing.T) Process {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := ProcessOf(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return p
}
