package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
)

// member is one process of a contract, other than its init: Pid is its
// pid as the caller sees it (the host pid on the host, what kill(2) and
// ctrun's events use; inside a contract, its pid there), NSPid its pid
// inside its own contract (what the command itself sees).
type member struct{ procfs.Member }

func (m member) String() string { return fmt.Sprintf("%d %d %s", m.Pid, m.NSPid, m.Comm) }

// members lists the members of contract e, by pid as seen here: the processes in
// its PID namespace but its init, or, for a contract held without one, its
// init's descendants. Members of sub-contracts are not listed: they belong
// to the sub-contract, as on Solaris. Nor are zombies: they can no longer
// be signalled.
func members(e *registry.Entry) ([]member, error) {
	if err := initAlive(e); err != nil {
		return nil, err
	}
	ms := registry.Members([]*registry.Entry{e}, procfs.Options{Live: true})[e.ID]
	out := make([]member, len(ms))
	for i, m := range ms {
		out[i] = member{m}
	}
	return out, nil
}

// memberOf says whether pid (as seen here) is a member of contract e (never its
// init, nor a zombie), and describes it.
func memberOf(e *registry.Entry, pid int) (member, bool, error) {
	if err := initAlive(e); err != nil {
		return member{}, false, err
	}
	m, ok := e.Member(pid, procfs.Options{Live: true})
	return member{m}, ok, nil
}

// initAlive says why the contract's init cannot be looked at, if it cannot
// (by its pid as seen here: inside a contract, not the contract id).
func initAlive(e *registry.Entry) error {
	var err error
	if e.Inside {
		// Its namespace links are closed to an unprivileged command
		// inside (registry's view found it by what it can read).
		_, err = procfs.Default.Stat(e.InitPid())
	} else {
		_, err = procfs.Default.PidNamespace(e.InitPid())
	}
	if err != nil {
		return initError(e.ID, err)
	}
	return nil
}

// initError says why the contract's init could not be looked at.
func initError(id int, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("contract %d has ended", id)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("contract %d belongs to another user", id)
	}
	return fmt.Errorf("contract %d: %v", id, err)
}

// send signals one member, by a pidfd so that a pid reused after the
// member's death is never hit: the member is checked again once the pidfd
// pins it (a pidfd of a process that has died since only gives ESRCH).
func send(e *registry.Entry, m member, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(m.Pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// Before Linux 5.3: the check just made is all there is.
		return unix.Kill(m.Pid, sig)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, ok, err := memberOf(e, m.Pid); err != nil {
		return err
	} else if !ok {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
