package stream

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ctrun/ctrun/events"
)

// serve starts a Server in a fresh directory, as this process (its own
// holder), closed when the test ends.
func serve(t *testing.T) *Server {
	t.Helper()
	s, err := Listen(t.TempDir(), os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dial connects to s the way a reader does.
func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := Dial(s.Path(), os.Getpid(), os.Geteuid(), time.Now().Add(time.Second))
	if c == nil {
		t.Fatalf("dial %s: %v", s.Path(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// watchRaw asks s for its stream, and waits until s counts the reader,
// so that what is published next reaches it.
func watchRaw(t *testing.T, s *Server, o WatchOptions) net.Conn {
	t.Helper()
	c := dial(t, s)
	if _, err := io.WriteString(c, o.request()); err != nil {
		t.Fatal(err)
	}
	waitReaders(t, s, 1)
	return c
}

// waitReaders waits until s has n readers.
func waitReaders(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.clients)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d readers, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// publishN publishes n notices for ctid, their summaries prefix0, prefix1, ...
func publishN(s *Server, ctid, n int, prefix string) {
	for i := range n {
		s.PublishNotice(events.Notice(ctid, "test", prefix+strconv.Itoa(i)))
	}
}

// readAll reads lines until the server hangs up.
func readAll(t *testing.T, c net.Conn) []events.Line {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ls []events.Line
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var l events.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("after %d lines: %v", len(ls), err)
	}
	return ls
}

// tally counts the events among ls, and the events said lost.
func tally(ls []events.Line) (got, lost, notices int) {
	for _, l := range ls {
		if IsLost(l) {
			lost += l.Lost
			notices++
		} else {
			got++
		}
	}
	return got, lost, notices
}
