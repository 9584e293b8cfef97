package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// as runs a subtest once as root and once as uid 65534.
func asRootAndUser(t *testing.T, f func(t *testing.T, user bool)) {
	t.Run("root", func(t *testing.T) {
		requireRoot(t)
		f(t, false)
	})
	t.Run("uid65534", func(t *testing.T) { f(t, true) })
}

// The command gets argv, environment, working directory and streams
// unchanged, binary data included; only CTRUN_CTID is added.
func TestCommandSeesItsOwnWorld(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := filepath.Join(sharedDir(t), "a dir with  spaces")
		if err := os.MkdirAll(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		env := []string{"HELLO=wörld", "EMPTY=", "MULTI=a\nb"}
		binary := make([]byte, 256*1024)
		for i := range binary {
			binary[i] = byte(i * 7)
		}
		// Streams: binary data in and out; stderr too.
		r := run(t, call{args: []string{"sh", "-c", "cat; echo err >&2"}, user: user, stdin: binary})
		if r.code != 0 || !bytes.Equal([]byte(r.stdout), binary) || r.stderr != "err\n" {
			t.Fatalf("streams: exit %d, %d bytes back of %d, stderr %q", r.code, len(r.stdout), len(binary), r.stderr)
		}
		// Working directory, with spaces.
		r = run(t, call{args: []string{"pwd"}, user: user, dir: dir})
		if r.code != 0 || strings.TrimSpace(r.stdout) != dir {
			t.Fatalf("cwd %q, want %q (exit %d: %s)", r.stdout, dir, r.code, r.stderr)
		}
		// Arguments, exactly.
		args := []string{probe, "argv", "two words", "", "-v", "*", "tab\there"}
		r = run(t, call{args: args, user: user})
		if want := "[two words]\n[]\n[-v]\n[*]\n[tab\there]\n"; r.stdout != want {
			t.Fatalf("argv %q, want %q", r.stdout, want)
		}
		// Environment: the caller's, plus CTRUN_CTID and nothing else.
		r = run(t, call{args: []string{"env", "-0"}, user: user, env: env})
		got := strings.Split(strings.TrimRight(r.stdout, "\x00"), "\x00")
		var ctid string
		var rest []string
		for _, e := range got {
			if v, ok := strings.CutPrefix(e, "CTRUN_CTID="); ok {
				ctid = v
				continue
			}
			rest = append(rest, e)
		}
		if n, err := strconv.Atoi(ctid); err != nil || n <= 0 {
			t.Fatalf("CTRUN_CTID %q is not a positive integer", ctid)
		}
		want := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}
		want = append(want, env...)
		if user {
			for _, e := range got {
				if strings.HasPrefix(e, "XDG_RUNTIME_DIR=") {
					want = append(want, e)
				}
			}
		}
		sort.Strings(rest)
		sort.Strings(want)
		if fmt.Sprint(rest) != fmt.Sprint(want) {
			t.Fatalf("environment changed:\n got %q\nwant %q", rest, want)
		}
	})
}

// Inside, /proc lists only members, the command's parent is PID 1, host
// processes are invisible, files are the host's.
func TestPrivateProcView(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		script := `
			echo ppid=$PPID
			ls /proc | grep -c '^[0-9]'
			ls -d /proc/[0-9]* | sed 's,/proc/,,' | sort -n | tr '\n' ' '; echo
			test -e /proc/` + strconv.Itoa(os.Getpid()) + `/status && echo host-visible
			cat /etc/hostname`
		r := run(t, call{args: []string{"sh", "-c", script}, user: user})
		if r.code != 0 {
			t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
		}
		lines := strings.Split(r.stdout, "\n")
		if lines[0] != "ppid=1" {
			t.Fatalf("the command's parent is not PID 1: %q", lines[0])
		}
		// init, sh, ls (and grep) are all there is.
		if n, _ := strconv.Atoi(lines[1]); n < 2 || n > 5 {
			t.Fatalf("/proc inside lists %s processes:\n%s", lines[1], r.stdout)
		}
		if !strings.HasPrefix(lines[2], "1 ") {
			t.Fatalf("PID 1 missing inside: %q", lines[2])
		}
		if strings.Contains(r.stdout, "host-visible") && os.Getpid() > 20 {
			t.Fatalf("a host process is visible inside")
		}
		host, _ := os.ReadFile("/etc/hostname")
		if !strings.Contains(r.stdout, string(host)) {
			t.Fatalf("the host's files are not there: %q", r.stdout)
		}
	})
}

