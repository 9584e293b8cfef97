/*
 * notify.c: signals sent by members. The command's child installs a
 * seccomp filter that hands every signal-sending system call to the init
 * (user notification: no BPF program or privilege needed, so unprivileged
 * contracts have it too). The init works out the signal, the targets and
 * the si_code the sender supplied, tells the holder (CT_M_SENT) and only
 * then lets the call go on, so that a member killing a member is never
 * taken for a signal from outside.
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

/*
 * A filter that hands every signal-sending system call with a non-zero
 * signal to the init (seccomp user notification) and allows everything else
 * untouched. Calls made through the i386 ABI are caught too.
 */
int ct_install_notify(void)
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
	ct_stamp(msg);
	int n = 0, flags = 0, code = 0, sig = 0;
	int caller = (int)req.pid;
	int i386 = req.data.arch == AUDIT_ARCH_I386;
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
		}
	}
	/* A sender in a sub-contract names pids of its own namespace. */
	if (caller > 0 && ct_ns_depth(caller) == 1) {
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
					n = ct_collect_pgrp((int)pg, targets, CT_MAX_TARGETS);
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
		/* The record must reach the holder before the signal can: the
		 * call only proceeds once we answer below. */
		if (sig > 0 && (n > 0 || (flags & CT_SENT_ALL)))
			ct_send_msg(s, CT_M_SENT, sig, code, flags, caller, msg, 2 + n);
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(s->notify, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}
