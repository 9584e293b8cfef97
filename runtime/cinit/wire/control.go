package wire

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Typed messages: one Go type per message type of protocol.h, so that
// nobody reads a Message's A, B, C, D by position. Each one's Message
// gives its wire form; Decode gives the typed value of a Message. Replies
// on a contract's endpoint are all MsgOK or MsgBusy and tell apart only by
// the request they answer: they have decoders of their own (endpoint.go).

// Typed is a message of one type.
type Typed interface {
	// Message is the message in wire form (Encode it to send it).
	Message() Message
}

// Holder to init, on the control socket.

// Go tells the init to start the command in contract ID.
type Go struct{ ID int }

// Signal asks the init to send Sig to Scope (ScopeCommand, ScopeAll,
// ScopePgrp, ScopePID); Target is the namespace pgid or pid of the last
// two.
type Signal struct {
	Sig    unix.Signal
	Scope  int
	Target int
}

// WhoAmI asks the init to take NonceName(Nonce) for a moment, so that the
// process connector tells the init's host pid to a holder that cannot see
// it; the init answers with the same WhoAmI once it has.
type WhoAmI struct{ Nonce uint32 }

// WatchEmpty asks the init for OwnEmpty once no member is left but
// sub-contracts are.
type WatchEmpty struct{}

// Tidy tells an init made ahead of its run (a restart's next instance) to
// remove the rootfs directory the configuration names now, while it waits
// for Go, rather than beside the command's start. The init answers with
// the same Tidy once it is done: until then the configuration must not be
// written again.
type Tidy struct{}

// Init to holder, on the control socket.

// Started: the command's execve succeeded; NSPid is its pid in the
// contract.
type Started struct{ NSPid int }

// ExecFailed: the command could not be started; Stage (Stage*) tells
// where.
type ExecFailed struct {
	Errno unix.Errno
	Stage int
}

// CommandExited is the wait status of the command's own process.
type CommandExited struct{ Status unix.WaitStatus }

// Sent records a signal a member sent, before the signal can act. Its
// fields are events.SentSignal's, in the same order, so that one converts
// to the other.
type Sent struct {
	Sig unix.Signal
	// Sender and Targets are namespace pids; All: every process the
	// sender could reach (then there are no Targets).
	Sender  int
	Targets []int32
	All     bool
	// Code is the si_code the sender supplied, if HasCode.
	Code    int32
	HasCode bool
	// When is the CLOCK_MONOTONIC time (ns) the init let the call go on.
	When uint64
}

// NotifyOff: signals sent by members cannot be observed, for Errno.
type NotifyOff struct{ Errno unix.Errno }

// ExternalSent records that the init sent Sig to every member for the
// process Requester (ctkill -a, through the endpoint), at When (as Sent).
type ExternalSent struct {
	Sig       unix.Signal
	Requester int
	When      uint64
}

// OwnEmpty: no member is left; the init stays for sub-contracts.
type OwnEmpty struct{}

// Exiting: the contract is empty and the init exits, leaving the cleanup
// to its holder.
type Exiting struct{}

// Proc reports a member's fork or exit (FlagReport: no process connector).
// Pids are the init's view: namespace pids (the host's view of a Fork's
// Pid is in the message's SCM_CREDENTIALS unless NoCred), or, in
// subreaper mode, the holder's own.
type Proc struct {
	// What is ProcFork (the member was first seen; Parent is its parent
	// then) or ProcExit (it has exited; Status is its wait status unless
	// NoStatus).
	What   int
	Pid    int
	Parent int
	Status unix.WaitStatus
	// NoStatus: an exit whose status could not be learnt.
	NoStatus bool
	// NoCred: a fork sent without credentials naming the member (it was
	// gone before the kernel could name it).
	NoCred bool
	// When is the CLOCK_MONOTONIC time (ns) the init saw it (as Sent).
	When uint64
}

// NoReport: members' forks and exits cannot be followed (FlagReport), for
// Errno; only the init's own children are still reported, or some members
// are missing.
type NoReport struct{ Errno unix.Errno }

func (v Go) Message() Message { return Message{Type: MsgGo, A: int32(v.ID)} }

func (v Signal) Message() Message {
	return Message{Type: MsgSignal, A: int32(v.Sig), B: int32(v.Scope), C: int32(v.Target)}
}

func (v WhoAmI) Message() Message   { return Message{Type: MsgWhoAmI, A: int32(v.Nonce)} }
func (WatchEmpty) Message() Message { return Message{Type: MsgWatchEmpty} }

func (Tidy) Message() Message { return Message{Type: MsgTidy} }

func (v Started) Message() Message { return Message{Type: MsgStarted, A: int32(v.NSPid)} }

func (v ExecFailed) Message() Message {
	return Message{Type: MsgExecFail, A: int32(v.Errno), B: int32(v.Stage)}
}

func (v CommandExited) Message() Message { return Message{Type: MsgCmdExit, A: int32(v.Status)} }

func (v Sent) Message() Message {
	var flags int32
	if v.All {
		flags |= SentAll
	}
	if v.HasCode {
		flags |= SentHasCode
	}
	return Message{
		Type: MsgSent, A: int32(v.Sig), B: v.Code, C: flags, D: int32(v.Sender),
		Data: append(stamp(v.When), v.Targets...),
	}
}

func (v NotifyOff) Message() Message { return Message{Type: MsgNotifyOff, A: int32(v.Errno)} }

