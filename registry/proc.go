package registry

import (
	"golang.org/x/sys/unix"
)

// procRead reads the small file path (a /proc file) into buf with plain
// system calls: ctstat reads a few files for every contract and every
// process, and os.ReadFile costs twice the calls (stat for the size,
// non-blocking set-up) and an allocation each. A file longer than buf is
// cut short.
func procRead(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}
