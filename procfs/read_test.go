package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	long := proc{pid: 7, name: "many", groups: 3000}.status() // far beyond one page
	for _, tc := range []struct {
		name    string
		content string // "": no such file
	}{
		{"a short file", "Name:\tsh\n"},
		{"a status file with a long Groups line", long},
		{"exactly one page", strings.Repeat("x", 4096)},
		{"an empty file", "-"},
		{"a missing file", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			content := strings.TrimPrefix(tc.content, "-")
			if tc.content != "" {
				write(t, filepath.Join(dir, "7", "status"), content)
			}
			var s Scratch
			for range 2 { // the second time in a buffer grown already
				b, err := FS(dir).Read(7, "status", &s)
				if tc.content == "" {
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("Read of a missing file: %q, %v", b, err)
					}
					continue
				}
				if err != nil || string(b) != content {
					t.Fatalf("Read = %d bytes, %v; want the %d of the file", len(b), err, len(content))
				}
			}
		})
	}
}

func TestReadSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "0123456789")
	for _, tc := range []struct {
		size int
		want string
	}{{64, "0123456789"}, {10, "0123456789"}, {4, "0123"}, {0, ""}} {
		b, err := ReadSmall(path, make([]byte, tc.size))
		if err != nil || string(b) != tc.want {
			t.Errorf("ReadSmall into %d bytes = %q, %v; want %q", tc.size, b, err, tc.want)
		}
	}
	if _, err := ReadSmall(path+".missing", make([]byte, 8)); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadSmall of a missing file: %v, want an error naming it", err)
	}
}

// The holder reads the status of every process a contract starts: once
// the buffer fits, only the copy of the path x/sys makes is allocated.
func TestStatusAllocations(t *testing.T) {
	var s Scratch
	self := os.Getpid()
	if _, err := Default.Status(self, &s); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if st, err := Default.Status(self, &s); err != nil || st.Name == nil {
			t.Fatalf("Status(self) = %q, %v", st, err)
		}
	})
	if n > 1 {
		t.Errorf("Status allocates %v times a call, want at most 1", n)
	}
}
