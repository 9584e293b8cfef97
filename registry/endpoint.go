package registry

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// held asks contract id's init, through its endpoint, whether a holder
// holds the contract: from inside a contract the holder of the caller's
// own contract runs outside the caller's view, and only the init, which
// keeps the holder's control socket, can tell. The socket must be served
// by initPid, the init as the caller sees it (SO_PEERCRED gives the pid in
// the caller's namespace): a socket put in the init's place answers
// nothing. (runtime has the same client for the holder, but runtime
// depends on registry, not the other way round.)
func (d Dir) held(id, initPid int) (bool, error) {
	path := d.EndpointPath(id)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return false, fmt.Errorf("contract endpoint %s: %w", path, err)
	}
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return false, fmt.Errorf("contract endpoint %s: %w", path, err)
	}
	if int(cred.Pid) != initPid {
		return false, fmt.Errorf("contract endpoint %s is served by pid %d, not by the contract's init %d", path, cred.Pid, initPid)
	}
	tv := unix.NsecToTimeval(int64(time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Sendmsg(fd, wire.Ping{}.Message().Encode(), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return false, fmt.Errorf("contract endpoint %s: %w", path, err)
	}
	buf := make([]byte, 256)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil || n == 0 {
		return false, fmt.Errorf("contract endpoint %s: no answer (%v)", path, err)
	}
	m, err := wire.DecodeMessage(buf[:n])
	if err != nil {
		return false, err
	}
	p, err := wire.DecodePingReply(m)
	return p.Held, err
}
