package registry

import "github.com/ctrun/ctrun/procfs"

// InHostPidNS says whether the caller sees host pids: it runs in the
// initial PID namespace. A ctrun inside a contract (or any container) does
// not, and must learn the host pids that contract ids are made of.
func InHostPidNS() bool {
	ino, err := procfs.Default.OwnPidNamespace()
	return err == nil && ino == procfs.InitPidNamespace
}

// HostPidNS is the initial PID namespace, as records name it.
func HostPidNS() uint64 { return procfs.InitPidNamespace }
