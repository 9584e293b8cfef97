package registry

import (
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// Subtree says whether the contract is held as its init's descendants (no
// PID namespace of its own: see mechanism), not as a namespace.
func (r *Record) Subtree() bool { return r.Held != nil && r.Held.Subtree() }

// Members lists the members of the live contracts es, keyed by id, with
// one pass over /proc for those held as namespaces and one for those held
// as subtrees: a namespace's processes but its init, or the init's
// descendants but a sub-contract's init and what is below it.
func Members(es []*Entry, opt procfs.Options) map[int][]procfs.Member {
	out := make(map[int][]procfs.Member, len(es))
	var nss []procfs.Namespace
	byNS := map[uint64]int{}
	var subtrees []*Entry
	for _, e := range es {
		switch {
		case e.Subtree():
			subtrees = append(subtrees, e)
		case e.PidNSIno != 0:
			nss = append(nss, procfs.Namespace{Ino: e.PidNSIno, Init: e.InitPid()})
			byNS[e.PidNSIno] = e.ID
		}
	}
	if len(nss) > 0 {
		// Listing /proc fails only part-way, if at all: what was read is
		// what is shown.
		found, _ := procfs.Default.MembersOf(nss, opt)
		for ino, ms := range found {
			out[byNS[ino]] = ms
		}
	}
	if len(subtrees) > 0 {
		tree, _ := procfs.Default.Tree()
		for _, e := range subtrees {
			out[e.ID] = procfs.Default.DescendantMembers(tree, e.InitPid(), SubcontractInit, opt)
		}
	}
	return out
}

// SubcontractInit: a process below a contract's init that is named as one
// and was started as one (its first argument is the init's) is a
// sub-contract's init: it and what is below it are not the outer
// contract's members. The name alone is not enough: any member can take
// it.
func SubcontractInit(pid int, comm string) bool {
	return comm == wire.InitName && procfs.Default.Arg(pid, 1) == wire.InitArg
}

// Member describes process pid if it is a member of the live contract e.
func (e *Entry) Member(pid int, opt procfs.Options) (procfs.Member, bool) {
	if e.Subtree() {
		return procfs.Default.Descendant(e.InitPid(), pid, SubcontractInit, opt)
	}
	return procfs.Default.Member(procfs.Namespace{Ino: e.PidNSIno, Init: e.InitPid()}, pid, opt)
}
