package main

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The filter is written for x86_64, the architecture the tests run on:
// its syscall numbers are those of arch/x86/entry/syscalls/syscall_64.tbl,
// spelled out so that the program (and its test) is the same whatever
// GOARCH builds it. A syscall made through another ABI of the same CPU
// (i386's int 0x80, whose numbers differ) could otherwise slip past it.
const (
	auditArchX86_64 = 0xc000003e
	// x32SyscallBit marks x32 ABI syscalls, made with x86_64's arch value.
	x32SyscallBit = 0x40000000

	sysClone        = 56
	sysPivotRoot    = 155
	sysMount        = 165
	sysUmount2      = 166
	sysUnshare      = 272
	sysSetns        = 308
	sysBPF          = 321
	sysOpenTree     = 428
	sysMoveMount    = 429
	sysFsopen       = 430
	sysFsconfig     = 431
	sysFsmount      = 432
	sysFspick       = 433
	sysClone3       = 435
	sysMountSetattr = 442
	sysOpenTreeAttr = 467
)

// Offsets in struct seccomp_data: int nr; __u32 arch; __u64
// instruction_pointer; __u64 args[6]. args[0]'s low half comes first on a
// little-endian machine, and every CLONE_NEW* flag is in it.
const (
	offNr        = 0
	offArch      = 4
	offArg0Lo    = 16
	cloneNewMask = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
		unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWTIME
)

// policy is what a filter refuses. Everything else is allowed.
type policy struct {
	// eperm are refused with EPERM whatever their arguments.
	eperm []uint32
	// flagged are refused with EPERM when their first argument has any
	// bit of mask.
	flagged []uint32
	mask    uint32
	// enosys are answered ENOSYS, as by a kernel without them.
	enosys []uint32
}

// namespacePolicy refuses what Docker's default profile refuses a process
// without CAP_SYS_ADMIN, as far as namespaces, mounts and BPF go. clone3
// passes its flags in memory, which a filter cannot read, so it is
// answered ENOSYS: libc and Go then fall back to clone, whose flags it
// can. The new mount API (open_tree, move_mount, fsopen, ...) is refused
// with mount: as root, anything left open would mount on the host.
func namespacePolicy() policy {
	return policy{
		eperm: []uint32{sysUnshare, sysSetns, sysMount, sysUmount2, sysPivotRoot, sysBPF,
			sysOpenTree, sysMoveMount, sysFsopen, sysFsconfig, sysFsmount, sysFspick, sysMountSetattr, sysOpenTreeAttr},
		flagged: []uint32{sysClone},
		mask:    cloneNewMask,
		enosys:  []uint32{sysClone3},
	}
}

// userNamespacePolicy refuses user namespaces only, as a host where they
// are disabled does for an unprivileged user (who then can make no
// namespace at all). The refusal is EPERM, as an LSM's (Ubuntu's AppArmor
// restriction) is; user.max_user_namespaces=0 would give ENOSPC.
func userNamespacePolicy() policy {
	return policy{
		flagged: []uint32{sysUnshare, sysClone},
		mask:    unix.CLONE_NEWUSER,
		enosys:  []uint32{sysClone3},
	}
}

// Seccomp return values.
const (
	retAllow  = unix.SECCOMP_RET_ALLOW
	retEPERM  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	retKill   = unix.SECCOMP_RET_KILL_PROCESS
)

// insn is a classic BPF instruction whose jump targets are labels, so the
// program can be written in the order it reads.
type insn struct {
	label  string // this instruction's, or ""
	code   uint16
	k      uint32
	jt, jf string // a conditional jump's targets; "" is the next instruction
}

const (
	opLoad = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opJeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJge  = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJset = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	opRet  = unix.BPF_RET | unix.BPF_K
)

// program is p as a seccomp filter:
//
//	arch != x86_64            -> kill the process (another ABI)
//	nr has the x32 bit        -> ENOSYS (as a kernel without x32)
//	nr in enosys              -> ENOSYS
//	nr in eperm               -> EPERM
//	nr in flagged, and
//	  args[0] & mask != 0     -> EPERM
//	anything else             -> allow
func (p policy) program() ([]unix.SockFilter, error) {
	prog := []insn{
		{code: opLoad, k: offArch},
		{code: opJeq, k: auditArchX86_64, jf: "foreign"},
		{code: opLoad, k: offNr},
		{code: opJge, k: x32SyscallBit, jt: "enosys"},
	}
	for _, nr := range p.enosys {
		prog = append(prog, insn{code: opJeq, k: nr, jt: "enosys"})
	}
	for _, nr := range p.eperm {
		prog = append(prog, insn{code: opJeq, k: nr, jt: "eperm"})
	}
	for _, nr := range p.flagged {
		prog = append(prog, insn{code: opJeq, k: nr, jt: "flags"})
	}
	prog = append(prog, insn{code: opRet, k: retAllow})
	if len(p.flagged) > 0 {
		prog = append(prog,
			insn{label: "flags", code: opLoad, k: offArg0Lo},
			insn{code: opJset, k: p.mask, jt: "eperm"},
			insn{code: opRet, k: retAllow})
	}
	prog = append(prog,
		insn{label: "eperm", code: opRet, k: retEPERM},
		insn{label: "enosys", code: opRet, k: retENOSYS},
		insn{label: "foreign", code: opRet, k: retKill})
	return assemble(prog)
}

// assemble resolves the labels into classic BPF's forward offsets.
func assemble(prog []insn) ([]unix.SockFilter, error) {
	at := map[string]int{}
	for i, in := range prog {
		if in.label != "" {
			if _, dup := at[in.label]; dup {
				return nil, fmt.Errorf("label %q defined twice", in.label)
			}
			at[in.label] = i
		}
	}
	out := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		off := func(label string) (uint8, error) {
			if label == "" {
				return 0, nil
			}
			t, ok := at[label]
			if !ok {
				return 0, fmt.Errorf("instruction %d jumps to undefined label %q", i, label)
			}
			if d := t - i - 1; d >= 0 && d <= 255 {
				return uint8(d), nil
			}
			return 0, fmt.Errorf("instruction %d: label %q is not 0 to 255 instructions ahead", i, label)
		}
		jt, err := off(in.jt)
		if err != nil {
			return nil, err
		}
		jf, err := off(in.jf)
		if err != nil {
			return nil, err
		}
		out[i] = unix.SockFilter{Code: in.code, Jt: jt, Jf: jf, K: in.k}
	}
	return out, nil
}

// installFilter sets no_new_privs (which an unprivileged process needs to
// install a filter) and installs p's filter on every thread at once
// (TSYNC): Go's other threads would otherwise run unfiltered, and any of
// them may make the next system call.
func installFilter(p policy) error {
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("the seccomp filter is written for x86_64, not %s", runtime.GOARCH)
	}
	filter, err := p.program()
	if err != nil {
		return fmt.Errorf("seccomp filter: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return fmt.Errorf("install the seccomp filter: %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("install the seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}
