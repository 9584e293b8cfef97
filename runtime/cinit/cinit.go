// Package cinit is the init of every contract: PID 1 of its PID namespace,
// the parent of the command, the reaper of every orphaned member.
//
// The init is written in C (cinit.c) and runs from a constructor, before the
// Go runtime would start, whenever the binary is executed as
// "<binary> contract-init" as PID 1: a contract's PID 1 then costs a few
// hundred kilobytes and no second Go runtime start. Importing this package
// links the constructor into a binary; this Go file holds the holder's side
// of the protocol (protocol.h): the configuration the init reads and the
// messages the two exchange.
package cinit

/*
#cgo CFLAGS: -Wall -O2
#include "protocol.h"
*/
import "C"

// Arg is argv[1] of a contract's init.
const Arg = "contract-init"

// File descriptor numbers in the init, in the order the holder passes them.
const (
	FDControl = C.CT_FD_CONTROL
	FDConfig  = C.CT_FD_CONFIG
	FDStdio   = C.CT_FD_STDIO
	FDExtra   = C.CT_FD_EXTRA
	// MaxExtra is how many further descriptors a command can inherit.
	MaxExtra = C.CT_MAX_EXTRA
)

// Configuration flags.
const (
	FlagNoOrphan = C.CT_F_NOORPHAN
	FlagTTY      = C.CT_F_TTY
	FlagUserNS   = C.CT_F_USERNS
	FlagNotify   = C.CT_F_NOTIFY
)

// Message types.
const (
	MsgGo         = C.CT_M_GO
	MsgWhoAmI     = C.CT_M_WHOAMI
	MsgWatchEmpty = C.CT_M_WATCHEMPTY
	MsgOwnEmpty   = C.CT_M_OWNEMPTY
	MsgExiting    = C.CT_M_EXITING
	MsgSignal     = C.CT_M_SIGNAL
	MsgStarted    = C.CT_M_STARTED
	MsgExecFail   = C.CT_M_EXECFAIL
	MsgCmdExit    = C.CT_M_CMDEXIT
	MsgSent       = C.CT_M_SENT
	MsgNotifyOff  = C.CT_M_NOTIFYOFF
	MsgExtSent    = C.CT_M_EXTSENT

	// Requests and replies on a contract's endpoint.
	MsgKillAll = C.CT_M_KILLALL
	MsgAdopt   = C.CT_M_ADOPT
	MsgPing    = C.CT_M_PING
	MsgOK      = C.CT_M_OK
	MsgBusy    = C.CT_M_BUSY
)

// Scopes of a forwarded signal.
const (
	ScopeCommand = C.CT_SCOPE_COMMAND
	ScopeAll     = C.CT_SCOPE_ALL
	ScopePgrp    = C.CT_SCOPE_PGRP
	ScopePID     = C.CT_SCOPE_PID
)

// Stages at which starting the command can fail.
const (
	StageExec  = C.CT_STAGE_EXEC
	StageChdir = C.CT_STAGE_CHDIR
	StageSetup = C.CT_STAGE_SETUP
	StageRoot  = C.CT_STAGE_ROOT
)

// Flags of a MsgSent record.
const (
	SentAll     = C.CT_SENT_ALL
	SentHasCode = C.CT_SENT_HASCODE
)

const configMagic = C.CT_CONFIG_MAGIC
