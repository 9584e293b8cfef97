package registry

import (
	"os"
	"strings"
	"testing"
)

// A record is only the writer's word: List refuses one whose init is no
// contract init of the directory's owner.
func TestListRefusesForgedRecords(t *testing.T) {
	self := Self()
	for _, tc := range []struct {
		name string
		rec  Record
		want string // in the refusal
	}{
		{
			name: "an init that is no contract init",
			rec:  Record{ID: self.Pid, Init: self, Holder: self, UID: os.Geteuid()},
			want: "no contract init",
		},
		{
			name: "a creator uid that is not the directory's owner",
			rec:  Record{ID: self.Pid, Init: self, Holder: self, UID: os.Geteuid() + 1},
			want: "claims creator uid",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			if err := d.Write(&tc.rec); err != nil {
				t.Fatal(err)
			}
			es, errs := List([]Dir{d}, ListOptions{})
			if len(es) != 0 {
				t.Fatalf("forged record listed: %+v", es)
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("errors = %v, want one saying %q", errs, tc.want)
			}
			if _, err := Find([]Dir{d}, self.Pid); err == nil {
				t.Fatal("Find accepted the forged record")
			}
		})
	}
}

// Collect removes a dead contract's record, but not a record that has
// been replaced since it was read (a new contract with the same id).
func TestCollectOnlyWhatWasRead(t *testing.T) {
	dead := Process{Pid: os.Getpid(), Start: 1} // not our start time: dead
	for _, tc := range []struct {
		name     string
		replace  bool
		wantGone bool
	}{
		{"the record read", false, true},
		{"a record written since", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir(t.TempDir())
			r := Record{ID: dead.Pid, Init: dead, UID: os.Geteuid()}
			if err := d.Write(&r); err != nil {
				t.Fatal(err)
			}
			if tc.replace {
				n := r
				n.Init = Self()
				if err := d.Write(&n); err != nil {
					t.Fatal(err)
				}
			}
			d.Collect(&r)
			_, err := os.Stat(d.Path(r.ID))
			if gone := os.IsNotExist(err); gone != tc.wantGone {
				t.Fatalf("record removed = %v, want %v (stat: %v)", gone, tc.wantGone, err)
			}
		})
	}
}
