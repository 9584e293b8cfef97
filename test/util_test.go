package test

import (
	"fmt"
	"syscall"
)

func fmtSscan(s string, pid *int) (int, error) { return fmt.Sscanf(s, "process %d", pid) }

func syscallKill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

func itoa(i int) string { return fmt.Sprint(i) }

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func sigName(s syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT", syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR1: "SIGUSR1", syscall.SIGBUS: "SIGBUS"}
	return names[s]
}
