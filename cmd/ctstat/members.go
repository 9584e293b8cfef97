package main

import (
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
)

// member is one process of a contract, as ctstat prints it (its JSON names
// are what ctstat -j prints).
type member = procfs.Member

// findMembers fills in the members of every live contract with one pass
// over /proc, whatever the number of contracts (registry.Members): the
// processes of its init's PID namespace but the init, or, for a contract
// held without a namespace of its own, its init's descendants. Processes
// of sub-contracts are not members.
func findMembers(cs []contract) {
	var es []*registry.Entry
	for i := range cs {
		if cs[i].State != registry.Dead {
			es = append(es, &cs[i].Entry)
		}
	}
	found := registry.Members(es, procfs.Options{})
	for i := range cs {
		cs[i].members = found[cs[i].ID]
	}
}
