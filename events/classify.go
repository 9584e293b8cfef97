package events

import (
	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/terms"
)

// coreSignals are the signals whose default action dumps core.
var coreSignals = map[unix.Signal]bool{
	unix.SIGQUIT: true, unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGABRT: true,
	unix.SIGBUS: true, unix.SIGFPE: true, unix.SIGSEGV: true, unix.SIGXCPU: true,
	unix.SIGXFSZ: true, unix.SIGSYS: true,
}

// IsCoreSignal says whether s's default action dumps core.
func IsCoreSignal(s unix.Signal) bool { return coreSignals[s] }

// Death is a member's end as the holder knows it.
type Death struct {
	Status unix.WaitStatus
	// Sender of the fatal signal, when the member was killed by one.
	Sender Sender
	// Code is the signal's si_code when HasCode.
	Code    int32
	HasCode bool
	// HWCorrupted: the machine's count of pages lost to memory errors
	// grew since the holder last looked (the unprivileged hint for a
	// real machine check, whose si_code cannot be seen).
	HWCorrupted bool
}

// Classify lists the events a death is, in the order they are reported:
// hwerr, core, signal, then exit. Every death is an exit.
//
//   - core: killed by a signal whose default action dumps core, whoever
//     sent it and whether or not a core file was written;
//   - hwerr: killed by SIGBUS with a machine-check code (BUS_MCEERR_AR or
//     _AO), or, when the code cannot be seen, by SIGBUS while the machine's
//     count of corrupted memory grew;
//   - signal: killed by a signal sent from outside the contract, other
//     than by the holder. The kernel's OOM killer counts as outside (see
//     the man page): a daemon restarted on -f signal is restarted on OOM.
func Classify(d Death) []terms.Event {
	var out []terms.Event
	if !d.Status.Signaled() {
		return []terms.Event{terms.Exit}
	}
	sig := d.Status.Signal()
	if sig == unix.SIGBUS && ((d.HasCode && (d.Code == BusMCEErrAR || d.Code == BusMCEErrAO)) || (!d.HasCode && d.HWCorrupted)) {
		out = append(out, terms.HWErr)
	}
	if IsCoreSignal(sig) {
		out = append(out, terms.Core)
	}
	switch d.Sender.Kind {
	case SenderOutside, SenderInferred, SenderOOM:
		out = append(out, terms.Signal)
	}
	return append(out, terms.Exit)
}

// kernelSignals are the signals that, when no member was seen sending
// them, are taken to be the kernel's own doing (a fault, a broken pipe, a
// resource limit, a timer) rather than a send from outside. Only used where
// the sender cannot be seen (unprivileged); see Observer.sender.
var kernelSignals = map[unix.Signal]bool{
	unix.SIGSEGV: true, unix.SIGBUS: true, unix.SIGILL: true, unix.SIGFPE: true,
	unix.SIGTRAP: true, unix.SIGSYS: true, unix.SIGXCPU: true, unix.SIGXFSZ: true,
	unix.SIGPIPE: true, unix.SIGALRM: true, unix.SIGVTALRM: true, unix.SIGPROF: true,
	unix.SIGIO: true, unix.SIGSTKFLT: true,
}
