package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/spec"
	"github.com/ctrun/ctrun/testhook"
)

// created is an instance this holder made with libcontainer: the init is
// its child.
type created struct {
	control
	opts      Options
	stateDir  string
	rootfs    string
	lcRoot    string
	container *libcontainer.Container
	process   *libcontainer.Process
	config    configFile
	cgroups   map[string]string
	endpoint  string
	// claim is the holder's claim on what it makes (registry.Claim),
	// written before anything is made; claimed once it is.
	claim   registry.Claim
	claimed bool

	exit *exitWatch
}

// Create builds the instance and starts its init, which then waits for Go.
// Nothing of the instance is left behind when Create fails.
func Create(ctx context.Context, o Options) (inst Instance, err error) {
	state, err := registry.StateDir()
	if err != nil {
		return nil, err
	}
	i := &created{opts: o, stateDir: state, exit: newExitWatch()}
	defer func() {
		if err != nil {
			i.abortInit()
			i.Destroy()
		}
	}()
	// Before anything is made, say what will be: a holder killed from
	// now on leaves remains a collector can tell from a live holder's.
	i.claim = registry.Claim{Name: o.Name, Holder: registry.Self(), PidNS: registry.OwnPidNS()}
	if os.Geteuid() == 0 {
		i.claim.CgroupParents = ownCgroupDirs()
	}
	reg := registry.Dir(state)
	// The state directory may vanish between ensureDir and its use when
	// another holder finds it empty and removes it: try once more. Once
	// the claim is in it, it is not empty.
	for attempt := 0; ; attempt++ {
		if err = registry.EnsureDir(state); err != nil {
			return nil, err
		}
		if err = reg.WriteClaim(&i.claim); err == nil {
			break
		}
		if attempt > 0 || !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	i.claimed = true
	testhook.Reached(testhook.Claimed, 0)
	i.rootfs = filepath.Join(state, o.Name+registry.RootfsSuffix)
	if err = spec.Rootfs(i.rootfs); err != nil {
		return nil, err
	}
	i.lcRoot = filepath.Join(state, o.Name+registry.LibcontainerSuffix)

	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	rootless := os.Geteuid() != 0
	groups, _ := unix.Getgroups()
	so := spec.Options{
		Rootfs: i.rootfs,
		// libcontainer execs the init before the init moves to the host
		// root: from the rootfs directory the binary is below /host.
		InitArgs: []string{filepath.Join(spec.HostMount, self), cinit.Arg},
		// Root finds every user's contracts through their inits.
		InitEnv:  []string{registry.StateEnv + "=" + state},
		Rootless: rootless,
		UID:      os.Getuid(),
		GID:      os.Getgid(),
		Groups:   groups,
	}
	if o.Cgroup {
		so.CgroupPath = "ctrun-" + o.Name
	}
	sp, err := spec.Build(so)
	if err != nil {
		return nil, err
	}
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:   "ctrun-" + o.Name,
		Spec:         sp,
		RootlessEUID: rootless,
		// Without a cgroup (none can be had: a read-only cgroup file system),
		// libcontainer is told to make do, as it does for a rootless one.
		RootlessCgroups: rootless || !o.Cgroup,
		NoNewKeyring:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("contract configuration: %w", err)
	}
	// The contract must not outlive a broken start: libcontainer kills a
	// half-made init itself; the holder's own death is the init's business.
	i.container, err = libcontainer.Create(i.lcRoot, "c", cfg)
	if err != nil {
		return nil, fmt.Errorf("create contract instance: %w", err)
	}
	testhook.Reached(testhook.LibcontainerState, 0)

	files, err := openInitFiles(o)
	if err != nil {
		return nil, err
	}
	defer files.closeChildEnds()
	i.file, i.config = files.control, files.config
	i.process = &libcontainer.Process{
		Args:       sp.Process.Args,
		Env:        sp.Process.Env,
		Cwd:        "/",
		UID:        int(sp.Process.User.UID),
		GID:        int(sp.Process.User.GID),
		ExtraFiles: files.extra,
		Init:       true,
	}
	for _, g := range sp.Process.User.AdditionalGids {
		i.process.AdditionalGroups = append(i.process.AdditionalGroups, int(g))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// libcontainer sends the init its configuration as JSON once the init
	// runs; encoding/json works out each type's fields on first use, a few
	// milliseconds for this one. Do that now, while the init starts.
	go func() { _, _ = json.Marshal(cfg) }()
	// Run in its two steps: once Start returns, libcontainer's init
	// waits for the exec FIFO, and would wait for good should the holder
	// die now; the claim names it first, so that a collector ends it.
	if err := i.container.Start(i.process); err != nil {
		return nil, fmt.Errorf("start contract instance: %w", err)
	}
	pid, err := i.process.Pid()
	if err != nil {
		return nil, fmt.Errorf("contract init pid: %w", err)
	}
	i.initPid = pid
	i.claim.Init = registry.ProcessOf(pid)
	if err := reg.WriteClaim(&i.claim); err != nil {
		return nil, err
	}
	testhook.Reached(testhook.InitWaiting, pid)
	if err := i.container.Exec(); err != nil {
		return nil, fmt.Errorf("start contract instance: %w", err)
	}
	// libcontainer's state is of no use once the init runs, and an
	// orphaned contract could not remove it: drop it now, before the
	// claim lets the init clean up after itself.
	_ = os.RemoveAll(i.lcRoot)
	// Until Go writes the full configuration, this one tells the init
	// what to remove should the holder die before it says go.
	if err := i.config.write(wire.Config{Rootfs: i.rootfs, Cgroups: i.cgroupList()}); err != nil {
		return nil, err
	}
	if o.Ahead {
		if err := i.tidy(); err != nil {
			return nil, fmt.Errorf("start contract instance: %w", err)
		}
	}
	i.claim.Made = true
	if err := reg.WriteClaim(&i.claim); err != nil {
		return nil, err
	}
	testhook.Reached(testhook.InitMade, pid)
	return i, nil
}

// tidy has an init made ahead remove what only its making needed (see
// wire.Tidy), and waits for its answer: the configuration it reads must
// not be rewritten meanwhile (Start).
func (i *created) tidy() error {
	if err := i.Send(wire.Tidy{}.Message()); err != nil {
		return err
	}
	buf := make([]byte, 256)
	for {
		m, _, err := i.Recv(true, buf)
		if err != nil {
			return err
		}
		if m.Type == wire.MsgTidy {
			return nil
		}
	}
}

// abortInit ends and reaps an init that a failed Create started (it may
// wait for its exec FIFO, or for the go).
func (i *created) abortInit() {
	if i.initPid <= 0 {
		return
	}
	_ = unix.Kill(i.initPid, unix.SIGKILL)
	_ = i.Wait()
}

// Claim is the instance's name, which its claim is known by.
func (i *created) Claim() string { return i.opts.Name }

// cgroupList is the contract's cgroup directories, in no order.
func (i *created) cgroupList() []string {
	var l []string
	for _, p := range i.CgroupPaths() {
		l = append(l, p)
	}
	return l
}

// CgroupPaths are the contract's cgroup directories, by controller.
func (i *created) CgroupPaths() map[string]string {
	if !i.opts.Cgroup {
		return nil
	}
	if i.cgroups == nil {
		if st, err := i.container.State(); err == nil {
			i.cgroups = st.CgroupPaths
		}
	}
	return i.cgroups
}

// Start hands the init its configuration and lets it start the command.
func (i *created) Start(s Start) error {
	i.endpoint = s.Endpoint
	c := commandConfig(i.opts, s)
	c.Rootfs = i.rootfs
	c.Cgroups = i.cgroupList()
	if os.Geteuid() != 0 {
		c.Flags |= wire.FlagUserNS
	}
	if s.Report {
		if err := i.passCredentials(); err != nil {
			return err
		}
	}
	if err := i.config.write(c); err != nil {
		return err
	}
	return i.Send(wire.Go{ID: s.ID}.Message())
}

// Kill ends the whole contract at once: the kernel kills every process of a
// PID namespace whose init dies. On a unified (v2) hierarchy the contract's
// cgroup is killed first (cgroup.kill, Linux 5.14): one write ends every
// process in it, as the init's death does, without waiting for the init.
func (i *created) Kill() error {
	if i.exit.over() {
		return nil
	}
	if dir := i.CgroupPaths()[""]; dir != "" {
		writeKernFile(dir+"/cgroup.kill", "1")
	}
	if err := unix.Kill(i.initPid, unix.SIGKILL); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill contract %d: %w", i.initPid, err)
	}
	return nil
}

