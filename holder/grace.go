package holder

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// GraceEnv names the environment variable that sets how long the members
// of a contract may outlive a user's stop before they are killed (seconds,
// a decimal number; default DefaultGrace, as docker stop's).
const GraceEnv = "CTRUN_GRACE"

// DefaultGrace is the grace period after a stop.
const DefaultGrace = 10 * time.Second

// stopGrace reads GraceEnv.
func stopGrace() (time.Duration, error) {
	v := os.Getenv(GraceEnv)
	if v == "" {
		return DefaultGrace, nil
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s < 0 || s > 1e6 {
		return 0, fmt.Errorf("%s=%q: not a number of seconds", GraceEnv, v)
	}
	return time.Duration(s * float64(time.Second)), nil
}
