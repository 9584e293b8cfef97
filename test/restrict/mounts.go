package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// privateMountNamespace gives this thread a mount namespace of its own
// (unless it already has one: -pid1's child was cloned into it) and makes
// every mount in it private first, so that nothing mounted later
// propagates back to the host; the host's own propagation is not touched.
func privateMountNamespace(unshare bool) error {
	if unshare {
		// CLONE_NEWNS unshares the file-system information too, which a
		// thread of a multi-threaded process may do for itself.
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("new mount namespace: %w", err)
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make the new mount namespace private: %w", err)
	}
	return nil
}

// mountProc mounts a /proc of the PID namespace this process is PID 1 of,
// over the host's, as unshare --mount-proc does.
func mountProc() error {
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc of the new PID namespace: %w", err)
	}
	return nil
}

// mountCgroup2 shows the unified hierarchy at /sys/fs/cgroup, over the v1
// hierarchies, as on a cgroup v2 host.
func mountCgroup2() error {
	if err := unix.Mount("none", cgroupRoot, "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount cgroup2 at %s: %w", cgroupRoot, err)
	}
	return nil
}

// readOnlyCgroups makes every mount that can be reached at or below
// /sys/fs/cgroup read-only in this mount namespace.
func readOnlyCgroups() error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("read-only cgroups: %w", err)
	}
	defer f.Close()
	ms, err := parseMountinfo(f)
	if err != nil {
		return fmt.Errorf("read-only cgroups: %w", err)
	}
	below := visibleBelow(ms, cgroupRoot)
	if len(below) == 0 {
		return fmt.Errorf("read-only cgroups: nothing is mounted at or below %s", cgroupRoot)
	}
	for _, m := range below {
		// MS_BIND with MS_REMOUNT changes this namespace's copy of the
		// mount only. Without MS_BIND the remount would change the file
		// system itself, and so the host's cgroups.
		flags := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | perMountFlags(m.options)
		if err := unix.Mount("", m.point, "", flags, ""); err != nil {
			return fmt.Errorf("make %s read-only: %w", m.point, err)
		}
	}
	return nil
}

// mount is one line of /proc/self/mountinfo.
type mount struct {
	id, parent int
	point      string
	// options are the per-mount options ("rw,nosuid,relatime").
	options string
	fstype  string
}

// parseMountinfo reads /proc/PID/mountinfo (proc(5)), in its order.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var ms []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 7 || sep < 0 || sep+1 >= len(f) {
			return nil, fmt.Errorf("mountinfo line %q: too few fields", line)
		}
		id, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mountinfo line %q: mount ids are not numbers", line)
		}
		ms = append(ms, mount{id: id, parent: parent, point: unescapeOctal(f[4]), options: f[5], fstype: f[sep+1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return ms, nil
}

// unescapeOctal undoes mountinfo's escapes of space, tab, newline and
// backslash (\040, \011, \012, \134).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// visibleBelow lists, in mountinfo's order, the mounts at or below dir that
// a path can reach: not covered by a mount stacked on the same point, and
// not inside a mount that is covered. A remount by path reaches exactly
// these; the others are out of every process's reach in this namespace.
func visibleBelow(ms []mount, dir string) []mount {
	byID := map[int]mount{}
	covered := map[int]bool{}
	for _, m := range ms {
		byID[m.id] = m
	}
	for _, m := range ms {
		if p, ok := byID[m.parent]; ok && p.id != m.id && p.point == m.point {
			covered[p.id] = true
		}
	}
	// reachable: every mount on the way up from m is either not covered
	// or covered by the very mount the way comes from.
	reachable := func(m mount) bool {
		for seen := 0; seen < len(ms); seen++ {
			p, ok := byID[m.parent]
			if !ok || p.id == m.id {
				return true
			}
			if covered[p.id] && m.point != p.point {
				return false
			}
			m = p
		}
		return false // a loop: not a tree the kernel would show
	}
	var out []mount
	for _, m := range ms {
		if m.point != dir && !strings.HasPrefix(m.point, strings.TrimSuffix(dir, "/")+"/") {
			continue
		}
		if covered[m.id] || !reachable(m) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// perMountFlags are the mount(2) flags of mountinfo's per-mount options
// that a bind remount would otherwise reset (everything but rw/ro).
func perMountFlags(options string) uintptr {
	var flags uintptr
	for _, o := range strings.Split(options, ",") {
		switch o {
		case "nosuid":
			flags |= unix.MS_NOSUID
		case "nodev":
			flags |= unix.MS_NODEV
		case "noexec":
			flags |= unix.MS_NOEXEC
		case "noatime":
			flags |= unix.MS_NOATIME
		case "nodiratime":
			flags |= unix.MS_NODIRATIME
		case "relatime":
			flags |= unix.MS_RELATIME
		case "strictatime":
			flags |= unix.MS_STRICTATIME
		case "nosymfollow":
			flags |= unix.MS_NOSYMFOLLOW
		}
	}
	return flags
}
