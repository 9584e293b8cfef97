package stream

import (
	"path/filepath"
	"testing"
)

func TestSocketPath(t *testing.T) {
	if got, want := SocketPath("/run/user/1000/ctrun", 4242), "/run/user/1000/ctrun/holder-4242.sock"; got != want {
		t.Errorf("SocketPath = %q, want %q", got, want)
	}
}

func TestIsSocketName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{filepath.Base(SocketPath("/x", 1)), true},
		{"holder-4242.sock", true},
		{"holder-.sock", true}, // as the collector always took it
		{"4242.sock", false},   // a contract's endpoint
		{"4242.json", false},   // a record
		{"holder-4242", false},
		{"holder-4242.sock.tmp", false},
		{"xholder-4242.sock", false},
		{"Holder-4242.sock", false},
		{"", false},
	} {
		if got := IsSocketName(tc.name); got != tc.want {
			t.Errorf("IsSocketName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
