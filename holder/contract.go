package holder

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/terms"
	"github.com/ctrun/ctrun/testhook"
)

// contract is one run of the command: one contract, from creation to the
// end the terms ask for. Where it is in its life is its phase (phase.go);
// how its end counts for ctrun is its result (result.go).
type contract struct {
	h     *holder
	run   int
	inst  runtime.Instance
	obs   *events.Observer
	phase phase
	res   result
	// partial: the observer may have missed members being made (the
	// contract was adopted, process events were lost, or its namespace
	// is unknown), so it may not know every sub-contract made inside.
	partial bool
	// namespaced: the contract has a PID namespace of its own; view maps
	// the pids its init names to the holder's (see contract.proc).
	namespaced bool
	view       map[int]int
	// grace runs from a user's stop until the members left are killed.
	grace *time.Timer
	// keyStop is an interrupt typed at the terminal for the command,
	// a stop once the command has exited (see keys.go).
	keyStop unix.Signal
	// staged: the record's file, made with an instance made ahead.
	staged *registry.Staged
	// readyNext: the next run's instance is being made ahead (or is
	// ready), so what this one made is removed beside its start, not
	// before it (finish, clearsBeside); emptied: the contract was found empty as it was killed
	// for it, its init being reaped beside the next run's start.
	readyNext, emptied bool
	buf                []byte
}

func newContract(h *holder, run int, inst runtime.Instance, id int) *contract {
	return &contract{h: h, run: run, inst: inst, res: result{id: id}, buf: make([]byte, 64<<10)}
}

// pending is a contract instance being made in the background.
type pending struct {
	run   int
	begin time.Time
	done  chan struct{}
	inst  runtime.Instance
	err   error
	// now: made ahead, while the run before it ran (ahead.go), its
	// making waiting until now is closed (hurry); skipped once dropped.
	// staged is its record's file, made meanwhile too.
	now     chan struct{}
	staged  *registry.Staged
	once    sync.Once
	dropped atomic.Bool
}

// startInstance starts making the instance for run.
func (h *holder) startInstance(run int) *pending {
	p := &pending{run: run, begin: time.Now(), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.inst, p.err = h.makeInstance(run, false)
	}()
	return p
}

// discard ends an instance that will not be used (none: nil), and says
// whether its making had failed (see holder.unfinished).
func (p *pending) discard() (failed bool) {
	if p == nil {
		return false
	}
	p.dropped.Store(true)
	p.wait()
	p.staged.Drop()
	if p.inst != nil {
		p.inst.Kill()
		p.inst.Wait()
		p.inst.Destroy()
	}
	return p.err != nil
}

// runContract makes a contract of the instance p and holds it until it
// ends (or, for lifetimes child and none, until ctrun may return). With
// ahead, the instance of the next run is made while this one runs, and
// returned for it (see ahead.go).
func (h *holder) runContract(p *pending, ahead bool) (result, *pending) {
	// The run lasts from now, or from when its making began if that was
	// later: an instance made ahead waited for this run, which the
	// crash-loop pause must not count.
	begin := time.Now()
	p.wait()
	if p.begin.After(begin) {
		begin = p.begin
	}
	if p.err != nil && p.now != nil {
		// Made while the last run ran, in conditions that may have
		// passed (a pids limit reached, a full disk): try once more now.
		p = h.startInstance(p.run)
		<-p.done
	}
	if p.err != nil {
		h.unfinished = true
		h.rep.errorf("create contract: %v", p.err)
		return failed(0), nil
	}
	if p.run == 1 {
		// How contracts are held is known for sure once the first is made
		// (a maker may have fallen back on a weaker mechanism).
		h.base = h.maker.Mechanism()
		h.mech = h.mechanism()
		if err := h.strict(h.mech); err != nil {
			p.discard()
			h.rep.errorf("%v", err)
			return failed(0), nil
		}
	}
	c := newContract(h, p.run, p.inst, 0)
	c.staged = p.staged
	if err := c.create(); err != nil {
		h.rep.errorf("%v", err)
		return failed(c.res.id), nil
	}
	var next *pending
	if ahead && h.aheadHeld() {
		next = h.makeAhead(p.run + 1)
		c.readyNext = true
	}
	c.hold()
	c.res.ranFor = time.Since(begin)
	if c.phase == phaseReleased {
		if h.pid1 {
			// noorphan, as PID 1: what the command left is killed
			// now, and gone before ctrun returns, for the end of PID 1
			// would leave the init no time to clean up after it.
			c.inst.Kill()
			c.finish()
			return c.res, next
		}
		// The contract goes on without us; its init cleans up after it,
		// unless it found the contract empty first, while still held:
		// then the cleanup is ours.
		if c.inst.Abandon() {
			c.finish()
		}
		return c.res, next
	}
	c.finish()
	return c.res, next
}

