package procfs

import (
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	longGroups := "Groups:\t" + strings.Repeat("100000 ", 2000) + "\n"
	for _, tc := range []struct {
		name   string
		in     string
		want   Status
		nilOf  string // "Name" or "NSPgid": that field must be nil
		inner  int    // NSPid.At(Last), 0: none
		exited bool
	}{
		{
			name:  "a host process",
			in:    "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nNSpid:\t4321\nNSpgid:\t4300\n",
			want:  Status{Name: []byte("sleep"), State: 'S', Uid: Fields("\t0\t0\t0\t0"), NSPid: Fields("\t4321"), NSPgid: Fields("\t4300")},
			inner: 4321,
		},
		{
			name:  "a member of a contract inside a contract",
			in:    "Name:\tsh\nState:\tR (running)\nNSpid:\t4321\t7\t1\nNSpgid:\t4300\t6\t1\n",
			want:  Status{Name: []byte("sh"), State: 'R', NSPid: Fields("\t4321\t7\t1"), NSPgid: Fields("\t4300\t6\t1")},
			inner: 1,
		},
		{
			name:   "a zombie",
			in:     "Name:\tdead\nState:\tZ (zombie)\nNSpid:\t12\t3\n",
			want:   Status{Name: []byte("dead"), State: 'Z', NSPid: Fields("\t12\t3")},
			nilOf:  "NSPgid",
			inner:  3,
			exited: true,
		},
		{
			name:   "being reaped",
			in:     "Name:\tx\nState:\tX (dead)\nNSpid:\t12\n",
			want:   Status{Name: []byte("x"), State: 'X', NSPid: Fields("\t12")},
			nilOf:  "NSPgid",
			inner:  12,
			exited: true,
		},
		{
			name:  "a long Groups line before NSpid",
			in:    "Name:\tmany\nState:\tS (sleeping)\n" + longGroups + "NSpid:\t99\t2\nNSpgid:\t99\t2\n",
			want:  Status{Name: []byte("many"), State: 'S', NSPid: Fields("\t99\t2"), NSPgid: Fields("\t99\t2")},
			inner: 2,
		},
		{
			name:  "a name with spaces, and one escaped by the kernel",
			in:    "Name:\ta b\\\\n\nNSpid:\t5\n",
			want:  Status{Name: []byte(`a b\\n`), NSPid: Fields("\t5")},
			nilOf: "NSPgid",
			inner: 5,
		},
		{
			name:  "parsing stops at NSpgid",
			in:    "NSpid:\t5\nNSpgid:\t5\nName:\tlate\nState:\tZ (zombie)\n",
			want:  Status{NSPid: Fields("\t5"), NSPgid: Fields("\t5")},
			nilOf: "Name",
			inner: 5,
		},
		{
			name:  "an empty NSpid line",
			in:    "Name:\tx\nNSpid:\t\n",
			want:  Status{Name: []byte("x"), NSPid: Fields("\t")},
			nilOf: "NSPgid",
		},
		{
			name:  "an empty name",
			in:    "Name:\t\nNSpid:\t8",
			want:  Status{Name: []byte{}, NSPid: Fields("\t8")},
			nilOf: "NSPgid",
			inner: 8,
		},
		{name: "nothing", in: "", nilOf: "Name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseStatus([]byte(tc.in))
			if string(got.Name) != string(tc.want.Name) || got.State != tc.want.State ||
				string(got.Uid) != string(tc.want.Uid) || string(got.NSPid) != string(tc.want.NSPid) ||
				string(got.NSPgid) != string(tc.want.NSPgid) {
				t.Errorf("ParseStatus = %q, want %q", got, tc.want)
			}
			switch tc.nilOf {
			case "Name":
				if got.Name != nil {
					t.Errorf("Name %q, want nil (no Name line)", got.Name)
				}
			case "NSPgid":
				if got.NSPgid != nil {
					t.Errorf("NSPgid %q, want nil (no NSpgid line)", got.NSPgid)
				}
			}
			if tc.nilOf != "Name" && got.Name == nil {
				t.Errorf("Name nil, want %q", tc.want.Name)
			}
			inner, ok := got.NSPid.At(Last)
			if ok != (tc.inner != 0) || inner != tc.inner {
				t.Errorf("NSPid.At(Last) = %d, %t; want %d", inner, ok, tc.inner)
			}
			if got.State.Exited() != tc.exited {
				t.Errorf("State %q: Exited() = %t", got.State, got.State.Exited())
			}
		})
	}
}

func TestFieldsAt(t *testing.T) {
	for _, tc := range []struct {
		f    string
		i    int
		want int
		ok   bool
	}{
		{"\t4321\t7\t1", 0, 4321, true},
		{"\t4321\t7\t1", 1, 7, true},
		{"\t4321\t7\t1", 2, 1, true},
		{"\t4321\t7\t1", 3, 0, false},
		{"\t4321\t7\t1", Last, 1, true},
		{"\t4321\t7\t1", -2, 0, false},
		{"  12  34 ", 1, 34, true},
		{"  12  34 ", Last, 34, true},
		{"12", Last, 12, true},
		{"", 0, 0, false},
		{"\t", Last, 0, false},
		{"\t1\tx", 1, 0, false},
		{"\t1\tx", 0, 1, true},
		{"\t-1", 0, 0, false},
		{"\t+1", 0, 0, false},
		{"\t99999999999999999999", 0, 0, false},
	} {
		got, ok := Fields(tc.f).At(tc.i)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Fields(%q).At(%d) = %d, %t; want %d, %t", tc.f, tc.i, got, ok, tc.want, tc.ok)
		}
	}
}

// The holder parses the status of every process a contract starts.
func TestParseStatusAllocatesNothing(t *testing.T) {
	b := []byte(proc{pid: 4321, name: "sh", nspid: []int{4321, 7}, groups: 500}.status())
	n := testing.AllocsPerRun(100, func() {
		st := ParseStatus(b)
		if v, ok := st.NSPid.At(1); !ok || v != 7 {
			t.Fatalf("NSPid.At(1) = %d, %t", v, ok)
		}
	})
	if n != 0 {
		t.Errorf("ParseStatus allocates %v times", n)
	}
}

func TestHex(t *testing.T) {
	b := []byte("Name:\tx\nSigIgn:\t0000000000001000\nCapEff:\t000001ffffffffff\nSeccomp:\t2\n")
	for _, tc := range []struct {
		key  string
		want uint64
		ok   bool
	}{
		{"SigIgn:", 0x1000, true},
		{"CapEff:", 0x1ffffffffff, true},
		{"Seccomp:", 2, true},
		{"CapBnd:", 0, false},
		{"Name:", 0, false},
	} {
		if got, ok := Hex(b, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("Hex(%q) = %#x, %v; want %#x, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}
