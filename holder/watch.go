package holder

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/registry"
)

// watchServer serves the holder's event stream on a unix socket in the
// state directory (mode 0600 in a 0700 directory: the owner and root only).
// ctwatch reads JSON lines from it; ctstat asks how many events are queued.
//
// The holder never waits for a reader: each reader has a bounded buffer,
// and a reader too slow to keep up loses events and is told how many
// (unless it asked for reliable delivery, root only, which buffers without
// bound instead). The socket is the holder's, not a contract's, so a reader
// follows the command across restarts (new contract ids).
//
// Protocol: the client writes one line — "stat", or "watch" followed by
// the words "replay" (first send the events still queued) and/or
// "reliable" — and reads JSON lines (events.Line). "stat" is answered by
// one line {"queued":{"<ctid>":n,...}}.
type watchServer struct {
	path string
	ln   *net.UnixListener

	mu      sync.Mutex
	clients map[*watcher]bool
	closing bool // close has begun: no new readers
	// queued keeps, per contract, the last queueLimit events for replay,
	// as they are: most are never read, so they are formatted only for a
	// reader.
	queued map[int]*ring
}

// item is a queued event, or a notice of the holder's own.
type item struct {
	ev       events.Event
	critical bool
	notice   *events.Line
}

func (it *item) line() events.Line {
	if it.notice != nil {
		return *it.notice
	}
	return it.ev.Line(it.critical)
}

// ring is a fixed-size queue: the newest queueLimit items, in order.
type ring struct {
	items [queueLimit]item
	next  int
	n     int
}

func (r *ring) push(it item) {
	r.items[r.next] = it
	r.next = (r.next + 1) % queueLimit
	if r.n < queueLimit {
		r.n++
	}
}

func (r *ring) each(f func(*item)) {
	start := (r.next - r.n + queueLimit) % queueLimit
	for i := 0; i < r.n; i++ {
		f(&r.items[(start+i)%queueLimit])
	}
}

const (
	queueLimit   = 128
	clientBuffer = 1024
)

// watcher is one connected reader.
type watcher struct {
	conn     *net.UnixConn
	ch       chan []byte
	reliable bool

	mu      sync.Mutex
	lost    int
	backlog [][]byte // reliable readers only
	wake    chan struct{}
	done    chan struct{}
	// finish asks run to write what is still buffered and hang up (the
	// holder is exiting); finished is closed once run has returned.
	finish   chan struct{}
	finished chan struct{}
}

// flushTimeout bounds how long an exiting holder spends handing its last
// lines to its readers: a reader that does not read loses them.
const flushTimeout = time.Second

func watchPathFor(dir string, pid int) string {
	return filepath.Join(dir, "holder-"+strconv.Itoa(pid)+".sock")
}

// startWatchServer listens in dir, on a socket named after the holder's
// host pid. The socket is removed by close.
func startWatchServer(dir string, hostPid int) (*watchServer, error) {
	// The contract being made meanwhile may not have made the state
	// directory yet.
	if err := registry.EnsureDir(dir); err != nil {
		return nil, err
	}
	path := watchPathFor(dir, hostPid)
	_ = os.Remove(path)
	// Not umask: it is the whole process's, and a contract is being made
	// meanwhile. The directory is 0700 anyway; the socket follows.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	s := &watchServer{path: path, ln: ln, clients: map[*watcher]bool{}, queued: map[int]*ring{}}
	go s.accept()
	return s, nil
}

func (s *watchServer) accept() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		go s.serve(c)
	}
}

