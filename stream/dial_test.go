package stream

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// listen makes a unix socket at path that nobody serves: the kernel takes
// connections (up to the backlog) and nothing is ever said on them.
func listen(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
}

func TestDial(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "holder-1.sock")
	listen(t, sock)
	link := filepath.Join(dir, "link.sock")
	if err := os.Symlink(sock, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	self, uid := os.Getpid(), os.Geteuid()

	for _, tc := range []struct {
		name     string
		path     string
		pid, uid int
		conn     bool
		err      string // the whole message, "" for none
	}{
		{"the holder's socket", sock, self, uid, true, ""},
		{"a symlink to it", link, self, uid, false, ""},
		{"a regular file", file, self, uid, false, ""},
		{"a directory", dir, self, uid, false, ""},
		{"nothing", filepath.Join(dir, "none.sock"), self, uid, false, ""},
		{"served by another pid", sock, self + 1, uid, false,
			fmt.Sprintf("watch socket %s is served by pid %d, not by the holder %d: not connected to", sock, self, self+1)},
		{"owned by another uid", sock, self, uid + 1, false,
			fmt.Sprintf("watch socket %s of holder %d belongs to uid %d, not to uid %d: not connected to", sock, self, uid, uid+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Dial(tc.path, tc.pid, tc.uid, time.Now().Add(time.Second))
			if c != nil {
				c.Close()
			}
			if (c != nil) != tc.conn {
				t.Errorf("connected: %v, want %v", c != nil, tc.conn)
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if msg != tc.err {
				t.Errorf("error %q, want %q", msg, tc.err)
			}
		})
	}
}

// A holder that takes the connection but does not answer counts as
// having nothing queued, and costs no more than the deadline; so does one
// that answers garbage. Sockets that are not the holder's are not asked.
func TestStatRefusals(t *testing.T) {
	dir := t.TempDir()
	silent := filepath.Join(dir, "silent.sock")
	listen(t, silent)
	link := filepath.Join(dir, "link.sock")
	if err := os.Symlink(serve(t).Path(), link); err != nil {
		t.Fatal(err)
	}
	self, uid := os.Getpid(), os.Geteuid()
	const timeout = 200 * time.Millisecond

	for _, tc := range []struct {
		name     string
		path     string
		pid, uid int
		err      bool
	}{
		{"silent", silent, self, uid, false},
		{"a symlink to a holder", link, self, uid, false},
		{"served by another pid", silent, self + 1, uid, true},
		{"owned by another uid", silent, self, uid + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			q, err := Stat(tc.path, tc.pid, tc.uid, start.Add(timeout))
			if q != nil || (err != nil) != tc.err {
				t.Errorf("%v, %v; want nothing, error %v", q, err, tc.err)
			}
			if d := time.Since(start); d > timeout+150*time.Millisecond {
				t.Errorf("took %v", d)
			}
		})
	}
}
