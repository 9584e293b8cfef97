package runtime

import (
	"os"
	"path/filepath"
	"strconv"
)

// WarmCgroups moves the caller into the cgroup it is already in, in the
// background, so that starting a contract does not wait for it.
//
// The first write to a cgroup v1 cgroup.procs after a quiet spell waits for
// an RCU grace period (percpu_down_write on the cgroup thread-group lock):
// from 0.1 to 30 ms here. Once one writer has paid, the lock stays in its
// slow mode for a while and the contract's own join is quick. The move is a
// no-op: the process stays where it is. Only where contracts get cgroups:
// Probe found a v1 pids cgroup of ctrun's own, writable, and namespaces.
func (e Environment) WarmCgroups() {
	if e.pidsCgroup == "" || !e.Namespaces {
		return
	}
	go func() {
		_ = os.WriteFile(filepath.Join(e.pidsCgroup, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0)
	}()
}
