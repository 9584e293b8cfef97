package stream

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// Both ends of the socket ask the kernel who is at the other end
// (SO_PEERCRED) rather than trust what anybody says: a reader checks that
// the socket is served by the holder it means to talk to, and the server
// grants reliable delivery to root only.

// peerCred is the credentials of the process at the other end of conn:
// for a client, the process that made the listening socket; for the
// server, the process that connected.
func peerCred(conn net.Conn) (*unix.Ucred, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	return cred, nil
}

// peerIsRoot: only root may ask for delivery without loss (it costs the
// holder memory without bound).
func peerIsRoot(conn net.Conn) bool {
	cred, err := peerCred(conn)
	return err == nil && cred.Uid == 0
}
