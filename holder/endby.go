package holder

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// endBy ends ctrun by sig, the way the command was ended, without a core
// dump (SIGQUIT's default action dumps one): a shell that runs ctrun in a
// loop sees the interrupt and stops, as it would without ctrun. Go's own
// handlers are set aside first (its SIGQUIT handler prints goroutines and
// exits 2). The signal cannot end a PID 1, which ignores what it has no
// handler for: ctrun then exits as a shell reports such a death, 128+sig.
func endBy(sig unix.Signal, code int) int {
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	// struct kernel_sigaction: handler, flags, restorer, mask.
	var dfl [4]uintptr // SIG_DFL is 0
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	var set unix.Sigset_t
	set.Val[0] = 1 << (uint(sig) - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	_ = unix.Kill(os.Getpid(), sig)
	// Delivered at once to a process that can be ended by it; a PID 1
	// goes on.
	time.Sleep(50 * time.Millisecond)
	if code == 0 || code == ExitSignaled {
		code = 128 + int(sig)
	}
	return code
}
