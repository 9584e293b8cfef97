// Command lcfloor is a benchmark peer for hack/bench.sh: it starts a
// command the way a contract instance is made (the same spec: PID and mount
// namespaces, the host root bound in, a cgroup below the caller's as root, a
// user namespace when not root) with libcontainer alone: libcontainer's own
// init execs the command, and nothing of ctrun's runs around it (no init of
// ours, no registry, no event sources). ctrun's start against it is what
// ctrun adds to libcontainer; it against `unshare` is libcontainer's own
// cost on this machine.
//
// Usage: lcfloor /abs/path/to/command [args...] (the path as seen below
// /host, so a dynamically linked command finds its loader). It leaves
// nothing behind: the cgroup, the rootfs directory and libcontainer's state
// go with the command.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	_ "github.com/opencontainers/cgroups/devices" // cgroup device rules (libcontainer needs it)
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // namespace set-up before the Go runtime
	"github.com/opencontainers/runc/libcontainer/specconv"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/spec"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		libcontainer.Init()
		return
	}
	if len(os.Args) < 2 || !filepath.IsAbs(os.Args[1]) {
		fmt.Fprintln(os.Stderr, "usage: lcfloor /absolute/command [args...]")
		os.Exit(2)
	}
	status, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "lcfloor:", err)
		os.Exit(124)
	}
	os.Exit(status)
}

func run(argv []string) (int, error) {
	state, err := registry.StateDir()
	if err != nil {
		return 0, err
	}
	if err := registry.EnsureDir(state); err != nil {
		return 0, err
	}
	defer os.Remove(state) // only if empty: ctrun's contracts may live there
	name := "lcfloor-" + strconv.Itoa(os.Getpid())
	rootfs := filepath.Join(state, name+".root")
	lcRoot := filepath.Join(state, name+".lc")
	defer os.RemoveAll(lcRoot)
	if err := spec.Rootfs(rootfs); err != nil {
		return 0, err
	}
	defer os.RemoveAll(rootfs) // empty dirs and symlinks once the mounts are gone

	rootless := os.Geteuid() != 0
	so := spec.Options{
		Rootfs:   rootfs,
		InitArgs: append([]string{filepath.Join(spec.HostMount, argv[0])}, argv[1:]...),
		Rootless: rootless,
		UID:      os.Getuid(),
		GID:      os.Getgid(),
	}
	if !rootless {
		so.CgroupPath = name
	}
	sp, err := spec.Build(so)
	if err != nil {
		return 0, err
	}
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:      name,
		Spec:            sp,
		RootlessEUID:    rootless,
		RootlessCgroups: rootless,
		NoNewKeyring:    true,
	})
	if err != nil {
		return 0, err
	}
	c, err := libcontainer.Create(lcRoot, "c", cfg)
	if err != nil {
		return 0, err
	}
	defer c.Destroy()
	p := &libcontainer.Process{
		Args:   sp.Process.Args,
		Env:    sp.Process.Env,
		Cwd:    "/",
		UID:    int(sp.Process.User.UID),
		GID:    int(sp.Process.User.GID),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Init:   true,
	}
	if err := c.Run(p); err != nil {
		return 0, err
	}
	ps, err := p.Wait()
	if ps == nil {
		return 0, err
	}
	if ps.ExitCode() < 0 {
		return 123, nil // killed by a signal, as ctrun says it
	}
	return ps.ExitCode(), nil
}
