package runtime

import (
	"os"
	"strconv"
	"strings"
)

// WarmCgroups moves the caller into the cgroup it is already in, in the
// background, so that starting a contract does not wait for it.
//
// The first write to a cgroup v1 cgroup.procs after a quiet spell waits for
// an RCU grace period (percpu_down_write on the cgroup thread-group lock):
// from 0.1 to 30 ms here. Once one writer has paid, the lock stays in its
// slow mode for a while and the contract's own join is quick. The move is a
// no-op: the process stays where it is.
func WarmCgroups() {
	if os.Geteuid() != 0 {
		return
	}
	go func() {
		b, err := os.ReadFile("/proc/self/cgroup")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.SplitN(line, ":", 3)
			if len(f) == 3 && f[1] == "pids" {
				procs := "/sys/fs/cgroup/pids" + f[2] + "/cgroup.procs"
				_ = os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0)
				return
			}
		}
	}()
}
