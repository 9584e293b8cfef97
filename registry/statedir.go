package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// StateDir is where the caller's contracts are made: one place per user,
// chosen from the effective uid alone and never from the environment, so
// that every ctrun, ctstat, ctkill and ctwatch of a user finds the same
// contracts whatever XDG_RUNTIME_DIR says in the shell at hand (a login
// shell, cron, sudo -u, a systemd unit):
//
//   - root: /run/ctrun, or /tmp/ctrun-0 where /run cannot be written (a
//     container with a read-only root file system and a writable /tmp).
//     The choice follows the file system, the same for every command on it;
//     readers look in both (ReadDirs).
//   - anyone else: /tmp/ctrun-<uid>, made 0700 and checked to be the
//     user's own (EnsureDir).
//
// Not $XDG_RUNTIME_DIR/ctrun (/run/user/<uid>): the variable is unset under
// cron and sudo -u, and logind removes the directory when the user's last
// session ends, while the contracts, the daemons a user left running, go
// on: their records, endpoints and sockets would go with it. /tmp is there
// for every user on every system, in and out of containers, whatever /run
// allows. What /tmp costs: a cleaner that removes old files (systemd-tmpfiles
// ages /tmp by 10 days on several distributions) must leave /tmp/ctrun-*
// alone (the package installs tmpfiles.d's "x /tmp/ctrun-*" line for it;
// tmpreaper and tmpwatch, which remove old regular files such as records,
// must be told the same: ctrun(1), FILES); a service with systemd's
// PrivateTmp has a /tmp of its own, whose contracts are seen from inside
// it only; and another user who makes /tmp/ctrun-<uid> first can keep the user from
// starting contracts (refused, never used: EnsureDir says whose it is).
//
// Contracts made by earlier versions under $XDG_RUNTIME_DIR/ctrun are
// still found while they run: their inits name their directory
// (StateEnv), and Dirs looks there.
//
// The binary must not live below it: libcontainer seals a copy of the
// binary for every start in a temporary overlay under the state directory,
// and an overlap makes it fall back to a full in-memory copy.
func StateDir() (string, error) {
	return stateDirFor(os.Geteuid(), writable("/run")), nil
}

// stateDirFor is StateDir for uid, given whether /run can be written.
func stateDirFor(uid int, runWritable bool) string {
	if uid == 0 && runWritable {
		return rootRunDir
	}
	return userTmpDir(uid)
}

// rootRunDir is root's state directory where /run can be written.
const rootRunDir = "/run/ctrun"

// userTmpDir is uid's state directory in /tmp (root's where /run cannot
// be written).
func userTmpDir(uid int) string { return "/tmp/ctrun-" + strconv.Itoa(uid) }

// ReadDirs lists every directory where the caller's own contracts may be
// recorded, StateDir first: root's other choice (a /run that was read-only
// when they started, or the other way round), and the places earlier
// versions used for a user, $XDG_RUNTIME_DIR/ctrun and
// /run/user/<uid>/ctrun. Dirs keeps those that are the caller's.
func ReadDirs() []string {
	return readDirsFor(os.Geteuid(), writable("/run"), os.Getenv("XDG_RUNTIME_DIR"))
}

// readDirsFor is ReadDirs for uid, given /run's state and XDG_RUNTIME_DIR.
func readDirsFor(uid int, runWritable bool, xdg string) []string {
	out := []string{stateDirFor(uid, runWritable)}
	add := func(d string) {
		for _, o := range out {
			if o == d {
				return
			}
		}
		out = append(out, d)
	}
	if uid == 0 {
		add(rootRunDir)
		add(userTmpDir(0))
		return out
	}
	if xdg != "" && filepath.IsAbs(xdg) {
		add(filepath.Join(filepath.Clean(xdg), "ctrun"))
	}
	add(filepath.Join("/run/user", strconv.Itoa(uid), "ctrun"))
	return out
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
