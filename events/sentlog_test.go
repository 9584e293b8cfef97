package events

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSentLogMatch(t *testing.T) {
	type add struct {
		r       sentRecord
		targets []int32
		all     bool
	}
	type query struct {
		nspid  int
		sig    unix.Signal
		start  uint64
		ok     bool
		sender int // expected sender when ok
	}
	for _, tc := range []struct {
		name    string
		adds    []add
		forget  []int
		queries []query
	}{
		{
			name: "record for a target explains its death by that signal",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}}},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 10, ok: true, sender: 2},
			},
		},
		{
			name: "not another signal",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}}},
			queries: []query{
				{nspid: 7, sig: unix.SIGKILL, start: 10},
				{nspid: 7, sig: unix.SIGINT, start: 10},
			},
		},
		{
			name: "not another pid",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}}},
			queries: []query{
				{nspid: 8, sig: unix.SIGTERM, start: 10},
				{nspid: 2, sig: unix.SIGTERM, start: 10},
			},
		},
		{
			name: "unknown namespace pid matches no targeted record",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{0}}},
			queries: []query{
				{nspid: 0, sig: unix.SIGTERM, start: 10},
			},
		},
		{
			name: "every target of one record",
			adds: []add{{r: sentRecord{sig: unix.SIGHUP, sender: 3, when: 100}, targets: []int32{4, 5, 6}}},
			queries: []query{
				{nspid: 4, sig: unix.SIGHUP, start: 1, ok: true, sender: 3},
				{nspid: 5, sig: unix.SIGHUP, start: 1, ok: true, sender: 3},
				{nspid: 6, sig: unix.SIGHUP, start: 1, ok: true, sender: 3},
				{nspid: 7, sig: unix.SIGHUP, start: 1},
			},
		},
		{
			name: "a target born after the record is not explained by it",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}}},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 200},
			},
		},
		{
			name: "the last record per target and signal wins",
			adds: []add{
				{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}},
				{r: sentRecord{sig: unix.SIGTERM, sender: 3, when: 300}, targets: []int32{7}},
			},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 200, ok: true, sender: 3},
			},
		},
		{
			name: "records of different signals to one target are kept apart",
			adds: []add{
				{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}},
				{r: sentRecord{sig: unix.SIGUSR1, sender: 3, when: 100}, targets: []int32{7}},
			},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 1, ok: true, sender: 2},
				{nspid: 7, sig: unix.SIGUSR1, start: 1, ok: true, sender: 3},
			},
		},
		{
			name: "broadcast explains deaths of members born before it",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 1, when: 100}, all: true}},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 50, ok: true, sender: 1},
				{nspid: 9, sig: unix.SIGTERM, start: 99, ok: true, sender: 1},
				{nspid: 0, sig: unix.SIGTERM, start: 50, ok: true, sender: 1},
			},
		},
		{
			name: "broadcast does not explain members born after it",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 1, when: 100}, all: true}},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 101},
				{nspid: 7, sig: unix.SIGTERM, start: 5000},
			},
		},
		{
			name: "broadcast of one signal does not explain another",
			adds: []add{{r: sentRecord{sig: unix.SIGTERM, sender: 1, when: 100}, all: true}},
			queries: []query{
				{nspid: 7, sig: unix.SIGKILL, start: 50},
			},
		},
		{
			name: "broadcast ignores the targets list",
			adds: []add{{r: sentRecord{sig: unix.SIGINT, sender: 1, when: 100}, targets: []int32{3}, all: true}},
			queries: []query{
				{nspid: 4, sig: unix.SIGINT, start: 50, ok: true, sender: 1},
			},
		},
		{
			name: "targeted record too old falls back to a newer broadcast",
			adds: []add{
				{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}},
				{r: sentRecord{sig: unix.SIGTERM, sender: 1, when: 300}, all: true},
			},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 200, ok: true, sender: 1},
			},
		},
		{
			name:   "forget drops a pid's records",
			adds:   []add{{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7, 8}}},
			forget: []int{7},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 10},
				{nspid: 8, sig: unix.SIGTERM, start: 10, ok: true, sender: 2},
			},
		},
		{
			name: "forget drops every signal of the pid",
			adds: []add{
				{r: sentRecord{sig: unix.SIGTERM, sender: 2, when: 100}, targets: []int32{7}},
				{r: sentRecord{sig: unix.SIGHUP, sender: 2, when: 100}, targets: []int32{7}},
			},
			forget: []int{7},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 10},
				{nspid: 7, sig: unix.SIGHUP, start: 10},
			},
		},
		{
			name:   "forget keeps broadcasts",
			adds:   []add{{r: sentRecord{sig: unix.SIGTERM, sender: 1, when: 100}, all: true}},
			forget: []int{7},
			queries: []query{
				{nspid: 7, sig: unix.SIGTERM, start: 10, ok: true, sender: 1},
			},
		},
		{
			name:    "empty log explains nothing",
			queries: []query{{nspid: 7, sig: unix.SIGTERM, start: 0}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newSentLog()
			for _, a := range tc.adds {
				l.add(a.r, a.targets, a.all)
			}
			for _, p := range tc.forget {
				l.forget(p)
			}
			for _, q := range tc.queries {
				r, ok := l.match(q.nspid, q.sig, q.start, func(int) bool { return true })
				if ok != q.ok {
					t.Errorf("match(pid %d, %s, start %d) ok = %t, want %t", q.nspid, SignalName(q.sig), q.start, ok, q.ok)
					continue
				}
				if ok && (r.sender != q.sender || r.sig != q.sig) {
					t.Errorf("match(pid %d, %s, start %d) = sender %d sig %s, want sender %d", q.nspid, SignalName(q.sig), q.start, r.sender, SignalName(r.sig), q.sender)
				}
			}
		})
	}
}

