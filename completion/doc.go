// Package completion holds the bash completion of ctrun, ctstat, ctkill and
// ctwatch (the file ctrun beside this one, installed by `make install` and
// the Debian package) and its tests, which call the completion functions
// with COMP_WORDS set, as bash would.
package completion
