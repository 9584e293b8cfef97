package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// After the name: state, then fields 4 to 22 (flags is 9, threads
	// 20, starttime 22).
	tail := func(state string, flags, start string) string {
		return " " + state + " 1 100 100 0 -1 " + flags + " 0 0 0 0 0 0 0 0 20 0 1 0 " + start + " 8192 100 18446744073709551615\n"
	}
	for _, tc := range []struct {
		name string
		in   string
		want Stat
		ok   bool
	}{
		{"a sleeping process", "4321 (sleep)" + tail("S", "4194560", "123456"), Stat{Comm: "sleep", State: 'S', PPid: 1, Pgrp: 100, Flags: 4194560, Threads: 1, StartTime: 123456}, true},
		{"an exiting zombie", "4321 (sh)" + tail("Z", "4194564", "7"), Stat{Comm: "sh", State: 'Z', PPid: 1, Pgrp: 100, Flags: 4194564, Threads: 1, StartTime: 7}, true},
		{"a zombie leader whose threads run on", "4321 (sh) Z 1 100 100 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 3 0 7 0 0\n", Stat{Comm: "sh", State: 'Z', PPid: 1, Pgrp: 100, Flags: 4194564, Threads: 3, StartTime: 7}, true},
		{"a name with parentheses and spaces", "4321 (a) (b c)" + tail("R", "0", "99"), Stat{Comm: "a) (b c", State: 'R', PPid: 1, Pgrp: 100, Threads: 1, StartTime: 99}, true},
		{"no start time", "4321 (sleep) S 1 100 100 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0\n", Stat{}, false},
		{"a start time that is no number", "4321 (sleep)" + tail("S", "0", "x"), Stat{}, false},
		{"flags that are no number", "4321 (sleep)" + tail("S", "-1", "1"), Stat{}, false},
		{"no name", "4321 sleep" + tail("S", "0", "1"), Stat{}, false},
		{"nothing", "", Stat{}, false},
	} {
		got, ok := parseStat([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: parseStat = %+v, %t; want %+v, %t", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStatErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "5", "stat"), "5 (x) S\n")
	if _, err := FS(dir).Stat(5); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "/5/stat") {
		t.Errorf("Stat of a short line: %v, want ErrFormat naming the file", err)
	}
	if _, err := FS(dir).Stat(6); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat of a missing process: %v, want ErrNotExist", err)
	}
}

func TestUptime(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    time.Duration
		ok      bool
	}{
		{"12345.67 54321.00\n", 12345670 * time.Millisecond, true},
		{"\n", 0, false},
		{"soon 1\n", 0, false},
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "uptime"), tc.content)
		got, err := FS(dir).Uptime()
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("Uptime of %q = %v, %v; want %v", tc.content, got, err, tc.want)
		}
	}
}

// The test process itself, in the real /proc.
func TestStatSelf(t *testing.T) {
	self := os.Getpid()
	st, err := Default.Stat(self)
	if err != nil || st.StartTime == 0 || st.State.Exited() {
		t.Fatalf("Stat(self) = %+v, %v", st, err)
	}
	age, err := Default.Age(self)
	if err != nil || age < 0 || age > time.Hour {
		t.Fatalf("Age(self) = %v, %v; want a test's age", age, err)
	}
}