// Wait waits for the init to exit, which it does once the contract is
// empty (or killed).
func (i *created) Wait() error {
	return i.exit.wait(func() error {
		// A non-zero exit of the init is not an error of Wait: the
		// init's status means nothing to the contract.
		if ps, err := i.process.Wait(); err != nil && ps == nil {
			return fmt.Errorf("wait for contract %d: %w", i.initPid, err)
		}
		return nil
	})
}

// Destroy removes what the instance made on the host. The contract must be
// over (Wait returned) or never started.
func (i *created) Destroy() {
	i.close()
	i.config.close()
	if i.container != nil {
		_ = i.container.Destroy()
	}
	testhook.Reached(testhook.Destroying, 0)
	if i.lcRoot != "" {
		_ = os.RemoveAll(i.lcRoot)
	}
	if i.rootfs != "" {
		_ = registry.RemoveRootfs(i.rootfs)
	}
	if i.endpoint != "" {
		// The init removes it as it exits, unless it was killed.
		_ = os.Remove(i.endpoint)
	}
	if i.claimed {
		// Last, and only once all it names is gone: what is left is
		// the next collector's.
		registry.Dir(i.stateDir).ReleaseClaim(i.opts.Name)
	}
	registry.RemoveIfEmpty(i.stateDir)
}
