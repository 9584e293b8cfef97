package procfs

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// InitPidNamespace is the inode of the initial PID namespace
// (PROC_PID_INIT_INO in the kernel): the host's, the same on every
// machine.
const InitPidNamespace uint64 = 0xEFFFFFFC

// PidNamespace is the PID namespace process pid is in, by its nsfs inode
// (what stat(2) of /proc/PID/ns/pid gives, and readlink(2) shows as
// "pid:[4026531836]"). A contract is a PID namespace: a process is a
// member exactly when it is in the namespace of the contract's init.
//
// The error is readlink's, as os.Readlink makes it: users see it (ctkill).
func (fs FS) PidNamespace(pid int) (uint64, error) {
	var buf [64]byte
	return pidNamespace(fs.appendPath(buf[:0], pid, "ns/pid"))
}

// OwnPidNamespace is the PID namespace of the caller (through /proc/self,
// the caller as fs sees it).
func (fs FS) OwnPidNamespace() (uint64, error) {
	return pidNamespace([]byte(string(fs) + "/self/ns/pid"))
}

// pidNamespace reads the link at path. It is on the holder's path for
// every fork (with a namespace to check) and on ctstat's for every
// process: the path becomes a string only for an error.
func pidNamespace(path []byte) (uint64, error) {
	var buf [64]byte
	n, err := unix.Readlink(string(path), buf[:])
	if err != nil {
		return 0, &os.PathError{Op: "readlink", Path: string(path), Err: err}
	}
	ino, ok := parseNSLink(buf[:n])
	if !ok {
		return 0, fmt.Errorf("%s: link %q: %w", string(path), string(buf[:n]), ErrFormat)
	}
	return ino, nil
}

// parseNSLink reads the inode out of a PID namespace link,
// "pid:[4026531836]".
func parseNSLink(b []byte) (uint64, bool) {
	v, ok := bytes.CutPrefix(b, []byte("pid:["))
	if !ok {
		return 0, false
	}
	v, ok = bytes.CutSuffix(v, []byte("]"))
	if !ok {
		return 0, false
	}
	return decimal(v)
}

// Namespace is a PID namespace with its init, the process that is pid 1
// in it: a contract, whose id is its init's host pid. Its members are the
// processes in it other than the init.
type Namespace struct {
	Ino  uint64 // see FS.PidNamespace
	Init int    // the init's pid as the FS read shows it
}

// Namespace is the PID namespace of init (see FS.PidNamespace, also for
// the error).
func (fs FS) Namespace(init int) (Namespace, error) {
	ino, err := fs.PidNamespace(init)
	if err != nil {
		return Namespace{}, err
	}
	return Namespace{Ino: ino, Init: init}, nil
}
