package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// samples are the ctstat listings taken during a run, each checked
// against the process table read just before and just after it:
//
//   - no contract is listed twice;
//   - none is missing: a contract whose init runs ours with a running
//     child (its command, or what is left of it) both before and after
//     the listing has a record and must be listed, held or orphaned;
//   - none is listed that is not there: a contract (not dead) whose init
//     was not seen running while ctstat ran, or owned by a holder not seen
//     running meanwhile;
//   - ctstat says nothing on stderr (no warning about a healthy record)
//     and exits 0.
type samples struct {
	mu        sync.Mutex
	n         int
	listed    []int // contracts listed, per sample
	orphaned  int   // the most orphaned at once
	slowest   time.Duration
	took      time.Duration // all listings' wall time
	cpu       time.Duration // and CPU time
	maxCPU    time.Duration
	problems  []string
	survivors int // at the last sample: running contracts, each listed
}

// listing is one ctstat contract line.
type listing struct {
	id     int
	state  string
	holder int // 0: none
}

// take runs ctstat between two readings of the process table and checks
// the listing; meanwhile a watch notes every process seen running, as a
// listing on a loaded machine takes seconds, longer than a contract
// lives. final: the run's last, after its holders were killed: every
// running contract must then be orphaned.
func (s *samples) take(r *manyRun, final bool) []listing {
	before := readProcs()
	w := watch(before)
	cmd := r.command(r.ctstat)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	seen := w.stop()
	after := readProcs()
	var problems []string
	if err != nil {
		problems = append(problems, fmt.Sprintf("ctstat: %v", err))
	}
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if l != "" {
			problems = append(problems, "ctstat said: "+l)
		}
	}
	ls, bad := parseListing(out.String())
	problems = append(problems, bad...)
	problems = append(problems, r.check(ls, before, after, seen, final)...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.listed = append(s.listed, len(ls))
	orphans := 0
	for _, l := range ls {
		if l.state == "orphaned" {
			orphans++
		}
	}
	s.orphaned = max(s.orphaned, orphans)
	s.slowest = max(s.slowest, took)
	s.took += took
	if cmd.ProcessState != nil {
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		s.cpu += cpu
		s.maxCPU = max(s.maxCPU, cpu)
	}
	for _, p := range problems {
		s.problems = append(s.problems, fmt.Sprintf("sample %d: %s", s.n, p))
	}
	if final {
		s.survivors = len(before.contracts(r.state))
	}
	return ls
}

// parseListing reads ctstat's plain listing.
func parseListing(out string) ([]listing, []string) {
	var ls []listing
	var bad []string
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if i == 0 || l == "" {
			continue // the header
		}
		f := strings.Fields(l)
		if len(f) != 5 {
			bad = append(bad, "a listing line of "+strconv.Itoa(len(f))+" fields: "+l)
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			bad = append(bad, "a listing line without an id: "+l)
			continue
		}
		holder, _ := strconv.Atoi(f[3])
		ls = append(ls, listing{id: id, state: f[2], holder: holder})
	}
	return ls, bad
}

// check checks a listing against the process table around it.
func (r *manyRun) check(ls []listing, before, after procTable, seen seenTable, final bool) []string {
	var problems []string
	listed := map[int]listing{}
	for _, l := range ls {
		if _, twice := listed[l.id]; twice {
			problems = append(problems, fmt.Sprintf("contract %d listed twice", l.id))
		}
		listed[l.id] = l
		switch {
		case l.state == "dead":
		case seen[l.id] != initName:
			problems = append(problems, fmt.Sprintf("contract %d listed %s, its init not seen running meanwhile", l.id, l.state))
		case l.state == "owned" && seen[l.holder] == "":
			problems = append(problems, fmt.Sprintf("contract %d listed owned by holder %d, not seen running meanwhile", l.id, l.holder))
		case final && l.state != "orphaned":
			problems = append(problems, fmt.Sprintf("contract %d listed %s once every holder was killed", l.id, l.state))
		}
	}
	live := after.contracts(r.state)
	var missing []int
	for id, start := range before.contracts(r.state) {
		if _, ok := listed[id]; !ok && live[id] == start {
			missing = append(missing, id)
		}
	}
	sort.Ints(missing)
	for _, id := range missing {
		problems = append(problems, fmt.Sprintf("contract %d not listed, its init and a member running before and after (%s)", id, r.recordNote(id)))
	}
	return problems
}

// recordNote says what the state directory has of contract id.
func (r *manyRun) recordNote(id int) string {
	if _, err := os.Lstat(filepath.Join(r.state, strconv.Itoa(id)+".json")); err != nil {
		return "no record"
	}
	return "a record"
}

// summary is the sampling's figures so far.
func (s *samples) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return "no ctstat sample yet"
	}
	lo, hi, sum := s.listed[0], s.listed[0], 0
	for _, n := range s.listed {
		lo, hi, sum = min(lo, n), max(hi, n), sum+n
	}
	return fmt.Sprintf("ctstat sampled %d times: %d to %d listed (mean %d), at most %d orphaned; a listing took %v (mean; slowest %v) for %v of CPU (mean; most %v); %d problems",
		s.n, lo, hi, sum/s.n, s.orphaned, (s.took / time.Duration(s.n)).Round(time.Millisecond), s.slowest.Round(time.Millisecond),
		(s.cpu / time.Duration(s.n)).Round(time.Millisecond), s.maxCPU.Round(time.Millisecond), len(s.problems))
}
