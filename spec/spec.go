// Package spec builds the OCI runtime-spec a contract is made from.
//
// A contract is not an image container: its root is the host's own root.
// libcontainer cannot take "/" as a rootfs, so a contract starts from a
// small per-contract directory holding three mounts: the whole host root,
// recursively bound at /host, the host's /dev (so libcontainer does not
// build a /dev of its own) and a fresh /proc for the contract's PID
// namespace. The contract's init (runtime/cinit) then moves that /proc onto
// the host root and makes the host root its own, leaving the directory
// empty: one recursive bind instead of one per top-level entry, each of
// which costs libcontainer a millisecond of path checks. The command sees
// the host's files, network and users at their own paths. Namespaces: PID
// and mount always, user when not root. The command's own argv and
// environment travel to the init separately.
package spec

import (
	"fmt"
	"os"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// HostMount is where the host's root is bound inside the rootfs directory
// until the init makes it the contract's root.
const HostMount = "/host"

// Options are the facts about the caller that shape a contract's spec.
type Options struct {
	// Rootfs is the per-contract directory that becomes "/" (see Rootfs).
	Rootfs string
	// InitArgs is the argv of the contract's init; InitEnv its
	// environment (the command's travels separately).
	InitArgs []string
	InitEnv  []string
	// Rootless: the caller is not root, so the contract gets a user
	// namespace whose root maps to the caller (libcontainer insists on a
	// mapping for uid 0); the init nests a second one for the command.
	Rootless bool
	UID, GID int
	// Groups are the caller's supplementary groups (kept for root only:
	// an unprivileged user namespace cannot map them).
	Groups []int
	// CgroupPath is relative, so it lands below the caller's own cgroup in
	// every hierarchy. Empty: no cgroup.
	CgroupPath string
}

// Build returns the spec of one contract.
func Build(o Options) (*specs.Spec, error) {
	if o.Rootfs == "" || len(o.InitArgs) == 0 {
		return nil, fmt.Errorf("contract spec: rootfs and init are required")
	}
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: o.Rootfs},
		Process: &specs.Process{
			Args: o.InitArgs,
			Env:  append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, o.InitEnv...),
			Cwd:  "/",
			User: specs.User{
				UID: 0,
				GID: 0,
			},
			NoNewPrivileges: false,
		},
		Mounts: mounts(),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.MountNamespace},
			},
			// Never let a mount event of the contract reach the host, and
			// never change the host's propagation: private in our own ns.
			RootfsPropagation: "private",
			CgroupsPath:       o.CgroupPath,
			// The command opens the host's devices as it would without
			// ctrun: the contract's cgroup restricts none (and a new
			// cgroup that inherits "allow all" needs no rule written).
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
			},
		},
	}
	if o.Rootless {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(o.UID), Size: 1}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(o.GID), Size: 1}}
	} else {
		s.Process.User.UID = uint32(o.UID)
		s.Process.User.GID = uint32(o.GID)
		for _, g := range o.Groups {
			s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, uint32(g))
		}
	}
	// Inside, the command has the capabilities it would have outside.
	// As root that is the holder's own sets (a restricted root stays
	// restricted). Unprivileged, the init keeps every capability of the
	// contract's user namespace (it needs them to clean up); the command
	// drops them all when it execs as the caller's uid in its nested
	// namespace.
	s.Process.Capabilities = capabilities(o.Rootless)
	return s, nil
}

func capabilities(rootless bool) *specs.LinuxCapabilities {
	supported, err := capability.ListSupported()
	if err != nil {
		supported = capability.ListKnown()
	}
	names := func(which capability.CapType, own capability.Capabilities) []string {
		var out []string
		for _, c := range supported {
			if own == nil || own.Get(which, c) {
				out = append(out, "CAP_"+upper(c.String()))
			}
		}
		return out
	}
	var own capability.Capabilities
	if !rootless {
		if c, err := capability.NewPid2(0); err == nil && c.Load() == nil {
			own = c
		}
	}
	return &specs.LinuxCapabilities{
		Bounding:  names(capability.BOUNDING, own),
		Effective: names(capability.EFFECTIVE, own),
		Permitted: names(capability.PERMITTED, own),
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// mounts are the host root (bound first: a recursive bind copies every
// mount below its source, and the rootfs directory is itself below it), the
// host's /dev and a fresh /proc.
func mounts() []specs.Mount {
	return []specs.Mount{
		{Destination: HostMount, Source: "/", Type: "bind", Options: []string{"rbind"}},
		{Destination: "/dev", Source: "/dev", Type: "bind", Options: []string{"rbind"}},
		{Destination: "/proc", Source: "proc", Type: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
	}
}

// loaderDirs are where a dynamically linked init finds its loader and
// libraries before it has moved to the host root; the rootfs directory
// points them into /host. (bin/ctrun is built static and needs none.)
var loaderDirs = []string{"lib", "lib64", "lib32", "libx32", "usr"}

// Rootfs makes the per-contract root directory dir (libcontainer makes the
// mount points in it; the init removes it all once it has moved to the
// host root).
func Rootfs(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("make contract root %s: %w", dir, err)
	}
	for _, name := range loaderDirs {
		if _, err := os.Stat("/" + name); err != nil {
			continue
		}
		if err := os.Symlink(HostMount[1:]+"/"+name, dir+"/"+name); err != nil {
			return fmt.Errorf("make contract root %s: %w", dir, err)
		}
	}
	return nil
}
