package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
)

// capSysResource lets a process raise its hard limits.
const capSysResource = 1 << 24

// CheckInherited says why a descriptor ctrun inherited cannot be handed on
// to the command at its own number, nil when every one can. A descriptor
// opened before the limit on open files was lowered may sit at or above
// it: the contract's init raises the limit to place it there, which above
// the hard limit only a process with CAP_SYS_RESOURCE may do. Asked before
// anything is made, so that ctrun refuses in one line, not at each start.
func CheckInherited(extra []ExtraFile) error {
	var lim unix.Rlimit
	if len(extra) == 0 || unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil || lim.Max == unix.RLIM_INFINITY {
		return nil
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		if caps, ok := procfs.Hex(status, "CapEff:"); ok && caps&capSysResource != 0 {
			return nil
		}
	}
	for _, e := range extra {
		if uint64(e.Target) >= lim.Max {
			return fmt.Errorf("inherited descriptor %d cannot be handed on: it is above the hard limit on open files (%d, ulimit -Hn), which only a process with CAP_SYS_RESOURCE can raise; close it (%d>&-) or start ctrun with a higher limit", e.Target, lim.Max, e.Target)
		}
	}
	return nil
}
