package holder

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/terms"
)

// fakeInstance records what the holder asks of a contract instance.
type fakeInstance struct {
	calls []string
	// emptied is what Emptied answers.
	emptied bool
}

func (f *fakeInstance) note(s string) { f.calls = append(f.calls, s) }

func (f *fakeInstance) InitPid() int              { return 4242 }
func (f *fakeInstance) Start(runtime.Start) error { f.note("start"); return nil }
func (f *fakeInstance) ControlFD() int            { return -1 }
func (f *fakeInstance) Recv(bool, []byte) (wire.Message, int, error) {
	return wire.Message{}, 0, unix.EAGAIN
}
func (f *fakeInstance) Send(m wire.Message) error {
	f.note("send " + msgName(m.Type))
	return nil
}
func (f *fakeInstance) Signal(sig unix.Signal, scope, target int) error {
	f.note("signal " + unix.SignalName(sig) + " " + scopeName(scope) + " " + strconv.Itoa(target))
	return nil
}
func (f *fakeInstance) Kill() error                                { f.note("kill"); return nil }
func (f *fakeInstance) Wait() error                                { f.note("wait"); return nil }
func (f *fakeInstance) Abandon() bool                              { f.note("abandon"); return false }
func (f *fakeInstance) Destroy()                                   { f.note("destroy") }
func (f *fakeInstance) PidNamespace() (dev, ino uint64, err error) { return 0, 0, unix.ENOENT }
func (f *fakeInstance) Claim() string                              { return "" }
func (f *fakeInstance) Emptied() bool                              { return f.emptied }
func (f *fakeInstance) CgroupPaths() map[string]string             { return nil }

func msgName(t int32) string {
	if t == wire.MsgWatchEmpty {
		return "watch-empty"
	}
	return strconv.Itoa(int(t))
}

func scopeName(s int) string {
	switch s {
	case wire.ScopeCommand:
		return "command"
	case wire.ScopeAll:
		return "all"
	case wire.ScopePgrp:
		return "pgrp"
	}
	return "pid"
}

// testContract is a contract in phase p under terms t, held by a holder
// that reports to out, with a fake instance.
func testContract(t *testing.T, tm terms.Terms, p phase, out *bytes.Buffer) (*contract, *fakeInstance) {
	t.Helper()
	tm.Verbosity = terms.Verbose
	h := &holder{job: Job{Terms: tm, Argv: []string{"cmd"}, Path: "/bin/cmd"}, rep: newReporter(out, tm.Verbosity), grace: terms.DefaultGrace}
	f := &fakeInstance{}
	c := newContract(h, 1, f, 4242)
	c.obs = events.NewObserver(4242, 4242, nil, "", &h.seq)
	c.phase = p
	return c, f
}

func withFatal(fatal terms.EventSet, opts terms.Options, life terms.Lifetime) terms.Terms {
	tm := terms.Default()
	tm.Fatal = fatal
	tm.Options = opts
	tm.Lifetime = life
	return tm
}

func TestMoves(t *testing.T) {
	all := []phase{phaseStarting, phaseRunning, phaseKilling, phaseStopping, phaseReleased, phaseHusk, phaseEnded}
	// Every allowed move, written out: anything else must be refused.
	allowed := map[[2]phase]bool{}
	for _, m := range [][2]phase{
		{phaseStarting, phaseRunning}, {phaseStarting, phaseKilling}, {phaseStarting, phaseStopping},
		{phaseStarting, phaseReleased}, {phaseStarting, phaseHusk}, {phaseStarting, phaseEnded},
		{phaseRunning, phaseKilling}, {phaseRunning, phaseStopping}, {phaseRunning, phaseReleased},
		{phaseRunning, phaseHusk}, {phaseRunning, phaseEnded},
		{phaseKilling, phaseStopping}, {phaseKilling, phaseReleased}, {phaseKilling, phaseHusk}, {phaseKilling, phaseEnded},
		{phaseStopping, phaseReleased}, {phaseStopping, phaseHusk}, {phaseStopping, phaseEnded},
		{phaseHusk, phaseReleased}, {phaseHusk, phaseEnded},
	} {
		allowed[m] = true
	}
	for _, from := range all {
		for _, to := range all {
			if from == to {
				continue
			}
			t.Run(from.String()+"->"+to.String(), func(t *testing.T) {
				var out bytes.Buffer
				c, _ := testContract(t, terms.Default(), from, &out)
				err := c.moveTo(to)
				want := allowed[[2]phase{from, to}]
				if (err == nil) != want {
					t.Fatalf("moveTo(%s) from %s: err = %v, want allowed = %v", to, from, err, want)
				}
				if want && c.phase != to {
					t.Fatalf("phase = %s after an allowed move to %s", c.phase, to)
				}
				if !want {
					if c.phase != from {
						t.Fatalf("a refused move changed the phase to %s", c.phase)
					}
					if !strings.Contains(out.String(), "internal error") {
						t.Fatalf("a refused move was not reported: %q", out.String())
					}
				}
			})
		}
	}
}

