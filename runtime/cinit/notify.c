/*
 * notify.c: signals sent by members. The command's child installs a
 * seccomp filter that hands every signal-sending system call to the init
 * (user notification: no BPF program or privilege needed, so unprivileged
 * contracts have it too). The init works out the signal, the targets and
 * the si_code the sender supplied, tells the holder (CT_M_SENT) and only
 * then lets the call go on, so that a member killing a member is never
 * taken for a signal from outside.
 *
 * With CT_F_REPORT the filter hands execve, execveat, wait4 and waitid to
 * the init too, and every notification is a sighting of its caller
 * (report.c): a fork is seen at the child's first exec, and the children
 * a wait is about to reap are seen before it may go on.
 *
 * Apart because it is the one part that decodes system calls: numbers and
 * argument positions per ABI, read from another process's memory and
 * /proc.
 */
#include "cinit.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

/* Linux 6.6; Debian 12's headers predate it. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/*
 * A member waits for every notification it makes until the init answers:
 * two wake-ups, each an interrupt to the other CPU when the two run on
 * different ones, dear on a virtual machine. Synchronous wake-ups (Linux
 * 6.6) hand the CPU over instead, as a call and its return. Older kernels
 * refuse the flag, and keep the plain wake-ups.
 */
void ct_sync_wake(int listener)
{
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}

/* What CT_F_REPORT adds to the filter. x86_64 (after the x32 bit is
 * masked: x32 has execve 520, execveat 545, waitid 529 of its own): */
static const unsigned report_x86_64[] = {59, 322, 61, 247, 520, 545, 529};
/* i386: execve 11, execveat 358, wait4 114, waitid 284, waitpid 7 */
static const unsigned report_i386[] = {11, 358, 114, 284, 7};
#define NX (sizeof(report_x86_64) / sizeof(report_x86_64[0]))
#define NI (sizeof(report_i386) / sizeof(report_i386[0]))

/*
 * A filter that hands every signal-sending system call with a non-zero
 * signal to the init (seccomp user notification) and allows everything else
 * untouched. Calls made through the i386 ABI are caught too. With report,
 * the same program behind a prefix that hands over the execs and waits.
 */
int ct_install_notify(int report)
{
#define SIGARG(i) (offsetof(struct seccomp_data, args) + (i) * 8)
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 13),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u), /* x32 calls share numbers */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tkill, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigqueueinfo, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pidfd_send_signal, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_tgsigqueueinfo, 3, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* signal in args[1] */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SIGARG(1)),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		/* signal in args[2] */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SIGARG(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 14, 13),
		/* i386: kill 37, tkill 238, tgkill 270, rt_sigqueueinfo 178,
		 * rt_tgsigqueueinfo 335, pidfd_send_signal 424 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 13),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 37, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 238, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 178, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 424, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 270, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 335, 3, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* i386 arguments are 32-bit; the low word sits at the same offset */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SIGARG(1)),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SIGARG(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
#undef SIGARG
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	/*
	 * The prefix, by index (a jump goes to its index + 1 + offset):
	 *   0 arch; 1 x86_64? else to I; 2 nr; 3 drop the x32 bit;
	 *   4.. one of report_x86_64? to N; then on to P;
	 *   I: i386? else to P; nr; one of report_i386? to N; then on to P;
	 *   N: notify; P: the signal program above.
	 */
	enum { I = 5 + NX, N = I + 3 + NI, P = N + 1 };
	struct sock_filter g[P + sizeof(f) / sizeof(f[0])];
	if (report) {
		int n = 0;
		g[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
		g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, I - n - 1);
		n++;
		g[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
		g[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u);
		for (size_t i = 0; i < NX; i++, n++)
			g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, report_x86_64[i], N - n - 1, 0);
		g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, P - n - 1, 0, 0);
		n++;
		g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, P - n - 1);
		n++;
		g[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
		for (size_t i = 0; i < NI; i++, n++)
			g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, report_i386[i], N - n - 1, 0);
		g[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, P - n - 1, 0, 0);
		n++;
		g[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
		memcpy(g + n, f, sizeof(f));
		prog.len = (unsigned short)(n + sizeof(f) / sizeof(f[0]));
		prog.filter = g;
	}
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static int tgid_of(int tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	long t = ct_read_long_field(path, "Tgid:");
	return t > 0 ? (int)t : tid;
}

static int pidfd_target(int caller, int fd)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", caller, fd);
	return (int)ct_read_long_field(path, "Pid:");
}

