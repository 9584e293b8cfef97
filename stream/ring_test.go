package stream

import (
	"slices"
	"testing"

	"github.com/ctrun/ctrun/events"
)

// seq is from, from+1, ..., to-1.
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestRing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pushed int
		want   []int // the items kept, oldest first
	}{
		{"empty", 0, nil},
		{"one", 1, []int{0}},
		{"fewer than the limit", 5, seq(0, 5)},
		{"one less than the limit", queueLimit - 1, seq(0, queueLimit-1)},
		{"exactly the limit", queueLimit, seq(0, queueLimit)},
		{"one more than the limit", queueLimit + 1, seq(1, queueLimit+1)},
		{"more than twice the limit", 2*queueLimit + 7, seq(queueLimit+7, 2*queueLimit+7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r ring
			for i := range tc.pushed {
				r.push(item{notice: &events.Line{Ctid: i}})
			}
			var got []int
			r.each(func(it *item) { got = append(got, it.line().Ctid) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("kept %v, want %v", got, tc.want)
			}
			if r.len() != len(tc.want) {
				t.Errorf("len %d, want %d", r.len(), len(tc.want))
			}
		})
	}
}

func TestItemLine(t *testing.T) {
	n := events.Notice(3, "restart", "restart 1")
	if got := (&item{notice: &n}).line(); got != n {
		t.Errorf("notice: %+v, want %+v", got, n)
	}
	e := events.Event{Contract: 4, Seq: 9}
	for _, critical := range []bool{false, true} {
		it := item{ev: e, critical: critical}
		if got := it.line(); got.Ctid != 4 || got.Evid != 9 || got.Critical != critical {
			t.Errorf("event, critical %v: %+v", critical, got)
		}
	}
}
