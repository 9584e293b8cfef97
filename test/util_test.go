package test

import (
	"fmt"
	"syscall"
)

func fmtSscan(s string, pid *int) (int, error) { return fmt.Sscanf(s, "process %d", pid) }

func syscallKill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
