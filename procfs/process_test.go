package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestComm(t *testing.T) {
	for _, tc := range []struct {
		content string // "": no file
		want    string
	}{
		{"sleep\n", "sleep"},
		{" spaced \n", " spaced "},
		{"a\\b\n", `a\b`},
		{"no newline", "no newline"},
		{"", ""},
	} {
		dir := t.TempDir()
		if tc.content != "" {
			write(t, filepath.Join(dir, "3", "comm"), tc.content)
		}
		got, err := FS(dir).Comm(3)
		if got != tc.want || (err == nil) != (tc.content != "") {
			t.Errorf("Comm of %q = %q, %v; want %q", tc.content, got, err, tc.want)
		}
	}
}

// The test process itself, in the real /proc.
func TestProcessSelf(t *testing.T) {
	self := os.Getpid()
	comm, err := Default.Comm(self)
	if err != nil || comm == "" {
		t.Fatalf("Comm(self) = %q, %v", comm, err)
	}
	var s Scratch
	st, err := Default.Status(self, &s)
	if err != nil || string(st.Name) != comm {
		t.Errorf("Status(self).Name = %q, %v; want %q", st.Name, err, comm)
	}
	if nspid, ok := st.NSPid.At(Last); !ok || nspid != self {
		t.Errorf("Status(self).NSPid = %q: innermost %d, %t; want %d", st.NSPid, nspid, ok, self)
	}
	if euid, ok := st.Uid.At(1); !ok || euid != os.Geteuid() {
		t.Errorf("Status(self).Uid = %q: effective %d, %t; want %d", st.Uid, euid, ok, os.Geteuid())
	}
	if uid, err := Default.Owner(self); err != nil || uid != os.Geteuid() {
		t.Errorf("Owner(self) = %d, %v; want %d", uid, err, os.Geteuid())
	}
	if _, err := FS(t.TempDir()).Owner(self); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Owner of a missing process: %v", err)
	}
}

func TestArg(t *testing.T) {
	self := os.Getpid()
	if got := Default.Arg(self, 0); got != os.Args[0] {
		t.Fatalf("Arg(self, 0) = %q, want %q", got, os.Args[0])
	}
	if len(os.Args) > 1 {
		if got := Default.Arg(self, 1); got != os.Args[1] {
			t.Fatalf("Arg(self, 1) = %q, want %q", got, os.Args[1])
		}
	}
	if got := Default.Arg(self, 1000); got != "" {
		t.Fatalf("Arg(self, 1000) = %q, want none", got)
	}
	if got := Default.Arg(1<<30, 0); got != "" {
		t.Fatalf("Arg of no process = %q", got)
	}
}

func TestEnv(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "3", "environ"), "PATH=/bin\x00CTRUN_STATE=/run/ctrun\x00EMPTY=\x00CTRUN_STATE=/second\x00NOVALUE\x00")
	for _, tc := range []struct {
		key  string
		want string
		ok   bool
	}{
		{"CTRUN_STATE", "/run/ctrun", true}, // the first of two
		{"PATH", "/bin", true},
		{"EMPTY", "", true},
		{"NOVALUE", "", false},
		{"CTRUN", "", false},
		{"", "", false},
	} {
		if got, ok := FS(dir).Env(3, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("Env(%q) = %q, %t; want %q, %t", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := FS(dir).Env(4, "PATH"); ok {
		t.Errorf("Env of a missing process = %q", got)
	}
	// The test process itself, in the real /proc.
	if _, ok := Default.Env(os.Getpid(), "CTRUN_NO_SUCH_VARIABLE"); ok {
		t.Errorf("Env(self) found a variable that is not set")
	}
}
