package registry

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzRead feeds Read any bytes as a record: no panic, an error is one
// line naming the record, and a record it accepts is the contract its
// name says.
func FuzzRead(f *testing.F) {
	good, _ := json.Marshal(Record{ID: 7, Init: Process{Pid: 7, Start: 1}, Holder: Process{Pid: 3}, Terms: Terms{Informative: []string{"core"}}, Argv: []string{"ctrun", "x"}, Command: []string{"x"}, Cgroups: map[string]string{"pids": "/sys/fs/cgroup/pids/ctrun-7"}})
	for _, seed := range [][]byte{good, good[:len(good)/2], {}, []byte("null"), []byte(`{"id":7}`), []byte(`{"id":7,"init":{"pid":7},"held":{"kind":"x"}}`), []byte(`{"id":7,"init":{"pid":7},"cgroups":{"a":"../../etc"}}`), []byte("\x00\xff\n{")} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Dir(dir)
		const id = 7
		if err := os.WriteFile(d.Path(id), b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := d.Read(id)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, d.Path(id)) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("Read: error %q is not one line naming the record", msg)
			}
			return
		}
		if r.ID != id || r.Init.Pid != id {
			t.Fatalf("Read accepted a record of contract %d (init %d) as %d", r.ID, r.Init.Pid, id)
		}
		_ = stateOf(&Entry{Record: *r, Dir: d}, func(int) *Entry { return nil })
		_ = r.Subtree()
	})
}
