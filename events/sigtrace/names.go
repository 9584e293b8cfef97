package sigtrace

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// The name a process takes when it executes a program is recorded too.
// A supervisor that learns of an exec from the process connector reads the
// new name from /proc; a process that has already exited by then (a short
// one, or one of many while the supervisor reads its events in batches)
// would keep its parent's name in every later report. A second small
// program on the sched_process_exec raw tracepoint keeps, per host tgid in
// the contract's PID namespace, the name the exec gave.

// namesLimit bounds the name map (least recently used names go first).
const namesLimit = 4096

// Stack slots of the exec program (offsets from R10).
const (
	stNameKey  = -4  // u32 host tgid
	stNameComm = -24 // char comm[16]
)

// namesProgramSpec builds the sched_process_exec program: in the contract's
// namespace only (ns, as for signals), it stores current's new name under
// its host tgid. Straight-line code, three helper calls after the lookup.
func namesProgramSpec(names, ns *ebpf.Map) *ebpf.ProgramSpec {
	// Is current in the contract's pid namespace?
	insns := append(nsLoad(ns, "", "exit"), nsCurrent("exit")...)
	insns = append(insns,
		// key = host tgid, value = the new name.
		asm.FnGetCurrentPidTgid.Call(),
		asm.RSh.Imm(asm.R0, 32),
		asm.StoreMem(asm.RFP, stNameKey, asm.R0, asm.Word),
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, stNameComm),
		asm.Mov.Imm(asm.R2, 16),
		asm.FnGetCurrentComm.Call(),
		asm.JNE.Imm(asm.R0, 0, "exit"),
	)
	// BPF_ANY: the latest exec wins.
	insns = append(insns, updateAndExit(names, stNameKey, stNameComm)...)
	return &ebpf.ProgramSpec{
		Name:         "sigtrace_exec",
		Type:         ebpf.RawTracepoint,
		License:      "GPL",
		Instructions: insns,
	}
}

// comm is a name as the names map keeps it: the kernel's task comm,
// NUL-padded.
type comm [16]byte

func namesSpec() *ebpf.MapSpec {
	return &ebpf.MapSpec{
		Name:       "sigtrace_names",
		Type:       ebpf.LRUHash,
		KeySize:    uint32(unsafe.Sizeof(uint32(0))),
		ValueSize:  uint32(unsafe.Sizeof(comm{})),
		MaxEntries: namesLimit,
	}
}

// openNames loads and attaches the exec program (t.ns must exist).
func (t *Tracer) openNames() error {
	var err error
	if t.names, err = ebpf.NewMap(namesSpec()); err != nil {
		return fmt.Errorf("sigtrace: create name map: %w", err)
	}
	if t.namesProg, err = ebpf.NewProgram(namesProgramSpec(t.names, t.ns)); err != nil {
		return fmt.Errorf("sigtrace: load exec program: %w", err)
	}
	t.namesLink, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sched_process_exec", Program: t.namesProg})
	if err != nil {
		return fmt.Errorf("sigtrace: %w: %w", errAttach, err)
	}
	return nil
}

// closeNames detaches the exec program and frees its map.
func (t *Tracer) closeNames() error {
	var errs []error
	if t.namesLink != nil {
		errs = append(errs, t.namesLink.Close())
		t.namesLink = nil
	}
	if t.namesProg != nil {
		errs = append(errs, t.namesProg.Close())
		t.namesProg = nil
	}
	if t.names != nil {
		errs = append(errs, t.names.Close())
		t.names = nil
	}
	return errors.Join(errs...)
}

// KeepsNames says whether the exec program is attached (Name can answer).
func (t *Tracer) KeepsNames() bool { return t.namesLink != nil }

// Name returns the name the process with host tgid took at its last exec
// in the contract's namespace, and whether one is recorded. The record
// outlives the process: it is the way to a short-lived process's name. Ask
// when the exec is reported: a later process with the same pid replaces
// the record at its own exec (and the map forgets the oldest names).
func (t *Tracer) Name(tgid int) (string, bool) {
	if tgid <= 0 || t.names == nil {
		return "", false
	}
	key := uint32(tgid)
	var name comm
	if err := t.names.Lookup(unsafe.Pointer(&key), unsafe.Pointer(&name)); err != nil {
		return "", false
	}
	if i := bytes.IndexByte(name[:], 0); i >= 0 {
		return string(name[:i]), true
	}
	return string(name[:]), true
}
