package stream

import (
	"strings"
	"testing"

	"github.com/ctrun/ctrun/events"
)

// The request lines are what holders of other versions read: they must
// not change.
func TestWatchRequest(t *testing.T) {
	for _, tc := range []struct {
		o    WatchOptions
		want string
	}{
		{WatchOptions{}, "watch\n"},
		{WatchOptions{Replay: true}, "watch replay\n"},
		{WatchOptions{Reliable: true}, "watch reliable\n"},
		{WatchOptions{Replay: true, Reliable: true}, "watch replay reliable\n"},
	} {
		line := tc.o.request()
		if line != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, line, tc.want)
		}
		if r, ok := parseRequest(line); !ok || r != (request{verbWatch, tc.o}) {
			t.Errorf("%q parses to %+v, %v", line, r, ok)
		}
	}
	if StatRequest != "stat\n" {
		t.Errorf("StatRequest = %q", StatRequest)
	}
}

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		line string
		want request
		ok   bool
	}{
		{"stat\n", request{verb: verbStat}, true},
		{"stat replay\n", request{verbStat, WatchOptions{Replay: true}}, true},
		{"watch reliable replay\n", request{verbWatch, WatchOptions{Replay: true, Reliable: true}}, true},
		{"watch  bogus   replay\n", request{verbWatch, WatchOptions{Replay: true}}, true},
		{"hello\n", request{verb: "hello"}, true},
		{"\n", request{}, false},
		{"  \t\n", request{}, false},
	} {
		if got, ok := parseRequest(tc.line); got != tc.want || ok != tc.ok {
			t.Errorf("parseRequest(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReadQueued(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int // of contract 5
		none bool
	}{
		{`{"queued":{"5":2}}` + "\n", 2, false},
		{`{"queued":{"5":2}}`, 2, false}, // closed without a newline
		{`{"queued":{"5":-1}}` + "\n", -1, false},
		{`{"queued":{}}` + "\n", 0, false},
		{`{"queued":{"5":"x"}}` + "\n", 0, true},
		{"not json\n", 0, true},
		{"", 0, true},
	} {
		q := ReadQueued(strings.NewReader(tc.in))
		if q["5"] != tc.want || (q == nil) != tc.none {
			t.Errorf("ReadQueued(%q) = %v, want %d (none: %v)", tc.in, q, tc.want, tc.none)
		}
	}
	// What the server writes, the client reads.
	if q := ReadQueued(strings.NewReader(string(statAnswer{Queued: map[string]int{"5": 7}}.line()))); q["5"] != 7 {
		t.Errorf("round trip: %v", q)
	}
}

func TestLostLine(t *testing.T) {
	const want = `{"lost":3,"summary":"3 events lost: the reader was too slow","type":"lost"}` + "\n"
	if got := string(lostLine(3)); got != want {
		t.Errorf("lostLine(3) = %q, want %q", got, want)
	}
	if !IsLost(events.Line{Type: "lost", Lost: 3}) || IsLost(events.Line{Type: "action"}) {
		t.Error("IsLost does not tell the lost notice from the rest")
	}
}
