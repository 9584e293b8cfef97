//go:build ctrun_testhooks

package testhook

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Reached kills the holder, or the init (initPid, when known), if KillEnv
// names point.
func Reached(point string, initPid int) {
	switch os.Getenv(KillEnv) {
	case point:
		_ = unix.Kill(os.Getpid(), unix.SIGKILL)
		// SIGKILL to oneself is delivered on the way out of the kernel;
		// nothing after this line may run.
		for {
			time.Sleep(time.Hour)
		}
	case point + InitTarget:
		if initPid > 0 {
			_ = unix.Kill(initPid, unix.SIGKILL)
		}
	}
}
