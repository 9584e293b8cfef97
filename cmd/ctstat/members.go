package main

import (
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
)

// member is one process of a contract, as ctstat prints it (its JSON names
// are what ctstat -j prints).
type member = procfs.Member

// findMembers fills in the members of every live contract with a single
// pass over /proc, whatever the number of contracts: a process belongs to
// contract id when it is in the PID namespace of the contract's init
// (whose host pid is the id) and is not that init. Processes of
// sub-contracts live in namespaces of their own and so are not members.
func findMembers(cs []contract) {
	byNS := map[uint64]*contract{}
	for i := range cs {
		if c := &cs[i]; c.PidNSIno != 0 && c.State != registry.Dead {
			byNS[c.PidNSIno] = c
		}
	}
	nss := make([]procfs.Namespace, 0, len(byNS))
	for ino, c := range byNS {
		nss = append(nss, procfs.Namespace{Ino: ino, Init: c.ID})
	}
	// Listing /proc fails only part-way, if at all: what was read is shown.
	found, _ := procfs.Default.MembersOf(nss, procfs.Options{})
	for ino, ms := range found {
		byNS[ino].members = ms
	}
}
