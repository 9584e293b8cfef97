package wire

import (
	"errors"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// decodeAny is Decode; the reply decoders, shaped like it.
var (
	decodeAny      = Decode
	decodeKillAllR = func(m Message) (Typed, error) { return KillAllReply{}, DecodeKillAllReply(m) }
	decodeAdoptR   = func(m Message) (Typed, error) { return DecodeAdoptReply(m) }
	decodePingR    = func(m Message) (Typed, error) { return DecodePingReply(m) }
)

// testWhen is a signal record's time, past 32 bits: both words count.
var testWhen uint64 = 0x1_2345_6789

var testLo, testHi = int32(uint32(testWhen)), int32(uint32(testWhen >> 32))

// Every message, its raw form (the words as the C side reads and writes
// them: protocol.h), and the decoder its receiver uses.
var messages = []struct {
	name   string
	v      Typed
	raw    Message
	decode func(Message) (Typed, error)
}{
	{"go", Go{ID: 4242}, Message{Type: MsgGo, A: 4242}, decodeAny},
	{"signal command", Signal{Sig: unix.SIGTERM, Scope: ScopeCommand},
		Message{Type: MsgSignal, A: int32(unix.SIGTERM), B: ScopeCommand}, decodeAny},
	{"signal pgrp", Signal{Sig: unix.SIGKILL, Scope: ScopePgrp, Target: 7},
		Message{Type: MsgSignal, A: int32(unix.SIGKILL), B: ScopePgrp, C: 7}, decodeAny},
	{"whoami", WhoAmI{Nonce: 0xdeadbeef}, Message{Type: MsgWhoAmI, A: int32(-0x21524111)}, decodeAny},
	{"watch empty", WatchEmpty{}, Message{Type: MsgWatchEmpty}, decodeAny},
	{"tidy", Tidy{}, Message{Type: MsgTidy}, decodeAny},
	{"started", Started{NSPid: 6}, Message{Type: MsgStarted, A: 6}, decodeAny},
	{"exec failed", ExecFailed{Errno: unix.ENOENT, Stage: StageExec},
		Message{Type: MsgExecFail, A: int32(unix.ENOENT), B: StageExec}, decodeAny},
	{"exec failed chdir", ExecFailed{Errno: unix.EACCES, Stage: StageChdir},
		Message{Type: MsgExecFail, A: int32(unix.EACCES), B: StageChdir}, decodeAny},
	{"command exited", CommandExited{Status: 3 << 8}, Message{Type: MsgCmdExit, A: 3 << 8}, decodeAny},
	{"command killed", CommandExited{Status: unix.WaitStatus(unix.SIGSEGV) | 0x80},
		Message{Type: MsgCmdExit, A: int32(unix.SIGSEGV) | 0x80}, decodeAny},
	{"sent to targets", Sent{Sig: unix.SIGTERM, Sender: 9, Targets: []int32{7, 8}, When: testWhen},
		Message{Type: MsgSent, A: int32(unix.SIGTERM), D: 9, Data: []int32{testLo, testHi, 7, 8}}, decodeAny},
	{"sent to all", Sent{Sig: unix.SIGKILL, Sender: 9, All: true, When: testWhen},
		Message{Type: MsgSent, A: int32(unix.SIGKILL), C: SentAll, D: 9, Data: []int32{testLo, testHi}}, decodeAny},
	{"sent with code", Sent{Sig: unix.SIGUSR1, Sender: 9, Targets: []int32{7}, Code: -1, HasCode: true, When: testWhen},
		Message{Type: MsgSent, A: int32(unix.SIGUSR1), B: -1, C: SentHasCode, D: 9, Data: []int32{testLo, testHi, 7}}, decodeAny},
	{"notify off", NotifyOff{Errno: unix.ENOSYS}, Message{Type: MsgNotifyOff, A: int32(unix.ENOSYS)}, decodeAny},
	{"external sent", ExternalSent{Sig: unix.SIGHUP, Requester: 1234, When: testWhen},
		Message{Type: MsgExtSent, A: int32(unix.SIGHUP), B: 1234, Data: []int32{testLo, testHi}}, decodeAny},
	{"own empty", OwnEmpty{}, Message{Type: MsgOwnEmpty}, decodeAny},
	{"proc fork", Proc{What: ProcFork, Pid: 7, Parent: 6, When: testWhen},
		Message{Type: MsgProc, A: ProcFork, B: 7, C: 6, Data: []int32{testLo, testHi}}, decodeAny},
	{"proc fork without credentials", Proc{What: ProcFork, Pid: 7, Parent: 1, NoCred: true, When: testWhen},
		Message{Type: MsgProc, A: ProcFork, B: 7, C: 1, D: ProcNoCred, Data: []int32{testLo, testHi}}, decodeAny},
	{"proc exit", Proc{What: ProcExit, Pid: 7, Status: unix.WaitStatus(unix.SIGSEGV), When: testWhen},
		Message{Type: MsgProc, A: ProcExit, B: 7, C: int32(unix.SIGSEGV), Data: []int32{testLo, testHi}}, decodeAny},
	{"proc exit with code", Proc{What: ProcExit, Pid: 7, Status: 3 << 8, When: testWhen},
		Message{Type: MsgProc, A: ProcExit, B: 7, C: 3 << 8, Data: []int32{testLo, testHi}}, decodeAny},
	{"proc exit without status", Proc{What: ProcExit, Pid: 7, NoStatus: true, When: testWhen},
		Message{Type: MsgProc, A: ProcExit, B: 7, D: ProcNoStatus, Data: []int32{testLo, testHi}}, decodeAny},
	{"no report", NoReport{Errno: unix.ENOSYS}, Message{Type: MsgNoReport, A: int32(unix.ENOSYS)}, decodeAny},
	{"exiting", Exiting{}, Message{Type: MsgExiting}, decodeAny},
	{"kill all", KillAll{Sig: unix.SIGTERM, Requester: 1234},
		Message{Type: MsgKillAll, A: int32(unix.SIGTERM), B: 1234}, decodeAny},
	{"adopt", Adopt{}, Message{Type: MsgAdopt}, decodeAny},
	{"ping", Ping{}, Message{Type: MsgPing}, decodeAny},
	{"kill all reply", KillAllReply{}, Message{Type: MsgOK}, decodeKillAllR},
	{"adopt reply running", AdoptReply{CommandNSPid: 6}, Message{Type: MsgOK, A: 6}, decodeAdoptR},
	{"adopt reply exited", AdoptReply{Exited: true, Status: 1 << 8},
		Message{Type: MsgOK, B: 1, C: 1 << 8}, decodeAdoptR},
	{"ping reply held", PingReply{Held: true}, Message{Type: MsgOK, A: 1}, decodePingR},
	{"ping reply not held", PingReply{}, Message{Type: MsgOK}, decodePingR},
}

// TestRoundTrip: every message has the words protocol.h gives it, and
// comes back the same through the wire bytes.
func TestRoundTrip(t *testing.T) {
	for _, tc := range messages {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.v.Message()
			if !reflect.DeepEqual(m, tc.raw) {
				t.Fatalf("Message() = %+v, want %+v", m, tc.raw)
			}
			back, err := DecodeMessage(m.Encode())
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.decode(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.v) {
				t.Fatalf("decoded %#v, want %#v", got, tc.v)
			}
		})
	}
}

