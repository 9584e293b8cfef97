package packaging

import (
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var commands = []string{"ctrun", "ctstat", "ctkill", "ctwatch"}

// make runs make in the top of the tree and returns its output.
func runMake(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-C", "..", "--no-print-directory"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tree lists what is under root that is not a directory: path (relative)
// to what it is ("file 0755", "link -> target").
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			m[rel] = "link -> " + target
			return err
		}
		m[rel] = "file " + fi.Mode().Perm().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// `make install` puts the commands, the man pages (gzip'd) and the
// completions under DESTDIR and PREFIX, and nowhere else; `make uninstall`
// takes exactly those away again, leaving what was there before.
func TestInstallUninstall(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string // to make, beside DESTDIR
		prefix string   // where the files should land
	}{
		{"default prefix", nil, "usr/local"},
		{"PREFIX", []string{"PREFIX=/opt/ct"}, "opt/ct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			// Someone else's files, and a page an older install left
			// uncompressed (replaced by the compressed one).
			man1 := filepath.Join(dest, tc.prefix, "share/man/man1")
			for _, p := range []string{filepath.Join(dest, tc.prefix, "bin/other"), filepath.Join(man1, "other.1.gz"),
				filepath.Join(dest, tc.prefix, "share/bash-completion/completions/other"), filepath.Join(man1, "ctrun.1")} {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("not ours\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := tree(t, dest)
			delete(before, filepath.Join(tc.prefix, "share/man/man1/ctrun.1"))

			runMake(t, append([]string{"install", "DESTDIR=" + dest}, tc.args...)...)
			want := map[string]string{}
			for k, v := range before {
				want[k] = v
			}
			comp := filepath.Join(tc.prefix, "share/bash-completion/completions")
			for _, c := range commands {
				want[filepath.Join(tc.prefix, "bin", c)] = "file -rwxr-xr-x"
				want[filepath.Join(tc.prefix, "share/man/man1", c+".1.gz")] = "file -rw-r--r--"
				want[filepath.Join(comp, c)] = "link -> ctrun"
			}
			want[filepath.Join(comp, "ctrun")] = "file -rw-r--r--"
			want[filepath.Join(tc.prefix, "lib/tmpfiles.d/ctrun.conf")] = "file -rw-r--r--"
			got := tree(t, dest)
			if !maps(got, want) {
				t.Fatalf("installed:\n%s\nwant:\n%s", show(got), show(want))
			}
			for _, c := range commands {
				page := gunzip(t, filepath.Join(man1, c+".1.gz"))
				src, err := os.ReadFile(filepath.Join("..", "docs", c+".1"))
				if err != nil {
					t.Fatal(err)
				}
				if page != string(src) {
					t.Errorf("%s.1.gz is not docs/%s.1", c, c)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(dest, comp, "ctrun")); !strings.Contains(string(b), "complete -F _ctwatch ctwatch") {
				t.Errorf("the completion installed is not completion/ctrun")
			}

			runMake(t, append([]string{"uninstall", "DESTDIR=" + dest}, tc.args...)...)
			if got := tree(t, dest); !maps(got, before) {
				t.Fatalf("left after uninstall:\n%s\nwant what was there before:\n%s", show(got), show(before))
			}
		})
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func show(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, "  "+k+"  "+v)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}
