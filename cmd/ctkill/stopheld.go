package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/stream"
)

// throughHolder asks the contract's holder for the stop, and waits for it
// to be carried out. The holder is asked the way a user asks ctrun: the
// stop signal itself, sent to the holder process through a pidfd (so that
// a pid reused since the record was read is never hit). That needs nothing
// new of the holder, which already takes the signal for a user stop (the
// signal to the command, then to every member, its grace, no restart),
// and it can only ever reach the one contract that holder holds: the
// holder of an inherited contract is gone (the contract is then stopped
// directly), so a regent's holder is never asked to stop anything but its
// own contract.
//
// It returns left when the holder has gone while members are left (a
// holder with lifetime child returns once the command has exited): the
// stop is then ctkill's to finish.
func (s *stopper) throughHolder(e *registry.Entry) (left bool, err error) {
	h, err := openHolder(e, s.sig)
	if err != nil {
		return false, err
	}
	if h < 0 {
		return true, nil // gone meanwhile: ask again who holds it
	}
	defer unix.Close(h)
	if err := unix.PidfdSendSignal(h, s.sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return true, nil
		}
		return false, failf("contract %d: signal its holder, ctrun pid %d: %v", s.id, e.Holder.Pid, err)
	}
	holderGrace, ok := e.StopGrace()
	if !ok {
		holderGrace = s.grace
	}
	// The holder kills what is left after its own grace; ctkill's, when
	// the environment makes it shorter, is ctkill's to keep.
	ownKill := s.graceSet && s.grace < holderGrace
	deadline := s.deadline(holderGrace)
	for {
		wait := until(deadline)
		if ownKill {
			wait = min(wait, until(s.killAt()))
		}
		ready, err := pollFDs([]int{h, s.init}, wait)
		if err != nil {
			return false, failf("contract %d: wait for its holder: %v", s.id, err)
		}
		switch {
		case ready[0]:
			// The holder returned. It does once the contract is empty,
			// unless it let go of it before (lifetime child).
			return s.leftBehind(e), nil
		case ready[1]:
			// Empty. The holder cleans up and returns: give it a
			// moment, so that what the caller looks at next is tidy;
			// unless it is PID 1 of ctkill's own PID namespace (a
			// container's entrypoint), whose end would end ctkill too.
			if e.Holder.Pid != 1 {
				pollFDs([]int{h}, min(until(deadline), time.Second))
			}
			return false, nil
		case ownKill && !time.Now().Before(s.killAt()):
			ownKill = false
			// The holder took the stop: an outside kill is no fatal
			// event for it any more.
			_ = runtime.KillAll(e.Dir.EndpointPath(s.id), unix.SIGKILL)
		case !time.Now().Before(deadline):
			return false, s.notEmpty(fmt.Sprintf("its holder, ctrun pid %d, has not ended it", e.Holder.Pid))
		}
	}
}

// leftBehind says whether members are left in a contract whose holder has
// returned; with none left, it waits a little for the init to go.
func (s *stopper) leftBehind(e *registry.Entry) bool {
	if s.ended() {
		return false
	}
	if len(registry.Members([]*registry.Entry{e}, procfs.Options{Live: true})[e.ID]) > 0 {
		return true
	}
	s.waitInit(time.Second)
	return false
}

// openHolder pins the contract's holder with a pidfd (-1: it has gone),
// once it is known to be the process the record names (same start time)
// and to run as the owner of the record: a user's record naming another
// user's process must never have root signal that process. A holder
// started with the signal ignored (nohup ctrun ...) would never see it:
// that is refused with the reason.
func openHolder(e *registry.Entry, sig unix.Signal) (int, error) {
	pid := e.Holder.Pid
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return -1, nil
	}
	if err != nil {
		return -1, failf("contract %d: its holder, ctrun pid %d: %v", e.ID, pid, err)
	}
	if !e.Holder.Alive() {
		unix.Close(fd)
		return -1, nil
	}
	var sc procfs.Scratch
	b, err := procfs.Default.Read(pid, "status", &sc)
	if err != nil {
		unix.Close(fd)
		return -1, nil // gone
	}
	st := procfs.ParseStatus(b)
	uid, ok := st.Uid.At(0)
	owner := e.Dir.Owner()
	switch {
	case ok && uid == owner && (owner == os.Geteuid() || os.Geteuid() == 0):
	case ok && uid == 0 && os.Geteuid() != 0:
		unix.Close(fd)
		return -1, failf("contract %d is held by ctrun pid %d, which runs as root (it adopted the contract): only root can stop it", e.ID, pid)
	case ok && uid == 0 && rootHolder(pid):
		// Root adopted a user's contract (ctrun -a).
	default:
		unix.Close(fd)
		return -1, failf("contract %d: its record names as holder pid %d, which is not its owner's ctrun: refusing to signal it", e.ID, pid)
	}
	if ign, ok := procfs.Hex(b, "SigIgn:"); ok && ign&(1<<(uint(sig)-1)) != 0 {
		unix.Close(fd)
		return -1, failf("contract %d: its holder, ctrun pid %d, ignores %s (it was started with it ignored): ask with another signal, e.g. -s TERM", e.ID, pid, signalName(sig))
	}
	return fd, nil
}

// rootHolder says whether root's process pid is a holder: it serves a
// holder's event socket, named for it, in root's own state directory. A
// user's record naming a root process as its holder (root adopts users'
// contracts with ctrun -a) is believed only so: no user can put a socket
// there, nor have pid serve one.
func rootHolder(pid int) bool {
	state, err := registry.StateDir()
	if err != nil {
		return false
	}
	conn, err := stream.Dial(stream.SocketPath(state, pid), pid, 0, time.Now().Add(time.Second))
	if err != nil || conn == nil {
		return false
	}
	conn.Close()
	return true
}
