//go:build docker

// The real-Docker suite (issue 10): make test-docker, or
//
//	go test -tags docker -count=1 ./test/docker
//
// as root, with docker.io and busybox-static installed (test/docker/dockerd.sh
// install). TestMain starts a private dockerd through dockerd.sh (see there
// why a script of its own), builds an image of busybox and the static
// binaries of bin/ (CTRUN_DOCKER_BIN names another directory) with the
// ENTRYPOINT line of docs/container/Dockerfile, runs the cases
// (cases_test.go), and checks that no container, image, daemon, mount,
// cgroup or file is left.
//
// Every case starts ctrun, also on the host's side of the container: never
// run this suite alongside the integration tests (./test), which kill every
// contract-init on the machine and check the host's mounts. Developers run
// both under flock /tmp/ctrun-contracts.lock.
package docker

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	image = "ctrun-dockersuite:test"
	// caseTimeout bounds each docker command of a case: a container that
	// has not ended by then is removed and the case fails.
	caseTimeout = 60 * time.Second
	busybox     = "/bin/busybox"
)

var (
	dockerCLI string   // the docker client
	dockerEnv []string // its environment: the private daemon's socket
	// entrypoint is the argv of the Dockerfile's ENTRYPOINT, the image's.
	entrypoint []string
	// commands are the binaries the image holds in /usr/bin.
	commands = []string{"ctrun", "ctstat", "ctkill", "ctwatch"}
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "docker suite: "+format+"\n", a...)
		return 1
	}
	if os.Geteuid() != 0 {
		return fail("run as root (it starts a Docker daemon)")
	}
	binDir := os.Getenv("CTRUN_DOCKER_BIN")
	if binDir == "" {
		binDir = filepath.Join(repoRoot, "bin")
	}
	for _, c := range commands {
		// The image has no libc: a dynamic binary would fail in it with a
		// confusing "no such file or directory".
		if err := checkStatic(filepath.Join(binDir, c)); err != nil {
			return fail("%v (make builds bin/)", err)
		}
	}
	if err := checkStatic(busybox); err != nil {
		return fail("%v (apt-get install busybox-static, or test/docker/dockerd.sh install)", err)
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		return fail("no dockerd (apt-get install docker.io, or test/docker/dockerd.sh install)")
	}
	dockerCLI = clientFor(dockerd)
	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, dockerfilePath))
	if err != nil {
		return fail("%v", err)
	}
	entrypointLine, argv, err := dockerfileEntrypoint(string(dockerfile))
	if err != nil {
		return fail("%s: %v", dockerfilePath, err)
	}
	entrypoint = argv

	d, err := startDaemon(dockerd)
	if err != nil {
		return fail("%v", err)
	}
	dockerEnv = append(withoutDocker(os.Environ()),
		"DOCKER_HOST=unix://"+filepath.Join(d.dir, "docker.sock"),
		"DOCKER_CONFIG="+filepath.Join(d.dir, "cli"))

	code := 1
	if err := buildImage(binDir, entrypointLine); err != nil {
		fmt.Fprintf(os.Stderr, "docker suite: building the image: %v\n", err)
	} else {
		code = m.Run()
	}
	if left := leftInDaemon(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "docker suite: left behind in the daemon:\n  %s\n", strings.Join(left, "\n  "))
		code = 1
	}
	if err := d.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "docker suite: stopping the daemon: %v\n", err)
		code = 1
	}
	return code
}

// checkStatic fails unless path is an ELF executable without an
// interpreter.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// clientFor returns the docker client of dockerd's package (docker.io puts
// dockerd in /usr/sbin and docker in /usr/bin), else docker from PATH: a
// client of another release may speak another API version.
func clientFor(dockerd string) string {
	dir := filepath.Dir(dockerd)
	for _, c := range []string{filepath.Join(dir, "docker"), filepath.Join(dir, "..", "bin", "docker")} {
		if st, err := os.Stat(c); err == nil && st.Mode()&0o111 != 0 {
			return c
		}
	}
	return "docker"
}

// withoutDocker drops the caller's DOCKER_* settings (a context, TLS, a
// host), which would point the client elsewhere or conflict with ours.
func withoutDocker(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(e string) bool { return strings.HasPrefix(e, "DOCKER_") })
}

// daemon is dockerd.sh run: the private dockerd's keeper.
type daemon struct {
	cmd  *exec.Cmd
	hold *os.File // the write end of its standard input; closing it stops the daemon
	dir  string
}

func startDaemon(dockerd string) (*daemon, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", "dockerd.sh", "run")
	cmd.Env = append(withoutDocker(os.Environ()), "DOCKERD="+dockerd, "DOCKER="+dockerCLI)
	cmd.Stdin = r
	cmd.Stderr = os.Stderr
	// Its own session: ^C at the terminal ends the test binary, whose end
	// closes w; the keeper then tears down in its own time.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.Close()
	d := &daemon{cmd: cmd, hold: w}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if dir, ok := strings.CutPrefix(strings.TrimSpace(line), "ready "); ok {
			d.dir = dir
			return d, nil
		}
		return nil, fmt.Errorf("the daemon did not start: %v", d.stop())
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("the daemon was not ready within 2 minutes: %v", d.stop())
	}
}

// stop has the keeper stop the daemon, remove what it made and check that
// nothing is left (it says what on stderr and exits 1 if anything is).
func (d *daemon) stop() error {
	d.hold.Close()
	return d.cmd.Wait()
}