func (s *watchServer) serve(c *net.UnixConn) {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	words := strings.Fields(line)
	if len(words) == 0 {
		c.Close()
		return
	}
	switch words[0] {
	case "stat":
		s.mu.Lock()
		q := map[string]int{}
		for id, r := range s.queued {
			q[strconv.Itoa(id)] = r.n
		}
		s.mu.Unlock()
		b, _ := json.Marshal(map[string]any{"queued": q})
		_, _ = c.Write(append(b, '\n'))
		c.Close()
	case "watch":
		w := &watcher{conn: c, ch: make(chan []byte, clientBuffer), wake: make(chan struct{}, 1), done: make(chan struct{}),
			finish: make(chan struct{}), finished: make(chan struct{})}
		replay := false
		for _, opt := range words[1:] {
			switch opt {
			case "replay":
				replay = true
			case "reliable":
				w.reliable = peerIsRoot(c)
			}
		}
		s.mu.Lock()
		if replay {
			for _, r := range s.queued {
				r.each(func(it *item) { w.offer(it.line().JSON()) })
			}
		}
		if s.closing {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.clients[w] = true
		s.mu.Unlock()
		w.run()
		s.mu.Lock()
		delete(s.clients, w)
		s.mu.Unlock()
		close(w.finished)
	default:
		c.Close()
	}
}

// peerIsRoot: only root may ask for delivery without loss (it costs the
// holder memory without bound).
func peerIsRoot(c *net.UnixConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	root := false
	_ = raw.Control(func(fd uintptr) {
		cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		root = err == nil && cred.Uid == 0
	})
	return root
}

// offer hands a line to the reader without ever waiting.
func (w *watcher) offer(line []byte) {
	if w.reliable {
		w.mu.Lock()
		w.backlog = append(w.backlog, line)
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
		return
	}
	select {
	case w.ch <- line:
	default:
		w.mu.Lock()
		w.lost++
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// run writes to the reader until it goes away.
func (w *watcher) run() {
	defer w.conn.Close()
	// A reader that hangs up is noticed by a failing read.
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := w.conn.Read(buf); err != nil {
				close(w.done)
				return
			}
		}
	}()
	for {
		var line []byte
		select {
		case line = <-w.ch:
		case <-w.wake:
		case <-w.done:
			return
		case <-w.finish:
			w.flush()
			return
		}
		if !w.writePending() {
			return
		}
		if line != nil && !w.write(line) {
			return
		}
	}
}

// writePending writes the notice of lines lost and a reliable reader's
// backlog. It says whether the reader still takes lines.
func (w *watcher) writePending() bool {
	w.mu.Lock()
	lost, backlog := w.lost, w.backlog
	w.lost, w.backlog = 0, nil
	w.mu.Unlock()
	if lost > 0 {
		b, _ := json.Marshal(map[string]any{"type": "lost", "lost": lost, "summary": strconv.Itoa(lost) + " events lost: the reader was too slow"})
		if !w.write(append(b, '\n')) {
			return false
		}
	}
	for _, l := range backlog {
		if !w.write(l) {
			return false
		}
	}
	return true
}

// flush writes every line still buffered, in order, within flushTimeout.
func (w *watcher) flush() {
	_ = w.conn.SetWriteDeadline(time.Now().Add(flushTimeout))
	for {
		select {
		case line := <-w.ch:
			if !w.write(line) {
				return
			}
		default:
			w.writePending()
			return
		}
	}
}

func (w *watcher) write(b []byte) bool {
	_, err := w.conn.Write(b)
	return err == nil
}

// publish sends an item to every reader and keeps it for replay; it is
// formatted only if someone reads it now.
func (s *watchServer) publish(ctid int, it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.queued[ctid]
	if r == nil {
		r = &ring{}
		s.queued[ctid] = r
	}
	r.push(it)
	if len(s.clients) == 0 {
		return
	}
	b := it.line().JSON()
	for w := range s.clients {
		w.offer(b)
	}
}

// forget drops the replay queue of a contract that is over.
func (s *watchServer) forget(ctid int) {
	s.mu.Lock()
	delete(s.queued, ctid)
	s.mu.Unlock()
}

// close stops taking readers, hands the current ones what is still
// buffered for them (at most flushTimeout) and hangs up.
func (s *watchServer) close() error {
	err := s.ln.Close()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	var ws []*watcher
	for w := range s.clients {
		ws = append(ws, w)
		close(w.finish)
	}
	s.mu.Unlock()
	deadline := time.After(flushTimeout + 100*time.Millisecond)
	for _, w := range ws {
		select {
		case <-w.finished:
		case <-deadline:
		}
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
