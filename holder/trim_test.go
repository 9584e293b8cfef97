package holder

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// smapsEntry is one mapping of an smaps text, as the kernel writes it.
func smapsEntry(head string, rss, anon int) string {
	return head + "\n" +
		"Size:               3832 kB\n" +
		"Rss:                " + strconv.Itoa(rss) + " kB\n" +
		"Pss:                " + strconv.Itoa(rss) + " kB\n" +
		"Anonymous:          " + strconv.Itoa(anon) + " kB\n" +
		"VmFlags: rd ex mr mw me sd\n"
}

func TestCleanReadOnly(t *testing.T) {
	dev := unix.Mkdev(0xfe, 0)
	const ino = 9980018
	cases := []struct {
		name  string
		smaps string
		want  []mapping
	}{
		{"text and constants", smapsEntry("00401000-007bf000 r-xp 00001000 fe:00 9980018    /usr/bin/ctrun", 3756, 0) +
			smapsEntry("007bf000-00b71000 r--p 003bf000 fe:00 9980018    /usr/bin/ctrun", 3460, 0),
			[]mapping{{0x401000, 0x7bf000}, {0x7bf000, 0xb71000}}},
		{"writable data is kept", smapsEntry("00b75000-00b91000 rw-p 00775000 fe:00 9980018    /usr/bin/ctrun", 112, 40), nil},
		{"a private copy is kept (relocations, breakpoints)", smapsEntry("00b71000-00b75000 r--p 00771000 fe:00 9980018    /usr/bin/ctrun", 16, 16), nil},
		{"nothing mapped: nothing to do", smapsEntry("00400000-00401000 r--p 00000000 fe:00 9980018    /usr/bin/ctrun", 0, 0), nil},
		{"another file", smapsEntry("7f0000000000-7f0000100000 r--p 00000000 fe:00 1234    /usr/lib/locale/C.utf8", 64, 0), nil},
		{"same inode, another device", smapsEntry("00401000-007bf000 r-xp 00001000 fe:01 9980018    /mnt/ctrun", 3756, 0), nil},
		{"shared mapping", smapsEntry("00401000-007bf000 r--s 00001000 fe:00 9980018    /usr/bin/ctrun", 3756, 0), nil},
		{"anonymous memory", smapsEntry("379278800000-379278c00000 rw-p 00000000 00:00 0", 1360, 1360), nil},
		{"a replaced binary still counts", smapsEntry("00401000-007bf000 r-xp 00001000 fe:00 9980018    /usr/bin/ctrun (deleted)", 3756, 0),
			[]mapping{{0x401000, 0x7bf000}}},
		{"truncated text", "00401000-007bf000 r-xp 00001000 fe:00 9980018    /usr/bin/ctrun\nRss: 12 kB\n", nil},
		{"garbage", "not smaps at all\n-\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := cleanReadOnly([]byte(c.smaps), dev, ino)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("cleanReadOnly = %x, want %x", got, c.want)
			}
		})
	}
}

// The test binary's own text and constants, mapped by running it, are no
// longer all mapped once dropped; the code goes on running from the page
// cache (the test goes on).
func TestDropExecutablePages(t *testing.T) {
	before := exeRss(t)
	if before == 0 {
		t.Fatal("no page of the test binary's read-only mappings is mapped")
	}
	if err := dropExecutablePages(); err != nil {
		t.Fatal(err)
	}
	if after := exeRss(t); after >= before {
		t.Errorf("the binary's read-only mappings hold %d kB after the drop, %d kB before", after, before)
	}
}

// exeRss sums the Rss (kB) of the test binary's read-only mappings.
func exeRss(t *testing.T) int64 {
	t.Helper()
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var kb int64
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if _, ok := parseRange([]byte(f[0])); ok && len(f) >= 5 {
			in = f[1][0] == 'r' && f[1][1] == '-' && sameFile([]byte(f[3]), []byte(f[4]), uint64(exe.Dev), exe.Ino)
			continue
		}
		if in && f[0] == "Rss:" && len(f) > 1 {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			kb += n
		}
	}
	return kb
}
