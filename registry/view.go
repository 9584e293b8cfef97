package registry

import (
	"fmt"
	"os"

	"github.com/ctrun/ctrun/procfs"
)

// Inside a contract, /proc is the contract's own: the records' host pids
// name nothing there, but the processes of the contract and of the
// sub-contracts made inside it are all in the caller's /proc, under other
// pids. A view finds a record's process by what the kernel shows of it
// here (its PID namespace, its pid in that namespace, its start time),
// never by the record's word alone, and only among the processes the
// caller can see: a record of a contract outside (a sibling, the host's)
// names nothing here and is left out.
type view struct {
	fs  procfs.FS
	own uint64 // the caller's PID namespace
	// byNS lists the pids seen here by PID namespace, read once, when a
	// process of a namespace below the caller's is first looked for.
	byNS map[uint64][]int
}

func newView(own uint64) *view { return &view{fs: procfs.Default, own: own} }

// find returns the pid here of the live process p, 0 when it cannot be
// seen from here (outside the caller's view, gone, or not what p says).
func (v *view) find(p Process) int {
	if p.NS == 0 || p.NSPid <= 0 || p.Start == 0 {
		return 0 // a record from before processes were named so
	}
	var candidates []int
	if p.NS == v.own {
		candidates = []int{p.NSPid}
	} else {
		candidates = v.namespace(p.NS)
	}
	var s procfs.Scratch
	for _, pid := range candidates {
		st, err := v.fs.Status(pid, &s)
		if err != nil || st.State.Exited() {
			continue
		}
		if nspid, ok := st.NSPid.At(procfs.Last); !ok || nspid != p.NSPid {
			continue
		}
		if !v.in(pid, st, p.NS) {
			continue
		}
		if stat, err := v.fs.Stat(pid); err == nil && stat.StartTime == p.Start {
			return pid
		}
	}
	return 0
}

// in says whether process pid (its status st) is in PID namespace ns. A
// process of the caller's own namespace has a pid in that namespace only
// (its NSpid line, which starts at the namespace of the caller's /proc,
// has one field): unprivileged, that is all there is to read of the
// contract's init, whose namespace links are closed to the command (it
// keeps capabilities in a user namespace above the command's).
func (v *view) in(pid int, st procfs.Status, ns uint64) bool {
	if ns == v.own {
		_, deeper := st.NSPid.At(1)
		return !deeper && v.ownProc()
	}
	ino, err := v.fs.PidNamespace(pid)
	return err == nil && ino == ns
}

// ownProc says whether the caller's /proc is its own PID namespace's (as a
// contract's is): the caller then has a pid there and no other.
func (v *view) ownProc() bool {
	var s procfs.Scratch
	st, err := v.fs.Status(os.Getpid(), &s)
	if err != nil {
		return false
	}
	pid, ok := st.NSPid.At(0)
	_, deeper := st.NSPid.At(1)
	return ok && pid == os.Getpid() && !deeper
}

// namespace lists the pids seen here in PID namespace ns.
func (v *view) namespace(ns uint64) []int {
	if v.byNS == nil {
		v.byNS = map[uint64][]int{}
		pids, _ := v.fs.Pids()
		for _, pid := range pids {
			if ino, err := v.fs.PidNamespace(pid); err == nil && ino != v.own {
				v.byNS[ino] = append(v.byNS[ino], pid)
			}
		}
	}
	return v.byNS[ns]
}

// see finds e's init and holder in v. Only a contract of a PID namespace
// of its own is looked for: its init is pid 1 there, which no other
// process can be, and what the record says of it (namespace, start time)
// must be what the kernel shows. A contract held without a namespace
// shares the pids of its holder's, and a record from another namespace
// names nothing of it here.
func (e *Entry) see(v *view) bool {
	if e.Subtree() || e.Init.NSPid != 1 {
		return false
	}
	init := v.find(e.Init)
	if init == 0 {
		return false
	}
	e.Seen = Seen{Init: init, Holder: v.find(e.Holder)}
	e.Inside = true
	return true
}

// oneEach refuses the records that name, from inside a contract, the same
// init: one contract has one record, and which of them bears its true id
// cannot be told from here (the host pid is the record's word). Only the
// directory's owner can have written them, so it is the owner's own
// records that are hidden, never another user's processes reached.
func oneEach(es *[]Entry) []error {
	byInit := map[int][]int{}
	for _, e := range *es {
		if e.Inside {
			byInit[e.Seen.Init] = append(byInit[e.Seen.Init], e.ID)
		}
	}
	var errs []error
	kept := (*es)[:0]
	for _, e := range *es {
		if ids := byInit[e.Seen.Init]; e.Inside && len(ids) > 1 {
			if ids[0] == e.ID {
				errs = append(errs, fmt.Errorf("records %v all name the contract whose init is pid %d here: refusing them", ids, e.Seen.Init))
			}
			continue
		}
		kept = append(kept, e)
	}
	*es = kept
	return errs
}
