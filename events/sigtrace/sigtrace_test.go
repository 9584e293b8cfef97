package sigtrace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary act as a helper process instead of
// running tests (see TestMain).
const helperEnv = "SIGTRACE_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "unpriv":
		// Run as an unprivileged user by TestUnprivileged: report whether
		// both entry points refuse with a permission error.
		aerr := Available()
		_, oerr := Open()
		_, kerr := open() // skip the capability check: the kernel refuses
		fmt.Printf("available=%t open=%t kernel=%t\n",
			errors.Is(aerr, os.ErrPermission), errors.Is(oerr, os.ErrPermission), errors.Is(kerr, os.ErrPermission))
		fmt.Printf("available: %v\nopen: %v\nkernel: %v\n", aerr, oerr, kerr)
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// requireRoot skips tests that need to load BPF or whose expectations are
// in host pids.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root to load and attach a BPF program")
	}
	if err := checkCaps(); err != nil {
		tb.Skipf("needs BPF capabilities: %v", err)
	}
	// BPF reports pids of the initial PID namespace; the assertions compare
	// them with os.Getpid() and exec'd children's pids.
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "NSpid:") && len(strings.Fields(line)) != 2 {
			tb.Skip("test process is not in the initial PID namespace, so its pids are not the host pids BPF records")
		}
	}
}

func openTracer(tb testing.TB) *Tracer {
	tb.Helper()
	requireRoot(tb)
	tr, err := Open()
	if errors.Is(err, errAttach) {
		tb.Skipf("cannot attach to signal_generate on this kernel: %v", err)
	}
	if err != nil {
		tb.Fatalf("Open: %+v", err)
	}
	tb.Cleanup(func() {
		if err := tr.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return tr
}

// waitOrigin polls for a record: the map update happens synchronously while
// the signal is generated, but kernel-side generation (timers, faults) may
// race with our wait(2) returning; 2 s is far beyond any of that.
func waitOrigin(t *testing.T, tr *Tracer, pid int, sig syscall.Signal) Origin {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if o, ok := tr.Lookup(pid, int(sig)); ok {
			t.Logf("pid %d %v: %+v", pid, sig, o)
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("no origin recorded for pid %d signal %v", pid, sig)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func monotonic(t *testing.T) time.Duration {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// proc is a started child that is killed and reaped at cleanup whatever
// the test did with it.
type proc struct {
	cmd    *exec.Cmd
	stderr strings.Builder
	once   sync.Once
	err    error
}

func start(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd}
	if cmd.Stderr == nil {
		cmd.Stderr = &p.stderr
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	t.Cleanup(func() {
		// The whole process group, so that grandchildren go too.
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		p.wait()
	})
	return p
}

func (p *proc) wait() error {
	p.once.Do(func() { p.err = p.cmd.Wait() })
	return p.err
}

// waitSignaled reaps p and checks that it died of sig.
func (p *proc) waitSignaled(t *testing.T, sig syscall.Signal) {
	t.Helper()
	_ = p.wait()
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != sig {
		t.Fatalf("%v: want death by %v, got %v; stderr: %s", p.cmd.Args, sig, p.cmd.ProcessState, p.stderr.String())
	}
}

// siginfo is the userspace layout of siginfo_t on 64-bit Linux for the
// fields rt_sigqueueinfo needs: the union starts at offset 16.
type siginfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	Pid   int32
	Uid   uint32
	_     [128 - 24]byte
}

func sigqueueinfo(pid int, sig syscall.Signal, code int32) error {
	info := siginfo{Signo: int32(sig), Code: code, Pid: int32(os.Getpid()), Uid: uint32(os.Getuid())}
	_, _, errno := unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), uintptr(unsafe.Pointer(&info)))
	if errno != 0 {
		return errno
	}
	return nil
}

// TestProcessSignals: a signal sent by this test process to a child is
// attributed to us, with the si_code of the syscall used.
func TestProcessSignals(t *testing.T) {
	tr := openTracer(t)
	tests := []struct {
		name string
		send func(pid int) error
		code int32
	}{
		{"kill", func(pid int) error { return unix.Kill(pid, unix.SIGTERM) }, siUser},
		{"tgkill", func(pid int) error { return unix.Tgkill(pid, pid, unix.SIGTERM) }, siTkill},
		{"sigqueue", func(pid int) error { return sigqueueinfo(pid, unix.SIGTERM, siQueue) }, siQueue},
		{"pidfd_send_signal", func(pid int) error {
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			return unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0)
		}, siUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, exec.Command("sleep", "10"))
			pid := p.cmd.Process.Pid
			before := monotonic(t)
			if err := tc.send(pid); err != nil {
				t.Fatalf("send: %v", err)
			}
			p.waitSignaled(t, syscall.SIGTERM)
			o := waitOrigin(t, tr, pid, syscall.SIGTERM)
			after := monotonic(t)
			want := Origin{Sig: int(syscall.SIGTERM), Kind: KindProcess, Code: tc.code, SenderTgid: os.Getpid(), When: o.When}
			if o != want {
				t.Errorf("got %+v, want %+v", o, want)
			}
			if o.When < before || o.When > after {
				t.Errorf("When %v not within [%v, %v]", o.When, before, after)
			}
			tr.Forget(pid)
			if o, ok := tr.Lookup(pid, int(syscall.SIGTERM)); ok {
				t.Errorf("after Forget still recorded: %+v", o)
			}
		})
	}
}

