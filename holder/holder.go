// Package holder is ctrun's main job: it holds a contract — creates it,
// follows its events, acts on fatal ones, passes on the user's stop
// signals — and, when the terms say so, starts the command again in a new
// contract after a failure.
//
// The flow, one run at a time: runtime makes the contract instance (PID 1
// is our init, the command its child), events turns what the kernel
// reports into contract events, the holder reacts to them, and restart
// decides what follows a failure.
package holder

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/restart"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/mechanism"
	"github.com/ctrun/ctrun/stream"
	"github.com/ctrun/ctrun/terminal"
	"github.com/ctrun/ctrun/terms"
)

// Exit statuses of ctrun (semantics page, section 2).
const (
	ExitSignaled = 123
	ExitInternal = 124
	ExitUsage    = 125
	ExitNotExec  = 126
	ExitNotFound = 127
)

// Job is one ctrun invocation.
type Job struct {
	Terms terms.Terms
	// Path is the resolved executable; Argv the command and its arguments
	// as given; Env, Dir and Stdio as they reach the command.
	Path  string
	Argv  []string
	Env   []string
	Dir   string
	Stdio [3]*os.File
	Extra []runtime.ExtraFile
	// SigIgn and SigBlk: the signal dispositions ctrun was started with.
	SigIgn, SigBlk uint64
	// Report receives -v/-V lines and errors (stderr).
	Report io.Writer
	// CreatorArgv is ctrun's own command line, for the record.
	CreatorArgv []string
}

// holder is the state of one ctrun across its contracts.
type holder struct {
	ctx  context.Context
	job  Job
	rep  *reporter
	conn *connector.Conn
	// maker makes the contract instances, by the mechanism chosen at
	// start; procs is where members' forks and exits are learnt; mech
	// says how contracts are held (ctrun -v, the records).
	maker runtime.Maker
	procs procSource
	mech  mechanism.Mechanism
	// base is the maker's part of mech (or, for a contract adopted, what
	// its record says).
	base    mechanism.Mechanism
	tracer  *tracerHandle
	reg     registry.Dir
	tty     *terminal.Proxy
	signals *signalRelay
	// keys are the signal keys typed at the terminal (nil: none).
	keys *keyRelay
	seq  int64
	// previous is the contract the last run had (restarts report it).
	previous int
	// nested: ctrun runs in a PID namespace below the host's; hostPid is
	// then its own host pid (see nested.go).
	nested  bool
	hostPid int
	// noConnector is why the process connector could not be had.
	noConnector error
	// grace is how long members may outlive a user's stop (-g, CTRUN_GRACE: terms.Grace).
	grace time.Duration
	// pid1: ctrun is PID 1 of its PID namespace, whose end ends every
	// process in it.
	pid1     bool
	eventLog *os.File
	// swept is closed once what killed holders left is collected.
	swept chan struct{}
	// clearing counts the ended contracts whose instances are being
	// removed beside the next run (finish); closing is closed once the
	// holder ends, when they need wait no longer.
	clearing sync.WaitGroup
	closing  chan struct{}
	// unfinished: an instance could not be made, and what its making
	// left may not all have been removed (close).
	unfinished bool
}

func newHolder(ctx context.Context, job Job) *holder {
	return &holder{ctx: ctx, job: job, rep: newReporter(job.Report, job.Terms.Verbosity), closing: make(chan struct{})}
}

