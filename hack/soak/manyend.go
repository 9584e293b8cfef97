package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// endedItself says whether a ctkill that failed with out found an
// orphaned contract whose command crashed ending by itself (nothing
// restarts it) between the listing and the kill: gone already, or empty
// with its init on its way out.
func endedItself(out string, id int) bool {
	switch {
	case strings.Contains(out, "no such contract"):
		return !running(id)
	case strings.Contains(out, "has no members"):
		return waitFor(2*time.Second, func() bool { return !running(id) })
	}
	return false
}

// finish is the many scenario's end, once every holder is killed: the
// survivors listed (orphaned), each ctkill'd, one ctstat -a, then nothing
// left. It prints the figures and a verdict per check, and returns an
// error if any failed; what is left is then removed, so that the machine
// is as it was.
func (r *manyRun) finish(smp *samples) error {
	// Contracts whose holder was killed while it made them end by
	// themselves; the rest are orphaned, listed and running.
	time.Sleep(time.Second)
	final := smp.take(r, true)
	kills, killFailed := 0, []string{}
	for _, l := range final {
		if l.state == "dead" {
			continue
		}
		kills++
		cmd := r.command(r.ctkill, "-s", "KILL", strconv.Itoa(l.id))
		if out, err := cmd.CombinedOutput(); err != nil {
			if endedItself(string(out), l.id) {
				continue
			}
			killFailed = append(killFailed, fmt.Sprintf("ctkill -s KILL %d: %v: %s", l.id, err, strings.TrimSpace(string(out))))
		}
	}
	// Their processes go; libcontainer inits left waiting are ctstat's
	// to end.
	gone := waitFor(20*time.Second, func() bool {
		for _, p := range r.m.strays(readProcs()) {
			if !strings.HasPrefix(p.comm, "runc:[") {
				return false
			}
		}
		return true
	})
	stat := r.command(r.ctstat, "-a")
	statOut, statErr := stat.CombinedOutput()
	var left []string
	waitFor(3*time.Second, func() bool { left = r.m.left(); return len(left) == 0 })

	r.mu.Lock()
	f := r.figs
	r.mu.Unlock()
	fmt.Printf("figures: %d holders started, %d SIGKILLed (%d while starting), %d contracts made (%d of them restarts)\n",
		f.started, f.killed, f.killedStarting, f.made+f.restarts, f.restarts)
	fmt.Printf("figures: %s\n", smp.summary())
	fmt.Printf("figures: at the end, %d contracts running (orphaned), %d ctkill'd\n", smp.survivors, kills)

	failed := 0
	verdict := func(ok bool, what string, details []string) {
		word := "PASS"
		if !ok {
			word = "FAIL"
			failed++
		}
		fmt.Printf("verdict: %s: %s\n", word, what)
		for i, d := range details {
			if i == 20 {
				fmt.Printf("    ... and %d more\n", len(details)-i)
				break
			}
			fmt.Printf("    %s\n", d)
		}
	}
	verdict(len(f.selfEnded) == 0, "no holder ended by itself", f.selfEnded)
	verdict(len(smp.problems) == 0, "ctstat correct throughout and at the end (nothing listed twice, nothing missing, no warning)", byKind(smp.problems))
	verdict(len(killFailed) == 0, "ctkill -s KILL of every contract left", killFailed)
	verdict(gone, "the contracts' processes gone after ctkill", nil)
	statDetail := []string{}
	if s := strings.TrimSpace(string(statOut)); statErr != nil && s != "" {
		statDetail = strings.Split(s, "\n")
	}
	verdict(statErr == nil, "ctstat -a after the clean-up", statDetail)
	verdict(len(left) == 0, "nothing left (process, cgroup, mount, record, socket, .lc/.root directory)", left)
	if len(left) > 0 {
		r.m.killStrays()
		time.Sleep(500 * time.Millisecond)
		r.m.removeLeft()
		fmt.Println("(what was left is now removed)")
	}
	if failed > 0 {
		return fmt.Errorf("%d checks failed", failed)
	}
	return nil
}

// waitFor polls cond until it holds or d has passed, and says whether it
// held.
func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// byKind groups problems that differ only in their numbers: how many of
// each, and the first three.
func byKind(problems []string) []string {
	digits := regexp.MustCompile(`[0-9]+`)
	var kinds []string
	of := map[string][]string{}
	for _, p := range problems {
		k := digits.ReplaceAllString(p, "N")
		if of[k] == nil {
			kinds = append(kinds, k)
		}
		of[k] = append(of[k], p)
	}
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("%d times: %s", len(of[k]), k))
		for _, p := range of[k][:min(3, len(of[k]))] {
			out = append(out, "  e.g. "+p)
		}
	}
	return out
}

// running says whether process pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	p, ok := parseStat(pid, string(b))
	return ok && !p.zombie
}
