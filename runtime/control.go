package runtime

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// control is the holder's side of a contract's init, the same whatever
// made the instance: the control socket (created: a socket pair handed to
// the init at its start; adopted: the connection to its endpoint) and the
// init's pid. Every kind of instance embeds it.
type control struct {
	file    *os.File
	initPid int
	// letGo: abandon ran; endedHeld is what it found.
	letGo     bool
	endedHeld bool
}

// InitPid is the host pid of the contract's init: the contract's id.
func (c *control) InitPid() int { return c.initPid }

// ControlFD is the holder's end of the control socket, for polling.
func (c *control) ControlFD() int { return int(c.file.Fd()) }

// ErrInitGone is returned by Recv once the init has closed its end.
var ErrInitGone = errors.New("contract init is gone")

// Recv reads one message from the init, and the pid its credentials name
// (0 without: see PassCredentials). Without block it returns unix.EAGAIN
// when none is waiting. Messages from the init about a signal are always
// in the socket before the signal can take effect, so a reader that drains
// it before looking at a death sees every such message.
func (c *control) Recv(block bool, buf []byte) (wire.Message, int, error) {
	flags := unix.MSG_DONTWAIT
	if block {
		flags = 0
	}
	var oob [64]byte
	for {
		n, oobn, _, _, err := unix.Recvmsg(c.ControlFD(), buf, oob[:], flags)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return wire.Message{}, 0, err
		}
		if n == 0 {
			return wire.Message{}, 0, ErrInitGone
		}
		m, err := wire.DecodeMessage(buf[:n])
		return m, credPid(oob[:oobn]), err
	}
}

// credPid is the pid of the SCM_CREDENTIALS in oob, 0 if none.
func credPid(oob []byte) int {
	if len(oob) == 0 {
		return 0
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			return int(cred.Pid)
		}
	}
	return 0
}

// passCredentials has the kernel pass the sender's credentials with each
// message: an init in a PID namespace of its own names a member in them,
// translated into the holder's pids (wire.Proc).
func (c *control) passCredentials() error {
	if err := unix.SetsockoptInt(c.ControlFD(), unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return fmt.Errorf("control socket credentials: %w", err)
	}
	return nil
}

// Send sends the init a message.
func (c *control) Send(m wire.Message) error {
	if err := unix.Sendmsg(c.ControlFD(), m.Encode(), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("tell contract %d: %w", c.initPid, err)
	}
	return nil
}

// Signal asks the init to send sig to the given scope (wire.Scope*).
func (c *control) Signal(sig unix.Signal, scope int, target int) error {
	return c.Send(wire.Signal{Sig: sig, Scope: scope, Target: target}.Message())
}

// PidNamespace identifies the contract's PID namespace (device and inode of
// its nsfs file).
func (c *control) PidNamespace() (dev, ino uint64, err error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(c.initPid)+"/ns/pid", &st); err != nil {
		return 0, 0, fmt.Errorf("contract pid namespace: %w", err)
	}
	return st.Dev, st.Ino, nil
}

// close closes the control socket (once).
func (c *control) close() {
	if c.file != nil {
		c.file.Close()
	}
}

// abandonWait bounds how long Abandon waits for the init's answer: an init
// that is alive answers at once, even under load, unless it is stopped.
const abandonWait = time.Second

// Abandon lets go of the contract without ending it (lifetimes child and
// none, a husk): the end of the control socket tells the init its holder
// is gone, and it keeps the contract (orphaned) or kills it (noorphan),
// cleaning up after it when it ends.
//
// An init whose contract emptied while it was still held leaves the
// cleanup to its holder and says so as it exits; that can cross with our
// letting go. Abandon reads what the init sent until its end of the socket
// closes, and reports whether it ended that way: the caller must then
// clean up as after Wait (reap, Destroy, the record), or nobody would.
func (c *control) Abandon() (ended bool) {
	if c.file == nil || c.letGo {
		return c.endedHeld
	}
	c.letGo = true
	defer func() {
		c.endedHeld = ended
		c.file.Close()
	}()
	fd := c.ControlFD()
	if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil {
		return false
	}
	// A message with its targets can be long; only its type matters here.
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(abandonWait)
	for {
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return ended
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			_, _ = unix.Poll(pfd, int(left/time.Millisecond)+1)
			continue
		case err != nil || n == 0:
			// The init's end is closed: it exited, or it saw ours and
			// goes on orphaned.
			return ended
		}
		if m, err := wire.DecodeMessage(buf[:n]); err == nil && m.Type == wire.MsgExiting {
			ended = true
		}
	}
}
