// Package runtime makes and ends contract instances: one libcontainer
// container per contract, with our own init (runtime/cinit) as its PID 1
// and the command as that init's child.
//
// libcontainer does the parts that earn their cost: the namespaces, the
// mounts that show the host's root, the cgroup, the user-namespace mapping.
// The init does the rest: it starts the command when the holder says go,
// reaps, passes on signals, and keeps an orphaned contract alive (or kills
// it) when the holder dies. Events about members do not come from here:
// see package events.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/cinit"
	"github.com/ctrun/ctrun/spec"
)

// ExtraFile is a descriptor handed to the command at a given number.
type ExtraFile struct {
	File   *os.File
	Target int
}

// Options describe one contract instance.
type Options struct {
	// Name is unique among the caller's live instances; it names the
	// rootfs directory and the cgroup ("ctrun-<Name>").
	Name string
	// Path is the command's executable (already resolved), Argv its
	// arguments, Env its environment (without CTRUN_CTID), Dir its
	// working directory.
	Path string
	Argv []string
	Env  []string
	Dir  string
	// Stdio are the command's stdin, stdout and stderr; nil means closed.
	Stdio [3]*os.File
	Extra []ExtraFile
	// TTY: Stdio[0] is a terminal that becomes the command's controlling
	// terminal (the command is then a session leader).
	TTY      bool
	NoOrphan bool
	// Notify: learn signals members send through seccomp (used when BPF
	// cannot be: unprivileged).
	Notify         bool
	SigIgn, SigBlk uint64
	// Record is the contract's registry record, removed by an orphaned
	// init when the contract ends.
	Record string
	// Cgroup: give the contract a cgroup below the caller's own.
	Cgroup bool
}

// Instance is one running contract instance.
type Instance struct {
	opts      Options
	stateDir  string
	rootfs    string
	lcRoot    string
	container *libcontainer.Container
	process   *libcontainer.Process
	control   *os.File
	config    *os.File
	initPid   int

	cgroups  map[string]string
	endpoint string
	// letGo: Abandon ran; endedHeld is what it found (see Abandon).
	letGo     bool
	endedHeld bool
	// pidfd follows an adopted contract's init (not the caller's child).
	pidfd int

	waitOnce sync.Once
	waitErr  error
	status   unix.WaitStatus
	waited   chan struct{}
}

// Create builds the instance and starts its init, which then waits for Go.
// Nothing of the instance is left behind when Create fails.
func Create(ctx context.Context, o Options) (inst *Instance, err error) {
	if len(o.Extra) > cinit.MaxExtra {
		return nil, fmt.Errorf("%d inherited descriptors: at most %d can be handed on", len(o.Extra), cinit.MaxExtra)
	}
	state, err := registry.StateDir()
	if err != nil {
		return nil, err
	}
	i := &Instance{opts: o, stateDir: state, waited: make(chan struct{}), pidfd: -1}
	defer func() {
		if err != nil {
			i.Destroy()
		}
	}()
	// The state directory may vanish between ensureDir and its use when
	// another holder finds it empty and removes it: try once more.
	for attempt := 0; ; attempt++ {
		if err = registry.EnsureDir(state); err != nil {
			return nil, err
		}
		i.rootfs = filepath.Join(state, o.Name+".root")
		if err = spec.Rootfs(i.rootfs); err == nil {
			break
		}
		if attempt > 0 || !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	i.lcRoot = filepath.Join(state, o.Name+".lc")

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
		CgroupName:      "ctrun-" + o.Name,
		Spec:            sp,
		RootlessEUID:    rootless,
		RootlessCgroups: rootless,
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

	parentEnd, childEnd, err := socketpair()
	if err != nil {
		return nil, err
	}
	defer childEnd.Close()
	i.control = parentEnd

	cfgFd, err := unix.MemfdCreate("ctrun-config", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("configuration memfd: %w", err)
	}
	i.config = os.NewFile(uintptr(cfgFd), "ctrun-config")

	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	extra := []*os.File{childEnd, i.config}
	for _, f := range o.Stdio {
		if f == nil {
			f = devnull
		}
		extra = append(extra, f)
	}
	for _, e := range o.Extra {
		extra = append(extra, e.File)
	}
	i.process = &libcontainer.Process{
		Args:       sp.Process.Args,
		Env:        sp.Process.Env,
		Cwd:        "/",
		UID:        int(sp.Process.User.UID),
		GID:        int(sp.Process.User.GID),
		ExtraFiles: extra,
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
	if err := i.container.Run(i.process); err != nil {
		return nil, fmt.Errorf("start contract instance: %w", err)
	}
	// libcontainer's state is of no use once the init runs, and an
	// orphaned contract could not remove it: drop it now.
	_ = os.RemoveAll(i.lcRoot)
	pid, err := i.process.Pid()
	if err != nil {
		return nil, fmt.Errorf("contract init pid: %w", err)
	}
	i.initPid = pid
	// Until Go writes the full configuration, this one tells the init
	// what to remove should the holder die before it says go.
	if err := i.writeConfig(cinit.Config{Rootfs: i.rootfs, Cgroups: i.cgroupList()}); err != nil {
		return nil, err
	}
	return i, nil
}

// writeConfig replaces the configuration the init reads once it is told
// to go, or finds its holder gone.
func (i *Instance) writeConfig(c cinit.Config) error {
	// Write, then cut what is left of a longer one: at every moment the
	// file starts with a whole configuration the init can act on.
	b := c.Encode()
	if _, err := i.config.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write contract configuration: %w", err)
	}
	if err := i.config.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("write contract configuration: %w", err)
	}
	return nil
}

