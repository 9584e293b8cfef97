package main

import (
	"io"

	"github.com/ctrun/ctrun/getopt"
	"github.com/ctrun/ctrun/holder"
	"github.com/ctrun/ctrun/terms"
	"github.com/ctrun/ctrun/version"
)

// optstring is the one terms.Parse gives getopt (TestOptstringIsTerms
// keeps them equal): --help and --version stand where its options may.
const optstring = "i:f:l:o:r:tvVF:A:a:E:g:"

// help is --help's answer: the usage line and what each option does, in
// short; ctrun(1) has the rest.
const help = terms.Usage + `

Run a command in a process contract: a fault boundary that holds the command
and every process it ever starts, reports their events, kills them all on a
fatal one and, with -r, starts the command again in a new contract.

  -i eventlist   informative events, reported with -v (default: core)
  -f eventlist   fatal events, which kill every member (default: hwerr)
                 events: core signal hwerr exit fork empty, or none;
                 only core, signal and hwerr may be fatal
  -l lifetime    contract (default): return when the contract is empty;
                 child: when the command exits; none: once it has started
  -o optionlist  noorphan pgrponly regent inherit, or none
  -r count       restart after a fatal event, at most count times (0: no limit)
  -t             on restart, hand inherited sub-contracts to the new contract
  -v             report events and ctrun's actions on standard error
  -V             as -v, with every detail of each event
  -F fmri        service name kept with the contract
  -A aux         creator's note kept with the contract
  -E file        write the events as JSON lines to file (appended; /dev/fd/N,
                 /dev/stdout, /dev/stderr: through that descriptor)
  -g grace       seconds members may outlive a stop before SIGKILL
                 (default: $CTRUN_GRACE, else 10)
  -a ctid        adopt an orphaned contract (only -v, -V, -E, -g go with it)
  --help         print this help and exit
  --version      print the version and exit

Lists are separated by commas. Options end at the first operand or at --.
Exit status: the command's; 123 command killed by a signal; 124 ctrun failed;
125 usage error; 126 command not executable; 127 command not found.
See ctrun(1).
`

// answer prints what --help or --version asks for (the name Long
// returned) and returns the exit status: 0, or 124 (ctrun itself failed)
// when standard output cannot take it.
func answer(what string, stdout, stderr io.Writer) int {
	if !version.Answer("ctrun", what, help, stdout, stderr) {
		return holder.ExitInternal
	}
	return 0
}

// helpOrVersion is "help" or "version" when the command line asks for
// either where an option may stand, else "".
func helpOrVersion(args []string) string {
	return getopt.Long(args, optstring, "help", "version")
}
