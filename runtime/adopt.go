package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit"
)

// Adopted tells what the init knew of the command when a contract was
// adopted.
type Adopted struct {
	// CommandNSPid is the command's pid inside the contract, 0 once it is
	// gone.
	CommandNSPid int
	// Exited and Status: the command's end, when it came before.
	Exited bool
	Status unix.WaitStatus
}

// Adopt takes over the orphaned contract id through its endpoint: the
// connection becomes the new holder's control socket. The contract's init
// is not the caller's child: it is followed through a pidfd, opened before
// the endpoint is asked (so the id cannot be a reused pid by then).
// ErrHeld: the contract has a holder.
func Adopt(endpoint string, id int, cgroups map[string]string) (*Instance, Adopted, error) {
	pidfd, err := unix.PidfdOpen(id, 0)
	if err != nil {
		return nil, Adopted{}, fmt.Errorf("contract %d: %w", id, err)
	}
	fd, err := dialEndpoint(endpoint)
	if err != nil {
		unix.Close(pidfd)
		return nil, Adopted{}, err
	}
	r, err := request(fd, cinit.Message{Type: cinit.MsgAdopt})
	if err != nil || r.Type != cinit.MsgOK {
		unix.Close(fd)
		unix.Close(pidfd)
		if err == nil && r.Type == cinit.MsgBusy {
			err = ErrHeld
		} else if err == nil {
			err = fmt.Errorf("unexpected answer %d", r.Type)
		}
		return nil, Adopted{}, fmt.Errorf("adopt contract %d: %w", id, err)
	}
	// The control socket blocks no more than any other.
	var none unix.Timeval
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &none)
	state, _ := registry.StateDir()
	i := &Instance{
		stateDir: state,
		control:  os.NewFile(uintptr(fd), "ctrun-control"),
		initPid:  id,
		pidfd:    pidfd,
		cgroups:  cgroups,
		endpoint: endpoint,
		waited:   make(chan struct{}),
	}
	i.opts.Cgroup = len(cgroups) > 0
	return i, Adopted{CommandNSPid: int(r.A), Exited: r.B != 0, Status: unix.WaitStatus(r.C)}, nil
}

// waitPidfd waits for a process that is not the caller's child.
func waitPidfd(pidfd int) error {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// removeCgroups removes an adopted contract's cgroup directories (only
// those below the cgroup file system and named as ctrun names them).
func removeCgroups(paths map[string]string) {
	for _, p := range paths {
		if strings.HasPrefix(filepath.Clean(p), "/sys/fs/cgroup/") && strings.HasPrefix(filepath.Base(p), "ctrun-") {
			_ = unix.Rmdir(p)
		}
	}
}
