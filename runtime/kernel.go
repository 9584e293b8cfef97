package runtime

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PidfdExitInfo says whether the kernel gives a process's exit status to
// any holder of its pidfd, also once its parent has reaped it
// (PIDFD_INFO_EXIT, Linux 6.15): the init then learns the status of a
// member reaped by its own parent.
func PidfdExitInfo() bool { return kernelAtLeast(6, 15) }

// kernelAtLeast says whether the running kernel is major.minor or later.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	release := unix.ByteSliceToString(u.Release[:])
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(f[0])
	mi, _ := strconv.Atoi(f[1])
	return ma > major || (ma == major && mi >= minor)
}
