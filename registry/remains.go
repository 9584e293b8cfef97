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
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// CollectRemains removes what holders and inits killed half-way left in
// the caller's own state directory d, and only there (never another
// user's: root leaves users' directories alone):
//
//   - what a claim names, once its holder is gone and its init is gone
//     too, or never came as far as running ours (no command can have run):
//     the instance's cgroups in every hierarchy, its libcontainer state and
//     rootfs directories, a libcontainer init still waiting for its exec
//     FIFO, and then the claim;
//   - an instance's libcontainer state or rootfs directory that no claim
//     names (collectUnclaimed);
//   - a temporary file whose writer died before renaming it;
//   - a contract's endpoint socket that nobody answers on and no record
//     names.
//
// Everything live is left alone: a claim of a holder that runs (it may be
// starting), an init that runs ours (an orphaned contract, or one cleaning
// up after itself), a file younger than removeGrace. It returns the
// problems with single claims (damaged, hostile), which are left in place.
func (d Dir) CollectRemains() []error {
	if d.Owner() != os.Geteuid() {
		return nil
	}
	var errs []error
	ownNS := OwnPidNS()
	for _, name := range d.Claims() {
		c, err := d.ReadClaim(name)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		find := localProcess
		if c.PidNS != 0 && ownNS != 0 && c.PidNS != ownNS {
			// Made by a ctrun inside a contract: its pids are that
			// namespace's, which only the host's /proc shows below
			// its own (inside a contract, the host's claims are as
			// foreign, and their processes out of sight).
			if ownNS != HostPidNS() {
				continue
			}
			find = foreignProcess
		}
		d.collectClaim(c, find)
	}
	d.collectUnclaimed(removeGrace)
	d.collectTemps()
	d.collectEndpoints()
	RemoveIfEmpty(string(d))
	return errs
}

// localProcess finds p, named in the caller's PID namespace: its pid
// here, if it runs.
func localProcess(p Process) (int, bool) { return p.Pid, p.Alive() }

// foreignProcess finds p, named in a PID namespace below the caller's (a
// claim of a ctrun inside a contract): a running process started at p's
// start time (the same in every namespace) that has p's pid in one of its
// namespaces. It returns its pid here.
func foreignProcess(p Process) (int, bool) {
	if p.Pid <= 0 {
		return 0, false
	}
	pids, err := procfs.Default.Pids()
	if err != nil {
		return 0, true // cannot tell: taken for alive
	}
	var scratch procfs.Scratch
	for _, pid := range pids {
		st, err := procfs.Default.Stat(pid)
		if err != nil || st.StartTime != p.Start || st.State.Exited() {
			continue
		}
		status, err := procfs.Default.Status(pid, &scratch)
		if err != nil {
			continue
		}
		for i := 1; ; i++ {
			nspid, ok := status.NSPid.At(i)
			if !ok {
				break
			}
			if nspid == p.Pid {
				return pid, true
			}
		}
	}
	return 0, false
}

// removeGrace is how old a file without a claim must be before it is taken
// for a remain: a live writer renames its temporary file, and a starting
// init listens on its endpoint, within microseconds.
const removeGrace = 10 * time.Second

// cgroupWait bounds how long collectClaim waits for the processes it
// killed to leave a cgroup: it is tried again at the next collection.
const cgroupWait = 500 * time.Millisecond

// collectClaim removes what claim c names if its holder is gone and
// nothing of it can still run a command; find finds the claim's processes.
func (d Dir) collectClaim(c *Claim, find func(Process) (int, bool)) {
	if _, alive := find(c.Holder); alive {
		return // holding, or still making it
	}
	if pid, alive := find(c.Init); alive {
		if c.Made {
			// Ours runs: it keeps an orphaned contract, or ends (it
			// saw its holder go before the go) and cleans up itself.
			return
		}
		// libcontainer's init, or ours before it was told anything:
		// no command can have started. End it, and so its namespaces.
		killProcess(Process{Pid: pid, Start: c.Init.Start})
	}
	d.removeClaimed(c)
}

// ReleaseOwn removes, as holder self ends, what is left of its own
// instances that their removal could not reach at the time (a making
// that failed for want of descriptors, which the removal needs too): each
// of its claims is collected as a dead holder's would be. A contract it
// lets go on keeps its claim, its init running.
func (d Dir) ReleaseOwn(self Process) {
	for _, name := range d.Claims() {
		c, err := d.ReadClaim(name)
		if err != nil || c.Holder.Pid != self.Pid || c.Holder.Start != self.Start {
			continue
		}
		d.collectClaim(c, func(p Process) (int, bool) {
			if p == c.Holder {
				return 0, false
			}
			return localProcess(p)
		})
	}
}

// ReleaseClaim removes what is left of instance name, and its claim once
// all of it is gone: for its holder (or adopter) once the init is gone or
// was never started. Root releasing a user's contract (adopted) acts as
// that user.
func (d Dir) ReleaseClaim(name string) {
	_ = d.asDirOwner(func() error {
		if c, err := d.ReadClaim(name); err == nil {
			d.removeClaimed(c)
		}
		return nil
	})
}

