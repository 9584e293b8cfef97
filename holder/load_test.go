package holder

import (
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	type read struct {
		at   time.Duration // since the first read
		n    int
		busy bool
	}
	for _, tc := range []struct {
		name      string
		namesKept bool
		reads     []read
	}{
		{"names kept: a short command is no load", true, []read{{0, 1, false}, {time.Millisecond, 2, false}, {2 * time.Millisecond, 2, false}}},
		{"names kept: four events in one read", true, []read{{0, 4, true}}},
		{"names kept: six within 10 ms", true, []read{{0, 2, false}, {3 * time.Millisecond, 2, false}, {6 * time.Millisecond, 2, true}}},
		{"names kept: six spread over more than 10 ms", true, []read{{0, 3, false}, {11 * time.Millisecond, 3, false}, {23 * time.Millisecond, 2, false}}},
		{"names kept: a burst lasts while events follow", true, []read{{0, 6, true}, {11 * time.Millisecond, 1, true}, {22 * time.Millisecond, 1, false}}},
		{"no names: a script's burst is no load", false, []read{{0, 4, false}, {time.Millisecond, 6, false}, {3 * time.Millisecond, 10, false}}},
		{"no names: 32 events in one read", false, []read{{0, 32, true}}},
		{"no names: a sustained storm", false, []read{{0, 20, false}, {30 * time.Millisecond, 20, false}, {60 * time.Millisecond, 24, true}, {90 * time.Millisecond, 2, true}}},
		{"no names: a storm lasts across windows", false, []read{{0, 40, true}, {60 * time.Millisecond, 30, true}, {130 * time.Millisecond, 5, true}, {190 * time.Millisecond, 5, true}}},
		{"no names: the storm ends", false, []read{{0, 31, false}, {50 * time.Millisecond, 31, false}, {90 * time.Millisecond, 2, true}, {200 * time.Millisecond, 2, true}, {350 * time.Millisecond, 2, false}}},
		{"no names: a quiet while after a storm", false, []read{{0, 70, true}, {time.Second, 1, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoad(tc.namesKept)
			t0 := time.Now()
			for i, r := range tc.reads {
				if got := l.add(t0.Add(r.at), r.n); got != r.busy {
					t.Errorf("read %d (%d events at %v): busy %v, want %v", i, r.n, r.at, got, r.busy)
				}
			}
		})
	}
}
