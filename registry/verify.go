package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// verify refuses a live record whose contract could not be what it
// claims. Read has checked the file's owner, but everything inside is the
// writer's word: a user's record naming root's or another user's process
// (to have root signal it as the user's contract), or naming a shell (whose
// PID namespace is the host's: "members" would be every process), must
// never be acted on. A contract's init is a process of the directory's
// owner, named InitName, with a PID namespace of its own. selfNS is the
// caller's PID namespace inode.
func (e *Entry) verify(owner int, selfNS uint64) error {
	path := e.Dir.Path(e.ID)
	if owner >= 0 && e.UID != owner {
		return fmt.Errorf("record %s claims creator uid %d but its directory belongs to uid %d: refusing it", path, e.UID, owner)
	}
	proc := "/proc/" + strconv.Itoa(e.ID)
	var st unix.Stat_t
	if err := unix.Stat(proc, &st); err != nil {
		return nil // gone meanwhile: judged dead next time
	}
	if owner >= 0 && int(st.Uid) != owner {
		return fmt.Errorf("record %s names as the contract's init pid %d, a process of uid %d, not of the directory's owner %d: refusing it", path, e.ID, st.Uid, owner)
	}
	var buf [64]byte
	if b, err := procRead(proc+"/comm", buf[:]); err == nil {
		comm := strings.TrimSpace(string(b))
		if !isInitName(comm) {
			if starting(e.ID) {
				return errStarting
			}
			return fmt.Errorf("record %s names as the contract's init pid %d, which is no contract init (%q): refusing it", path, e.ID, comm)
		}
	}
	var ns unix.Stat_t
	if unix.Stat(proc+"/ns/pid", &ns) != nil {
		return nil // not ours to see
	}
	if selfNS != 0 && ns.Ino == selfNS {
		return fmt.Errorf("record %s names as the contract's init pid %d, a process without a PID namespace of its own: refusing it", path, e.ID)
	}
	e.PidNSIno = ns.Ino
	return nil
}

// errStarting: the record's init is not yet named as one; it may be a
// contract starting (see starting). Such a record is neither listed nor
// acted on, and no warning is given.
var errStarting = errors.New("contract starting")

// startGrace is how long a contract's init may go without its name: the
// holder writes the record while the init still execs ours, a few
// milliseconds, more on a machine under load.
const startGrace = 5 * time.Second

// starting says whether pid may be a contract's init on its way to naming
// itself (libcontainer's stage "runc:[2:INIT]", then, once that has exec'd
// our init, the binary's own name until the init renames itself): a young
// process. A forged record naming one is only left out a little longer
// before it is refused.
func starting(pid int) bool {
	age, err := processAge(pid)
	return err == nil && age < startGrace
}

// processAge is how long pid has run (from its start time in clock ticks
// since boot, and the machine's uptime).
func processAge(pid int) (time.Duration, error) {
	st, err := StartTime(pid)
	if err != nil {
		return 0, err
	}
	var buf [64]byte
	b, err := procRead("/proc/uptime", buf[:])
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("parse /proc/uptime")
	}
	up, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, err
	}
	// USER_HZ, the unit of start times, is 100 on every Linux.
	return time.Duration(up*float64(time.Second)) - time.Duration(st)*(time.Second/100), nil
}

// isInitName says whether comm is a contract init's name. While it tells
// a holder in another PID namespace its host pid, an init is briefly named
// "ctn-" and that pid in hex (cinit.c, wait_go).
func isInitName(comm string) bool {
	return comm == InitName || strings.HasPrefix(comm, "ctn-")
}

// dirOwner is the uid that owns d, or -1 when d cannot be examined.
func dirOwner(d Dir) int {
	var st unix.Stat_t
	if unix.Lstat(string(d), &st) != nil {
		return -1
	}
	return int(st.Uid)
}