static int read_si_code(int pid, uint64_t addr, int *code)
{
	struct iovec local = {.iov_base = code, .iov_len = sizeof(int)};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + 8), .iov_len = sizeof(int)};
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(int) ? 0 : -1;
}

/*
 * Is this execve (argv at argv_addr, pointers of psz bytes) that of a
 * contract's init ("<binary> contract-init ...": a sub-contract's, or a
 * probe)? Its caller is then about to leave the contract's members, and
 * is not sighted: the walk up the tree would not tell, since until its
 * constructor runs it is not yet named CT_INIT_NAME.
 */
static int execs_init(int pid, uint64_t argv_addr, size_t psz)
{
	uint64_t arg1 = 0;
	struct iovec local = {.iov_base = &arg1, .iov_len = psz};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)(argv_addr + psz), .iov_len = psz};
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)psz || !arg1)
		return 0;
	char arg[sizeof(CT_INIT_ARG)];
	local = (struct iovec){.iov_base = arg, .iov_len = sizeof(arg)};
	remote = (struct iovec){.iov_base = (void *)(uintptr_t)arg1, .iov_len = sizeof(arg)};
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(arg))
		return 0;
	return memcmp(arg, CT_INIT_ARG, sizeof(arg)) == 0;
}

/*
 * CT_F_REPORT: what a call means for the report. A wait sights the caller
 * (its thread group) and, before the wait may go on, its children. An exec
 * only sights the caller, which can wait until the exec goes on (*after,
 * with its pidfd in *afterfd): the call is then not held up, and the init,
 * which handles one thing at a time, still sights it before anything else
 * can report its end (its parent's wait is the next notification; its
 * pidfd, opened now, still has it). Returns 1 when the call is no signal
 * (then nothing else is to be done).
 */
static int report_call(struct state *s, const struct seccomp_notif *req, int nr, int compat, int *after, int *afterfd)
{
	int exec = 0, wait = 0, argv_arg = 0;
	switch (nr) {
	case __NR_execve:
	case 520: /* x32 */
		exec = 1;
		argv_arg = 1; /* execve(path, argv, envp) */
		break;
	case __NR_execveat:
	case 545: /* x32 */
		exec = 1;
		argv_arg = 2; /* execveat(dirfd, path, argv, envp, flags) */
		break;
	case __NR_wait4:
	case __NR_waitid:
	case 529: /* x32 waitid */
		wait = 1;
		break;
	}
	/* Exits first: a pid seen now may be that of one that has gone. */
	ct_report_ready(s);
	int caller = (int)req->pid;
	if (exec) {
		/* Its argv must be read before the exec replaces it. */
		if (ct_report_followed(s, caller) || execs_init(caller, req->data.args[argv_arg], compat ? 4 : 8))
			return 1;
		/* A pidfd only opens for a thread-group leader: nearly every
		 * caller, its thread group then told without reading /proc.
		 * (After an exec by another thread, the caller's pid would
		 * be gone.) */
		int fd = (int)syscall(__NR_pidfd_open, caller, 0);
		*after = fd >= 0 ? caller : tgid_of(caller);
		*afterfd = fd;
		return 1;
	}
	int tgid = ct_report_known(caller) ? caller : tgid_of(caller);
	int member = ct_report_sight(s, tgid);
	if (wait && member)
		ct_report_children(s, tgid);
	return wait;
}

/* Is the sender of a signal a member? A sender in a sub-contract names
 * pids of its own namespace, or (subreaper mode) is none of ours. */
static int sender_is_member(struct state *s, int caller)
{
	if (!s->subreaper)
		return ct_ns_depth(caller) == 1;
	int n;
	return ct_ancestry(s, tgid_of(caller), ct_report_known, NULL, 0, &n);
}

/*
 * In subreaper mode the init and the holder are in the members' reach, as
 * PID 1 of a namespace of its own never is: a member's signal to either
 * (or to every process it may signal, kill(-1), which includes them) would
 * end the holding and leave the members without their seccomp listener,
 * every exec and wait of theirs failing. Such a signal is refused (EPERM).
 */
static int spares_holding(const struct state *s, const int *targets, int n, int flags)
{
	if (!s->subreaper)
		return 0;
	if (flags & CT_SENT_ALL)
		return 1;
	for (int i = 0; i < n; i++)
		if (targets[i] == s->self || targets[i] == s->holder)
			return 1;
	return 0;
}

