package runtime

import (
	"os"
	"path/filepath"
	"strings"
)

// ownCgroupDirs are the caller's own cgroup directories, one per mounted
// hierarchy (v1 controllers, named ones, the unified one): libcontainer
// makes a contract's cgroup, a relative path, below each. A claim names
// them before the cgroups exist, so that a collector knows where to look
// should the holder die while libcontainer makes them.
func ownCgroupDirs() []string {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(info), "\n") {
		root, point, fstype, opts, ok := cgroupMount(line)
		if !ok || !strings.HasPrefix(point+"/", cgroupRoot+"/") {
			continue
		}
		path, ok := ownPath(string(own), fstype, opts)
		if !ok {
			continue
		}
		rel, ok := strings.CutPrefix(path, root)
		if !ok {
			continue // our cgroup is not below what is mounted there
		}
		dir := filepath.Join(point, rel)
		if !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	return out
}

// cgroupMount parses one line of mountinfo: the root of the hierarchy
// mounted, its mount point, and for a cgroup file system its type and
// super options.
func cgroupMount(line string) (root, point, fstype string, opts []string, ok bool) {
	pre, post, found := strings.Cut(line, " - ")
	if !found {
		return "", "", "", nil, false
	}
	f, g := strings.Fields(pre), strings.Fields(post)
	if len(f) < 5 || len(g) < 3 || (g[0] != "cgroup" && g[0] != "cgroup2") {
		return "", "", "", nil, false
	}
	return unescape(f[3]), unescape(f[4]), g[0], strings.Split(g[2], ","), true
}

// unescape undoes mountinfo's octal escapes (\040 for a space, ...).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n := 0
			for _, c := range s[i+1 : i+4] {
				n = n*8 + int(c-'0')
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownPath finds, in /proc/self/cgroup, the caller's path in the hierarchy
// a mount of fstype with super options opts shows: the unified one, or
// the v1 one whose controllers (or name=) are all among the options.
func ownPath(own, fstype string, opts []string) (string, bool) {
	has := map[string]bool{}
	for _, o := range opts {
		has[o] = true
	}
	for _, line := range strings.Split(own, "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if fstype == "cgroup2" {
			if f[0] == "0" && f[1] == "" {
				return f[2], true
			}
			continue
		}
		if f[1] == "" {
			continue
		}
		all := true
		for _, c := range strings.Split(f[1], ",") {
			all = all && has[c]
		}
		if all {
			return f[2], true
		}
	}
	return "", false
}
