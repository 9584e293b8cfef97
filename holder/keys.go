package holder

import (
	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// Keys typed at ctrun's terminal that make the contract's pseudo-terminal
// send a signal (see terminal.Keys). The kernel sends ^C's SIGINT and
// ^\'s SIGQUIT to the pseudo-terminal's foreground process group, as the
// user expects; the holder learns of each first, so that:
//
//   - no death it causes is a signal event, as root and unprivileged alike;
//   - when the signal reaches the command's own process (it is in the
//     foreground group and does not ignore it), it is a user stop: once
//     the command has exited, the signal goes on to every member left
//     (setsid daemons included), the grace period runs, no restart
//     follows, and ctrun ends by the signal the command died of. A command
//     that catches it decides when that is: it may clean up first, or go
//     on (an interactive shell at its prompt) until it exits;
//   - a job of a shell inside (another foreground group) is interrupted
//     as it would be without ctrun, and the contract goes on.
//
// ^Z suspends ctrun with the job when the job is the command's own.

// keyPress is one key, handed to the holder's loop; the typing waits for
// the answer, so the loop has taken the key in before the byte is passed
// on.
type keyPress struct {
	sig    unix.Signal
	fg     int
	answer chan bool
}

// keyRelay hands the terminal's keys to the holder's loop.
type keyRelay struct {
	ch   chan keyPress
	done chan struct{}
}

func newKeyRelay() *keyRelay {
	return &keyRelay{ch: make(chan keyPress), done: make(chan struct{})}
}

// Key hands a key to the loop and waits until it is taken in (no wait
// once the holder is done).
func (k *keyRelay) Key(sig unix.Signal, fg int) bool {
	kp := keyPress{sig: sig, fg: fg, answer: make(chan bool, 1)}
	select {
	case k.ch <- kp:
	case <-k.done:
		return false
	}
	select {
	case a := <-kp.answer:
		return a
	case <-k.done:
		return false
	}
}

// keys is the channel of keys for the loop (nil: none, never ready).
func (k *keyRelay) keys() <-chan keyPress {
	if k == nil {
		return nil
	}
	return k.ch
}

// close releases any key still waiting: the holder is done.
func (k *keyRelay) close() {
	if k != nil {
		close(k.done)
	}
}

// key takes a key in and says whether ctrun suspends itself (^Z).
func (c *contract) key(k keyPress) bool {
	if !c.phase.live() {
		return false
	}
	switch k.sig {
	case unix.SIGTSTP:
		return k.fg != 0 && c.inForeground(k.fg) && !c.commandIgnores(unix.SIGTSTP)
	}
	c.interrupt(k.sig, k.fg)
	return false
}

// interrupt: ^C or ^\ was typed.
func (c *contract) interrupt(sig unix.Signal, fg int) {
	c.obs.Typed(sig)
	name := events.SignalName(sig)
	switch {
	case fg == 0:
		// No process gets it from the terminal: a stop, as the signal
		// sent to ctrun would be.
		c.stop(sig)
	case c.phase == phaseStopping || c.phase == phaseKilling || c.res.haveCmd:
		// A second stop, or one once the command has gone: every member
		// gets it at once.
		c.res.settle(outcomeStopped)
		c.res.stopSig = sig
		if c.phase.live() {
			c.moveTo(phaseStopping)
		}
		c.h.rep.act(c.res.id, "stop", "%s typed at the terminal: passing it on to every member: the contract will not be restarted", name)
		c.obs.Forwarded(sig)
		if err := c.inst.Signal(sig, wire.ScopeAll, 0); err != nil {
			c.h.rep.detailf(c.res.id, "%v", err)
		}
		c.startGrace()
	case c.inForeground(fg) && !c.commandIgnores(sig):
		c.keyStop = sig
		c.h.rep.act(c.res.id, "stop", "%s typed at the terminal: a stop once the command has exited of it, then for every member", name)
	default:
		c.h.rep.detailf(c.res.id, "%s typed at the terminal, for process group %d (not the command's): the contract goes on", name, fg)
	}
}

// takeKeyStop: the command has exited after an interrupt typed for it:
// the contract is stopped (see commandGone). Not when a fatal event came
// first: the command was killed for it.
func (c *contract) takeKeyStop() {
	if c.keyStop == 0 {
		return
	}
	sig := c.keyStop
	c.keyStop = 0
	if c.res.outcome >= outcomeFatal {
		return
	}
	c.res.settle(outcomeStopped)
	c.res.stopSig = sig
	if c.phase.live() {
		c.moveTo(phaseStopping)
	}
	c.obs.Forwarded(sig)
	c.startGrace()
}

// inForeground says whether the command's process is in process group fg
// (host pgid), so that a signal the terminal sends reaches it. When that
// cannot be told, it is taken to be: a user's interrupt then stops.
func (c *contract) inForeground(fg int) bool {
	pid := c.obs.Command()
	if pid == 0 || c.h.nested {
		return true
	}
	st, err := procfs.Default.Stat(pid)
	if err != nil || st.State.Exited() {
		return true
	}
	return st.Pgrp == fg
}

// commandIgnores says whether the command's process ignores sig (an
// interactive shell ignores SIGTSTP: ^Z at its prompt does nothing).
func (c *contract) commandIgnores(sig unix.Signal) bool {
	pid := c.obs.Command()
	if pid == 0 || c.h.nested {
		return false
	}
	var s procfs.Scratch
	b, err := procfs.Default.Read(pid, "status", &s)
	if err != nil {
		return false
	}
	ign, _ := procfs.Hex(b, "SigIgn:")
	return ign&(1<<(uint(sig)-1)) != 0
}
