/*
 * protocol.h: the wire format between a contract's holder (ctrun, Go) and
 * the contract's init (the C files of runtime/cinit, PID 1 of the
 * contract).
 *
 * The init is PID 1 of a new PID namespace (libcontainer starts it), or,
 * where no namespace can be had, a plain child of the holder in the
 * holder's own namespaces: "subreaper mode" (CT_INIT_SUBREAPER_ARG,
 * CT_F_SUBREAPER), in which the holder forks and execs it itself with the
 * same descriptors as below.
 *
 * The one source of every number and name both sides use: the init's C
 * files include it, and the Go side, package wire, has its constants in
 * names.go, generated from it (internal/genwire, go generate: no cgo, so
 * that pure Go programs use them), so nothing here is written twice; wire
 * gives each message below a Go type (control.go, endpoint.go). What is
 * no plain constant (the layout of struct ct_msg, what printf makes of
 * CT_NONCE_FORMAT), wire's tests check against the C compiler's own view
 * (cview, layout_test.go).
 * All integers are host-endian int32: both ends always run on the same
 * machine.
 *
 * The init also listens on the contract's endpoint, a SOCK_SEQPACKET unix
 * socket at <state dir>/<id>.sock (mode 0600 in the user's 0700 state
 * directory: only the owner and root reach it). A client sends one request
 * and reads one reply:
 *   CT_M_KILLALL  a = signal, b = requester's pid: kill(-1) inside the
 *                 contract, atomic with respect to forks (in subreaper
 *                 mode, or with sub-contracts: a walk of the members,
 *                 repeated while new ones appear); reply CT_M_OK
 *   CT_M_ADOPT    take over an orphaned contract: reply CT_M_OK (a = the
 *                 command's namespace pid, 0 once it is gone; b = 1 and
 *                 c = its wait status when it has exited), after which the
 *                 connection is the new holder's control socket; or
 *                 CT_M_BUSY when the contract has a holder
 *   CT_M_PING     reply CT_M_OK, a = 1 when the contract has a holder
 *
 * File descriptors the init is started with (libcontainer passes them as
 * ExtraFiles, so they land at 3 and up in this order):
 *   3  control socket (SOCK_SEQPACKET), both directions, messages below
 *   4  configuration (a memfd the holder fills before "go"; ct_read_config)
 *   5  the user's stdin, 6 stdout, 7 stderr (only those marked open)
 *   8+ further inherited descriptors to hand on at their original numbers
 */
#ifndef CTRUN_PROTOCOL_H
#define CTRUN_PROTOCOL_H

#define CT_FD_CONTROL 3
#define CT_FD_CONFIG 4
#define CT_FD_STDIO 5
#define CT_FD_EXTRA 8
/* at most this many further descriptors are handed on */
#define CT_MAX_EXTRA 4096

#define CT_CONFIG_MAGIC "CTRUNCF1"
#define CT_CONFIG_MAGIC_LEN 8 /* the configuration's first bytes */
_Static_assert(sizeof(CT_CONFIG_MAGIC) - 1 == CT_CONFIG_MAGIC_LEN, "CT_CONFIG_MAGIC_LEN");

/*
 * Names. The init is "<binary> contract-init" (argv[1]) and calls itself
 * "ctrun-init" (its comm, which ctstat and ctkill look for). For
 * CT_M_WHOAMI it takes the name "ctn-" and the nonce in 8 hex digits for a
 * moment: a process name holds 15 bytes. A holder's event socket is
 * "holder-<host pid>.sock" in the state directory, next to the contracts'
 * endpoints "<id>.sock"; an orphaned contract's init removes stale ones.
 * A contract made with libcontainer has the rootfs directory
 * "<name>.root", and its holder's claim on what it made for it
 * "<name>.claim" (registry/claim.go), which goes last.
 */
#define CT_INIT_ARG "contract-init"
/* argv[2]: "<binary> contract-init subreaper" is the init in subreaper
 * mode, whatever its pid; "<binary> contract-init probe" exits 0 at once
 * (the holder execs it in a fresh PID namespace to learn whether one can
 * be made: it starts no Go runtime and reads nothing). */
#define CT_INIT_SUBREAPER_ARG "subreaper"
#define CT_INIT_PROBE_ARG "probe"
#define CT_INIT_NAME "ctrun-init"
#define CT_NONCE_PREFIX "ctn-"
#define CT_NONCE_FORMAT CT_NONCE_PREFIX "%08x"
#define CT_HOLDER_SOCK_PREFIX "holder-"
#define CT_SOCK_SUFFIX ".sock"
#define CT_ROOTFS_SUFFIX ".root"
#define CT_CLAIM_SUFFIX ".claim"

