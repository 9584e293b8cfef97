package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
)

// member is one process of a contract, other than its init: Pid is its
// host pid (what kill(2) and ctrun's events use), NSPid its pid inside the
// contract (what the command itself sees).
type member struct{ procfs.Member }

func (m member) String() string { return fmt.Sprintf("%d %d %s", m.Pid, m.NSPid, m.Comm) }

// namespace is the PID namespace of contract id (whose init is host pid
// id): a process is a member exactly when it is in it.
func namespace(id int) (procfs.Namespace, error) {
	ns, err := procfs.Default.Namespace(id)
	if err != nil {
		return ns, initError(id, err)
	}
	return ns, nil
}

// members lists the members of contract id, by host pid. Members of
// sub-contracts live in namespaces of their own and are not listed: they
// belong to the sub-contract, as on Solaris. Nor are zombies: they can no
// longer be signalled.
func members(id int) ([]member, error) {
	ns, err := namespace(id)
	if err != nil {
		return nil, err
	}
	ms, err := procfs.Default.Members(ns, procfs.Options{Live: true})
	if err != nil {
		return nil, err
	}
	out := make([]member, len(ms))
	for i, m := range ms {
		out[i] = member{m}
	}
	return out, nil
}

// memberOf says whether host pid is a member of contract id (never its
// init, nor a zombie), and describes it.
func memberOf(id, pid int) (member, bool, error) {
	ns, err := namespace(id)
	if err != nil {
		return member{}, false, err
	}
	m, ok := procfs.Default.Member(ns, pid, procfs.Options{Live: true})
	return member{m}, ok, nil
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
func send(id int, m member, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(m.Pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// Before Linux 5.3: the check just made is all there is.
		return unix.Kill(m.Pid, sig)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, ok, err := memberOf(id, m.Pid); err != nil {
		return err
	} else if !ok {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
