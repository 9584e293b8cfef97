package holder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/cinit"
	"github.com/ctrun/ctrun/terms"
)

// contract is one run of the command: one contract, from creation to the
// end the terms ask for.
type contract struct {
	h    *holder
	run  int
	inst *runtime.Instance
	obs  *events.Observer
	res  result
	// stopping: the user asked ctrun to stop; nothing is fatal any more.
	stopping bool
	started  bool
	killed   bool
	initGone bool
	// initExiting: the init said it ends, leaving the cleanup to us.
	initExiting bool
	// husk: the contract is empty but its init lives on, the parent of
	// sub-contracts made inside (see finish).
	husk bool
	// adopted: taken over with ctrun -a, so its members were not seen
	// being made; blind: process events were lost, or the contract's
	// namespace is unknown, so sub-contracts may have been missed.
	adopted, blind bool
	buf            []byte
}

// pending is a contract instance being made in the background.
type pending struct {
	run   int
	begin time.Time
	done  chan struct{}
	inst  *runtime.Instance
	err   error
}

// startInstance starts making the instance for run.
func (h *holder) startInstance(run int) *pending {
	p := &pending{run: run, begin: time.Now(), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.inst, p.err = h.makeInstance(run)
	}()
	return p
}

// discard ends an instance that will not be used.
func (p *pending) discard() {
	<-p.done
	if p.inst != nil {
		p.inst.Kill()
		p.inst.Wait()
		p.inst.Destroy()
	}
}

// runContract makes a contract of the instance p and holds it until it
// ends (or, for lifetimes child and none, until ctrun may return).
func (h *holder) runContract(p *pending) result {
	c := &contract{h: h, run: p.run, res: result{exit: -1}, buf: make([]byte, 64<<10)}
	<-p.done
	if p.err != nil {
		h.rep.errorf("create contract: %v", p.err)
		return result{exit: ExitInternal}
	}
	c.inst = p.inst
	begin := p.begin
	if err := c.create(); err != nil {
		h.rep.errorf("%v", err)
		return result{exit: ExitInternal}
	}
	c.hold()
	c.res.ranFor = time.Since(begin)
	if c.res.abandons {
		// The contract goes on without us; its init cleans up after it,
		// unless it found the contract empty first, while still held.
		if c.inst.Abandon() {
			// Whatever is still to be read of it is no longer ours to
			// act on: the lifetime said ctrun returns.
			c.stopping = true
			c.finish()
		}
		return c.res
	}
	c.finish()
	return c.res
}

// makeInstance makes the contract instance of run: namespaces, cgroup,
// mounts and the init, waiting for Go.
func (h *holder) makeInstance(run int) (*runtime.Instance, error) {
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
		Cgroup:   os.Geteuid() == 0,
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
	return runtime.Create(h.ctx, opts)
}

// create makes a contract of the instance: its id, its record, what
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
	// The record's name is the contract id, known once the init runs; the
	// init is told where it is so it can remove it if orphaned. Writing it
	// overlaps with the command's start.
	inst.SetRecord(h.reg.Path(id), h.reg.EndpointPath(id))
	// Read once here: the record is written on another goroutine.
	cgroups := inst.CgroupPaths()
	recorded := make(chan error, 1)
	go func() { recorded <- h.reg.Write(c.record(id, cgroups)) }()
	// The tracer loaded while the instance was made. Without it, the
	// init learns of members' signals itself.
	if h.tracer.ready() {
		if dev, ino, err := inst.PidNamespace(); err == nil {
			h.tracer.setNamespace(dev, ino)
		}
	} else {
		inst.SetNotify(true)
	}
	c.obs = events.NewObserver(id, id, h.tracer.lookup(), cgroups["memory"], &h.seq)
	if h.nested {
		// /proc here numbers processes otherwise than the connector.
		c.obs.NoProc()
	} else if _, ino, err := inst.PidNamespace(); err == nil {
		c.obs.SetNamespace(ino)
	} else {
		c.blind = true
	}
	c.obs.CommandName = filepath.Base(h.job.Path)
	c.obs.Detail = needsDetail(h.job.Terms)
	if err := inst.Go(id); err != nil {
		<-recorded
		c.abort()
		return err
	}
	if err := <-recorded; err != nil {
		c.abort()
		return err
	}
	if h.previous != 0 {
		l := events.Notice(h.previous, "restarted", fmt.Sprintf("the command runs again in contract %d", id))
		l.NewCtid = id
		h.rep.stream(l)
		if h.job.Terms.Transfer {
			// -t: what the failed contract inherited (and its other
			// sub-contracts made to be inherited) now belongs to this one.
			moved, err := registry.Reparent(registry.Dirs(string(h.reg)), h.previous, id)
			if err != nil {
				h.rep.errorf("hand sub-contracts over to contract %d: %v", id, err)
			}
			if len(moved) > 0 {
				h.rep.act(id, "transfer", "contracts %v handed over from contract %d", moved, h.previous)
			}
		}
	}
	return nil
}

