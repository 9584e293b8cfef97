package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
)

// shellAtTerminal starts an interactive bash (job control on) at a new
// pseudo-terminal, as root or uid 65534, for the test to type into, with
// $CTRUN naming ctrun and env added. The shell and anything left in its
// session are killed at the end of the test.
func shellAtTerminal(t *testing.T, user bool, env ...string) *terminal {
	t.Helper()
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--norc", "--noprofile", "-i")
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C", "TERM=dumb", "PS1=PROMPT$ ", "HOME=/", "CTRUN=" + ctrun}, env...)
	cmd.Dir = binDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if user {
		requireRoot(t)
		os.Chown(slavePath, nobody, nobody)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+userRuntimeDir(t))
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// The shell's session: it and whatever it left (a stopped job).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	tm := &terminal{master: master}
	go tm.read()
	tm.expect(t, "PROMPT$ ", 0)
	return tm
}

// processesWith lists the pids of processes whose command line holds
// marker.
func processesWith(marker string) []int {
	var pids []int
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		pid := atoi(de.Name())
		if pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/cmdline")
		if err == nil && strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), marker) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// state is process pid's state letter (R, S, T, ...), 0 when gone.
func state(pid int) byte {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if err != nil || i < 0 || len(s) < i+3 {
		return 0
	}
	return s[i+2]
}

// sameMode checks that the terminal's mode (stty -g) after is as before.
func sameMode(t *testing.T, dir string) {
	t.Helper()
	var before, after []byte
	eventually(t, 10*time.Second, "stty -g written", func() bool {
		before, _ = os.ReadFile(filepath.Join(dir, "before"))
		after, _ = os.ReadFile(filepath.Join(dir, "after"))
		return len(before) > 0 && len(after) > 0
	})
	if string(before) != string(after) {
		t.Errorf("terminal mode changed:\nbefore %s\nafter  %s", before, after)
	}
}

// The terminal is given back in its mode on every way ctrun ends: the
// command killed by SIGKILL, a stop sent to ctrun, lines of -V.
func TestTerminalRestored(t *testing.T) {
	for _, tc := range []struct {
		name, command, rc string
		// term: SIGTERM is sent to ctrun once the command runs.
		term bool
	}{
		{"command killed", `"$CTRUN" -V sh -c 'echo $((6*7))-ready; kill -9 $$'`, "123", false},
		{"ctrun stopped by TERM", `"$CTRUN" -v sh -c 'echo $((6*7))-ready; exec sleep 3073'`, "123", true},
		{"exit status", `"$CTRUN" -v sh -c 'echo $((6*7))-ready; exit 7'`, "7", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				tm := shellAtTerminal(t, user)
				tm.typ(t, "stty -g > "+dir+"/before; "+tc.command+"; echo rc-$?; stty -g > "+dir+"/after\r")
				at := tm.expect(t, "42-ready", 0)
				if tc.term {
					for _, pid := range processesWith("sleep 3073") {
						if b, _ := os.ReadFile("/proc/" + itoa(pid) + "/cmdline"); strings.HasPrefix(string(b), ctrun+"\x00") {
							syscall.Kill(pid, syscall.SIGTERM)
						}
					}
				}
				end := tm.expect(t, "\nrc-", at)
				tm.expect(t, "PROMPT$ ", end)
				out := tm.output()
				if rc := out[end:min(end+len(tc.rc), len(out))]; rc != tc.rc {
					t.Fatalf("$? = %s, want %s:\n%s", rc, tc.rc, out)
				}
				if bad := regexp.MustCompile(`ctrun: [^\n]*[^\r]\n`).FindString(out); bad != "" {
					t.Errorf("a line of ctrun's without its carriage return: %q", bad)
				}
				sameMode(t, dir)
			})
		})
	}
}

// ^Z typed while the command itself runs in the foreground suspends the
// job as without ctrun: ctrun and the command's group stop, the shell
// gets its prompt back with the terminal in its own mode, and fg resumes
// both, the terminal raw again.
func TestTerminalSuspend(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		tm := shellAtTerminal(t, user)
		tm.typ(t, "stty -g > "+dir+"/before\r")
		tm.typ(t, `"$CTRUN" sh -c 'echo $((6*7))-ready; read x; echo got-$x; exit 5'`+"\r")
		at := tm.expect(t, "42-ready", 0)
		ctrunPid, shPid := 0, 0
		for _, pid := range processesWith("read x") {
			b, _ := os.ReadFile("/proc/" + itoa(pid) + "/cmdline")
			switch {
			case strings.HasPrefix(string(b), ctrun+"\x00"):
				ctrunPid = pid
			case strings.HasPrefix(string(b), "sh\x00"):
				shPid = pid
			}
		}
		if ctrunPid == 0 || shPid == 0 {
			t.Fatalf("ctrun %d, its command %d: not found", ctrunPid, shPid)
		}
		tm.typ(t, "\x1a")
		at = tm.expect(t, "Stopped", at)
		at = tm.expect(t, "PROMPT$ ", at)
		eventually(t, 10*time.Second, "ctrun and its command stopped (state T)", func() bool { return state(ctrunPid) == 'T' && state(shPid) == 'T' })
		tm.typ(t, "stty -g > "+dir+"/after\r")
		at = tm.expect(t, "PROMPT$ ", at)
		sameMode(t, dir)
		tm.typ(t, "fg\r")
		eventually(t, 10*time.Second, "the job running again", func() bool { return state(ctrunPid) != 'T' && state(shPid) != 'T' })
		tm.typ(t, "hello\r")
		at = tm.expect(t, "got-hello", at)
		at = tm.expect(t, "PROMPT$ ", at)
		os.Remove(filepath.Join(dir, "after"))
		tm.typ(t, "echo rc-$?; stty -g > "+dir+"/after\r")
		end := tm.expect(t, "\nrc-", at)
		tm.expect(t, "PROMPT$ ", end)
		if out := tm.output(); !strings.HasPrefix(out[end:], "5") {
			t.Fatalf("$? after the job is not its 5:\n%s", out)
		}
		sameMode(t, dir)
	})
}