func TestHoldingOver(t *testing.T) {
	for _, tc := range []struct {
		p    phase
		over bool
	}{
		{phaseStarting, false}, {phaseRunning, false}, {phaseKilling, false}, {phaseStopping, false},
		{phaseReleased, true}, {phaseHusk, true}, {phaseEnded, true},
	} {
		var out bytes.Buffer
		c, _ := testContract(t, terms.Default(), tc.p, &out)
		if got := c.holdingOver(); got != tc.over {
			t.Errorf("holdingOver() in %s = %v, want %v", tc.p, got, tc.over)
		}
	}
}

func TestMessageReactions(t *testing.T) {
	contractLife := withFatal(terms.EventSet(terms.HWErr), terms.Options{}, terms.LifeContract)
	for _, tc := range []struct {
		name      string
		terms     terms.Terms
		from      phase
		msg       wire.Message
		to        phase
		outcome   outcome
		code      int
		haveCmd   bool
		calls     []string
		reportHas string
	}{
		{name: "started", terms: contractLife, from: phaseStarting, msg: wire.Started{NSPid: 2}.Message(),
			to: phaseRunning},
		{name: "started, lifetime none: ctrun returns 0", terms: withFatal(0, terms.Options{}, terms.LifeNone), from: phaseStarting,
			msg: wire.Started{NSPid: 2}.Message(), to: phaseReleased, outcome: outcomeReturn, code: 0},
		{name: "started after a fatal event stays killing", terms: contractLife, from: phaseKilling,
			msg: wire.Started{NSPid: 2}.Message(), to: phaseKilling},
		{name: "command not found", terms: contractLife, from: phaseStarting,
			msg: wire.ExecFailed{Errno: unix.ENOENT, Stage: wire.StageExec}.Message(),
			to:  phaseStarting, outcome: outcomeReturn, code: ExitNotFound, reportHas: "cmd: no such file"},
		{name: "command not executable", terms: contractLife, from: phaseStarting,
			msg: wire.ExecFailed{Errno: unix.EACCES, Stage: wire.StageExec}.Message(),
			to:  phaseStarting, outcome: outcomeReturn, code: ExitNotExec},
		{name: "working directory", terms: contractLife, from: phaseStarting,
			msg: wire.ExecFailed{Errno: unix.EACCES, Stage: wire.StageChdir}.Message(),
			to:  phaseStarting, outcome: outcomeReturn, code: ExitInternal, reportHas: "working directory"},
		{name: "command exits, lifetime contract", terms: contractLife, from: phaseRunning,
			msg: wire.CommandExited{Status: 3 << 8}.Message(), to: phaseRunning, haveCmd: true},
		{name: "command exits, lifetime child: let go", terms: withFatal(0, terms.Options{}, terms.LifeChild), from: phaseRunning,
			msg: wire.CommandExited{}.Message(), to: phaseReleased, haveCmd: true},
		{name: "command exits while killing, lifetime child", terms: withFatal(terms.EventSet(terms.Core), terms.Options{}, terms.LifeChild),
			from: phaseKilling, msg: wire.CommandExited{Status: 9}.Message(), to: phaseReleased, haveCmd: true},
		{name: "command exits in a husk, lifetime child", terms: withFatal(0, terms.Options{}, terms.LifeChild), from: phaseHusk,
			msg: wire.CommandExited{}.Message(), to: phaseReleased, haveCmd: true},
		{name: "init exiting", terms: contractLife, from: phaseRunning, msg: wire.Exiting{}.Message(), to: phaseEnded},
		{name: "init exiting, husk", terms: contractLife, from: phaseHusk, msg: wire.Exiting{}.Message(), to: phaseEnded},
		{name: "only sub-contracts left", terms: contractLife, from: phaseRunning, msg: wire.OwnEmpty{}.Message(),
			to: phaseHusk, reportHas: "event empty"},
		{name: "only sub-contracts left while killing", terms: contractLife, from: phaseKilling, msg: wire.OwnEmpty{}.Message(),
			to: phaseHusk},
		{name: "only sub-contracts left, husk already", terms: contractLife, from: phaseHusk, msg: wire.OwnEmpty{}.Message(),
			to: phaseHusk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, f := testContract(t, tc.terms, tc.from, &out)
			c.message(tc.msg, 0)
			c.h.rep.flush()
			if c.phase != tc.to {
				t.Errorf("phase = %s, want %s", c.phase, tc.to)
			}
			if c.res.outcome != tc.outcome || (tc.outcome == outcomeReturn && c.res.code != tc.code) {
				t.Errorf("outcome = %d (code %d), want %d (code %d)", c.res.outcome, c.res.code, tc.outcome, tc.code)
			}
			if c.res.haveCmd != tc.haveCmd {
				t.Errorf("haveCmd = %v, want %v", c.res.haveCmd, tc.haveCmd)
			}
			if !reflect.DeepEqual(f.calls, tc.calls) {
				t.Errorf("instance calls = %q, want %q", f.calls, tc.calls)
			}
			if !strings.Contains(strings.ToLower(out.String()), tc.reportHas) {
				t.Errorf("report %q lacks %q", out.String(), tc.reportHas)
			}
			if strings.Contains(out.String(), "internal error") {
				t.Errorf("an illegal move: %q", out.String())
			}
		})
	}
}

