// Package version says which build of ctrun for Linux this is, for the
// commands' --version. It is a leaf: every command may import it.
package version

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Version is set by the build: the Makefile (and the test harness) pass
// -ldflags "-X github.com/ctrun/ctrun/version.Version=$(git describe
// --tags --always --dirty)". Empty in a build that did not set it.
var Version string

// Unknown is what a build without any version information says: built
// from a tarball with plain `go build`, neither -X nor git to ask.
const Unknown = "unknown"

// String is the version of this build: the one the build set; else the
// module's version when built as a dependency (`go install ...@v1.2.3`);
// else the commit Go recorded from the work tree's git (suffixed -dirty for
// uncommitted changes, as git describe does); else Unknown.
func String() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Unknown
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return Unknown
	}
	// git describe --always abbreviates to 7 digits at least; so do we,
	// so that both kinds of build look alike.
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// Line is the one line a command prints for --version: its name, the
// project's, and the version ("ctstat (ctrun for Linux) v1.2.0").
func Line(command string) string {
	return command + " (ctrun for Linux) " + strings.TrimSpace(String())
}

// Answer writes to stdout what a command's --help or --version asks for
// (what is "help" or "version", as getopt.Long finds them): help, or
// command's Line. It says whether stdout took it; when it did not, the
// reason is on stderr ("ctstat: --help: ...") and the command exits with
// its own status for a failure.
func Answer(command, what, help string, stdout, stderr io.Writer) bool {
	text := help
	if what == "version" {
		text = Line(command) + "\n"
	}
	if _, err := io.WriteString(stdout, text); err != nil {
		fmt.Fprintf(stderr, "%s: --%s: %v\n", command, what, err)
		return false
	}
	return true
}
