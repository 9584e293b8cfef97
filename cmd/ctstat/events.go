package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

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
// error) when there is no socket or no answer in time. The socket is
// opened without following a symlink, checked to be a socket of the
// record's owner, connected to through that very descriptor, and must be
// served by the holder itself: root listing a user's contracts never
// writes to a socket the user merely named.
func queryHolder(k holderKey, deadline time.Time) (map[string]int, error) {
	fd, err := unix.Open(k.path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, nil
	}
	if int(st.Uid) != k.owner {
		return nil, fmt.Errorf("watch socket %s of holder %d belongs to uid %d, not to uid %d: not queried", k.path, k.pid, st.Uid, k.owner)
	}
	conn, err := (&net.Dialer{Deadline: deadline}).Dial("unix", "/proc/self/fd/"+strconv.Itoa(fd))
	if err != nil {
		return nil, nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	if pid, err := peerPid(conn); err == nil && pid != k.pid {
		return nil, fmt.Errorf("watch socket %s is served by pid %d, not by the holder %d: not queried", k.path, pid, k.pid)
	} else if err != nil {
		return nil, nil
	}
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

// peerPid is the pid of the process that serves the socket (SO_PEERCRED:
// the process that made the listening socket).
func peerPid(conn net.Conn) (int, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return int(cred.Pid), nil
}
