package wire

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds the holder's decoders any bytes from the control
// socket or an endpoint (an init, or whatever answers there): no panic; a
// message that decodes encodes back to the bytes it was read from; typed
// decoding either succeeds or wraps ErrMalformed (or is ErrBusy).
func FuzzDecode(f *testing.F) {
	for _, m := range []Message{
		Go{ID: 7}.Message(), Started{NSPid: 2}.Message(), Sent{Sig: 9, Targets: []int32{3, 4}, When: 1 << 40}.Message(),
		Proc{What: ProcFork, Pid: 5, Parent: 1, When: 9}.Message(), Proc{What: ProcExit, Pid: 5, Status: 256, When: 9}.Message(),
		ExternalSent{Sig: 15, Requester: 1, When: 3}.Message(), KillAll{Sig: 9}.Message(), Adopt{}.Message(), Ping{}.Message(),
		AdoptReply{CommandNSPid: 2}.Message(), Busy{}.Message(), PingReply{Held: true}.Message(),
		{Type: MsgSent, Data: []int32{1}}, {Type: 9999}, {Type: MsgGo, Data: []int32{-1}},
	} {
		f.Add(m.Encode())
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, headerSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if enc := m.Encode(); !bytes.Equal(enc, b[:len(enc)]) {
			t.Fatalf("DecodeMessage(%x) = %+v, which encodes as %x", b, m, enc)
		}
		for _, err := range []error{
			second(Decode(m)), DecodeKillAllReply(m), second(DecodeAdoptReply(m)), second(DecodePingReply(m)),
		} {
			if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBusy) {
				t.Fatalf("decoding %+v: %v, not ErrMalformed", m, err)
			}
		}
		if v, err := Decode(m); err == nil {
			if again, err := Decode(v.Message()); err != nil || again.Message().Type != m.Type {
				t.Fatalf("%+v decodes as %+v, which reads back as %+v (%v)", m, v, again, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }
