package test

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// output is what one run of a command printed, and its exit status.
type output struct {
	code           int
	stdout, stderr string
}

// runCommand runs one of the binaries under test (not in a contract, with
// nothing of the caller's environment but PATH).
func runCommand(t *testing.T, bin string, args ...string) output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not return", bin, args)
	}
	o := output{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		o.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %q: %v", bin, args, err)
	}
	return o
}

// Every command answers --help (its usage line, then its options) and
// --version (one line, the build's version) on standard output, exit 0,
// nothing on standard error: alone, and after other options.
func TestHelpAndVersion(t *testing.T) {
	want := "(ctrun for Linux) " + buildVersion + "\n"
	if buildVersion == "" {
		want = "(ctrun for Linux) " // the fallback: see version.String
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ctrun", []string{"--help"}},
		{"ctrun", []string{"--version"}},
		{"ctrun", []string{"-v", "--help"}},
		{"ctrun", []string{"-r", "0", "-f", "core,signal", "--version", "sh"}},
		{"ctrun", []string{"-a", "12", "--help"}},
		{"ctstat", []string{"--help"}},
		{"ctstat", []string{"--version"}},
		{"ctstat", []string{"-v", "-i", "12", "--help"}},
		{"ctkill", []string{"--help"}},
		{"ctkill", []string{"--version"}},
		{"ctkill", []string{"--signal", "KILL", "--random", "--help"}},
		{"ctwatch", []string{"--help"}},
		{"ctwatch", []string{"--version"}},
		{"ctwatch", []string{"-fj", "--version"}},
	} {
		bin := map[string]string{"ctrun": ctrun, "ctstat": ctstatBin, "ctkill": ctkillBin, "ctwatch": ctwatchBin}[tc.name]
		o := runCommand(t, bin, tc.args...)
		if o.code != 0 || o.stderr != "" {
			t.Errorf("%s %q: exit %d, stderr %q; want 0 and nothing", tc.name, tc.args, o.code, o.stderr)
			continue
		}
		asked := "--help"
		for _, a := range tc.args {
			if a == "--help" || a == "--version" {
				asked = a
				break
			}
		}
		if asked == "--version" {
			if line := tc.name + " " + want; !strings.HasPrefix(o.stdout, line) || strings.Count(o.stdout, "\n") != 1 {
				t.Errorf("%s %q: stdout %q, want the line %q", tc.name, tc.args, o.stdout, line)
			}
			continue
		}
		lines := strings.Split(o.stdout, "\n")
		if !strings.HasPrefix(lines[0], "usage: "+tc.name+" ") || !regexp.MustCompile(`\n +--version `).MatchString(o.stdout) || !strings.Contains(o.stdout, tc.name+"(1)") {
			t.Errorf("%s %q: stdout is not the help:\n%s", tc.name, tc.args, o.stdout)
		}
	}
	if buildVersion == "" {
		t.Log("no git describe: the binaries' fallback version was checked only for its form")
	} else if !regexp.MustCompile(`^[0-9A-Za-z.+~_-]+$`).MatchString(buildVersion) {
		t.Errorf("git describe gave %q", buildVersion)
	}
}

// Where an option may not stand, --help and --version are what they were:
// the command's own arguments, an option's argument, an operand; ctrun's
// usage errors are still 125 with a reason and the usage line, the others'
// still 2.
func TestHelpOnlyWhereAnOptionStands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // exactly ("-" for: not checked)
		errpre string // what stderr starts with ("" for nothing at all)
	}{
		{"the command's --help", []string{"sh", "-c", `printf "%s\n" "$@"`, "sh", "--help", "--version"}, 0, "--help\n--version\n", ""},
		{"after options, the command's", []string{"-v", "-f", "core", "sh", "-c", `echo "$1"`, "sh", "--version"}, 0, "--version\n", "ctrun: "},
		{"a command named --help", []string{"--", "--help"}, 127, "", "ctrun: --help: command not found"},
		{"an option's argument", []string{"-f", "--help", "true"}, 125, "", "ctrun: "},
		{"an unknown long option", []string{"--bogus"}, 125, "", "ctrun: "},
		{"an unknown long option first", []string{"--bogus", "--help"}, 125, "", "ctrun: "},
		{"an unknown letter first", []string{"-x", "--version"}, 125, "", "ctrun: unknown option -x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			r := run(t, call{args: tc.args})
			if r.code != tc.code || (tc.stdout != "-" && r.stdout != tc.stdout) ||
				!strings.HasPrefix(r.stderr, tc.errpre) || (tc.errpre == "") != (r.stderr == "") {
				t.Fatalf("ctrun %q: exit %d, stdout %q, stderr %q; want %d, %q, %q...", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.errpre)
			}
			if tc.code == 125 {
				lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
				if len(lines) != 2 || !strings.HasPrefix(lines[1], "usage: ctrun ") {
					t.Fatalf("ctrun %q: want a reason and the usage line, got:\n%s", tc.args, r.stderr)
				}
			}
		})
	}
	// sh itself, as a user would type it: sh's answer to --help (dash
	// refuses it, bash prints its own usage), not ours.
	t.Run("ctrun sh --help", func(t *testing.T) {
		clean(t)
		r := run(t, call{args: []string{"sh", "--help"}})
		if r.code == 0 || strings.Contains(r.stdout+r.stderr, "ctrun") {
			t.Fatalf("ctrun sh --help: exit %d, stdout %q, stderr %q: want sh's failure, nothing of ctrun's", r.code, r.stdout, r.stderr)
		}
	})
	for _, tc := range []struct {
		bin  string
		args []string
	}{
		{ctstatBin, []string{"--bogus"}},
		{ctstatBin, []string{"-i", "--help"}},
		{ctkillBin, []string{"-s", "--help", "12"}},
		{ctkillBin, []string{"12", "--version"}},
		{ctwatchBin, []string{"--", "--help"}},
	} {
		o := runCommand(t, tc.bin, tc.args...)
		lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
		if o.code != 2 || o.stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[1], "usage: ") {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want 2, a reason and the usage line", tc.bin, tc.args, o.code, o.stdout, o.stderr)
		}
	}
}
