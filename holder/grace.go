package holder

import (
	"time"

	"github.com/ctrun/ctrun/terms"
)

// GraceEnv names the environment variable that sets how long the members
// of a contract may outlive a user's stop (see terms.GraceEnv, where it is
// parsed for ctrun and ctkill alike).
const GraceEnv = terms.GraceEnv

// DefaultGrace is the grace period after a stop.
const DefaultGrace = terms.DefaultGrace

// stopGrace reads GraceEnv.
func stopGrace() (time.Duration, error) {
	d, _, err := terms.EnvGrace()
	return d, err
}