// TestEveryType: the table holds every message type protocol.h has.
func TestEveryType(t *testing.T) {
	seen := map[int32]bool{}
	for _, tc := range messages {
		seen[tc.raw.Type] = true
	}
	for _, typ := range []int32{
		MsgGo, MsgSignal, MsgWhoAmI, MsgWatchEmpty,
		MsgStarted, MsgExecFail, MsgCmdExit, MsgSent, MsgNotifyOff, MsgExtSent, MsgOwnEmpty, MsgExiting,
		MsgProc, MsgNoReport,
		MsgKillAll, MsgAdopt, MsgPing, MsgOK, MsgBusy,
	} {
		if !seen[typ] && typ != MsgBusy { // Busy: TestBusy
			t.Errorf("message type %d is not tested", typ)
		}
	}
}

func TestBusy(t *testing.T) {
	m, err := DecodeMessage(Busy{}.Message().Encode())
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != MsgBusy {
		t.Fatalf("Busy is type %d, want %d", m.Type, MsgBusy)
	}
	if _, err := DecodeAdoptReply(m); !errors.Is(err, ErrBusy) {
		t.Fatalf("DecodeAdoptReply(Busy) = %v, want ErrBusy", err)
	}
}

// TestMalformed: what does not parse is refused, never taken for
// something.
func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		m      Message
		decode func(Message) (Typed, error)
	}{
		{"unknown type", Message{Type: 99}, decodeAny},
		{"type 0", Message{}, decodeAny},
		{"reply to Decode", Message{Type: MsgOK}, decodeAny},
		{"busy to Decode", Message{Type: MsgBusy}, decodeAny},
		{"data on started", Message{Type: MsgStarted, A: 6, Data: []int32{1}}, decodeAny},
		{"data on exiting", Message{Type: MsgExiting, Data: []int32{1}}, decodeAny},
		{"data on go", Message{Type: MsgGo, A: 1, Data: []int32{1}}, decodeAny},
		{"sent without time", Message{Type: MsgSent, A: 15, D: 9}, decodeAny},
		{"sent with half a time", Message{Type: MsgSent, A: 15, D: 9, Data: []int32{testLo}}, decodeAny},
		{"external sent without time", Message{Type: MsgExtSent, A: 1}, decodeAny},
		{"external sent with targets", Message{Type: MsgExtSent, A: 1, Data: []int32{testLo, testHi, 7}}, decodeAny},
		{"proc without time", Message{Type: MsgProc, A: ProcFork, B: 7, C: 6}, decodeAny},
		{"proc with a target", Message{Type: MsgProc, A: ProcExit, B: 7, Data: []int32{testLo, testHi, 7}}, decodeAny},
		{"proc of unknown kind", Message{Type: MsgProc, A: 9, B: 7, Data: []int32{testLo, testHi}}, decodeAny},
		{"proc fork without status", Message{Type: MsgProc, A: ProcFork, B: 7, D: ProcNoStatus, Data: []int32{testLo, testHi}}, decodeAny},
		{"proc exit without credentials", Message{Type: MsgProc, A: ProcExit, B: 7, D: ProcNoCred, Data: []int32{testLo, testHi}}, decodeAny},
		{"proc unknown flag", Message{Type: MsgProc, A: ProcExit, B: 7, D: 0x100, Data: []int32{testLo, testHi}}, decodeAny},
		{"data on no report", Message{Type: MsgNoReport, A: 38, Data: []int32{1}}, decodeAny},
		{"kill all reply of wrong type", Message{Type: MsgBusy}, decodeKillAllR},
		{"adopt reply of wrong type", Message{Type: MsgStarted}, decodeAdoptR},
		{"adopt reply with data", Message{Type: MsgOK, Data: []int32{1}}, decodeAdoptR},
		{"busy with data", Message{Type: MsgBusy, Data: []int32{1}}, decodeAdoptR},
		{"ping reply of wrong type", Message{Type: MsgBusy}, decodePingR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeMessage(tc.m.Encode())
			if err != nil {
				t.Fatal(err)
			}
			v, err := tc.decode(m)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decoded %#v, %v; want ErrMalformed", v, err)
			}
		})
	}
}

// TestShort: bytes that are no whole message are refused.
func TestShort(t *testing.T) {
	full := Sent{Sig: unix.SIGTERM, Targets: []int32{7, 8}, When: testWhen}.Message().Encode()
	neg := Exiting{}.Message().Encode()
	neg[headerSize-4] = 0xff // n = -1 (host-endian: every byte set)
	neg[headerSize-3], neg[headerSize-2], neg[headerSize-1] = 0xff, 0xff, 0xff
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"nothing", nil},
		{"the type alone", full[:4]},
		{"a header short", full[:headerSize-1]},
		{"a target short", full[:len(full)-4]},
		{"a byte short", full[:len(full)-1]},
		{"negative count", neg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m, err := DecodeMessage(tc.b); err == nil {
				t.Fatalf("DecodeMessage = %+v, want an error", m)
			}
		})
	}
}
