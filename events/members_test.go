package events

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/terms"
)

// Host pids no real process has (above the kernel's pid_max limit of
// 4194304 would be safer still, but these are only looked up in the fake
// /proc below). Each member's namespace pid is its host pid - base.
const (
	base     = 4000000
	initPid  = base + 1
	pidA     = base + 2
	pidB     = base + 3
	pidC     = base + 4
	outsider = base + 500
)

// fakeProc writes a /proc with a status file for each pid in [base+1,
// base+20] (name "p<n>", namespace pid n, its own process group) and a comm
// file for the outsider.
func fakeProc(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for n := 1; n <= 20; n++ {
		writeStatus(t, dir, base+n, "p"+strconv.Itoa(n), n, base+n)
	}
	writeFile(t, filepath.Join(dir, strconv.Itoa(outsider), "comm"), "intruder\n")
	// The init runs (state S, flags without PF_EXITING) until a test says
	// otherwise.
	writeFile(t, filepath.Join(dir, strconv.Itoa(initPid), "stat"),
		fmt.Sprintf("%d (ctrun-init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n", initPid))
	return dir
}

func writeStatus(t *testing.T, dir string, pid int, name string, nspid, pgid int) {
	t.Helper()
	writeFile(t, filepath.Join(dir, strconv.Itoa(pid), "status"), fmt.Sprintf(
		"Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nPid:\t%d\nNSpid:\t%d\t%d\nNSpgid:\t%d\t%d\n",
		name, pid, pid, pid, nspid, pgid, pgid-base))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeTracer answers Lookup from a table keyed by (tgid, sig).
type fakeTracer map[[2]int]Traced

func (f fakeTracer) Lookup(tgid, sig int) (Traced, bool) {
	tr, ok := f[[2]int{tgid, sig}]
	return tr, ok
}

func (f fakeTracer) Name(int) (string, bool) { return "", false }

// namedTracer also knows the names execs gave (by host tgid).
type namedTracer struct {
	fakeTracer
	names map[int]string
}

func (n namedTracer) Name(tgid int) (string, bool) {
	name, ok := n.names[tgid]
	return name, ok
}

// newTestObserver follows contract 9 whose init is initPid, reading the
// fake /proc dir; the OOM and memory error counters start at zero.
func newTestObserver(t *testing.T, tracer Tracer, dir string, seq *int64) *Observer {
	t.Helper()
	o := NewObserver(9, initPid, tracer, "", seq)
	o.proc = dir
	o.oomKills, o.hwCorrupt = 0, 0
	return o
}

func fork(parent, child int) connector.Event {
	return connector.Event{What: connector.Fork, Timestamp: 1, ParentPid: parent, ParentTgid: parent, Pid: child, Tgid: child}
}

func forkAt(parent, child int, ts uint64) connector.Event {
	ev := fork(parent, child)
	ev.Timestamp = ts
	return ev
}

func thread(tgid, tid int) connector.Event {
	return connector.Event{What: connector.Fork, Timestamp: 1, ParentPid: tgid, ParentTgid: tgid, Pid: tid, Tgid: tgid}
}

func exit(pid, tgid int, status unix.WaitStatus) connector.Event {
	return connector.Event{What: connector.Exit, Timestamp: 2, Pid: pid, Tgid: tgid, ExitCode: uint32(status)}
}

func exec(pid int) connector.Event {
	return connector.Event{What: connector.Exec, Timestamp: 2, Pid: pid, Tgid: pid}
}

// describe is an event as "kind pid" ("empty" for empty).
func describe(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		if e.Kind == terms.Empty {
			out = append(out, "empty")
			continue
		}
		out = append(out, fmt.Sprintf("%s %d", e.Kind, e.Pid))
	}
	return out
}

func ev(kind string, pid int) string { return fmt.Sprintf("%s %d", kind, pid) }

// step is one thing that happens to the observer: a process event (ev), or
// else a call (do) that must make no event. want lists the events the
// process event makes; check looks closer at them.
type step struct {
	ev    connector.Event
	do    func(o *Observer)
	want  []string
	check func(t *testing.T, o *Observer, evs []Event)
}

type obsCase struct {
	name   string
	tracer Tracer
	setup  func(t *testing.T, dir string)
	steps  []step
	// after checks the observer once every step ran.
	after func(t *testing.T, o *Observer)
}