// timeout(1) bounds a job: its TERM is a user stop, which reaches every
// member (setsid ones too), so ctrun returns at once and leaves nothing.
// With noorphan, even timeout -k's KILL of ctrun leaves nothing of members
// that ignore TERM. Not at a terminal.
func TestTimeoutBoundsJob(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout []string
		args    []string
		code    int
	}{
		{"timeout's TERM", []string{"1"}, []string{"sh", "-c", "setsid sleep 301 & sleep 301"}, 124},
		// timeout's KILL goes to its own process group, itself included.
		{"timeout -k and noorphan", []string{"-k", "1", "1"}, []string{"-o", "noorphan", "sh", "-c", `trap "" TERM; setsid sleep 301 & sleep 301`}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				cmd := call{args: tc.args, user: user}.command(t, context.Background())
				path, err := exec.LookPath("timeout")
				if err != nil {
					t.Skip("no timeout(1)")
				}
				cmd.Path, cmd.Args = path, append(append([]string{"timeout"}, tc.timeout...), append([]string{ctrun}, tc.args...)...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				stopAtCleanup(t, cmd)
				// Far less than the members would run for.
				if code := waitExit(t, cmd, 20*time.Second); code != tc.code {
					t.Fatalf("timeout exited %d (%v), want %d", code, cmd.ProcessState, tc.code)
				}
				eventually(t, 10*time.Second, "the sleeps gone", func() bool { return len(processesWith("sleep 301")) == 0 })
				if tc.code == -1 {
					// ctrun was SIGKILLed: its event socket is left for
					// the next ctstat to collect (its init removes it only
					// when the holder's end has closed it first).
					eventually(t, 10*time.Second, "the contract's init gone", func() bool { return len(runningInits()) == 0 })
					if r := runStat(t, user, nil, "-a"); r.code != 0 {
						t.Fatalf("ctstat -a: exit %d: %s", r.code, r.stderr)
					}
				}
			})
		})
	}
}

// ^C and ^\ typed at ctrun's terminal are a user stop, as root and
// unprivileged alike: the command and every other member (setsid ones
// too) get the signal, nothing is restarted, and ctrun ends by the signal
// the command died of, so the shell stops a loop as it would without
// ctrun. ctrun's own lines start at column 0 while the terminal is raw,
// and the terminal's mode is the same after as before.
//
// The test types its next line only once ctrun has ended: until then
// ctrun relays what is typed to the contract, as a terminal does to the
// foreground job.
func TestTerminalInterrupts(t *testing.T) {
	for _, tc := range []struct {
		name string
		// command runs at the shell ($CTRUN is ctrun); it prints 42-ready
		// once the contract runs, and every process of it has "sleep 307"
		// in its command line.
		command string
		key     string
		// rc is $? after; absent must not be seen after the key, present
		// must.
		rc      string
		absent  []string
		present []string
	}{
		{name: "^C ends a loop", key: "\x03", rc: "130",
			command: `for i in 1 2 3; do "$CTRUN" sh -c 'echo $((6*7))-ready; exec sleep 3072'; echo next-$i; done`,
			absent:  []string{"next-"}},
		{name: "^C with -r and a setsid member", key: "\x03", rc: "130",
			command: `"$CTRUN" -v -r 3 -f core,signal -g 1 sh -c 'setsid sleep 3071 & echo $((6*7))-ready; exec sleep 3072'`,
			absent:  []string{"restart", "fatal event"},
			present: []string{"typed at the terminal"}},
		{name: "^\\ stops without a core", key: "\x1c", rc: "131",
			command: `"$CTRUN" -v -f core,signal sh -c 'echo $((6*7))-ready; exec sleep 3072'`,
			absent:  []string{"fatal event", "core dumped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				tm := shellAtTerminal(t, user)
				tm.typ(t, "stty -g > "+dir+"/before; "+tc.command+"\r")
				at := tm.expect(t, "42-ready", 0)
				tm.typ(t, tc.key)
				eventually(t, 20*time.Second, "ctrun and its members gone after the key", func() bool {
					return len(processesWith("sleep 307")) == 0
				})
				tm.typ(t, "echo rc-$?; stty -g > "+dir+"/after\r")
				end := tm.expect(t, "\nrc-", at)
				tm.expect(t, "PROMPT$ ", end)
				out := tm.output()
				if rc := out[end:min(end+len(tc.rc), len(out))]; rc != tc.rc {
					t.Fatalf("$? = %s after the key, want %s:\n%s", rc, tc.rc, out)
				}
				for _, s := range tc.absent {
					if strings.Contains(out[at:], s) {
						t.Errorf("%q after the key:\n%s", s, out)
					}
				}
				for _, s := range tc.present {
					if !strings.Contains(out[at:], s) {
						t.Errorf("no %q after the key:\n%s", s, out)
					}
				}
				if bad := regexp.MustCompile(`ctrun: [^\n]*[^\r]\n`).FindString(out); bad != "" {
					t.Errorf("a line of ctrun's without its carriage return: %q", bad)
				}
				sameMode(t, dir)
			})
		})
	}
}
