package main

import (
	"io"

	"github.com/ctrun/ctrun/getopt"
	"github.com/ctrun/ctrun/version"
)

// optstring is ctkill's letters, for getopt.Parse and for where --help and
// --version may stand.
const optstring = "s:ap:rlnS"

// help is --help's answer: the usage line and, in short, the options;
// ctkill(1) has the rest.
const help = usage + `

Signal, list or stop the members of a process contract.

  -s, --signal=signal  the signal, by name (TERM, SIGTERM, any case) or
                       number; 0 checks only (default: TERM)
  -a, --all            signal every member at once (the default)
  -p, --pid=pid        signal one member, by its host pid
  -r, --random         signal one member chosen at random, and print it
  -l, --list           list the members: host pid, pid inside, name
  -n, --numeric        with -l: host pids only
  -S, --stop           stop the contract as ctrun stops on TERM: the signal
                       (TERM, INT, HUP or QUIT) to the command, then to
                       every member left, SIGKILL after CTRUN_GRACE seconds
                       (default 10); through its holder, so no restart
                       follows, or directly when it is orphaned; returns
                       once the contract is empty
      --help           print this help and exit
      --version        print the version and exit

Exit status: 0 done; 1 no such contract, not a member, nothing to signal,
or refused; 2 usage error; 3 (-S) the contract was still not empty 5
seconds after the grace period.
See ctkill(1).
`

// helpOrVersion is "help" or "version" when the command line asks for
// either where an option may stand, else "". ctkill's own long options
// come first: shortForms rewrites them into letters up to the first word
// it does not know, and only there may --help or --version stand, as
// getopt reads the letters (in "--signal --help", --help is the signal).
func helpOrVersion(args []string) string {
	for i, a := range args {
		if a != "--help" && a != "--version" {
			continue
		}
		before, err := shortForms(args[:i])
		if err != nil {
			return "" // a usage error comes first
		}
		if what := getopt.Long(append(before, a), optstring, "help", "version"); what != "" {
			return what
		}
		// An option's argument, or an operand: a later one may still
		// stand where an option may (-s --help --help), or none will.
	}
	return ""
}

// answer prints what --help or --version asks for and returns the exit
// status: 0, or 1 when standard output cannot take it.
func answer(what string, stdout, stderr io.Writer) int {
	if !version.Answer("ctkill", what, help, stdout, stderr) {
		return exitFail
	}
	return exitOK
}
