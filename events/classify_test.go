package events

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/terms"
)

// exited is the wait status of a normal exit with code.
func exited(code int) unix.WaitStatus { return unix.WaitStatus(code << 8) }

// killed is the wait status of a death by sig, with a core file if core.
func killed(sig unix.Signal, core bool) unix.WaitStatus {
	s := unix.WaitStatus(sig)
	if core {
		s |= 0x80
	}
	return s
}

func TestClassify(t *testing.T) {
	outside := Sender{Kind: SenderOutside, Pid: 99}
	kernel := Sender{Kind: SenderKernel}
	type E = terms.Event
	for _, tc := range []struct {
		name string
		d    Death
		want []E
	}{
		{"exit 0", Death{Status: exited(0)}, []E{terms.Exit}},
		{"exit 3", Death{Status: exited(3)}, []E{terms.Exit}},
		{"exit 255 from outside sender is still only exit", Death{Status: exited(255), Sender: outside}, []E{terms.Exit}},

		{"SIGQUIT", Death{Status: killed(unix.SIGQUIT, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGILL", Death{Status: killed(unix.SIGILL, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGTRAP", Death{Status: killed(unix.SIGTRAP, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGABRT", Death{Status: killed(unix.SIGABRT, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGBUS plain", Death{Status: killed(unix.SIGBUS, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGFPE", Death{Status: killed(unix.SIGFPE, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGSEGV", Death{Status: killed(unix.SIGSEGV, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGXCPU", Death{Status: killed(unix.SIGXCPU, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGXFSZ", Death{Status: killed(unix.SIGXFSZ, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGSYS", Death{Status: killed(unix.SIGSYS, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGSEGV with core file", Death{Status: killed(unix.SIGSEGV, true), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"SIGABRT from a member", Death{Status: killed(unix.SIGABRT, false), Sender: Sender{Kind: SenderMember, Pid: 5}}, []E{terms.Core, terms.Exit}},

		{"SIGTERM from a member", Death{Status: killed(unix.SIGTERM, false), Sender: Sender{Kind: SenderMember, Pid: 5}}, []E{terms.Exit}},
		{"SIGKILL by the holder", Death{Status: killed(unix.SIGKILL, false), Sender: Sender{Kind: SenderHolder}}, []E{terms.Exit}},
		{"SIGPIPE by the kernel", Death{Status: killed(unix.SIGPIPE, false), Sender: kernel}, []E{terms.Exit}},
		{"SIGHUP unknown sender", Death{Status: killed(unix.SIGHUP, false)}, []E{terms.Exit}},

		{"SIGTERM from outside", Death{Status: killed(unix.SIGTERM, false), Sender: outside}, []E{terms.Signal, terms.Exit}},
		{"SIGTERM inferred outside", Death{Status: killed(unix.SIGTERM, false), Sender: Sender{Kind: SenderInferred}}, []E{terms.Signal, terms.Exit}},
		{"SIGKILL by the OOM killer", Death{Status: killed(unix.SIGKILL, false), Sender: Sender{Kind: SenderOOM}}, []E{terms.Signal, terms.Exit}},
		{"SIGSEGV from outside", Death{Status: killed(unix.SIGSEGV, false), Sender: outside}, []E{terms.Core, terms.Signal, terms.Exit}},

		{"SIGBUS BUS_MCEERR_AR", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, Code: BusMCEErrAR, HasCode: true}, []E{terms.HWErr, terms.Core, terms.Exit}},
		{"SIGBUS BUS_MCEERR_AO", Death{Status: killed(unix.SIGBUS, true), Sender: kernel, Code: BusMCEErrAO, HasCode: true}, []E{terms.HWErr, terms.Core, terms.Exit}},
		{"SIGBUS BUS_ADRERR", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, Code: 2, HasCode: true}, []E{terms.Core, terms.Exit}},
		{"SIGBUS BUS_ADRALN", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, Code: 1, HasCode: true}, []E{terms.Core, terms.Exit}},
		{"SIGBUS code from a sender (SI_USER)", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, Code: 0, HasCode: true}, []E{terms.Core, terms.Exit}},
		{"SIGBUS other code while memory was corrupted", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, Code: 2, HasCode: true, HWCorrupted: true}, []E{terms.Core, terms.Exit}},
		{"SIGBUS MCE code unseen, memory corrupted", Death{Status: killed(unix.SIGBUS, false), Sender: kernel, HWCorrupted: true}, []E{terms.HWErr, terms.Core, terms.Exit}},
		{"SIGBUS no code, memory fine", Death{Status: killed(unix.SIGBUS, false), Sender: kernel}, []E{terms.Core, terms.Exit}},
		{"MCE code on another signal", Death{Status: killed(unix.SIGSEGV, false), Sender: kernel, Code: BusMCEErrAR, HasCode: true}, []E{terms.Core, terms.Exit}},
		{"memory corrupted but not SIGBUS", Death{Status: killed(unix.SIGKILL, false), Sender: kernel, HWCorrupted: true}, []E{terms.Exit}},
		{"exit while memory corrupted", Death{Status: exited(0), HWCorrupted: true}, []E{terms.Exit}},
		{"SIGBUS MCE sent from outside: every event in order", Death{Status: killed(unix.SIGBUS, false), Sender: outside, Code: BusMCEErrAR, HasCode: true}, []E{terms.HWErr, terms.Core, terms.Signal, terms.Exit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.d); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Classify(%+v) = %v, want %v", tc.d, got, tc.want)
			}
		})
	}
}

func TestClassifySenders(t *testing.T) {
	// Only a sender outside the contract (seen, inferred, or the OOM
	// killer) makes a signal event; the same death by any other sender
	// does not.
	for _, tc := range []struct {
		kind   SenderKind
		signal bool
	}{
		{SenderUnknown, false},
		{SenderMember, false},
		{SenderHolder, false},
		{SenderOutside, true},
		{SenderKernel, false},
		{SenderOOM, true},
		{SenderInferred, true},
	} {
		t.Run(Sender{Kind: tc.kind}.String(), func(t *testing.T) {
			got := Classify(Death{Status: killed(unix.SIGTERM, false), Sender: Sender{Kind: tc.kind}})
			has := false
			for _, e := range got {
				if e == terms.Signal {
					has = true
				}
			}
			if has != tc.signal {
				t.Errorf("sender kind %d: events %v, signal event %t, want %t", tc.kind, got, has, tc.signal)
			}
			if got[len(got)-1] != terms.Exit {
				t.Errorf("sender kind %d: events %v do not end with exit", tc.kind, got)
			}
		})
	}
}

func TestIsCoreSignal(t *testing.T) {
	for _, tc := range []struct {
		sig  unix.Signal
		core bool
	}{
		{unix.SIGQUIT, true}, {unix.SIGILL, true}, {unix.SIGTRAP, true}, {unix.SIGABRT, true},
		{unix.SIGBUS, true}, {unix.SIGFPE, true}, {unix.SIGSEGV, true}, {unix.SIGXCPU, true},
		{unix.SIGXFSZ, true}, {unix.SIGSYS, true},
		{unix.SIGHUP, false}, {unix.SIGINT, false}, {unix.SIGKILL, false}, {unix.SIGTERM, false},
		{unix.SIGPIPE, false}, {unix.SIGALRM, false}, {unix.SIGUSR1, false}, {unix.SIGUSR2, false},
		{unix.SIGCHLD, false}, {unix.SIGSTOP, false},
	} {
		t.Run(SignalName(tc.sig), func(t *testing.T) {
			if got := IsCoreSignal(tc.sig); got != tc.core {
				t.Errorf("IsCoreSignal(%s) = %t, want %t", SignalName(tc.sig), got, tc.core)
			}
		})
	}
}
