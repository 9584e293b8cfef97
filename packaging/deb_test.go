package packaging

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lintianAllowed are the lintian warnings the package may have, each with
// why it cannot be avoided here. Any other warning, and any error, fails.
var lintianAllowed = map[string]string{
	// ctrun(1)'s table WHERE CONTRACTS ARE HELD is wider than man's 80
	// columns; the page is the project's, installed as it is.
	"groff-message": "ctrun(1)'s table is wider than 80 columns",
}

// `make deb` builds ctrun_<version>_<arch>.deb: the commands (static, so
// no Depends), the man pages gzip -9n'd, the completion, the copyright and
// changelog; lintian finds no error in it; dpkg installs it into a scratch
// root, where the installed ctrun answers --version and runs a command, and
// removes it again without a trace.
//
// It runs when CTRUN_TEST_DEB=1, as `make test` sets it in a step of its
// own after the other tests: the installed ctrun starts a contract, which
// must not run beside the integration tests (they kill every contract's
// init they see), and lintian is slow enough to upset their timings.
func TestDeb(t *testing.T) {
	if os.Getenv("CTRUN_TEST_DEB") != "1" {
		t.Skip("set CTRUN_TEST_DEB=1 (make test does, on its own after the other tests): it starts a contract and runs lintian")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: dpkg-deb --root-owner-group and dpkg --root install root's files")
	}
	for _, tool := range []string{"dpkg-deb", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s here", tool)
		}
	}
	if _, err := exec.LookPath("lintian"); err != nil {
		t.Fatal("lintian is missing: apt-get install lintian (.ci/run does)")
	}

	out := t.TempDir()
	lines := strings.Split(strings.TrimSpace(runMake(t, "deb", "DEBOUT="+out)), "\n")
	deb := lines[len(lines)-1]
	arch := strings.TrimSpace(command(t, "dpkg", "--print-architecture"))
	version := field(t, deb, "Version")
	if want := filepath.Join(out, "ctrun_"+version+"_"+arch+".deb"); deb != want {
		t.Fatalf("make deb made %s, want %s", deb, want)
	}
	command(t, "dpkg", "--validate-version", version)
	if describe := gitDescribe(); describe != "" {
		// The version is git describe's, made Debian's (packaging/debversion).
		if hash := regexp.MustCompile(`g?([0-9a-f]{7,})(-dirty)?$`).FindStringSubmatch(describe); hash != nil && !strings.Contains(version, hash[1]) {
			t.Errorf("version %s does not name the commit of %s", version, describe)
		}
	}

	t.Run("control", func(t *testing.T) { checkControl(t, deb, arch) })
	t.Run("contents", func(t *testing.T) { checkContents(t, deb) })
	t.Run("lintian", func(t *testing.T) { checkLintian(t, deb) })
	t.Run("dpkg --root", func(t *testing.T) { checkInstalled(t, deb) })
	t.Run("iproute2's ctstat", func(t *testing.T) { checkDiversion(t, deb) })
}

func checkControl(t *testing.T, deb, arch string) {
	for name, want := range map[string]string{
		"Package": "ctrun", "Architecture": arch, "Section": "admin", "Priority": "optional",
		"Depends": "", "Pre-Depends": "", "Recommends": "",
	} {
		if got := field(t, deb, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Maintainer", "Description", "Installed-Size"} {
		if field(t, deb, name) == "" {
			t.Errorf("no %s", name)
		}
	}
	// Installed-Size is the KiB the files take, each rounded up, as
	// dpkg-gencontrol counts them.
	root := t.TempDir()
	command(t, "dpkg-deb", "-x", deb, root)
	size, err := strconv.Atoi(field(t, deb, "Installed-Size"))
	if err != nil {
		t.Fatal(err)
	}
	kib := 0
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != root {
			if fi.Mode().IsRegular() || fi.Mode()&os.ModeSymlink != 0 {
				kib += int((fi.Size() + 1023) / 1024)
			} else {
				kib++
			}
		}
		return err
	})
	if size != kib {
		t.Errorf("Installed-Size %d, the files take %d KiB", size, kib)
	}
	// No Depends is right only for static binaries: no interpreter, no
	// shared library needed.
	for _, c := range commands {
		f, err := elf.Open(filepath.Join(root, "usr/bin", c))
		if err != nil {
			t.Fatal(err)
		}
		libs, _ := f.ImportedLibraries()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("usr/bin/%s has an interpreter: it needs Depends", c)
			}
		}
		if len(libs) > 0 {
			t.Errorf("usr/bin/%s needs %v: it needs Depends", c, libs)
		}
		f.Close()
	}
}

