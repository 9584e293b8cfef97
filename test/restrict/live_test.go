package main

// Live checks, as root: restrict's restrictions as a process under them
// sees them. The test binary plays both parts: restrict (run under that
// name) and the probe (its first argument probeArg), so that the probe can
// make exactly the system calls in question.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// toolName is argv[0] that makes the test binary restrict.
	toolName = "restrict"
	// probeArg is the first argument that makes it the probe.
	probeArg = "restrict-probe"
	// probeEnv is passed through restrict to the probe.
	probeEnv = "RESTRICT_PROBE_ENV"
)

// runProbe is the probe: it reports what the process under restrict sees.
//
//	report        key=value lines: ids, namespaces, /sys/fs/cgroup's type,
//	              no_new_privs and seccomp mode, probeEnv
//	syscalls      name=result for each system call a filter must decide
//	connector     the result of subscribing to the process-events connector
//	cgroups       mount=result of a mkdir in every cgroup mount it can reach
//	wait FILE     write FILE, then exit 100+N on stop signal N
//	exit N        exit N
func runProbe(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "probe: what?")
		return 2
	}
	switch args[0] {
	case "report":
		report()
	case "syscalls":
		for _, p := range syscallProbes() {
			fmt.Printf("%s=%s\n", p.name, errName(p.call()))
		}
	case "connector":
		fmt.Printf("connector=%s\n", errName(subscribeConnector()))
	case "cgroups":
		return probeCgroups()
	case "wait":
		if len(args) < 2 {
			return 2
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT)
		if err := os.WriteFile(args[1], []byte("ready\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			return 2
		}
		s := <-sigs
		return 100 + int(s.(syscall.Signal))
	case "exit":
		if len(args) < 2 {
			return 2
		}
		n, _ := strconv.Atoi(args[1])
		return n
	default:
		fmt.Fprintf(os.Stderr, "probe: unknown request %q\n", args[0])
		return 2
	}
	return 0
}

func report() {
	link := func(p string) string { l, _ := os.Readlink(p); return l }
	status := map[string]string{}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				status[k] = strings.TrimSpace(v)
			}
		}
	}
	var st unix.Statfs_t
	cgfs := "?"
	if unix.Statfs(cgroupRoot, &st) == nil {
		cgfs = fmt.Sprintf("%#x", st.Type)
	}
	groups, _ := os.Getgroups()
	var gs []string
	for _, g := range groups {
		gs = append(gs, strconv.Itoa(g))
	}
	for _, kv := range [][2]string{
		{"pid", strconv.Itoa(os.Getpid())},
		{"ppid", strconv.Itoa(os.Getppid())},
		{"procself", link("/proc/self")},
		{"uid", strconv.Itoa(os.Getuid())},
		{"gid", strconv.Itoa(os.Getgid())},
		{"groups", strings.Join(gs, ",")},
		{"netns", link("/proc/self/ns/net")},
		{"pidns", link("/proc/self/ns/pid")},
		{"mntns", link("/proc/self/ns/mnt")},
		{"cgroupfs", cgfs},
		{"nnp", status["NoNewPrivs"]},
		{"seccomp", status["Seccomp"]},
		{"env", os.Getenv(probeEnv)},
	} {
		fmt.Printf("%s=%s\n", kv[0], kv[1])
	}
}

