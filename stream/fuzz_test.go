package stream

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/events"
)

// FuzzRequest feeds the holder's side of the protocol any request line:
// parseRequest never panics, and a line it accepts has the first word as
// its verb.
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{StatRequest, "watch\n", "watch replay reliable\n", "watch bogus replay\n", "", "\n", " \t watch", "\xff\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := parseRequest(line)
		if ok != (len(strings.Fields(line)) > 0) {
			t.Fatalf("parseRequest(%q) ok = %v", line, ok)
		}
		if ok && r.verb != strings.Fields(line)[0] {
			t.Fatalf("parseRequest(%q) verb %q", line, r.verb)
		}
	})
}

// FuzzReplies feeds the readers' side any bytes from a holder (or from
// whatever serves the socket): ReadQueued and Watch never panic, Watch
// ends when the stream does, and every line Watch hands on is one line of
// the input that parsed.
func FuzzReplies(f *testing.F) {
	for _, seed := range []string{
		`{"queued":{"7":3}}` + "\n",
		`{"queued":{"7":-1,"x":1e99}}`,
		`{"type":"core","contract":7,"summary":"x"}` + "\n" + string(lostLine(4)) + "garbage\n\n",
		"{\"type\":\"fork\"}\r\n{",
		strings.Repeat("x", 70000) + "\n{}\n",
		"\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ReadQueued(bytes.NewReader(b))
		server, client := net.Pipe()
		go func() {
			buf := make([]byte, 64)
			_, _ = server.Read(buf) // the request
			_, _ = server.Write(b)
			server.Close()
		}()
		err := Watch(context.Background(), client, WatchOptions{Replay: true}, func(l events.Line, raw []byte) {
			if bytes.ContainsAny(raw, "\n") || !bytes.Contains(b, raw) {
				t.Fatalf("Watch handed on %q, not one line of the input", raw)
			}
			_ = IsLost(l)
		})
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("Watch: error %q is not one line", err)
		}
		client.Close()
	})
}
