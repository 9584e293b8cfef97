package runtime

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit"
)

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
func (i *Instance) Abandon() (ended bool) {
	if i.control == nil || i.letGo {
		return i.endedHeld
	}
	i.letGo = true
	defer func() {
		i.endedHeld = ended
		i.control.Close()
	}()
	fd := int(i.control.Fd())
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
		if n >= 4 && int32(binary.NativeEndian.Uint32(buf)) == cinit.MsgExiting {
			ended = true
		}
	}
}
