package procfs

import (
	"os"
	"reflect"
	"sort"
	"testing"
)

// Two contracts side by side (a, b), a sub-contract inside a (sub), and
// a host process.
const (
	nsHost = 4026531836
	nsA    = 4026532001
	nsB    = 4026532002
	nsSub  = 4026532003
)

var (
	contractA = Namespace{Ino: nsA, Init: 100}
	contractB = Namespace{Ino: nsB, Init: 200}
)

func fixture(t *testing.T) FS {
	return fakeProc(t,
		proc{pid: 1, name: "init", ns: nsHost},
		proc{pid: 100, name: "ctrun-init", ns: nsA, nspid: []int{100, 1}},
		proc{pid: 101, name: "sh", ns: nsA, nspid: []int{101, 2}},
		proc{pid: 102, name: "dead", ns: nsA, nspid: []int{102, 3}, state: "Z (zombie)"},
		proc{pid: 103, name: "many groups", ns: nsA, nspid: []int{103, 4}, groups: 3000},
		proc{pid: 104, ns: nsA, noStatus: true},
		proc{pid: 150, name: "ctrun-init", ns: nsSub, nspid: []int{150, 5, 1}},
		proc{pid: 151, name: "sleep", ns: nsSub, nspid: []int{151, 6, 2}},
		proc{pid: 200, name: "ctrun-init", ns: nsB, nspid: []int{200, 1}},
		proc{pid: 201, name: "exiting", ns: nsB, nspid: []int{201, 2}, state: "X (dead)"},
		proc{pid: 999, name: "hidden"}, // no namespace to see: another user's
	)
}

func TestPids(t *testing.T) {
	got, err := fixture(t).Pids()
	sort.Ints(got)
	want := []int{1, 100, 101, 102, 103, 104, 150, 151, 200, 201, 999}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Pids = %v, %v; want %v", got, err, want)
	}
}

func TestMembers(t *testing.T) {
	sh := Member{Pid: 101, NSPid: 2, Comm: "sh"}
	dead := Member{Pid: 102, NSPid: 3, Comm: "dead"}
	many := Member{Pid: 103, NSPid: 4, Comm: "many groups"}
	exiting := Member{Pid: 201, NSPid: 2, Comm: "exiting"}
	for _, tc := range []struct {
		name string
		ns   Namespace
		opt  Options
		want []Member
	}{
		{"every member but the init, none of the sub-contract's", contractA, Options{}, []Member{sh, dead, many}},
		{"live members only", contractA, Options{Live: true}, []Member{sh, many}},
		{"a process being reaped", contractB, Options{}, []Member{exiting}},
		{"no live member", contractB, Options{Live: true}, nil},
		{"the sub-contract", Namespace{Ino: nsSub, Init: 150}, Options{}, []Member{{Pid: 151, NSPid: 2, Comm: "sleep"}}},
		{"a namespace without processes", Namespace{Ino: 1, Init: 1}, Options{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			byNS, err := fixture(t).MembersOf([]Namespace{tc.ns}, tc.opt)
			got := byNS[tc.ns.Ino]
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Members = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestMembersOf(t *testing.T) {
	got, err := fixture(t).MembersOf([]Namespace{contractA, contractB}, Options{Live: true})
	want := map[uint64][]Member{
		nsA: {{Pid: 101, NSPid: 2, Comm: "sh"}, {Pid: 103, NSPid: 4, Comm: "many groups"}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("MembersOf = %+v, %v; want %+v", got, err, want)
	}
	if got, err := fixture(t).MembersOf(nil, Options{}); err != nil || len(got) != 0 {
		t.Errorf("MembersOf(nil) = %+v, %v", got, err)
	}
}

func TestMember(t *testing.T) {
	fs := fixture(t)
	for _, tc := range []struct {
		pid  int
		opt  Options
		want Member
		ok   bool
	}{
		{101, Options{}, Member{Pid: 101, NSPid: 2, Comm: "sh"}, true},
		{100, Options{}, Member{}, false}, // the init
		{102, Options{}, Member{Pid: 102, NSPid: 3, Comm: "dead"}, true},
		{102, Options{Live: true}, Member{}, false},
		{104, Options{}, Member{}, false}, // gone
		{151, Options{}, Member{}, false}, // a sub-contract's
		{201, Options{}, Member{}, false}, // another contract's
		{999, Options{}, Member{}, false},
		{12345, Options{}, Member{}, false},
	} {
		got, ok := fs.Member(contractA, tc.pid, tc.opt)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Member(A, %d, %+v) = %+v, %t; want %+v, %t", tc.pid, tc.opt, got, ok, tc.want, tc.ok)
		}
	}
}

// NamespacePids is what the holder adopts: every process but the init,
// zombies and processes whose status is gone included.
func TestNamespacePids(t *testing.T) {
	got, err := fixture(t).NamespacePids(contractA)
	if want := []int{101, 102, 103, 104}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("NamespacePids(A) = %v, %v; want %v", got, err, want)
	}
	if _, err := FS(t.TempDir() + "/none").NamespacePids(contractA); err == nil {
		t.Errorf("NamespacePids of a missing /proc: no error")
	}
}

// The test process itself, in the real /proc: a member of its own
// namespace (whose init is some other process).
func TestMembersSelf(t *testing.T) {
	own, err := Default.OwnPidNamespace()
	if err != nil {
		t.Fatal(err)
	}
	ns := Namespace{Ino: own, Init: -1}
	self := os.Getpid()
	m, ok := Default.Member(ns, self, Options{Live: true})
	comm, err := Default.Comm(self)
	if err != nil || !ok || m.Pid != self || m.NSPid != self || m.Comm != comm {
		t.Fatalf("Member(own, self) = %+v, %t; want pid and namespace pid %d, name %q (%v)", m, ok, self, comm, err)
	}
	byNS, err := Default.MembersOf([]Namespace{ns}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms := byNS[ns.Ino]
	i := sort.Search(len(ms), func(i int) bool { return ms[i].Pid >= self })
	if i == len(ms) || ms[i] != m {
		t.Errorf("Members(own) does not list the test process %+v", m)
	}
}
