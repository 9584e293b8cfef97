package procfs

import (
	"path/filepath"
	"testing"
)

func TestValue(t *testing.T) {
	const vmstat = "pgfault 10\noom_kill_other 9\noom_kill 2\n"
	const meminfo = "MemTotal:       100 kB\nHardwareCorrupted:     4 kB\n"
	for _, tc := range []struct {
		table, key string
		want       int64
		ok         bool
	}{
		{vmstat, "oom_kill ", 2, true},
		{vmstat, "pgfault ", 10, true},
		{vmstat, "pgmajfault ", 0, false},
		{meminfo, "HardwareCorrupted:", 4, true},
		{"oom_kill \noom_kill 3\n", "oom_kill ", 3, true}, // the first has no value
		{"oom_kill x\n", "oom_kill ", 0, false},
		{"oom_kill 5", "oom_kill ", 5, true},
		{"", "oom_kill ", 0, false},
	} {
		got, ok := Value([]byte(tc.table), tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Value(%q, %q) = %d, %t; want %d, %t", tc.table, tc.key, got, ok, tc.want, tc.ok)
		}
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vmstat"), vmstat)
	if got, ok := FS(dir).Value("vmstat", "oom_kill "); got != 2 || !ok {
		t.Errorf("FS.Value(vmstat) = %d, %t", got, ok)
	}
	if got, ok := FS(dir).Value("meminfo", "MemTotal:"); got != 0 || ok {
		t.Errorf("FS.Value of a missing file = %d, %t", got, ok)
	}
}
