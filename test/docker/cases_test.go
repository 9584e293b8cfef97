//go:build docker

// The cases of issue 10, in real Docker. "Through the entrypoint" runs the
// image as users run the Dockerfile: ctrun as PID 1 with the Dockerfile's
// ENTRYPOINT options, the case's command as CMD. "Inside" runs a shell as
// PID 1 (--entrypoint sh) and ctrun as a command in it.
package docker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The users a case runs as inside: Docker's default, and nobody as the
// pod of docs/container/pod.yaml runs.
var users = []struct {
	name string
	opts []string
}{
	{"root", nil},
	{"uid 65534", []string{"--user", "65534:65534"}},
}

// podOpts is docs/container/pod.yaml's security context in docker run's
// words: not root, no capability, no privilege escalation, the default
// seccomp profile, a read-only root with a writable /tmp.
var podOpts = []string{"--user", "65534:65534", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
	"--read-only", "--tmpfs", "/tmp"}

// a, g: the command's exit status is the container's, through the
// entrypoint; a command killed by a signal gives 123.
func TestEntrypointExitStatus(t *testing.T) {
	for _, tc := range []struct {
		command string
		code    int
		stdout  string
	}{
		{"exit 7", 7, ""},
		{"echo hi", 0, "hi\n"},
		{"kill -KILL $$", 123, ""},
	} {
		t.Run(tc.command, func(t *testing.T) {
			r := dockerRun(t, nil, "sh", "-c", tc.command)
			if r.code != tc.code || r.stdout != tc.stdout {
				t.Errorf("sh -c %q through the entrypoint: want exit %d, stdout %q; got %s", tc.command, tc.code, tc.stdout, r)
			}
		})
	}
}

// b: as PID 1, ctrun reaps the orphans a command leaves: no zombie in the
// container while the command runs, and the container exits with the
// command's status.
func TestEntrypointReapsOrphans(t *testing.T) {
	// Three orphans that exit after 0.2 s; the listing comes at 1 s.
	r := dockerRun(t, nil, "sh", "-c", `for i in 1 2 3; do (sh -c "sleep 0.2 &"); done
sleep 1
echo "@@ stat"; cat /proc/[0-9]*/stat 2>/dev/null
echo "@@ ps"; ps -o pid,stat,comm
exit 9`)
	stat, ok := sections(r.stdout)["stat"]
	if !ok {
		t.Fatalf("no process listing; got %s", r)
	}
	if r.code != 9 {
		t.Errorf("want exit 9 (the command's); got %s", r)
	}
	var zombies []string
	sawCommand := false
	for _, l := range stat {
		comm, state, ok := procStat(l)
		if !ok {
			continue
		}
		if state == "Z" {
			zombies = append(zombies, l)
		}
		if comm == "sh" && state != "Z" {
			sawCommand = true
		}
	}
	if !sawCommand { // the listing itself failed: nothing was checked
		t.Fatalf("the listing does not show the command (sh) running; got %s", r)
	}
	if len(zombies) > 0 {
		t.Errorf("zombies in the container:\n\t%s\n%s", strings.Join(zombies, "\n\t"), r)
	}
}

// c: docker stop's SIGTERM reaches the command through the entrypoint at
// once (within 1 s, not docker's 10 s before SIGKILL), and the container
// exits with the status the command's trap chose.
func TestDockerStop(t *testing.T) {
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			name := containerName(t)
			args := append([]string{"run", "-d", "--name", name, "--network", "none"}, u.opts...)
			args = append(args, image, "sh", "-c", `trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done`)
			if _, _, err := docker(args...); err != nil {
				t.Fatal(err)
			}
			// The trap is set once "ready" is out.
			deadline := time.Now().Add(caseTimeout)
			for {
				logs, errs, err := docker("logs", name)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(logs, "ready\n") {
					break
				}
				if running, _, _ := docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", name); !strings.HasPrefix(running, "true") || time.Now().After(deadline) {
					t.Fatalf("the command did not start (state %s)\nstdout:\n%s\nstderr:\n%s", strings.TrimSpace(running), indent(logs), indent(errs))
				}
				time.Sleep(50 * time.Millisecond)
			}
			start := time.Now()
			if _, _, err := docker("stop", "-t", "10", name); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			status, _, err := docker("wait", name)
			if err != nil {
				t.Fatal(err)
			}
			logs, errs, _ := docker("logs", name)
			t.Logf("docker stop took %v", elapsed.Round(time.Millisecond))
			if elapsed >= time.Second || strings.TrimSpace(status) != "3" {
				t.Errorf("docker stop -t 10: want the container ended within 1 s with status 3; took %v, status %s\nstdout:\n%s\nstderr:\n%s",
					elapsed.Round(time.Millisecond), strings.TrimSpace(status), indent(logs), indent(errs))
			}
		})
	}
}

