package holder

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/terms"
)

// An event log that cannot be written (-E /dev/full) is said to have
// failed once, in one line, and dropped; the events go on being reported.
func TestEventLogFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer full.Close()
	var stderr bytes.Buffer
	r := newReporter(&stderr, terms.Verbose)
	r.log, r.logName = full, "/dev/full"
	for i := range 3 {
		r.act(7, "test", "action %d", i)
		r.event(events.Event{Kind: terms.Fork, Contract: 7, Pid: 10 + i}, false)
	}
	r.flush()
	var failed, actions, evs int
	for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "ctrun: event log /dev/full: no space left on device;"):
			failed++
		case strings.HasPrefix(l, "ctrun: contract 7: action "):
			actions++
		case strings.HasPrefix(l, "ctrun: contract 7: event fork"):
			evs++
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	if failed != 1 || actions != 3 || evs != 3 {
		t.Errorf("%d lines about the log, %d actions, %d events; want 1, 3, 3:\n%s", failed, actions, evs, stderr.String())
	}
	if r.log != nil {
		t.Error("the log that failed is still written to")
	}
}
