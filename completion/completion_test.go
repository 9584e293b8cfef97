package completion

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/terms"
)

// bashCompletion is bash-completion's main script, which gives
// _command_offset (Debian's bash-completion package).
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// A ctstat that lists two contracts, as ours does.
const fakeCtstat = `#!/bin/sh
[ "$1" = --version ] && { echo "ctstat (ctrun for Linux) test"; exit 0; }
printf 'CTID    TYPE    STATE   HOLDER  EVENTS\n15725   process owned   15712   0\n15766   process orphaned -      0\n'
`

// env is where a completion runs: PATH, the working directory, and
// whether bash-completion is loaded first.
type env struct {
	path, dir string
	full      bool // source bash-completion first
}

// setup makes a directory with a fake ctstat (and a command of a unique
// name) for PATH, and a working directory with two files.
func setup(t *testing.T) env {
	t.Helper()
	base := t.TempDir()
	bin, dir := filepath.Join(base, "bin"), filepath.Join(base, "work")
	for _, d := range []string{bin, dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(bin, "ctstat"), fakeCtstat, 0o755)
	write(t, filepath.Join(bin, "ctrunfakecmd"), "#!/bin/sh\n", 0o755)
	write(t, filepath.Join(dir, "events.jsonl"), "", 0o644)
	write(t, filepath.Join(dir, "other file"), "", 0o644)
	return env{path: bin + ":/usr/bin:/bin", dir: dir}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// The script bash runs: the completion file, then the command's function
// with the cursor at the end of the last word, then the replies, one a
// line. compopt refuses outside a real completion; what it sets (how
// replies are shown) is not under test.
const bashScript = `
compopt() { :; }
[ -n "$FULL" ] && source "$FULL"
source "$COMPLETION"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
"_$1"
printf '%s\n' "${COMPREPLY[@]}"
`

// complete runs the completion of words in bash and returns the replies.
func complete(t *testing.T, e env, words []string) []string {
	t.Helper()
	src, err := filepath.Abs("ctrun")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", append([]string{"--norc", "--noprofile", "-c", bashScript, "bash"}, words...)...)
	cmd.Dir = e.dir
	cmd.Env = []string{"PATH=" + e.path, "HOME=" + e.dir, "LC_ALL=C", "COMPLETION=" + src}
	if e.full {
		cmd.Env = append(cmd.Env, "FULL="+bashCompletion)
	}
	return replies(t, cmd, ctx, words)
}

func replies(t *testing.T, cmd *exec.Cmd, ctx context.Context, words []string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("completing %q did not return", words)
	}
	if err != nil || errb.Len() > 0 {
		t.Fatalf("completing %q: %v\n%s", words, err, errb.String())
	}
	var r []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l != "" {
			r = append(r, l)
		}
	}
	slices.Sort(r)
	return r
}

type completionCase struct {
	name  string
	words []string // the command line; the last word is being completed
	want  []string // every reply, in any order
}

