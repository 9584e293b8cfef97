package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// sample is what a process holds at a checkpoint.
type sample struct {
	rssKiB  int
	fds     int
	threads int
}

// sampleOf reads pid's VmRSS and Threads (/proc/PID/status) and counts
// its open descriptors (/proc/PID/fd).
func sampleOf(pid int) (sample, error) {
	var s sample
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		switch key {
		case "VmRSS":
			s.rssKiB, _ = strconv.Atoi(fields[0])
		case "Threads":
			s.threads, _ = strconv.Atoi(fields[0])
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	return s, nil
}

// table prints checkpoints of named processes and, at the end, each
// one's growth since the first checkpoint.
type table struct {
	unit  string // what the checkpoints count
	names []string
	rows  []row
}

type row struct {
	at      int
	samples []sample
}

func newTable(unit string, names ...string) *table {
	t := &table{unit: unit, names: names}
	fmt.Printf("%-10s", unit)
	for _, n := range names {
		fmt.Printf(" %10s %4s %4s", n+" KiB", "fds", "thr")
	}
	fmt.Println()
	return t
}

// add reads each pid and prints the row.
func (t *table) add(at int, pids ...int) error {
	r := row{at: at}
	fmt.Printf("%-10d", at)
	for i, pid := range pids {
		s, err := sampleOf(pid)
		if err != nil {
			fmt.Println()
			return fmt.Errorf("%s (pid %d) at %s %d: %w", t.names[i], pid, t.unit, at, err)
		}
		r.samples = append(r.samples, s)
		fmt.Printf(" %10d %4d %4d", s.rssKiB, s.fds, s.threads)
	}
	fmt.Println()
	t.rows = append(t.rows, r)
	return nil
}

// growth prints, per process, the growth from the first row to the last.
func (t *table) growth() {
	if len(t.rows) < 2 {
		return
	}
	first, last := t.rows[0], t.rows[len(t.rows)-1]
	for i, n := range t.names {
		a, b := first.samples[i], last.samples[i]
		fmt.Printf("growth %s, %s %d to %d: VmRSS %+d KiB, fds %+d, threads %+d\n",
			n, t.unit, first.at, last.at, b.rssKiB-a.rssKiB, b.fds-a.fds, b.threads-a.threads)
	}
}

// checkpoints are where a run of n is sampled: first, then tenths of n.
func checkpoints(first, n int) []int {
	out := []int{first}
	for i := 1; i <= 10; i++ {
		if c := n * i / 10; c > out[len(out)-1] {
			out = append(out, c)
		}
	}
	return out
}
