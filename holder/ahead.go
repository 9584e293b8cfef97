package holder

import (
	"time"

	"github.com/ctrun/ctrun/restart"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// A restarter exists to shorten the outage, and making a contract instance
// (namespaces, mounts, cgroup, libcontainer's init and ours) is most of
// what a restart would otherwise wait for. So while a run that may be
// restarted holds its contract, the instance of the next run is made
// ahead: its init waits for the go, the command does not run in it, and
// no record lists it (its claim names it, so that a collector ends it
// should the holder be killed). After a fatal event the old contract is
// killed and emptied as before; then the ready instance is told to go,
// and what the old one made is removed beside it (finish). Whatever ends
// the holder's loop otherwise discards the ready instance.
//
// The making waits until the run has had aheadAfter to itself: on two
// cores its tens of milliseconds of CPU (libcontainer's stages, a second
// Go runtime) would otherwise slow the command's own start, which is the
// other half of every restart. A run that ends sooner has the next
// instance made at once. Once made, what the making left on the holder's
// heap and in its mappings is given back (trimMemory): a ready instance
// costs its waiting init, a few hundred KiB (make bench, restart).
const aheadAfter = 250 * time.Millisecond

// aheadFor says whether the next run's instance may be made while this
// one runs: a restart must be possible after it (restarts done so far),
// and the contract must not have the terminal, whose session is the
// running command's until it is over.
func (h *holder) aheadFor(policy restart.Policy, restarts int) bool {
	return policy.Allows(restarts) && h.tty == nil
}

// aheadHeld: contracts are held in PID namespaces of their own, where a
// waiting init is apart from the running contract. A subreaper contract
// is its init's descendants, and a container's (ctrun as PID 1) every
// process of the namespace: a fatal kill there would end a ready init.
func (h *holder) aheadHeld() bool { return h.mech.Holding == mechanism.Namespace }

// makeAhead starts making the instance of run once the run before it has
// held its contract for aheadAfter, or at once when it ends (hurry).
func (h *holder) makeAhead(run int) *pending {
	p := &pending{run: run, done: make(chan struct{}), now: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTimer(aheadAfter)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.now:
		}
		if p.dropped.Load() {
			return
		}
		p.begin = time.Now()
		p.inst, p.err = h.makeInstance(run, true)
		if p.err == nil && !h.nested {
			// The contract id is the init's pid (a nested holder learns
			// it only at the go): its record's file can be made now.
			p.staged, _ = h.reg.Stage(p.inst.InitPid())
		}
		trimMemory()
	}()
	return p
}

// wait waits for the instance to be made (one made ahead, now).
func (p *pending) wait() {
	p.hurry()
	<-p.done
}

// hurry lets an instance made ahead be made now: the run before it is
// over (or will not be followed).
func (p *pending) hurry() {
	if p.now != nil {
		p.once.Do(func() { close(p.now) })
	}
}
