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
	defer collectOften()()
	// Once the contract runs, what making it left is given back.
	trim := time.AfterFunc(trimAfter, trimMemory)
	defer trim.Stop()
	var ws []*waiter
	// Without a descriptor of its own (-1), the event source's events come
	// with the init's messages: no waiter (its nil channel never fires).
	for _, fd := range []int{c.inst.ControlFD(), h.signals.fd(), h.procs.fd()} {
		if fd < 0 {
			ws = append(ws, nil)
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
		// Where the init reports forks and exits, it has read what /proc
		// could tell of a member by the time it reports: a short burst
		// is load, as with the tracer's names.
		busy = newLoad(h.tracer.keepsNames() || h.initReports())
	}
	pause := minPause
	for {
		h.rep.flush()
		select {
		case <-ctl.ready:
			// The init's messages first: a member's report of a signal
			// it sent must be seen before the death it causes.
			now := time.Now()
			n := c.drainControl()
			if c.holdingOver() {
				return // no ack: the waiter is closed on the way out
			}
			if h.initReports() {
				// The init reports forks and exits: its messages are
				// the process events, batched under load as those are.
				pause = c.batch(busy, now, n, pause)
			}
			ctl.ack <- struct{}{}
		case <-conn.readyC():
			now := time.Now()
			n := c.drainEvents()
			if c.holdingOver() {
				return // no ack: the waiter is closed on the way out
			}
			pause = c.batch(busy, now, n, pause)
			conn.ack <- struct{}{}
		case <-sigs.ready:
			c.handleSignals(h.signals.pending())
			sigs.ack <- struct{}{}
		case k := <-h.keys.keys():
			c.handleKey(k)
		case <-c.graceC():
			c.graceOver()
		}
	}
}

// batch pauses before the next read when the machine is forking hard
// (busy: many events at once, or many in a short while), and returns the
// next pause. Every event that finds the holder waiting costs the process
// that made it a wake-up (an interrupt to another CPU, dear on a virtual
// machine): a few milliseconds of events gather and are read in one go
// instead, longer while the load lasts. busy is nil where every event is
// read as it comes.
func (c *contract) batch(busy *load, now time.Time, n int, pause time.Duration) time.Duration {
	if busy == nil || !busy.add(now, n) {
		return minPause
	}
	time.Sleep(pause)
	return min(2*pause, maxPause)
}

// Batching process events under load (see hold and load): a fatal event
// is acted on at most maxPause late, and only while members fork without a
// break.
const (
	minPause = 2 * time.Millisecond
	maxPause = 8 * time.Millisecond
)

// drainControl reads every waiting message of the init, until none is
// left, the init is gone (phase ended) or the holder lets go. It returns
// how many contract events the init's reports of forks and exits made.
func (c *contract) drainControl() int {
	n := 0
	for c.phase != phaseEnded {
		m, cred, err := c.inst.Recv(false, c.buf)
		if err == unix.EAGAIN {
			return n
		}
		if err != nil {
			if !errors.Is(err, runtime.ErrInitGone) {
				c.h.rep.errorf("contract %d: %v", c.res.id, err)
			}
			// Only note it: drainControl may have been called for a
			// member's exit that is still to be handled. finish reaps
			// the init and reads the events that are left.
			c.moveTo(phaseEnded)
			return n
		}
		n += c.message(m, cred)
		if c.phase == phaseReleased {
			return n
		}
	}
	return n
}

// drainEvents reads the waiting process events and returns how many
// contract events (fork, exit, ...) they made. It stops once the holder
// lets go; a contract that ended still has its last events read.
func (c *contract) drainEvents() int { return c.h.procs.drain(c) }

// procEvent takes one process event and returns how many contract events
// it made.
func (c *contract) procEvent(ev connector.Event) int {
	if ev.What == connector.Exit && ev.Pid == ev.Tgid && c.phase.live() && !c.h.initReports() {
		// Any record of the signal that killed it is in the control
		// socket already: read it first. (Where the init reports exits,
		// they come on that socket, after such records.)
		c.drainControl()
	}
	evs := c.obs.Proc(ev)
	for _, e := range evs {
		c.event(e)
	}
	return len(evs)
}
