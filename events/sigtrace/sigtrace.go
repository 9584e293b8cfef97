// Package sigtrace records, for every signal the kernel generates on the
// machine, who generated it.
//
// A process supervisor learns from wait(2) only that a supervised process
// died of signal S. It cannot tell from that whether S was sent by a process
// inside its contract (a PID namespace), by a process outside it, or raised
// by the kernel itself (a fault, the tty, the OOM killer, a timer...), nor
// whether a SIGBUS was a machine check. sigtrace answers that with a small
// BPF program on the signal_generate raw tracepoint that remembers, per
// (target thread group, signal), the last generation of that signal.
//
// It needs Linux 5.7 or later (bpf_get_ns_current_pid_tgid), kernel BTF to
// locate task_struct.tgid, and CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON.
//
// All pids are host pids (as seen from the initial PID namespace), because
// that is what the BPF program sees; a supervisor running in a child PID
// namespace must translate them.
package sigtrace

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Kind says where a signal came from.
type Kind int

const (
	// KindUnknown means nothing was recorded for that process and signal:
	// the tracer was not running, the entry was evicted, or the signal was
	// not generated through the kernel's signal_generate path (e.g. the
	// SIGKILL that group exit sends to sibling threads).
	KindUnknown Kind = iota
	// KindProcess means a process sent it (kill, tgkill, sigqueue,
	// pidfd_send_signal...): si_code was SI_USER, SI_QUEUE or SI_TKILL, or
	// the kernel queued it "as current" with SEND_SIG_NOINFO. Note that the
	// kernel itself uses SEND_SIG_NOINFO for SIGPIPE and SIGXFSZ, which
	// therefore show up here with the dying process as their own sender, as
	// they do in the siginfo the process would receive.
	KindProcess
	// KindKernel means the kernel generated it (fault, tty, OOM killer,
	// timer, SIGIO...): SEND_SIG_PRIV, SI_KERNEL, a positive si_code, or any
	// negative si_code other than SI_QUEUE and SI_TKILL. A process can still
	// forge a positive si_code on a signal to itself with rt_sigqueueinfo,
	// which lands here too.
	KindKernel
)

func (k Kind) String() string {
	switch k {
	case KindProcess:
		return "process"
	case KindKernel:
		return "kernel"
	default:
		return "unknown"
	}
}

// Origin is what was recorded about the last generation of a signal to a
// process.
type Origin struct {
	Sig  int
	Kind Kind
	// Code is si_code as the kernel saw it (SI_KERNEL for SEND_SIG_PRIV,
	// SI_USER for SEND_SIG_NOINFO), so that e.g. BUS_MCEERR_AR/AO on a
	// SIGBUS tells a machine check from any other bus error.
	Code int32
	// SenderTgid is the host tgid of `current` when the signal was
	// generated. For KindProcess that is the sender; for KindKernel it is
	// whatever ran at the time (the faulting process itself for a fault,
	// an arbitrary or idle task for timers and interrupts).
	SenderTgid int
	// InContract reports whether the sender's active PID namespace is the
	// one given to SetNamespace: the signal came from inside the contract.
	InContract bool
	// NSKnown reports whether SetNamespace had been called when the signal
	// was recorded; without it InContract means nothing.
	NSKnown bool
	// When is the CLOCK_MONOTONIC time of the generation (bpf_ktime_get_ns),
	// so that a stale entry from an earlier life of a reused pid can be
	// told apart from the death being examined.
	When time.Duration
}

// BusMCEErrAR and BusMCEErrAO are the SIGBUS si_codes of a hardware memory
// error: action required (the process touched poisoned memory) and action
// optional (poison found in memory the process maps).
const (
	BusMCEErrAR = 4
	BusMCEErrAO = 5
)

// MachineCheck reports whether o is a SIGBUS that carries a memory-failure
// si_code.
func (o Origin) MachineCheck() bool {
	return o.Sig == int(unix.SIGBUS) && (o.Code == BusMCEErrAR || o.Code == BusMCEErrAO)
}

// errAttach marks a failure to attach (as opposed to load): the program was
// fine but this kernel will not run it on signal_generate.
var errAttach = errors.New("attach to raw tracepoint signal_generate")

// Tracer is a loaded and attached signal_generate program with its maps.
// Lookup, Forget and SetNamespace may be called concurrently; Close must
// not race with them.
type Tracer struct {
	records *ebpf.Map
	ns      *ebpf.Map
	prog    *ebpf.Program
	link    link.Link
	// names: see names.go.
	names     *ebpf.Map
	namesProg *ebpf.Program
	namesLink link.Link
}

// Capability numbers from include/uapi/linux/capability.h, kept here so
// older x/sys versions without CAP_BPF/CAP_PERFMON still build.
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// Available returns nil if Open is expected to work. It is cheap (no program
// is loaded): it checks the capabilities a raw tracepoint program needs and
// creates and frees one tiny map, which proves the bpf(2) syscall is usable
// (not filtered, and within RLIMIT_MEMLOCK on kernels before 5.11 that still
// charge BPF memory there). The error wraps unix.EPERM (so
// errors.Is(err, os.ErrPermission)) when the caller lacks privilege.
func Available() error {
	if err := checkCaps(); err != nil {
		return err
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		return fmt.Errorf("sigtrace: bpf(2) unusable: %w", err)
	}
	m.Close()
	return nil
}

