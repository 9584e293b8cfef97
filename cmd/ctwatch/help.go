package main

import (
	"io"

	"github.com/ctrun/ctrun/version"
)

// optstring is ctwatch's letters, for getopt.Parse and for where --help
// and --version may stand.
const optstring = "frvj"

// help is --help's answer: the usage line and, in short, the options;
// ctwatch(1) has the rest.
const help = usage + `

Print the events of the named contracts (without a ctid: of all the
caller's, also those started later) as they happen; follow restarts.

  -f             first print the events still queued, then follow
  -r             reliable delivery: nothing dropped (root only)
  -v             every detail of each event, on a second line
  -j             one JSON object per event per line
  --help         print this help and exit
  --version      print the version and exit

Exit status: 0 the named contracts are over, or ctwatch was interrupted;
1 none of the named contracts exists; 2 usage error, or -r without root.
See ctwatch(1).
`

// answer prints what --help or --version asks for and returns the exit
// status: 0, or 1 when standard output cannot take it.
func answer(what string, stdout, stderr io.Writer) int {
	if !version.Answer("ctwatch", what, help, stdout, stderr) {
		return 1
	}
	return 0
}