// TestIgnoredSignals: the program drops SIGCHLD/SIGCONT/SIGWINCH/SIGURG
// before touching any map, and keeps a signal that merged into one
// already pending.
func TestIgnoredSignals(t *testing.T) {
	tr := openTracer(t)
	p := start(t, exec.Command("sleep", "10"))
	pid := p.cmd.Process.Pid
	for _, s := range []syscall.Signal{syscall.SIGCONT, syscall.SIGWINCH, syscall.SIGURG} {
		if err := unix.Kill(pid, s); err != nil {
			t.Fatal(err)
		}
	}
	// A kept signal after the ignored ones, so that once it is visible the
	// ignored ones would have been too.
	if err := unix.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitSignaled(t, syscall.SIGKILL)
	if o := waitOrigin(t, tr, pid, syscall.SIGKILL); o.Kind != KindProcess || o.SenderTgid != os.Getpid() {
		t.Errorf("SIGKILL: got %+v", o)
	}
	for _, s := range []syscall.Signal{syscall.SIGCONT, syscall.SIGWINCH, syscall.SIGURG} {
		if o, ok := tr.Lookup(pid, int(s)); ok {
			t.Errorf("%v recorded: %+v", s, o)
		}
	}
	// The child's exit sent us a SIGCHLD.
	if o, ok := tr.Lookup(os.Getpid(), int(syscall.SIGCHLD)); ok {
		t.Errorf("SIGCHLD recorded: %+v", o)
	}
}

func python(t *testing.T) string {
	t.Helper()
	// Prefer the system interpreter over wrappers (pyenv shims) that add
	// process layers.
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed to make a process fault")
	}
	return p
}

// startPython runs a python3 script in a process whose pid we know (the
// shell execs python) and which cannot leave a core file behind.
func startPython(t *testing.T, script string) *proc {
	t.Helper()
	return start(t, exec.Command("/bin/sh", "-c", `ulimit -c 0 && exec "$0" -I -c "$1"`, python(t), script))
}

// TestKernelSignals: signals the kernel raises on its own are KindKernel
// with the si_code it used.
func TestKernelSignals(t *testing.T) {
	tr := openTracer(t)
	tests := []struct {
		name        string
		script      string
		sig         syscall.Signal
		code        int32
		selfCurrent bool // the dying process itself is `current` (synchronous fault)
	}{
		// A real page fault on address 0: force_sig_fault(SIGSEGV, SEGV_MAPERR).
		{"segfault", "import ctypes; ctypes.string_at(0)", syscall.SIGSEGV, 1 /* SEGV_MAPERR */, true},
		// ITIMER_REAL expiry: kill_pid_info(SIGALRM, SEND_SIG_PRIV) from hrtimer context.
		{"itimer", "import signal, time\nsignal.setitimer(signal.ITIMER_REAL, 0.01)\ntime.sleep(10)",
			syscall.SIGALRM, siKernel, false},
		// A POSIX timer with the default sigevent: SIGALRM with SI_TIMER (-2).
		{"posix-timer", `import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
tid = ctypes.c_void_p()
assert libc.timer_create(1, None, ctypes.byref(tid)) == 0
its = (ctypes.c_long * 4)(0, 0, 0, 10000000)
assert libc.timer_settime(tid, 0, its, None) == 0
time.sleep(10)`, syscall.SIGALRM, -2 /* SI_TIMER */, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := startPython(t, tc.script)
			pid := p.cmd.Process.Pid
			p.waitSignaled(t, tc.sig)
			o := waitOrigin(t, tr, pid, tc.sig)
			if o.Sig != int(tc.sig) || o.Kind != KindKernel || o.Code != tc.code {
				t.Errorf("got %+v, want sig %d kind kernel code %d", o, tc.sig, tc.code)
			}
			if tc.selfCurrent && o.SenderTgid != pid {
				t.Errorf("SenderTgid %d, want the faulting process %d", o.SenderTgid, pid)
			}
			if o.MachineCheck() {
				t.Errorf("MachineCheck true for %+v", o)
			}
		})
	}
}

