package holder

import (
	"fmt"
	"io"
	"sync"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/terms"
)

// reporter writes ctrun's own lines on stderr: errors always, events and
// actions with -v, every detail with -V. One line each, prefixed "ctrun:"
// so they stand apart from the command's own output.
type reporter struct {
	mu    sync.Mutex
	w     io.Writer
	level terms.Verbosity
}

func (r *reporter) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, "ctrun: "+s)
}

func (r *reporter) errorf(format string, a ...any) { r.line(fmt.Sprintf(format, a...)) }

// actionf reports something ctrun itself does (-v).
func (r *reporter) actionf(id int, format string, a ...any) {
	if r.level >= terms.Verbose {
		r.line(fmt.Sprintf("contract %d: ", id) + fmt.Sprintf(format, a...))
	}
}

// detailf reports a detail (-V).
func (r *reporter) detailf(id int, format string, a ...any) {
	if r.level >= terms.Detail {
		r.line(fmt.Sprintf("contract %d: ", id) + fmt.Sprintf(format, a...))
	}
}

// event reports a contract event (-v), with its details (-V).
func (r *reporter) event(e events.Event, fatal bool) {
	if r.level < terms.Verbose {
		return
	}
	kind := "event"
	if fatal {
		kind = "fatal event"
	}
	s := fmt.Sprintf("contract %d: %s %s: %s", e.Contract, kind, e.Kind, e.Summary())
	if r.level >= terms.Detail {
		s += " [" + e.Details() + "]"
	}
	r.line(s)
}
