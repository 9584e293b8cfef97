package runtime

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A limit libcontainer ran into, at the end of its chain of steps or only
// in words from its C stages, is told as the limit; anything else is
// passed on as it is.
func TestExplainLimits(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string // a part of the explanation; "" for the error unchanged
	}{
		{fmt.Errorf("unable to start container process: unable to start init: %w", &os.PathError{Op: "fork/exec", Path: "/proc/self/fd/12", Err: unix.EMFILE}), "too many open files: the limit on open files (ulimit -Hn, "},
		{errors.New("nsexec-1[42]: failed to clone stage-2: Too many open files"), "too many open files: the limit"},
		{fmt.Errorf("unable to start init: %w", &os.PathError{Op: "fork/exec", Path: "/proc/self/fd/12", Err: unix.EBADF}), "too many open files: the limit"},
		{fmt.Errorf("start contract instance: %w", &os.SyscallError{Syscall: "clone", Err: unix.EAGAIN}), "the limit on processes is reached"},
		{errors.New("nsexec-0[7]: unable to clone: Resource temporarily unavailable"), "the limit on processes is reached"},
		{fmt.Errorf("read state: %w", unix.EAGAIN), ""},
		{errors.New("some other failure"), ""},
	} {
		got := explain(tc.err).Error()
		if tc.want == "" {
			if got != tc.err.Error() {
				t.Errorf("explain(%q) = %q; want it unchanged", tc.err, got)
			}
			continue
		}
		if !strings.Contains(got, tc.want) || strings.Contains(got, "nsexec") || strings.Contains(got, "fork/exec") {
			t.Errorf("explain(%q) = %q; want %q, without libcontainer's chain", tc.err, got, tc.want)
		}
	}
}
