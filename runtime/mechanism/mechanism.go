// Package mechanism names how a contract is held — which kernel
// facilities stand for the boundary, the kill and the events — and what
// that costs in exactness. ctrun chooses the strongest mechanism the
// environment allows once, at start (package runtime); the choice travels
// in the contract's record, so that ctstat shows it and ctkill finds the
// members the way the holder does. See "WHERE CONTRACTS ARE HELD" in
// ctrun(1) for the table.
package mechanism

import "strings"

// How a contract holds its members.
const (
	// Namespace: a new PID namespace (with a user namespace when not
	// root): nothing escapes, and one kill ends everything. The bare
	// host's mechanism.
	Namespace = "namespace"
	// Container: ctrun is PID 1 of a PID namespace in which it cannot make
	// another (a container's entrypoint): as Subreaper, and ctrun reaps
	// every orphan of the namespace.
	Container = "container"
	// Subreaper: no new PID namespace can be made and ctrun is not PID 1:
	// the contract's init is a child subreaper, and the contract is its
	// descendants (every orphan is reparented to it, so none escapes).
	Subreaper = "subreaper"
)

// Where members' forks and exits are learnt.
const (
	// Connector: the kernel's process-events connector, every fork and
	// exit with its wait status, as it happens.
	Connector = "connector"
	// Init: the contract's init, from seccomp notifications (a member's
	// exec, wait and signals) and pidfd exit information.
	Init = "init"
)

// Who sent a fatal signal.
const (
	BPF     = "bpf"     // a BPF tracepoint (root)
	Seccomp = "seccomp" // the init's seccomp notifications
	None    = "none"
)

// Cgroup kinds.
const (
	CgroupV1 = "v1"
	CgroupV2 = "v2"
	NoCgroup = "none"
)

// Mechanism is how one contract is held.
type Mechanism struct {
	Holding string `json:"holding"`
	Cgroup  string `json:"cgroup"`
	Events  string `json:"events"`
	Senders string `json:"senders"`
	// Limits say, one each, why a part is weaker than on a bare host and
	// what that costs ("no new PID namespace: ..."). None: every
	// guarantee is exact.
	Limits []string `json:"limits,omitempty"`
}

// Subtree says whether the contract is its init's descendants rather
// than a PID namespace of its own.
func (m Mechanism) Subtree() bool { return m.Holding == Subreaper || m.Holding == Container }

// Exact says whether every guarantee of the semantics holds exactly.
func (m Mechanism) Exact() bool { return len(m.Limits) == 0 }

// Summary is the mechanism in one line, as ctrun -v prints it.
func (m Mechanism) Summary() string {
	var b strings.Builder
	b.WriteString("held by ")
	b.WriteString(m.holdingText())
	b.WriteString(", ")
	b.WriteString(m.cgroupText())
	b.WriteString("; events from ")
	b.WriteString(m.eventsText())
	b.WriteString(", signal senders from ")
	b.WriteString(m.sendersText())
	if m.Exact() {
		b.WriteString(": every guarantee exact")
	} else {
		b.WriteString(": ")
		b.WriteString(strings.Join(m.Limits, "; "))
	}
	return b.String()
}

// Short is the mechanism in a few words, as ctstat -v prints it.
func (m Mechanism) Short() string {
	s := m.Holding + ", cgroup " + m.Cgroup + ", events from " + m.Events + ", senders from " + m.Senders
	if m.Exact() {
		return s + " (exact)"
	}
	return s + " (approximate)"
}

func (m Mechanism) holdingText() string {
	switch m.Holding {
	case Namespace:
		return "a new PID namespace"
	case Container:
		return "its init as a subreaper, ctrun being the container's PID 1"
	case Subreaper:
		return "its init as a subreaper (the contract is the init's descendants)"
	}
	return m.Holding
}

func (m Mechanism) cgroupText() string {
	switch m.Cgroup {
	case CgroupV1:
		return "a cgroup (v1)"
	case CgroupV2:
		return "a cgroup (v2)"
	}
	return "no cgroup"
}

func (m Mechanism) eventsText() string {
	switch m.Events {
	case Connector:
		return "the process connector"
	case Init:
		return "the init (seccomp notification and pidfd exit information)"
	}
	return m.Events
}

func (m Mechanism) sendersText() string {
	switch m.Senders {
	case BPF:
		return "BPF"
	case Seccomp:
		return "the init's seccomp notifications"
	}
	return "nowhere"
}