func runObserver(t *testing.T, cases []obsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeProc(t)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			var seq int64
			o := newTestObserver(t, tc.tracer, dir, &seq)
			for i, s := range tc.steps {
				if s.do != nil {
					s.do(o)
					continue
				}
				evs := o.Proc(s.ev)
				if got := describe(evs); !reflect.DeepEqual(got, append([]string{}, s.want...)) {
					t.Fatalf("step %d (%+v): events %q, want %q", i, s.ev, got, s.want)
				}
				if s.check != nil {
					s.check(t, o, evs)
				}
			}
			if tc.after != nil {
				tc.after(t, o)
			}
		})
	}
}

func wantMembers(pids ...int) func(t *testing.T, o *Observer) {
	return func(t *testing.T, o *Observer) {
		t.Helper()
		got := o.Pids()
		sort.Ints(got)
		want := append([]int{}, pids...)
		sort.Ints(want)
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("members %v, want %v", got, want)
		}
		if o.Members() != len(want) {
			t.Errorf("Members() = %d, want %d", o.Members(), len(want))
		}
	}
}

func TestObserverMembership(t *testing.T) {
	runObserver(t, []obsCase{
		{
			name: "fork from the init makes a member and a fork event",
			steps: []step{{
				ev:   fork(initPid, pidA),
				want: []string{ev("fork", pidA)},
				check: func(t *testing.T, o *Observer, evs []Event) {
					e := evs[0]
					if e.Parent != initPid || e.NSPid != 2 || e.Comm != "p2" || e.Pgid != pidA || e.Contract != 9 || e.Seq != 1 {
						t.Errorf("fork event %+v: want parent %d, nspid 2, comm p2, pgid %d, contract 9, seq 1", e, initPid, pidA)
					}
					m, ok := o.Member(pidA)
					if !ok || m.Pid != pidA || m.NSPid != 2 || m.Parent != initPid || m.Start != 1 {
						t.Errorf("Member(%d) = %+v, %t", pidA, m, ok)
					}
				},
			}},
			after: wantMembers(pidA),
		},
		{
			name:   "a member's name after an exec is the tracer's, also once it is gone",
			tracer: namedTracer{names: map[int]string{pidA: "newname"}},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exec(pidA)},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Comm != "newname" {
						t.Errorf("exit event names %q, want the name the exec gave, newname", evs[0].Comm)
					}
				}},
			},
			after: wantMembers(),
		},
		{
			name:   "without the tracer's name, /proc's",
			tracer: namedTracer{},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exec(pidA)},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Comm != "p2" {
						t.Errorf("exit event names %q, want /proc's p2", evs[0].Comm)
					}
				}},
			},
			after: wantMembers(),
		},
		{
			name: "without a tracer, a fork is read from /proc at once",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if e := evs[0]; e.Comm != "p3" || e.NSPid != pidB-base || e.Pgid != pidB {
						t.Errorf("fork event: name %q, namespace pid %d, group %d; want /proc's p3, %d, %d", e.Comm, e.NSPid, e.Pgid, pidB-base, pidB)
					}
				}},
			},
		},
		{
			// A holder that reads a batch of events late (under fork
			// load) finds some members gone already.
			name: "without a tracer, a member gone before its fork is read keeps its parent's name and group",
			setup: func(t *testing.T, dir string) {
				if err := os.RemoveAll(filepath.Join(dir, strconv.Itoa(pidB))); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: exec(pidB)},
				{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if e := evs[0]; e.Comm != "p2" || e.Pgid != pidA || e.NSPid != 0 {
						t.Errorf("exit event: name %q, group %d, namespace pid %d; want the parent's p2 and %d, and no namespace pid", e.Comm, e.Pgid, e.NSPid, pidA)
					}
				}},
			},
			after: wantMembers(pidA),
		},
		{
			name:   "setsid makes a member the leader of its own group",
			tracer: namedTracer{},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: connector.Event{What: connector.SID, Timestamp: 2, Pid: pidB, Tgid: pidB}},
				{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Pgid != pidB {
						t.Errorf("exit event's group %d, want its own, %d", evs[0].Pgid, pidB)
					}
				}},
			},
		},
		{
			// Without SetNamespace (a holder inside a contract) a
			// sub-contract's init is known by the name it takes, and the
			// arguments it was started with.
			name: "a member that names itself a contract init starts a sub-contract",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, strconv.Itoa(pidB), "cmdline"), "/usr/bin/ctrun\x00init\x00")
			},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: connector.Event{What: connector.Comm, Timestamp: 2, Pid: pidB, Tgid: pidB, Comm: "runc:[2:INIT]"}},
				{ev: fork(pidB, pidC), want: nil},
				{ev: exit(pidC, pidC, killed(unix.SIGSEGV, true)), want: nil, check: func(t *testing.T, o *Observer, _ []Event) {
					if o.Subcontracts() != 1 {
						t.Errorf("Subcontracts() = %d, want 1", o.Subcontracts())
					}
				}},
				{ev: exit(pidB, pidB, exited(0)), want: nil},
			},
			after: func(t *testing.T, o *Observer) {
				wantMembers(pidA)(t, o)
				if o.Subcontracts() != 0 {
					t.Errorf("Subcontracts() = %d once its init is gone, want 0", o.Subcontracts())
				}
			},
		},
		{
			name: "a member that only takes a contract init's name stays a member",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, strconv.Itoa(pidB), "cmdline"), "/tmp/impostor\x00")
			},
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: connector.Event{What: connector.Comm, Timestamp: 2, Pid: pidB, Tgid: pidB, Comm: "ctrun-init"}},
				{ev: fork(pidB, pidC), want: []string{ev("fork", pidC)}},
			},
			after: func(t *testing.T, o *Observer) {
				wantMembers(pidA, pidB, pidC)(t, o)
				if o.Subcontracts() != 0 {
					t.Errorf("Subcontracts() = %d, want 0", o.Subcontracts())
				}
			},
		},
		{
			name: "forks from non-members are ignored",
			steps: []step{
				{ev: fork(outsider, pidA), want: nil},
				{ev: fork(1, pidB), want: nil},
				{ev: exit(pidA, pidA, exited(0)), want: nil},
			},
			after: func(t *testing.T, o *Observer) {
				wantMembers()(t, o)
				if _, ok := o.Member(pidA); ok {
					t.Errorf("a child of a non-member is a member")
				}
			},
		},
		{
			name: "a grandchild is a member",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Parent != pidA {
						t.Errorf("grandchild's parent %d, want %d", evs[0].Parent, pidA)
					}
				}},
				{ev: fork(pidB, pidC), want: []string{ev("fork", pidC)}},
			},
			after: wantMembers(pidA, pidB, pidC),
		},
		{
			name: "a grandchild whose parent exited is still followed",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA)}},
				{ev: fork(pidB, pidC), want: []string{ev("fork", pidC)}},
			},
			after: wantMembers(pidB, pidC),
		},
		{
			name: "thread creation makes no member and no event",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: thread(pidA, pidB), want: nil},
				{ev: thread(pidA, pidC), want: nil},
			},
			after: wantMembers(pidA),
		},
		{
			name: "a thread of a non-member is ignored",
			steps: []step{
				{ev: thread(outsider, outsider+1), want: nil},
				{ev: exit(outsider+1, outsider, exited(0)), want: nil},
			},
			after: wantMembers(),
		},
		{
			name: "the init's threads are not members",
			steps: []step{
				{ev: thread(initPid, pidA), want: nil},
				{ev: exit(pidA, initPid, exited(0)), want: nil},
			},
			after: wantMembers(),
		},
		{
			name: "IsCommand is the init's first child only",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: fork(initPid, pidC), want: []string{ev("fork", pidC)}},
			},
			after: func(t *testing.T, o *Observer) {
				for _, tc := range []struct {
					pid  int
					want bool
				}{{pidA, true}, {pidB, false}, {pidC, false}, {initPid, false}, {0, false}} {
					if got := o.IsCommand(tc.pid); got != tc.want {
						t.Errorf("IsCommand(%d) = %t, want %t", tc.pid, got, tc.want)
					}
				}
			},
		},
		{
			name: "IsCommand survives the command's exit",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}},
				{ev: fork(initPid, pidB), want: []string{ev("fork", pidB)}},
			},
			after: func(t *testing.T, o *Observer) {
				if !o.IsCommand(pidA) || o.IsCommand(pidB) {
					t.Errorf("IsCommand(A) = %t, IsCommand(B) = %t; want true, false", o.IsCommand(pidA), o.IsCommand(pidB))
				}
			},
		},
		{
			name: "the command is named CommandName before it has executed",
			setup: func(t *testing.T, dir string) {
				writeStatus(t, dir, pidA, "cinit", 2, initPid)
			},
			steps: []step{
				{do: func(o *Observer) { o.CommandName = "myprog" }},
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Comm != "myprog" {
						t.Errorf("command's fork event comm %q, want myprog", evs[0].Comm)
					}
				}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Comm != "p3" {
						t.Errorf("grandchild's comm %q, want p3 (its own)", evs[0].Comm)
					}
				}},
			},
		},
		{
			name: "exec refreshes the member's name",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{do: func(o *Observer) { writeStatus(t, o.proc, pidA, "newname", 2, pidA) }},
				{ev: exec(pidA), want: nil},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Comm != "newname" {
						t.Errorf("exit event comm %q after exec, want newname", evs[0].Comm)
					}
				}},
			},
		},
		{
			name: "sequence numbers count every event",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB)}},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Seq != 4 || evs[1].Seq != 5 {
						t.Errorf("seqs %d, %d; want 4, 5", evs[0].Seq, evs[1].Seq)
					}
					if evs[1].Contract != 9 || evs[1].Pid != 0 {
						t.Errorf("empty event %+v: want contract 9, no pid", evs[1])
					}
				}},
			},
		},
	})
}

