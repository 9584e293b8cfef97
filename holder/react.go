package holder

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/terms"
)

// The holder's reactions: to each message of the init, to each contract
// event the observer makes of the process events, and to ctrun's own stop
// signals. What each does depends on the contract's phase; each is unit
// tested per phase with a fake instance (react_test.go).

// message reacts to one message of the init; cred is the pid its
// credentials name (see contract.proc). It returns how many contract
// events the message made (the init's reports of forks and exits).
func (c *contract) message(m wire.Message, cred int) int {
	id := c.res.id
	v, err := wire.Decode(m)
	if err != nil {
		c.h.rep.detailf(id, "%v", err)
		return 0
	}
	switch v := v.(type) {
	case wire.Started:
		c.h.rep.detailf(id, "command started: pid %d in the contract", v.NSPid)
		if c.phase == phaseStarting {
			c.moveTo(phaseRunning) // a fatal event or a stop may have come first
		}
		if c.h.job.Terms.Lifetime == terms.LifeNone {
			c.res.returnWith(0)
			c.moveTo(phaseReleased)
		}
	case wire.ExecFailed:
		c.res.returnWith(c.execFailure(v.Errno, v.Stage))
	case wire.CommandExited:
		c.res.cmd, c.res.haveCmd = v.Status, true
		c.commandGone()
		if c.h.job.Terms.Lifetime == terms.LifeChild {
			c.moveTo(phaseReleased)
		} else if c.blindToSubcontracts() && c.subcontracts() > 0 {
			// Members and sub-contracts look alike from here: the init
			// tells when only sub-contracts are left.
			c.watchEmpty()
		}
	case wire.Exiting:
		// The init found the contract empty and goes, leaving the
		// cleanup to us. With a next instance ready that need not wait
		// for its own exit, once the observer has seen every member's
		// end too: the kernel reports an exit after the parent may reap
		// it, and the event of a fatal death not read yet would be lost
		// with the contract (see killAll).
		c.emptied = c.endsSeen()
		c.moveTo(phaseEnded)
	case wire.OwnEmpty:
		// Only sub-contracts are left in the init's namespace.
		if c.phase.live() {
			c.moveTo(phaseHusk)
			if e, ok := c.obs.EmptyEvent(); ok {
				c.event(e)
			}
		}
	case wire.Sent:
		c.obs.Sent(events.SentSignal(v))
	case wire.ExternalSent:
		// ctkill -a: the init sends it, on behalf of a process outside.
		c.obs.External(v.Sig, v.Requester, v.When)
	case wire.Proc:
		return c.proc(v, cred)
	case wire.NoReport:
		c.h.rep.act(id, "no_report", "members' forks and exits cannot be followed (%v): only the command's own end is seen", v.Errno)
	case wire.NotifyOff:
		c.h.rep.detailf(id, "signals sent by members cannot be observed (%v): a member's signal to a member may be reported as a signal from outside", v.Errno)
	}
	return 0
}

// execFailure reports why the command could not run and returns ctrun's
// exit status for it.
func (c *contract) execFailure(errno unix.Errno, stage int) int {
	name := c.h.job.Argv[0]
	switch stage {
	case wire.StageExec:
		c.h.rep.errorf("%s: %v", name, errno)
		if errno == unix.ENOENT {
			return ExitNotFound
		}
		return ExitNotExec
	case wire.StageChdir:
		c.h.rep.errorf("cannot enter the working directory %s: %v", c.h.job.Dir, errno)
	case wire.StageRoot:
		c.h.rep.errorf("cannot show the host's root inside the contract: %v", errno)
	default:
		c.h.rep.errorf("cannot set up the command's process: %v", errno)
	}
	return ExitInternal
}