// makeInstance makes the contract instance of run: namespaces, cgroup,
// mounts and the init, waiting for Go (ahead: for a while, see ahead.go).
func (h *holder) makeInstance(run int, ahead bool) (runtime.Instance, error) {
	j := h.job
	opts := runtime.Options{
		// Unique among the caller's instances: pids alone are not, for
		// ctruns inside different contracts share the state directory.
		Name:     fmt.Sprintf("%d-%d-%08x", os.Getpid(), run, nonce()),
		Path:     j.Path,
		Argv:     j.Argv,
		Env:      j.Env,
		Dir:      j.Dir,
		Stdio:    j.Stdio,
		Extra:    j.Extra,
		NoOrphan: j.Terms.Options.NoOrphan,
		SigIgn:   j.SigIgn,
		SigBlk:   j.SigBlk,
		Ahead:    ahead,
	}
	if h.tty != nil {
		slave, err := h.tty.Session()
		if err != nil {
			return nil, err
		}
		defer slave.Close()
		for i, f := range opts.Stdio {
			if h.tty.IsTerminal(f) {
				opts.Stdio[i] = slave
			}
		}
		opts.TTY = opts.Stdio[0] == slave
	}
	return h.maker.Create(h.ctx, opts)
}

// create makes a contract of a new instance: its id, its record, what
// follows its events; then lets the init start the command.
func (c *contract) create() error {
	h := c.h
	inst := c.inst
	id := inst.InitPid()
	if h.nested {
		// The contract id is the init's host pid, which only the
		// process connector can tell from here.
		hid, err := initHostPid(h.conn, inst)
		if err != nil {
			c.abort()
			return fmt.Errorf("create contract: %w", err)
		}
		id = hid
	}
	c.res.id = id
	// Read once here: the record is written on another goroutine. The
	// record's name is the contract id, known once the init runs; the
	// init is told where it is so it can remove it if orphaned. Writing
	// it overlaps with setting up what follows the contract's events.
	cgroups := inst.CgroupPaths()
	recorded := make(chan error, 1)
	go func() { recorded <- c.writeRecord(c.record(id, cgroups)) }()
	c.observe()
	// The record is there before the command may run: a holder killed
	// once it is told to go leaves an orphaned contract, which only its
	// record lists.
	if err := <-recorded; err != nil {
		c.abort()
		return err
	}
	// The tracer loaded while the instance was made. Without it, the
	// init learns of members' signals itself.
	err := inst.Start(runtime.Start{
		ID: id, Record: h.reg.Path(id), Endpoint: h.reg.EndpointPath(id),
		Notify: !h.tracer.ready(), Report: h.initReports(),
	})
	if err != nil {
		c.abort()
		return err
	}
	testhook.Reached(testhook.Started, inst.InitPid())
	if h.previous != 0 {
		c.handOver()
	} else {
		h.rep.act(id, "held", "%s", h.mech.Summary())
	}
	return nil
}

// observe sets up what follows the contract's events, the same for a
// contract made here and one adopted: the tracer watches its namespace,
// and the observer tells its members from the processes of sub-contracts.
func (c *contract) observe() {
	h := c.h
	id := c.res.id
	dev, ino, nsErr := c.inst.PidNamespace()
	c.namespaced = nsErr == nil
	if c.namespaced {
		h.tracer.setNamespace(dev, ino)
		c.view = map[int]int{1: id}
	} else {
		c.view = map[int]int{c.inst.InitPid(): c.inst.InitPid()}
	}
	c.obs = events.NewObserver(id, id, h.tracer.lookup(), c.inst.CgroupPaths()["memory"], &h.seq)
	switch {
	case h.nested:
		// /proc here numbers processes otherwise than the connector.
		c.obs.NoProc()
	case nsErr == nil:
		c.obs.SetNamespace(ino)
	default:
		c.obs.SharedNamespace()
		c.partial = true
	}
	c.obs.CommandName = filepath.Base(h.job.Path)
	c.obs.Detail = needsDetail(h.job.Terms)
	if h.initReports() {
		// Members are seen late, and sub-contracts not at all: the
		// registry tells of those.
		c.obs.SeenLate()
		c.partial = true
	}
}

