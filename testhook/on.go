//go:build ctrun_testhooks

package testhook

import (
	"fmt"
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
		if initPid > 0 && unix.Kill(initPid, unix.SIGKILL) == nil {
			// The test checks that the point was reached.
			fmt.Fprintf(os.Stderr, "ctrun testhook: %s: init %d killed\n", point, initPid)
		}
	}
}
