package stream

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/ctrun/ctrun/events"
)

// Server serves a holder's event stream on a unix socket in the state
// directory (mode 0600 in a 0700 directory: the owner and root only).
// ctwatch reads JSON lines from it; ctstat asks how many events are
// queued.
//
// The holder never waits for a reader: each reader has a bounded buffer,
// and a reader too slow to keep up loses events and is told how many
// (unless it asked for reliable delivery, root only, which buffers without
// bound instead). The socket is the holder's, not a contract's, so a
// reader follows the command across restarts (new contract ids).
type Server struct {
	path string
	ln   *net.UnixListener

	mu      sync.Mutex
	clients map[*watcher]bool
	closing bool // Close has begun: no new readers
	// queued keeps, per contract, the last queueLimit events for replay.
	queued map[int]*ring
}

// requestTimeout bounds how long a client may take to write its request.
const requestTimeout = 2 * time.Second

// Listen serves on SocketPath(dir, holderPid); dir must exist (0700). The
// socket is removed by Close.
func Listen(dir string, holderPid int) (*Server, error) {
	path := SocketPath(dir, holderPid)
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
	s := &Server{path: path, ln: ln, clients: map[*watcher]bool{}, queued: map[int]*ring{}}
	go s.accept()
	return s, nil
}

// Path is the socket's path, for the record (a reader finds it there).
func (s *Server) Path() string { return s.path }

func (s *Server) accept() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		go s.serve(c)
	}
}

// requestBuffer is the read buffer of a request line; maxRequest bounds
// the line (a longer one is hung up on).
const (
	requestBuffer = 64
	maxRequest    = 4096
)

// serve reads a client's request and answers it.
func (s *Server) serve(c *net.UnixConn) {
	_ = c.SetReadDeadline(time.Now().Add(requestTimeout))
	// A request is a few words: a small buffer (the reader grows it for a
	// longer line), as readers come and go for as long as the holder runs.
	line, err := bufio.NewReaderSize(io.LimitReader(c, maxRequest), requestBuffer).ReadString('\n')
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	req, ok := parseRequest(line)
	if !ok {
		c.Close()
		return
	}
	switch req.verb {
	case verbStat:
		_, _ = c.Write(s.stat().line())
		c.Close()
	case verbWatch:
		s.watch(c, req.WatchOptions)
	default:
		c.Close()
	}
}

// stat is how many events are queued, per contract.
func (s *Server) stat() statAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := map[string]int{}
	for id, r := range s.queued {
		q[strconv.Itoa(id)] = r.len()
	}
	return statAnswer{Queued: q}
}

// watch streams to c until it hangs up or the server closes.
func (s *Server) watch(c *net.UnixConn, o WatchOptions) {
	w := newWatcher(c, o.Reliable && peerIsRoot(c))
	s.mu.Lock()
	if o.Replay {
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
	last := len(s.clients) == 0 && !s.closing
	s.mu.Unlock()
	close(w.finished)
	if last {
		// What the readers used (their goroutines, buffers, the replay
		// formatted for them) is returned now: readers come and go for as
		// long as the holder runs, and each left some kilobytes the
		// collector would only take once the heap had doubled from its
		// 4 MiB floor (make soak).
		debug.FreeOSMemory()
	}
}

// Publish sends a contract's event to every reader and keeps it for
// replay; critical events are those in the contract's fatal set.
func (s *Server) Publish(e events.Event, critical bool) {
	s.publish(e.Contract, item{ev: e, critical: critical}, true)
}

// PublishNotice sends a notice of the holder's own (events.Notice) to
// every reader and keeps it for replay.
func (s *Server) PublishNotice(l events.Line) {
	s.publish(l.Ctid, item{notice: &l}, true)
}

// PublishAfter sends a notice about a contract that is over (its restart,
// a pause before it, giving up) to the readers connected now, and keeps
// nothing for replay: the contract's queue is forgotten, and one made
// anew for it would never be, growing a holder that restarts for months
// by a queue per restart.
func (s *Server) PublishAfter(l events.Line) {
	s.publish(l.Ctid, item{notice: &l}, false)
}

// publish sends an item to every reader and, when keep, keeps it for
// replay; it is formatted only if someone reads it now.
func (s *Server) publish(ctid int, it item, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if keep {
		r := s.queued[ctid]
		if r == nil {
			r = &ring{}
			s.queued[ctid] = r
		}
		r.push(it)
	}
	if len(s.clients) == 0 {
		return
	}
	b := it.line().JSON()
	for w := range s.clients {
		w.offer(b)
	}
}

// Forget drops the replay queue of a contract that is over.
func (s *Server) Forget(ctid int) {
	s.mu.Lock()
	delete(s.queued, ctid)
	s.mu.Unlock()
}

// Close stops taking readers, hands the current ones what is still
// buffered for them (at most flushTimeout) and hangs up. The socket is
// removed.
func (s *Server) Close() error {
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
