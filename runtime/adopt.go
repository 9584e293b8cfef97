package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// AdoptInfo tells what the init knew of the command when a contract was
// adopted: its pid inside the contract (0 once it is gone) and its end,
// when it came before.
type AdoptInfo = wire.AdoptReply

// adopted is an orphaned contract this holder took over: its init is not
// the caller's child, and is followed through a pidfd.
type adopted struct {
	control
	stateDir string
	pidfd    int
	// cgroups are the contract's, as its record gave them.
	cgroups  map[string]string
	endpoint string
	subtree  bool
	// claim is the name of the claim its maker left (registry.Claim).
	claim string

	exit *exitWatch
}

// Adopt takes over the orphaned contract id through its endpoint: the
// connection becomes the new holder's control socket. The contract's init
// is not the caller's child: it is followed through a pidfd, opened before
// the endpoint is asked (so the id cannot be a reused pid by then).
// ErrHeld: the contract has a holder.
//
// subtree: the contract has no PID namespace of its own (see package
// mechanism): killing its init would not end its members, which the init
// is asked to kill instead.
//
// claim names the claim of the holder that made it ("" for none), which is
// released with the rest once the contract is over.
func Adopt(endpoint string, id int, cgroups map[string]string, subtree bool, claim string) (Instance, AdoptInfo, error) {
	pidfd, err := unix.PidfdOpen(id, 0)
	if err != nil {
		return nil, AdoptInfo{}, fmt.Errorf("contract %d: %w", id, err)
	}
	fd, err := dialEndpoint(endpoint)
	if err != nil {
		unix.Close(pidfd)
		return nil, AdoptInfo{}, err
	}
	r, err := request(fd, wire.Adopt{})
	var reply wire.AdoptReply
	if err == nil {
		reply, err = wire.DecodeAdoptReply(r)
	}
	if err != nil {
		unix.Close(fd)
		unix.Close(pidfd)
		if errors.Is(err, wire.ErrBusy) {
			err = ErrHeld
		}
		return nil, AdoptInfo{}, fmt.Errorf("adopt contract %d: %w", id, err)
	}
	// The control socket blocks no more than any other.
	var none unix.Timeval
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &none)
	// The directory the contract is recorded in, which is not always the
	// caller's StateDir (root adopts a user's contract; a contract an
	// earlier version made under XDG_RUNTIME_DIR).
	state := filepath.Dir(endpoint)
	i := &adopted{
		control:  control{file: os.NewFile(uintptr(fd), "ctrun-control"), initPid: id},
		stateDir: state,
		pidfd:    pidfd,
		cgroups:  cgroups,
		endpoint: endpoint,
		subtree:  subtree,
		claim:    claim,
		exit:     newExitWatch(),
	}
	return i, reply, nil
}

// Claim names the claim of the holder that made the contract.
func (i *adopted) Claim() string { return i.claim }

// Emptied: an adopted contract's end is its init's (see Instance).
func (*adopted) Emptied() bool { return false }

// Start does nothing: the command of an adopted contract runs already.
func (i *adopted) Start(Start) error { return nil }

// CgroupPaths are the contract's cgroup directories, as recorded.
func (i *adopted) CgroupPaths() map[string]string { return i.cgroups }

// Kill ends the whole contract at once, through the pidfd (the id may be
// a reused pid once the init is gone).
func (i *adopted) Kill() error {
	if i.exit.over() {
		return nil
	}
	if i.subtree && i.Signal(unix.SIGKILL, wire.ScopeAll, 0) == nil {
		return nil
	}
	if err := unix.PidfdSendSignal(i.pidfd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill contract %d: %w", i.initPid, err)
	}
	return nil
}

// Wait waits for the init to exit.
func (i *adopted) Wait() error {
	return i.exit.wait(func() error {
		if err := waitPidfd(i.pidfd); err != nil {
			return fmt.Errorf("wait for contract %d: %w", i.initPid, err)
		}
		return nil
	})
}

// Destroy removes what is left of the contract: its cgroups (the init
// removes them itself, unless it was killed) and its endpoint.
func (i *adopted) Destroy() {
	i.close()
	removeCgroups(i.cgroups)
	if i.pidfd >= 0 {
		unix.Close(i.pidfd)
		i.pidfd = -1
	}
	if i.endpoint != "" {
		_ = os.Remove(i.endpoint)
	}
	if i.claim != "" {
		// In the contract's own directory (root may adopt a user's).
		registry.Dir(filepath.Dir(i.endpoint)).ReleaseClaim(i.claim)
	}
	registry.RemoveIfEmpty(i.stateDir)
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

// PidNamespace: a contract held as a subtree has none of its own.
func (i *adopted) PidNamespace() (dev, ino uint64, err error) {
	if i.subtree {
		return 0, 0, ErrNoNamespace
	}
	return i.control.PidNamespace()
}
