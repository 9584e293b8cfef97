package terms

import (
	"testing"
	"time"
)

func TestParseGrace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"0", 0, false},
		{"2", 2 * time.Second, false},
		{"0.25", 250 * time.Millisecond, false},
		{"1e6", 1e6 * time.Second, false},
		{"1e7", 0, true},
		{"-1", 0, true},
		{"soon", 0, true},
		{"10s", 0, true},
		{"", 0, true},
	} {
		got, err := ParseGrace(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseGrace(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestEnvGrace(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		set  bool
		err  string
	}{
		{"", DefaultGrace, false, ""},
		{"3", 3 * time.Second, true, ""},
		{"x", 0, false, `CTRUN_GRACE="x": not a number of seconds`},
	} {
		t.Setenv(GraceEnv, tc.env)
		got, set, err := EnvGrace()
		if got != tc.want || set != tc.set || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s=%q: %v, %v, %v; want %v, %v, %q", GraceEnv, tc.env, got, set, err, tc.want, tc.set, tc.err)
		}
	}
}
