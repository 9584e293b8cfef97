package registry

import (
	"testing"
	"time"
)

// A record tells the holder's grace only when it has one that parses:
// records of older holders have none, and ctkill -S then goes by its own.
func TestStopGrace(t *testing.T) {
	for _, tc := range []struct {
		grace string
		want  time.Duration
		ok    bool
	}{
		{"10s", 10 * time.Second, true},
		{"0s", 0, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"", 0, false},
		{"-1s", 0, false},
		{"soon", 0, false},
	} {
		r := Record{Grace: tc.grace}
		got, ok := r.StopGrace()
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("grace %q: %v, %v; want %v, %v", tc.grace, got, ok, tc.want, tc.ok)
		}
	}
}
