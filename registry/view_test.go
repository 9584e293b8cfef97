package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/procfs"
)

// fakeProc is a process of a /proc as seen inside a contract.
type fakeProc struct {
	pid   int
	nspid []int // NSpid line: its pid here, then in namespaces below
	ns    uint64
	start uint64
	state byte // 'S' when 0
}

// fakeProcFS lays out a /proc holding ps and the caller (os.Getpid(), in
// namespace own), with what view reads: stat, status and the ns/pid link.
func fakeProcFS(t *testing.T, own uint64, ps ...fakeProc) procfs.FS {
	t.Helper()
	dir := t.TempDir()
	ps = append(ps, fakeProc{pid: os.Getpid(), nspid: []int{os.Getpid()}, ns: own, start: 1})
	for _, p := range ps {
		pd := filepath.Join(dir, strconv.Itoa(p.pid))
		if err := os.MkdirAll(filepath.Join(pd, "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(fmt.Sprintf("pid:[%d]", p.ns), filepath.Join(pd, "ns", "pid")); err != nil {
			t.Fatal(err)
		}
		state := p.state
		if state == 0 {
			state = 'S'
		}
		nspid := make([]string, len(p.nspid))
		for i, n := range p.nspid {
			nspid[i] = strconv.Itoa(n)
		}
		stat := fmt.Sprintf("%d (x) %c 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 %d 0\n", p.pid, state, p.start)
		status := fmt.Sprintf("Name:\tx\nState:\t%c (x)\nUid:\t0\t0\t0\t0\nNSpid:\t%s\n", state, strings.Join(nspid, "\t"))
		for name, text := range map[string]string{"stat": stat, "status": status} {
			if err := os.WriteFile(filepath.Join(pd, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return procfs.FS(dir)
}

// A view finds a record's process only by what /proc shows of it: its
// namespace, its pid there and its start time; a process outside the
// caller's sight, or one that merely shares a pid, is not found.
func TestViewFind(t *testing.T) {
	const own, sub, other = 100, 200, 300
	fs := fakeProcFS(t, own,
		fakeProc{pid: 1, nspid: []int{1}, ns: own, start: 50},               // the caller's contract's init
		fakeProc{pid: 7, nspid: []int{7}, ns: own, start: 60},               // the holder of a sub-contract
		fakeProc{pid: 9, nspid: []int{9, 1}, ns: sub, start: 70},            // the sub-contract's init
		fakeProc{pid: 10, nspid: []int{10, 2}, ns: sub, start: 71},          // its command
		fakeProc{pid: 11, nspid: []int{11}, ns: own, start: 80, state: 'Z'}, // a zombie
	)
	for _, tc := range []struct {
		name string
		p    Process
		want int
	}{
		{"the caller's contract's init", Process{Pid: 4321, Start: 50, NS: own, NSPid: 1}, 1},
		{"a holder in the caller's namespace", Process{Pid: 4400, Start: 60, NS: own, NSPid: 7}, 7},
		{"a sub-contract's init", Process{Pid: 4500, Start: 70, NS: sub, NSPid: 1}, 9},
		{"a process of a sub-contract", Process{Pid: 4501, Start: 71, NS: sub, NSPid: 2}, 10},
		{"another start time (pid reused)", Process{Pid: 4321, Start: 51, NS: own, NSPid: 1}, 0},
		{"a namespace out of sight (a sibling)", Process{Pid: 5000, Start: 50, NS: other, NSPid: 1}, 0},
		{"a pid of the sub-contract named as the caller's", Process{Pid: 4500, Start: 70, NS: own, NSPid: 9}, 0},
		{"a zombie", Process{Pid: 4600, Start: 80, NS: own, NSPid: 11}, 0},
		{"a record without namespace", Process{Pid: 4321, Start: 50}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &view{fs: fs, own: own}
			if got := v.find(tc.p); got != tc.want {
				t.Fatalf("find(%+v) = %d, want %d", tc.p, got, tc.want)
			}
		})
	}
}

// Two records naming one init are both refused, and others kept.
func TestOneEach(t *testing.T) {
	es := []Entry{
		{Record: Record{ID: 10}, Inside: true, Seen: Seen{Init: 1}},
		{Record: Record{ID: 11}, Inside: true, Seen: Seen{Init: 1}},
		{Record: Record{ID: 12}, Inside: true, Seen: Seen{Init: 9}},
		{Record: Record{ID: 13}, Seen: Seen{Init: 13}},
	}
	errs := oneEach(&es)
	var ids []int
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[12 13]" || len(errs) != 1 || !strings.Contains(errs[0].Error(), "[10 11]") {
		t.Fatalf("kept %v, errors %v; want 12 and 13 kept, one error naming 10 and 11", ids, errs)
	}
}
