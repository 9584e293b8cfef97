package registry

import (
	"encoding/json"
	"os"
	"testing"
)

// A staged record is written by a write and a rename; whatever happens to
// it, nothing but the record (or nothing at all) is left in the directory.
func TestStaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		act    func(t *testing.T, d Dir, s *Staged) error
		record bool // the record is there afterwards
	}{
		{"written", func(t *testing.T, d Dir, s *Staged) error { return s.Write(&Record{ID: 42}) }, true},
		{"dropped", func(t *testing.T, d Dir, s *Staged) error { s.Drop(); return nil }, false},
		{"dropped twice, then written", func(t *testing.T, d Dir, s *Staged) error {
			s.Drop()
			s.Drop()
			return s.Write(&Record{ID: 42})
		}, true},
		{"its file collected meanwhile", func(t *testing.T, d Dir, s *Staged) error {
			if err := os.Remove(s.tmp); err != nil {
				t.Fatal(err)
			}
			return s.Write(&Record{ID: 42})
		}, true},
		{"another contract's record", func(t *testing.T, d Dir, s *Staged) error { return s.Write(&Record{ID: 43}) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			s, err := d.Stage(42)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(s.tmp); err != nil {
				t.Fatalf("staged file: %v", err)
			}
			if err := tc.act(t, d, s); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			if tc.record {
				want["42.json"] = true
			}
			if tc.name == "another contract's record" {
				want["43.json"] = true
			}
			got := map[string]bool{}
			ents, _ := os.ReadDir(string(d))
			for _, e := range ents {
				got[e.Name()] = true
			}
			if len(got) != len(want) {
				t.Fatalf("left %v, want %v", got, want)
			}
			for n := range want {
				if !got[n] {
					t.Fatalf("left %v, want %v", got, want)
				}
				id := 42
				if n == "43.json" {
					id = 43
				}
				var r Record
				b, err := os.ReadFile(d.Path(id))
				if err == nil {
					err = json.Unmarshal(b, &r)
				}
				if err != nil || r.ID != id {
					t.Fatalf("%s: %+v, %v", n, r, err)
				}
			}
		})
	}
}
