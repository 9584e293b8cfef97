package holder

import (
	"os"
	"time"

	"github.com/ctrun/ctrun/terms"
)

// GraceEnv and DefaultGrace are the grace period's variable and default;
// terms parses the grace for every command (ctrun -g, ctkill).
const (
	GraceEnv     = terms.GraceEnv
	DefaultGrace = terms.DefaultGrace
)

// stopGrace is how long the members of a contract held on terms t may
// outlive a user stop: -g, else GraceEnv, else DefaultGrace. A bad
// GraceEnv is an error (exit 124, as documented in ctrun(1)).
func stopGrace(t terms.Terms) (time.Duration, error) {
	return terms.Grace(t, os.Getenv)
}
