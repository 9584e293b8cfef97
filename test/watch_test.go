package test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// streamLine is the part of a JSON event line the tests look at.
type streamLine struct {
	Ctid     int    `json:"ctid"`
	Evid     int64  `json:"evid"`
	Type     string `json:"type"`
	Critical bool   `json:"critical"`
	Pid      int    `json:"pid"`
	Signal   string `json:"signal"`
	Sender   string `json:"sender"`
	Action   string `json:"action"`
	NewCtid  int    `json:"new_ctid"`
	ExitCode *int   `json:"exit_code"`
}

func parseLines(t *testing.T, b []byte) []streamLine {
	t.Helper()
	var out []streamLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var s streamLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		out = append(out, s)
	}
	return out
}

// ctrun -E writes the JSON event stream of a run, restarts included.
func TestEventLog(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		log := filepath.Join(dir, "events.jsonl")
		r := run(t, call{args: []string{"-E", log, "-r", "1", "-f", "core", "-i", "exit", "sh", "-c", probe + " segv; sleep 5"}, user: user})
		if r.code != 123 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		lines := parseLines(t, b)
		var cores, empties int
		var restartedTo int
		ids := map[int]bool{}
		for _, l := range lines {
			ids[l.Ctid] = true
			switch {
			case l.Type == "core":
				cores++
				if !l.Critical || l.Signal != "SIGSEGV" || l.Pid == 0 {
					t.Errorf("core line %+v", l)
				}
			case l.Type == "empty":
				empties++
			case l.Action == "restarted":
				restartedTo = l.NewCtid
			}
		}
		if cores != 2 || empties != 2 || restartedTo == 0 || !ids[restartedTo] || len(ids) != 2 {
			t.Fatalf("%d core, %d empty lines, restarted to %d, contracts %v:\n%s", cores, empties, restartedTo, ids, b)
		}
	})
}

// ctwatch prints the events of a contract as they happen, follows it
// across a restart, and says so.
func TestCtwatchFollowsRestart(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		xdg := ""
		env := []string{}
		if user {
			xdg = userRuntimeDir(t)
			env = []string{"XDG_RUNTIME_DIR=" + xdg}
		}
		// The first run waits for ctwatch (a file), then crashes; the
		// second exits.
		script := `echo $CTRUN_CTID >> ` + dir + `/ids; n=$(wc -l < ` + dir + `/ids)
			while [ ! -e ` + dir + `/go ]; do sleep 0.02; done
			[ $n -gt 1 ] && exit 0; ` + probe + ` segv; sleep 5`
		cmd, _, stderr := start(t, call{args: []string{"-r", "1", "-f", "core", "sh", "-c", script}, user: user, env: env})
		first := readPidFile(t, dir+"/ids")
		w := startTool(t, ctwatchBin, user, env, "-j", strconv.Itoa(first))
		time.Sleep(300 * time.Millisecond) // connected
		os.WriteFile(dir+"/go", nil, 0o644)
		if code := waitExit(t, cmd, 20*time.Second); code != 0 {
			t.Fatalf("ctrun exit %d: %s", code, stderr)
		}
		out := w.wait(t, 10*time.Second)
		lines := parseLines(t, []byte(out))
		var sawCore, sawRestart, sawSecond bool
		second := 0
		for _, l := range lines {
			switch {
			case l.Ctid == first && l.Type == "core":
				sawCore = true
			case l.Ctid == first && l.Action == "restarted":
				sawRestart, second = true, l.NewCtid
			case second != 0 && l.Ctid == second && l.Type == "empty":
				sawSecond = true
			}
		}
		if !sawCore || !sawRestart || !sawSecond {
			t.Fatalf("ctwatch %d: core %v, restart %v, second contract's end %v:\n%s", first, sawCore, sawRestart, sawSecond, out)
		}
	})
}

// Root's ctwatch, naming no contract, follows every user's, also those
// of a user whose first contract starts after it.
func TestCtwatchRootSeesLaterUserContracts(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	xdg := userRuntimeDir(t)
	w := startTool(t, ctwatchBin, false, nil, "-j")
	time.Sleep(400 * time.Millisecond) // ctwatch has looked once: nothing of the user's yet
	r := run(t, call{args: []string{"-i", "exit", "sh", "-c", "echo $CTRUN_CTID > " + dir + "/id; sleep 1"}, user: true, env: []string{"XDG_RUNTIME_DIR=" + xdg}})
	if r.code != 0 {
		t.Fatalf("ctrun as uid %d: exit %d: %s", nobody, r.code, r.stderr)
	}
	id := readPidFile(t, dir+"/id")
	time.Sleep(500 * time.Millisecond) // the last events reach ctwatch
	out := w.wait(t, 0)
	// Only the JSON lines: a note about another contract (one without a
	// holder) would go to the same pipe.
	var stream []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "{") {
			stream = append(stream, l)
		}
	}
	for _, l := range parseLines(t, []byte(strings.Join(stream, "\n"))) {
		if l.Ctid == id && l.Type == "empty" {
			return
		}
	}
	t.Fatalf("root's ctwatch did not report uid %d's contract %d ending:\n%s", nobody, id, out)
}

