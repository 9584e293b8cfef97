package wire

/*
#include "protocol.h"
*/
import "C"

import "fmt"

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
	// FlagSubreaper: the init is the holder's child (started with
	// InitSubreaperArg), its members its descendants.
	FlagSubreaper = C.CT_F_SUBREAPER
	// FlagReport: the init reports members' forks and exits (Proc);
	// implies FlagNotify.
	FlagReport = C.CT_F_REPORT
	// FlagNSKill: with FlagSubreaper, the holder is PID 1 of the PID
	// namespace, so the init's kill(-1) reaches the contract alone.
	FlagNSKill = C.CT_F_NSKILL
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
	MsgProc       = C.CT_M_PROC
	MsgNoReport   = C.CT_M_NOREPORT

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

// What a MsgProc reports (its A), and its flags (its D).
const (
	ProcFork     = C.CT_PROC_FORK
	ProcExit     = C.CT_PROC_EXIT
	ProcNoStatus = C.CT_PROC_NOSTATUS
	ProcNoCred   = C.CT_PROC_NOCRED
)

// Flags of a MsgSent record.
const (
	SentAll     = C.CT_SENT_ALL
	SentHasCode = C.CT_SENT_HASCODE
)

const configMagic = C.CT_CONFIG_MAGIC

// Names both sides use (protocol.h, "Names").
const (
	// InitArg is argv[1] of a contract's init: "<binary> contract-init"
	// run as PID 1 is the init.
	InitArg = C.CT_INIT_ARG
	// InitSubreaperArg, as argv[2] after InitArg, starts the init in
	// subreaper mode (as the holder's child, whatever its pid).
	InitSubreaperArg = C.CT_INIT_SUBREAPER_ARG
	// InitProbeArg, as argv[2] after InitArg, makes the binary exit 0 at
	// once, before the Go runtime starts: exec it in a fresh PID
	// namespace to learn whether one can be made.
	InitProbeArg = C.CT_INIT_PROBE_ARG
	// InitName is the name (comm) every contract's init takes.
	InitName = C.CT_INIT_NAME
	// NoncePrefix starts the name a process takes for a moment so that
	// the process connector tells its host pid (see NonceName).
	NoncePrefix = C.CT_NONCE_PREFIX
	// HolderSockPrefix and SockSuffix make a holder's event socket,
	// "holder-<host pid>.sock" in the state directory; SockSuffix also
	// ends a contract's endpoint, "<id>.sock".
	HolderSockPrefix = C.CT_HOLDER_SOCK_PREFIX
	SockSuffix       = C.CT_SOCK_SUFFIX
)

// nonceFormat is the C printf format of a nonce name; Go's fmt reads it
// the same way.
const nonceFormat = C.CT_NONCE_FORMAT

// NonceName is the name that stands for nonce n: NoncePrefix and n in 8
// hex digits, 12 bytes (a process name holds 15). The init takes it on
// MsgWhoAmI; a holder takes one to learn its own host pid.
func NonceName(n uint32) string { return fmt.Sprintf(nonceFormat, n) }
