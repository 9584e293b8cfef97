package procfs

import (
	"bytes"
	"os"
	"strconv"
)

// Value finds the line "key value..." of a table such as /proc/vmstat,
// /proc/meminfo or a cgroup's memory.oom_control, and returns its value.
// key includes what separates it from the value ("oom_kill ",
// "HardwareCorrupted:").
func Value(b []byte, key string) (int64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if v, ok := bytes.CutPrefix(line, []byte(key)); ok {
			if f, _ := nextField(v); f != nil {
				n, err := strconv.ParseInt(string(f), 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// Value is the value of key in the table file (see Value; "vmstat",
// "meminfo"); false when the file cannot be read or has no such line.
func (fs FS) Value(file, key string) (int64, bool) {
	b, err := os.ReadFile(string(fs) + "/" + file)
	if err != nil {
		return 0, false
	}
	return Value(b, key)
}

// Hex finds the line "key value" whose value is hexadecimal (the masks of
// /proc/PID/status: "CapEff:", "SigIgn:") and returns it.
func Hex(b []byte, key string) (uint64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if v, ok := bytes.CutPrefix(line, []byte(key)); ok {
			if f, _ := nextField(v); f != nil {
				n, err := strconv.ParseUint(string(f), 16, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}