func (v ExternalSent) Message() Message {
	return Message{Type: MsgExtSent, A: int32(v.Sig), B: int32(v.Requester), Data: stamp(v.When)}
}

func (OwnEmpty) Message() Message { return Message{Type: MsgOwnEmpty} }
func (Exiting) Message() Message  { return Message{Type: MsgExiting} }

func (v Proc) Message() Message {
	var flags int32
	if v.NoStatus {
		flags |= ProcNoStatus
	}
	if v.NoCred {
		flags |= ProcNoCred
	}
	// C is the parent of a fork, the status of an exit.
	c := int32(v.Parent)
	if v.What == ProcExit {
		c = int32(v.Status)
	}
	return Message{Type: MsgProc, A: int32(v.What), B: int32(v.Pid), C: c, D: flags, Data: stamp(v.When)}
}

func (v NoReport) Message() Message { return Message{Type: MsgNoReport, A: int32(v.Errno)} }

// stamp is the wire form of a time (see Stamped).
func stamp(when uint64) []int32 { return []int32{int32(uint32(when)), int32(uint32(when >> 32))} }

// ErrMalformed is the error of a message that does not parse: of an
// unknown type, without the data words its type needs or with some its
// type does not carry, or a reply that answers another request.
var ErrMalformed = errors.New("malformed control message")

// Decode returns the typed value of m: one of the types above for a
// message on the control socket (either way), or an endpoint request
// (KillAll, Adopt, Ping). A reply (MsgOK, MsgBusy) is decoded by its
// request's own decoder (DecodeKillAllReply, DecodeAdoptReply,
// DecodePingReply). Errors wrap ErrMalformed.
func Decode(m Message) (Typed, error) {
	switch m.Type {
	case MsgGo:
		return plain(m, Go{ID: int(m.A)})
	case MsgSignal:
		return plain(m, Signal{Sig: unix.Signal(m.A), Scope: int(m.B), Target: int(m.C)})
	case MsgWhoAmI:
		return plain(m, WhoAmI{Nonce: uint32(m.A)})
	case MsgWatchEmpty:
		return plain(m, WatchEmpty{})
	case MsgTidy:
		return plain(m, Tidy{})
	case MsgStarted:
		return plain(m, Started{NSPid: int(m.A)})
	case MsgExecFail:
		return plain(m, ExecFailed{Errno: unix.Errno(m.A), Stage: int(m.B)})
	case MsgCmdExit:
		return plain(m, CommandExited{Status: unix.WaitStatus(m.A)})
	case MsgSent:
		when, targets, ok := m.Stamped()
		if !ok {
			return nil, malformed(m, "no time")
		}
		if len(targets) == 0 {
			targets = nil
		}
		return Sent{
			Sig: unix.Signal(m.A), Sender: int(m.D), Targets: targets, All: m.C&SentAll != 0,
			Code: m.B, HasCode: m.C&SentHasCode != 0, When: when,
		}, nil
	case MsgNotifyOff:
		return plain(m, NotifyOff{Errno: unix.Errno(m.A)})
	case MsgExtSent:
		when, err := timeOnly(m)
		if err != nil {
			return nil, err
		}
		return ExternalSent{Sig: unix.Signal(m.A), Requester: int(m.B), When: when}, nil
	case MsgProc:
		when, err := timeOnly(m)
		if err != nil {
			return nil, err
		}
		p := Proc{What: int(m.A), Pid: int(m.B), NoStatus: m.D&ProcNoStatus != 0, NoCred: m.D&ProcNoCred != 0, When: when}
		switch {
		case m.A == ProcFork && m.D&^ProcNoCred == 0:
			p.Parent = int(m.C)
		case m.A == ProcExit && m.D&^ProcNoStatus == 0:
			p.Status = unix.WaitStatus(m.C)
		default:
			return nil, malformed(m, fmt.Sprintf("process report %d with flags %#x", m.A, m.D))
		}
		return p, nil
	case MsgNoReport:
		return plain(m, NoReport{Errno: unix.Errno(m.A)})
	case MsgOwnEmpty:
		return plain(m, OwnEmpty{})
	case MsgExiting:
		return plain(m, Exiting{})
	case MsgKillAll:
		return plain(m, KillAll{Sig: unix.Signal(m.A), Requester: int(m.B)})
	case MsgAdopt:
		return plain(m, Adopt{})
	case MsgPing:
		return plain(m, Ping{})
	case MsgOK, MsgBusy:
		return nil, malformed(m, "a reply: decode it with its request's decoder")
	}
	return nil, malformed(m, "unknown type")
}

// plain returns v, the value of m, unless m carries data words: its type
// has none.
func plain(m Message, v Typed) (Typed, error) {
	if len(m.Data) != 0 {
		return nil, malformed(m, fmt.Sprintf("%d data words", len(m.Data)))
	}
	return v, nil
}

// timeOnly returns the time m carries as its only data words (MsgExtSent,
// MsgProc).
func timeOnly(m Message) (uint64, error) {
	when, rest, ok := m.Stamped()
	if !ok || len(rest) != 0 {
		return 0, malformed(m, fmt.Sprintf("%d data words for a time", len(m.Data)))
	}
	return when, nil
}

func malformed(m Message, why string) error {
	return fmt.Errorf("%w: type %d: %s", ErrMalformed, m.Type, why)
}