// Run holds the job's contracts until the terms say ctrun returns, and
// returns ctrun's exit status.
func Run(ctx context.Context, job Job) int {
	h := newHolder(ctx, job)
	var err error
	if h.grace, err = terms.Grace(job.Terms, os.Getenv); err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	if err := runtime.CheckInherited(job.Extra); err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	// What the environment allows decides, once, how contracts are held.
	env := runtime.Probe()
	h.pid1 = env.PID1
	if h.pid1 && job.Terms.Lifetime != terms.LifeContract && !job.Terms.Options.NoOrphan {
		// The end of PID 1 ends every process of its namespace.
		h.rep.errorf("ctrun is PID 1 of its PID namespace (a container's entrypoint): it cannot return and leave the contract running, so lifetime %s is refused; use the default lifetime, or noorphan", job.Terms.Lifetime)
		return ExitInternal
	}
	h.maker = runtime.Select(env)
	h.base = h.maker.Mechanism()
	if err := h.strict(h.base); err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	env.WarmCgroups()
	if err := h.openTerminal(); err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	// Making a contract instance takes most of ctrun's start-up, largely in
	// a second process: start it now and set the rest up meanwhile.
	first := h.startInstance(1)
	if err := h.setup(); err != nil {
		h.unfinished = first.discard()
		h.close()
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	code, sig := h.loop(first)
	h.close()
	if sig != 0 {
		// The user's ^C (or ^\) ended the command: so it ends ctrun, and
		// the shell that runs ctrun in a loop or a script stops there.
		return endBy(sig, code)
	}
	return code
}

// openTerminal takes over ctrun's terminal when it runs in its foreground
// for the whole contract (see package terminal).
func (h *holder) openTerminal() error {
	stdin := h.job.Stdio[0]
	if h.job.Terms.Lifetime != terms.LifeContract || stdin == nil || !terminal.Foreground(stdin) {
		return nil
	}
	out := h.job.Stdio[1]
	if out == nil {
		out = stdin
	}
	keys := newKeyRelay()
	tty, err := terminal.Open(stdin, out, keys)
	if err != nil {
		return err
	}
	h.tty, h.keys = tty, keys
	if f, ok := h.job.Report.(*os.File); ok && tty.IsTerminal(f) {
		// ctrun's own lines go to the raw terminal: each needs its
		// carriage return (output processing, off there, would add it).
		h.rep.crlf = tty.Raw
	}
	return nil
}

func (h *holder) setup() error {
	// Root can see who sends every signal (BPF); it loads while the
	// contract instance is made.
	h.tracer = openTracer()
	state, err := registry.StateDir()
	if err != nil {
		return err
	}
	h.reg = registry.Dir(state)
	if h.job.Terms.EventLog != "" {
		f, err := openEventLog(h.job.Terms.EventLog)
		if err != nil {
			return err
		}
		h.eventLog = f
		h.rep.log, h.rep.logName = f, h.job.Terms.EventLog
	}

	if err := h.openEvents(); err != nil {
		return err
	}
	// The event stream for ctwatch; ctrun works without it. The contract
	// being made meanwhile may not have made the state directory yet.
	if err := registry.EnsureDir(state); err != nil {
		h.rep.detailf(0, "no event stream for ctwatch: %v", err)
	} else if w, err := stream.Listen(state, h.hostPid); err != nil {
		h.rep.detailf(0, "no event stream for ctwatch: %v", err)
	} else {
		h.rep.watch = w
	}
	if h.signals, err = newSignalRelay(); err != nil {
		return err
	}
	// Collect what killed holders and dead contracts of this user left,
	// while the contract is made (after the event socket is there: an
	// empty state directory goes); close waits for it.
	h.swept = make(chan struct{})
	go func() {
		defer close(h.swept)
		_ = registry.Sweep([]registry.Dir{h.reg})
	}()
	return nil
}

// watchPath is the holder's event socket, for the record (empty: none).
func (h *holder) watchPath() string {
	if h.rep.watch == nil {
		return ""
	}
	return h.rep.watch.Path()
}

func (h *holder) close() {
	if h.swept != nil {
		<-h.swept
	}
	close(h.closing)
	h.clearing.Wait()
	h.rep.flush()
	if h.rep.watch != nil {
		h.rep.watch.Close()
		// The state directory goes too once nothing is left in it.
		_ = os.Remove(filepath.Dir(h.rep.watch.Path()))
	}
	if h.eventLog != nil {
		h.eventLog.Close()
	}
	if h.signals != nil {
		h.signals.stop()
	}
	h.keys.close()
	if h.tty != nil {
		h.tty.Close()
	}
	if h.conn != nil {
		h.conn.Close()
	}
	if h.tracer != nil {
		h.tracer.close()
	}
	if h.unfinished {
		// Now that the holder's own descriptors are closed.
		if state, err := registry.StateDir(); err == nil {
			registry.Dir(state).ReleaseOwn(registry.Self())
			registry.RemoveIfEmpty(state)
		}
	}
}

// loop runs the command, restarting it as the terms allow; first is the
// instance of the first run, already on its way. It returns ctrun's exit
// status, and the signal ctrun ends itself by instead (see result.endBy).
func (h *holder) loop(first *pending) (int, unix.Signal) {
	t := h.job.Terms
	policy := restart.Policy{Enabled: t.Restart, Limit: t.Restarts}
	backoff := restart.DefaultBackoff()
	restarts := 0
	next := first
	// Whatever ends the loop, an instance made ahead is not used.
	defer func() {
		if next.discard() {
			h.unfinished = true
		}
	}()
	for run := 1; ; run++ {
		if next == nil {
			next = h.startInstance(run)
		}
		var res result
		res, next = h.runContract(next, h.aheadFor(policy, restarts))
		switch {
		case res.outcome != outcomeFatal:
			return res.status(), res.endBy()
		case !policy.Allows(restarts):
			if t.Restart {
				h.rep.actAfter(res.id, "give_up", "giving up: no restart left (-r %d)", t.Restarts)
			}
			return res.status(), 0
		}
		if pause := backoff.Pause(res.ranFor); pause > 0 {
			h.rep.actAfter(res.id, "pause", "pausing %v before restarting: it keeps failing right after it starts", pause)
			h.rep.flush()
			if sig, stopped := h.signals.sleep(h.ctx, pause, h.keys.keys()); stopped {
				h.rep.actAfter(res.id, "stop", "not restarting: stopped by %s", events.SignalName(sig))
				return res.status(), 0
			}
		}
		// A stop that came while the contract ended, or while the next
		// instance is made, is never followed by a start.
		if next == nil {
			next = h.startInstance(run + 1)
		}
		next.wait()
		if sig, stopped := h.signals.stopPending(h.ctx, h.keys.keys()); stopped {
			h.rep.actAfter(res.id, "stop", "not restarting: stopped by %s", events.SignalName(sig))
			return res.status(), 0
		}
		restarts++
		if t.Restarts == 0 {
			h.rep.actAfter(res.id, "restart", "restart %d in a new contract", restarts)
		} else {
			h.rep.actAfter(res.id, "restart", "restart %d of %d in a new contract", restarts, t.Restarts)
		}
		h.previous = res.id
	}
}

// signalRelay hands ctrun's stop signals (and SIGWINCH) to the loop
// through a pipe it can poll beside the contract's sockets.
type signalRelay struct {
	ch      chan os.Signal
	queue   chan unix.Signal
	r, w    int // a non-blocking pipe, read with plain system calls
	stopped chan struct{}
}

// stopSignals ask ctrun to stop; they are passed on to the command.
var stopSignals = []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT}