// The cases that mean the same with or without bash-completion.
var cases = []completionCase{
	{"ctrun options", []string{"ctrun", "-"}, []string{"-i", "-f", "-l", "-o", "-r", "-t", "-v", "-V", "-F", "-A", "-E", "-g", "-a", "--help", "--version"}},
	{"ctrun long options", []string{"ctrun", "--"}, []string{"--help", "--version"}},
	{"an option group is whole", []string{"ctrun", "-tv"}, []string{"-tv"}},
	{"informative events", []string{"ctrun", "-i", ""}, []string{"core", "signal", "hwerr", "exit", "fork", "empty", "none"}},
	{"fatal events", []string{"ctrun", "-v", "-f", ""}, []string{"core", "signal", "hwerr", "none"}},
	{"a list, element by element", []string{"ctrun", "-f", "core,si"}, []string{"core,signal"}},
	{"a list, next element", []string{"ctrun", "-f", "core,"}, []string{"core,signal", "core,hwerr"}},
	{"a list after none", []string{"ctrun", "-i", "none,"}, nil},
	{"an attached list", []string{"ctrun", "-fcore,h"}, []string{"-fcore,hwerr"}},
	{"an argument in a group", []string{"ctrun", "-vi", "fo"}, []string{"fork"}},
	{"lifetimes", []string{"ctrun", "-l", ""}, []string{"contract", "child", "none"}},
	{"a lifetime", []string{"ctrun", "-l", "ch"}, []string{"child"}},
	{"parameters", []string{"ctrun", "-o", ""}, []string{"noorphan", "pgrponly", "regent", "inherit", "none"}},
	{"parameters, next", []string{"ctrun", "-o", "regent,"}, []string{"regent,noorphan", "regent,pgrponly", "regent,inherit"}},
	{"a count is one's own", []string{"ctrun", "-r", ""}, nil},
	{"a grace is one's own", []string{"ctrun", "-g", ""}, nil},
	{"an event file", []string{"ctrun", "-E", "ev"}, []string{"events.jsonl"}},
	{"a file with a space", []string{"ctrun", "-E", "oth"}, []string{"other file"}},
	{"contracts to adopt", []string{"ctrun", "-a", ""}, []string{"15725", "15766"}},
	{"a contract attached", []string{"ctrun", "-a157"}, []string{"-a15725", "-a15766"}},
	{"-a runs no command", []string{"ctrun", "-a", "15725", ""}, nil},
	{"the command", []string{"ctrun", "-v", "ctrunfake"}, []string{"ctrunfakecmd"}},
	{"the command after --", []string{"ctrun", "--", "ctrunfake"}, []string{"ctrunfakecmd"}},
	{"the command's own completion", []string{"ctrun", "-v", "ctstat", "-"}, []string{"-a", "-i", "-v", "-j", "--help", "--version"}},
	{"after the command, the command's", []string{"ctrun", "-f", "core", "ctrun", "-f", "co"}, []string{"core"}},
	{"files for a command without completion", []string{"ctrun", "ctrunfakecmd", "ev"}, []string{"events.jsonl"}},
	{"options end at the command", []string{"ctrun", "ctrunfakecmd", "-f", "co"}, nil},

	{"ctstat options", []string{"ctstat", "-"}, []string{"-a", "-i", "-v", "-j", "--help", "--version"}},
	{"ctstat ids", []string{"ctstat", "-v", "-i", ""}, []string{"15725", "15766"}},
	{"ctstat ids, a list", []string{"ctstat", "-i", "15725,"}, []string{"15725,15766"}},
	{"ctstat ids attached", []string{"ctstat", "-i1576"}, []string{"-i15766"}},
	{"ctstat interval is one's own", []string{"ctstat", ""}, nil},

	{"ctkill options", []string{"ctkill", "-"}, []string{"-s", "-a", "-p", "-r", "-l", "-n", "-S", "--signal", "--all", "--pid", "--random", "--list", "--numeric", "--stop", "--help", "--version"}},
	{"ctkill long options", []string{"ctkill", "--r"}, []string{"--random"}},
	{"ctkill --stop", []string{"ctkill", "--st"}, []string{"--stop"}},
	{"stop signals only", []string{"ctkill", "-S", "-s", ""}, []string{"HUP", "INT", "QUIT", "TERM"}},
	{"stop signals only, spelled out", []string{"ctkill", "--stop", "--signal", "SIG"}, []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM"}},
	{"the contract to stop", []string{"ctkill", "-S", ""}, []string{"15725", "15766"}},
	{"signals", []string{"ctkill", "-s", "S"}, []string{"SEGV", "STKFLT", "STOP", "SYS"}},
	{"signals with SIG", []string{"ctkill", "-s", "SIGK"}, []string{"SIGKILL"}},
	{"a signal attached", []string{"ctkill", "-sTE"}, []string{"-sTERM"}},
	{"a signal, spelled out", []string{"ctkill", "--signal", "US"}, []string{"USR1", "USR2"}},
	{"a signal after = (bash splits the word)", []string{"ctkill", "--signal", "=", "HU"}, []string{"HUP"}},
	{"a signal right after =", []string{"ctkill", "--signal", "="}, []string{"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"}},
	{"a signal in one word", []string{"ctkill", "--signal=QU"}, []string{"--signal=QUIT"}},
	{"a pid is one's own", []string{"ctkill", "-p", ""}, nil},
	{"the contract", []string{"ctkill", "-s", "KILL", "-r", ""}, []string{"15725", "15766"}},
	{"the contract after a long option's argument", []string{"ctkill", "--signal", "KILL", "157"}, []string{"15725", "15766"}},
	{"one contract only", []string{"ctkill", "15725", ""}, nil},

	{"ctwatch options", []string{"ctwatch", "-"}, []string{"-f", "-r", "-v", "-j", "--help", "--version"}},
	{"ctwatch ids", []string{"ctwatch", "-f", ""}, []string{"15725", "15766"}},
	{"ctwatch ids, each once", []string{"ctwatch", "15725", ""}, []string{"15766"}},
}

func TestBash(t *testing.T) {
	e := setup(t)
	for _, full := range []bool{false, true} {
		if full {
			if _, err := os.Stat(bashCompletion); err != nil {
				t.Logf("%s is missing (package bash-completion): _command_offset not tested", bashCompletion)
				continue
			}
		}
		e.full = full
		for _, tc := range cases {
			got, want := complete(t, e, tc.words), slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("bash-completion %v, %s: %q completes to %q, want %q", full, tc.name, tc.words, got, want)
			}
		}
	}
}

