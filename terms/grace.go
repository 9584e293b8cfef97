package terms

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// GraceEnv names the environment variable that sets how long the members
// of a contract may outlive a user's stop before they are killed (seconds,
// a decimal number; default DefaultGrace, as docker stop's). ctrun's
// holder and ctkill --stop read it alike (semantics page, section 3).
const GraceEnv = "CTRUN_GRACE"

// DefaultGrace is the grace period after a stop.
const DefaultGrace = 10 * time.Second

// ParseGrace reads a grace period in seconds (a decimal number, 0 to one
// million). The error names only the value: the caller says where it came
// from.
func ParseGrace(v string) (time.Duration, error) {
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s < 0 || s > 1e6 {
		return 0, fmt.Errorf("%q: not a number of seconds", v)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// EnvGrace reads GraceEnv: the grace it sets, and whether it sets one
// (unset or empty: DefaultGrace, false).
func EnvGrace() (time.Duration, bool, error) {
	v := os.Getenv(GraceEnv)
	if v == "" {
		return DefaultGrace, false, nil
	}
	d, err := ParseGrace(v)
	if err != nil {
		return 0, false, fmt.Errorf("%s=%w", GraceEnv, err)
	}
	return d, true, nil
}
