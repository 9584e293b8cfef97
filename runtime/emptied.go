package runtime

import (
	"errors"
	"io/fs"

	"github.com/ctrun/ctrun/procfs"
)

// Emptied says whether the contract's members are all gone though its
// init may not be (see Instance). In a PID namespace of its own every
// other process descends from the init, which reaps the orphans: so when
// each child the init has left is a zombie (it has closed its files and
// let go of its memory) and no thread of it runs on, no member is left.
// A restart need not wait for the init's own exit, its memory and its
// namespaces torn down, to know the old contract is empty (holder/react.go).
// Anything that cannot be read is "not known": false.
func (i *created) Emptied() bool {
	if i.initPid <= 0 || i.exit.over() {
		return false
	}
	// The init is single-threaded: its children are its only thread's.
	var s procfs.Scratch
	kids, err := procfs.Default.TaskChildren(i.initPid, i.initPid, &s)
	if err != nil {
		return false
	}
	for _, pid := range kids {
		st, err := procfs.Default.Stat(pid)
		if errors.Is(err, fs.ErrNotExist) {
			continue // reaped meanwhile
		}
		if err != nil || !st.State.Exited() || st.Threads > 1 {
			return false
		}
	}
	return true
}
