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
	reliable bool

	mu sync.Mutex
	// queue holds the lines not yet written, oldest first: at most
	// clientBuffer, but without bound for a reliable reader. It grows
	// with the backlog rather than being made clientBuffer long for
	// every reader: a holder serves readers that come and go for months,
	// and most never fall behind.
	queue [][]byte
	lost  int
	wake  chan struct{}
	done  chan struct{}
	// finish asks run to write what is still buffered and hang up (the
	// holder is exiting); finished is closed once run has returned.
	finish   chan struct{}
	finished chan struct{}
}

func newWatcher(conn *net.UnixConn, reliable bool) *watcher {
	return &watcher{conn: conn, reliable: reliable,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		finish: make(chan struct{}), finished: make(chan struct{})}
}

// offer hands a line to the reader without ever waiting.
func (w *watcher) offer(line []byte) {
	w.mu.Lock()
	if w.reliable || len(w.queue) < clientBuffer {
		w.queue = append(w.queue, line)
	} else {
		w.lost++
	}
	w.mu.Unlock()
	w.poke()
}

// poke wakes run, if it is not awake already.
func (w *watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest line queued; with none, it takes the count of
// lines lost since it was last told (0: nothing to write). Lines are lost
// only while the queue is full, so the notice comes after the lines
// queued before them.
func (w *watcher) next() (line []byte, lost int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) > 0 {
		line = w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		if len(w.queue) == 0 {
			w.queue = nil // the array goes with the backlog
		}
		return line, 0
	}
	lost, w.lost = w.lost, 0
	return nil, lost
}

// run writes to the reader until it goes away.
func (w *watcher) run() {
	defer w.conn.Close()
	// A reader that hangs up is noticed by a failing read.
	go func() {
		var buf [64]byte
		for {
			if _, err := w.conn.Read(buf[:]); err != nil {
				close(w.done)
				return
			}
		}
	}()
	for {
		select {
		case <-w.wake:
		case <-w.done:
			return
		case <-w.finish:
			w.flush()
			return
		}
		if !w.writeQueued() {
			return
		}
	}
}

// writeQueued writes every line queued, and then the notice of lines
// lost. It says whether the reader still takes lines.
func (w *watcher) writeQueued() bool {
	for {
		select {
		case <-w.done:
			return false
		default:
		}
		line, lost := w.next()
		switch {
		case line != nil:
			if !w.write(line) {
				return false
			}
		case lost > 0:
			if !w.write(lostLine(lost)) {
				return false
			}
		default:
			return true
		}
	}
}

// flush writes every line still buffered, in order, within flushTimeout.
func (w *watcher) flush() {
	_ = w.conn.SetWriteDeadline(time.Now().Add(flushTimeout))
	w.writeQueued()
}

func (w *watcher) write(b []byte) bool {
	_, err := w.conn.Write(b)
	return err == nil
}
