package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPidNamespace(t *testing.T) {
	for _, tc := range []struct {
		link string // "": no link
		want uint64
		err  error
	}{
		{"pid:[4026531836]", 4026531836, nil},
		{"pid:[4026532001]", 4026532001, nil},
		{"net:[4026531840]", 0, ErrFormat},
		{"pid:[]", 0, ErrFormat},
		{"pid:[12", 0, ErrFormat},
		{"", 0, os.ErrNotExist},
	} {
		dir := t.TempDir()
		mkdir(t, filepath.Join(dir, "9", "ns"))
		if tc.link != "" {
			if err := os.Symlink(tc.link, filepath.Join(dir, "9", "ns", "pid")); err != nil {
				t.Fatal(err)
			}
		}
		got, err := FS(dir).PidNamespace(9)
		if got != tc.want || (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("link %q: PidNamespace = %d, %v; want %d, %v", tc.link, got, err, tc.want, tc.err)
		}
	}
}

// The error users see (ctkill) is readlink's, as os.Readlink makes it.
func TestPidNamespaceError(t *testing.T) {
	dir := t.TempDir()
	_, err := FS(dir).PidNamespace(9)
	_, want := os.Readlink(filepath.Join(dir, "9", "ns", "pid"))
	if err == nil || err.Error() != want.Error() {
		t.Errorf("error %q, want os.Readlink's %q", err, want)
	}
	if _, err := FS(dir).Namespace(9); err == nil || err.Error() != want.Error() {
		t.Errorf("Namespace: error %q, want %q", err, want)
	}
}

// The test process itself, in the real /proc.
func TestOwnPidNamespace(t *testing.T) {
	own, err := Default.OwnPidNamespace()
	if err != nil || own == 0 {
		t.Fatalf("OwnPidNamespace = %d, %v", own, err)
	}
	if ino, err := Default.PidNamespace(os.Getpid()); err != nil || ino != own {
		t.Errorf("PidNamespace(self) = %d, %v; want %d", ino, err, own)
	}
	ns, err := Default.Namespace(os.Getpid())
	if err != nil || ns != (Namespace{Ino: own, Init: os.Getpid()}) {
		t.Errorf("Namespace(self) = %+v, %v", ns, err)
	}
}

// The holder checks the namespace of every process a contract forks: only
// the copy of the path x/sys makes is allocated.
func TestPidNamespaceAllocations(t *testing.T) {
	self := os.Getpid()
	n := testing.AllocsPerRun(100, func() {
		if _, err := Default.PidNamespace(self); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Errorf("PidNamespace allocates %v times a call, want at most 1", n)
	}
}