// Without an answer from our ctstat, no contract ids: ctstat missing, one
// that fails, and iproute2's ctstat (conntrack statistics), which never
// returns and must not be run.
func TestNoCtstat(t *testing.T) {
	for _, tc := range []struct {
		name, script string // the ctstat on PATH ("" for none)
	}{
		{"missing", ""},
		{"failing", "#!/bin/sh\necho 'ctstat: cannot read the state directory' >&2\nexit 1\n"},
		{"iproute2's", "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'ctstat Version 6.1.0'; exit 1; }\nwhile :; do echo '       1|       2|'; sleep 1; done\n"},
		{"an old ctrun's, without --version", "#!/bin/sh\n[ \"$1\" = --version ] && exit 2\nprintf 'CTID TYPE\\n15725 process\\n'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			bin := filepath.Join(t.TempDir(), "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			e.path = bin // nothing else: /usr/bin may have iproute2's ctstat
			if tc.script != "" {
				write(t, filepath.Join(bin, "ctstat"), tc.script, 0o755)
				// The shell's own commands, which the fake uses.
				for _, c := range []string{"sh", "sleep"} {
					p, err := exec.LookPath(c)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(p, filepath.Join(bin, c)); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, words := range [][]string{{"ctrun", "-a", ""}, {"ctstat", "-i", ""}, {"ctkill", ""}, {"ctwatch", ""}} {
				if got := complete(t, e, words); len(got) != 0 {
					t.Errorf("%q completes to %q, want nothing", words, got)
				}
			}
		})
	}
}

// What the completion offers is what the commands take: every event,
// lifetime and parameter it offers for ctrun is accepted by terms.Parse
// where it is offered (and the events not offered for -f are refused
// there), every signal is one ctkill knows.
func TestOffersWhatCommandsTake(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		letter string
		all    []string // every name the letter may take in the page
	}{
		{"-i", []string{"core", "signal", "hwerr", "exit", "fork", "empty", "none"}},
		{"-f", []string{"core", "signal", "hwerr", "exit", "fork", "empty", "none"}},
		{"-l", []string{"contract", "child", "none", "forever"}},
		{"-o", []string{"noorphan", "pgrponly", "regent", "inherit", "none", "nokill"}},
	} {
		offered := complete(t, e, []string{"ctrun", tc.letter, ""})
		for _, name := range tc.all {
			_, _, _, err := terms.Parse([]string{tc.letter, name, "true"})
			if ok := slices.Contains(offered, name); ok != (err == nil) {
				t.Errorf("ctrun %s %s: offered %v, but terms.Parse says %v", tc.letter, name, ok, err)
			}
		}
	}
	var want []string
	for s := unix.Signal(1); s < 32; s++ {
		if n := unix.SignalName(s); n != "" {
			want = append(want, strings.TrimPrefix(n, "SIG"))
		}
	}
	slices.Sort(want)
	if got := complete(t, e, []string{"ctkill", "-s", ""}); !slices.Equal(got, want) {
		t.Errorf("signals offered: %q\nctkill knows: %q", got, want)
	}
}

// zsh loads the same file with bashcompinit; its arrays start at 1 and its
// compgen differs, which the file allows for. One zsh runs every case
// (compinit is slow).
func TestZsh(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("no zsh here (CI installs it)")
	}
	e := setup(t)
	src, err := filepath.Abs("ctrun")
	if err != nil {
		t.Fatal(err)
	}
	// As zsh's _bash_complete sets them: COMP_WORDS from 1, COMP_CWORD
	// the index of the current word counted from 0. Each case's replies
	// end with a line "--".
	script := `
autoload -U compinit && compinit -D -u
autoload -U bashcompinit && bashcompinit
source "$COMPLETION"
try() {
	local -a COMP_WORDS COMPREPLY
	local COMP_CWORD
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	"_$1"
	print -rl -- "${COMPREPLY[@]}" --
}
`
	var run []completionCase
	for _, tc := range cases {
		// zsh's compgen takes the word from its completion state, which
		// a script has not: files and commands are left to bash's tests.
		if strings.Contains(tc.name, "file") || strings.Contains(tc.name, "command") {
			continue
		}
		run = append(run, tc)
		script += "try"
		for _, w := range tc.words {
			script += " '" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		script += "\n"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, zsh, "-f", "-c", script)
	cmd.Dir = e.dir
	cmd.Env = []string{"PATH=" + e.path, "HOME=" + e.dir, "LC_ALL=C", "COMPLETION=" + src}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("zsh: %v\n%s", err, errb.String())
	}
	results := strings.Split(strings.TrimSuffix(out.String(), "--\n"), "--\n")
	if len(results) != len(run) {
		t.Fatalf("zsh answered %d cases of %d:\n%s", len(results), len(run), out.String())
	}
	for i, tc := range run {
		var got []string
		for _, l := range strings.Split(results[i], "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(tc.want)); !slices.Equal(got, want) {
			t.Errorf("zsh, %s: %q completes to %q, want %q", tc.name, tc.words, got, want)
		}
	}
}
