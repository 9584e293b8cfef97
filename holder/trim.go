package holder

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// trimAfter is how long after its command is told to go a contract's
// holder gives back the memory its start used (trimMemory): long enough
// that a command that is over at once ends ctrun before, so a short run
// pays nothing for it.
const trimAfter = 200 * time.Millisecond

// trimMemory gives back what making a contract left the holder holding,
// once the contract runs: the pages of ctrun's own binary that the start
// mapped (dropExecutablePages) and the heap it freed (FreeOSMemory runs a
// collection and returns the free heap to the system). The holder then
// waits with what its loop touches.
//
// A start runs through much of the binary (libcontainer, the tracer, the
// registry): with the page cache's large folios, every page fault maps a
// whole folio, and the holder ends up with nearly all of the binary's
// 7-8 MB mapped. Those pages stay in the page cache, shared with every
// other ctrun; only this process's mappings of them go, and what the loop
// touches again is mapped again by a minor fault.
func trimMemory() {
	// The collection first: it runs through the runtime's code and
	// tables, which the drop then lets go of too.
	debug.FreeOSMemory()
	_ = dropExecutablePages()
}

// dropExecutablePages unmaps the pages of the holder's own binary from its
// read-only mappings (text and constants) with MADV_DONTNEED. Only a
// mapping none of whose pages is a private copy (smaps' Anonymous is 0) is
// touched: such a mapping holds nothing but page-cache pages, which a later
// access maps again as they were; a private copy (a relocation written at
// start, a debugger's breakpoint) would be lost.
func dropExecutablePages() error {
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return fmt.Errorf("trim memory: %w", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return fmt.Errorf("trim memory: %w", err)
	}
	for _, m := range cleanReadOnly(smaps, uint64(exe.Dev), exe.Ino) {
		// A raw call: these addresses are no Go memory to make a slice of.
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); e != 0 {
			return fmt.Errorf("trim memory: madvise %x-%x: %w", m.start, m.end, e)
		}
	}
	return nil
}

// mapping is one address range of /proc/self/smaps.
type mapping struct{ start, end uintptr }

// cleanReadOnly returns, from an smaps text, the private read-only
// mappings of the file dev:ino that hold pages (Rss) and no private copy
// of any (Anonymous 0). dev is a stat(2) st_dev.
func cleanReadOnly(smaps []byte, dev, ino uint64) []mapping {
	var out []mapping
	var cur mapping
	candidate := false
	rss, anon := int64(-1), int64(-1)
	flush := func() {
		if candidate && rss > 0 && anon == 0 {
			out = append(out, cur)
		}
		candidate, rss, anon = false, -1, -1
	}
	s := bufio.NewScanner(bytes.NewReader(smaps))
	for s.Scan() {
		line := s.Bytes()
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if r, ok := parseRange(f[0]); ok && len(f) >= 5 {
			flush()
			cur = r
			candidate = string(f[1]) != "" && f[1][0] == 'r' && f[1][1] == '-' && f[1][3] == 'p' &&
				sameFile(f[3], f[4], dev, ino)
			continue
		}
		if len(f) < 2 {
			continue
		}
		switch string(f[0]) {
		case "Rss:":
			rss, _ = strconv.ParseInt(string(f[1]), 10, 64)
		case "Anonymous:":
			anon, _ = strconv.ParseInt(string(f[1]), 10, 64)
		}
	}
	flush()
	return out
}

// parseRange reads smaps' "start-end" (hexadecimal) field.
func parseRange(b []byte) (mapping, bool) {
	i := bytes.IndexByte(b, '-')
	if i <= 0 {
		return mapping{}, false
	}
	a, err1 := strconv.ParseUint(string(b[:i]), 16, 64)
	z, err2 := strconv.ParseUint(string(b[i+1:]), 16, 64)
	if err1 != nil || err2 != nil || z <= a {
		return mapping{}, false
	}
	return mapping{uintptr(a), uintptr(z)}, true
}

// sameFile says whether smaps' device ("major:minor", hexadecimal) and
// inode fields name the file dev:ino.
func sameFile(devField, inoField []byte, dev, ino uint64) bool {
	i := bytes.IndexByte(devField, ':')
	if i <= 0 {
		return false
	}
	major, err1 := strconv.ParseUint(string(devField[:i]), 16, 32)
	minor, err2 := strconv.ParseUint(string(devField[i+1:]), 16, 32)
	n, err3 := strconv.ParseUint(string(inoField), 10, 64)
	return err1 == nil && err2 == nil && err3 == nil && n == ino &&
		uint32(major) == unix.Major(dev) && uint32(minor) == unix.Minor(dev)
}
