package procfs

import "strconv"

// FS is a proc file system, named by the directory it is mounted on. Its
// pids are numbers in the PID namespace it was mounted for: host pids in
// the host's /proc. Tests point it at a directory laid out the same way.
type FS string

// Default is the caller's own /proc.
const Default FS = "/proc"

// appendPath appends the path of file name of process pid ("" for the
// process's own directory) to b.
func (fs FS) appendPath(b []byte, pid int, name string) []byte {
	b = append(b, fs...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(pid), 10)
	if name != "" {
		b = append(b, '/')
		b = append(b, name...)
	}
	return b
}

// path is the path of file name of process pid ("" for its directory).
func (fs FS) path(pid int, name string) string {
	var buf [64]byte
	return string(fs.appendPath(buf[:0], pid, name))
}