// ctwatch -f replays the events still queued.
func TestCtwatchReplay(t *testing.T) {
	clean(t)
	dir := sharedDir(t)
	cmd, _, _ := start(t, call{args: []string{"-i", "exit", "sh", "-c", "sh -c 'exit 5'; echo $CTRUN_CTID > " + dir + "/id; exec sleep 30"}})
	id := readPidFile(t, dir+"/id")
	w := startTool(t, ctwatchBin, false, nil, "-f", "-j", strconv.Itoa(id))
	var found bool
	eventually(t, 5*time.Second, "the replayed exit", func() bool {
		for _, l := range parseLines(t, []byte(w.output())) {
			if l.Type == "exit" && l.ExitCode != nil && *l.ExitCode == 5 {
				found = true
			}
		}
		return found
	})
	cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 10*time.Second)
	w.wait(t, 10*time.Second)
}

// ctrun -a takes an orphaned contract over, goes on with its terms,
// returns when it is empty with the command's status, and is refused for a
// held contract, an unknown id and another user's contract.
func TestAdopt(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		env := []string{}
		if user {
			env = []string{"XDG_RUNTIME_DIR=" + userRuntimeDir(t)}
		}
		// An orphan: lifetime none. Its command waits for a file, then a
		// member crashes (fatal under its own terms), then it exits 7.
		script := `exec >/dev/null 2>&1; echo $CTRUN_CTID > ` + dir + `/id; while [ ! -e ` + dir + `/go ]; do sleep 0.02; done; sleep 30 & sh -c '` + probe + ` segv'; wait`
		r := run(t, call{args: []string{"-l", "none", "-f", "core", "sh", "-c", script}, user: user, env: env})
		if r.code != 0 {
			t.Fatalf("ctrun -l none: %d %s", r.code, r.stderr)
		}
		id := readPidFile(t, dir+"/id")
		// Unknown id, and (for the user) root's view of ids is not theirs.
		if r := run(t, call{args: []string{"-a", "999999999"}, user: user, env: env}); r.code != 124 || !strings.Contains(r.stderr, "no such contract") {
			t.Fatalf("adopting an unknown id: %d %q", r.code, r.stderr)
		}
		if user {
			// Root may adopt it, but a different user may not: uid 65533.
			// (Uid 65534 with another XDG_RUNTIME_DIR is the same user,
			// who sees the same contracts: TestUserAdoptsWhateverXDG.)
			other := exec.Command(ctrun, "-a", strconv.Itoa(id))
			other.Env = []string{"PATH=/usr/bin:/bin"}
			other.Dir = binDir
			other.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody - 1, Gid: nobody - 1, Groups: []uint32{}}}
			out, err := other.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 124 || !strings.Contains(string(out), "no such contract") {
				t.Fatalf("another user adopted it: %v %q", err, out)
			}
		}
		adopter, _, stderr := start(t, call{args: []string{"-v", "-a", strconv.Itoa(id)}, user: user, env: env})
		eventually(t, 5*time.Second, "the adoption", func() bool { return strings.Contains(stderr.String(), "adopted") })
		// A held contract cannot be adopted twice.
		if r := run(t, call{args: []string{"-a", strconv.Itoa(id)}, user: user, env: env}); r.code != 124 || !strings.Contains(r.stderr, "owned") {
			t.Fatalf("adopting a held contract: %d %q", r.code, r.stderr)
		}
		os.WriteFile(dir+"/go", nil, 0o644)
		code := waitExit(t, adopter, 20*time.Second)
		out := stderr.String()
		if !strings.Contains(out, "fatal event core") || !strings.Contains(out, "killing every member") {
			t.Fatalf("the adopter did not keep the contract's terms (exit %d):\n%s", code, out)
		}
		if code != 123 {
			t.Fatalf("adopter exit %d, want 123 (the command was killed with the contract):\n%s", code, out)
		}
	})
}

// tool is a companion command (ctwatch, ctstat, ctkill) running in the
// background.
type tool struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func (w *tool) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// wait waits for the tool to end (it is killed after d) and returns what
// it printed.
func (w *tool) wait(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(d):
		w.cmd.Process.Kill()
		<-w.done
	}
	return w.output()
}

func startTool(t *testing.T, bin string, user bool, env []string, args ...string) *tool {
	t.Helper()
	return startToolCall(t, call{bin: bin, args: args, user: user, env: env})
}

// startToolCall is startTool for any call (c.bin the tool).
func startToolCall(t *testing.T, c call) *tool {
	t.Helper()
	cmd := c.command(t, context.Background())
	cmd.Args[0] = filepath.Base(c.bin)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	w := &tool{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
		cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			cmd.Process.Kill()
			<-w.done
		}
	})
	return w
}