/* configuration flags */
#define CT_F_NOORPHAN 0x1 /* holder gone: kill every member */
#define CT_F_TTY 0x2      /* make stdin the command's controlling terminal */
#define CT_F_USERNS 0x4   /* run the command in a nested user namespace as uid/gid */
#define CT_F_NOTIFY 0x8   /* learn signals sent by members through seccomp */
/* Subreaper mode: the init is the holder's child, not PID 1 of a namespace
 * of its own (started with CT_INIT_SUBREAPER_ARG). Its members are its
 * descendants but the subtrees of descendants named CT_INIT_NAME and
 * started with CT_INIT_ARG (the inits of sub-contracts); it never kills
 * with kill(-1) (it would reach every process of the user). No host root,
 * no rootfs. */
#define CT_F_SUBREAPER 0x10
/* No process connector: the init reports members' forks and exits itself
 * (CT_M_PROC). Implies CT_F_NOTIFY. */
#define CT_F_REPORT 0x20

/* holder -> init */
#define CT_M_GO 1     /* a = contract id: start the command */
#define CT_M_SIGNAL 2 /* a = signal, b = scope, c = namespace pid or pgid */
#define CT_M_WHOAMI 3 /* a = nonce: take the name CT_NONCE_FORMAT for a moment, then answer with the same message */
#define CT_M_WATCHEMPTY 4 /* report CT_M_OWNEMPTY once no member is left but sub-contracts */
#define CT_M_TIDY 5 /* before go: the configuration names the rootfs, to be removed now, off a later start's path; answered with the same message once done */

#define CT_SCOPE_COMMAND 0 /* the command's process, or every member once it is gone */
#define CT_SCOPE_ALL 1     /* every member */
#define CT_SCOPE_PGRP 2    /* process group c */
#define CT_SCOPE_PID 3     /* process c */

/* init -> holder */
#define CT_M_STARTED 10  /* a = namespace pid of the command: execve succeeded */
#define CT_M_EXECFAIL 11 /* a = errno, b = stage (CT_STAGE_*) */
#define CT_M_CMDEXIT 12  /* a = wait status of the command's process */
#define CT_M_SENT 13     /* a = signal, b = si_code, c = flags, d = sender ns pid; data: when (2 words, see ct_stamp), then the targets */
#define CT_M_NOTIFYOFF 14 /* a = errno: signals sent by members cannot be observed */
#define CT_M_EXTSENT 15   /* a = signal, b = requester pid: sent to every member for a client; data: when */
#define CT_M_OWNEMPTY 16  /* no member is left; the init stays for sub-contracts */
#define CT_M_EXITING 17   /* the contract is empty and the init exits, leaving the cleanup to its holder */
/*
 * CT_F_REPORT: a member was first seen, or has exited. data: when (2
 * words, see CT_M_SENT). Pids are the init's own view (namespace pids,
 * or, in subreaper mode, the holder's too).
 *   a = CT_PROC_FORK: b = pid, c = its parent's pid when seen, d = flags
 *       (CT_PROC_NOCRED). Without CT_F_SUBREAPER the message carries
 *       SCM_CREDENTIALS whose pid is the member's (the kernel gives it in
 *       the receiver's PID namespace: enable SO_PASSCRED) and whose
 *       uid/gid are the init's own.
 *   a = CT_PROC_EXIT: b = pid, c = wait status, d = flags
 *       (CT_PROC_NOSTATUS).
 * A pid's FORK comes before its EXIT, each at most once per process, and
 * every EXIT before the init's control socket closes. A member the init
 * never saw alive and that was reaped by another member is not reported.
 */
#define CT_M_PROC 18
/* CT_F_REPORT: members cannot be followed (a = errno: ENOSYS, no
 * pidfd_open; or what refused a pidfd, e.g. EMFILE), sent at most once:
 * from then on only the init's own children (the command and the orphans
 * it reaps) may be reported, or some members are missing. */
#define CT_M_NOREPORT 19

/* endpoint requests and replies */
#define CT_M_KILLALL 20
#define CT_M_ADOPT 21
#define CT_M_PING 22
#define CT_M_OK 30
#define CT_M_BUSY 31

#define CT_STAGE_EXEC 0
#define CT_STAGE_CHDIR 1
#define CT_STAGE_SETUP 2
#define CT_STAGE_ROOT 3 /* moving to the host root failed */

#define CT_PROC_FORK 1 /* CT_M_PROC a: a member first seen */
#define CT_PROC_EXIT 2 /* CT_M_PROC a: a member has exited */
#define CT_PROC_NOSTATUS 0x1 /* CT_M_PROC d, EXIT: its wait status could not be learnt (c = 0) */
#define CT_PROC_NOCRED 0x2   /* CT_M_PROC d, FORK: the member was gone before the kernel could name it in credentials (the holder's own view of it is unknown) */

#define CT_SENT_ALL 0x1     /* sent to every process the sender could reach */
#define CT_SENT_HASCODE 0x2 /* b holds a si_code the sender supplied */

#define CT_MAX_TARGETS 4096

struct ct_msg {
	int type;
	int a, b, c, d;
	int n;
	int data[];
};

#endif
