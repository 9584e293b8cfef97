package wire

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Requests and replies on a contract's endpoint (protocol.h): a client
// sends one request and reads one reply. Every reply is MsgOK or MsgBusy,
// whose words mean what the request makes them mean, so each request has
// a decoder of its own for its reply.

// KillAll asks the init to send Sig to every member at once (kill(-1)
// inside the contract, atomic with respect to forks; in subreaper mode, or
// with sub-contracts, a walk of the members repeated while new ones
// appear), for the process Requester. The reply is KillAllReply.
type KillAll struct {
	Sig       unix.Signal
	Requester int
}

// Adopt asks the init for its orphaned contract: the reply is AdoptReply,
// after which the connection is the new holder's control socket, or Busy.
type Adopt struct{}

// Ping asks the init whether the contract has a holder: the reply is
// PingReply.
type Ping struct{}

// KillAllReply: the init has sent the signal.
type KillAllReply struct{}

// AdoptReply is what the init knew of the command when it was adopted.
type AdoptReply struct {
	// CommandNSPid is the command's pid in the contract, 0 once it is
	// gone.
	CommandNSPid int
	// Exited and Status: the command's end, when it came before.
	Exited bool
	Status unix.WaitStatus
}

// Busy: the contract has a holder and is not to be adopted.
type Busy struct{}

// PingReply tells whether the contract has a holder.
type PingReply struct{ Held bool }

func (v KillAll) Message() Message {
	return Message{Type: MsgKillAll, A: int32(v.Sig), B: int32(v.Requester)}
}

func (Adopt) Message() Message        { return Message{Type: MsgAdopt} }
func (Ping) Message() Message         { return Message{Type: MsgPing} }
func (KillAllReply) Message() Message { return Message{Type: MsgOK} }

func (v AdoptReply) Message() Message {
	return Message{Type: MsgOK, A: int32(v.CommandNSPid), B: boolWord(v.Exited), C: int32(v.Status)}
}

func (Busy) Message() Message        { return Message{Type: MsgBusy} }
func (v PingReply) Message() Message { return Message{Type: MsgOK, A: boolWord(v.Held)} }

func boolWord(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// ErrBusy is DecodeAdoptReply's error for Busy.
var ErrBusy = errors.New("the contract has a holder")

// DecodeKillAllReply returns nil for the init's reply to KillAll.
func DecodeKillAllReply(m Message) error {
	_, err := reply(m, "KillAll", KillAllReply{})
	return err
}

// DecodeAdoptReply returns the init's reply to Adopt, or ErrBusy.
func DecodeAdoptReply(m Message) (AdoptReply, error) {
	if m.Type == MsgBusy {
		if _, err := plain(m, Busy{}); err != nil {
			return AdoptReply{}, err
		}
		return AdoptReply{}, ErrBusy
	}
	return reply(m, "Adopt", AdoptReply{CommandNSPid: int(m.A), Exited: m.B != 0, Status: unix.WaitStatus(m.C)})
}

// DecodePingReply returns the init's reply to Ping.
func DecodePingReply(m Message) (PingReply, error) {
	return reply(m, "Ping", PingReply{Held: m.A != 0})
}

// reply returns v, the value of m, if m is an MsgOK without data; else
// the zero value of v's type and an error wrapping ErrMalformed.
func reply[T Typed](m Message, request string, v T) (T, error) {
	var zero T
	if m.Type != MsgOK {
		return zero, malformed(m, "no reply to "+request)
	}
	if _, err := plain(m, v); err != nil {
		return zero, err
	}
	return v, nil
}
