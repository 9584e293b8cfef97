package main

import (
	"io"

	"github.com/ctrun/ctrun/version"
)

// optstring is ctstat's letters, for getopt.Parse and for where --help and
// --version may stand.
const optstring = "ai:vj"

// help is --help's answer: the usage line and, in short, the options;
// ctstat(1) has the rest.
const help = usage + `

List process contracts: id, type, state, holder, events queued.

  -a             also show the contracts being collected (state dead)
  -i ctid,...    only these contracts (may be given more than once)
  -v             details under each contract: terms, members, creator
  -j             one JSON object per contract per line
  interval       list again every interval seconds, until stopped
  count          with interval: stop after count listings
  --help         print this help and exit
  --version      print the version and exit

Exit status: 0 all listed; 1 some records could not be used; 2 usage error.
See ctstat(1).
`

// answer prints what --help or --version asks for and returns the exit
// status: 0, or 1 when standard output cannot take it.
func answer(what string, stdout, stderr io.Writer) int {
	if !version.Answer("ctstat", what, help, stdout, stderr) {
		return exitProblems
	}
	return exitOK
}
