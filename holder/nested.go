package holder

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// A ctrun inside a contract (or any container) runs in a PID namespace
// below the host's: the pids it sees are not the host pids that contract
// ids are and that the process connector reports. It learns the host pids
// it needs from the connector itself: a process that changes its name makes
// an event that carries its host pid and the new name, so a name made up
// for the occasion (a nonce) tells whose pid it is.

func nonce() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.NativeEndian.Uint32(b[:])
}

// awaitComm reads process events until one renames a process to name, and
// returns its host thread-group id. Other events are dropped: nothing else
// is followed yet.
func awaitComm(conn *connector.Conn, name string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ev, err := conn.Read()
		if err == unix.EAGAIN {
			p := []unix.PollFd{{Fd: int32(conn.Fd()), Events: unix.POLLIN}}
			_, _ = unix.Poll(p, 50)
			continue
		}
		if err != nil && !errors.Is(err, connector.ErrOverrun) {
			return 0, err
		}
		if ev.What == connector.Comm && ev.Comm == name {
			return ev.Tgid, nil
		}
	}
	return 0, fmt.Errorf("no process event named %s: cannot learn host pids", name)
}

// ownHostPid learns the holder's own host pid.
func ownHostPid(conn *connector.Conn) (int, error) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	var old [16]byte
	_ = unix.Prctl(unix.PR_GET_NAME, uintptr(unsafePointer(&old[0])), 0, 0, 0)
	name := wire.NonceName(nonce())
	if err := prctlName(name); err != nil {
		return 0, err
	}
	pid, err := awaitComm(conn, name, 2*time.Second)
	_ = prctlName(cString(old[:]))
	return pid, err
}

// initHostPid learns the host pid of an instance's init (the contract id).
func initHostPid(conn *connector.Conn, inst runtime.Instance) (int, error) {
	n := nonce()
	if err := inst.Send(wire.WhoAmI{Nonce: n}.Message()); err != nil {
		return 0, err
	}
	return awaitComm(conn, wire.NonceName(n), 2*time.Second)
}

// parent is the contract this ctrun runs inside (0: none): its command's
// environment names it. Inside a contract of its own PID namespace, a
// ctrun is below the host's (nested); inside one held without (a
// subreaper's, a container's), it shares the contract's pids.
func (h *holder) parent() int {
	if !h.nested && registry.InHostPidNS() && !h.base.Subtree() {
		return 0
	}
	id, err := strconv.Atoi(os.Getenv("CTRUN_CTID"))
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// pidNS is the PID namespace the pids of this holder's records are in:
// the host's, where contract ids are host pids (on the host, or inside a
// contract, see openEvents), else the holder's own (a container's).
func (h *holder) pidNS() uint64 {
	if h.nested || registry.InHostPidNS() {
		return registry.HostPidNS()
	}
	return registry.OwnPidNS()
}
