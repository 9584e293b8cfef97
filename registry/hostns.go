package registry

import (
	"strings"

	"github.com/ctrun/ctrun/procfs"
)

// InHostPidNS says whether the caller sees host pids: it runs in the
// initial PID namespace. A ctrun inside a contract (or any container) does
// not, and must learn the host pids that contract ids are made of.
func InHostPidNS() bool {
	ino, err := procfs.Default.OwnPidNamespace()
	return err == nil && ino == procfs.InitPidNamespace
}

// HostPidNS is the initial PID namespace, as records name it.
func HostPidNS() uint64 { return procfs.InitPidNamespace }

// InsideContract says whether the caller runs inside a contract of a PID
// namespace of its own: the init of its namespace (pid 1 there) is a
// contract's init. Its /proc is then the contract's, while the state
// directories it sees may be the host's.
func InsideContract() bool {
	comm, err := procfs.Default.Comm(1)
	return err == nil && strings.TrimSpace(comm) == InitName
}