func coreEvent(pid, nspgid int) events.Event {
	return events.Event{Kind: terms.Core, Contract: 4242, Pid: pid, NSPid: 3, Pgid: 900, NSPgid: nspgid, Comm: "x",
		Status: unix.WaitStatus(unix.SIGSEGV), Sig: unix.SIGSEGV}
}

func TestEventReactions(t *testing.T) {
	core := terms.EventSet(terms.Core)
	for _, tc := range []struct {
		name    string
		terms   terms.Terms
		from    phase
		before  outcome // what the contract's end already counts as
		events  []events.Event
		to      phase
		outcome outcome
		calls   []string
		report  []string // in order, each somewhere in the report
	}{
		{name: "fatal: kill every member, once", terms: withFatal(core, terms.Options{}, terms.LifeContract), from: phaseRunning,
			events: []events.Event{coreEvent(100, 2), coreEvent(101, 2)}, to: phaseKilling, outcome: outcomeFatal,
			calls: []string{"kill"}, report: []string{"fatal event core", "killing every member", "fatal event core"}},
		{name: "fatal before the start was heard of", terms: withFatal(core, terms.Options{}, terms.LifeContract), from: phaseStarting,
			events: []events.Event{coreEvent(100, 2)}, to: phaseKilling, outcome: outcomeFatal, calls: []string{"kill"}},
		{name: "informative only: nothing done", terms: withFatal(terms.EventSet(terms.HWErr), terms.Options{}, terms.LifeContract),
			from: phaseRunning, events: []events.Event{coreEvent(100, 2)}, to: phaseRunning, outcome: outcomeDone,
			report: []string{"event core"}},
		{name: "pgrponly: the group, each time", terms: withFatal(core, terms.Options{PgrpOnly: true}, terms.LifeContract),
			from: phaseRunning, events: []events.Event{coreEvent(100, 7), coreEvent(101, 8)}, to: phaseRunning, outcome: outcomeFatal,
			calls: []string{"signal SIGKILL pgrp 7", "signal SIGKILL pgrp 8"}, report: []string{"killing process group 900"}},
		{name: "pgrponly, group unknown", terms: withFatal(core, terms.Options{PgrpOnly: true}, terms.LifeContract),
			from: phaseRunning, events: []events.Event{coreEvent(100, 0)}, to: phaseRunning, outcome: outcomeFatal,
			report: []string{"unknown, nothing killed"}},
		{name: "stopping: nothing is fatal", terms: withFatal(core, terms.Options{}, terms.LifeContract), from: phaseStopping,
			before: outcomeStopped, events: []events.Event{coreEvent(100, 2)}, to: phaseStopping, outcome: outcomeStopped},
		{name: "ended after a stop: nothing is fatal", terms: withFatal(core, terms.Options{}, terms.LifeContract), from: phaseEnded,
			before: outcomeStopped, events: []events.Event{coreEvent(100, 2)}, to: phaseEnded, outcome: outcomeStopped},
		{name: "released: nothing is fatal", terms: withFatal(core, terms.Options{}, terms.LifeChild), from: phaseReleased,
			events: []events.Event{coreEvent(100, 2)}, to: phaseReleased, outcome: outcomeDone},
		{name: "a death read after the init ended still counts", terms: withFatal(core, terms.Options{}, terms.LifeContract),
			from: phaseEnded, events: []events.Event{coreEvent(100, 2)}, to: phaseEnded, outcome: outcomeFatal, calls: []string{"kill"}},
		{name: "empty without sub-contracts: the init ends it", terms: withFatal(core, terms.Options{}, terms.LifeContract),
			from: phaseRunning, events: []events.Event{{Kind: terms.Empty, Contract: 4242}}, to: phaseRunning, outcome: outcomeDone,
			report: []string{"event empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, f := testContract(t, tc.terms, tc.from, &out)
			c.res.outcome = tc.before
			for _, e := range tc.events {
				c.event(e)
			}
			c.h.rep.flush()
			if c.phase != tc.to {
				t.Errorf("phase = %s, want %s", c.phase, tc.to)
			}
			if c.res.outcome != tc.outcome {
				t.Errorf("outcome = %d, want %d", c.res.outcome, tc.outcome)
			}
			if !reflect.DeepEqual(f.calls, tc.calls) {
				t.Errorf("instance calls = %q, want %q", f.calls, tc.calls)
			}
			rest := out.String()
			for _, want := range tc.report {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("report lacks %q (in order) in %q", want, out.String())
				}
				rest = rest[i+len(want):]
			}
			if strings.Contains(out.String(), "internal error") {
				t.Errorf("an illegal move: %q", out.String())
			}
		})
	}
}

