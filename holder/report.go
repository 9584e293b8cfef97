package holder

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/stream"
	"github.com/ctrun/ctrun/terms"
)

// reporter writes ctrun's own lines on stderr — errors always, events and
// actions with -v, every detail with -V; one line each, prefixed "ctrun:"
// so they stand apart from the command's output — and hands every watched
// event and every action, as JSON lines, to the event streams (ctrun -E,
// ctwatch).
type reporter struct {
	mu sync.Mutex
	// w is buffered: a busy contract makes thousands of lines; flush
	// writes them out (the holder flushes before it waits again).
	w     *bufio.Writer
	level terms.Verbosity
	// crlf says whether lines end in a carriage return too (the terminal
	// they go to is raw); nil: never.
	crlf func() bool
	// streams receive the JSON lines; nil ones are skipped. log is the
	// event log (-E), logName its name for the one line that says it
	// failed; it is dropped then (writeLog).
	log     io.Writer
	logName string
	watch   *stream.Server
}

func (r *reporter) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w.WriteString("ctrun: ")
	r.w.WriteString(s)
	if r.crlf != nil && r.crlf() {
		r.w.WriteByte('\r')
	}
	r.w.WriteByte('\n')
}

// flush writes out the lines so far.
func (r *reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.w.Flush()
}

func newReporter(w io.Writer, level terms.Verbosity) *reporter {
	return &reporter{w: bufio.NewWriterSize(w, 16<<10), level: level}
}

// errorf reports an error, at once.
func (r *reporter) errorf(format string, a ...any) {
	r.line(fmt.Sprintf(format, a...))
	r.flush()
}

// stream hands a notice to the event streams.
func (r *reporter) stream(l events.Line) { r.streamLine(l, true) }

// streamAfter hands a notice about a contract that is over to the event
// streams: ctwatch's readers get it live, but no replay queue is made
// again for the contract (stream.Server.PublishAfter).
func (r *reporter) streamAfter(l events.Line) { r.streamLine(l, false) }

func (r *reporter) streamLine(l events.Line, live bool) {
	r.writeLog(l.JSON)
	switch {
	case r.watch == nil:
	case live:
		r.watch.PublishNotice(l)
	default:
		r.watch.PublishAfter(l)
	}
}

// act reports something ctrun itself does: a line with -v, a notice in
// the event streams always.
func (r *reporter) act(id int, action string, format string, a ...any) {
	r.stream(r.action(id, action, format, a...))
}

// actAfter is act for a contract that is over (finish has run): its
// restart, a pause before it, giving up on it.
func (r *reporter) actAfter(id int, action string, format string, a ...any) {
	r.streamAfter(r.action(id, action, format, a...))
}

// action writes the -v line of an action and returns its notice.
func (r *reporter) action(id int, action string, format string, a ...any) events.Line {
	msg := fmt.Sprintf(format, a...)
	if r.level >= terms.Verbose {
		r.line(fmt.Sprintf("contract %d: %s", id, msg))
	}
	return events.Notice(id, action, msg)
}

// detailf reports a detail (-V).
func (r *reporter) detailf(id int, format string, a ...any) {
	if r.level >= terms.Detail {
		r.line(fmt.Sprintf("contract %d: ", id) + fmt.Sprintf(format, a...))
	}
}

// event reports a contract event (-v), with its details (-V), and streams
// it; critical events are those in the fatal set.
func (r *reporter) event(e events.Event, critical bool) {
	r.writeLog(func() []byte { return e.Line(critical).JSON() })
	if r.watch != nil {
		r.watch.Publish(e, critical)
	}
	if r.level < terms.Verbose {
		return
	}
	kind := "event"
	if critical {
		kind = "fatal event"
	}
	s := fmt.Sprintf("contract %d: %s %s: %s", e.Contract, kind, e.Kind, e.Summary())
	if r.level >= terms.Detail {
		s += " [" + e.Details() + "]"
	}
	r.line(s)
}

// writeLog appends a JSON line (made only if there is a log) to the event
// log. A write that fails (a full disk, /dev/full, a quota) is said once,
// in one line, and the log is dropped: the contract is held on as its
// terms say, and neither it nor the command's output waits on a log that
// cannot be written.
func (r *reporter) writeLog(line func() []byte) {
	r.mu.Lock()
	if r.log == nil {
		r.mu.Unlock()
		return
	}
	_, err := r.log.Write(line())
	if err != nil {
		r.log = nil
	}
	r.mu.Unlock()
	if err != nil {
		r.errorf("event log %s: %v; no more events are written to it", r.logName, unwrapPath(err))
	}
}

// unwrapPath drops the path an *os.PathError repeats ("write
// /dev/full: no space left on device" becomes "no space left on device"):
// the line names the log already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