func TestObserverExits(t *testing.T) {
	runObserver(t, []obsCase{
		{
			name: "an exit gives an exit event with the wait status",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: exit(pidB, pidB, exited(3)), want: []string{ev("exit", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					e := evs[0]
					if !e.Status.Exited() || e.Status.ExitStatus() != 3 {
						t.Errorf("exit status %#x, want exited 3", uint32(e.Status))
					}
					if e.Sig != 0 || e.Parent != pidA || e.NSPid != 3 || e.Comm != "p3" {
						t.Errorf("exit event %+v", e)
					}
				}},
			},
			after: wantMembers(pidA),
		},
		{
			name: "an exit of a non-member is ignored",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exit(outsider, outsider, exited(1)), want: nil},
			},
			after: wantMembers(pidA),
		},
		{
			name: "the last member's exit adds empty exactly once",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA)}},
				{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB), "empty"}},
				{ev: exit(pidB, pidB, exited(0)), want: nil},
				{ev: exit(initPid, initPid, exited(0)), want: nil},
			},
			after: wantMembers(),
		},
		{
			name: "a new member after empty makes a new empty",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}},
				{ev: fork(initPid, pidB), want: []string{ev("fork", pidB)}},
				{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB), "empty"}},
			},
		},
		{
			name: "a thread's exit is not the member's",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: thread(pidA, pidB), want: nil},
				{ev: exit(pidB, pidA, exited(0)), want: nil},
				{ev: exit(pidA, pidA, exited(4)), want: []string{ev("exit", pidA), "empty"}},
			},
		},
		{
			name: "leader exit while threads run: no exit until the last thread exits",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: thread(pidA, pidB), want: nil},
				{ev: thread(pidA, pidC), want: nil},
				{ev: exit(pidA, pidA, exited(0)), want: nil},
				{ev: exit(pidB, pidA, exited(0)), want: nil},
				{ev: exit(pidC, pidA, exited(7)), want: []string{ev("exit", pidA), "empty"}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Status.ExitStatus() != 7 {
						t.Errorf("status %#x, want the last thread's exit 7", uint32(evs[0].Status))
					}
				}},
			},
			after: wantMembers(),
		},
		{
			name: "leader gone, the member stays while a thread runs",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: thread(pidA, pidB), want: nil},
				{ev: exit(pidA, pidA, exited(0)), want: nil},
			},
			after: wantMembers(pidA),
		},
		{
			name: "exec ends the other threads",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: thread(pidA, pidB), want: nil},
				{ev: exec(pidA), want: nil},
				{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA), "empty"}},
			},
		},
		{
			name: "the init's exit with no member left emits empty once",
			steps: []step{
				{ev: exit(initPid, initPid, exited(0)), want: []string{"empty"}},
				{ev: exit(initPid, initPid, exited(0)), want: nil},
			},
		},
		{
			name: "an exit of one of the init's threads is not the init's",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{ev: exit(pidB, initPid, exited(0)), want: nil},
			},
			after: wantMembers(pidA),
		},
	})
}

