// Package test holds ctrun's integration tests: they run the real binary
// on real processes, namespaces and signals, as root and as an
// unprivileged user (uid 65534), and check after each test that nothing was
// left behind.
package test

import (
	"bytes"
	"context"
	"fmt"
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

var (
	// binDir holds the binaries under test, readable by every user.
	binDir string
	ctrun  string
	probe  string
	// ctkillBin is ctkill(1), built beside ctrun.
	ctkillBin string
	// ctstatBin is ctstat(1), built beside ctrun.
	ctstatBin string
	// ctwatchBin is ctwatch(1), built beside ctrun.
	ctwatchBin string
	// mountsAtStart is the host's mount table before any test.
	mountsAtStart string
	// buildVersion is the version the binaries were built with, as the
	// Makefile gives it (empty without git: the binaries' fallback).
	buildVersion string
)

// describe is what the Makefile passes as the version: git describe of
// the work tree, or nothing.
func describe() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

const nobody = 65534

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// What the shell that ran go test left open (a pipe at 251 on some
	// machines) is not the tests' to hand on: each test gives ctrun the
	// descriptors it means to (TestDescriptorLimit counts on it).
	for fd := 3; fd < 1024; fd++ {
		syscall.CloseOnExec(fd)
	}
	dir, err := os.MkdirTemp("", "ctrun-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binDir = dir
	ctrun = filepath.Join(dir, "ctrun")
	probe = filepath.Join(dir, "probe")
	// Built as the Makefile builds them (static, stripped, the version
	// from git describe), in one go.
	buildVersion = describe()
	build := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo",
		"-ldflags", "-s -w -extldflags -static -X github.com/ctrun/ctrun/version.Version="+buildVersion,
		"-o", dir+"/", "../cmd/ctrun", "../cmd/ctkill", "../cmd/ctstat", "../cmd/ctwatch", "./restrict")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the commands:", err)
		return 1
	}
	ctkillBin = filepath.Join(dir, "ctkill")
	ctstatBin = filepath.Join(dir, "ctstat")
	ctwatchBin = filepath.Join(dir, "ctwatch")
	cc := exec.Command("cc", "-O2", "-pthread", "-o", probe, "probe/probe.c")
	cc.Stdout, cc.Stderr = os.Stdout, os.Stderr
	if err := cc.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build probe:", err)
		return 1
	}
	mountsAtStart = mountTable()
	return m.Run()
}

// result is what one ctrun run did.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// call describes one ctrun run.
type call struct {
	args    []string
	user    bool // run as uid/gid 65534 with its own XDG_RUNTIME_DIR
	env     []string
	dir     string
	stdin   []byte
	timeout time.Duration
	bin     string // the command to run: ctrun when empty
	// noXDG: as user, without XDG_RUNTIME_DIR (as under cron or sudo -u)
	// unless env gives one.
	noXDG bool
}

// userStateDir is where uid 65534's contracts are made, whatever its
// XDG_RUNTIME_DIR (registry.StateDir).
const userStateDir = "/tmp/ctrun-65534"

// userRuntimeDir makes an XDG_RUNTIME_DIR for uid 65534, removed at the
// end of the test, after checking that nothing is left in ctrun's state
// directories, there (where no version puts anything any more) and in
// userStateDir (as clean does for root's /run/ctrun).
func userRuntimeDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctrun-test-xdg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Contracts that outlive their holder clean up after themselves
		// asynchronously: give them the time clean gives.
		deadline := time.Now().Add(10 * time.Second)
		for {
			left, _ := filepath.Glob(filepath.Join(dir, "ctrun", "*"))
			inState, _ := filepath.Glob(filepath.Join(userStateDir, "*"))
			left = append(left, inState...)
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("left behind in uid %d's state directories:\n  %s", nobody, strings.Join(left, "\n  "))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		os.RemoveAll(dir)
	})
	return dir
}

// command makes the exec.Cmd for c (not started).
func (c call) command(t *testing.T, ctx context.Context) *exec.Cmd {
	t.Helper()
	bin := c.bin
	if bin == "" {
		bin = ctrun
	}
	cmd := exec.CommandContext(ctx, bin, c.args...)
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}, c.env...)
	cmd.Dir = c.dir
	if cmd.Dir == "" {
		cmd.Dir = binDir
	}
	// Members left running could hold ctrun's output pipes open: do not
	// wait for them forever once ctrun itself is gone.
	cmd.WaitDelay = 3 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if c.user {
		requireRoot(t) // to become 65534
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		if !hasEnv(c.env, "XDG_RUNTIME_DIR") && !c.noXDG {
			cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+userRuntimeDir(t))
		}
	}
	if c.stdin != nil {
		cmd.Stdin = bytes.NewReader(c.stdin)
	}
	return cmd
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

// run runs ctrun to the end.
func run(t *testing.T, c call) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := c.command(t, ctx)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("ctrun %q did not return within %v\nstderr: %s", c.args, c.timeout, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run ctrun %q: %v", c.args, err)
	}
	return r
}

// start starts ctrun in the background; the returned process is killed
// and reaped at the end of the test if still running.
func start(t *testing.T, c call) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := c.command(t, context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ctrun: %v", err)
	}
	stopAtCleanup(t, cmd)
	return cmd, out, errb
}

// stopAtCleanup stops a started ctrun at the end of the test, if it still
// runs: it asks ctrun to stop its contract, as a user would, and kills it
// if it does not.
func stopAtCleanup(t *testing.T, cmd *exec.Cmd) {
	t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// syncBuffer is written by the exec package's copying goroutine while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitExit waits for a started ctrun and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait for ctrun: %v", err)
		}
		return 0
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("ctrun did not return within %v", timeout)
	}
	return -1
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (to create cgroups, attach BPF, or become uid 65534); CI runs as root")
	}
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readPidFile waits for a file holding a pid and returns it.
func readPidFile(t *testing.T, path string) int {
	t.Helper()
	var pid int
	eventually(t, 10*time.Second, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	return pid
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// sharedDir makes a directory every user may use, removed after the test
// (t.TempDir's parent is closed to other users).
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctrun-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
