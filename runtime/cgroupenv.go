package runtime

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/mechanism"
)

// cgroupRoot is where the cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupKind says which cgroup a contract made as root can have below
// ctrun's own (v1 or v2), or why it can have none: no cgroup file system,
// or one mounted read-only (as in a container); and, on v1, ctrun's own
// pids cgroup directory (see WarmCgroups).
func cgroupKind() (kind, why, pids string) {
	var fs unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &fs); err != nil {
		return mechanism.NoCgroup, "no cgroup file system is mounted at " + cgroupRoot, ""
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return mechanism.NoCgroup, "its own cgroup cannot be read: " + err.Error(), ""
	}
	if fs.Type == unix.CGROUP2_SUPER_MAGIC {
		for _, line := range strings.Split(string(own), "\n") {
			if path, ok := strings.CutPrefix(line, "0::"); ok {
				if why := unwritable(filepath.Join(cgroupRoot, path)); why != "" {
					return mechanism.NoCgroup, why, ""
				}
				return mechanism.CgroupV2, "", ""
			}
		}
		return mechanism.NoCgroup, "ctrun is in no cgroup of the unified hierarchy", ""
	}
	// v1: the contract gets a cgroup in every hierarchy ctrun is in; each
	// must be writable.
	found := false
	for _, line := range strings.Split(string(own), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || f[1] == "" || strings.HasPrefix(f[1], "name=") {
			continue
		}
		dir := filepath.Join(cgroupRoot, f[1])
		if _, err := os.Stat(dir); err != nil {
			continue // a controller mounted under another name
		}
		found = true
		if why := unwritable(filepath.Join(dir, f[2])); why != "" {
			return mechanism.NoCgroup, why, ""
		}
		if f[1] == "pids" {
			pids = filepath.Join(dir, f[2])
		}
	}
	if !found {
		return mechanism.NoCgroup, "no cgroup v1 hierarchy ctrun is in is mounted at " + cgroupRoot, ""
	}
	return mechanism.CgroupV1, "", pids
}

// unwritable says why no cgroup can be made in dir, "" when one can.
func unwritable(dir string) string {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return "its cgroup " + dir + " cannot be reached: " + err.Error()
	}
	if fs.Flags&unix.ST_RDONLY != 0 {
		return "the cgroup file system is read-only (as in a container)"
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return "its cgroup " + dir + " is not writable: " + err.Error()
	}
	return ""
}