// event reports a contract event and acts on it if it is fatal. A fatal
// event counts unless the user stopped the contract or the holder let it
// go; one read after the init ended still counts (the death it reports
// was the contract's), though there is nothing left to kill.
func (c *contract) event(e events.Event) {
	t := c.h.job.Terms
	watched := t.Informative.Has(e.Kind) || t.Fatal.Has(e.Kind) || (e.Kind == terms.Empty && t.Lifetime == terms.LifeContract)
	// The deaths of an interrupt typed for the command are the user's
	// stop (see keys.go): never fatal.
	typed := c.keyStop != 0 && e.Sig == c.keyStop
	fatal := t.Fatal.Has(e.Kind) && c.res.outcome != outcomeStopped && !typed && c.phase != phaseReleased
	if watched || fatal {
		c.h.rep.event(e, fatal)
	}
	if e.Kind == terms.Empty && c.obs.Subcontracts() > 0 && c.phase.live() {
		// The init stays for the sub-contracts (killing it would end
		// them): the contract itself is over.
		c.moveTo(phaseHusk)
	}
	if e.Kind == terms.Exit && e.Pid > 0 && !c.res.haveCmd && c.obs.IsCommand(e.Pid) {
		// The init could not report it (it was killed with the contract).
		c.res.cmd, c.res.haveCmd = e.Status, true
		c.takeKeyStop()
	}
	if !fatal {
		return
	}
	if t.Options.PgrpOnly {
		c.res.settle(outcomeFatal)
		c.killGroup(e)
		return
	}
	if c.res.outcome == outcomeFatal {
		return // every member is being killed already
	}
	c.res.settle(outcomeFatal)
	if c.phase == phaseStarting || c.phase == phaseRunning {
		c.moveTo(phaseKilling)
	}
	c.killAll(fmt.Sprintf("fatal %s event: killing every member", e.Kind))
}

// killAll kills every member, reporting why. Killing the init would end
// the sub-contracts made inside, which must be spared: with any, the init
// kills the members instead, and says when none is left.
func (c *contract) killAll(why string) {
	c.obs.Killing()
	if n := c.subcontracts(); n > 0 {
		c.h.rep.act(c.res.id, "kill", "%s (sparing %d sub-contracts)", why, n)
		if err := c.inst.Signal(unix.SIGKILL, wire.ScopeAll, 0); err != nil {
			c.h.rep.errorf("%v", err)
		}
		c.watchEmpty()
		return
	}
	c.h.rep.act(c.res.id, "kill", "%s", why)
	if err := c.inst.Kill(); err != nil {
		c.h.rep.errorf("%v", err)
	}
	if c.endsSeen() && c.inst.Emptied() {
		// A crashed command alone in its contract (the common case):
		// the observer has seen every member's end and the kernel
		// shows none left, so the next run's command need not wait for
		// the init's own exit, which is reaped beside its start.
		c.emptied = true
		c.moveTo(phaseEnded)
	}
}

// endsSeen: a next instance is ready, and the observer, which sees every
// member (not partial), has seen each one's end. The contract's end need
// not then wait for its init's own exit (finish reaps it beside the next
// run's start).
func (c *contract) endsSeen() bool {
	return c.readyNext && !c.partial && c.obs.Members() == 0
}

// subcontracts counts the live sub-contracts made inside this contract,
// whose processes killing the init would end. The observer sees their
// first processes being made (by a member, in a PID namespace of their
// own). Sub-contracts handed over from a failed contract (-t) live in that
// contract's namespace, not in this one: they need no sparing here. Only a
// holder that could not see the making (one inside a contract, which sees
// no namespaces; one with a partial view: see contract.partial) asks the
// registry, which may count a record too many: that costs a slower kill,
// never a sub-contract.
func (c *contract) subcontracts() int {
	n := c.obs.Subcontracts()
	if n > 0 || !c.blindToSubcontracts() {
		return n
	}
	return len(registry.Children(registry.Dirs(string(c.h.reg)), c.res.id))
}

// blindToSubcontracts: the holder cannot see sub-contracts being made
// (see subcontracts).
func (c *contract) blindToSubcontracts() bool { return c.h.nested || c.partial }