void ct_handle_notification(struct state *s)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	if (ioctl(s->notify, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		if (errno != EINTR && errno != ENOENT) {
			close(s->notify);
			s->notify = -1;
		}
		return;
	}
	/* [0], [1]: when (see ct_stamp); the targets follow. */
	static int msg[2 + CT_MAX_TARGETS];
	int *targets = msg + 2;
	int n = 0, flags = 0, code = 0, sig = 0;
	int caller = (int)req.pid;
	int i386 = req.data.arch == AUDIT_ARCH_I386;
	int compat = i386 || (req.data.nr & 0x40000000);
	int nr = req.data.nr & ~0x40000000;
	/* pids and signals are ints: the kernel reads the low word only */
	int a0 = (int)req.data.args[0];
	int a1 = (int)req.data.args[1];
	if (i386) {
		switch (nr) {
		case 37: nr = __NR_kill; break;
		case 238: nr = __NR_tkill; break;
		case 270: nr = __NR_tgkill; break;
		case 178: nr = __NR_rt_sigqueueinfo; break;
		case 335: nr = __NR_rt_tgsigqueueinfo; break;
		case 424: nr = __NR_pidfd_send_signal; break;
		case 11: nr = __NR_execve; break;
		case 358: nr = __NR_execveat; break;
		case 114: nr = __NR_wait4; break;
		case 7: nr = __NR_wait4; break; /* waitpid */
		case 284: nr = __NR_waitid; break;
		}
	}
	int after = 0, afterfd = -1; /* a caller to sight once its call goes on, and its pidfd */
	/* Without credentials to attach (subreaper mode: the holder sees our
	 * pids), a report can wait until the call goes on. */
	if ((s->cfg.flags & CT_F_REPORT) && s->subreaper)
		ct_defer_msgs(s);
	int report_only = (s->cfg.flags & CT_F_REPORT) && caller > 0 && report_call(s, &req, nr, compat, &after, &afterfd);
	if (!report_only)
		ct_flush_msgs(s); /* a signal's record must come first */
	if (!report_only && caller > 0 && sender_is_member(s, caller)) {
		switch (nr) {
		case __NR_kill:
			sig = (int)a1;
			if (a0 > 0) {
				targets[n++] = (int)a0;
			} else if (a0 == -1) {
				flags |= CT_SENT_ALL;
			} else {
				long pg = a0 == 0 ? ct_pgrp_of(caller) : -(long)a0;
				if (pg > 0)
					n = ct_collect_pgrp(s, (int)pg, targets, CT_MAX_TARGETS);
			}
			break;
		case __NR_tkill:
			sig = (int)a1;
			targets[n++] = tgid_of((int)a0);
			break;
		case __NR_tgkill:
			sig = (int)req.data.args[2];
			targets[n++] = (int)a0;
			break;
		case __NR_rt_sigqueueinfo:
			sig = (int)a1;
			targets[n++] = (int)a0;
			if (read_si_code(caller, req.data.args[2], &code) == 0)
				flags |= CT_SENT_HASCODE;
			break;
		case __NR_rt_tgsigqueueinfo:
			sig = (int)req.data.args[2];
			targets[n++] = (int)a0;
			if (read_si_code(caller, req.data.args[3], &code) == 0)
				flags |= CT_SENT_HASCODE;
			break;
		case __NR_pidfd_send_signal: {
			sig = (int)a1;
			int t = pidfd_target(caller, (int)a0);
			if (t > 0)
				targets[n++] = t;
			if (req.data.args[2] && read_si_code(caller, req.data.args[2], &code) == 0)
				flags |= CT_SENT_HASCODE;
			break;
		}
		}
		/* Report mode: a target not seen yet (forked, not yet exec'd or
		 * waited for) is reported now, before the record of the signal
		 * that may end it, and the record is stamped after: the holder
		 * takes a record older than a member's first sight for another
		 * process's. */
		if (sig > 0 && (s->cfg.flags & CT_F_REPORT))
			for (int i = 0; i < n; i++)
				if (!ct_report_known(targets[i]))
					ct_report_sight(s, targets[i]);
		if (sig > 0 && spares_holding(s, targets, n, flags)) {
			/* Refused: the members go on being held. */
			memset(&resp, 0, sizeof(resp));
			resp.id = req.id;
			resp.error = -EPERM;
			ioctl(s->notify, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			return;
		}
		/* The record must reach the holder before the signal can: the
		 * call only proceeds once we answer below. */
		if (sig > 0 && (n > 0 || (flags & CT_SENT_ALL))) {
			ct_stamp(msg);
			ct_send_msg(s, CT_M_SENT, sig, code, flags, caller, msg, 2 + n);
		}
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(s->notify, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	if (after > 0)
		ct_report_sight_fd(s, after, afterfd);
	ct_flush_msgs(s);
}
