package registry

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// asOwner runs f on a thread of its own whose file-system identity is uid
// and gid: root writing into a user's directory can then do no more there
// than the user could (a symlink or a hard link the user put in place
// gains nothing). The thread is never unlocked, so it ends with its
// goroutine and nothing else ever runs with that identity.
func asOwner(uid, gid uint32, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// setfs[ug]id report the previous value, not success; -1 is
		// refused and reports the current one.
		_, _ = unix.SetfsgidRetGid(int(gid))
		_, _ = unix.SetfsuidRetUid(int(uid))
		cg, _ := unix.SetfsgidRetGid(-1)
		cu, _ := unix.SetfsuidRetUid(-1)
		if cu != int(uid) || cg != int(gid) {
			errc <- fmt.Errorf("act as uid %d gid %d: not permitted", uid, gid)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Owner is the uid that owns the directory, -1 when it cannot be examined:
// the uid its records, and a holder's socket in it (stream.Dial), must
// belong to.
func (d Dir) Owner() int {
	var st unix.Stat_t
	if unix.Lstat(string(d), &st) != nil {
		return -1
	}
	return int(st.Uid)
}

// asDirOwner runs f with the file-system identity of d's owner: directly
// when that is the caller, on a thread of its own (asOwner) otherwise.
func (d Dir) asDirOwner(f func() error) error {
	var st unix.Stat_t
	if err := unix.Lstat(string(d), &st); err != nil {
		return err
	}
	if int(st.Uid) == os.Geteuid() {
		return f()
	}
	return asOwner(st.Uid, st.Gid, f)
}
