package runtime

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// A contract's endpoint is a socket its init listens on (protocol.h):
// anyone who may reach it (the owner, root) can signal every member at once
// or take an orphaned contract over.

// ErrHeld is returned when adopting a contract that has a holder.
var ErrHeld = errors.New("the contract has a holder")

// dialEndpoint connects to a contract's endpoint.
func dialEndpoint(path string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return -1, fmt.Errorf("contract endpoint %s: %w (it is another user's contract)", path, os.ErrPermission)
		}
		return -1, fmt.Errorf("contract endpoint %s: %w", path, err)
	}
	// A live init answers at once; never hang on a stale socket.
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd, nil
}

func request(fd int, m wire.Typed) (wire.Message, error) {
	if err := unix.Sendmsg(fd, m.Message().Encode(), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return wire.Message{}, err
	}
	buf := make([]byte, 256)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return wire.Message{}, err
	}
	if n == 0 {
		return wire.Message{}, ErrInitGone
	}
	return wire.DecodeMessage(buf[:n])
}

// KillAll has the contract's init send sig to every member at once
// (kill(-1) inside the contract: no member forked during the pass escapes).
func KillAll(endpoint string, sig unix.Signal) error {
	fd, err := dialEndpoint(endpoint)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	r, err := request(fd, wire.KillAll{Sig: sig, Requester: os.Getpid()})
	if err == nil {
		err = wire.DecodeKillAllReply(r)
	}
	if err != nil {
		return fmt.Errorf("signal contract: %w", err)
	}
	return nil
}

// Held asks the contract's init whether a holder holds the contract.
func Held(endpoint string) (bool, error) {
	fd, err := dialEndpoint(endpoint)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	r, err := request(fd, wire.Ping{})
	if err != nil {
		return false, err
	}
	p, err := wire.DecodePingReply(r)
	return p.Held, err
}
