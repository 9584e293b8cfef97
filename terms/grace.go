package terms

import (
	"fmt"
	"strconv"
	"time"
)

// GraceEnv names the environment variable that sets the grace period when
// no -g is given.
const GraceEnv = "CTRUN_GRACE"

// DefaultGrace is the grace period when neither -g nor GraceEnv sets one:
// docker stop's.
const DefaultGrace = 10 * time.Second

// MaxGrace bounds a grace period (about eleven days): a longer one is a
// typing error, and it keeps the conversion to a Duration exact.
const MaxGrace = 1_000_000 * time.Second

// ParseGrace reads a grace period — how long the members of a contract may
// outlive a user stop before they are killed with SIGKILL — as -g and
// GraceEnv give it: seconds, as a decimal number without sign or exponent
// (10, 0.5, .25; 0 kills at once), at most MaxGrace. It is the one parser
// of the grace for every command (ctrun -g, CTRUN_GRACE, ctkill), so that
// they take the same values. The error says what is wrong with s, not
// where it came from: the caller adds that.
func ParseGrace(s string) (time.Duration, error) {
	if !decimal(s) {
		return 0, fmt.Errorf("%q is not a number of seconds (such as 10 or 0.5)", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > MaxGrace.Seconds() {
		return 0, fmt.Errorf("%q seconds is out of range (at most %d)", s, int(MaxGrace.Seconds()))
	}
	return time.Duration(f * float64(time.Second)), nil
}

// decimal: digits with at most one point among or around them, and at
// least one digit. ParseFloat alone would take "NaN", "Inf", "1e3",
// "0x1p4", "+1" and "1_0".
func decimal(s string) bool {
	digits, points := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// Grace is the grace period that applies: -g when given (t.GraceSet),
// else GraceEnv as getenv reads it, else DefaultGrace. A bad GraceEnv is
// an error naming the variable; -g was checked by Parse.
func Grace(t Terms, getenv func(string) string) (time.Duration, error) {
	if t.GraceSet {
		return t.Grace, nil
	}
	d, _, err := EnvGrace(getenv)
	return d, err
}

// EnvGrace reads GraceEnv through getenv: the grace it sets and whether it
// sets one (unset or empty: DefaultGrace, false). ctkill --stop takes the
// same variable for the contracts it stops itself.
func EnvGrace(getenv func(string) string) (time.Duration, bool, error) {
	v := getenv(GraceEnv)
	if v == "" {
		return DefaultGrace, false, nil
	}
	d, err := ParseGrace(v)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", GraceEnv, err)
	}
	return d, true, nil
}
