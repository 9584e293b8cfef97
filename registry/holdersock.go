package registry

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// DialHolder connects to a holder's watch socket (a record's Watch) the
// careful way: the path is opened without following a symlink, must be a
// socket owned by owner (the record directory's), is connected to through
// that very descriptor, and must be served by the process pid, the
// record's holder (SO_PEERCRED). Root reading a user's record so never
// talks to a socket the user merely named.
//
// It returns nil and no error when there is nothing to talk to (no socket,
// nobody listening in time), and an error when the socket is not the
// holder's.
func DialHolder(path string, pid, owner int, deadline time.Time) (net.Conn, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, nil
	}
	if int(st.Uid) != owner {
		return nil, fmt.Errorf("watch socket %s of holder %d belongs to uid %d, not to uid %d: not connected to", path, pid, st.Uid, owner)
	}
	conn, err := (&net.Dialer{Deadline: deadline}).Dial("unix", "/proc/self/fd/"+strconv.Itoa(fd))
	if err != nil {
		return nil, nil
	}
	served, err := peerPid(conn)
	if err != nil {
		conn.Close()
		return nil, nil
	}
	if served != pid {
		conn.Close()
		return nil, fmt.Errorf("watch socket %s is served by pid %d, not by the holder %d: not connected to", path, served, pid)
	}
	return conn, nil
}

// Owner is the uid that owns the directory, -1 when it cannot be examined.
func (d Dir) Owner() int { return dirOwner(d) }

// peerPid is the pid of the process that serves the socket (SO_PEERCRED:
// the process that made the listening socket).
func peerPid(conn net.Conn) (int, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return int(cred.Pid), nil
}
