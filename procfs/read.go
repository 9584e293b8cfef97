package procfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReadSmall reads the small file path (a /proc file) into buf with plain
// system calls: ctstat reads a few files for every contract and every
// process, and os.ReadFile costs twice the calls (stat for the size,
// non-blocking set-up) and an allocation each. A file longer than buf is
// cut short.
func ReadSmall(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}

// Scratch is the buffer FS.Read reads into, kept by its caller between
// calls: the holder reads a file for every process a contract starts, and
// with a Scratch that has grown to fit, a read allocates nothing for the
// contents (only the copy of the path golang.org/x/sys makes for the
// system call). The zero value is ready for use.
type Scratch struct {
	buf  []byte
	path []byte
}

// Read reads file name of process pid whole into s and returns it; the
// result is valid until s is used again. A status file with a very long
// Groups line is read to its end all the same.
//
// The error is the bare errno (the caller knows which file it asked for):
// on the holder's hot path a process gone already is common, and its
// error is dropped, so making it costs no allocation either.
func (fs FS) Read(pid int, name string, s *Scratch) ([]byte, error) {
	s.path = fs.appendPath(s.path[:0], pid, name)
	fd, err := unix.Open(string(s.path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if s.buf == nil {
		s.buf = make([]byte, 4096)
	}
	n := 0
	for {
		if n == len(s.buf) {
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
		space := len(s.buf) - n
		r, err := unix.Read(fd, s.buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		n += r
		// These files are made whole by the kernel: a read that did not
		// fill the buffer reached the end, and a second one is saved.
		if r < space {
			break
		}
	}
	return s.buf[:n], nil
}