// syscallProbes are harmless when allowed: each fails on its own
// arguments with an error other than the filter's (ENOENT, EBADF,
// EINVAL...), or makes a namespace only for itself or a child that exits.
func syscallProbes() []struct {
	name string
	call func() error
} {
	const nowhere = "/nonexistent-restrict-probe"
	child := func(flags uintptr) func() error {
		return func() error {
			cmd := exec.Command("/bin/true")
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
			return cmd.Run()
		}
	}
	raw := func(nr, a1, a2 uintptr) func() error {
		return func() error {
			if _, _, e := unix.Syscall(nr, a1, a2, 0); e != 0 {
				return e
			}
			return nil
		}
	}
	return []struct {
		name string
		call func() error
	}{
		{"fork", child(0)},
		{"clone_newpid", child(unix.CLONE_NEWPID)},
		{"clone_newuser", child(unix.CLONE_NEWUSER)},
		{"clone3", raw(unix.SYS_CLONE3, 0, 0)},
		{"unshare_uts", func() error { return unix.Unshare(unix.CLONE_NEWUTS) }},
		// A multi-threaded process may not unshare its user namespace:
		// EINVAL unless a filter answers first.
		{"unshare_user", func() error { return unix.Unshare(unix.CLONE_NEWUSER) }},
		{"setns", func() error { return unix.Setns(-1, 0) }},
		{"mount", func() error { return unix.Mount("none", nowhere, "tmpfs", 0, "") }},
		{"umount2", func() error { return unix.Unmount(nowhere, 0) }},
		{"pivot_root", func() error { return unix.PivotRoot(nowhere, nowhere) }},
		{"bpf", raw(unix.SYS_BPF, ^uintptr(0), 0)},
		{"fsopen", func() error { _, err := unix.Fsopen("restrict-no-such-fs", 0); return err }},
		{"open_tree", func() error { _, err := unix.OpenTree(unix.AT_FDCWD, nowhere, 0); return err }},
	}
}

// errName is an error as the tests compare it: "ok", or the errno's name.
func errName(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return strings.ReplaceAll(err.Error(), " ", "_")
}

// subscribeConnector asks the process-events connector for events, as
// ctrun does, and cancels at once if that worked.
func subscribeConnector() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	const cnIdxProc, cnValProc, listen, ignore = 1, 1, 1, 2
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	msg := func(op uint32) []byte {
		// struct nlmsghdr, struct cn_msg, enum proc_cn_mcast_op.
		b := make([]byte, 16+20+4)
		ne := binary.NativeEndian
		ne.PutUint32(b[0:], uint32(len(b)))
		ne.PutUint16(b[4:], unix.NLMSG_DONE)
		ne.PutUint32(b[12:], uint32(os.Getpid()))
		ne.PutUint32(b[16:], cnIdxProc)
		ne.PutUint32(b[20:], cnValProc)
		ne.PutUint16(b[32:], 4)
		ne.PutUint32(b[36:], op)
		return b
	}
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Sendto(fd, msg(listen), 0, kernel); err != nil {
		return err
	}
	_ = unix.Sendto(fd, msg(ignore), 0, kernel)
	return nil
}

// probeCgroups tries a mkdir in every cgroup mount the process can reach
// (removing it again if that worked).
func probeCgroups() int {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 2
	}
	defer f.Close()
	ms, err := parseMountinfo(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 2
	}
	for _, m := range visibleBelow(ms, cgroupRoot) {
		dir := filepath.Join(m.point, fmt.Sprintf("restrict-probe-%d", os.Getpid()))
		err := unix.Mkdir(dir, 0o755)
		if err == nil {
			unix.Rmdir(dir)
		}
		fmt.Printf("%s=%s\n", m.point, errName(err))
	}
	return 0
}

// liveRoot skips a live check unless root, and makes the test fail if the
// host's mounts (or their propagation) differ at its end.
func liveRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make namespaces and mounts")
	}
	before, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		after, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("the host's mount table changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

// liveBinary copies the test binary where every user can run it (go
// test's own directory is its owner's only), for -user.
func liveBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "restrict-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bin := filepath.Join(dir, "restrict.test")
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// restrictCmd is restrict with flags running the probe with args.
func restrictCmd(bin string, flags []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin)
	cmd.Args = append(append(append([]string{toolName}, flags...), "--", bin, probeArg), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", probeEnv + "=passed through"}
	cmd.Dir = "/"
	return cmd
}

// runCmd runs cmd to the end, within 20 s.
func runCmd(t *testing.T, cmd *exec.Cmd) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %q: %v", cmd.Args, err)
	}
	return waitCmd(t, cmd), out.String(), errb.String()
}

func waitCmd(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("wait for %q: %v", cmd.Args, err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%q did not end within 20s", cmd.Args)
	}
	return -1
}

// probeLines runs the probe under flags, which must succeed, and reads its
// key=value lines.
func probeLines(t *testing.T, bin string, flags []string, args ...string) map[string]string {
	t.Helper()
	code, out, stderr := runCmd(t, restrictCmd(bin, flags, args...))
	if code != 0 {
		t.Fatalf("restrict %q, probe %q: exit %d\n%s%s", flags, args, code, out, stderr)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// expect fails for every key of want whose value in got differs.
func expect(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: %s=%q, want %q", what, k, got[k], want[k])
		}
	}
}

