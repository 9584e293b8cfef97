package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Debian's iproute2 owns /usr/bin/ctstat (a symlink to lnstat). The
// package diverts it to /usr/bin/ctstat.iproute2, whichever of the two is
// installed first, so that both install and both run; removing ctrun gives
// iproute2 its name back, with nothing of ctrun's left. A fake iproute2
// that owns the same file stands in for Debian's (the real one depends on
// half the system).
func checkDiversion(t *testing.T, deb string) {
	iproute2 := fakeIproute2(t)
	for _, tc := range []struct {
		name  string
		order []string
	}{
		{"iproute2 first", []string{iproute2, deb}},
		{"ctrun first", []string{deb, iproute2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, _ := scratchRoot(t)
			for _, d := range tc.order {
				dpkg(t, root, "-i", d)
			}
			bin := filepath.Join(root, "usr/bin")
			if out := command(t, filepath.Join(bin, "ctstat"), "--version"); !strings.HasPrefix(out, "ctstat ") {
				t.Errorf("the installed ctstat is not ctrun's: --version says %q", out)
			}
			if out := command(t, filepath.Join(bin, "ctstat.iproute2"), "-V"); out != "lnstat -V\n" {
				t.Errorf("iproute2's ctstat, diverted: %q, want lnstat's answer", out)
			}
			if by := divertedBy(t, root); by != "ctrun" {
				t.Errorf("/usr/bin/ctstat is diverted by %q, want ctrun", by)
			}
			// Reinstalling (an upgrade) keeps the one diversion.
			dpkg(t, root, "-i", deb)
			if by := divertedBy(t, root); by != "ctrun" {
				t.Errorf("after a reinstall, /usr/bin/ctstat is diverted by %q, want ctrun", by)
			}

			dpkg(t, root, "-r", "ctrun")
			if target, err := os.Readlink(filepath.Join(bin, "ctstat")); err != nil || target != "lnstat" {
				t.Errorf("after dpkg -r ctrun, /usr/bin/ctstat is %q (%v), want iproute2's symlink to lnstat", target, err)
			}
			if _, err := os.Lstat(filepath.Join(bin, "ctstat.iproute2")); !os.IsNotExist(err) {
				t.Errorf("after dpkg -r ctrun, /usr/bin/ctstat.iproute2 is still there (%v)", err)
			}
			if by := divertedBy(t, root); by != "" {
				t.Errorf("after dpkg -r ctrun, /usr/bin/ctstat is still diverted by %q", by)
			}
			if out := dpkg(t, root, "--verify", "iproute2"); out != "" {
				t.Errorf("iproute2's files changed:\n%s", out)
			}
			dpkg(t, root, "-P", "ctrun")
			got := tree(t, filepath.Join(root, "usr"))
			want := map[string]string{"bin/ctstat": "link -> lnstat", "bin/lnstat": "file -rwxr-xr-x"}
			if !maps(got, want) {
				t.Errorf("after dpkg -P ctrun, /usr holds:\n%s\nwant iproute2's files only:\n%s", show(got), show(want))
			}
		})
	}
}

// fakeIproute2 builds a package named iproute2 that owns /usr/bin/ctstat
// as Debian's does: a symlink to lnstat (here a script that echoes its
// arguments).
func fakeIproute2(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for name, text := range map[string]string{
		"DEBIAN/control": "Package: iproute2\nVersion: 6.1.0-3\nArchitecture: all\nMaintainer: Tests <tests@example.org>\n" +
			"Description: stand-in for Debian's iproute2\n owns /usr/bin/ctstat, a symlink to lnstat, as iproute2 does\n",
		"usr/bin/lnstat": "#!/bin/sh\necho lnstat \"$@\"\n",
	} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(src, "DEBIAN/control"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("lnstat", filepath.Join(src, "usr/bin/ctstat")); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(dir, "iproute2.deb")
	command(t, "dpkg-deb", "--root-owner-group", "--build", src, deb)
	return deb
}

// divertedBy is the package that diverts /usr/bin/ctstat in root ("" when
// none does).
func divertedBy(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("dpkg-divert", "--root="+root, "--listpackage", "/usr/bin/ctstat").Output()
	if err != nil {
		t.Fatalf("dpkg-divert --listpackage: %v", err)
	}
	return strings.TrimSpace(string(out))
}
