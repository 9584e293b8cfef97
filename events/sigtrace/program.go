package sigtrace

import (
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// Layout shared between the BPF program and the Go side. Everything is
// host-endian and naturally aligned, so the Go structs below are the maps'
// keys and values byte for byte: the maps are made with their sizes, and
// lookups hand cilium/ebpf pointers to them (unsafe.Pointer), which spares
// its reflective marshalling on every call. That reflection was on a
// restart's path: the sender of the signal a member died of is looked up
// as its death is seen, a millisecond the first time, in code the holder
// had let go of (holder/trim.go).

// recordKey is the LRU map key: which process got which signal.
type recordKey struct {
	Tgid uint32 // target thread-group id, initial PID namespace
	Sig  uint32
}

// recordVal is what the program stores for the last generation of Sig to Tgid.
type recordVal struct {
	Sender uint32 // host tgid of current
	Flags  uint32 // flag* below
	Code   int32  // si_code; SI_USER for SEND_SIG_NOINFO, SI_KERNEL for SEND_SIG_PRIV
	_      uint32
	Ktime  uint64 // bpf_ktime_get_ns, i.e. CLOCK_MONOTONIC
}

// nsVal is the single entry of the namespace map: the contract's pid
// namespace as the kernel names it (kernel dev_t, nsfs inode number).
type nsVal struct {
	Dev uint64
	Ino uint64
}

const (
	flagInNS     = 1 << 0 // current's active pid namespace is the contract's
	flagNSKnown  = 1 << 1 // the namespace map was set (ino != 0)
	flagKernel   = 1 << 2 // si_code says the kernel generated the signal
	recordsLimit = 4096
)

// Arguments of the signal_generate raw tracepoint, each widened to u64:
// TP_PROTO(int sig, struct kernel_siginfo *info, struct task_struct *task,
// int group, int result).
const (
	argSig    = 0 * 8
	argInfo   = 1 * 8
	argTask   = 2 * 8
	argResult = 4 * 8
)

// Special siginfo pointers and si_code values from include/linux/sched/signal.h
// and include/uapi/asm-generic/siginfo.h.
const (
	sendSigNoinfo = 0
	sendSigPriv   = 1
	siUser        = 0
	siKernel      = 0x80
	siQueue       = -1
	siTkill       = -6
	siCodeOffset  = 8 // offsetof(struct kernel_siginfo, si_code)
)

// Results from enum trace_signal_result: only signals that were queued, or
// merged into one already pending, can be the one a process dies of.
const (
	resultDelivered      = 0
	resultAlreadyPending = 2
)

// Stack slots (offsets from R10).
const (
	stKey    = -8  // recordKey: tgid at -8, sig at -4
	stVal    = -32 // recordVal: sender -32, flags -28, code -24, pad -20, ktime -16
	stNSInfo = -40 // struct bpf_pidns_info {u32 pid; u32 tgid}
	stZero   = -44 // u32 key 0 for the namespace array
)

// ignoredSignals are never a cause of death worth attributing and are by far
// the most frequent ones (SIGCHLD on every exit), so they are dropped before
// any helper call.
var ignoredSignals = []int32{0, 17 /* SIGCHLD */, 18 /* SIGCONT */, 23 /* SIGURG */, 28 /* SIGWINCH */}

// programSpec builds the signal_generate program. It is straight-line code
// with forward jumps only and six helper calls, so the verifier walks a
// handful of paths; tgidOff is patched in as an immediate because raw
// tracepoint programs get no CO-RE relocation without clang.
func programSpec(records, ns *ebpf.Map, tgidOff int32) *ebpf.ProgramSpec {
	const (
		ctx   = asm.R6
		flags = asm.R8
		code  = asm.R9
	)
	insns := asm.Instructions{
		asm.Mov.Reg(ctx, asm.R1),

		// sig: drop the uninteresting ones.
		asm.LoadMem(asm.R7, ctx, argSig, asm.DWord),
	}
	for _, s := range ignoredSignals {
		insns = append(insns, asm.JEq.Imm32(asm.R7, s, "exit"))
	}
	insns = append(insns,
		// result: keep DELIVERED and ALREADY_PENDING only.
		asm.LoadMem(asm.R1, ctx, argResult, asm.DWord),
		asm.JEq.Imm32(asm.R1, resultDelivered, "result_ok"),
		asm.JNE.Imm32(asm.R1, resultAlreadyPending, "exit"),
		asm.StoreMem(asm.RFP, stKey+4, asm.R7, asm.Word).WithSymbol("result_ok"),

		// key.tgid = task->tgid
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, stKey),
		asm.Mov.Imm(asm.R2, 4),
		asm.LoadMem(asm.R3, ctx, argTask, asm.DWord),
		asm.Add.Imm(asm.R3, tgidOff),
		asm.FnProbeReadKernel.Call(),
		asm.JNE.Imm(asm.R0, 0, "exit"),

		// si_code and the kernel flag.
		asm.Mov.Imm(flags, 0),
		asm.LoadMem(asm.R3, ctx, argInfo, asm.DWord),
		asm.JEq.Imm(asm.R3, sendSigNoinfo, "noinfo"),
		asm.JEq.Imm(asm.R3, sendSigPriv, "priv"),
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, stVal+8),
		asm.Mov.Imm(asm.R2, 4),
		asm.Add.Imm(asm.R3, siCodeOffset),
		asm.FnProbeReadKernel.Call(),
		asm.JNE.Imm(asm.R0, 0, "exit"),
		asm.LoadMem(code, asm.RFP, stVal+8, asm.Word),
		asm.JEq.Imm32(code, siUser, "ns"),
		asm.JEq.Imm32(code, siQueue, "ns"),
		asm.JEq.Imm32(code, siTkill, "ns"),
		asm.Mov.Imm(flags, flagKernel),
		asm.Ja.Label("ns"),

		asm.StoreImm(asm.RFP, stVal+8, siUser, asm.Word).WithSymbol("noinfo"),
		asm.Ja.Label("ns"),

		asm.StoreImm(asm.RFP, stVal+8, siKernel, asm.Word).WithSymbol("priv"),
		asm.Mov.Imm(flags, flagKernel),
	)
	// Is current in the contract's pid namespace?
	insns = append(insns, nsLoad(ns, "ns", "store")...)
	insns = append(insns, asm.Or.Imm(flags, flagNSKnown))
	insns = append(insns, nsCurrent("store")...)
	insns = append(insns,
		asm.Or.Imm(flags, flagInNS),

		// Fill in the rest of the value and store it.
		asm.StoreMem(asm.RFP, stVal+4, flags, asm.Word).WithSymbol("store"),
		asm.StoreImm(asm.RFP, stVal+12, 0, asm.Word),
		asm.FnGetCurrentPidTgid.Call(),
		asm.RSh.Imm(asm.R0, 32),
		asm.StoreMem(asm.RFP, stVal, asm.R0, asm.Word),
		asm.FnKtimeGetNs.Call(),
		asm.StoreMem(asm.RFP, stVal+16, asm.R0, asm.DWord),
	)
	// BPF_ANY: the latest generation wins.
	insns = append(insns, updateAndExit(records, stKey, stVal)...)
	return &ebpf.ProgramSpec{
		Name:         "sigtrace",
		Type:         ebpf.RawTracepoint,
		License:      "GPL", // bpf_probe_read_kernel is GPL-only
		Instructions: insns,
	}
}