func newSignalRelay() (*signalRelay, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("signal relay: %w", err)
	}
	s := &signalRelay{ch: make(chan os.Signal, 16), queue: make(chan unix.Signal, 64), r: p[0], w: p[1], stopped: make(chan struct{})}
	for _, sig := range append(stopSignals, unix.SIGWINCH) {
		// A signal ctrun was started with ignored stays ignored, for the
		// command too (nohup ctrun ...).
		if !signal.Ignored(sig) {
			signal.Notify(s.ch, sig)
		}
	}
	go func() {
		for {
			select {
			case sig := <-s.ch:
				s.queue <- sig.(unix.Signal)
				_, _ = unix.Write(s.w, []byte{0})
			case <-s.stopped:
				return
			}
		}
	}()
	return s, nil
}

func (s *signalRelay) fd() int { return s.r }

// pending returns the signals received since the last call.
func (s *signalRelay) pending() []unix.Signal {
	var buf [64]byte
	for {
		if n, _ := unix.Read(s.r, buf[:]); n <= 0 {
			break
		}
	}
	var out []unix.Signal
	for {
		select {
		case sig := <-s.queue:
			out = append(out, sig)
		default:
			return out
		}
	}
}

// sleep waits d, or less when a stop signal arrives, or ^C or ^\ is typed
// (returned): no contract has the terminal meanwhile.
func (s *signalRelay) sleep(ctx context.Context, d time.Duration, keys <-chan keyPress) (unix.Signal, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		var got unix.Signal
		select {
		case <-t.C:
			return 0, false
		case <-ctx.Done():
			return unix.SIGTERM, true
		case sig := <-s.queue:
			got = stopSignal(sig)
		case k := <-keys:
			got = stopKey(k)
		}
		if got != 0 {
			return got, true
		}
	}
}

// stopPending says, without waiting, whether a stop has come: a stop
// signal, the context's end, or an interrupt typed at the terminal.
func (s *signalRelay) stopPending(ctx context.Context, keys <-chan keyPress) (unix.Signal, bool) {
	for {
		var got unix.Signal
		select {
		case <-ctx.Done():
			return unix.SIGTERM, true
		case sig := <-s.queue:
			got = stopSignal(sig)
		case k := <-keys:
			got = stopKey(k)
		default:
			return 0, false
		}
		if got != 0 {
			return got, true
		}
	}
}

// stopSignal is sig when it asks ctrun to stop (0 for SIGWINCH).
func stopSignal(sig unix.Signal) unix.Signal {
	if sig == unix.SIGWINCH {
		return 0
	}
	return sig
}

// stopKey answers a key typed at the terminal while no contract has it
// and is the signal it stops ctrun by (^C, ^\), or 0.
func stopKey(k keyPress) unix.Signal {
	k.answer <- false
	if k.sig == unix.SIGINT || k.sig == unix.SIGQUIT {
		return k.sig
	}
	return 0
}

func (s *signalRelay) stop() {
	if s == nil {
		return
	}
	signal.Stop(s.ch)
	close(s.stopped)
	unix.Close(s.r)
	unix.Close(s.w)
}
