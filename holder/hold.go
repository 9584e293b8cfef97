package holder

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/runtime"
)

// hold follows the contract until holding is over (see holdingOver): it
// waits on the init's control socket, the process events and ctrun's own
// signals, and hands what comes to the contract's reactions (react.go).
func (c *contract) hold() {
	h := c.h
	var ws []*waiter
	// Without a descriptor of its own (-1), the event source's events come
	// with the init's messages: a waiter that never fires stands in.
	for _, fd := range []int{c.inst.ControlFD(), h.signals.fd(), h.procs.fd()} {
		if fd < 0 {
			ws = append(ws, idleWaiter())
			continue
		}
		w, err := newWaiter(fd)
		if err != nil {
			h.rep.errorf("wait for contract events: %v", err)
			c.inst.Kill()
			c.moveTo(phaseEnded)
			return
		}
		defer w.close()
		ws = append(ws, w)
	}
	ctl, sigs, conn := ws[0], ws[1], ws[2]
	// A batch read late finds short-lived members gone, with /proc's
	// details about them: -V and pgrponly, which need each member's
	// namespace pid and process group, read every event as it comes.
	var busy *load
	if !c.obs.Detail {
		busy = newLoad(h.tracer.keepsNames())
	}
	pause := minPause
	for {
		h.rep.flush()
		select {
		case <-ctl.ready:
			// The init's messages first: a member's report of a signal
			// it sent must be seen before the death it causes.
			c.drainControl()
			if c.holdingOver() {
				return // no ack: the waiter is closed on the way out
			}
			ctl.ack <- struct{}{}
		case <-conn.ready:
			now := time.Now()
			n := c.drainEvents()
			if c.holdingOver() {
				return // no ack: the waiter is closed on the way out
			}
			if busy != nil && busy.add(now, n) {
				// The machine is forking hard: many events at once, or
				// many in a short while. Every event that finds us
				// waiting costs the process that made it a wake-up (an
				// interrupt to another CPU, dear on a virtual machine):
				// let a few milliseconds of events gather and read them
				// in one go instead, longer while the load lasts.
				time.Sleep(pause)
				pause = min(2*pause, maxPause)
			} else {
				pause = minPause
			}
			conn.ack <- struct{}{}
		case <-sigs.ready:
			c.handleSignals(h.signals.pending())
			sigs.ack <- struct{}{}
		}
	}
}

// Batching process events under load (see hold and load): a fatal event
// is acted on at most maxPause late, and only while members fork without a
// break.
const (
	minPause = 2 * time.Millisecond
	maxPause = 8 * time.Millisecond
)

// drainControl reads every waiting message of the init, until none is
// left, the init is gone (phase ended) or the holder lets go.
func (c *contract) drainControl() {
	for c.phase != phaseEnded {
		m, cred, err := c.inst.Recv(false, c.buf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			if !errors.Is(err, runtime.ErrInitGone) {
				c.h.rep.errorf("contract %d: %v", c.res.id, err)
			}
			// Only note it: drainControl may have been called for a
			// member's exit that is still to be handled. finish reaps
			// the init and reads the events that are left.
			c.moveTo(phaseEnded)
			return
		}
		c.message(m, cred)
		if c.phase == phaseReleased {
			return
		}
	}
}

// drainEvents reads the waiting process events and returns how many
// contract events (fork, exit, ...) they made. It stops once the holder
// lets go; a contract that ended still has its last events read.
func (c *contract) drainEvents() int { return c.h.procs.drain(c) }

// procEvent takes one process event and returns how many contract events
// it made.
func (c *contract) procEvent(ev connector.Event) int {
	if ev.What == connector.Exit && ev.Pid == ev.Tgid && c.phase.live() {
		// Any record of the signal that killed it is in the control
		// socket already: read it first.
		c.drainControl()
	}
	evs := c.obs.Proc(ev)
	for _, e := range evs {
		c.event(e)
	}
	return len(evs)
}
