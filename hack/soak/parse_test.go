package main

import (
	"reflect"
	"testing"
)

// The /proc stat line: a name may hold spaces and parentheses.
func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want proc
		ok   bool
	}{
		{"12 (ctrun-init) S 7 12 12 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 2",
			proc{pid: 12, ppid: 7, comm: "ctrun-init", start: 4242}, true},
		{"13 (a (b) c) Z 1 13 13 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 99 1 2",
			proc{pid: 13, ppid: 1, comm: "a (b) c", zombie: true, start: 99}, true},
		{"14 (short) S 1", proc{}, false},
		{"garbage", proc{}, false},
	}
	for _, tc := range tests {
		pid := tc.want.pid
		if !tc.ok {
			pid = 1
		}
		got, ok := parseStat(pid, tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

// ctstat's plain listing: the header skipped, a line that is not five
// fields a problem.
func TestParseListing(t *testing.T) {
	out := "CTID    TYPE    STATE   HOLDER  EVENTS\n" +
		"101     process owned   99      0\n" +
		"102     process orphaned -      3\n" +
		"oops\n"
	ls, bad := parseListing(out)
	want := []listing{{id: 101, state: "owned", holder: 99}, {id: 102, state: "orphaned"}}
	if !reflect.DeepEqual(ls, want) {
		t.Errorf("listing = %+v, want %+v", ls, want)
	}
	if len(bad) != 1 {
		t.Errorf("problems = %q, want one", bad)
	}
	if ls, bad := parseListing("CTID    TYPE    STATE   HOLDER  EVENTS\n"); len(ls) != 0 || len(bad) != 0 {
		t.Errorf("an empty listing gave %+v, %q", ls, bad)
	}
}

// Problems that differ in their numbers only are counted together.
func TestByKind(t *testing.T) {
	got := byKind([]string{"sample 1: contract 5 listed twice", "sample 2: contract 9 listed twice", "sample 2: ctstat said: x"})
	want := []string{
		"2 times: sample N: contract N listed twice",
		"  e.g. sample 1: contract 5 listed twice",
		"  e.g. sample 2: contract 9 listed twice",
		"1 times: sample N: ctstat said: x",
		"  e.g. sample 2: ctstat said: x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("byKind = %q, want %q", got, want)
	}
}
