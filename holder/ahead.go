package holder

import "github.com/ctrun/ctrun/restart"

// A restarter exists to shorten the outage, and making a contract instance
// (namespaces, mounts, cgroup, libcontainer's init and ours) is most of
// what a restart would otherwise wait for. So while a run that may be
// restarted holds its contract, the instance of the next run is made
// ahead: its init waits for the go, the command does not run in it, and
// no record lists it (its claim names it, so that a collector ends it
// should the holder be killed). After a fatal event the old contract is
// killed and emptied as before; then the ready instance is told to go.
// Whatever ends the holder's loop otherwise discards it.
//
// It costs what a waiting init holds (see make bench, memory) and the
// making's CPU once per run; it is skipped where it would not be used or
// could not be made the same way later.

// aheadFor says whether the next run's instance is made while this one
// runs: a restart must be possible after it (restarts done so far), and
// the contract must not have the terminal, whose session is the running
// command's until it is over.
func (h *holder) aheadFor(policy restart.Policy, restarts int) bool {
	return policy.Allows(restarts) && h.tty == nil
}

// makeAhead starts making the instance of run, while the run before it
// holds its contract.
func (h *holder) makeAhead(run int) *pending {
	p := h.startInstance(run)
	p.ahead = true
	return p
}