// d: ctrun as a command inside a container, as root and not: it runs a
// command, holds a double-forked setsid daemon with the default lifetime,
// and with -o noorphan -l child kills what the command left.
func TestInsideContainer(t *testing.T) {
	const script = `up() { read -r s _ </proc/uptime; echo "$s"; }
echo "@@ hi"
ctrun sh -c 'echo hi' 2>&1; echo "rc=$?"
echo "@@ daemon"
t0=$(up)
ctrun sh -c 'setsid sh -c "sleep 1; echo daemon done" & echo parent' 2>&1; echo "rc=$?"
echo "elapsed $t0 $(up)"
echo "@@ noorphan"
ctrun -o noorphan -l child sh -c 'setsid sleep 600 & echo done' 2>&1; echo "rc=$?"
echo "@@ left"
# A process killed may take a moment to go: look for 2 s.
i=0
while :; do
	left=$(for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' 2>/dev/null <"$f"; echo; done | grep '^sleep 600')
	[ -z "$left" ] && break
	[ $i -ge 20 ] && { echo "$left"; break; }
	i=$((i + 1)); sleep 0.1
done
echo "@@ end"`
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			r := dockerRun(t, append([]string{"--entrypoint", "sh"}, u.opts...), "-c", script)
			s := sections(r.stdout)
			if _, ok := s["end"]; !ok {
				t.Fatalf("the script did not run to its end; got %s", r)
			}

			if rc := rcOf(s["hi"]); rc != 0 || !slices.Contains(s["hi"], "hi") {
				t.Errorf("ctrun sh -c 'echo hi': want hi and exit 0; got exit %d:\n%s", rc, indent(strings.Join(s["hi"], "\n")))
			}

			daemon := s["daemon"]
			done, rcAt := slices.Index(daemon, "daemon done"), slices.IndexFunc(daemon, func(l string) bool { return strings.HasPrefix(l, "rc=") })
			elapsed, err := elapsedOf(daemon)
			t.Logf("ctrun held the setsid daemon for %v", elapsed)
			switch {
			case err != nil:
				t.Errorf("setsid daemon: %v", err)
			case rcOf(daemon) != 0 || !slices.Contains(daemon, "parent") || done < 0 || done > rcAt:
				t.Errorf("setsid daemon: want parent, then daemon done before ctrun returns 0; got:\n%s", indent(strings.Join(daemon, "\n")))
			case elapsed < 900*time.Millisecond || elapsed > 5*time.Second:
				t.Errorf("setsid daemon: ctrun returned after %v, want about 1 s (the daemon's sleep)", elapsed)
			}

			if rc := rcOf(s["noorphan"]); rc != 0 || !slices.Contains(s["noorphan"], "done") {
				t.Errorf("ctrun -o noorphan -l child: want done and exit 0; got exit %d:\n%s", rc, indent(strings.Join(s["noorphan"], "\n")))
			}
			if len(s["left"]) > 0 {
				t.Errorf("ctrun -o noorphan -l child left its setsid daemon:\n%s", indent(strings.Join(s["left"], "\n")))
			}
			if t.Failed() {
				t.Logf("the whole run: %s", r)
			}
		})
	}
}

// e: a grandchild's SIGSEGV, while its own parent is alive and reaps it,
// is a fatal core event: the contract is killed and restarted once (-r 1),
// so the command runs twice; with ctrun as PID 1 and as a command inside.
func TestRestartOnGrandchildSegv(t *testing.T) {
	const command = `echo run; sh -c "kill -SEGV \$\$"; sleep 0.5`
	for _, tc := range []struct {
		name string
		opts []string
		args []string
	}{
		{"PID 1", []string{"--entrypoint", "/usr/bin/ctrun"}, []string{"-r", "1", "-f", "core", "sh", "-c", command}},
		{"inside, root", []string{"--entrypoint", "sh"}, []string{"-c", "ctrun -r 1 -f core sh -c '" + command + "'"}},
		{"inside, uid 65534", []string{"--entrypoint", "sh", "--user", "65534:65534"}, []string{"-c", "ctrun -r 1 -f core sh -c '" + command + "'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := dockerRun(t, tc.opts, tc.args...)
			if runs := countLines(r.stdout, "run"); runs != 2 {
				t.Errorf("want the command run twice (one restart); it ran %d times: %s", runs, r)
			}
		})
	}
}