// needsDetail: -V reports, and pgrponly kills by, every member's namespace
// pid and process group, which must then be read as each member comes.
func needsDetail(t terms.Terms) bool {
	return t.Verbosity >= terms.Detail || t.Options.PgrpOnly
}

// abort ends a contract whose command never started.
func (c *contract) abort() {
	c.inst.Kill()
	c.inst.Wait()
	c.inst.Destroy()
	c.h.reg.Remove(c.res.id)
}

func (c *contract) record(id int, cgroups map[string]string) *registry.Record {
	t := c.h.job.Terms
	own, _ := registry.StartTime(os.Getpid())
	initStart, _ := registry.StartTime(c.inst.InitPid())
	return &registry.Record{
		ID: id,
		// Host pids (a nested ctrun learnt them); start times read here
		// are the same in every namespace.
		Holder: registry.Process{Pid: c.h.hostPid, Start: own},
		Init:   registry.Process{Pid: id, Start: initStart},
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
		PidNS:   registry.HostPidNS(),
	}
}

// hold follows the contract until it is over or ctrun may return.
func (c *contract) hold() {
	h := c.h
	var ws []*waiter
	for _, fd := range []int{c.inst.ControlFD(), h.conn.Fd(), h.signals.fd()} {
		w, err := newWaiter(fd)
		if err != nil {
			h.rep.errorf("wait for contract events: %v", err)
			c.inst.Kill()
			c.initGone = true
			return
		}
		defer w.close()
		ws = append(ws, w)
	}
	ctl, conn, sigs := ws[0], ws[1], ws[2]
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
			done := c.drainControl()
			if done || c.res.abandons || c.husk {
				return // no ack: the waiter is closed on the way out
			}
			ctl.ack <- struct{}{}
		case <-conn.ready:
			now := time.Now()
			n := c.drainEvents()
			if c.initGone || c.res.abandons || c.husk {
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

// drainControl reads every waiting message of the init. It returns true
// once the init is gone (the contract is over).
func (c *contract) drainControl() bool {
	for !c.initGone {
		m, err := c.inst.Recv(false, c.buf)
		if err == unix.EAGAIN {
			return false
		}
		if err != nil {
			if !errors.Is(err, runtime.ErrInitGone) {
				c.h.rep.errorf("contract %d: %v", c.res.id, err)
			}
			// Only note it: drainControl may have been called for a
			// member's exit that is still to be handled. finish reaps
			// the init and reads the events that are left.
			c.initGone = true
			return true
		}
		c.message(m)
		if c.res.abandons {
			return false
		}
	}
	return true
}

// reapInit: the init has exited (or is made to). Reap it, then read the
// rest of the process events: the init's exit, and so every member's, is
// in the socket once it is reaped.
func (c *contract) reapInit() {
	c.initGone = true
	c.inst.Wait()
	c.drainEvents()
}

// drainEvents reads the waiting process events and returns how many
// contract events (fork, exit, ...) they made.
func (c *contract) drainEvents() int {
	n := 0
	for {
		ev, err := c.h.conn.Read()
		if err == unix.EAGAIN {
			return n
		}
		if errors.Is(err, connector.ErrOverrun) {
			c.blind = true
			c.h.rep.act(c.res.id, "lost_events", "some process events were lost (the machine is very busy); the contract is still followed")
			continue
		}
		if err != nil {
			c.h.rep.errorf("process events: %v", err)
			return n
		}
		if ev.What == connector.Exit && ev.Pid == ev.Tgid && !c.initGone {
			// Any record of the signal that killed it is in the control
			// socket already: read it first.
			c.drainControl()
		}
		evs := c.obs.Proc(ev)
		for _, e := range evs {
			c.event(e)
		}
		n += len(evs)
		if c.res.abandons || c.husk {
			return n
		}
	}
}

func (c *contract) message(m cinit.Message) {
	id := c.res.id
	switch m.Type {
	case cinit.MsgStarted:
		c.started = true
		c.h.rep.detailf(id, "command started: pid %d in the contract", m.A)
		if c.h.job.Terms.Lifetime == terms.LifeNone {
			c.res.exit = 0
			c.res.abandons = true
		}
	case cinit.MsgExecFail:
		c.res.exit = c.execFailure(unix.Errno(m.A), int(m.B))
	case cinit.MsgCmdExit:
		c.res.cmd, c.res.haveCmd = unix.WaitStatus(m.A), true
		if c.h.job.Terms.Lifetime == terms.LifeChild {
			c.res.abandons = true
		} else if c.h.nested && c.subcontracts() > 0 {
			// Members and sub-contracts look alike from here: the init
			// tells when only sub-contracts are left.
			c.watchEmpty()
		}
	case cinit.MsgExiting:
		c.initExiting = true
	case cinit.MsgOwnEmpty:
		// Only sub-contracts are left in the init's namespace.
		if !c.husk {
			c.husk = true
			c.event(c.obs.EmptyEvent())
		}
	case cinit.MsgSent:
		when, targets, _ := m.Stamped()
		c.obs.Sent(events.SentSignal{
			Sig: unix.Signal(m.A), Sender: int(m.D), Targets: targets, All: m.C&cinit.SentAll != 0,
			Code: m.B, HasCode: m.C&cinit.SentHasCode != 0, When: when,
		})
	case cinit.MsgExtSent:
		// ctkill -a: the init sends it, on behalf of a process outside.
		when, _, _ := m.Stamped()
		c.obs.External(unix.Signal(m.A), int(m.B), when)
	case cinit.MsgNotifyOff:
		c.h.rep.detailf(id, "signals sent by members cannot be observed (%v): a member's signal to a member may be reported as a signal from outside", unix.Errno(m.A))
	}
}

// execFailure reports why the command could not run and returns ctrun's
// exit status for it.
func (c *contract) execFailure(errno unix.Errno, stage int) int {
	name := c.h.job.Argv[0]
	switch stage {
	case cinit.StageExec:
		c.h.rep.errorf("%s: %v", name, errno)
		if errno == unix.ENOENT {
			return ExitNotFound
		}
		return ExitNotExec
	case cinit.StageChdir:
		c.h.rep.errorf("cannot enter the working directory %s: %v", c.h.job.Dir, errno)
	case cinit.StageRoot:
		c.h.rep.errorf("cannot show the host's root inside the contract: %v", errno)
	default:
		c.h.rep.errorf("cannot set up the command's process: %v", errno)
	}
	return ExitInternal
}

// event reports a contract event and acts on it if it is fatal.
func (c *contract) event(e events.Event) {
	t := c.h.job.Terms
	watched := t.Informative.Has(e.Kind) || t.Fatal.Has(e.Kind) || (e.Kind == terms.Empty && t.Lifetime == terms.LifeContract)
	fatal := t.Fatal.Has(e.Kind) && !c.stopping
	if watched || fatal {
		c.h.rep.event(e, fatal)
	}
	if e.Kind == terms.Empty && c.obs.Subcontracts() > 0 {
		// The init stays for the sub-contracts (killing it would end
		// them): the contract itself is over.
		c.husk = true
	}
	if e.Kind == terms.Exit && e.Pid > 0 && !c.res.haveCmd && c.obs.IsCommand(e.Pid) {
		// The init could not report it (it was killed with the contract).
		c.res.cmd, c.res.haveCmd = e.Status, true
	}
	if !fatal || (c.killed && !t.Options.PgrpOnly) {
		return
	}
	c.res.fatal = true
	if t.Options.PgrpOnly {
		c.killGroup(e)
		return
	}
	c.killed = true
	c.obs.Killing()
	if n := c.subcontracts(); n > 0 {
		// Killing the init would end the sub-contracts made inside, which
		// a fatal event must spare: the init kills the members instead,
		// and says when none is left.
		c.h.rep.act(c.res.id, "kill", "fatal %s event: killing every member (sparing %d sub-contracts)", e.Kind, n)
		if err := c.inst.Signal(unix.SIGKILL, cinit.ScopeAll, 0); err != nil {
			c.h.rep.errorf("%v", err)
		}
		c.watchEmpty()
		return
	}
	c.h.rep.act(c.res.id, "kill", "fatal %s event: killing every member", e.Kind)
	if err := c.inst.Kill(); err != nil {
		c.h.rep.errorf("%v", err)
	}
}

// subcontracts counts the live sub-contracts made inside this contract,
// whose processes killing the init would end. The observer sees their
// first processes being made (by a member, in a PID namespace of their
// own). Sub-contracts handed over from a failed contract (-t) live in that
// contract's namespace, not in this one: they need no sparing here. Only a
// holder that could not see the making (one inside a contract, which sees
// no namespaces; one that adopted the contract later) asks the registry,
// which may count a record too many: that costs a slower kill, never a
// sub-contract. So does a holder that lost process events.
func (c *contract) subcontracts() int {
	n := c.obs.Subcontracts()
	if n > 0 || !(c.h.nested || c.adopted || c.blind) {
		return n
	}
	return len(registry.Children(registry.Dirs(string(c.h.reg)), c.res.id))
}

// watchEmpty asks the init to say when only sub-contracts are left.
func (c *contract) watchEmpty() {
	if err := c.inst.Send(cinit.Message{Type: cinit.MsgWatchEmpty}); err != nil {
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
	if err := c.inst.Signal(unix.SIGKILL, cinit.ScopePgrp, e.NSPgid); err != nil {
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

// stop passes a stop signal on to the command (or, once it is gone, to
// every member). A contract that ends this way is never restarted.
func (c *contract) stop(sig unix.Signal) {
	c.stopping = true
	c.res.stopped = true
	to := "the command"
	if c.res.haveCmd {
		to = "every member (the command has exited)"
	}
	c.h.rep.act(c.res.id, "stop", "passing %s on to %s: the contract will not be restarted", events.SignalName(sig), to)
	c.obs.Forwarded(sig)
	if err := c.inst.Signal(sig, cinit.ScopeCommand, 0); err != nil {
		c.h.rep.detailf(c.res.id, "%v", err)
	}
}

// finish removes what the contract left: it is over.
func (c *contract) finish() {
	if c.husk && !c.initGone && !c.initExiting {
		// Let the init go on alone: it stays as long as the sub-contracts
		// do, then removes what is left (its cgroup, its endpoint, its
		// record) as an orphaned contract's init does. The record stays
		// until then, as a husk's: should the init be killed, whoever
		// lists contracts next collects what it left. Marked while the
		// contract is still held, so the init's own cleanup comes after.
		_ = c.h.reg.MarkHusk(c.res.id)
		if c.inst.Abandon() {
			// It ended meanwhile, leaving the cleanup to us.
			c.husk = false
			c.finish()
			return
		}
		if c.h.rep.watch != nil {
			c.h.rep.watch.forget(c.res.id)
		}
		if c.h.tty != nil {
			c.h.tty.DropSession()
		}
		return
	}
	c.reapInit()
	c.h.reg.Remove(c.res.id)
	c.inst.Destroy()
	if c.h.rep.watch != nil {
		c.h.rep.watch.forget(c.res.id)
	}
	if c.h.tty != nil {
		c.h.tty.EndSession()
	}
}
