//go:build ctrun_testhooks

package testhook

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Reached kills the holder, or the init (initPid, when known), if KillEnv
// names point; stops the holder if StopEnv does.
func Reached(point string, initPid int) {
	if os.Getenv(StopEnv) == point {
		_ = unix.Kill(os.Getpid(), unix.SIGTERM)
		// Let the signal reach the holder's relay before it goes on.
		time.Sleep(50 * time.Millisecond)
	}
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
