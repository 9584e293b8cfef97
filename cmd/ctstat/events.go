package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/ctrun/ctrun/registry"
)

// The holder keeps a replay queue of events per contract and says how
// long each is on its watch socket (the record's Watch, a unix stream
// socket): ctstat connects, writes "stat\n", reads one JSON line
// {"queued":{"<ctid>":N,...}} and closes.
const (
	statRequest = "stat\n"
	// queryTimeout bounds a whole query (connect, ask, answer): a holder
	// that does not answer in time counts as having nothing queued.
	queryTimeout = 200 * time.Millisecond
	// maxReply bounds what is read of an answer.
	maxReply = 1 << 20
)

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
// hostile sockets, reported as warnings.
func queryHolders(cs []contract, owners dirOwners) []error {
	groups := map[holderKey][]*contract{}
	for i := range cs {
		c := &cs[i]
		if c.Watch == "" || (c.State != registry.Owned && c.State != registry.Inherited) {
			continue
		}
		k := holderKey{path: c.Watch, pid: c.Holder.Pid, owner: owners.owner(c.Dir)}
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
			q, err := queryHolder(k, deadline)
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

// queryHolder asks one holder for its queue lengths. Nothing (and no
// error) when there is no socket or no answer in time; the socket must be
// the holder's (registry.DialHolder).
func queryHolder(k holderKey, deadline time.Time) (map[string]int, error) {
	conn, err := registry.DialHolder(k.path, k.pid, k.owner, deadline)
	if conn == nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, statRequest); err != nil {
		return nil, nil
	}
	return readQueued(conn), nil
}

// readQueued reads the holder's one-line answer; nil when there is none
// or it does not parse (the holder then counts as not answering).
func readQueued(r io.Reader) map[string]int {
	line, err := bufio.NewReader(io.LimitReader(r, maxReply)).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil
	}
	var reply struct {
		Queued map[string]int `json:"queued"`
	}
	if json.Unmarshal(line, &reply) != nil {
		return nil
	}
	return reply.Queued
}
