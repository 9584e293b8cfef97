package holder

import "fmt"

// phase is where a contract is in its life, as its holder sees it. Every
// reaction of the holder (react.go) depends on it, and every change of it
// goes through moveTo, which refuses a move the table below does not
// allow: a contract that is over never runs again, a stop is never undone
// by a fatal event, and a contract let go is never held again.
//
//	starting ──► running ──► killing ──► stopping
//	    │           │           │           │
//	    └───────────┴─────┬─────┴───────────┘
//	                      ▼
//	         released · husk ──► ended
//
// (husk may still be released, and every live phase may end at once).
type phase int

const (
	// phaseStarting: the instance is made and told to go; the command is
	// not yet known to run.
	phaseStarting phase = iota
	// phaseRunning: the command runs; events are reported and fatal ones
	// acted on.
	phaseRunning
	// phaseKilling: a fatal event; every member is being killed.
	phaseKilling
	// phaseStopping: the user asked ctrun to stop and the signal was
	// passed on; no event is fatal any more.
	phaseStopping
	// phaseReleased: the holder lets go and ctrun returns while the
	// contract goes on (lifetimes child and none).
	phaseReleased
	// phaseHusk: no member is left, but the init lives on as the parent
	// of sub-contracts made inside (killing it would end them).
	phaseHusk
	// phaseEnded: the init is gone (or says it goes): the contract is
	// over.
	phaseEnded
)

func (p phase) String() string {
	switch p {
	case phaseStarting:
		return "starting"
	case phaseRunning:
		return "running"
	case phaseKilling:
		return "killing"
	case phaseStopping:
		return "stopping"
	case phaseReleased:
		return "released"
	case phaseHusk:
		return "husk"
	case phaseEnded:
		return "ended"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// canMoveTo is the table of allowed moves.
func (p phase) canMoveTo(q phase) bool {
	switch p {
	case phaseStarting:
		return q != phaseStarting
	case phaseRunning:
		return q > phaseRunning
	case phaseKilling:
		return q > phaseKilling
	case phaseStopping:
		return q > phaseStopping
	case phaseHusk:
		// Only sub-contracts are left; the command (lifetime child) may
		// still end, or the init go.
		return q == phaseReleased || q == phaseEnded
	}
	// released and ended are final: what is left is the caller's cleanup.
	return false
}

// live: the contract is held and its events may be acted on.
func (p phase) live() bool { return p < phaseReleased }

// letGo: the holder no longer follows the contract's events, though its
// init may live on.
func (p phase) letGo() bool { return p == phaseReleased || p == phaseHusk }

// errMove is a move the table refuses: a bug of the holder, never of the
// user's.
type errMove struct{ from, to phase }

func (e errMove) Error() string {
	return fmt.Sprintf("contract cannot go from %s to %s", e.from, e.to)
}

// moveTo changes the contract's phase, if the table allows; a move to the
// phase it is in is no move.
func (c *contract) moveTo(p phase) error {
	if p == c.phase {
		return nil
	}
	if !c.phase.canMoveTo(p) {
		err := errMove{c.phase, p}
		c.h.rep.errorf("internal error: contract %d: %v", c.res.id, err)
		return err
	}
	c.phase = p
	return nil
}

// holdingOver says whether hold is done with the contract: it ended, or
// the holder let go of it.
func (c *contract) holdingOver() bool { return !c.phase.live() }