// With the next run's instance ready, a contract ends as soon as it is
// known empty: killed for a fatal event with the kernel showing no member
// left, or its init saying so; never while the observer has a member whose
// end it has not seen (that end may be the fatal event itself, reported
// after the init reaped it).
func TestEndsBeforeInitExits(t *testing.T) {
	core := terms.EventSet(terms.Core)
	for _, tc := range []struct {
		name      string
		readyNext bool
		emptied   bool // what the instance says
		member    bool // the observer still has a member
		partial   bool
		exiting   bool // the init says it goes, instead of a fatal event
		to        phase
		early     bool
	}{
		{name: "killed, empty", readyNext: true, emptied: true, to: phaseEnded, early: true},
		{name: "killed, no next instance", emptied: true, to: phaseKilling},
		{name: "killed, members left", readyNext: true, to: phaseKilling},
		{name: "killed, an end not seen", readyNext: true, emptied: true, member: true, to: phaseKilling},
		{name: "killed, a partial view", readyNext: true, emptied: true, partial: true, to: phaseKilling},
		{name: "init exiting", readyNext: true, exiting: true, to: phaseEnded, early: true},
		{name: "init exiting, an end not seen", readyNext: true, exiting: true, member: true, to: phaseEnded},
		{name: "init exiting, no next instance", exiting: true, to: phaseEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, f := testContract(t, withFatal(core, terms.Options{}, terms.LifeContract), phaseRunning, &out)
			c.readyNext, c.partial, f.emptied = tc.readyNext, tc.partial, tc.emptied
			if tc.member {
				c.obs.Proc(connector.Event{What: connector.Fork, Pid: 4243, Tgid: 4243, ParentPid: 4242, ParentTgid: 4242})
				if c.obs.Members() != 1 {
					t.Fatalf("observer has %d members, want 1", c.obs.Members())
				}
			}
			if tc.exiting {
				c.message(wire.Exiting{}.Message(), 0)
			} else {
				c.event(coreEvent(100, 2))
			}
			c.h.rep.flush()
			if c.phase != tc.to || c.emptied != tc.early {
				t.Errorf("phase %s, emptied %t; want %s, %t", c.phase, c.emptied, tc.to, tc.early)
			}
			if strings.Contains(out.String(), "internal error") {
				t.Errorf("an illegal move: %q", out.String())
			}
		})
	}
}

