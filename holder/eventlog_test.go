package holder

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOwnDescriptor(t *testing.T) {
	for _, tc := range []struct {
		name string
		fd   int
		ok   bool
	}{
		{"/dev/stdout", 1, true},
		{"/dev/stderr", 2, true},
		{"/dev/stdin", 0, true},
		{"/dev/fd/1", 1, true},
		{"/dev/fd/17", 17, true},
		{"/proc/self/fd/3", 3, true},
		{"/dev/fd/01", 0, false}, // not a name the kernel gives
		{"/dev/fd/-1", 0, false},
		{"/dev/fd/", 0, false},
		{"/dev/fd/x", 0, false},
		{"/dev/fd", 0, false},
		{"dev/fd/1", 0, false},
		{"/tmp/events.jsonl", 0, false},
	} {
		fd, ok := ownDescriptor(tc.name)
		if ok != tc.ok || (ok && fd != tc.fd) {
			t.Errorf("ownDescriptor(%q) = %d, %v; want %d, %v", tc.name, fd, ok, tc.fd, tc.ok)
		}
	}
}

// A file is appended to, never truncated; a descriptor is shared (one
// offset), and refused when not open for writing.
func TestOpenEventLog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log")
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openEventLog(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new\n"))
	f.Close()
	if b, _ := os.ReadFile(p); string(b) != "old\nnew\n" {
		t.Errorf("after -E to an existing file: %q, want %q", b, "old\nnew\n")
	}

	shared, err := os.Create(filepath.Join(dir, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	shared.Write([]byte("a\n"))
	f, err = openEventLog("/proc/self/fd/" + strconv.Itoa(int(shared.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("b\n"))
	f.Close()
	shared.Write([]byte("c\n"))
	if b, _ := os.ReadFile(shared.Name()); string(b) != "a\nb\nc\n" {
		t.Errorf("through a descriptor: %q, want %q (one offset)", b, "a\nb\nc\n")
	}

	ro, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := openEventLog("/dev/fd/" + strconv.Itoa(int(ro.Fd()))); err == nil || !strings.Contains(err.Error(), "not open for writing") {
		t.Errorf("a read-only descriptor: %v", err)
	}
}
