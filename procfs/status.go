package procfs

import "bytes"

// State is a process's state letter, as status and stat give it ('R',
// 'S', 'D', 'Z', ...).
type State byte

// Exited says whether the process has exited and only waits to be reaped
// (a zombie, Z) or is being reaped (X): it runs no more and can no longer
// be signalled.
func (s State) Exited() bool { return s == 'Z' || s == 'X' }

// Status is what is read of /proc/PID/status: the lines its readers use,
// up to the NSpgid line, where parsing stops. Its slices alias the bytes
// parsed.
type Status struct {
	// Name is the Name line's value as the kernel writes it (a newline or
	// a backslash in the name escaped); nil when there is no Name line.
	Name []byte
	// State is the state letter (0 when there is no State line).
	State State
	// Uid are the real, effective, saved and file system uids.
	Uid Fields
	// NSPid is the process's pid in each PID namespace it is in, from the
	// namespace of the /proc read (field 0: the host pid in the host's
	// /proc) down to its own, innermost one (Last). For a member of a
	// contract read from the host's /proc, field 1 is its pid in the
	// contract.
	NSPid Fields
	// NSPgid is its process group, field by field as NSPid; nil when
	// there is no NSpgid line.
	NSPgid Fields
}

// ParseStatus reads a status file. It allocates nothing: events parse the
// status of every process a contract starts.
func ParseStatus(b []byte) Status {
	var st Status
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		switch {
		case bytes.HasPrefix(line, []byte("Name:")):
			v := line[len("Name:"):]
			if len(v) > 0 && v[0] == '\t' {
				v = v[1:]
			}
			st.Name = v
		case bytes.HasPrefix(line, []byte("State:")):
			if f, _ := nextField(line[len("State:"):]); len(f) > 0 {
				st.State = State(f[0])
			}
		case bytes.HasPrefix(line, []byte("Uid:")):
			st.Uid = Fields(line[len("Uid:"):])
		case bytes.HasPrefix(line, []byte("NSpid:")):
			st.NSPid = Fields(line[len("NSpid:"):])
		case bytes.HasPrefix(line, []byte("NSpgid:")):
			st.NSPgid = Fields(line[len("NSpgid:"):])
			return st // the last line wanted
		}
	}
	return st
}

// Status reads and parses the status file of process pid into s (see
// FS.Read, also for the error); the result is valid until s is used again.
// Once s has grown to fit, it allocates nothing but the copy of the path
// golang.org/x/sys makes.
func (fs FS) Status(pid int, s *Scratch) (Status, error) {
	b, err := fs.Read(pid, "status", s)
	if err != nil {
		return Status{}, err
	}
	return ParseStatus(b), nil
}

// Fields are the values of a status line: decimal numbers separated by
// tabs or spaces.
type Fields []byte

// Last is the index of the last field: in NSPid, the pid in the process's
// own, innermost PID namespace.
const Last = -1

// At is field i (from 0; Last for the last one), if there is one and it is
// a decimal number.
func (f Fields) At(i int) (int, bool) {
	rest := []byte(f)
	var field []byte
	for k := 0; i == Last || k <= i; k++ {
		next, r := nextField(rest)
		if next == nil {
			if i != Last {
				return 0, false
			}
			break
		}
		field, rest = next, r
	}
	v, ok := decimal(field)
	return int(v), ok
}