func ownNS(t *testing.T, name string) string {
	t.Helper()
	l, err := os.Readlink("/proc/self/ns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Without flags restrict is not there at all: the command replaces it,
// with its environment, status and namespaces.
func TestLiveExecsInPlace(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	cmd := restrictCmd(bin, nil, "report")
	code, out, stderr := runCmd(t, cmd)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "pid="+strconv.Itoa(cmd.Process.Pid)+"\n") {
		t.Errorf("the probe is not the process started (pid %d):\n%s", cmd.Process.Pid, out)
	}
	got := probeLines(t, bin, nil, "report")
	expect(t, "no flags", got, map[string]string{"env": "passed through", "uid": "0", "netns": ownNS(t, "net"),
		"mntns": ownNS(t, "mnt"), "pidns": ownNS(t, "pid"), "nnp": "0", "seccomp": "0"})
	if code, _, _ := runCmd(t, restrictCmd(bin, []string{"-netns"}, "exit", "7")); code != 7 {
		t.Errorf("the command's status 7 came back as %d", code)
	}
}

// -netns: a network namespace of its own, where the process-events
// connector refuses a subscription it accepts on the host.
func TestLiveNetns(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	got := probeLines(t, bin, []string{"-netns"}, "report")
	if got["netns"] == "" || got["netns"] == ownNS(t, "net") {
		t.Errorf("-netns: network namespace %q, the host's is %q", got["netns"], ownNS(t, "net"))
	}
	expect(t, "-netns", got, map[string]string{"mntns": ownNS(t, "mnt"), "pidns": ownNS(t, "pid"), "seccomp": "0"})
	expect(t, "-netns", probeLines(t, bin, []string{"-netns"}, "connector"), map[string]string{"connector": "ECONNREFUSED"})
	// The same probe on the host: it is the namespace that refuses.
	if host := probeLines(t, bin, nil, "connector"); host["connector"] != "ok" {
		t.Logf("the host itself has no connector (%s): the refusal above proves less", host["connector"])
	}
}

// -nons and -nouserns: each system call answered as the filter says, and
// the filter on every thread (the probe's os/exec forks from any).
func TestLiveFilters(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	for _, tc := range []struct {
		name  string
		flags []string
		want  map[string]string
	}{
		{"no filter (the probes tell the cases apart)", nil, map[string]string{
			"fork": "ok", "clone_newpid": "ok", "clone_newuser": "ok", "clone3": "EINVAL", "unshare_uts": "ok",
			"unshare_user": "EINVAL", "setns": "EBADF", "mount": "ENOENT", "umount2": "ENOENT", "pivot_root": "ENOENT",
			"bpf": "EINVAL", "fsopen": "ENODEV", "open_tree": "ENOENT"}},
		{"-nons", []string{"-nons"}, map[string]string{
			"fork": "ok", "clone_newpid": "EPERM", "clone_newuser": "EPERM", "clone3": "ENOSYS", "unshare_uts": "EPERM",
			"unshare_user": "EPERM", "setns": "EPERM", "mount": "EPERM", "umount2": "EPERM", "pivot_root": "EPERM",
			"bpf": "EPERM", "fsopen": "EPERM", "open_tree": "EPERM"}},
		{"-nons as uid 65534", []string{"-nons", "-user", "65534"}, map[string]string{
			"fork": "ok", "clone_newpid": "EPERM", "clone_newuser": "EPERM", "clone3": "ENOSYS", "unshare_user": "EPERM"}},
		{"-nouserns", []string{"-nouserns"}, map[string]string{
			"fork": "ok", "clone_newpid": "ok", "clone_newuser": "EPERM", "clone3": "ENOSYS", "unshare_uts": "ok",
			"unshare_user": "EPERM", "setns": "EBADF", "mount": "ENOENT"}},
		{"-nouserns as uid 65534", []string{"-nouserns", "-user", "65534"}, map[string]string{
			"fork": "ok", "clone_newuser": "EPERM", "clone3": "ENOSYS", "unshare_user": "EPERM",
			// Without CAP_SYS_ADMIN and without a user namespace to
			// get it in, no other namespace either.
			"clone_newpid": "EPERM", "unshare_uts": "EPERM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, tc.name, probeLines(t, bin, tc.flags, "syscalls"), tc.want)
			// A filter comes with no_new_privs, which installs it.
			want := map[string]string{"seccomp": "0", "nnp": "0"}
			if len(tc.flags) > 0 {
				want = map[string]string{"seccomp": "2", "nnp": "1"}
			}
			expect(t, tc.name, probeLines(t, bin, tc.flags, "report"), want)
		})
	}
}

// -rocgroup: every cgroup mount the command can reach refuses a write
// with EROFS, on the v1 layout, under -cgroup2 and under -pid1; the host's
// stay as they were (liveRoot compares the mount table).
func TestLiveReadOnlyCgroups(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	for _, flags := range [][]string{{"-rocgroup"}, {"-rocgroup", "-cgroup2"}, {"-pid1", "-rocgroup"}, {"-rocgroup", "-user", "65534"}} {
		got := probeLines(t, bin, flags, "cgroups")
		if len(got) == 0 {
			t.Errorf("%q: no cgroup mount seen", flags)
		}
		if _, ok := got[cgroupRoot]; !ok {
			t.Errorf("%q: %s itself not seen: %v", flags, cgroupRoot, got)
		}
		for m, r := range got {
			if r != "EROFS" {
				t.Errorf("%q: mkdir in %s: %s, want EROFS", flags, m, r)
			}
		}
	}
}

// -cgroup2: /sys/fs/cgroup is the unified hierarchy.
func TestLiveCgroup2(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	want := fmt.Sprintf("%#x", unix.CGROUP2_SUPER_MAGIC)
	for _, flags := range [][]string{{"-cgroup2"}, {"-cgroup2", "-pid1", "-netns", "-nons"}} {
		got := probeLines(t, bin, flags, "report")
		expect(t, strings.Join(flags, " "), got, map[string]string{"cgroupfs": want})
		if got["mntns"] == ownNS(t, "mnt") {
			t.Errorf("%q: in the host's mount namespace", flags)
		}
	}
	if got := probeLines(t, bin, nil, "report"); got["cgroupfs"] == want {
		t.Log("the host is a cgroup v2 host already")
	}
}

// -pid1: the command is PID 1 with its own /proc; its status, and the
// signal that killed it, come back; stop signals reach it; and it dies
// with restrict.
func TestLivePid1(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	got := probeLines(t, bin, []string{"-pid1"}, "report")
	expect(t, "-pid1", got, map[string]string{"pid": "1", "ppid": "0", "procself": "1", "netns": ownNS(t, "net"), "env": "passed through"})
	if got["pidns"] == ownNS(t, "pid") {
		t.Errorf("-pid1: in the host's PID namespace")
	}
	all := []string{"-pid1", "-netns", "-nons", "-rocgroup", "-user", "65534"}
	got = probeLines(t, bin, all, "report")
	expect(t, "all flags", got, map[string]string{"pid": "1", "procself": "1", "uid": "65534", "gid": "65534", "groups": "", "seccomp": "2"})
	if got["netns"] == ownNS(t, "net") {
		t.Errorf("all flags: in the host's network namespace")
	}

	if code, _, stderr := runCmd(t, restrictCmd(bin, []string{"-pid1"}, "exit", "7")); code != 7 {
		t.Errorf("-pid1: status 7 came back as %d: %s", code, stderr)
	}

	// A stop signal to restrict reaches the command (which, as PID 1,
	// gets only those it handles); each comes back as 100+N.
	for _, sig := range []syscall.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT} {
		cmd, child := startWaiting(t, bin, []string{"-pid1", "-user", "65534"})
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if code := waitCmd(t, cmd); code != 100+int(sig) {
			t.Errorf("%v to restrict: exit %d, want %d (the command got it)", sig, code, 100+int(sig))
		}
		if alive(child) {
			t.Errorf("the command %d outlived restrict", child)
		}
	}

	// Killed by a signal: 128+N.
	cmd, child := startWaiting(t, bin, []string{"-pid1"})
	if err := unix.Kill(child, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := waitCmd(t, cmd); code != 128+int(unix.SIGKILL) {
		t.Errorf("the command killed by SIGKILL: exit %d, want 137", code)
	}

	// restrict killed: its namespace ends with it (also after -user,
	// which clears the parent-death signal restrict sets again).
	cmd, child = startWaiting(t, bin, []string{"-pid1", "-user", "65534"})
	cmd.Process.Kill()
	waitCmd(t, cmd)
	deadline := time.Now().Add(5 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			unix.Kill(child, unix.SIGKILL)
			t.Fatalf("PID 1 of the namespace (%d) outlived restrict", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startWaiting starts the probe's wait under restrict with flags (one of
// them -pid1), and returns restrict and the probe's host pid once it is
// ready for signals.
func startWaiting(t *testing.T, bin string, flags []string) (*exec.Cmd, int) {
	t.Helper()
	// Not t.TempDir: its parent is closed to other users.
	dir, err := os.MkdirTemp("", "restrict-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, "ready")
	cmd := restrictCmd(bin, flags, "wait", ready)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("restrict %q: the probe never got ready", flags)
		}
		time.Sleep(5 * time.Millisecond)
	}
	kids := children(cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("restrict -pid1 has children %v, want the one PID 1", kids)
	}
	return cmd, kids[0]
}

// children lists a process's children, from every thread's.
func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// -user: the uid and gid asked for, no supplementary groups.
func TestLiveUser(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	expect(t, "-user 65534", probeLines(t, bin, []string{"-user", "65534"}, "report"),
		map[string]string{"uid": "65534", "gid": "65534", "groups": "", "nnp": "0"})
	expect(t, "-user 1000:1001", probeLines(t, bin, []string{"-user", "1000:1001", "-netns"}, "report"),
		map[string]string{"uid": "1000", "gid": "1001", "groups": ""})
}

// -join: into a -pid1 -netns command's network, PID and mount namespaces,
// as docker exec goes into a container, with a filter and a user.
func TestLiveJoin(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	target, pid1 := startWaiting(t, bin, []string{"-pid1", "-netns", "-cgroup2"})
	theirs := func(ns string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid1, ns))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	got := probeLines(t, bin, []string{"-join", strconv.Itoa(pid1), "-nons", "-user", "65534"}, "report")
	expect(t, "-join", got, map[string]string{"netns": theirs("net"), "pidns": theirs("pid"), "mntns": theirs("mnt"),
		"uid": "65534", "seccomp": "2", "cgroupfs": fmt.Sprintf("%#x", unix.CGROUP2_SUPER_MAGIC), "env": "passed through"})
	if got["pid"] == "1" || got["pid"] == "" || got["procself"] != got["pid"] {
		t.Errorf("-join: pid %s, /proc/self %s: want a pid (not 1) in the joined namespace, as its /proc shows it", got["pid"], got["procself"])
	}
	// Joining the host's own namespaces changes nothing.
	expect(t, "-join 1", probeLines(t, bin, []string{"-join", strconv.Itoa(os.Getpid())}, "report"),
		map[string]string{"netns": ownNS(t, "net"), "pidns": ownNS(t, "pid")})
	if err := target.Process.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitCmd(t, target); code != 100+int(unix.SIGTERM) {
		t.Errorf("the joined command: exit %d", code)
	}
}

// restrict's own failures: one line, status 125, nothing run.
func TestLiveErrors(t *testing.T) {
	liveRoot(t)
	bin := liveBinary(t)
	for _, args := range [][]string{
		{"-bogus", "--", "true"},
		{"-netns"},
		{"-user", "x", "--", "true"},
		{"-join", "999999999", "--", "true"},
		{"-netns", "--", "/nonexistent/command"},
		{"-pid1", "--", "/nonexistent/command"},
		{"-join", "1", "-rocgroup", "--", "true"},
	} {
		cmd := exec.Command(bin)
		cmd.Args = append([]string{toolName}, args...)
		code, out, stderr := runCmd(t, cmd)
		if code != exitFailure || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "restrict: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q: want 125 and one line", args, code, out, stderr)
		}
	}
}
