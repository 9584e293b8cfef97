package holder

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// openEventLog opens -E's file. A name for one of ctrun's own descriptors
// (/dev/fd/N, /dev/stdout, /dev/stderr, /proc/self/fd/N) is that
// descriptor, duplicated: opening the path anew would make a second open
// file with its own offset (and, with O_TRUNC, wipe what the command wrote
// before), so that ctrun -E /dev/fd/1 cmd > out overwrote the command's
// output. Anything else is opened for appending, created if need be and
// never truncated: each line then lands at the end of the file, after
// whatever the command or another writer put there.
//
// The reporter writes each JSON line with one write(2), so a line is never
// split by the command's own writes to the same file.
func openEventLog(name string) (*os.File, error) {
	if fd, ok := ownDescriptor(name); ok {
		return dupForWriting(name, fd)
	}
	// Opened without blocking, so that a FIFO nobody reads is refused
	// (ENXIO) rather than waited on before the contract is even made;
	// then blocking again, so that a slow reader is waited for rather
	// than its log dropped at the first full pipe.
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, fmt.Errorf("event log: %w", err)
	}
	return f, nil
}

// ownDescriptor says which of ctrun's descriptors name stands for, if any.
func ownDescriptor(name string) (int, bool) {
	switch name {
	case "/dev/stdin":
		return 0, true
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if n, ok := strings.CutPrefix(name, dir); ok {
			fd, err := strconv.Atoi(n)
			if err == nil && fd >= 0 && n == strconv.Itoa(fd) {
				return fd, true
			}
		}
	}
	return 0, false
}

// dupForWriting duplicates fd (close-on-exec: the contract does not get
// it twice), refusing one that is not open, or not open for writing.
func dupForWriting(name string, fd int) (*os.File, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, fmt.Errorf("event log %s: descriptor %d is not open", name, fd)
	}
	if mode := flags & unix.O_ACCMODE; mode != unix.O_WRONLY && mode != unix.O_RDWR {
		return nil, fmt.Errorf("event log %s: descriptor %d is not open for writing", name, fd)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("event log %s: duplicate descriptor %d: %w", name, fd, err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}
