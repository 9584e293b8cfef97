package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Instance directories that no claim names (left by holders killed before
// claims existed) are collected by the user's next ctstat once they are
// old enough, whole, without following a symlink in them; a new one is
// left for later (a holder of an older ctrun may be making it).
func TestUnclaimedRemainsCollected(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		state, uid := "/run/ctrun", 0
		if user {
			state, uid = userStateDir, nobody
		}
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(state, uid, uid); err != nil {
			t.Fatal(err)
		}
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		bait := filepath.Join(sharedDir(t), "keep")
		if err := os.WriteFile(bait, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// What a dead holder left: libcontainer's state, and a rootfs
		// directory of mount points and a symlink.
		old := make(map[string]string)
		remains := func(run int) []string {
			name := itoa(gone.Process.Pid) + "-" + itoa(run) + "-0000abcd"
			lc, root := filepath.Join(state, name+".lc"), filepath.Join(state, name+".root")
			for _, p := range []string{filepath.Join(lc, "c", "state.json"), filepath.Join(root, "usr", "x"), filepath.Join(root, "bin")} {
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(lc, "c", "state.json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Dir(bait), filepath.Join(root, "etc")); err != nil {
				t.Fatal(err)
			}
			_ = filepath.Walk(lc, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, uid) })
			_ = filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, uid) })
			return []string{lc, root}
		}
		for _, p := range remains(1) {
			old[p] = "old"
		}
		t.Cleanup(func() {
			for p := range old {
				os.RemoveAll(p)
			}
		})
		// Older than the sweep's grace (10 s, by the directories' change
		// time, which cannot be set back).
		time.Sleep(11 * time.Second)
		for _, p := range remains(2) {
			old[p] = "new"
		}
		r := runBin(t, ctstatBin, user, nil, "-a")
		if r.code != 0 {
			t.Fatalf("ctstat: exit %d, stderr %q", r.code, r.stderr)
		}
		for p, age := range old {
			_, err := os.Lstat(p)
			if gone := os.IsNotExist(err); gone != (age == "old") {
				t.Errorf("%s (%s) removed = %v, want %v", p, age, gone, age == "old")
			}
		}
		if _, err := os.Stat(bait); err != nil {
			t.Errorf("a file a symlink in the remains pointed to was removed: %v", err)
		}
		// Now, not at clean-up: the state directory is checked empty
		// before then.
		for p := range old {
			os.RemoveAll(p)
		}
	})
}
