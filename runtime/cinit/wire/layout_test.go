package wire

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestMessageLayout holds Message's encoding to struct ct_msg as the C
// compiler lays it out: the init reads and writes the struct itself.
func TestMessageLayout(t *testing.T) {
	c := cMsg()
	if c.word != 4 {
		t.Fatalf("C int is %d bytes; the wire format has 4", c.word)
	}
	if c.size != headerSize || c.data != headerSize {
		t.Fatalf("sizeof(struct ct_msg) = %d, data at %d; Go's header is %d bytes", c.size, c.data, headerSize)
	}
	b := Message{Type: 1, A: 2, B: 3, C: 4, D: 5, Data: []int32{7, 8}}.Encode()
	at := func(off uintptr) int32 { return int32(binary.NativeEndian.Uint32(b[off:])) }
	for _, f := range []struct {
		name string
		off  uintptr
		want int32
	}{
		{"type", c.typ, 1}, {"a", c.a, 2}, {"b", c.b, 3}, {"c", c.c, 4}, {"d", c.d, 5},
		{"n", c.n, 2}, {"data[0]", c.data, 7}, {"data[1]", c.data + c.word, 8},
	} {
		if got := at(f.off); got != f.want {
			t.Errorf("C's %s (offset %d) reads %d, want %d", f.name, f.off, got, f.want)
		}
	}
	if len(b) != int(c.data+2*c.word) {
		t.Errorf("a message with 2 data words is %d bytes, C's %d", len(b), c.data+2*c.word)
	}
}

func TestConfigMagic(t *testing.T) {
	if len(configMagic) != cConfigMagicLen {
		t.Fatalf("magic %q: the init compares %d bytes", configMagic, cConfigMagicLen)
	}
	if b := (&Config{}).Encode(); !bytes.HasPrefix(b, []byte(configMagic)) {
		t.Fatalf("configuration starts %q, want the magic %q", b[:cConfigMagicLen], configMagic)
	}
}

// taskCommLen is the kernel's TASK_COMM_LEN (not in its uapi headers): a
// process name holds one byte less.
const taskCommLen = 16

// TestNames: NonceName writes what the init's printf does, and every name
// a process takes fits.
func TestNames(t *testing.T) {
	for _, n := range []uint32{0, 1, 0xabc, 0xdeadbeef, 0xffffffff} {
		got, want := NonceName(n), cNonceName(n)
		if got != want {
			t.Errorf("NonceName(%#x) = %q, the init's %q", n, got, want)
		}
		if !strings.HasPrefix(got, NoncePrefix) {
			t.Errorf("NonceName(%#x) = %q, without the prefix %q", n, got, NoncePrefix)
		}
		if len(got) >= taskCommLen {
			t.Errorf("NonceName(%#x) = %q: longer than a process name", n, got)
		}
	}
	if len(InitName) >= taskCommLen {
		t.Errorf("InitName %q is longer than a process name", InitName)
	}
}