func checkContents(t *testing.T, deb string) {
	want := map[string]string{
		"./usr/share/bash-completion/completions/ctrun": "-rw-r--r--",
		"./usr/share/doc/ctrun/copyright":               "-rw-r--r--",
		"./usr/share/doc/ctrun/changelog.gz":            "-rw-r--r--",
		"./usr/share/lintian/overrides/ctrun":           "-rw-r--r--",
		"./usr/lib/tmpfiles.d/ctrun.conf":               "-rw-r--r--",
	}
	for _, c := range commands {
		want["./usr/bin/"+c] = "-rwxr-xr-x"
		want["./usr/share/man/man1/"+c+".1.gz"] = "-rw-r--r--"
		if c != "ctrun" {
			want["./usr/share/bash-completion/completions/"+c] = "lrwxrwxrwx -> ctrun"
		}
	}
	// dpkg-deb -c: mode owner/group size date time path [-> target]
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(command(t, "dpkg-deb", "-c", deb)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0][0] == 'd' {
			continue
		}
		if f[1] != "root/root" {
			t.Errorf("%s is owned by %s", f[5], f[1])
		}
		entry := f[0]
		if len(f) > 6 {
			entry += " " + strings.Join(f[6:], " ") // -> target
		}
		got[f[5]] = entry
	}
	if !maps(got, want) {
		t.Errorf("the package holds:\n%s\nwant:\n%s", show(got), show(want))
	}
	root := t.TempDir()
	command(t, "dpkg-deb", "-x", deb, root)
	// gzip -9n: maximum compression (XFL 2), no file name, no time.
	for _, c := range commands {
		b, err := os.ReadFile(filepath.Join(root, "usr/share/man/man1", c+".1.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 10 || b[3]&0x08 != 0 || !bytes.Equal(b[4:8], []byte{0, 0, 0, 0}) || b[8] != 2 {
			t.Errorf("%s.1.gz is not gzip -9n'd (header % x)", c, b[:min(len(b), 10)])
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "usr/share/doc/ctrun/copyright"))
	if err != nil || !strings.HasPrefix(string(b), "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n") {
		t.Errorf("the copyright file is not machine-readable (DEP-5): %v\n%s", err, b)
	}
}

// checkLintian fails on every error and on every warning but the allowed.
func checkLintian(t *testing.T, deb string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "lintian", "--fail-on", "none", "--tag-display-limit", "0", deb)
	// lintian leaves a cache file (mldbm-elf-*) in its temporary
	// directory: one of the test's own, removed with it.
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TMPDIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lintian: %v\n%s", err, out)
	}
	t.Logf("lintian:\n%s", out)
	// "E: ctrun: tag [context]"
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		switch f[0] {
		case "E:":
			t.Errorf("lintian error: %s", l)
		case "W:":
			if _, ok := lintianAllowed[f[2]]; !ok {
				t.Errorf("lintian warning: %s", l)
			}
		}
	}
}

// checkInstalled installs the package with dpkg into a scratch root (an
// empty dpkg database of its own), runs the installed ctrun, and purges it.
func checkInstalled(t *testing.T, deb string) {
	root, admin := scratchRoot(t)
	dpkg(t, root, "-i", deb)
	if s := command(t, "dpkg-query", "--admindir="+admin, "-W", "-f=${Status}", "ctrun"); s != "install ok installed" {
		t.Fatalf("dpkg says ctrun is %q", s)
	}
	ctrun := filepath.Join(root, "usr/bin/ctrun")
	got, want := command(t, ctrun, "--version"), "ctrun (ctrun for Linux) "+gitDescribe()+"\n"
	if gitDescribe() == "" {
		want = "ctrun (ctrun for Linux) " // the binaries' fallback
	}
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "\n") {
		t.Errorf("installed ctrun --version: %q, want %q", got, want)
	}
	// A contract from the installed binary alone.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, ctrun, "true")
	run.Env = []string{"PATH=/usr/bin:/bin"}
	if out, err := run.CombinedOutput(); err != nil {
		t.Errorf("installed ctrun true: %v\n%s", err, out)
	}

	dpkg(t, root, "-P", "ctrun")
	var left []string
	filepath.Walk(filepath.Join(root, "usr"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			left = append(left, p)
		}
		return err
	})
	if len(left) > 0 {
		t.Errorf("left after dpkg -P: %v", left)
	}
}

// scratchRoot makes a root with an empty dpkg database of its own, and
// returns it with that database's directory.
func scratchRoot(t *testing.T) (root, admin string) {
	t.Helper()
	root = t.TempDir()
	admin = filepath.Join(root, "var/lib/dpkg")
	for _, d := range []string{"info", "updates", "triggers"} {
		if err := os.MkdirAll(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(admin, "status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, admin
}

// dpkg runs dpkg on the scratch root. The maintainer scripts run without
// a chroot (the root has no shell to run them in), as Debian's bootstrap
// tools run them; they honour DPKG_ROOT (packaging/preinst).
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	return command(t, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless"}, args...)...)
}

// field is one field of the package's control file ("" when absent).
func field(t *testing.T, deb, name string) string {
	t.Helper()
	cmd := exec.Command("dpkg-deb", "-f", deb, name)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s %s: %v", deb, name, err)
	}
	return strings.TrimSpace(string(out))
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// gitDescribe is the version the Makefile builds with ("" without git).
func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
