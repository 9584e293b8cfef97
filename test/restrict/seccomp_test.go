package main

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// seccompData is struct seccomp_data as the BPF virtual machine must see
// it. Seccomp loads 32-bit words in the machine's (little-endian) order;
// the x/net/bpf VM loads them in network order; so each word is stored big
// endian here, and a load at its offset gives the same value in both.
func seccompData(nr, arch uint32, arg0 uint64) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[offNr:], nr)
	binary.BigEndian.PutUint32(b[offArch:], arch)
	binary.BigEndian.PutUint32(b[offArg0Lo:], uint32(arg0))
	binary.BigEndian.PutUint32(b[offArg0Lo+4:], uint32(arg0>>32))
	return b
}

// runFilter runs the raw program, exactly as restrict installs it, on one
// system call.
func runFilter(t *testing.T, prog []unix.SockFilter, nr, arch uint32, arg0 uint64) uint32 {
	t.Helper()
	ins := make([]bpf.Instruction, len(prog))
	for i, f := range prog {
		ins[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}.Disassemble()
		if _, raw := ins[i].(bpf.RawInstruction); raw {
			t.Fatalf("instruction %d (%+v) is not one the VM knows", i, f)
		}
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("the VM refuses the program: %v", err)
	}
	got, err := vm.Run(seccompData(nr, arch, arg0))
	if err != nil {
		t.Fatalf("run the program: %v", err)
	}
	return uint32(got)
}

func retName(r uint32) string {
	switch r {
	case retAllow:
		return "allow"
	case retEPERM:
		return "EPERM"
	case retENOSYS:
		return "ENOSYS"
	case retKill:
		return "kill"
	}
	return fmt.Sprintf("%#x", r)
}

// The filters answer each system call as Docker's profile would, for the
// cases that matter to ctrun: every way to a namespace or a mount is
// refused, everything a process needs to run (threads included) is not.
func TestFilterPrograms(t *testing.T) {
	const (
		threadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
			unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID
		forkFlags = unix.CLONE_CHILD_SETTID | unix.CLONE_CHILD_CLEARTID | uint64(unix.SIGCHLD)
		read      = 0
		execve    = 59
		x86       = auditArchX86_64
	)
	type tc struct {
		what string
		nr   uint32
		arch uint32
		arg0 uint64
		want uint32
	}
	for _, pc := range []struct {
		name  string
		p     policy
		cases []tc
	}{
		{"nons", namespacePolicy(), []tc{
			{"read", read, x86, 0, retAllow},
			{"execve", execve, x86, 0, retAllow},
			{"a thread", sysClone, x86, threadFlags, retAllow},
			{"fork", sysClone, x86, forkFlags, retAllow},
			{"vfork-like clone", sysClone, x86, unix.CLONE_VM | unix.CLONE_VFORK | uint64(unix.SIGCHLD), retAllow},
			{"clone NEWPID", sysClone, x86, unix.CLONE_NEWPID | uint64(unix.SIGCHLD), retEPERM},
			{"clone NEWUSER", sysClone, x86, unix.CLONE_NEWUSER, retEPERM},
			{"clone NEWNS", sysClone, x86, unix.CLONE_NEWNS, retEPERM},
			{"clone NEWNET", sysClone, x86, unix.CLONE_NEWNET, retEPERM},
			{"clone NEWCGROUP", sysClone, x86, unix.CLONE_NEWCGROUP, retEPERM},
			{"clone NEWUTS|NEWIPC", sysClone, x86, unix.CLONE_NEWUTS | unix.CLONE_NEWIPC, retEPERM},
			{"clone NEWTIME", sysClone, x86, unix.CLONE_NEWTIME, retEPERM},
			{"clone with only high bits", sysClone, x86, 1 << 33, retAllow},
			{"clone3", sysClone3, x86, 0, retENOSYS},
			{"unshare of nothing", sysUnshare, x86, 0, retEPERM},
			{"unshare NEWNS", sysUnshare, x86, unix.CLONE_NEWNS, retEPERM},
			{"setns", sysSetns, x86, 3, retEPERM},
			{"mount", sysMount, x86, 0, retEPERM},
			{"umount2", sysUmount2, x86, 0, retEPERM},
			{"pivot_root", sysPivotRoot, x86, 0, retEPERM},
			{"bpf", sysBPF, x86, 0, retEPERM},
			{"fsopen", sysFsopen, x86, 0, retEPERM},
			{"fsmount", sysFsmount, x86, 0, retEPERM},
			{"open_tree", sysOpenTree, x86, 0, retEPERM},
			{"move_mount", sysMoveMount, x86, 0, retEPERM},
			{"mount_setattr", sysMountSetattr, x86, 0, retEPERM},
			{"open_tree_attr", sysOpenTreeAttr, x86, 0, retEPERM},
			{"x32 unshare", x32SyscallBit | sysUnshare, x86, 0, retENOSYS},
			{"x32 read", x32SyscallBit | read, x86, 0, retENOSYS},
			{"i386 unshare (310)", 310, unix.AUDIT_ARCH_I386, 0, retKill},
			{"i386 read", 3, unix.AUDIT_ARCH_I386, 0, retKill},
		}},
		{"nouserns", userNamespacePolicy(), []tc{
			{"read", read, x86, 0, retAllow},
			{"a thread", sysClone, x86, threadFlags, retAllow},
			{"fork", sysClone, x86, forkFlags, retAllow},
			{"clone NEWPID", sysClone, x86, unix.CLONE_NEWPID, retAllow},
			{"clone NEWUSER", sysClone, x86, unix.CLONE_NEWUSER | uint64(unix.SIGCHLD), retEPERM},
			{"clone NEWUSER|NEWPID", sysClone, x86, unix.CLONE_NEWUSER | unix.CLONE_NEWPID, retEPERM},
			{"clone3", sysClone3, x86, 0, retENOSYS},
			{"unshare NEWNS", sysUnshare, x86, unix.CLONE_NEWNS, retAllow},
			{"unshare NEWUSER", sysUnshare, x86, unix.CLONE_NEWUSER, retEPERM},
			{"unshare NEWUSER|NEWNS", sysUnshare, x86, unix.CLONE_NEWUSER | unix.CLONE_NEWNS, retEPERM},
			{"setns", sysSetns, x86, 3, retAllow},
			{"mount", sysMount, x86, 0, retAllow},
			{"bpf", sysBPF, x86, 0, retAllow},
			{"x32", x32SyscallBit | read, x86, 0, retENOSYS},
			{"i386", 3, unix.AUDIT_ARCH_I386, 0, retKill},
		}},
	} {
		t.Run(pc.name, func(t *testing.T) {
			prog, err := pc.p.program()
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range pc.cases {
				if got := runFilter(t, prog, c.nr, c.arch, c.arg0); got != c.want {
					t.Errorf("%s (nr %d, arg0 %#x): %s, want %s", c.what, c.nr, c.arg0, retName(got), retName(c.want))
				}
			}
		})
	}
}

