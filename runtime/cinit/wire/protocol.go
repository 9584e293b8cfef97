// Package wire is the format of what a contract's holder (Go) and its init
// (runtime/cinit, C) exchange: the configuration the init reads, the
// messages of the control socket and of the contract's endpoint, and the
// names both sides use. protocol.h is the one source: names.go is
// generated from it (go generate), and the tests hold the rest to the C
// compiler's view of it (cview).
package wire

//go:generate go run gen.go

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Config is what the init needs to start the command; it is written to a
// memfd the init reads at start (format: ct_read_config in ../protocol.c).
type Config struct {
	Flags    uint32
	UID, GID uint32
	// SigIgn and SigBlk are the ignored and blocked signal sets the holder
	// was started with; the command gets the same.
	SigIgn, SigBlk uint64
	// StdioOpen has bit i set when the holder's descriptor i is open and
	// passed on.
	StdioOpen uint32
	Path      string
	Dir       string
	Argv      []string
	Env       []string
	// Cleanup of an orphaned contract, done by the init when it is last.
	Cgroups []string
	Rootfs  string
	Record  string
	// Endpoint is where the init listens for adoption and for ctkill.
	Endpoint string
	// ExtraTargets are the descriptor numbers, in the command, of the
	// further descriptors passed at FDExtra and up.
	ExtraTargets []int
}

// Encode returns the configuration in the init's wire format.
func (c *Config) Encode() []byte {
	b := make([]byte, 0, 4096)
	b = append(b, configMagic...)
	u32 := func(v uint32) { b = binary.NativeEndian.AppendUint32(b, v) }
	str := func(s string) { u32(uint32(len(s))); b = append(b, s...) }
	strs := func(v []string) {
		u32(uint32(len(v)))
		for _, s := range v {
			str(s)
		}
	}
	u32(c.Flags)
	u32(c.UID)
	u32(c.GID)
	u32(uint32(c.SigIgn))
	u32(uint32(c.SigIgn >> 32))
	u32(uint32(c.SigBlk))
	u32(uint32(c.SigBlk >> 32))
	u32(c.StdioOpen)
	str(c.Path)
	str(c.Dir)
	strs(c.Argv)
	strs(c.Env)
	strs(c.Cgroups)
	str(c.Rootfs)
	str(c.Record)
	str(c.Endpoint)
	u32(uint32(len(c.ExtraTargets)))
	for _, t := range c.ExtraTargets {
		u32(uint32(t))
	}
	return b
}

// Message is one message of the control socket or of an endpoint (struct
// ct_msg) in its raw form: what its words mean depends on its type. Build
// one with a typed message's Message method and read one with Decode (or
// a reply decoder: endpoint.go) rather than by A, B, C, D.
type Message struct {
	Type       int32
	A, B, C, D int32
	Data       []int32
}

const headerSize = 6 * 4

// Encode returns m in wire format.
func (m Message) Encode() []byte {
	b := make([]byte, 0, headerSize+4*len(m.Data))
	for _, v := range []int32{m.Type, m.A, m.B, m.C, m.D, int32(len(m.Data))} {
		b = binary.NativeEndian.AppendUint32(b, uint32(v))
	}
	for _, v := range m.Data {
		b = binary.NativeEndian.AppendUint32(b, uint32(v))
	}
	return b
}

var errShort = errors.New("short control message")

// DecodeMessage parses one control message.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) < headerSize {
		return Message{}, errShort
	}
	get := func(i int) int32 { return int32(binary.NativeEndian.Uint32(b[4*i:])) }
	m := Message{Type: get(0), A: get(1), B: get(2), C: get(3), D: get(4)}
	n := int(get(5))
	if n < 0 || len(b) < headerSize+4*n {
		return Message{}, fmt.Errorf("control message with %d targets: %w", n, errShort)
	}
	m.Data = make([]int32, n)
	for i := range m.Data {
		m.Data[i] = get(6 + i)
	}
	return m, nil
}

// Stamped splits the data of a signal record (MsgSent, MsgExtSent): the
// CLOCK_MONOTONIC time in ns the init saw the signal go, and what follows
// (MsgSent's targets). ok is false for a record too short to carry one.
func (m Message) Stamped() (when uint64, rest []int32, ok bool) {
	if len(m.Data) < 2 {
		return 0, m.Data, false
	}
	return uint64(uint32(m.Data[0])) | uint64(uint32(m.Data[1]))<<32, m.Data[2:], true
}

// NonceName is the name that stands for nonce n: NoncePrefix and n in 8
// hex digits, 12 bytes (a process name holds 15). The init takes it on
// MsgWhoAmI; a holder takes one to learn its own host pid. Go's fmt reads
// the init's printf format the same way.
func NonceName(n uint32) string { return fmt.Sprintf(nonceFormat, n) }
