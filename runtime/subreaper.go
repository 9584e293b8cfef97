package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// A subreaper instance is held where no PID namespace can be made (a
// container's seccomp profile, a host that refuses user namespaces): the
// same init as in a namespace (runtime/cinit), started as the holder's
// plain child in the holder's own namespaces, makes itself a child
// subreaper. Every orphan below it is then reparented to it, so no
// descendant of the command escapes the tree, and the contract is the
// init's descendants: the init signals them one by one. Events come from the process connector
// where it can be had, else from the init itself.

// subreaperMaker makes subreaper instances.
type subreaperMaker struct {
	mech   mechanism.Mechanism
	reaper *Reaper
}

func (m *subreaperMaker) Mechanism() mechanism.Mechanism { return m.mech }

// ErrNoNamespace is PidNamespace's error for an instance without a PID
// namespace of its own.
var ErrNoNamespace = errors.New("the contract has no PID namespace of its own")

// subreaped is one subreaper instance.
type subreaped struct {
	control
	opts     Options
	stateDir string
	config   configFile
	endpoint string
	exited   <-chan unix.WaitStatus
	started  bool

	exit *exitWatch
}

// Create starts the init, which then waits for Go.
func (m *subreaperMaker) Create(ctx context.Context, o Options) (inst Instance, err error) {
	state, err := registry.StateDir()
	if err != nil {
		return nil, err
	}
	if err := registry.EnsureDir(state); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	files, err := openInitFiles(o)
	if err != nil {
		return nil, err
	}
	defer files.closeChildEnds()
	i := &subreaped{opts: o, stateDir: state, config: files.config, exit: newExitWatch()}
	i.file = files.control
	defer func() {
		if err != nil {
			i.close()
			i.config.close()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Descriptors 0 to 2 of the init are /dev/null: the command's streams
	// travel at 5 to 7 (protocol.h).
	fds := []*os.File{files.devnull, files.devnull, files.devnull}
	p, err := os.StartProcess(self, []string{self, wire.InitArg, wire.InitSubreaperArg}, &os.ProcAttr{
		Dir:   "/",
		Env:   []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", registry.StateEnv + "=" + state},
		Files: append(fds, files.extra...),
		// A session of its own, as libcontainer's init has: a kill of
		// ctrun's process group (timeout -s KILL, a CI runner's) leaves
		// the contract orphaned, not without its init.
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return nil, fmt.Errorf("start the contract's init: %w", err)
	}
	i.initPid = p.Pid
	i.exited = m.reaper.Claim(p.Pid)
	_ = p.Release() // the reaper waits for it, not os.Process
	// Until Go writes the full configuration, this one is what the init
	// acts on should the holder die before it says go: nothing to remove.
	if err := i.config.write(wire.Config{}); err != nil {
		_ = unix.Kill(p.Pid, unix.SIGKILL)
		<-i.exited
		return nil, err
	}
	return i, nil
}

// Claim: a subreaper instance makes nothing on the host to claim.
func (i *subreaped) Claim() string { return "" }

// Emptied: a subreaper's members need not all be its children (a
// sub-contract's init is spared, see tree.c): its end is the init's.
func (*subreaped) Emptied() bool { return false }

// Start hands the init its configuration and lets it start the command.
func (i *subreaped) Start(s Start) error {
	i.endpoint = s.Endpoint
	c := commandConfig(i.opts, s)
	c.Flags |= wire.FlagSubreaper
	if err := i.config.write(c); err != nil {
		return err
	}
	if err := i.Send(wire.Go{ID: s.ID}.Message()); err != nil {
		return err
	}
	i.started = true
	return nil
}

// PidNamespace: none of its own.
func (i *subreaped) PidNamespace() (dev, ino uint64, err error) { return 0, 0, ErrNoNamespace }

// CgroupPaths: none.
func (i *subreaped) CgroupPaths() map[string]string { return nil }

// Kill ends the whole contract: the init kills every member, again and
// again until none is left, and then exits. Before the command runs there
// is only the init to kill.
func (i *subreaped) Kill() error {
	if i.exit.over() {
		return nil
	}
	if i.started && i.Signal(unix.SIGKILL, wire.ScopeAll, 0) == nil {
		return nil
	}
	if err := unix.Kill(i.initPid, unix.SIGKILL); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill contract %d: %w", i.initPid, err)
	}
	return nil
}

// Wait waits for the init to exit, which it does once it has no child
// left: the contract is empty.
func (i *subreaped) Wait() error {
	return i.exit.wait(func() error {
		<-i.exited
		return nil
	})
}

// Destroy removes what the instance left: its endpoint, should the init
// have been killed, and any member that escaped to the holder when it was
// (the holder is a subreaper too: see Select).
func (i *subreaped) Destroy() {
	i.close()
	i.config.close()
	if i.endpoint != "" {
		_ = os.Remove(i.endpoint)
	}
	killDescendants(os.Getpid())
	registry.RemoveIfEmpty(i.stateDir)
}

// killDescendants kills every descendant of pid (but the inits of
// sub-contracts and what is below them), round after round while new
// ones appear.
func killDescendants(pid int) {
	for round := 0; round < 64; round++ {
		tree, _ := procfs.Default.Tree()
		live := 0
		for _, p := range tree.Descendants(pid, registry.SubcontractInit) {
			if !tree.Exited(p) {
				_ = unix.Kill(p, unix.SIGKILL)
				live++
			}
		}
		if live == 0 {
			return
		}
	}
}