// TestObserverInitGone checks the events made when the init exits while
// members are left (their own exits were lost).
func TestObserverInitGone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		killing bool
	}{
		{"holder killing", true},
		{"not killing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seq int64
			o := newTestObserver(t, nil, fakeProc(t), &seq)
			o.Proc(fork(initPid, pidA))
			o.Proc(fork(pidA, pidB))
			if tc.killing {
				o.Killing()
			}
			evs := o.Proc(exit(initPid, initPid, exited(0)))
			if len(evs) == 0 || evs[len(evs)-1].Kind != terms.Empty {
				t.Fatalf("events %q: want empty last", describe(evs))
			}
			var exits []int
			for _, e := range evs[:len(evs)-1] {
				if e.Kind == terms.Empty {
					t.Errorf("events %q: more than one empty", describe(evs))
				}
				if e.Kind == terms.Exit {
					exits = append(exits, e.Pid)
					if !e.Status.Signaled() || e.Status.Signal() != unix.SIGKILL {
						t.Errorf("lost member %d: status %#x, want killed by SIGKILL", e.Pid, uint32(e.Status))
					}
				}
			}
			sort.Ints(exits)
			if !reflect.DeepEqual(exits, []int{pidA, pidB}) {
				t.Errorf("exit events for %v, want %v (events %q)", exits, []int{pidA, pidB}, describe(evs))
			}
			if o.Members() != 0 {
				t.Errorf("%d members left after the init's exit", o.Members())
			}
			for _, e := range evs {
				if e.Kind == terms.Signal {
					t.Errorf("member %d lost with the init: signal event from %s; the kernel killed it", e.Pid, e.Sender)
				}
			}
		})
	}
}

