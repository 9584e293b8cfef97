package runtime

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/mechanism"
)

// Maker makes contract instances by one mechanism. The holder gets one
// from Select, once, at start, and from then on only makes instances:
// how they are held is the maker's business.
type Maker interface {
	Create(ctx context.Context, o Options) (Instance, error)
	// Mechanism is how the instances it makes are held: the holding, the
	// cgroup and their limits (the holder adds where events come from).
	Mechanism() mechanism.Mechanism
}

// Select chooses the strongest mechanism env allows: a new PID namespace
// where one can be made; else a subreaper init, whose descendants are the
// contract (for a ctrun that is PID 1 of its namespace, a container's
// entrypoint, holding "container": the same, with every orphan of the
// namespace reaped).
func Select(env Environment) Maker {
	m := mechanism.Mechanism{Cgroup: mechanism.NoCgroup}
	var reaper *Reaper
	if env.PID1 {
		// Every orphan of the namespace comes to PID 1: someone must
		// reap it, or it stays a zombie for good.
		reaper = NewReaper()
	}
	if env.Namespaces {
		m.Holding = mechanism.Namespace
		if env.Root {
			m.Cgroup = env.Cgroup
			if env.Cgroup == mechanism.NoCgroup {
				m.Limits = append(m.Limits, "no cgroup, as "+env.NoCgroup+": an OOM kill is told by the machine's count, not the contract's")
			}
		}
		return &namespaceMaker{env: env, mech: m, cgroup: m.Cgroup != mechanism.NoCgroup, reaper: reaper}
	}
	return newSubreaperMaker(env, reaper)
}

// newSubreaperMaker makes instances held as a subreaper init's
// descendants, for env that can make no namespace.
func newSubreaperMaker(env Environment, reaper *Reaper) *subreaperMaker {
	// The holder is a subreaper too: should the contract's init be
	// killed, its members come to the holder, which ends them, rather than
	// escaping to the machine's (or container's) init.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	if reaper == nil {
		reaper = NewReaper()
	}
	m := mechanism.Mechanism{Cgroup: mechanism.NoCgroup}
	if env.PID1 {
		m.Holding = mechanism.Container
		m.Limits = append(m.Limits, "no new PID namespace, as "+env.NoNamespaces+": the contract is its init's descendants, killed one by one until none is left, and its /proc shows the whole container")
	} else {
		m.Holding = mechanism.Subreaper
		m.Limits = append(m.Limits, "no new PID namespace, as "+env.NoNamespaces+": the contract is its init's descendants, killed one by one until none is left, and its /proc shows the whole machine")
	}
	if env.Root {
		m.Limits = append(m.Limits, "no cgroup (none is made without a PID namespace): an OOM kill is told by the machine's count, not the contract's")
	}
	return &subreaperMaker{mech: m, reaper: reaper}
}

// namespaceMaker makes libcontainer instances (Create): a new PID and
// mount namespace, a user namespace when not root, a cgroup when one can
// be had. Should the environment refuse namespaces in a way Probe could
// not see, it falls back, for good, to a subreaper maker.
type namespaceMaker struct {
	env      Environment
	mech     mechanism.Mechanism
	cgroup   bool
	reaper   *Reaper
	fallback *subreaperMaker
}

func (m *namespaceMaker) Create(ctx context.Context, o Options) (Instance, error) {
	if m.fallback != nil {
		return m.fallback.Create(ctx, o)
	}
	o.Cgroup = m.cgroup
	inst, err := m.create(ctx, o)
	if why := namespacesRefused(err); why != "" {
		env := m.env
		env.NoNamespaces = why
		m.fallback = newSubreaperMaker(env, m.reaper)
		return m.fallback.Create(ctx, o)
	}
	return inst, explain(err)
}

func (m *namespaceMaker) create(ctx context.Context, o Options) (Instance, error) {
	if m.reaper == nil {
		return Create(ctx, o)
	}
	// libcontainer's own helpers are the holder's children while it makes
	// the instance; the init stays its to reap.
	done := m.reaper.Creating()
	defer done()
	inst, err := Create(ctx, o)
	if err == nil {
		m.reaper.Spare(inst.InitPid())
	}
	return inst, err
}

func (m *namespaceMaker) Mechanism() mechanism.Mechanism {
	if m.fallback != nil {
		return m.fallback.Mechanism()
	}
	return m.mech
}
