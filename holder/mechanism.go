package holder

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// StrictEnv names the environment variable that makes ctrun fail (exit
// 124, with the reason) rather than hold a contract less exactly than on a
// bare host.
const StrictEnv = "CTRUN_STRICT"

// openEvents chooses where members' forks and exits are learnt: the
// process connector, which reports host pids to the host's first network
// namespace only, where it can be had and its pids mean something here
// (on the host, or inside a contract, whose holder learns its host pids);
// else the contract's init.
func (h *holder) openEvents() error {
	h.hostPid = os.Getpid()
	onHost := registry.InHostPidNS()
	inside := !onHost && registry.InsideContract()
	if !onHost && !inside {
		h.procs = initSource{}
		return nil
	}
	conn, err := connector.Open()
	if err != nil && inside {
		// Contract ids are host pids, and only the connector tells them
		// to a ctrun in a contract's PID namespace.
		return fmt.Errorf("cannot make a sub-contract here: a ctrun inside a contract learns its host pids from the process connector, which cannot be heard in this network namespace (%v)", err)
	}
	if err != nil {
		h.procs = initSource{}
		h.noConnector = err
		return nil
	}
	if err := unix.SetNonblock(conn.Fd(), true); err != nil {
		conn.Close()
		return fmt.Errorf("process events: %w", err)
	}
	h.conn = conn
	h.procs = connectorSource{conn}
	if !onHost {
		h.nested = true
		if h.hostPid, err = ownHostPid(h.conn); err != nil {
			return err
		}
	}
	return nil
}

// noConnectorLimit opens the limit of contracts whose events come from
// their init.
const noConnectorLimit = "forks are seen late, as "

// mechanism is how this holder's contracts are held, in full: the maker's
// part, and where events and signal senders come from.
func (h *holder) mechanism() mechanism.Mechanism {
	m := h.base
	m.Limits = append([]string(nil), m.Limits...)
	m.Events = h.procs.name()
	if m.Events == mechanism.Init {
		why := "there is no process connector here (a network namespace of its own, as a container has)"
		if h.noConnector != nil {
			why = "there is no process connector here (" + h.noConnector.Error() + ")"
		}
		limit := noConnectorLimit + why + ": a member is seen at its first exec, wait or signal, or when its parent waits for it"
		if !runtime.PidfdExitInfo() {
			limit += "; before Linux 6.15 the status of a member its own parent reaped is lost"
		}
		m.Limits = append(m.Limits, limit)
	}
	m.Senders = mechanism.Seccomp
	if h.tracer.ready() {
		m.Senders = mechanism.BPF
	}
	return m
}

// strict refuses a mechanism that is not exact when the user asked for
// exactness.
func (h *holder) strict(m mechanism.Mechanism) error {
	if v := os.Getenv(StrictEnv); v == "" || v == "0" || m.Exact() {
		return nil
	}
	return fmt.Errorf("%s is set, and the contract cannot be held exactly here: %s", StrictEnv, m.Limits[0])
}

// heldBy is how the contract of rec is held, as far as its maker chose:
// what a holder that adopts it goes on with.
func heldBy(rec *registry.Record) mechanism.Mechanism {
	if rec.Held == nil {
		return mechanism.Mechanism{Holding: mechanism.Namespace, Cgroup: mechanism.NoCgroup}
	}
	m := *rec.Held
	// What the holder adds (events, senders) is its own.
	m.Events, m.Senders, m.Limits = "", "", nil
	for _, l := range rec.Held.Limits {
		if !strings.HasPrefix(l, noConnectorLimit) {
			m.Limits = append(m.Limits, l)
		}
	}
	return m
}
