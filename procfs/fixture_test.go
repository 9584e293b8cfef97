package procfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// proc is a process of a fake /proc.
type proc struct {
	pid   int
	name  string
	state string // State line value, "S (sleeping)" when empty
	// nspid is the NSpid line's fields (just pid when empty).
	nspid []int
	// ns is the PID namespace inode its ns/pid link names (no link: 0).
	ns uint64
	// groups is the number of supplementary groups on its Groups line.
	groups int
	// noStatus: it has a namespace but no status file (gone meanwhile).
	noStatus bool
}

// fakeProc lays out a directory like /proc for ps, with a status file
// (name, state, uids, groups, NSpid, NSpgid lines), a comm file and a
// ns/pid link for each, plus entries that are no processes.
func fakeProc(t *testing.T, ps ...proc) FS {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"self", "sys", "0", "1x"} {
		mkdir(t, filepath.Join(dir, name))
	}
	for _, p := range ps {
		pd := filepath.Join(dir, strconv.Itoa(p.pid))
		mkdir(t, filepath.Join(pd, "ns"))
		if p.ns != 0 {
			if err := os.Symlink(fmt.Sprintf("pid:[%d]", p.ns), filepath.Join(pd, "ns", "pid")); err != nil {
				t.Fatal(err)
			}
		}
		if p.noStatus {
			continue
		}
		write(t, filepath.Join(pd, "status"), p.status())
		write(t, filepath.Join(pd, "comm"), p.name+"\n")
	}
	return FS(dir)
}

func (p proc) status() string {
	state := p.state
	if state == "" {
		state = "S (sleeping)"
	}
	nspid := p.nspid
	if len(nspid) == 0 {
		nspid = []int{p.pid}
	}
	groups := make([]string, p.groups)
	for i := range groups {
		groups[i] = strconv.Itoa(100000 + i)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nPid:\t%d\n", p.name, state, p.pid, p.pid)
	fmt.Fprintf(&b, "Uid:\t1000\t1001\t1002\t1003\nGid:\t1000\t1000\t1000\t1000\nGroups:\t%s\n", strings.Join(groups, " "))
	fmt.Fprintf(&b, "NStgid:\t%s\nNSpid:\t%s\nNSpgid:\t%s\nNSsid:\t%s\n", join(nspid), join(nspid), join(nspid), join(nspid))
	b.WriteString("VmPeak:\t    1000 kB\nThreads:\t1\n")
	return b.String()
}

func join(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "\t")
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
