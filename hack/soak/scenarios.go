package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// holder is a ctrun started with -v, its report lines read as they come.
type holder struct {
	cmd   *exec.Cmd
	lines chan string
}

// startHolder starts ctrun with args; its stdout is discarded, its stderr
// (the -v report) is handed over line by line.
func (s soak) startHolder(args ...string) (*holder, error) {
	cmd := exec.Command(s.ctrun, args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &holder{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	return h, nil
}

func (h *holder) pid() int { return h.cmd.Process.Pid }

// stop asks the holder to stop (its contract with it) and waits for it,
// reading what it still reports.
func (h *holder) stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	for range h.lines {
	}
	_ = h.cmd.Wait()
}

// watcher is a ctwatch -f, its output lines counted.
type watcher struct {
	cmd   *exec.Cmd
	first chan struct{} // closed at the first event line
}

// startWatcher starts ctwatch -f on contract id (and its restarts):
// other contracts of the caller's are none of the soak's business.
func (s soak) startWatcher(id string) (*watcher, error) {
	cmd := exec.Command(s.ctwatch, "-f", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &watcher{cmd: cmd, first: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen && !strings.HasPrefix(sc.Text(), "CTID") {
				seen = true
				close(w.first)
			}
		}
		if !seen {
			close(w.first)
		}
	}()
	return w, nil
}

func (w *watcher) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
}

var (
	heldLine    = regexp.MustCompile(`^ctrun: contract (\d+): held`)
	restartLine = regexp.MustCompile(`^ctrun: contract \d+: restart (\d+)`)
	forkLine    = regexp.MustCompile(`^ctrun: contract \d+: event fork`)
)

// restarts: one holder through n restarts, each run longer than the
// crash-loop threshold, with ctwatch -f attached from the first contract
// to the last.
func (s soak) restarts(n int) error {
	fmt.Printf("== restarts: ctrun -r %d -f core sh -c 'sleep 1.02; kill -SEGV $$', ctwatch -f attached\n", n)
	h, err := s.startHolder("-v", "-r", strconv.Itoa(n), "-f", "core", "sh", "-c", "sleep 1.02; kill -SEGV $$")
	if err != nil {
		return err
	}
	defer h.stop()
	var w *watcher
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	t := newTable("restarts", "holder", "ctwatch")
	marks := checkpoints(min(10, n), n)
	for line := range h.lines {
		if m := heldLine.FindStringSubmatch(line); w == nil && m != nil {
			if w, err = s.startWatcher(m[1]); err != nil {
				return err
			}
		}
		m := restartLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		done, _ := strconv.Atoi(m[1])
		if len(marks) > 0 && done == marks[0] {
			marks = marks[1:]
			if err := t.add(done, h.pid(), w.cmd.Process.Pid); err != nil {
				return err
			}
			if len(marks) == 0 {
				break
			}
		}
	}
	if len(marks) > 0 {
		return fmt.Errorf("ctrun ended before restart %d", marks[0])
	}
	t.growth()
	return nil
}

// forks: one contract whose command forks n times, every fork and exit
// reported (-v) and logged (-E).
func (s soak) forks(n int) error {
	fmt.Printf("== forks: ctrun -i fork,exit -v -E file, %d forks\n", n)
	dir, err := os.MkdirTemp("", "ctrun-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := fmt.Sprintf("i=0; while [ $i -lt %d ]; do ( : ); i=$((i+1)); done; exec sleep 3600", n)
	h, err := s.startHolder("-i", "fork,exit", "-v", "-E", filepath.Join(dir, "events.json"), "sh", "-c", script)
	if err != nil {
		return err
	}
	defer h.stop()
	t := newTable("forks", "holder")
	marks := checkpoints(max(1, n/100), n)
	forks := 0
	for line := range h.lines {
		if !forkLine.MatchString(line) {
			continue
		}
		forks++
		if forks == marks[0] {
			marks = marks[1:]
			if err := t.add(forks, h.pid()); err != nil {
				return err
			}
			if len(marks) == 0 {
				break
			}
		}
	}
	if len(marks) > 0 {
		return fmt.Errorf("ctrun ended after %d forks", forks)
	}
	t.growth()
	return nil
}

// clients: n ctwatch -f in turn against one holder, each connecting,
// reading a replayed event and being stopped.
func (s soak) clients(n int) error {
	fmt.Printf("== clients: %d ctwatch -f connecting and disconnecting in turn\n", n)
	h, err := s.startHolder("-i", "fork,exit", "-v", "sh", "-c", "for i in 1 2 3 4 5; do ( : ); done; exec sleep 3600")
	if err != nil {
		return err
	}
	defer h.stop()
	// The five forks and exits are queued for replay once reported.
	id := ""
	for events := 0; events < 10; {
		line, ok := <-h.lines
		if !ok {
			return fmt.Errorf("ctrun ended")
		}
		if m := heldLine.FindStringSubmatch(line); m != nil {
			id = m[1]
		}
		if strings.Contains(line, ": event ") {
			events++
		}
	}
	go func() {
		for range h.lines {
		}
	}()
	t := newTable("clients", "holder")
	marks := checkpoints(1, n)
	for c := 1; c <= n; c++ {
		w, err := s.startWatcher(id)
		if err != nil {
			return err
		}
		<-w.first
		w.stop()
		if c == marks[0] {
			marks = marks[1:]
			if err := t.add(c, h.pid()); err != nil {
				return err
			}
		}
	}
	t.growth()
	return nil
}
