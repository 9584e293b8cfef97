package holder

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// procSource is where the holder learns of members' forks and exits,
// chosen once at start: the kernel's process connector, or, where there
// is none to subscribe to (a network namespace of its own: a container),
// the contract's init, whose reports come with its other messages.
type procSource interface {
	// fd is the descriptor to wait on; -1: the events come with the
	// init's messages (see contract.proc).
	fd() int
	// drain reads the events waiting and hands them to c; it returns how
	// many contract events they made.
	drain(c *contract) int
	// ended reads what is left once the init is gone.
	ended(c *contract)
	// name is the source as the mechanism names it.
	name() string
}

// initReports says whether members' forks and exits come with the init's
// messages (initSource) rather than on a descriptor of their own.
func (h *holder) initReports() bool { return h.procs.fd() < 0 }

// connectorSource reads the process connector.
type connectorSource struct{ conn *connector.Conn }

func (s connectorSource) fd() int      { return s.conn.Fd() }
func (s connectorSource) name() string { return mechanism.Connector }

func (s connectorSource) drain(c *contract) int {
	n := 0
	for {
		ev, err := s.conn.Read()
		if err == unix.EAGAIN {
			return n
		}
		if errors.Is(err, connector.ErrOverrun) {
			c.partial = true
			c.h.rep.act(c.res.id, "lost_events", "some process events were lost (the machine is very busy); the contract is still followed")
			continue
		}
		if err != nil {
			c.h.rep.errorf("process events: %v", err)
			return n
		}
		n += c.procEvent(ev)
		if c.phase.letGo() {
			return n
		}
	}
}

// ended: the init's exit, and so every member's, is in the socket once
// the init is reaped.
func (s connectorSource) ended(c *contract) { s.drain(c) }

// initSource: the init reports forks and exits (wire.Proc) itself.
type initSource struct{}

func (initSource) fd() int             { return -1 }
func (initSource) name() string        { return mechanism.Init }
func (initSource) drain(*contract) int { return 0 }

// ended: the init sent every member's exit before its own; its own is
// not reported, so the observer is told of it here.
func (initSource) ended(c *contract) {
	init := c.inst.InitPid()
	c.procEvent(connector.Event{What: connector.Exit, Pid: init, Tgid: init})
}

// proc takes the init's report of a member's fork or exit (initSource).
// The init names processes as it sees them: in a PID namespace of its own
// those are namespace pids, and a fork's report carries the member's pid
// as the holder sees it in its credentials (cred); without a namespace
// of its own, they are the holder's pids already.
// It returns how many contract events the report made.
func (c *contract) proc(v wire.Proc, cred int) int {
	init := c.inst.InitPid()
	ev := connector.Event{Timestamp: v.When}
	switch v.What {
	case wire.ProcFork:
		pid := v.Pid
		if c.namespaced {
			if v.NoCred || cred == 0 || cred == init {
				return 0 // gone before it could be named: nothing to follow
			}
			pid = cred
		}
		c.view[v.Pid] = pid
		parent, ok := c.view[v.Parent]
		if _, member := c.obs.Member(parent); !ok || !member {
			// Its parent was never seen (a subshell that neither exec'd
			// nor waited): the init vouches that it is a member.
			parent = init
		}
		ev.What, ev.Pid, ev.Tgid, ev.ParentPid, ev.ParentTgid = connector.Fork, pid, pid, parent, parent
	case wire.ProcExit:
		pid, ok := c.view[v.Pid]
		if !ok {
			return 0
		}
		delete(c.view, v.Pid)
		ev.What, ev.Pid, ev.Tgid = connector.Exit, pid, pid
		if v.NoStatus {
			// Its end was seen, not how: an exit without a status is
			// no fatal event.
			ev.ExitCode = 0
		} else {
			ev.ExitCode = uint32(v.Status)
		}
	default:
		return 0
	}
	return c.procEvent(ev)
}