// The syscall numbers spelled out for x86_64 are x86_64's.
func TestFilterSyscallNumbers(t *testing.T) {
	if unix.SizeofPtr != 8 || unix.SYS_CLONE3 != 435 || unix.SYS_UNSHARE != 272 {
		t.Skip("not built for x86_64: its numbers cannot be compared here")
	}
	for _, c := range []struct {
		name      string
		ours, sys uint32
	}{
		{"clone", sysClone, unix.SYS_CLONE}, {"pivot_root", sysPivotRoot, unix.SYS_PIVOT_ROOT},
		{"mount", sysMount, unix.SYS_MOUNT}, {"umount2", sysUmount2, unix.SYS_UMOUNT2},
		{"unshare", sysUnshare, unix.SYS_UNSHARE}, {"setns", sysSetns, unix.SYS_SETNS},
		{"bpf", sysBPF, unix.SYS_BPF}, {"open_tree", sysOpenTree, unix.SYS_OPEN_TREE},
		{"move_mount", sysMoveMount, unix.SYS_MOVE_MOUNT}, {"fsopen", sysFsopen, unix.SYS_FSOPEN},
		{"fsconfig", sysFsconfig, unix.SYS_FSCONFIG}, {"fsmount", sysFsmount, unix.SYS_FSMOUNT},
		{"fspick", sysFspick, unix.SYS_FSPICK}, {"clone3", sysClone3, unix.SYS_CLONE3},
		{"mount_setattr", sysMountSetattr, unix.SYS_MOUNT_SETATTR}, {"open_tree_attr", sysOpenTreeAttr, unix.SYS_OPEN_TREE_ATTR},
	} {
		if c.ours != c.sys {
			t.Errorf("%s: %d here, %d in x/sys/unix", c.name, c.ours, c.sys)
		}
	}
}

// assemble resolves forward labels and refuses what classic BPF cannot
// say.
func TestAssemble(t *testing.T) {
	got, err := assemble([]insn{
		{code: opLoad, k: offNr},
		{code: opJeq, k: 1, jt: "b", jf: "a"},
		{label: "a", code: opRet, k: retAllow},
		{label: "b", code: opRet, k: retEPERM},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Jt != 1 || got[1].Jf != 0 {
		t.Fatalf("jump offsets %d/%d, want 1/0", got[1].Jt, got[1].Jf)
	}
	for _, bad := range [][]insn{
		{{code: opJeq, jt: "missing"}, {code: opRet}},
		{{label: "back", code: opLoad}, {code: opJeq, jt: "back"}, {code: opRet}},
		{{label: "x", code: opRet}, {label: "x", code: opRet}},
		append([]insn{{code: opJeq, jt: "far"}}, append(make([]insn, 256), insn{label: "far", code: opRet})...),
	} {
		if _, err := assemble(bad); err == nil {
			t.Errorf("assembled %d instructions that should not be", len(bad))
		}
	}
}
