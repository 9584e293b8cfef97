// Package cinit is the init of every contract: PID 1 of its PID namespace
// (or, where none can be had, a child subreaper of its holder), the parent
// of the command, the reaper of every orphaned member.
//
// The init is written in C (cinit.c, the main loop, and the files it lists
// beside it, sharing cinit.h) and runs from a constructor, before the Go
// runtime would start, whenever the binary is executed as
// "<binary> contract-init" as PID 1, or as "<binary> contract-init
// subreaper" (wire.InitSubreaperArg) by any pid: a contract's init then
// costs a few hundred kilobytes and no second Go runtime start.
// "<binary> contract-init probe" (wire.InitProbeArg) exits 0 at once.
// Importing this package links the constructor into a binary. What the
// holder and the init exchange is package wire (wire/protocol.h).
package cinit

/*
#cgo CFLAGS: -Wall -O2
*/
import "C"

import "github.com/ctrun/ctrun/runtime/cinit/wire"

// Arg is argv[1] of a contract's init.
const Arg = wire.InitArg