// TestMachineCheckSimulated: a SIGBUS carrying BUS_MCEERR_AR is reported
// with its si_code. Real memory-failure injection (MADV_HWPOISON,
// hwpoison-inject) needs CONFIG_MEMORY_FAILURE, which this kernel is built
// without, so the process queues the very siginfo memory_failure() would
// force on it (force_sig_mceerr) to itself with rt_sigqueueinfo, which the
// kernel allows for positive si_codes only when the target is the caller.
// Both take the same signal_generate path with the same si_code.
func TestMachineCheckSimulated(t *testing.T) {
	tr := openTracer(t)
	p := startPython(t, `import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(128)
struct.pack_into("iii", buf, 0, 7, 0, 4)  # si_signo=SIGBUS, si_errno, si_code=BUS_MCEERR_AR
r = libc.syscall(129, os.getpid(), 7, buf)  # SYS_rt_sigqueueinfo
print("rt_sigqueueinfo returned", r, ctypes.get_errno(), file=sys.stderr)
sys.exit(3)`)
	pid := p.cmd.Process.Pid
	p.waitSignaled(t, syscall.SIGBUS)
	o := waitOrigin(t, tr, pid, syscall.SIGBUS)
	if o.Sig != 7 || o.Code != BusMCEErrAR || o.Kind != KindKernel || o.SenderTgid != pid || !o.MachineCheck() {
		t.Errorf("got %+v (MachineCheck %t), want SIGBUS code BUS_MCEERR_AR from pid %d", o, o.MachineCheck(), pid)
	}
}

// hostChildren maps the namespace-local pid of each child of parent to its
// host pid, from the NSpid lines in /proc (CONFIG_PROC_CHILDREN may be off).
func hostChildren(t *testing.T, parent int) map[int]int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue // exited meanwhile
		}
		var ppid int
		var nspid []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "PPid:":
				ppid, _ = strconv.Atoi(f[1])
			case len(f) > 1 && f[0] == "NSpid:":
				nspid = f[1:]
			}
		}
		if ppid == parent && len(nspid) > 0 {
			local, _ := strconv.Atoi(nspid[len(nspid)-1])
			out[local] = pid
		}
	}
	return out
}

// TestNamespaceAttribution: inside a new PID namespace (the "contract"),
// its init shell starts two sleeps, a and b. The test, outside, kills b;
// then it tells the shell to go on, and the shell kills a. Only the second
// is InContract. The shell blocks on its stdin until the namespace has been
// set, so nothing depends on timing.
func TestNamespaceAttribution(t *testing.T) {
	tr := openTracer(t)
	cmd := exec.Command("/bin/sh", "-c", `sleep 30 & a=$!
sleep 30 & b=$!
echo "$a $b"
read x
kill -TERM $a
wait $a
wait $b
exit 0`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, cmd)
	shPid := cmd.Process.Pid
	t.Cleanup(func() { stdin.Close() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the shell's pids: %v; stderr: %s", err, p.stderr.String())
	}
	var aLocal, bLocal int
	if _, err := fmt.Sscan(line, &aLocal, &bLocal); err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	kids := hostChildren(t, shPid)
	aHost, bHost := kids[aLocal], kids[bLocal]
	if aHost == 0 || bHost == 0 {
		t.Fatalf("children of %d: %v, want local pids %d and %d", shPid, kids, aLocal, bLocal)
	}

	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/pid", shPid), &st); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetNamespace(st.Dev, st.Ino); err != nil {
		t.Fatal(err)
	}

	// From outside the contract.
	if err := unix.Kill(bHost, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	got := waitOrigin(t, tr, bHost, syscall.SIGTERM)
	want := Origin{Sig: int(syscall.SIGTERM), Kind: KindProcess, Code: siUser, SenderTgid: os.Getpid(), NSKnown: true, When: got.When}
	if got != want {
		t.Errorf("outside sender: got %+v, want %+v", got, want)
	}

	// From inside the contract.
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	got = waitOrigin(t, tr, aHost, syscall.SIGTERM)
	want = Origin{Sig: int(syscall.SIGTERM), Kind: KindProcess, Code: siUser, SenderTgid: shPid, InContract: true, NSKnown: true, When: got.When}
	if got != want {
		t.Errorf("inside sender: got %+v, want %+v", got, want)
	}
	if err := p.wait(); err != nil {
		t.Errorf("shell: %v; stderr: %s", err, p.stderr.String())
	}
}

// TestUnprivileged: without capabilities both entry points fail with an
// error that callers can recognise as a permission problem.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The go test build directory is private to root, so the unprivileged
	// user gets its own copy of the binary.
	// t.TempDir is <TMPDIR>/<TestName><random>/<NNN>, both made 0700.
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "sigtrace.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), helperEnv+"=unpriv")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	t.Logf("unprivileged helper:\n%s", out)
	if !strings.HasPrefix(string(out), "available=true open=true kernel=true\n") {
		t.Errorf("want permission errors from Available and Open, got:\n%s", out)
	}
}