// cgroupList is the contract's cgroup directories, in no order.
func (i *Instance) cgroupList() []string {
	var l []string
	for _, p := range i.CgroupPaths() {
		l = append(l, p)
	}
	return l
}

func socketpair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("control socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "ctrun-control"), os.NewFile(uintptr(fds[1]), "ctrun-control-init"), nil
}

// SetNotify makes the init learn of the signals members send (seccomp
// user notification), when no tracer can. Call before Go.
func (i *Instance) SetNotify(on bool) { i.opts.Notify = on }

// SetRecord names the contract's registry record, which the init removes
// if it outlives its holder, and its endpoint. Call before Go.
func (i *Instance) SetRecord(record, endpoint string) {
	i.opts.Record, i.endpoint = record, endpoint
}

// InitPid is the host pid of the contract's init: the contract's id.
func (i *Instance) InitPid() int { return i.initPid }

// CgroupPaths are the contract's cgroup directories, by controller.
func (i *Instance) CgroupPaths() map[string]string {
	if i.container == nil {
		return i.cgroups // adopted: as recorded
	}
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

// PidNamespace identifies the contract's PID namespace (device and inode of
// its nsfs file).
func (i *Instance) PidNamespace() (dev, ino uint64, err error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(i.initPid)+"/ns/pid", &st); err != nil {
		return 0, 0, fmt.Errorf("contract pid namespace: %w", err)
	}
	return st.Dev, st.Ino, nil
}

// Go hands the init its configuration and lets it start the command in
// contract id.
func (i *Instance) Go(id int) error {
	o := i.opts
	c := cinit.Config{
		UID:      uint32(os.Getuid()),
		GID:      uint32(os.Getgid()),
		SigIgn:   o.SigIgn,
		SigBlk:   o.SigBlk,
		Path:     o.Path,
		Dir:      o.Dir,
		Argv:     o.Argv,
		Env:      o.Env,
		Rootfs:   i.rootfs,
		Record:   o.Record,
		Endpoint: i.endpoint,
	}
	if o.NoOrphan {
		c.Flags |= cinit.FlagNoOrphan
	}
	if o.TTY {
		c.Flags |= cinit.FlagTTY
	}
	if os.Geteuid() != 0 {
		c.Flags |= cinit.FlagUserNS
	}
	if o.Notify {
		c.Flags |= cinit.FlagNotify
	}
	for n, f := range o.Stdio {
		if f != nil {
			c.StdioOpen |= 1 << n
		}
	}
	for _, e := range o.Extra {
		c.ExtraTargets = append(c.ExtraTargets, e.Target)
	}
	c.Cgroups = i.cgroupList()
	if err := i.writeConfig(c); err != nil {
		return err
	}
	return i.send(cinit.Message{Type: cinit.MsgGo, A: int32(id)})
}

