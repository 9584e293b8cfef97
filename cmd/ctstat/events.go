package main

import (
	"sort"
	"strconv"
	"time"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/stream"
)

// The holder keeps a replay queue of events per contract and says how
// long each is on its watch socket (the record's Watch): ctstat asks each
// holder once (stream.Stat).

// queryTimeout bounds a whole query (connect, ask, answer): a holder that
// does not answer in time counts as having nothing queued.
const queryTimeout = 200 * time.Millisecond

// holderKey names one holder to ask: its socket, the pid that must serve
// it and the uid that must own it (the owner of the record's directory).
type holderKey struct {
	path  string
	pid   int
	owner int
}

// queryHolders asks every distinct holder of the live contracts once, all
// in parallel, and sets each contract's events. A contract without a
// holder, or whose holder does not answer, has 0. The errors are
// sockets that are not their holder's (stream.Dial), reported as
// warnings.
func queryHolders(cs []contract) []error {
	groups := map[holderKey][]*contract{}
	// One lstat per registry directory, not per record; -1 for one
	// removed with the last dead record it held.
	owners := map[registry.Dir]int{}
	for i := range cs {
		c := &cs[i]
		if c.Watch == "" || (c.State != registry.Owned && c.State != registry.Inherited) {
			continue
		}
		owner, ok := owners[c.Dir]
		if !ok {
			owner = c.Dir.Owner()
			owners[c.Dir] = owner
		}
		// The holder as seen here: inside a contract, 0 for the holder
		// of the caller's own, which runs outside it.
		k := holderKey{path: c.Watch, pid: c.HolderPid(), owner: owner}
		if k.owner < 0 {
			continue
		}
		groups[k] = append(groups[k], c)
	}
	type answer struct {
		k      holderKey
		queued map[string]int
		err    error
	}
	answers := make(chan answer, len(groups))
	deadline := time.Now().Add(queryTimeout)
	for k := range groups {
		go func() {
			q, err := stream.Stat(k.path, k.pid, k.owner, deadline)
			answers <- answer{k, q, err}
		}()
	}
	var errs []error
	for range groups {
		a := <-answers
		if a.err != nil {
			errs = append(errs, a.err)
		}
		for _, c := range groups[a.k] {
			c.events = max(0, a.queued[strconv.Itoa(c.ID)])
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}
