package stream

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ctrun/ctrun/events"
)

func TestListen(t *testing.T) {
	dir := t.TempDir()
	s, err := Listen(dir, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != SocketPath(dir, 4242) {
		t.Errorf("path %s, want %s", s.Path(), SocketPath(dir, 4242))
	}
	st, err := os.Lstat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != fs.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket, 0600", st.Mode())
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := os.Lstat(s.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after close: %v", err)
	}
}

func TestStat(t *testing.T) {
	s := serve(t)
	stat := func() map[string]int {
		t.Helper()
		q, err := Stat(s.Path(), os.Getpid(), os.Geteuid(), time.Now().Add(time.Second))
		if err != nil || q == nil {
			t.Fatalf("stat: %v, %v", q, err)
		}
		return q
	}
	if q := stat(); len(q) != 0 {
		t.Errorf("nothing published: %v", q)
	}
	publishN(s, 7, 3, "a")
	publishN(s, 8, queueLimit+5, "b")
	s.Publish(events.Event{Contract: 9}, true)
	want := map[string]int{"7": 3, "8": queueLimit, "9": 1}
	if q := stat(); !maps.Equal(q, want) {
		t.Errorf("stat %v, want %v", q, want)
	}
	s.Forget(8)
	s.Forget(10) // never seen: nothing happens
	delete(want, "8")
	if q := stat(); !maps.Equal(q, want) {
		t.Errorf("after Forget(8): %v, want %v", q, want)
	}
}

func TestWatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    WatchOptions
		want []string
	}{
		{"live only", WatchOptions{}, []string{"after0", "after1", "after2"}},
		{"replay", WatchOptions{Replay: true}, []string{"before0", "before1", "after0", "after1", "after2"}},
		{"reliable", WatchOptions{Reliable: true}, []string{"after0", "after1", "after2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serve(t)
			publishN(s, 1, 2, "before")
			c := dial(t, s)
			lines := make(chan []string)
			go func() {
				var got []string
				_ = Watch(context.Background(), c, tc.o, func(l events.Line, raw []byte) {
					got = append(got, l.Summary)
				})
				lines <- got
			}()
			waitReaders(t, s, 1)
			publishN(s, 1, 3, "after")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := <-lines; !slices.Equal(got, tc.want) {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}

// Watch returns when its context is done, however quiet the holder.
func TestWatchCancel(t *testing.T) {
	s := serve(t)
	c := dial(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Watch(ctx, c, WatchOptions{}, func(events.Line, []byte) {}) }()
	waitReaders(t, s, 1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("cancelled watch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end with its context")
	}
	waitReaders(t, s, 0) // the server notices the reader is gone
}

// A reader that does not keep up loses lines and is told how many: every
// line published is either read or counted lost.
func TestSlowReader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        WatchOptions
		mayLose  bool
		rootOnly bool
	}{
		{"bounded", WatchOptions{}, true, false},
		{"reliable", WatchOptions{Reliable: true}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootOnly && os.Geteuid() != 0 {
				t.Skip("reliable delivery is granted to root only")
			}
			const n = 20 * clientBuffer
			s := serve(t)
			c := watchRaw(t, s, tc.o)
			publishN(s, 1, n, "e") // nobody reads meanwhile
			closed := make(chan error)
			go func() { closed <- s.Close() }()
			got, lost, notices := tally(readAll(t, c))
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			if got+lost != n {
				t.Errorf("read %d, lost %d: %d published", got, lost, n)
			}
			if tc.mayLose && (lost == 0 || notices == 0) {
				t.Errorf("a reader %d lines behind lost nothing (read %d)", n, got)
			}
			if !tc.mayLose && lost != 0 {
				t.Errorf("reliable reader lost %d", lost)
			}
		})
	}
}

// Close hands a reader every line still buffered for it, in order, then
// hangs up.
func TestCloseFlushes(t *testing.T) {
	s := serve(t)
	c := watchRaw(t, s, WatchOptions{})
	const n = clientBuffer / 2
	publishN(s, 1, n, "e")
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	ls := readAll(t, c)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if len(ls) != n {
		t.Fatalf("read %d lines, want %d", len(ls), n)
	}
	for i, l := range ls {
		if want := "e" + strconv.Itoa(i); l.Summary != want {
			t.Fatalf("line %d is %q, want %q", i, l.Summary, want)
		}
	}
}

// Close does not wait for a reader that does not read longer than
// flushTimeout.
func TestCloseStuckReader(t *testing.T) {
	s := serve(t)
	watchRaw(t, s, WatchOptions{})
	publishN(s, 1, clientBuffer, "e")
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > flushTimeout+500*time.Millisecond {
		t.Errorf("close took %v", d)
	}
}

// Forget drops a contract's replay queue: a reader that comes later is
// not sent it.
func TestForget(t *testing.T) {
	s := serve(t)
	publishN(s, 1, 3, "one")
	publishN(s, 2, 2, "two")
	s.Forget(1)
	c := dial(t, s)
	if _, err := io.WriteString(c, WatchOptions{Replay: true}.request()); err != nil {
		t.Fatal(err)
	}
	waitReaders(t, s, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range readAll(t, c) {
		got = append(got, l.Summary)
	}
	if want := []string{"two0", "two1"}; !slices.Equal(got, want) {
		t.Errorf("replayed %q, want %q", got, want)
	}
}

// A request the server does not know is hung up on without a word.
func TestUnknownRequest(t *testing.T) {
	s := serve(t)
	for _, req := range []string{"hello\n", "\n"} {
		c := dial(t, s)
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		if ls := readAll(t, c); len(ls) != 0 {
			t.Errorf("%q answered %v", req, ls)
		}
	}
}

// A notice about a contract that is over (PublishAfter: its restart,
// giving up) reaches the readers connected, but no queue is made again
// for the contract: a holder restarting for months kept one per restart
// (issue 11).
func TestPublishAfterKeepsNothing(t *testing.T) {
	s := serve(t)
	c := watchRaw(t, s, WatchOptions{})
	publishN(s, 1, 2, "run")
	s.Forget(1)
	for i := range 1000 {
		s.PublishAfter(events.Notice(1+i, "restart", "after"+strconv.Itoa(i)))
	}
	s.mu.Lock()
	queues := len(s.queued)
	s.mu.Unlock()
	if queues != 0 {
		t.Errorf("%d replay queues kept after the contracts were over", queues)
	}
	// Read while Close flushes: the socket holds fewer lines than that.
	read := make(chan []events.Line, 1)
	go func() { read <- readAll(t, c) }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ls := <-read
	if len(ls) != 2+1000 || ls[2].Summary != "after0" || ls[len(ls)-1].Summary != "after999" {
		t.Errorf("reader got %d lines, want the 2 events and the 1000 notices live", len(ls))
	}
}