// handOver tells the event streams that the command runs again, in this
// contract, and with -t moves the sub-contracts of the failed one here.
func (c *contract) handOver() {
	h := c.h
	id := c.res.id
	l := events.Notice(h.previous, "restarted", fmt.Sprintf("the command runs again in contract %d", id))
	l.NewCtid = id
	h.rep.streamAfter(l) // about the contract before, which is over
	if !h.job.Terms.Transfer {
		return
	}
	testhook.Reached(testhook.HandOver, c.inst.InitPid())
	// -t: what the failed contract inherited (and its other sub-contracts
	// made to be inherited) now belongs to this one.
	moved, err := registry.Reparent(registry.Dirs(string(h.reg)), h.previous, id)
	if err != nil {
		h.rep.errorf("hand sub-contracts over to contract %d: %v", id, err)
	}
	if len(moved) > 0 {
		h.rep.act(id, "transfer", "contracts %v handed over from contract %d", moved, h.previous)
	}
}

// needsDetail: -V reports, and pgrponly kills by, every member's namespace
// pid and process group, which must then be read as each member comes.
func needsDetail(t terms.Terms) bool {
	return t.Verbosity >= terms.Detail || t.Options.PgrpOnly
}

// writeRecord writes the contract's record, through its staged file if
// one was made.
func (c *contract) writeRecord(r *registry.Record) error {
	if c.staged != nil {
		return c.staged.Write(r)
	}
	return c.h.reg.Write(r)
}

// abort ends a contract whose command never started.
func (c *contract) abort() {
	c.staged.Drop()
	c.inst.Kill()
	c.inst.Wait()
	c.inst.Destroy()
	c.h.reg.Remove(c.res.id)
}

// initProcess names the contract's init for its record: by host pid, and
// for ctstat, ctkill and ctwatch run inside the contract by its namespace
// (where it is pid 1), or, held without one, by its pid in the holder's.
func (c *contract) initProcess(id int, start uint64) registry.Process {
	p := registry.Process{Pid: id, Start: start}
	if _, ino, err := c.inst.PidNamespace(); err == nil {
		p.NS, p.NSPid = ino, 1
	} else {
		p.NS, p.NSPid = registry.OwnPidNS(), c.inst.InitPid()
	}
	return p
}

func (c *contract) record(id int, cgroups map[string]string) *registry.Record {
	t := c.h.job.Terms
	own, _ := registry.StartTime(os.Getpid())
	initStart, _ := registry.StartTime(c.inst.InitPid())
	return &registry.Record{
		ID: id,
		// Host pids (a nested ctrun learnt them); start times read here
		// are the same in every namespace.
		Holder: registry.Process{Pid: c.h.hostPid, Start: own, NS: registry.OwnPidNS(), NSPid: os.Getpid()},
		Init:   c.initProcess(id, initStart),
		Terms: registry.Terms{
			Informative: t.Informative.Names(),
			Fatal:       t.Fatal.Names(),
			Lifetime:    t.Lifetime.String(),
			Options:     t.Options.Names(),
			Restart:     t.Restart,
			Restarts:    t.Restarts,
			Transfer:    t.Transfer,
		},
		FMRI:    t.FMRI,
		Aux:     t.Aux,
		UID:     os.Getuid(),
		Argv:    c.h.job.CreatorArgv,
		Started: registry.Now(),
		Run:     c.run,
		Cgroups: cgroups,
		Command: c.h.job.Argv,
		Watch:   c.h.watchPath(),
		Parent:  c.h.parent(),
		PidNS:   c.h.pidNS(),
		Held:    &c.h.mech,
		Grace:   c.h.grace.String(),
		Claim:   c.inst.Claim(),
	}
}
