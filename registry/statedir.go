package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// StateDir is where a user's contracts keep their short-lived files: root
// under /run/ctrun, anyone else under $XDG_RUNTIME_DIR/ctrun, or, when that
// is unset, /tmp/ctrun-<uid> (made 0700 and checked to be the user's own).
// Root too uses /tmp/ctrun-0 where /run cannot be written (a container
// with a read-only root file system and a writable /tmp): every ctrun,
// ctstat, ctkill and ctwatch of the same file system makes the same choice.
//
// The binary must not live below it: libcontainer seals a copy of the
// binary for every start in a temporary overlay under the state directory,
// and an overlap makes it fall back to a full in-memory copy.
func StateDir() (string, error) {
	if os.Geteuid() == 0 {
		if writable("/run") {
			return "/run/ctrun", nil
		}
		return "/tmp/ctrun-0", nil
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "ctrun"), nil
	}
	return "/tmp/ctrun-" + strconv.Itoa(os.Getuid()), nil
}

// EnsureDir makes dir (mode 0700) and checks that it is a real directory
// owned by the caller and closed to others: a state directory someone else
// prepared, or a symlink put in its place, is never used.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := unix.Mkdir(dir, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("state directory %s is not a directory (refusing to follow it)", dir)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %s belongs to uid %d, not to you", dir, st.Uid)
	}
	if st.Mode&0o077 != 0 {
		return fmt.Errorf("state directory %s is open to other users (mode %o)", dir, st.Mode&0o777)
	}
	return nil
}

// RemoveIfEmpty removes dir when nothing is left in it; a concurrent
// contract that still uses it keeps it alive (ENOTEMPTY).
func RemoveIfEmpty(dir string) {
	_ = unix.Rmdir(dir)
}

// writable says whether dir is a directory one may make files in, on a
// file system mounted read-write.
func writable(dir string) bool {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || fs.Flags&unix.ST_RDONLY != 0 {
		return false
	}
	return unix.Access(dir, unix.W_OK) == nil
}
