// Package events turns what the kernel reports about a contract's members
// into contract events — core, signal, hwerr, exit, fork, empty — for every
// member, not only the command: a grandchild reaped by its own parent and a
// daemon that double-forked away are members like the rest.
//
// Sources, none of which stops or traces a member:
//   - the process connector (events/connector): forks, execs and exits with
//     their wait status, for the whole machine;
//   - who sent a fatal signal: as root a BPF tracepoint (events/sigtrace)
//     records the sender of every signal; unprivileged, the contract's init
//     learns of every signal a member sends (seccomp user notification) and
//     tells the holder (Sent records), so a death by a signal no member sent
//     came from outside.
//
// Members tracks who belongs to the contract; Classify decides which events
// a death is.
package events

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/terms"
)

// Event is one contract event.
type Event struct {
	Kind terms.Event
	// Seq numbers the holder's events, from 1.
	Seq      int64
	Contract int
	Time     time.Time
	// Pid is the member's host pid, NSPid its pid inside the contract.
	Pid, NSPid int
	// Pgid is the member's host process group, NSPgid the same group
	// inside the contract (pgrponly kills by the latter: see Member).
	Pgid, NSPgid int
	Comm         string
	// Parent is the host pid of the parent (fork).
	Parent int
	// Status is the wait status (exit, core, signal, hwerr).
	Status unix.WaitStatus
	// Sig and Code describe the fatal signal (core, signal, hwerr).
	Sig  unix.Signal
	Code int32
	// Sender says who sent Sig (signal): a process, the kernel...
	Sender Sender
}

// Sender is where a signal came from.
type Sender struct {
	Kind SenderKind
	Pid  int // host pid, for a process
	// NSPid is the sender's pid inside the contract, when only that is
	// known (a member reported by the init).
	NSPid int
	Comm  string // its name, when it could be read
	Note  string // e.g. "OOM killer"
}

// SenderKind classifies a signal's sender.
type SenderKind int

const (
	SenderUnknown  SenderKind = iota
	SenderMember              // a member of the same contract (or its init)
	SenderHolder              // the holder (a forwarded stop, a kill)
	SenderOutside             // a process outside the contract
	SenderKernel              // the kernel: fault, tty, pipe, timer, ...
	SenderOOM                 // the kernel's OOM killer
	SenderInferred            // not seen sending, so not a member (unprivileged)
)

func (s Sender) String() string {
	switch s.Kind {
	case SenderMember:
		if s.Pid == 0 && s.NSPid > 0 {
			return fmt.Sprintf("member pid %d inside the contract", s.NSPid)
		}
		return fmt.Sprintf("member pid %d%s", s.Pid, paren(s.Comm))
	case SenderHolder:
		return "the holder (ctrun)"
	case SenderOutside:
		if s.Pid > 0 {
			return fmt.Sprintf("pid %d%s outside the contract", s.Pid, paren(s.Comm))
		}
		return "a process outside the contract"
	case SenderInferred:
		return "a process outside the contract (no member sent it)"
	case SenderKernel:
		if s.Note != "" {
			return "the kernel (" + s.Note + ")"
		}
		return "the kernel"
	case SenderOOM:
		return "the kernel's OOM killer"
	}
	return "unknown"
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// SignalName is "SIGTERM" for unix.SIGTERM.
func SignalName(s unix.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// Summary is the event in a few words, as -v prints it.
func (e Event) Summary() string {
	who := fmt.Sprintf("pid %d%s", e.Pid, paren(e.Comm))
	switch e.Kind {
	case terms.Fork:
		return fmt.Sprintf("%s joined, parent %d", who, e.Parent)
	case terms.Exit:
		return who + " " + describeStatus(e.Status)
	case terms.Core:
		return fmt.Sprintf("%s killed by %s%s", who, SignalName(e.Sig), coreNote(e.Status))
	case terms.Signal:
		return fmt.Sprintf("%s killed by %s from %s", who, SignalName(e.Sig), e.Sender)
	case terms.HWErr:
		return fmt.Sprintf("%s killed by %s: uncorrectable memory error (%s)", who, SignalName(e.Sig), busCode(e.Code))
	case terms.Empty:
		return "the last member exited"
	}
	return who
}

// Details is every detail of the event, as -V prints it.
func (e Event) Details() string {
	var b strings.Builder
	fmt.Fprintf(&b, "event %d, contract %d, pid %d", e.Seq, e.Contract, e.Pid)
	if e.NSPid > 0 {
		fmt.Fprintf(&b, " (pid %d inside)", e.NSPid)
	}
	if e.Comm != "" {
		fmt.Fprintf(&b, ", command %s", e.Comm)
	}
	if e.Parent > 0 {
		fmt.Fprintf(&b, ", parent %d", e.Parent)
	}
	switch e.Kind {
	case terms.Exit, terms.Core, terms.Signal, terms.HWErr:
		fmt.Fprintf(&b, ", wait status %#x", uint32(e.Status))
	}
	if e.Sig != 0 {
		fmt.Fprintf(&b, ", signal %s (%d), si_code %d, sender %s", SignalName(e.Sig), int(e.Sig), e.Code, e.Sender)
	}
	return b.String()
}

func describeStatus(s unix.WaitStatus) string {
	switch {
	case s.Exited():
		return fmt.Sprintf("exited with status %d", s.ExitStatus())
	case s.Signaled():
		return fmt.Sprintf("was killed by %s%s", SignalName(s.Signal()), coreNote(s))
	}
	return fmt.Sprintf("ended (wait status %#x)", uint32(s))
}

func coreNote(s unix.WaitStatus) string {
	if s.CoreDump() {
		return " (core dumped)"
	}
	return ""
}

// Machine-check si_codes of SIGBUS.
const (
	BusMCEErrAR = 4 // action required: the process touched poisoned memory
	BusMCEErrAO = 5 // action optional: poisoned memory found in its pages
)

func busCode(c int32) string {
	switch c {
	case BusMCEErrAR:
		return "BUS_MCEERR_AR"
	case BusMCEErrAO:
		return "BUS_MCEERR_AO"
	}
	return fmt.Sprintf("si_code %d", c)
}
