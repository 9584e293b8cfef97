package main

import (
	"strings"
	"testing"
)

// FuzzArgs feeds ctstat's command line: no panic, an error is one line,
// and what parses asks for positive ids and a sane repetition.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"", "-a", "-v\x00-j", "-i\x007,8\x00-i9", "-i\x00 , ", "1\x003", "1\x002\x003", "0", "99999999999999999999",
		"-i\x00-1", "--help", "-x", "9223372036\x001",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		o, err := parseArgs(args)
		if err != nil {
			if msg := oneLine(err.Error()); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("parseArgs(%q): error %q is not one line", args, msg)
			}
			return
		}
		for _, id := range o.ids {
			if id <= 0 {
				t.Fatalf("parseArgs(%q): id %d", args, id)
			}
		}
		if o.count < 0 || o.interval < 0 || o.count != 1 && o.interval <= 0 {
			t.Fatalf("parseArgs(%q): count %d interval %v", args, o.count, o.interval)
		}
	})
}
