package holder

import (
	"os"
	"time"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/testhook"
)

// finish removes what the contract left once holding is over: the init's
// remains, the record, the instance's files and cgroups. A husk is let go
// instead: its init stays for the sub-contracts and cleans up after them.
func (c *contract) finish() {
	if c.grace != nil {
		c.grace.Stop()
	}
	if c.phase == phaseHusk {
		c.releaseHusk()
		return
	}
	c.reapInit()
	testhook.Reached(testhook.Teardown, 0)
	if c.clearsBeside() {
		// The contract is empty: its endpoint and record go now (the
		// init removes the endpoint as it exits, unless it was killed;
		// no claim names it), and what its instance made while the
		// next run starts (see ahead.go). A holder killed meanwhile
		// leaves the rest to its claim's collector.
		_ = os.Remove(c.h.reg.EndpointPath(c.res.id))
		c.h.reg.Remove(c.res.id)
		c.h.clearing.Add(1)
		go func() {
			defer c.h.clearing.Done()
			if c.emptied {
				c.inst.Wait()
			}
			c.h.quietFor(clearAfter)
			c.inst.Destroy()
			registry.RemoveIfEmpty(string(c.h.reg))
		}()
	} else {
		// What the instance made goes before the record: a holder killed
		// in between leaves a dead contract's record, which the next
		// ctstat collects with its endpoint and cgroups.
		c.inst.Destroy()
		c.h.reg.Remove(c.res.id)
		registry.RemoveIfEmpty(string(c.h.reg))
	}
	if c.h.rep.watch != nil {
		c.h.rep.watch.Forget(c.res.id)
	}
	if c.h.tty != nil {
		c.h.tty.EndSession()
	}
}

// clearsBeside: with the next run's instance ready, its command need not
// wait for this contract's cleanup; one the holder lets go (released) is
// cleaned up before ctrun returns.
func (c *contract) clearsBeside() bool { return c.readyNext && c.phase != phaseReleased }

// clearAfter is how long what an ended contract's instance made waits
// for its removal when the next run's command has just been started in a
// ready instance: removing it (cgroups, mounts, files) is kernel work that
// on two cores slowed that command's own start, the other half of every
// restart. Nothing depends on it meanwhile: the record and endpoint are
// gone, the claim still names the rest.
const clearAfter = 100 * time.Millisecond

// quietFor waits d, or less should the holder be ending.
func (h *holder) quietFor(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.closing:
	}
}

// releaseHusk lets the init go on alone: it stays as long as the
// sub-contracts do, then removes what is left (its cgroup, its endpoint,
// its record) as an orphaned contract's init does. The record stays until
// then, as a husk's: should the init be killed, whoever lists contracts
// next collects what it left. It is marked while the contract is still
// held, so the init's own cleanup comes after.
func (c *contract) releaseHusk() {
	_ = c.h.reg.MarkHusk(c.res.id)
	if c.inst.Abandon() {
		// It ended meanwhile, leaving the cleanup to us.
		c.moveTo(phaseEnded)
		c.finish()
		return
	}
	if c.h.rep.watch != nil {
		c.h.rep.watch.Forget(c.res.id)
	}
	if c.h.tty != nil {
		c.h.tty.DropSession()
	}
}

// reapInit: the init has exited (or is made to). Reap it, then read the
// rest of the process events. An emptied contract's init is reaped beside
// the next run's start (finish), when there is one.
func (c *contract) reapInit() {
	if c.phase.live() {
		c.moveTo(phaseEnded)
	}
	if !c.emptied || !c.clearsBeside() {
		c.inst.Wait()
	}
	c.h.procs.ended(c)
}
