package holder

import (
	"bytes"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/terms"
)

// Keys typed at the terminal, as the loop takes them in: the fake
// contract's command is of no known process, so it counts as in the
// foreground (see inForeground).
func TestKeyReactions(t *testing.T) {
	exited := wire.CommandExited{Status: unix.WaitStatus(unix.SIGINT)}.Message()
	fatal := terms.EventSet(terms.Core) | terms.EventSet(terms.Signal)
	for _, tc := range []struct {
		name    string
		from    phase
		haveCmd bool
		// keys typed (sig, fg); then whether the command exits of SIGINT
		keys []keyPress
		exit bool
		// what follows
		calls   []string
		outcome outcome
		to      phase
		endBy   unix.Signal
		suspend bool
	}{
		{name: "^C for the command, which dies of it: a stop, then every member",
			from: phaseRunning, keys: []keyPress{{sig: unix.SIGINT, fg: 77}}, exit: true,
			calls: []string{"signal SIGINT all 0"}, outcome: outcomeStopped, to: phaseStopping, endBy: unix.SIGINT},
		{name: "^C the command catches and goes on: no stop yet",
			from: phaseRunning, keys: []keyPress{{sig: unix.SIGINT, fg: 77}},
			outcome: outcomeDone, to: phaseRunning},
		{name: "^C with no pseudo-terminal: a stop through the init",
			from: phaseRunning, keys: []keyPress{{sig: unix.SIGINT}},
			calls: []string{"signal SIGINT command 0"}, outcome: outcomeStopped, to: phaseStopping},
		{name: "^\\ once the command is gone: every member at once",
			from: phaseRunning, haveCmd: true, keys: []keyPress{{sig: unix.SIGQUIT, fg: 77}},
			calls: []string{"signal SIGQUIT all 0"}, outcome: outcomeStopped, to: phaseStopping},
		{name: "^C while killing after a fatal event: no restart",
			from: phaseKilling, keys: []keyPress{{sig: unix.SIGINT, fg: 77}},
			calls: []string{"signal SIGINT all 0"}, outcome: outcomeStopped, to: phaseStopping},
		{name: "^Z for the command: ctrun suspends",
			from: phaseRunning, keys: []keyPress{{sig: unix.SIGTSTP, fg: 77}}, outcome: outcomeDone, to: phaseRunning, suspend: true},
		{name: "^Z with no pseudo-terminal: nothing",
			from: phaseRunning, keys: []keyPress{{sig: unix.SIGTSTP}}, outcome: outcomeDone, to: phaseRunning},
		{name: "a contract let go takes no key",
			from: phaseReleased, keys: []keyPress{{sig: unix.SIGINT, fg: 77}}, outcome: outcomeDone, to: phaseReleased},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, f := testContract(t, withFatal(fatal, terms.Options{}, terms.LifeContract), tc.from, &out)
			c.res.haveCmd = tc.haveCmd
			if tc.from == phaseKilling {
				c.res.outcome = outcomeFatal
			}
			var suspend bool
			for _, k := range tc.keys {
				k.answer = make(chan bool, 1)
				c.handleKey(k)
				suspend = <-k.answer
			}
			if c.keyStop != 0 {
				// Deaths of the typed signal are no fatal events.
				e := coreEvent(100, 2)
				e.Kind, e.Sig, e.Status = terms.Signal, unix.SIGINT, unix.WaitStatus(unix.SIGINT)
				c.event(e)
				if len(f.calls) != 0 || c.res.outcome != outcomeDone {
					t.Fatalf("a death of the typed SIGINT was fatal: calls %q, outcome %d", f.calls, c.res.outcome)
				}
			}
			if tc.exit {
				c.message(exited, 0)
			}
			if suspend != tc.suspend {
				t.Errorf("suspend = %v, want %v", suspend, tc.suspend)
			}
			if !reflect.DeepEqual(f.calls, tc.calls) {
				t.Errorf("instance calls = %q, want %q\n%s", f.calls, tc.calls, out.String())
			}
			if c.res.outcome != tc.outcome || c.phase != tc.to {
				t.Errorf("outcome %d, phase %s; want %d, %s", c.res.outcome, c.phase, tc.outcome, tc.to)
			}
			if sig := c.res.endBy(); sig != tc.endBy {
				t.Errorf("endBy() = %v, want %v", sig, tc.endBy)
			}
			if (tc.outcome == outcomeStopped) != (c.graceC() != nil) {
				t.Errorf("grace running: %v, want %v", c.graceC() != nil, tc.outcome == outcomeStopped)
			}
		})
	}
}

// Keys typed while a restart is paused stop it: no contract follows.
func TestKeyDuringRestartPause(t *testing.T) {
	s, err := newSignalRelay()
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	keys := make(chan keyPress, 1)
	k := keyPress{sig: unix.SIGINT, fg: 77, answer: make(chan bool, 1)}
	keys <- k
	sig, stopped := s.sleep(t.Context(), 1<<40, keys)
	if !stopped || sig != unix.SIGINT {
		t.Fatalf("sleep = %v, %v; want SIGINT, stopped", sig, stopped)
	}
	if <-k.answer {
		t.Fatal("the pause answered suspend")
	}
}
