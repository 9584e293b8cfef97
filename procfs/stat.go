package procfs

import (
	"bytes"
	"fmt"
)

// Stat is what is read of /proc/PID/stat.
type Stat struct {
	// Comm is the process's name (field 2).
	Comm  string
	State State
	// PPid is its parent's pid (field 4).
	PPid int
	// Pgrp is its process group (field 5): whether it is in a terminal's
	// foreground.
	Pgrp int
	// Flags are the kernel's PF_* flags of the process (field 9).
	Flags uint64
	// Threads is how many threads it has (field 20): a zombie whose
	// other threads still run has more than one.
	Threads int
	// StartTime is when the process started, in clock ticks (USER_HZ)
	// since boot (field 22): with the pid, it names a process beyond pid
	// reuse.
	StartTime uint64
}

// PFExiting is the flag of a process on its way out (PF_EXITING).
const PFExiting = 0x4

// Stat reads process pid's name, state, parent, group, flags and start
// time.
func (fs FS) Stat(pid int) (Stat, error) {
	path := fs.path(pid, "stat")
	var buf [1024]byte // up to starttime (field 22) the line is far shorter
	b, err := ReadSmall(path, buf[:])
	if err != nil {
		return Stat{}, err
	}
	st, ok := parseStat(b)
	if !ok {
		return Stat{}, fmt.Errorf("%s: %w", path, ErrFormat)
	}
	return st, nil
}

// parseStat reads a stat line. The name (field 2) is in parentheses and
// may hold anything, parentheses and spaces included: the fields are
// counted from the last ')'.
func parseStat(b []byte) (Stat, bool) {
	i := bytes.LastIndexByte(b, ')')
	open := bytes.IndexByte(b, '(')
	if i < 0 || open < 0 || open > i {
		return Stat{}, false
	}
	st := Stat{Comm: string(b[open+1 : i])}
	rest := b[i+1:]
	for n := 3; n <= 22; n++ {
		var f []byte
		f, rest = nextField(rest)
		if f == nil {
			return Stat{}, false
		}
		var ok bool
		switch n {
		case 3:
			st.State, ok = State(f[0]), true
		case 4:
			var v uint64
			v, ok = decimal(f)
			st.PPid = int(v)
		case 5:
			var v uint64
			v, ok = decimal(f)
			st.Pgrp = int(v)
		case 9:
			st.Flags, ok = decimal(f)
		case 20:
			var v uint64
			v, ok = decimal(f)
			st.Threads = int(v)
		case 22:
			st.StartTime, ok = decimal(f)
		default:
			ok = true
		}
		if !ok {
			return Stat{}, false
		}
	}
	return st, true
}
