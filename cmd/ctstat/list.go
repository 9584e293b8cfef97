package main

import "github.com/ctrun/ctrun/registry"

// contract is one contract as ctstat shows it: the registry's entry and
// what was learnt about it at listing time.
type contract struct {
	registry.Entry
	// events is the number of events the holder keeps queued for it.
	events int
	// members are its processes (the init excluded), by pid as seen
	// here (host pids on the host; inside a contract, pids there); only
	// looked for with -v or -j.
	members []member
	// inherited are the contracts it inherited (it is a regent).
	inherited []int
}

// listing is one pass over the registry: what ctstat prints at one
// moment, and the problems met on the way (one warning each).
type listing struct {
	contracts []contract
	problems  []error
}

// collect makes one listing. Dead records are collected as they are
// found (registry.List); they are shown, once, only with -a.
func collect(dirs []registry.Dir, o options) listing {
	// All of them, also with -i: a contract's inherited ones are found
	// among the rest.
	all, errs := registry.List(dirs, registry.ListOptions{Collect: mayCollect()})
	l := listing{problems: errs}
	want := map[int]bool{}
	for _, id := range o.ids {
		want[id] = true
	}
	for _, e := range all {
		if e.State == registry.Dead && !o.all {
			continue
		}
		if len(want) > 0 && !want[e.ID] {
			continue
		}
		l.contracts = append(l.contracts, contract{Entry: e, inherited: registry.InheritedBy(all, e.ID)})
	}
	if o.details() {
		findMembers(l.contracts)
	}
	l.problems = append(l.problems, queryHolders(l.contracts)...)
	return l
}

// mayCollect says whether dead records may be removed. Inside a contract
// /proc is the contract's own while the state directories are the host's:
// every host contract would look dead there, and its record must not be
// removed on that evidence.
func mayCollect() bool { return !registry.InsideContract() }