func TestObserverSenders(t *testing.T) {
	signalFrom := func(kind SenderKind, pid int) func(t *testing.T, o *Observer, evs []Event) {
		return func(t *testing.T, o *Observer, evs []Event) {
			t.Helper()
			for _, e := range evs {
				if e.Kind == terms.Empty {
					continue
				}
				if e.Sender.Kind != kind || (pid != 0 && e.Sender.Pid != pid && e.Sender.NSPid != pid) {
					t.Errorf("%s event: sender %+v, want kind %d pid %d", e.Kind, e.Sender, kind, pid)
				}
				if e.Sig == 0 || !e.Status.Signaled() || e.Sig != e.Status.Signal() {
					t.Errorf("%s event: sig %d, status %#x", e.Kind, e.Sig, uint32(e.Status))
				}
			}
		}
	}
	start := func() []step {
		return []step{
			{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
			{ev: fork(pidA, pidB), want: []string{ev("fork", pidB)}},
		}
	}
	with := func(steps ...step) []step { return append(start(), steps...) }
	sent := func(sig unix.Signal, sender int, targets []int32, all bool) step {
		return step{do: func(o *Observer) { o.Sent(SentSignal{Sig: sig, Sender: sender, Targets: targets, All: all}) }}
	}
	runObserver(t, []obsCase{
		{
			name: "unprivileged: SIGTERM a member sent is no signal event",
			steps: with(
				sent(unix.SIGTERM, 2, []int32{3}, false),
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderMember, 2)},
			),
		},
		{
			name: "unprivileged: a broadcast SIGTERM is no signal event",
			steps: with(
				sent(unix.SIGTERM, 1, nil, true),
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderMember, 1)},
				step{ev: exit(pidA, pidA, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidA), "empty"}, check: signalFrom(SenderMember, 1)},
			),
		},
		{
			name: "unprivileged: unexplained SIGTERM is a signal event",
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "unprivileged: SIGTERM sent to another member does not explain",
			steps: with(
				sent(unix.SIGTERM, 2, []int32{4}, false),
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "unprivileged: another signal sent does not explain",
			steps: with(
				sent(unix.SIGHUP, 2, []int32{3}, false),
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "unprivileged: a broadcast does not explain a member born after it",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				sent(unix.SIGTERM, 1, nil, true),
				{ev: forkAt(pidA, pidB, monotonic()+3600e9), want: []string{ev("fork", pidB)}},
				{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderInferred, 0)},
				{ev: exit(pidA, pidA, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidA), "empty"}, check: signalFrom(SenderMember, 1)},
			},
		},
		{
			name: "unprivileged: a record forgotten with its target does not explain a reused pid",
			steps: with(
				sent(unix.SIGTERM, 2, []int32{3}, false),
				step{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB)}},
				// A new process gets namespace pid 3 again.
				step{do: func(o *Observer) { writeStatus(t, o.proc, pidC, "p3again", 3, pidC) }},
				step{ev: fork(pidA, pidC), want: []string{ev("fork", pidC)}},
				step{ev: exit(pidC, pidC, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidC), ev("exit", pidC)}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "unprivileged: unexplained SIGSEGV is the kernel's",
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGSEGV, true)), want: []string{ev("core", pidB), ev("exit", pidB)}, check: signalFrom(SenderKernel, 0)},
			),
		},
		{
			name: "unprivileged: unexplained SIGPIPE is the kernel's",
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGPIPE, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderKernel, 0)},
			),
		},
		{
			name: "unprivileged: SIGSEGV a member sent is its doing",
			steps: with(
				sent(unix.SIGSEGV, 2, []int32{3}, false),
				step{ev: exit(pidB, pidB, killed(unix.SIGSEGV, false)), want: []string{ev("core", pidB), ev("exit", pidB)}, check: signalFrom(SenderMember, 2)},
			),
		},
		{
			name: "unprivileged: SIGBUS with a machine-check code a member passed on",
			steps: with(
				step{do: func(o *Observer) {
					o.Sent(SentSignal{Sig: unix.SIGBUS, Sender: 2, Targets: []int32{3}, Code: BusMCEErrAR, HasCode: true})
				}},
				step{ev: exit(pidB, pidB, killed(unix.SIGBUS, false)), want: []string{ev("hwerr", pidB), ev("core", pidB), ev("exit", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					if evs[0].Code != BusMCEErrAR {
						t.Errorf("hwerr code %d, want %d", evs[0].Code, BusMCEErrAR)
					}
				}},
			),
		},
		{
			name: "unprivileged: SIGBUS while the machine's corrupted memory grew is hwerr",
			steps: with(
				step{do: func(o *Observer) { writeFile(t, o.proc+"/meminfo", "MemTotal: 100 kB\nHardwareCorrupted:     4 kB\n") }},
				step{ev: exit(pidB, pidB, killed(unix.SIGBUS, false)), want: []string{ev("hwerr", pidB), ev("core", pidB), ev("exit", pidB)}},
				// The count did not grow again: a second SIGBUS is no hwerr.
				step{ev: exit(pidA, pidA, killed(unix.SIGBUS, false)), want: []string{ev("core", pidA), ev("exit", pidA), "empty"}},
			),
		},
		{
			name: "unprivileged: SIGKILL while the OOM killer struck is a signal event from it",
			steps: with(
				step{do: func(o *Observer) { writeFile(t, o.proc+"/vmstat", "pgfault 10\noom_kill 2\n") }},
				step{ev: exit(pidB, pidB, killed(unix.SIGKILL, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderOOM, 0)},
				step{ev: exit(pidA, pidA, killed(unix.SIGKILL, false)), want: []string{ev("signal", pidA), ev("exit", pidA), "empty"}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "Killing makes deaths the holder's",
			steps: with(
				step{do: func(o *Observer) { o.Killing() }},
				step{ev: exit(pidB, pidB, killed(unix.SIGKILL, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
				step{ev: exit(pidA, pidA, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidA), "empty"}, check: signalFrom(SenderHolder, 0)},
			),
		},
		{
			name: "KillingGroup makes SIGKILL deaths in that group the holder's",
			steps: with(
				step{do: func(o *Observer) { o.KillingGroup(pidB) }},
				step{ev: exit(pidB, pidB, killed(unix.SIGKILL, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
				step{ev: exit(pidA, pidA, killed(unix.SIGKILL, false)), want: []string{ev("signal", pidA), ev("exit", pidA), "empty"}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "Forwarded(sig) makes deaths by that sig the holder's",
			steps: with(
				step{do: func(o *Observer) { o.Forwarded(unix.SIGTERM) }},
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
				step{ev: exit(pidA, pidA, killed(unix.SIGINT, false)), want: []string{ev("signal", pidA), ev("exit", pidA), "empty"}, check: signalFrom(SenderInferred, 0)},
			),
		},
		{
			name: "Forwarded does not cover members born after it",
			steps: []step{
				{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
				{do: func(o *Observer) { o.Forwarded(unix.SIGHUP) }},
				{ev: forkAt(pidA, pidB, monotonic()+3600e9), want: []string{ev("fork", pidB)}},
				{ev: exit(pidB, pidB, killed(unix.SIGHUP, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderInferred, 0)},
				{ev: exit(pidA, pidA, killed(unix.SIGHUP, false)), want: []string{ev("exit", pidA), "empty"}, check: signalFrom(SenderHolder, 0)},
			},
		},
		{
			name:   "tracer: a sender outside is a signal event with its pid",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: outsider, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: func(t *testing.T, o *Observer, evs []Event) {
					signalFrom(SenderOutside, outsider)(t, o, evs)
					if evs[0].Sender.Comm != "intruder" {
						t.Errorf("sender comm %q, want intruder", evs[0].Sender.Comm)
					}
				}},
			),
		},
		{
			name:   "tracer: a sender in the contract is no signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: outsider, InContract: true, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderMember, outsider)},
			),
		},
		{
			name:   "tracer: a known member sender is no signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: pidA, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderMember, pidA)},
			),
		},
		{
			name:   "tracer: the init as sender is no signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: initPid, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderMember, initPid)},
			),
		},
		{
			name:   "tracer: the init passing on a stop is the holder",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: initPid, When: 5}},
			steps: with(
				step{do: func(o *Observer) { o.Forwarded(unix.SIGTERM) }},
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
			),
		},
		{
			name:   "tracer: the holder as sender is no signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: os.Getpid(), When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
			),
		},
		{
			name:   "tracer: the kernel is no signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {Kernel: true, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderKernel, 0)},
			),
		},
		{
			name:   "tracer: a kernel SIGBUS with a machine-check code is hwerr",
			tracer: fakeTracer{{pidB, int(unix.SIGBUS)}: {Kernel: true, Code: BusMCEErrAO, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGBUS, false)), want: []string{ev("hwerr", pidB), ev("core", pidB), ev("exit", pidB)}, check: signalFrom(SenderKernel, 0)},
			),
		},
		{
			name:   "tracer: a kernel SIGKILL while the OOM killer struck is a signal event",
			tracer: fakeTracer{{pidB, int(unix.SIGKILL)}: {Kernel: true, When: 5}},
			steps: with(
				step{do: func(o *Observer) { writeFile(t, o.proc+"/vmstat", "oom_kill 1\n") }},
				step{ev: exit(pidB, pidB, killed(unix.SIGKILL, false)), want: []string{ev("signal", pidB), ev("exit", pidB)}, check: signalFrom(SenderOOM, 0)},
			),
		},
		{
			name:   "tracer: a record older than the member does not count",
			tracer: fakeTracer{{pidB, int(unix.SIGTERM)}: {SenderTgid: outsider, When: 0}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderUnknown, 0)},
			),
		},
		{
			name:   "tracer: nothing seen is no signal event",
			tracer: fakeTracer{},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderUnknown, 0)},
			),
		},
		{
			name:   "tracer: another signal's record does not count",
			tracer: fakeTracer{{pidB, int(unix.SIGINT)}: {SenderTgid: outsider, When: 5}},
			steps: with(
				step{ev: exit(pidB, pidB, killed(unix.SIGTERM, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderUnknown, 0)},
			),
		},
		{
			name:   "tracer: Killing still wins",
			tracer: fakeTracer{{pidB, int(unix.SIGKILL)}: {SenderTgid: outsider, When: 5}},
			steps: with(
				step{do: func(o *Observer) { o.Killing() }},
				step{ev: exit(pidB, pidB, killed(unix.SIGKILL, false)), want: []string{ev("exit", pidB)}, check: signalFrom(SenderHolder, 0)},
			),
		},
	})
}

// A member seen late (its fork reported after another member's exit, as
// the init reports them without a connector) must not make the contract
// empty before the init's end does.
func TestObserverSeenLate(t *testing.T) {
	runObserver(t, []obsCase{{
		name: "empty only when the init ends",
		steps: []step{
			{do: func(o *Observer) { o.SeenLate() }},
			{ev: fork(initPid, pidA), want: []string{ev("fork", pidA)}},
			{ev: exit(pidA, pidA, exited(0)), want: []string{ev("exit", pidA)}},
			{ev: fork(initPid, pidB), want: []string{ev("fork", pidB)}},
			{ev: exit(pidB, pidB, exited(0)), want: []string{ev("exit", pidB)}},
			{ev: exit(initPid, initPid, exited(0)), want: []string{"empty"}},
		},
	}})
}
