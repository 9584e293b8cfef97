package registry

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// verify refuses a live record whose contract could not be what it
// claims. Read has checked the file's owner, but everything inside is the
// writer's word: a user's record naming root's or another user's process
// (to have root signal it as the user's contract), or naming a shell (whose
// PID namespace is the host's: "members" would be every process), must
// never be acted on. A contract's init is a process of the directory's
// owner, named InitName, with a PID namespace of its own (unless the
// record says the contract is held without one: Record.Subtree). selfNS is
// the caller's PID namespace inode. Inside a contract, the init is judged
// by its pid there (Entry.InitPid).
func (e *Entry) verify(owner int, selfNS uint64) error {
	path := e.Dir.Path(e.ID)
	if owner >= 0 && e.UID != owner {
		return fmt.Errorf("record %s claims creator uid %d but its directory belongs to uid %d: refusing it", path, e.UID, owner)
	}
	pid := e.InitPid()
	uid, err := procfs.Default.Owner(pid)
	if err != nil {
		return nil // gone meanwhile: judged dead next time
	}
	if owner >= 0 && uid != owner {
		return fmt.Errorf("record %s names as the contract's init pid %d, a process of uid %d, not of the directory's owner %d: refusing it", path, pid, uid, owner)
	}
	if comm, err := procfs.Default.Comm(pid); err == nil {
		comm = strings.TrimSpace(comm)
		if !isInitName(comm) {
			if starting(pid) {
				return errStarting
			}
			return fmt.Errorf("record %s names as the contract's init pid %d, which is no contract init (%q): refusing it", path, pid, comm)
		}
	}
	if e.Inside {
		// The view found the init as pid 1 of the record's namespace
		// (see view.find; its namespace links may be closed to the
		// caller).
		e.PidNSIno = e.Init.NS
		return nil
	}
	ns, err := procfs.Default.PidNamespace(pid)
	if err != nil {
		return nil // not ours to see
	}
	if e.Subtree() {
		// Held without a PID namespace of its own (a container, a host
		// refusing namespaces): its init shares the caller's. Its members
		// are its descendants, which only its owner's processes can be.
		return nil
	}
	if selfNS != 0 && ns == selfNS {
		return fmt.Errorf("record %s names as the contract's init pid %d, a process without a PID namespace of its own: refusing it", path, pid)
	}
	e.PidNSIno = ns
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
	age, err := procfs.Default.Age(pid)
	return err == nil && age < startGrace
}

// isInitName says whether comm is a contract init's name. While it tells
// a holder in another PID namespace its host pid, an init is briefly named
// wire.NoncePrefix and that pid in hex (runtime/cinit/cinit.c, wait_go).
func isInitName(comm string) bool {
	return comm == InitName || strings.HasPrefix(comm, wire.NoncePrefix)
}