func TestStopReactions(t *testing.T) {
	core := terms.EventSet(terms.Core)
	for _, tc := range []struct {
		name    string
		from    phase
		before  outcome
		haveCmd bool
		to      phase
		report  string
		call    string
	}{
		{name: "running", from: phaseRunning, to: phaseStopping, report: "passing SIGTERM on to the command"},
		{name: "starting", from: phaseStarting, to: phaseStopping, report: "passing SIGTERM on to the command"},
		{name: "killing: the stop wins", from: phaseKilling, before: outcomeFatal, to: phaseStopping},
		{name: "a second stop goes to every member", from: phaseStopping, before: outcomeStopped, to: phaseStopping,
			report: "every member (a second stop)", call: "signal SIGTERM all 0"},
		{name: "the command gone: every member", from: phaseRunning, haveCmd: true, to: phaseStopping,
			report: "every member (the command has exited)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, f := testContract(t, withFatal(core, terms.Options{}, terms.LifeContract), tc.from, &out)
			c.res.outcome, c.res.haveCmd = tc.before, tc.haveCmd
			c.handleSignals([]unix.Signal{unix.SIGTERM})
			c.h.rep.flush()
			if c.phase != tc.to {
				t.Errorf("phase = %s, want %s", c.phase, tc.to)
			}
			if c.res.outcome != outcomeStopped {
				t.Errorf("outcome = %d, want stopped", c.res.outcome)
			}
			want := []string{"signal SIGTERM command 0"}
			if tc.call != "" {
				want = []string{tc.call}
			}
			if !reflect.DeepEqual(f.calls, want) {
				t.Errorf("instance calls = %q, want %q", f.calls, want)
			}
			if !strings.Contains(out.String(), tc.report) {
				t.Errorf("report %q lacks %q", out.String(), tc.report)
			}
			// Nothing that follows a stop is fatal.
			c.event(coreEvent(100, 2))
			if len(f.calls) != 1 || c.res.outcome != outcomeStopped {
				t.Errorf("a fatal event after the stop acted: calls %q, outcome %d", f.calls, c.res.outcome)
			}
		})
	}
}

// After a stop, the command's exit sends the stop on to every member
// left, and the grace period's end kills them.
func TestStopThenCommandExitsThenGrace(t *testing.T) {
	var out bytes.Buffer
	c, f := testContract(t, withFatal(terms.EventSet(terms.Core), terms.Options{}, terms.LifeContract), phaseRunning, &out)
	c.handleSignals([]unix.Signal{unix.SIGINT})
	c.message(wire.CommandExited{Status: unix.WaitStatus(unix.SIGINT)}.Message(), 0)
	c.graceOver()
	want := []string{"signal SIGINT command 0", "signal SIGINT all 0", "kill"}
	if !reflect.DeepEqual(f.calls, want) {
		t.Fatalf("instance calls = %q, want %q", f.calls, want)
	}
	if c.graceC() == nil {
		t.Fatal("no grace period after a stop")
	}
	if sig := c.res.endBy(); sig != unix.SIGINT {
		t.Fatalf("endBy() = %v: ctrun must end by the SIGINT the command died of", sig)
	}
}

func TestEndBy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome outcome
		stop    unix.Signal
		cmd     unix.WaitStatus
		haveCmd bool
		want    unix.Signal
	}{
		{"^C killed the command", outcomeStopped, unix.SIGINT, unix.WaitStatus(unix.SIGINT), true, unix.SIGINT},
		{"^\\ killed the command", outcomeStopped, unix.SIGQUIT, unix.WaitStatus(unix.SIGQUIT), true, unix.SIGQUIT},
		{"the command caught ^C and exited", outcomeStopped, unix.SIGINT, unix.WaitStatus(3 << 8), true, 0},
		{"TERM is no interrupt", outcomeStopped, unix.SIGTERM, unix.WaitStatus(unix.SIGTERM), true, 0},
		{"killed by another signal", outcomeStopped, unix.SIGINT, unix.WaitStatus(unix.SIGKILL), true, 0},
		{"no stop", outcomeDone, 0, unix.WaitStatus(unix.SIGINT), true, 0},
	} {
		r := result{outcome: tc.outcome, stopSig: tc.stop, cmd: tc.cmd, haveCmd: tc.haveCmd}
		if got := r.endBy(); got != tc.want {
			t.Errorf("%s: endBy() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
