// Package spec builds the OCI runtime-spec a contract is made from.
//
// A contract is not an image container: its root is the host's own root,
// shown through recursive binds of the host's top-level entries onto a
// small per-contract directory (libcontainer cannot use "/" itself), with a
// private /proc for the contract's PID namespace. The command sees the
// host's files, network and users. Namespaces: PID and mount always, user
// when not root. The init the spec runs is ours (runtime/cinit); the
// command's own argv and environment travel to it separately.
package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options are the facts about the caller that shape a contract's spec.
type Options struct {
	// Rootfs is the per-contract directory that becomes "/" (see Rootfs).
	Rootfs string
	// InitArgs is the argv of the contract's init.
	InitArgs []string
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
	// Entries are the host's top-level entries to show (see HostEntries).
	Entries []Entry
}

// first returns the top-level entry that holds the rootfs directory: it is
// bound before all others. A recursive bind copies every mount below its
// source, and the rootfs directory gets the other binds as it is built: bound
// later, the holding entry would carry a hidden second copy of each.
func (o Options) first() string {
	p := strings.TrimPrefix(filepath.Clean(o.Rootfs), "/")
	top, _, _ := strings.Cut(p, "/")
	return top
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
			// The command's environment goes to the init separately;
			// libcontainer only needs something to exec the init with.
			Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
			Cwd: "/",
			User: specs.User{
				UID: 0,
				GID: 0,
			},
			NoNewPrivileges: false,
		},
		Mounts: mounts(o.Entries, o.first()),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.MountNamespace},
			},
			// Never let a mount event of the contract reach the host, and
			// never change the host's propagation: private in our own ns.
			RootfsPropagation: "private",
			CgroupsPath:       o.CgroupPath,
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

// mounts shows every host entry at its own place (first the one named
// first) and a fresh /proc.
func mounts(entries []Entry, first string) []specs.Mount {
	var ms []specs.Mount
	ordered := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if e.Name == first {
			ordered = append([]Entry{e}, ordered...)
		} else {
			ordered = append(ordered, e)
		}
	}
	for _, e := range ordered {
		if e.Kind == KindSymlink {
			continue // recreated in the rootfs directory, see Rootfs
		}
		ms = append(ms, specs.Mount{
			Destination: "/" + e.Name,
			Source:      "/" + e.Name,
			Type:        "bind",
			Options:     []string{"rbind"},
		})
	}
	return append(ms, specs.Mount{
		Destination: "/proc",
		Source:      "proc",
		Type:        "proc",
		Options:     []string{"nosuid", "noexec", "nodev"},
	})
}

// EntryKind is what a top-level host entry is.
type EntryKind int

const (
	KindDir EntryKind = iota
	KindFile
	KindSymlink
)

// Entry is one entry of the host's root directory.
type Entry struct {
	Name   string
	Kind   EntryKind
	Target string // for symlinks
}

// HostEntries lists what a contract must see of the host's root: every
// top-level entry but /proc (the contract gets its own).
func HostEntries() ([]Entry, error) {
	des, err := os.ReadDir("/")
	if err != nil {
		return nil, fmt.Errorf("list host root: %w", err)
	}
	var out []Entry
	for _, de := range des {
		name := de.Name()
		if name == "proc" {
			continue
		}
		switch t := de.Type(); {
		case t&os.ModeSymlink != 0:
			target, err := os.Readlink("/" + name)
			if err != nil {
				return nil, fmt.Errorf("read host symlink /%s: %w", name, err)
			}
			out = append(out, Entry{Name: name, Kind: KindSymlink, Target: target})
		case t.IsDir():
			out = append(out, Entry{Name: name, Kind: KindDir})
		case t.IsRegular():
			out = append(out, Entry{Name: name, Kind: KindFile})
		}
		// Sockets, fifos and devices at the top level are not shown.
	}
	return out, nil
}

// Rootfs prepares the per-contract root directory dir: the host's
// top-level symlinks are recreated in it (a bind cannot carry a symlink);
// libcontainer makes the mount points for the rest.
func Rootfs(dir string, entries []Entry) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("make contract root %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.Kind != KindSymlink {
			continue
		}
		if err := os.Symlink(e.Target, filepath.Join(dir, e.Name)); err != nil {
			return fmt.Errorf("make contract root %s: %w", dir, err)
		}
	}
	return nil
}