// watchEmpty asks the init to say when only sub-contracts are left.
func (c *contract) watchEmpty() {
	if err := c.inst.Send(wire.WatchEmpty{}.Message()); err != nil {
		c.h.rep.detailf(c.res.id, "%v", err)
	}
}

// killGroup kills the process group of the member that caused a fatal
// event (pgrponly). The contract's init sends the signal, naming the group
// by its id inside the contract: a group that has no id there (one outside
// the contract, such as the holder's own) can never be hit.
func (c *contract) killGroup(e events.Event) {
	if e.NSPgid <= 1 {
		c.h.rep.act(c.res.id, "kill_group", "fatal %s event: process group of pid %d unknown, nothing killed", e.Kind, e.Pid)
		return
	}
	c.h.rep.act(c.res.id, "kill_group", "fatal %s event: killing process group %d", e.Kind, e.Pgid)
	c.obs.KillingGroup(e.Pgid)
	if err := c.inst.Signal(unix.SIGKILL, wire.ScopePgrp, e.NSPgid); err != nil {
		c.h.rep.errorf("kill process group %d: %v", e.Pgid, err)
	}
}

func (c *contract) handleSignals(sigs []unix.Signal) {
	for _, sig := range sigs {
		if sig == unix.SIGWINCH {
			if c.h.tty != nil {
				c.h.tty.Resize()
			}
			continue
		}
		c.stop(sig)
	}
}

// handleKey takes in a key typed at the terminal and answers the typing.
func (c *contract) handleKey(k keyPress) {
	k.answer <- c.key(k)
}

// stop passes a stop signal on to the command (or, once it is gone, to
// every member), and starts the grace period after which every member
// still there is killed. A second stop during the grace goes to every
// member at once. A contract that ends this way is never restarted.
func (c *contract) stop(sig unix.Signal) {
	c.res.settle(outcomeStopped)
	c.res.stopSig = sig
	again := c.phase == phaseStopping
	if c.phase.live() {
		c.moveTo(phaseStopping)
	}
	scope, to := wire.ScopeCommand, "the command"
	switch {
	case again:
		scope, to = wire.ScopeAll, "every member (a second stop)"
	case c.res.haveCmd:
		to = "every member (the command has exited)"
	}
	c.h.rep.act(c.res.id, "stop", "passing %s on to %s: the contract will not be restarted", events.SignalName(sig), to)
	c.obs.Forwarded(sig)
	if err := c.inst.Signal(sig, scope, 0); err != nil {
		c.h.rep.detailf(c.res.id, "%v", err)
	}
	c.startGrace()
}

// startGrace starts the grace period after a stop, unless it runs.
func (c *contract) startGrace() {
	if c.grace == nil {
		c.grace = time.NewTimer(c.h.grace)
	}
}

// commandGone: once the command has exited after a stop (or an interrupt
// typed for it), the stop goes on to every member left (a daemon it
// started, a job it waited for).
func (c *contract) commandGone() {
	c.takeKeyStop()
	if c.phase != phaseStopping || c.res.stopSig == 0 {
		return
	}
	c.h.rep.act(c.res.id, "stop", "passing %s on to every member (the command has exited)", events.SignalName(c.res.stopSig))
	c.obs.Forwarded(c.res.stopSig)
	if err := c.inst.Signal(c.res.stopSig, wire.ScopeAll, 0); err != nil {
		c.h.rep.detailf(c.res.id, "%v", err)
	}
}

// graceOver: the members left a grace period after a stop are killed.
func (c *contract) graceOver() {
	if !c.phase.live() {
		return
	}
	c.killAll(fmt.Sprintf("%v after the stop, killing every member left", c.h.grace))
}

// graceC fires when the grace period after a stop is over (never without
// one).
func (c *contract) graceC() <-chan time.Time {
	if c.grace == nil {
		return nil
	}
	return c.grace.C
}
