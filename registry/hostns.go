package registry

import "golang.org/x/sys/unix"

// hostPidNS is the inode of the initial PID namespace (PROC_PID_INIT_INO in
// the kernel): the same on every machine.
const hostPidNS = 0xEFFFFFFC

// InHostPidNS says whether the caller sees host pids: it runs in the
// initial PID namespace. A ctrun inside a contract (or any container) does
// not, and must learn the host pids that contract ids are made of.
func InHostPidNS() bool {
	var st unix.Stat_t
	return unix.Stat("/proc/self/ns/pid", &st) == nil && st.Ino == hostPidNS
}

// HostPidNS is the initial PID namespace, as records name it.
func HostPidNS() uint64 { return hostPidNS }