// TestAvailable: as root, Available agrees that Open works.
func TestAvailable(t *testing.T) {
	requireRoot(t)
	if err := Available(); err != nil {
		t.Fatalf("Available: %v", err)
	}
}

// TestTgidOffset: the raw BTF scanner agrees with cilium/ebpf's full parse.
func TestTgidOffset(t *testing.T) {
	if _, err := os.Stat(kernelBTFPath); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	fast, err := scanMemberOffset(kernelBTFPath, "task_struct", "tgid")
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	slow, err := specMemberOffset("task_struct", "tgid")
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	if fast != slow || fast <= 0 {
		t.Fatalf("scan says %d, cilium/ebpf says %d", fast, slow)
	}
	// A member nested in an anonymous struct/union is found too, at the
	// same place both ways.
	fast, err = scanMemberOffset(kernelBTFPath, "sk_buff", "tstamp")
	if err != nil {
		t.Fatalf("scan sk_buff.tstamp: %v", err)
	}
	slowStruct, err := specMemberOffset("sk_buff", "tstamp")
	if err != nil {
		t.Fatalf("spec sk_buff.tstamp: %v", err)
	}
	if fast != slowStruct {
		t.Fatalf("sk_buff.tstamp: scan %d, cilium/ebpf %d", fast, slowStruct)
	}
}

// BenchmarkOpen is the steady-state cost of Open+Close: the tgid offset is
// already cached, so this is map creation, verification and attach.
func BenchmarkOpen(b *testing.B) {
	requireRoot(b)
	for i := 0; i < b.N; i++ {
		tr, err := Open()
		if err != nil {
			b.Fatal(err)
		}
		tr.Close()
	}
}

// BenchmarkOpenCold also pays for finding task_struct.tgid in the kernel
// BTF, as the first Open in a process does.
func BenchmarkOpenCold(b *testing.B) {
	requireRoot(b)
	for i := 0; i < b.N; i++ {
		tgidOffset.Lock()
		tgidOffset.known = false
		tgidOffset.Unlock()
		tr, err := Open()
		if err != nil {
			b.Fatal(err)
		}
		tr.Close()
	}
}

// BenchmarkTgidOffset compares the raw scan with cilium/ebpf's full
// kernel spec parse, which is why the scan exists.
func BenchmarkTgidOffset(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := scanMemberOffset(kernelBTFPath, "task_struct", "tgid"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadKernelSpec", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			btf.FlushKernelSpec()
			if _, err := specMemberOffset("task_struct", "tgid"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The name an exec gives a process in the contract's namespace is kept
// after the process is gone; outside the namespace nothing is recorded.
func TestExecNames(t *testing.T) {
	tr := openTracer(t)
	// The shell waits for the namespace to be set, then becomes a short
	// program with a name of its own.
	cmd := exec.Command("/bin/sh", "-c", `read x; cp /bin/true "$1"; exec "$1"`, "sh", filepath.Join(t.TempDir(), "shortlived"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, cmd)
	shPid := cmd.Process.Pid
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/pid", shPid), &st); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetNamespace(st.Dev, st.Ino); err != nil {
		t.Fatal(err)
	}
	// Outside the namespace: not recorded.
	outside := exec.Command("/bin/true")
	if err := outside.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("shell: %v; stderr: %s", err, p.stderr.String())
	}
	// The shell itself finally became "shortlived" and is gone now.
	if name, ok := tr.Name(shPid); !ok || name != "shortlived" {
		t.Errorf("Name(%d) = %q, %v; want shortlived", shPid, name, ok)
	}
	if name, ok := tr.Name(outside.Process.Pid); ok {
		t.Errorf("an exec outside the namespace was recorded: %q", name)
	}
}