// nsLoad loads the contract's namespace from the map ns into R1 (dev) and
// R2 (ino), jumping to miss when none is set. Its first instruction is
// labelled sym (when not empty).
func nsLoad(ns *ebpf.Map, sym, miss string) asm.Instructions {
	first := asm.StoreImm(asm.RFP, stZero, 0, asm.Word)
	if sym != "" {
		first = first.WithSymbol(sym)
	}
	return asm.Instructions{
		first,
		asm.LoadMapPtr(asm.R1, ns.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stZero),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, miss),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord), // dev
		asm.LoadMem(asm.R2, asm.R0, 8, asm.DWord), // ino
		asm.JEq.Imm(asm.R2, 0, miss),
	}
}

// nsCurrent asks whether current lives in the namespace nsLoad loaded,
// jumping to miss when it does not.
func nsCurrent(miss string) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stNSInfo),
		asm.Mov.Imm(asm.R4, 8),
		asm.FnGetNsCurrentPidTgid.Call(),
		asm.JNE.Imm(asm.R0, 0, miss),
	}
}

func recordsSpec() *ebpf.MapSpec {
	return &ebpf.MapSpec{
		Name:       "sigtrace_recs",
		Type:       ebpf.LRUHash,
		KeySize:    uint32(unsafe.Sizeof(recordKey{})),
		ValueSize:  uint32(unsafe.Sizeof(recordVal{})),
		MaxEntries: recordsLimit,
	}
}

func nsSpec() *ebpf.MapSpec {
	return &ebpf.MapSpec{
		Name:       "sigtrace_ns",
		Type:       ebpf.Array,
		KeySize:    uint32(unsafe.Sizeof(uint32(0))),
		ValueSize:  uint32(unsafe.Sizeof(nsVal{})),
		MaxEntries: 1,
	}
}

// updateAndExit stores the key and value found at the given stack offsets
// in m (BPF_ANY: a newer entry replaces an older one), and is the
// program's "exit" label: return 0.
func updateAndExit(m *ebpf.Map, key, value int16) asm.Instructions {
	return asm.Instructions{
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, int32(key)),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, int32(value)),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnMapUpdateElem.Call(),

		asm.Mov.Imm(asm.R0, 0).WithSymbol("exit"),
		asm.Return(),
	}
}