// Each run is a new contract with a new id, unique also between root's and
// another user's contracts running at the same time.
func TestContractIDsUnique(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	var cmds []func() int
	for i, user := range []bool{false, true, false, true} {
		f := filepath.Join(dir, strconv.Itoa(i))
		cmd, _, stderr := start(t, call{args: []string{"sh", "-c", `echo $CTRUN_CTID > ` + f + `; sleep 1`}, user: user})
		cmds = append(cmds, func() int {
			c := waitExit(t, cmd, 20*time.Second)
			if c != 0 {
				t.Errorf("exit %d: %s", c, stderr.String())
			}
			return c
		})
	}
	seen := map[int]bool{}
	for i := range cmds {
		id := readPidFile(t, filepath.Join(dir, strconv.Itoa(i)))
		if seen[id] {
			t.Fatalf("contract id %d given twice", id)
		}
		seen[id] = true
	}
	for _, w := range cmds {
		w()
	}
}

// Unprivileged, the command runs with the caller's own uid, gid and groups
// and makes files the caller owns on the host.
func TestUserKeepsOwnIDs(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	f := filepath.Join(dir, "made")
	r := run(t, call{args: []string{"sh", "-c", `id -u; id -g; id -G; touch ` + f}, user: true})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != "65534\n65534\n65534\n" {
		t.Fatalf("ids inside:\n%s", r.stdout)
	}
	st, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; uid != nobody {
		t.Fatalf("file made inside belongs to uid %d on the host", uid)
	}
}

// As root, the contract has a cgroup below ctrun's own, gone when it ends:
// in every v1 hierarchy, or, on a unified (v2) host, in the unified one.
func TestRootCgroup(t *testing.T) {
	requireRoot(t)
	clean(t)
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, call{args: []string{"cat", "/proc/self/cgroup"}})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs("/sys/fs/cgroup", &fs); err != nil {
		t.Fatal(err)
	}
	const cgroup2Magic = 0x63677270
	unified := fs.Type == cgroup2Magic
	mine := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(own)), "\n") {
		f := strings.SplitN(l, ":", 3)
		mine[f[1]] = f[2]
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.SplitN(l, ":", 3)
		// A v1 host: every controller's hierarchy; a v2 host: the
		// unified one ("0::"), where the controllers are.
		if unified != (f[0] == "0") || f[1] == "name=systemd" {
			continue
		}
		parent := strings.TrimSuffix(mine[f[1]], "/")
		if !strings.HasPrefix(f[2], parent+"/ctrun-") {
			t.Fatalf("controller %q: contract cgroup %s is not below ctrun's own %s", f[1], f[2], mine[f[1]])
		}
		found = true
	}
	if !found {
		t.Fatalf("no cgroup inside: %s", r.stdout)
	}
}

// Descriptors ctrun inherits reach the command at the same numbers, low
// or high (the init's own descriptors must not take those numbers).
func TestInheritedDescriptors(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := call{user: user}.command(t, ctx)
		// bash opens the descriptors, then becomes ctrun.
		cmd.Path = "/bin/bash"
		cmd.Args = []string{"bash", "-c", `exec 9>"$1/nine" 1000>"$1/thousand" 1100>"$1/eleven" && exec "$2" bash -c 'echo 9 >&9 && echo 1000 >&1000 && echo 1100 >&1100'`, "bash", dir, ctrun}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ctrun: %v\n%s", err, out)
		}
		for name, want := range map[string]string{"nine": "9\n", "thousand": "1000\n", "eleven": "1100\n"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || string(b) != want {
				t.Errorf("descriptor to %s: got %q (%v), want %q", name, b, err, want)
			}
		}
	})
}

// The command opens the host's devices as it would without ctrun: the
// contract's device cgroup restricts nothing.
func TestHostDevicesOpen(t *testing.T) {
	requireRoot(t)
	clean(t)
	const dev = "/dev/kmsg" // a character device outside runtimes' default rules
	f, err := os.Open(dev)
	if err != nil {
		t.Skipf("%s cannot be opened here even without ctrun: %v", dev, err)
	}
	f.Close()
	r := run(t, call{args: []string{"sh", "-c", "exec 3<" + dev + " && echo opened"}})
	if r.code != 0 || r.stdout != "opened\n" {
		t.Fatalf("%s in a contract: exit %d, %q %q", dev, r.code, r.stdout, r.stderr)
	}
}