// checkCaps returns an EPERM-wrapping error unless the effective set holds
// CAP_SYS_ADMIN or both CAP_BPF and CAP_PERFMON: loading a tracing program
// needs bpf_capable() and perfmon_capable(). Checking first turns the
// kernel's bare EPERM from deep inside the loader into a clear message.
func checkCaps() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("sigtrace: capget: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	return fmt.Errorf("sigtrace: need CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON (euid %d): %w", os.Geteuid(), unix.EPERM)
}

// Open loads the program and attaches it to the signal_generate raw
// tracepoint. From then on every signal generated on the machine (except
// the ignored SIGCHLD, SIGCONT, SIGURG, SIGWINCH and signals that were
// ignored or dropped) is recorded until Close.
func Open() (*Tracer, error) {
	if err := checkCaps(); err != nil {
		return nil, err
	}
	return open()
}

// open is Open without the capability pre-check, so tests can see that the
// kernel's own refusal also surfaces as EPERM.
func open() (_ *Tracer, err error) {
	off, err := taskTgidOffset()
	if err != nil {
		return nil, fmt.Errorf("sigtrace: %w", err)
	}

	t := &Tracer{}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	if t.records, err = ebpf.NewMap(recordsSpec()); err != nil {
		return nil, fmt.Errorf("sigtrace: create record map: %w", err)
	}
	if t.ns, err = ebpf.NewMap(nsSpec()); err != nil {
		return nil, fmt.Errorf("sigtrace: create namespace map: %w", err)
	}
	if t.prog, err = ebpf.NewProgram(programSpec(t.records, t.ns, off)); err != nil {
		return nil, fmt.Errorf("sigtrace: load program: %w", err)
	}
	t.link, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: "signal_generate", Program: t.prog})
	if err != nil {
		return nil, fmt.Errorf("sigtrace: %w: %w", errAttach, err)
	}
	if t.openNames() != nil {
		// Names are a help, not the tracer's job: without them a member
		// gone before its exec is read keeps its parent's name.
		t.closeNames()
	}
	// The links hold the programs and the programs hold the maps, but we
	// keep our FDs: Lookup, Name, Forget and SetNamespace need the maps.
	return t, nil
}

// SetNamespace names the contract's PID namespace by the st_dev and st_ino
// of stat(2) on /proc/<pid>/ns/pid of a process in it. Signals generated
// afterwards are marked InContract when `current` lives in exactly that
// namespace (not a child of it). The update is not atomic with respect to a
// signal being recorded at the same moment, so set it before the contract's
// processes run.
func (t *Tracer) SetNamespace(dev, ino uint64) error {
	if t.ns == nil {
		return errors.New("sigtrace: set namespace: tracer is closed")
	}
	// stat reports dev_t in the userspace encoding; the helper compares
	// against the kernel's internal MKDEV(major, minor) = major<<20 | minor.
	kdev := uint64(unix.Major(dev))<<20 | uint64(unix.Minor(dev))
	key, val := uint32(0), nsVal{Dev: kdev, Ino: ino}
	if err := t.ns.Update(unsafe.Pointer(&key), unsafe.Pointer(&val), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("sigtrace: set namespace: %w", err)
	}
	return nil
}

// Lookup returns the last recorded generation of sig to the process whose
// host tgid is tgid. The second result is false when nothing is recorded.
//
// "Last" includes a generation that found the same standard signal already
// pending (the kernel then drops the newer siginfo): every sender that tried
// to deliver the fatal signal is a cause, and the latest is the one kept.
// Compare When with the process's start to rule out a reused pid, or call
// Forget when a supervised process is reaped.
func (t *Tracer) Lookup(tgid, sig int) (Origin, bool) {
	if tgid <= 0 || sig <= 0 || t.records == nil {
		return Origin{}, false
	}
	k := recordKey{Tgid: uint32(tgid), Sig: uint32(sig)}
	var v recordVal
	if err := t.records.Lookup(unsafe.Pointer(&k), unsafe.Pointer(&v)); err != nil {
		return Origin{}, false
	}
	o := Origin{
		Sig:        sig,
		Kind:       KindProcess,
		Code:       v.Code,
		SenderTgid: int(v.Sender),
		InContract: v.Flags&flagInNS != 0,
		NSKnown:    v.Flags&flagNSKnown != 0,
		When:       time.Duration(v.Ktime),
	}
	if v.Flags&flagKernel != 0 {
		o.Kind = KindKernel
	}
	return o, true
}

// Forget drops what was recorded for tgid, so that a later process reusing
// the pid does not inherit stale origins. It is best effort.
func (t *Tracer) Forget(tgid int) {
	if tgid <= 0 || t.records == nil {
		return
	}
	for sig := 1; sig <= 64; sig++ {
		k := recordKey{Tgid: uint32(tgid), Sig: uint32(sig)}
		_ = t.records.Delete(unsafe.Pointer(&k))
	}
}

// Close detaches the program and frees the maps.
func (t *Tracer) Close() error {
	errs := []error{t.closeNames()}
	if t.link != nil {
		errs = append(errs, t.link.Close())
		t.link = nil
	}
	if t.prog != nil {
		errs = append(errs, t.prog.Close())
		t.prog = nil
	}
	if t.ns != nil {
		errs = append(errs, t.ns.Close())
		t.ns = nil
	}
	if t.records != nil {
		errs = append(errs, t.records.Close())
		t.records = nil
	}
	return errors.Join(errs...)
}