func TestSentLogKeepsCode(t *testing.T) {
	l := newSentLog()
	l.add(sentRecord{sig: unix.SIGBUS, sender: 4, code: BusMCEErrAR, hasCode: true, when: 10}, []int32{5}, false)
	r, ok := l.match(5, unix.SIGBUS, 1, func(int) bool { return true })
	if !ok || r.code != BusMCEErrAR || !r.hasCode || r.sender != 4 {
		t.Fatalf("match = %+v, %t; want the record with its code", r, ok)
	}
}

// A member whose namespace pid could not be read (it ended first) is
// matched by a record for a target that is no known member.
func TestSentLogUnknownTarget(t *testing.T) {
	l := newSentLog()
	l.add(sentRecord{sig: unix.SIGTERM, sender: 3, when: 10}, []int32{7}, false)
	for _, tc := range []struct {
		name  string
		known func(int) bool
		want  bool
	}{
		{"the target is no known member", func(int) bool { return false }, true},
		{"the target is another live member", func(n int) bool { return n == 7 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := l.match(0, unix.SIGTERM, 5, tc.known); ok != tc.want {
				t.Fatalf("match = %v, want %v", ok, tc.want)
			}
			if _, ok := l.match(0, unix.SIGINT, 5, tc.known); ok {
				t.Fatal("matched another signal")
			}
		})
	}
}

// Records about processes that are no members are dropped once stale;
// records about live members stay, however old.
func TestSentLogPrune(t *testing.T) {
	l := newSentLog()
	l.add(sentRecord{sig: unix.SIGTERM, sender: 3, when: 10}, []int32{7, 8}, false)
	l.add(sentRecord{sig: unix.SIGHUP, sender: 3, when: 10 + sentKeep}, []int32{9}, false)
	l.prune(20+sentKeep, map[int]bool{7: true})
	for _, tc := range []struct {
		target int
		sig    unix.Signal
		want   bool
	}{
		{7, unix.SIGTERM, true},  // a live member: kept
		{8, unix.SIGTERM, false}, // no member, stale: dropped
		{9, unix.SIGHUP, true},   // no member, recent: kept
	} {
		if _, ok := l.byTarget[tc.target][tc.sig]; ok != tc.want {
			t.Errorf("record for %d/%v kept = %v, want %v", tc.target, tc.sig, ok, tc.want)
		}
	}
	if _, ok := l.byTarget[8]; ok {
		t.Error("an emptied target is still listed")
	}
}
