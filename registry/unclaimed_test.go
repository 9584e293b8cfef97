package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Instance directories no claim names are collected once old enough and
// their holder's pid runs nothing, whole, without following a symlink out
// of the state directory; a claimed one, a live holder's and a young one
// stay.
func TestCollectUnclaimed(t *testing.T) {
	dead := deadProcess(t)
	for _, tc := range []struct {
		name     string
		holder   int
		claim    bool
		grace    bool // judged with removeGrace rather than none
		wantGone bool
	}{
		{"a dead holder's, unclaimed", dead.Pid, false, false, true},
		{"a dead holder's, claimed", dead.Pid, true, false, false},
		{"a running process's pid in the name", os.Getpid(), false, false, false},
		{"made just now", dead.Pid, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			outside := t.TempDir()
			bait := filepath.Join(outside, "keep")
			if err := os.WriteFile(bait, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%d-1-0000abcd", tc.holder)
			lc := filepath.Join(string(d), name+LibcontainerSuffix)
			root := filepath.Join(string(d), name+RootfsSuffix)
			for _, p := range []string{filepath.Join(lc, "c"), filepath.Join(root, "usr")} {
				if err := os.MkdirAll(p, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(lc, "c", "state.json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := unix.Mkfifo(filepath.Join(lc, "c", "exec.fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, link := range []string{filepath.Join(root, "bin"), filepath.Join(lc, "c", "out")} {
				if err := os.Symlink(outside, link); err != nil {
					t.Fatal(err)
				}
			}
			if tc.claim {
				if err := d.WriteClaim(&Claim{Name: name, Holder: Self()}); err != nil {
					t.Fatal(err)
				}
			}
			grace := removeGrace
			if !tc.grace {
				grace = 0
			}
			d.collectUnclaimed(grace)
			for _, p := range []string{lc, root} {
				_, err := os.Lstat(p)
				if gone := os.IsNotExist(err); gone != tc.wantGone {
					t.Errorf("%s removed = %v, want %v", p, gone, tc.wantGone)
				}
			}
			if _, err := os.Stat(bait); err != nil {
				t.Errorf("a file a symlink pointed to was removed: %v", err)
			}
		})
	}
}

// Only directories are taken: a symlink or a file in an instance
// directory's place, and another user's directory, stay.
func TestCollectUnclaimedOnlyOwnDirectories(t *testing.T) {
	dead := deadProcess(t)
	d := Dir(t.TempDir())
	outside := t.TempDir()
	name := fmt.Sprintf("%d-1-0000abcd", dead.Pid)
	link := filepath.Join(string(d), name+RootfsSuffix)
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(string(d), name+LibcontainerSuffix)
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var other string
	if os.Geteuid() == 0 {
		other = filepath.Join(string(d), fmt.Sprintf("%d-2-0000abcd", dead.Pid)+RootfsSuffix)
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	d.collectUnclaimed(0)
	for _, p := range []string{link, file, other, outside} {
		if p == "" {
			continue
		}
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}

// What is mounted in an unclaimed directory, or on it, is never emptied:
// the mount point and the directories holding it stay, the rest goes.
func TestCollectUnclaimedLeavesMounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dead := deadProcess(t)
	for _, onTop := range []bool{false, true} {
		t.Run(fmt.Sprintf("on the directory itself: %v", onTop), func(t *testing.T) {
			d := Dir(t.TempDir())
			root := filepath.Join(string(d), fmt.Sprintf("%d-1-0000abcd", dead.Pid)+RootfsSuffix)
			mnt := filepath.Join(root, "usr")
			other := filepath.Join(root, "tmp")
			if onTop {
				mnt, other = root, ""
			}
			for _, p := range []string{mnt, other} {
				if p != "" {
					if err := os.MkdirAll(p, 0o700); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
			inside := filepath.Join(mnt, "data")
			if err := os.WriteFile(inside, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			d.collectUnclaimed(0)
			if _, err := os.Stat(inside); err != nil {
				t.Errorf("a file on a mounted file system was removed: %v", err)
			}
			if other != "" {
				if _, err := os.Lstat(other); !os.IsNotExist(err) {
					t.Errorf("%s beside the mount point is left (%v)", other, err)
				}
			}
			if err := RemoveRootfs(root); err == nil && onTop {
				t.Errorf("RemoveRootfs removed a directory something is mounted on")
			}
			if _, err := os.Stat(inside); err != nil {
				t.Errorf("RemoveRootfs removed a file on a mounted file system: %v", err)
			}
		})
	}
}
