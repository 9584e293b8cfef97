package stream

import (
	"net"
	"sync"
	"time"
)

// A watcher is one connected reader of the stream. The holder hands it
// lines without ever waiting (offer); its own goroutine (run) writes them
// out at the reader's pace. A reader that falls more than clientBuffer
// lines behind loses the newest and is told how many; a reliable one
// (root) keeps an unbounded backlog instead.

// clientBuffer is how many lines a reader may fall behind before it loses
// some.
const clientBuffer = 1024

// flushTimeout bounds how long an exiting holder spends handing its last
// lines to its readers: a reader that does not read loses them.
const flushTimeout = time.Second

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

func newWatcher(conn *net.UnixConn, reliable bool) *watcher {
	return &watcher{conn: conn, ch: make(chan []byte, clientBuffer), reliable: reliable,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		finish: make(chan struct{}), finished: make(chan struct{})}
}

// offer hands a line to the reader without ever waiting.
func (w *watcher) offer(line []byte) {
	if w.reliable {
		w.mu.Lock()
		w.backlog = append(w.backlog, line)
		w.mu.Unlock()
		w.poke()
		return
	}
	select {
	case w.ch <- line:
	default:
		w.mu.Lock()
		w.lost++
		w.mu.Unlock()
		w.poke()
	}
}

// poke wakes run, if it is not awake already.
func (w *watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
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
		if !w.write(lostLine(lost)) {
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
