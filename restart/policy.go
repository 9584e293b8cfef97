// Package restart decides whether a failed contract is started again, and
// when: section 3 of the semantics page, plus a crash-loop pause.
package restart

import "time"

// Policy is the -r budget: Enabled when -r was given; Limit restarts at
// most, 0 without limit.
type Policy struct {
	Enabled bool
	Limit   int
}

// Allows says whether another restart fits the budget after done restarts.
func (p Policy) Allows(done int) bool {
	return p.Enabled && (p.Limit == 0 || done < p.Limit)
}

// Backoff paces a contract that keeps failing right after it starts, so a
// crash loop does not eat a core. The first Free quick failures in a row
// are restarted at once; each further one waits twice as long as the one
// before, from Base up to Max. A run that lasted at least Quick ends the
// streak. The pause never counts as a restart.
type Backoff struct {
	Free  int
	Base  time.Duration
	Max   time.Duration
	Quick time.Duration

	streak int
}

// DefaultBackoff: three immediate restarts, then 100 ms, 200 ms, ... up
// to 10 s, for runs shorter than a second.
func DefaultBackoff() Backoff {
	return Backoff{Free: 3, Base: 100 * time.Millisecond, Max: 10 * time.Second, Quick: time.Second}
}

// Pause returns how long to wait before restarting a contract that ran for
// ranFor before it failed.
func (b *Backoff) Pause(ranFor time.Duration) time.Duration {
	if ranFor >= b.Quick {
		b.streak = 0
	}
	b.streak++
	if b.streak <= b.Free {
		return 0
	}
	d := b.Base
	for i := b.Free + 1; i < b.streak && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	return d
}
