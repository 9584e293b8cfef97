package stream

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Dial connects to a holder's socket (a record's Watch) the careful way:
// the path is opened without following a symlink, must be a socket owned
// by owner (the record directory's), is connected to through that very
// descriptor, and must be served by the process holderPid, the record's
// holder (SO_PEERCRED). Root reading a user's record so never talks to a
// socket the user merely named.
//
// A holderPid of 0 stands for a holder outside the caller's PID namespace
// (inside a contract, the holder of that contract): the kernel gives such
// a peer's pid as 0, and on the host, where every process is in view, no
// peer has it.
//
// It returns nil and no error when there is nothing to talk to (no socket,
// nobody listening by deadline), and an error when the socket is not the
// holder's.
func Dial(path string, holderPid, owner int, deadline time.Time) (net.Conn, error) {
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
		return nil, fmt.Errorf("watch socket %s of holder %d belongs to uid %d, not to uid %d: not connected to", path, holderPid, st.Uid, owner)
	}
	conn, err := (&net.Dialer{Deadline: deadline}).Dial("unix", "/proc/self/fd/"+strconv.Itoa(fd))
	if err != nil {
		return nil, nil
	}
	cred, err := peerCred(conn)
	if err != nil {
		conn.Close()
		return nil, nil
	}
	if served := int(cred.Pid); served != holderPid {
		conn.Close()
		return nil, fmt.Errorf("watch socket %s is served by pid %d, not by the holder %d: not connected to", path, served, holderPid)
	}
	return conn, nil
}