// Send sends the init a message.
func (i *Instance) Send(m cinit.Message) error { return i.send(m) }

func (i *Instance) send(m cinit.Message) error {
	if err := unix.Sendmsg(int(i.control.Fd()), m.Encode(), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("tell contract %d: %w", i.initPid, err)
	}
	return nil
}

// ControlFD is the holder's end of the control socket, for polling.
func (i *Instance) ControlFD() int { return int(i.control.Fd()) }

// ErrInitGone is returned by Recv once the init has closed its end.
var ErrInitGone = errors.New("contract init is gone")

// Recv reads one message from the init. Without block it returns
// unix.EAGAIN when none is waiting. Messages from the init about a signal
// are always in the socket before the signal can take effect, so a reader
// that drains it before looking at a death sees every such message.
func (i *Instance) Recv(block bool, buf []byte) (cinit.Message, error) {
	flags := unix.MSG_DONTWAIT
	if block {
		flags = 0
	}
	for {
		n, _, err := unix.Recvfrom(int(i.control.Fd()), buf, flags)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return cinit.Message{}, err
		}
		if n == 0 {
			return cinit.Message{}, ErrInitGone
		}
		return cinit.DecodeMessage(buf[:n])
	}
}

// Signal asks the init to send sig to the given scope (cinit.Scope*).
func (i *Instance) Signal(sig unix.Signal, scope int, target int) error {
	return i.send(cinit.Message{Type: cinit.MsgSignal, A: int32(sig), B: int32(scope), C: int32(target)})
}

// Kill ends the whole contract at once: the kernel kills every process of a
// PID namespace whose init dies.
func (i *Instance) Kill() error {
	select {
	case <-i.waited:
		return nil
	default:
	}
	var err error
	if i.process == nil && i.pidfd >= 0 {
		err = unix.PidfdSendSignal(i.pidfd, unix.SIGKILL, nil, 0)
	} else {
		err = unix.Kill(i.initPid, unix.SIGKILL)
	}
	if err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill contract %d: %w", i.initPid, err)
	}
	return nil
}

// Wait waits for the init to exit, which it does once the contract is
// empty (or killed).
func (i *Instance) Wait() error {
	i.waitOnce.Do(func() {
		if i.process == nil {
			// Adopted: not our child.
			if err := waitPidfd(i.pidfd); err != nil {
				i.waitErr = fmt.Errorf("wait for contract %d: %w", i.initPid, err)
			}
			close(i.waited)
			return
		}
		// A non-zero exit of the init is not an error of Wait: the
		// init's status means nothing to the contract.
		ps, err := i.process.Wait()
		if err != nil && ps == nil {
			i.waitErr = fmt.Errorf("wait for contract %d: %w", i.initPid, err)
		}
		close(i.waited)
	})
	<-i.waited
	return i.waitErr
}

// Destroy removes what the instance made on the host. The contract must be
// over (Wait returned) or never started.
func (i *Instance) Destroy() {
	if i.control != nil {
		i.control.Close()
	}
	if i.config != nil {
		i.config.Close()
	}
	if i.container != nil {
		_ = i.container.Destroy()
	} else {
		removeCgroups(i.cgroups)
	}
	if i.pidfd >= 0 {
		unix.Close(i.pidfd)
		i.pidfd = -1
	}
	if i.lcRoot != "" {
		_ = os.RemoveAll(i.lcRoot)
	}
	if i.rootfs != "" {
		_ = removeRootfs(i.rootfs)
	}
	if i.endpoint != "" {
		// The init removes it as it exits, unless it was killed.
		_ = os.Remove(i.endpoint)
	}
	registry.RemoveIfEmpty(i.stateDir)
}

// removeRootfs removes a contract's root directory, if the init has not
// already: empty mount points and symlinks only, never anything reached
// through a mount (an entry on another device is left alone).
func removeRootfs(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		var cst unix.Stat_t
		if unix.Lstat(p, &cst) != nil || cst.Dev != st.Dev {
			continue
		}
		if de.IsDir() {
			_ = unix.Rmdir(p)
		} else {
			_ = unix.Unlink(p)
		}
	}
	return unix.Rmdir(dir)
}