// docker runs the client on the private daemon within caseTimeout.
func docker(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, args...)
	cmd.Env = dockerEnv
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("docker %s: timed out after %v", strings.Join(args, " "), caseTimeout)
	} else if err != nil {
		err = fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(e.String()))
	}
	return o.String(), e.String(), err
}

// buildImage imports the image from a tar stream made here: busybox and its
// applet links, the commands in /usr/bin, root and nobody, /tmp 1777, and
// the Dockerfile's ENTRYPOINT line applied by docker import --change.
func buildImage(binDir, entrypointLine string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeRootfs(pw, binDir)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, "import", "--change", entrypointLine, "-", image)
	cmd.Env = dockerEnv
	cmd.Stdin = pr
	if out, err := cmd.CombinedOutput(); err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("docker import: %v: %s", err, out)
	}
	// The image must run what users copy: the ENTRYPOINT as the Dockerfile
	// writes it, and nothing in CMD for a case to inherit.
	out, _, err := docker("image", "inspect", "-f", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", image)
	if err != nil {
		return err
	}
	ep, _ := json.Marshal(entrypoint)
	want := string(ep) + " null"
	if strings.TrimSpace(out) != want {
		return fmt.Errorf("the image's entrypoint and command are %s, want %s", strings.TrimSpace(out), want)
	}
	return nil
}

func writeRootfs(w io.Writer, binDir string) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	dirs := map[string]bool{}
	var add func(hdr *tar.Header, body []byte) error
	add = func(hdr *tar.Header, body []byte) error {
		if parent := filepath.Dir(hdr.Name); parent != "." && !dirs[parent] {
			if err := add(&tar.Header{Typeflag: tar.TypeDir, Name: parent, Mode: 0o755}, nil); err != nil {
				return err
			}
		}
		if hdr.Typeflag == tar.TypeDir {
			if dirs[hdr.Name] {
				return nil
			}
			dirs[hdr.Name] = true
		}
		hdr.ModTime, hdr.Size = now, int64(len(body))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	file := func(name string, mode int64, body []byte) error {
		return add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, body)
	}

	// Sticky and writable by all, as ctrun's unprivileged records need.
	if err := add(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp", Mode: 0o1777}, nil); err != nil {
		return err
	}
	if err := add(&tar.Header{Typeflag: tar.TypeDir, Name: "root", Mode: 0o700}, nil); err != nil {
		return err
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if err := file("bin/busybox", 0o755, bb); err != nil {
		return err
	}
	applets, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("busybox --list-full: %v", err)
	}
	for _, p := range strings.Fields(string(applets)) {
		if p == "bin/busybox" {
			continue
		}
		if err := add(&tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: "/bin/busybox", Mode: 0o777}, nil); err != nil {
			return err
		}
	}
	for _, c := range commands {
		b, err := os.ReadFile(filepath.Join(binDir, c))
		if err != nil {
			return err
		}
		if err := file("usr/bin/"+c, 0o755, b); err != nil {
			return err
		}
	}
	if err := file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n")); err != nil {
		return err
	}
	if err := file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")); err != nil {
		return err
	}
	return tw.Close()
}

// leftInDaemon lists (and then removes) the containers the cases left and
// any image but the suite's, and removes the suite's image.
func leftInDaemon() []string {
	var left []string
	out, _, err := docker("ps", "-a", "--format", "{{.Names}} ({{.Status}})")
	if err != nil {
		return []string{err.Error()}
	}
	for _, c := range strings.Split(strings.TrimSpace(out), "\n") {
		if c != "" {
			left = append(left, "container "+c)
		}
	}
	if len(left) > 0 {
		ids, _, _ := docker("ps", "-aq")
		docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
	}
	if _, _, err := docker("rmi", image); err != nil {
		left = append(left, err.Error())
	}
	out, _, err = docker("images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	if err != nil {
		return append(left, err.Error())
	}
	for _, i := range strings.Split(strings.TrimSpace(out), "\n") {
		if i != "" {
			left = append(left, "image "+i)
		}
	}
	return left
}

// result is a container's end, seen through docker run.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.elapsed.Round(time.Millisecond), indent(r.stdout), indent(r.stderr))
}

func indent(s string) string {
	if s == "" {
		return "\t(nothing)"
	}
	return "\t" + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t")
}

var containers atomic.Int64

// containerName gives a case's container a name of its own, removed (with
// the container, if still there) when the test ends: docker run's client
// killed at a timeout does not end its container.
func containerName(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("dockersuite-%d-%s", containers.Add(1), regexp.MustCompile(`[^a-zA-Z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if len(name) > 60 {
		name = name[:60]
	}
	t.Cleanup(func() { docker("rm", "-f", name) })
	return name
}

// dockerRun runs the image to its end: docker run --rm --network none, the
// options, the image, the arguments (the CMD, or the arguments of an
// --entrypoint).
func dockerRun(t *testing.T, opts []string, args ...string) result {
	t.Helper()
	argv := append([]string{"run", "--rm", "--name", containerName(t), "--network", "none"}, opts...)
	argv = append(append(argv, image), args...)
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, argv...)
	cmd.Env = dockerEnv
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: o.String(), stderr: e.String(), elapsed: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("docker %s: not ended within %v (the container is removed)\n%s", quote(argv), caseTimeout, r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("docker %s: %v", quote(argv), err)
	}
	// docker run's own failures (125, 126, 127 with the daemon's message)
	// would pass for the command's statuses.
	if strings.Contains(r.stderr, "docker: Error") {
		t.Fatalf("docker %s: docker could not run the container\n%s", quote(argv), r)
	}
	return r
}

// quote renders argv as a shell would read it, for messages.
func quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$&;|()<>*?[]{}!#~`") {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
