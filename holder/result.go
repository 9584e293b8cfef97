package holder

import (
	"time"

	"golang.org/x/sys/unix"
)

// outcome is what one contract's end means for ctrun: return, or start
// the command again. Where several apply, the greater wins: a user's stop
// outweighs a fatal event (no restart follows a stop), and an immediate
// return outweighs both.
type outcome int

const (
	// outcomeDone: the contract ended by itself; ctrun returns the
	// command's status.
	outcomeDone outcome = iota
	// outcomeFatal: a fatal event ended it; a restart may follow.
	outcomeFatal
	// outcomeStopped: the user stopped it; ctrun returns the command's
	// status and never restarts.
	outcomeStopped
	// outcomeReturn: ctrun returns result.code at once (an error, a
	// command that could not be executed, lifetime none).
	outcomeReturn
)

// result is how one contract ended.
type result struct {
	id      int
	outcome outcome
	// code is ctrun's exit status with outcomeReturn.
	code int
	// cmd is the command's wait status, once haveCmd.
	cmd     unix.WaitStatus
	haveCmd bool
	ranFor  time.Duration
	// stopSig is the user's last stop signal (outcomeStopped).
	stopSig unix.Signal
}

// settle records an outcome, unless a greater one is there.
func (r *result) settle(o outcome) {
	if o > r.outcome {
		r.outcome = o
	}
}

// returnWith makes ctrun return code at once.
func (r *result) returnWith(code int) {
	r.settle(outcomeReturn)
	r.code = code
}

// failed is the result of a contract that could not be made.
func failed(id int) result {
	return result{id: id, outcome: outcomeReturn, code: ExitInternal}
}

// status is ctrun's exit status for the command's end.
func (r result) status() int {
	switch {
	case r.outcome == outcomeReturn:
		return r.code
	case !r.haveCmd:
		return ExitInternal
	case r.cmd.Exited():
		return r.cmd.ExitStatus()
	case r.cmd.Signaled():
		return ExitSignaled
	}
	return ExitInternal
}

// endBy is the signal ctrun ends itself by, 0 for none: a user's SIGINT or
// SIGQUIT that the command died of (semantics, "Stopping", 4). A command
// that caught it and exited decided its status itself.
func (r result) endBy() unix.Signal {
	if r.outcome != outcomeStopped || (r.stopSig != unix.SIGINT && r.stopSig != unix.SIGQUIT) {
		return 0
	}
	if r.haveCmd && r.cmd.Signaled() && r.cmd.Signal() == r.stopSig {
		return r.stopSig
	}
	return 0
}
