package restart

import (
	"testing"
	"time"
)

func TestPolicyAllows(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Policy
		done int
		want bool
	}{
		{"no -r", Policy{}, 0, false},
		{"-r 2, none yet", Policy{Enabled: true, Limit: 2}, 0, true},
		{"-r 2, one done", Policy{Enabled: true, Limit: 2}, 1, true},
		{"-r 2, two done", Policy{Enabled: true, Limit: 2}, 2, false},
		{"-r 0 unlimited", Policy{Enabled: true, Limit: 0}, 1000000, true},
	} {
		if got := tc.p.Allows(tc.done); got != tc.want {
			t.Errorf("%s: Allows(%d) = %v, want %v", tc.name, tc.done, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	b := DefaultBackoff()
	quick := 10 * ms
	want := []time.Duration{0, 0, 0, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 10000 * ms, 10000 * ms}
	for i, w := range want {
		if got := b.Pause(quick); got != w {
			t.Fatalf("quick failure %d: pause %v, want %v", i+1, got, w)
		}
	}
	// A run that lasted ends the streak: immediate again.
	if got := b.Pause(2 * time.Second); got != 0 {
		t.Fatalf("after a long run: pause %v, want 0", got)
	}
	var total time.Duration
	b = DefaultBackoff()
	for i := 0; i < 6; i++ {
		total += b.Pause(quick)
	}
	if total > 2*time.Second {
		t.Fatalf("six immediate failures pause %v in all, want well under a few seconds", total)
	}
}
