package wire

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/runtime/cinit/wire/cview"
	"github.com/ctrun/ctrun/runtime/cinit/wire/internal/genwire"
)

// TestMessageLayout holds Message's encoding to struct ct_msg as the C
// compiler lays it out: the init reads and writes the struct itself.
func TestMessageLayout(t *testing.T) {
	c := cview.Msg()
	if c.Word != 4 {
		t.Fatalf("C int is %d bytes; the wire format has 4", c.Word)
	}
	if c.Size != headerSize || c.Data != headerSize {
		t.Fatalf("sizeof(struct ct_msg) = %d, data at %d; Go's header is %d bytes", c.Size, c.Data, headerSize)
	}
	b := Message{Type: 1, A: 2, B: 3, C: 4, D: 5, Data: []int32{7, 8}}.Encode()
	at := func(off uintptr) int32 { return int32(binary.NativeEndian.Uint32(b[off:])) }
	for _, f := range []struct {
		name string
		off  uintptr
		want int32
	}{
		{"type", c.Type, 1}, {"a", c.A, 2}, {"b", c.B, 3}, {"c", c.C, 4}, {"d", c.D, 5},
		{"n", c.N, 2}, {"data[0]", c.Data, 7}, {"data[1]", c.Data + c.Word, 8},
	} {
		if got := at(f.off); got != f.want {
			t.Errorf("C's %s (offset %d) reads %d, want %d", f.name, f.off, got, f.want)
		}
	}
	if len(b) != int(c.Data+2*c.Word) {
		t.Errorf("a message with 2 data words is %d bytes, C's %d", len(b), c.Data+2*c.Word)
	}
}

func TestConfigMagic(t *testing.T) {
	if len(configMagic) != cview.ConfigMagicLen {
		t.Fatalf("magic %q: the init compares %d bytes", configMagic, cview.ConfigMagicLen)
	}
	if b := (&Config{}).Encode(); !bytes.HasPrefix(b, []byte(configMagic)) {
		t.Fatalf("configuration starts %q, want the magic %q", b[:cview.ConfigMagicLen], configMagic)
	}
}

// taskCommLen is the kernel's TASK_COMM_LEN (not in its uapi headers): a
// process name holds one byte less.
const taskCommLen = 16

// TestNames: NonceName writes what the init's printf does, and every name
// a process takes fits.
func TestNames(t *testing.T) {
	for _, n := range []uint32{0, 1, 0xabc, 0xdeadbeef, 0xffffffff} {
		got, want := NonceName(n), cview.NonceName(n)
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

// TestGenerated: names.go is what protocol.h says (go generate rewrites it).
func TestGenerated(t *testing.T) {
	want, err := genwire.Generate("protocol.h")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("names.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("names.go is stale: run go generate ./runtime/cinit/wire")
	}
	if configMagicLen != cview.ConfigMagicLen || len(configMagic) != configMagicLen {
		t.Fatalf("magic %q of %d bytes; the init compares %d", configMagic, configMagicLen, cview.ConfigMagicLen)
	}
}
