package terms

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseGrace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"10", 10 * time.Second, false},
		{"0", 0, false},
		{"0.5", 500 * time.Millisecond, false},
		{".25", 250 * time.Millisecond, false},
		{"2.", 2 * time.Second, false},
		{"1000000", MaxGrace, false},
		{"1000001", 0, true},
		{"", 0, true},
		{".", 0, true},
		{"-1", 0, true},
		{"+1", 0, true},
		{"1.2.3", 0, true},
		{"1e3", 0, true},
		{"0x10", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
		{"1_0", 0, true},
		{" 1", 0, true},
		{"5s", 0, true},
		{"soon", 0, true},
	} {
		got, err := ParseGrace(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseGrace(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
		if err != nil && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.in)) {
			t.Errorf("ParseGrace(%q) error %q: want one line naming the value", tc.in, err)
		}
	}
}

// -g is parsed by ParseGrace, a bad value being a usage error; it goes
// with a command and with -a.
func TestParseGraceOption(t *testing.T) {
	tm, cmd, _, err := Parse([]string{"-g", "2.5", "sleep", "1"})
	if err != nil || !tm.GraceSet || tm.Grace != 2500*time.Millisecond || len(cmd) != 2 {
		t.Fatalf("-g 2.5: %+v %q %v", tm, cmd, err)
	}
	tm, _, _, err = Parse([]string{"-vg0", "-a", "7"})
	if err != nil || !tm.GraceSet || tm.Grace != 0 || tm.Adopt != 7 {
		t.Fatalf("-vg0 -a 7: %+v %v", tm, err)
	}
	tm, _, _, err = Parse([]string{"true"})
	if err != nil || tm.GraceSet {
		t.Fatalf("no -g: %+v %v", tm, err)
	}
	for _, bad := range [][]string{{"-g", "x", "true"}, {"-g", "-1", "true"}, {"-g", "", "true"}, {"-g"}, {"-g", "1e9", "-a", "3"}} {
		_, _, _, err := Parse(bad)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "-g") {
			t.Errorf("Parse(%q) = %v: want a usage error about -g", bad, err)
		}
	}
}

// Precedence: -g, then the variable, then the default; a bad variable is
// an error naming it, unless -g makes it moot.
func TestGracePrecedence(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == GraceEnv {
				return v
			}
			return ""
		}
	}
	opt := Terms{Grace: 3 * time.Second, GraceSet: true}
	for _, tc := range []struct {
		name string
		t    Terms
		env  string
		want time.Duration
		bad  bool
	}{
		{"default", Default(), "", DefaultGrace, false},
		{"variable", Default(), "4", 4 * time.Second, false},
		{"option over variable", opt, "4", 3 * time.Second, false},
		{"option over a bad variable", opt, "soon", 3 * time.Second, false},
		{"option 0", Terms{GraceSet: true}, "4", 0, false},
		{"bad variable", Default(), "soon", 0, true},
	} {
		got, err := Grace(tc.t, env(tc.env))
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%s: Grace = %v, %v; want %v (error: %v)", tc.name, got, err, tc.want, tc.bad)
		}
		if err != nil && !strings.HasPrefix(err.Error(), GraceEnv+": ") {
			t.Errorf("%s: error %q does not name %s", tc.name, err, GraceEnv)
		}
	}
}

// EnvGrace, which ctkill --stop reads, says whether the variable set a
// grace, and names the variable when its value is bad.
func TestEnvGrace(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		set  bool
		bad  bool
	}{
		{"", DefaultGrace, false, false},
		{"3", 3 * time.Second, true, false},
		{"0.5", 500 * time.Millisecond, true, false},
		{"x", 0, false, true},
		{"1e3", 0, false, true},
	} {
		got, set, err := EnvGrace(func(k string) string {
			if k == GraceEnv {
				return tc.env
			}
			return ""
		})
		if got != tc.want || set != tc.set || (err != nil) != tc.bad {
			t.Errorf("%s=%q: %v, %v, %v; want %v, %v, error %v", GraceEnv, tc.env, got, set, err, tc.want, tc.set, tc.bad)
		}
		if err != nil && !strings.Contains(err.Error(), GraceEnv) {
			t.Errorf("%s=%q: error %q does not name the variable", GraceEnv, tc.env, err)
		}
	}
}

// The grace ctrun holds a contract with, from the environment alone (no
// -g): the holder reads it so (holder.Run, holder.Adopt).
func TestGraceFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{"", DefaultGrace, false},
		{"2.5", 2500 * time.Millisecond, false},
		{"0", 0, false},
		{"-1", 0, true},
		{"soon", 0, true},
	} {
		t.Setenv(GraceEnv, tc.env)
		got, err := Grace(Default(), os.Getenv)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("%s=%q: %v, %v; want %v (error %v)", GraceEnv, tc.env, got, err, tc.want, tc.bad)
		}
	}
}
