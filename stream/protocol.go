package stream

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ctrun/ctrun/events"
)

// The words of the protocol, each written here only, so that the server
// and its clients cannot drift apart.
const (
	verbStat     = "stat"
	verbWatch    = "watch"
	wordReplay   = "replay"
	wordReliable = "reliable"
	// lostType is the type of the line that tells a slow reader how many
	// lines it missed.
	lostType = "lost"
)

// StatRequest is the whole line that asks a holder for its queue
// lengths.
const StatRequest = verbStat + "\n"

// WatchOptions are the words of a "watch" request.
type WatchOptions struct {
	// Replay: first send the events still queued.
	Replay bool
	// Reliable: buffer without bound rather than lose lines. The holder
	// grants it to root only (it costs the holder memory without bound).
	Reliable bool
}

// request is the line a "watch" reader writes.
func (o WatchOptions) request() string {
	req := verbWatch
	if o.Replay {
		req += " " + wordReplay
	}
	if o.Reliable {
		req += " " + wordReliable
	}
	return req + "\n"
}

// request is a client's request line as the server reads it.
type request struct {
	verb string // verbStat, verbWatch, or anything else (hung up on)
	WatchOptions
}

// parseRequest reads a request line: a verb, then words in any order;
// words it does not know are ignored. ok is false for an empty line.
func parseRequest(line string) (r request, ok bool) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return r, false
	}
	r.verb = words[0]
	for _, w := range words[1:] {
		switch w {
		case wordReplay:
			r.Replay = true
		case wordReliable:
			r.Reliable = true
		}
	}
	return r, true
}

// statAnswer is the one line that answers "stat": per contract (its id in
// decimal, JSON keys being strings), how many events are queued for
// replay.
type statAnswer struct {
	Queued map[string]int `json:"queued"`
}

func (a statAnswer) line() []byte {
	b, _ := json.Marshal(a)
	return append(b, '\n')
}

// lostLine tells a reader that n lines were dropped for it.
func lostLine(n int) []byte {
	b, _ := json.Marshal(map[string]any{"type": lostType, "lost": n, "summary": strconv.Itoa(n) + " events lost: the reader was too slow"})
	return append(b, '\n')
}

// IsLost says whether a line read from the stream is the notice that
// events were lost (Line.Lost says how many), not an event or an action.
func IsLost(l events.Line) bool { return l.Type == lostType }