// f: with a read-only root and a tmpfs /tmp, ctrun runs as the entrypoint
// (the status passes through), and inside the same container ctstat lists a
// running contract, ctkill -l its members, and ctwatch follows it to its
// end. As root, and as the pod of docs/container/pod.yaml runs.
func TestReadOnlyRoot(t *testing.T) {
	const script = `ctrun sh -c 'echo "$CTRUN_CTID" >/tmp/ctid; exec sleep 5' 2>&1 &
p=$!
i=0
while [ ! -s /tmp/ctid ] && kill -0 $p 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
id=$(cat /tmp/ctid 2>/dev/null)
echo "@@ ctid"; echo "$id"
echo "@@ ctstat"; ctstat 2>&1; echo "rc=$?"
echo "@@ ctkill"; ctkill -l "$id" 2>&1; echo "rc=$?"
echo "@@ ctwatch"; timeout 15 ctwatch "$id" 2>&1; echo "rc=$?"
wait $p; rc=$?
echo "@@ ctrun"; echo "rc=$rc"`
	for _, tc := range []struct {
		name string
		opts []string
	}{
		{"root", []string{"--read-only", "--tmpfs", "/tmp"}},
		{"as the pod", podOpts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("exit status", func(t *testing.T) {
				if r := dockerRun(t, tc.opts, "sh", "-c", "exit 7"); r.code != 7 {
					t.Errorf("sh -c 'exit 7' through the entrypoint: want exit 7; got %s", r)
				}
			})
			t.Run("ctstat ctkill ctwatch", func(t *testing.T) {
				r := dockerRun(t, append([]string{"--entrypoint", "sh"}, tc.opts...), "-c", script)
				s := sections(r.stdout)
				if len(s["ctid"]) != 1 || s["ctid"][0] == "" {
					t.Fatalf("the contract did not start (no CTRUN_CTID); got %s", r)
				}
				id := s["ctid"][0]
				if rcOf(s["ctstat"]) != 0 || !slices.ContainsFunc(s["ctstat"], fieldIs(0, id)) {
					t.Errorf("ctstat: want contract %s listed and exit 0; got:\n%s", id, indent(strings.Join(s["ctstat"], "\n")))
				}
				if rcOf(s["ctkill"]) != 0 || !slices.ContainsFunc(s["ctkill"], fieldIs(2, "sleep")) {
					t.Errorf("ctkill -l %s: want its member sleep listed and exit 0; got:\n%s", id, indent(strings.Join(s["ctkill"], "\n")))
				}
				if rcOf(s["ctwatch"]) != 0 || !slices.ContainsFunc(s["ctwatch"], func(l string) bool { return fieldIs(0, id)(l) && fieldIs(3, "empty")(l) }) {
					t.Errorf("ctwatch %s: want the contract's empty event and exit 0 at its end; got:\n%s", id, indent(strings.Join(s["ctwatch"], "\n")))
				}
				if rc := rcOf(s["ctrun"]); rc != 0 {
					t.Errorf("ctrun: want exit 0 (sleep's); got %d", rc)
				}
				if t.Failed() {
					t.Logf("the whole run: %s", r)
				}
			})
		})
	}
}

// sections splits a script's output at its "@@ name" lines.
func sections(out string) map[string][]string {
	s := map[string][]string{}
	name := ""
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if n, ok := strings.CutPrefix(l, "@@ "); ok {
			name = n
			s[name] = []string{}
			continue
		}
		if name != "" {
			s[name] = append(s[name], l)
		}
	}
	return s
}

// rcOf returns the status a section's "rc=N" line gives, -1 if none.
func rcOf(lines []string) int {
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "rc="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return -1
}

// elapsedOf reads "elapsed T0 T1" (/proc/uptime seconds) from a section.
func elapsedOf(lines []string) (time.Duration, error) {
	for _, l := range lines {
		var t0, t1 float64
		if _, err := fmt.Sscanf(l, "elapsed %g %g", &t0, &t1); err == nil {
			return time.Duration((t1 - t0) * float64(time.Second)), nil
		}
	}
	return 0, fmt.Errorf("no elapsed time in the output")
}

// procStat returns the command name and state of a /proc/PID/stat line
// (the name, in parentheses, may hold spaces and parentheses).
func procStat(line string) (comm, state string, ok bool) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return "", "", false
	}
	f := strings.Fields(line[end+1:])
	if len(f) == 0 {
		return "", "", false
	}
	return line[open+1 : end], f[0], true
}

// countLines counts the lines of out that are line.
func countLines(out, line string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if l == line {
			n++
		}
	}
	return n
}

// fieldIs matches lines whose field i is want.
func fieldIs(i int, want string) func(string) bool {
	return func(l string) bool {
		f := strings.Fields(l)
		return len(f) > i && f[i] == want
	}
}