// removeClaimed removes what claim c names, then the claim if all of it
// is gone.
func (d Dir) removeClaimed(c *Claim) {
	// An init waiting for its exec FIFO that the claim does not know yet
	// (the holder died before it learnt the pid): a reader lets it go on,
	// to fail (the FIFO is closed again) or to run ours, which ends as
	// its holder is gone.
	lc := filepath.Join(string(d), c.Name+LibcontainerSuffix)
	releaseExecFifo(filepath.Join(lc, "c", "exec.fifo"))
	gone := true
	if os.Geteuid() == 0 && d.Owner() == 0 {
		for _, p := range c.cgroupDirs() {
			if !removeCgroup(p, !c.Made) {
				gone = false
			}
		}
	}
	if err := removeDir(lc, removeTree); err != nil {
		gone = false
	}
	if err := removeDir(filepath.Join(string(d), c.Name+RootfsSuffix), RemoveRootfs); err != nil {
		gone = false
	}
	if gone {
		d.RemoveClaim(c.Name)
	}
}

// cgroupDirs are the instance's cgroup directories the claim names: in
// the cgroup file system only, and named as ctrun names them.
func (c *Claim) cgroupDirs() []string {
	var out []string
	for _, p := range c.CgroupParents {
		p = filepath.Clean(p)
		if !filepath.IsAbs(p) || !strings.HasPrefix(p+"/", "/sys/fs/cgroup/") || strings.Contains(p, "/../") {
			continue
		}
		out = append(out, filepath.Join(p, CgroupName(c.Name)))
	}
	return out
}

// removeDir removes dir with remove if it is there as a real directory
// (never through a symlink put in its place).
func removeDir(dir string, remove func(string) error) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.Unlink(dir)
	}
	return remove(dir)
}

// killProcess sends SIGKILL to p if it is still p (through a pidfd: the
// pid cannot be taken anew between the check and the kill).
func killProcess(p Process) {
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if p.Alive() {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// releaseExecFifo opens libcontainer's exec FIFO for reading and closes
// it: an init blocked opening it for writing goes on (and finds no reader,
// or runs ours without a holder: either way it ends).
func releaseExecFifo(path string) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
		// Give a waiting writer the moment it needs to see us.
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		_, _ = unix.Poll(pfd, 50)
	}
	unix.Close(fd)
}

// removeCgroup removes one of an instance's cgroup directories, first
// killing what is left in it when kill (only a half-made instance's
// processes can be). It reports whether the directory is gone.
func removeCgroup(dir string, kill bool) bool {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return err == unix.ENOENT
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false
	}
	if kill {
		// cgroup.kill (v2) ends every process at once; v1 has only the
		// list.
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
	}
	for deadline := time.Now().Add(cgroupWait); ; {
		err := unix.Rmdir(dir)
		if err == nil || err == unix.ENOENT {
			return true
		}
		if err != unix.EBUSY || time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// collectTemps removes temporary files whose writer is gone (TempName): a
// holder killed between writing a record or claim and renaming it. A
// writer in another PID namespace may look gone: it writes again should
// its file vanish (writeAtomic).
func (d Dir) collectTemps() {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return
	}
	for _, de := range des {
		base, ok := strings.CutSuffix(de.Name(), TempSuffix)
		if !ok {
			continue
		}
		// <final>.<writer pid>.tmp, gone with its writer; a bare
		// <final>.tmp is of an older ctrun, its writer unknown.
		p := filepath.Join(string(d), de.Name())
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			if pid, err := strconv.Atoi(base[i+1:]); err == nil && pid > 0 {
				if !writerAlive(pid) && regularOlder(p, 0) {
					_ = os.Remove(p)
				}
				continue
			}
		}
		if regularOlder(p, removeGrace) {
			_ = os.Remove(p)
		}
	}
}

// writerAlive says whether pid runs (a zombie does not write).
func writerAlive(pid int) bool {
	st, err := procfs.Default.Stat(pid)
	return err == nil && !st.State.Exited()
}

// regularOlder: path is a regular file last changed more than age ago.
func regularOlder(path string, age time.Duration) bool {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	return time.Since(time.Unix(st.Ctim.Unix())) > age
}

// collectEndpoints removes contracts' endpoint sockets ("<id>.sock") that
// no record names and nobody answers on: an init killed after its holder
// removed the record, or before it could remove its endpoint.
func (d Dir) collectEndpoints() {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return
	}
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), wire.SockSuffix)
		if !ok {
			continue
		}
		id, err := strconv.Atoi(name)
		if err != nil || id <= 0 {
			continue // a holder's event socket: collectHolderSockets
		}
		if _, err := os.Lstat(d.Path(id)); err == nil || !errors.Is(err, os.ErrNotExist) {
			continue // a record's: collected with it
		}
		p := filepath.Join(string(d), de.Name())
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
			continue
		}
		// An init binds its endpoint a moment before it listens.
		if time.Since(time.Unix(st.Ctim.Unix())) > removeGrace && Stale(p) {
			_ = os.Remove(p)
		}
	}
}

// RemoveRootfs removes a contract's root directory, if the init has not
// already: empty mount points and symlinks only, never anything reached
// through a mount (an entry on another device is left alone).
func RemoveRootfs(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return err
	}
	if mountedOn(dir) {
		return errMounted
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

// mountedOn says whether dir is on another mount than the directory
// holding it (or cannot be told): what is in it is not the state
// directory's.
func mountedOn(dir string) bool {
	var in, parent unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &in) != nil ||
		unix.Statx(unix.AT_FDCWD, filepath.Dir(dir), 0, unix.STATX_MNT_ID, &parent) != nil {
		return true
	}
	return in.Mnt_id != parent.Mnt_id
}
