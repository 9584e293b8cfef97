package procfs

import (
	"os"
	"strconv"
)

// Pids lists the processes in fs, in the order the directory gives them
// (callers sort the few they keep). With an error, it returns what was
// read before it.
func (fs FS) Pids() ([]int, error) {
	f, err := os.Open(string(fs))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	out := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '1' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	return out, err
}
