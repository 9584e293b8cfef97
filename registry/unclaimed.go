package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
)

// collectUnclaimed removes instance directories (<name>.lc, <name>.root)
// that no claim names: the remains of holders killed before claims
// existed, or of an instance whose claim was lost. A holder writes its
// claim before it makes either directory and removes it only after both
// are gone (runtime.Create, Destroy; the init's cleanup does the same), so
// a directory without a claim has no live maker — unless its maker is a
// ctrun from before claims, which the checks below leave alone: a holder
// whose pid the name carries still runs, a directory changed within
// grace (removeGrace), one that is some process's root. Only real directories of
// the state directory's owner are taken, never through a symlink, and
// never anything mounted in them (removeTree).
func (d Dir) collectUnclaimed(grace time.Duration) {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return
	}
	var candidates []string
	for _, de := range des {
		name, ok := instanceDir(de.Name())
		if !ok || !de.IsDir() {
			continue
		}
		if holderRuns(name) || d.claimed(name) {
			continue
		}
		candidates = append(candidates, de.Name())
	}
	if len(candidates) == 0 {
		return
	}
	roots := processRoots()
	owner := d.Owner()
	for _, base := range candidates {
		p := filepath.Join(string(d), base)
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != owner {
			continue
		}
		if time.Since(time.Unix(st.Ctim.Unix())) <= grace || roots[fileID{st.Dev, st.Ino}] {
			continue
		}
		name, _ := instanceDir(base)
		// Looked at again just before: a claim is written before its
		// directories are made, so one made since the listing shows here.
		if d.claimed(name) {
			continue
		}
		if strings.HasSuffix(base, LibcontainerSuffix) {
			releaseExecFifo(filepath.Join(p, "c", "exec.fifo"))
		}
		_ = removeTree(p)
	}
}

// instanceDir is the instance name of an instance directory's file name.
func instanceDir(base string) (string, bool) {
	for _, suffix := range []string{LibcontainerSuffix, RootfsSuffix} {
		if name, ok := strings.CutSuffix(base, suffix); ok && validName(name) {
			return name, true
		}
	}
	return "", false
}

// claimed says whether instance name has a claim (or something in its
// place that is not for the collector to judge).
func (d Dir) claimed(name string) bool {
	_, err := os.Lstat(d.ClaimPath(name))
	return !errors.Is(err, os.ErrNotExist)
}

// holderRuns says whether the pid an instance name starts with (its
// holder's, "<pid>-<run>-<nonce>") names a running process here: then the
// directories are left alone, whoever that process is.
func holderRuns(name string) bool {
	i := strings.IndexByte(name, '-')
	if i <= 0 {
		return false
	}
	pid, err := strconv.Atoi(name[:i])
	return err == nil && pid > 0 && writerAlive(pid)
}

// fileID is a file's identity.
type fileID struct{ dev, ino uint64 }

// processRoots are the root directories of the processes the caller can
// see into: an instance's rootfs directory that is still one (a contract
// of a ctrun from before its init moved to the host's root) is in use.
func processRoots() map[fileID]bool {
	roots := map[fileID]bool{}
	pids, err := procfs.Default.Pids()
	if err != nil {
		return roots
	}
	for _, pid := range pids {
		var st unix.Stat_t
		if unix.Stat("/proc/"+strconv.Itoa(pid)+"/root", &st) == nil {
			roots[fileID{st.Dev, st.Ino}] = true
		}
	}
	return roots
}

// maxTreeDepth bounds removeTree: libcontainer's state is two levels deep.
const maxTreeDepth = 16

// removeTree removes dir and what is below it, never following a symlink
// and never entering another mount: a mount point stays, with what is
// mounted on it and the directories that hold it (os.RemoveAll would
// empty a file system mounted below).
func removeTree(dir string) error {
	pfd, err := unix.Open(filepath.Dir(dir), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	mnt, err := mountID(pfd)
	if err != nil {
		return err
	}
	return removeAt(pfd, filepath.Base(dir), mnt, 0)
}

// errMounted: something is mounted at a path removeTree was to remove.
var errMounted = errors.New("a mount point: left in place")

func removeAt(dirfd int, name string, mnt uint64, depth int) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case err == unix.ENOENT:
		return nil
	case err == unix.ENOTDIR || err == unix.ELOOP:
		return unix.Unlinkat(dirfd, name, 0)
	case err != nil:
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if id, err := mountID(fd); err != nil {
		return err
	} else if id != mnt {
		return errMounted
	}
	if depth >= maxTreeDepth {
		return unix.ENAMETOOLONG
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	var first error
	for _, n := range names {
		if err := removeAt(fd, n, mnt, depth+1); err != nil && first == nil {
			first = err
		}
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && first == nil {
		first = err
	}
	return first
}

// mountID is the mount the open file fd is on.
func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, err
	}
	return stx.Mnt_id, nil
}
