/*
 * cinit.c: the init (PID 1) of every contract.
 *
 * libcontainer builds the contract's namespaces, mounts and cgroup, then
 * execs "ctrun contract-init". That exec lands here, in a constructor that
 * runs before the Go runtime starts: the init never boots Go, so it costs a
 * few hundred kilobytes and no runtime start-up, the way tini and s6 keep an
 * init tiny. It
 *
 *   - starts the command as its child once the holder says go (with the
 *     contract id in CTRUN_CTID), reporting a failed execve exactly;
 *   - reaps every member that is reparented to it, and tells the holder the
 *     wait status of the command's own process;
 *   - passes on the signals the holder forwards;
 *   - when members send signals, learns of it through a seccomp user
 *     notification (unprivileged contracts, where no BPF is allowed) and
 *     tells the holder, so that a member killing a member is never taken for
 *     a signal from outside;
 *   - notices its holder's death as end-of-file on the control socket (this
 *     holds for SIGKILL too) and then either kills every member (noorphan) or
 *     keeps the orphaned contract running;
 *   - once it is the last process of an orphaned contract, removes what the
 *     holder would have removed: the cgroup, the rootfs directory and the
 *     contract's record.
 *
 * Nothing here may print to the user's streams: errors travel to the holder
 * as messages.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define INIT_ARG "contract-init"

struct config {
	uint32_t flags;
	uint32_t uid, gid;
	uint64_t sigign, sigblk;
	uint32_t stdio_open;
	char *path, *cwd;
	char **argv, **envp;
	uint32_t nenv;
	char **cgroups;
	uint32_t ncgroups;
	char *rootfs, *record, *endpoint;
	int *extra_targets;
	uint32_t nextra;
};

struct state {
	struct config cfg;
	int control; /* -1 once the holder is gone */
	int orphaned;
	pid_t command;
	int cmd_status, cmd_exited; /* the command's end, for an adopter */
	int notify;   /* seccomp listener, -1 if none */
	int endpoint; /* listening socket, -1 if none */
	int watch_empty; /* the holder asked for CT_M_OWNEMPTY (not yet sent) */
};

/* ---------- messages to the holder ---------- */

static void send_msg(struct state *s, int type, int a, int b, int c, int d, const int *data, int n)
{
	if (s->control < 0)
		return;
	size_t len = sizeof(struct ct_msg) + (size_t)n * sizeof(int);
	struct ct_msg *m = calloc(1, len);
	if (!m)
		return;
	m->type = type;
	m->a = a;
	m->b = b;
	m->c = c;
	m->d = d;
	m->n = n;
	if (n > 0)
		memcpy(m->data, data, (size_t)n * sizeof(int));
	/* MSG_NOSIGNAL: a dead holder must not kill the init with SIGPIPE. */
	while (send(s->control, m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
	free(m);
}

/* ---------- configuration ---------- */

struct reader {
	const char *buf;
	size_t len, off;
	int bad;
};

static uint32_t rd_u32(struct reader *r)
{
	uint32_t v = 0;
	if (r->off + 4 > r->len) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->buf + r->off, 4);
	r->off += 4;
	return v;
}

static uint64_t rd_u64(struct reader *r)
{
	uint64_t lo = rd_u32(r), hi = rd_u32(r);
	return lo | (hi << 32);
}

static char *rd_str(struct reader *r)
{
	uint32_t n = rd_u32(r);
	if (r->bad || r->off + n > r->len) {
		r->bad = 1;
		return NULL;
	}
	char *s = malloc(n + 1);
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, r->buf + r->off, n);
	s[n] = 0;
	r->off += n;
	return s;
}

static char **rd_strs(struct reader *r, uint32_t *count, size_t extra)
{
	uint32_t n = rd_u32(r);
	if (r->bad || n > (r->len - r->off) / 4) {
		r->bad = 1;
		return NULL;
	}
	char **v = calloc(n + 1 + extra, sizeof(char *));
	if (!v) {
		r->bad = 1;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = rd_str(r);
	if (count)
		*count = n;
	return v;
}

static int read_config(struct config *c)
{
	struct stat st;
	if (fstat(CT_FD_CONFIG, &st) < 0 || st.st_size <= 0)
		return -1;
	char *buf = malloc((size_t)st.st_size);
	if (!buf)
		return -1;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(CT_FD_CONFIG, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	close(CT_FD_CONFIG);
	struct reader r = {buf, got, 0, 0};
	if (got < 8 || memcmp(buf, CT_CONFIG_MAGIC, 8) != 0)
		return -1;
	r.off = 8;
	c->flags = rd_u32(&r);
	c->uid = rd_u32(&r);
	c->gid = rd_u32(&r);
	c->sigign = rd_u64(&r);
	c->sigblk = rd_u64(&r);
	c->stdio_open = rd_u32(&r);
	c->path = rd_str(&r);
	c->cwd = rd_str(&r);
	c->argv = rd_strs(&r, NULL, 0);
	/* one spare slot for CTRUN_CTID */
	c->envp = rd_strs(&r, &c->nenv, 1);
	c->cgroups = rd_strs(&r, &c->ncgroups, 0);
	c->rootfs = rd_str(&r);
	c->record = rd_str(&r);
	c->endpoint = rd_str(&r);
	c->nextra = rd_u32(&r);
	if (c->nextra > CT_MAX_EXTRA)
		return -1;
	c->extra_targets = calloc(c->nextra + 1, sizeof(int));
	if (!c->extra_targets)
		return -1;
	for (uint32_t i = 0; i < c->nextra; i++)
		c->extra_targets[i] = (int)rd_u32(&r);
	return r.bad ? -1 : 0;
}

/* Replace (or add) CTRUN_CTID in the command's environment. */
static void set_ctid(struct config *c, int id)
{
	static const char key[] = "CTRUN_CTID=";
	char *entry = NULL;
	if (asprintf(&entry, "%s%d", key, id) < 0)
		return;
	uint32_t out = 0;
	for (uint32_t i = 0; i < c->nenv; i++) {
		if (strncmp(c->envp[i], key, sizeof(key) - 1) == 0)
			continue;
		c->envp[out++] = c->envp[i];
	}
	c->envp[out++] = entry;
	c->envp[out] = NULL;
	c->nenv = out;
}

/* ---------- the command's process, between fork and execve ---------- */

static int write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, strlen(data));
	int err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

/*
 * Enter a user namespace nested in the contract's, in which the caller's own
 * uid and gid map to the contract's root (which maps to the caller on the
 * host). The command then sees exactly the ids it has outside.
 */
static int nest_userns(const struct config *c)
{
	char map[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof(map), "%u 0 1\n", c->uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u 0 1\n", c->gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return -1;
	return 0;
}

#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

/*
 * A filter that hands every signal-sending system call with a non-zero
 * signal to the init (seccomp user notification) and allows everything else
 * untouched. Calls made through the i386 ABI are caught too.
 */
static int install_notify(void)
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

/*
 * The command's child hands the init its seccomp listener: a 4-byte
 * payload (0, or the errno that kept the filter from being installed) and,
 * on success, the descriptor.
 */
static int send_fd(int sock, int fd, int err)
{
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof(err)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The other end of send_fd: the descriptor, or -1 with *err set (0 when
 * the child died before it could say). */
static int recv_fd(int sock, int *err)
{
	int payload = 0;
	struct iovec iov = {.iov_base = &payload, .iov_len = sizeof(payload)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	} while (n < 0 && errno == EINTR);
	*err = 0;
	if (n != (ssize_t)sizeof(payload)) {
		*err = n < 0 ? errno : EPIPE;
		return -1;
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		/* The descriptor did not fit: we are at our limit. */
		*err = EMFILE;
		return -1;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		*err = payload;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Report a failure of the child to the init through the status pipe and die. */
static void child_fail(int status_fd, int stage)
{
	int msg[2] = {errno, stage};
	(void)!write(status_fd, msg, sizeof(msg));
	_exit(127);
}

/* Whether fd is a number the command's descriptors must end up at. */
static int is_target(const struct config *c, int fd)
{
	if (fd < 3)
		return 1;
	for (uint32_t i = 0; i < c->nextra; i++)
		if (c->extra_targets[i] == fd)
			return 1;
	return 0;
}

/*
 * A close-on-exec copy of fd at a number that is no target, so placing the
 * user's descriptors cannot overwrite it. The lowest such numbers are
 * taken, not a fixed high base: an inherited descriptor may sit anywhere
 * below the command's descriptor limit, which the copies must respect too.
 */
static int dup_clear(const struct config *c, int fd)
{
	int from = 3;
	for (;;) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, from);
		if (d < 0 || !is_target(c, d))
			return d;
		close(d);
		from = d + 1;
	}
}

/*
 * Put the user's descriptors at the numbers they had in the holder. The
 * status pipe and the listener socket were moved clear of every target
 * before, so only the user's own descriptors are in play here.
 */
static void place_fds(const struct config *c, int status_fd)
{
	int src[3 + CT_MAX_EXTRA], dst[3 + CT_MAX_EXTRA];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (c->stdio_open & (1u << i)) {
			src[n] = CT_FD_STDIO + i;
			dst[n++] = i;
		} else {
			close(i);
		}
	}
	for (uint32_t i = 0; i < c->nextra; i++) {
		src[n] = CT_FD_EXTRA + (int)i;
		dst[n++] = c->extra_targets[i];
	}
	/* First lift every source clear of all targets, then place them. */
	for (int i = 0; i < n; i++) {
		int d = dup_clear(c, src[i]);
		if (d < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
		src[i] = d;
	}
	for (int i = 0; i < n; i++)
		if (dup2(src[i], dst[i]) < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
}

static void reset_signals(const struct config *c)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sa.sa_handler = (sig <= 64 && (c->sigign & (1ull << (sig - 1)))) ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL);
	}
	sigset_t set;
	sigemptyset(&set);
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
		if (c->sigblk & (1ull << (sig - 1)))
			sigaddset(&set, sig);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

static void run_command(struct state *s, int status_fd, int fd_sock)
{
	const struct config *c = &s->cfg;
	int status_hi = dup_clear(c, status_fd);
	if (status_hi < 0)
		child_fail(status_fd, CT_STAGE_SETUP);
	close(status_fd);
	status_fd = status_hi;
	if (fd_sock >= 0) {
		int hi = dup_clear(c, fd_sock);
		if (hi < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
		close(fd_sock);
		fd_sock = hi;
	}
	if (c->flags & CT_F_TTY) {
		if (setsid() < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
	} else {
		setpgid(0, 0);
	}
	place_fds(c, status_fd);
	if (c->flags & CT_F_TTY) {
		/* The pseudo-terminal the holder made is on stdin. */
		if (ioctl(0, TIOCSCTTY, 0) < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
	}
	if ((c->flags & CT_F_USERNS) && nest_userns(c) < 0)
		child_fail(status_fd, CT_STAGE_SETUP);
	if (c->flags & CT_F_NOTIFY) {
		int lfd = install_notify();
		send_fd(fd_sock, lfd, lfd < 0 ? errno : 0);
		if (lfd >= 0)
			close(lfd);
		close(fd_sock);
	}
	if (chdir(c->cwd) < 0)
		child_fail(status_fd, CT_STAGE_CHDIR);
	reset_signals(c);
	execve(c->path, c->argv, c->envp);
	child_fail(status_fd, CT_STAGE_EXEC);
}

/* ---------- signals sent by members (seccomp user notification) ---------- */

/*
 * The value of the "key" line of a /proc file such as status or fdinfo,
 * read line by line: the file has no size limit (a Groups line can be long)
 * and what follows it must not be cut off. Returns a malloc'd string or NULL.
 */
static char *proc_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *line = NULL, *val = NULL;
	size_t cap = 0, klen = strlen(key);
	while (getline(&line, &cap, f) >= 0) {
		if (strncmp(line, key, klen) == 0) {
			val = strdup(line + klen);
			break;
		}
	}
	free(line);
	fclose(f);
	return val;
}

static long read_long_field(const char *path, const char *key)
{
	char *v = proc_field(path, key);
	if (!v)
		return -1;
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* The process group of a namespace pid, from its stat line. */
static long pgrp_of(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char state;
	int ppid, pgrp;
	if (sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
		return -1;
	return pgrp;
}

static int tgid_of(int tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	long t = read_long_field(path, "Tgid:");
	return t > 0 ? (int)t : tid;
}

/* How many PID namespaces /proc/<pid> is in, as this namespace sees it
 * (1: ours; more: a sub-contract made by a ctrun inside), 0 if gone. */
static int ns_depth(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	char *v = proc_field(path, "NSpid:");
	if (!v)
		return access(path, F_OK) < 0 ? 0 : 1; /* gone, or no NSpid line */
	int fields = 0;
	char *save = NULL;
	for (char *t = strtok_r(v, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		fields++;
	free(v);
	return fields;
}

/*
 * Send sig to every member. Without sub-contracts that is kill(-1): the
 * kernel does it in one pass under its task list lock, so no member forked
 * meanwhile escapes. A sub-contract (a ctrun run inside) lives in a PID
 * namespace below ours and is not a member: kill(-1) would reach it, so its
 * processes are skipped, and the members are signalled one by one, again
 * and again while new ones keep appearing (a fork during a pass).
 */
static int collect_pgrp(int pgrp, int *out, int max)
{
	int n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		int pid = atoi(e->d_name);
		if (pid <= 1)
			continue;
		if (pgrp_of(pid) == pgrp)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

static int pidfd_target(int caller, int fd)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", caller, fd);
	return (int)read_long_field(path, "Pid:");
}

static int read_si_code(int pid, uint64_t addr, int *code)
{
	struct iovec local = {.iov_base = code, .iov_len = sizeof(int)};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + 8), .iov_len = sizeof(int)};
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(int) ? 0 : -1;
}

/*
 * stamp writes CLOCK_MONOTONIC in ns (low, high word) to out: a signal
 * record carries the time the init saw the request, not the time its
 * holder reads it (which, under load, may be milliseconds later), so that
 * it is never taken to explain the death of a process born after it.
 */
static void stamp(int out[2])
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	out[0] = (int)(uint32_t)ns;
	out[1] = (int)(uint32_t)(ns >> 32);
}

static void handle_notification(struct state *s)
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
	/* [0], [1]: when (see stamp); the targets follow. */
	static int msg[2 + CT_MAX_TARGETS];
	int *targets = msg + 2;
	stamp(msg);
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
	if (caller > 0 && ns_depth(caller) == 1) {
		switch (nr) {
		case __NR_kill:
			sig = (int)a1;
			if (a0 > 0) {
				targets[n++] = (int)a0;
			} else if (a0 == -1) {
				flags |= CT_SENT_ALL;
			} else {
				long pg = a0 == 0 ? pgrp_of(caller) : -(long)a0;
				if (pg > 0)
					n = collect_pgrp((int)pg, targets, CT_MAX_TARGETS);
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
			send_msg(s, CT_M_SENT, sig, code, flags, caller, msg, 2 + n);
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(s->notify, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* ---------- the end of an orphaned contract ---------- */

/*
 * Make the host's root (bound at /host by libcontainer) the contract's
 * root, with the contract's own /proc on it, and let go of libcontainer's
 * rootfs directory.
 */
static int enter_host_root(void)
{
	if (mount("/proc", "/host/proc", NULL, MS_MOVE, NULL) < 0)
		return -1;
	if (chdir("/host") < 0)
		return -1;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -1;
	/* The old root is now stacked on the new one: detach it, privately. */
	if (mount("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return -1;
	if (umount2(".", MNT_DETACH) < 0)
		return -1;
	return chdir("/");
}

/*
 * Remove libcontainer's rootfs directory: nothing uses it once the init has
 * moved to the host root. The host root, bound after the directory was
 * bound onto itself, also shows that bind at the directory's own path:
 * detach it first.
 */
static void remove_rootfs(const char *rootfs)
{
	if (!rootfs || rootfs[0] != '/')
		return;
	umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
	/* Only empty mount points and symlinks are in it. */
	int dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0 && errno == ENOTDIR)
			unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
	rmdir(rootfs);
}

/*
 * Remove the event sockets of holders that are gone (a holder killed with
 * SIGKILL leaves its socket; nobody answering on it is the proof).
 */
static void remove_stale_holder_sockets(const char *record)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", record);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "holder-", 7) != 0 || n < 12 || strcmp(e->d_name + n - 5, ".sock") != 0)
			continue;
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, e->d_name) >= sizeof(sa.sun_path))
			continue;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED)
			unlink(sa.sun_path);
		close(fd);
	}
	closedir(d);
}

/* Remove a directory once nothing is left in it (the state directory). */
static void remove_parent_if_empty(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		rmdir(dir);
	}
}

static void cleanup_orphan(struct state *s)
{
	const struct config *c = &s->cfg;
	for (uint32_t i = 0; i < c->ncgroups; i++) {
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", c->cgroups[i]);
		char *slash = strrchr(parent, '/');
		if (!slash)
			continue;
		*slash = 0;
		char procs[4200];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", parent);
		write_file(procs, "0");
		rmdir(c->cgroups[i]);
	}
	if (c->endpoint && *c->endpoint)
		unlink(c->endpoint);
	if (c->record && *c->record) {
		unlink(c->record);
		remove_stale_holder_sockets(c->record);
		remove_parent_if_empty(c->record);
	}
}

/* ---------- signalling every member ---------- */

/*
 * Is there a process but us at namespace depth 1 (a member), or deeper
 * (nested: a sub-contract's)? unknown is the answer when /proc cannot be
 * read.
 */
static int any_process(int nested, int unknown)
{
	DIR *d = opendir("/proc");
	if (!d)
		return unknown;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid > 1) {
			int depth = ns_depth(pid);
			found = nested ? depth > 1 : depth == 1;
		}
	}
	closedir(d);
	return found;
}

static int any_nested(void) { return any_process(1, 0); }

static void signal_members(int sig)
{
	if (!any_nested()) {
		kill(-1, sig);
		return;
	}
	static int sent[CT_MAX_TARGETS];
	int nsent = 0;
	for (int round = 0; round < 64; round++) {
		DIR *d = opendir("/proc");
		if (!d)
			return;
		int fresh = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid = atoi(e->d_name);
			if (pid <= 1 || ns_depth(pid) != 1)
				continue;
			int seen = 0;
			for (int i = 0; i < nsent && !seen; i++)
				seen = sent[i] == pid;
			if (seen && sig != SIGKILL)
				continue; /* once each, but SIGKILL until gone */
			kill(pid, sig);
			if (!seen) {
				fresh++;
				if (nsent < CT_MAX_TARGETS)
					sent[nsent++] = pid;
			}
		}
		closedir(d);
		if (!fresh)
			return;
	}
}

/* Are members left (processes of our own namespace but us)? */
static int members_left(void) { return any_process(0, 1); }

/*
 * A holder that cannot tell members from sub-contracts itself (it runs
 * inside a contract: see holder/nested.go) asks to be told when no member
 * is left while sub-contracts are: the contract is then over, and the init
 * stays for them.
 */
static void check_own_empty(struct state *s)
{
	if (s->watch_empty && !members_left()) {
		send_msg(s, CT_M_OWNEMPTY, 0, 0, 0, 0, NULL, 0);
		s->watch_empty = 0;
	}
}

/* ---------- the contract's endpoint ---------- */

static int open_endpoint(const char *path)
{
	struct sockaddr_un sa;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path); /* a stale one of a dead contract with our pid */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void reply(int fd, int type, int a, int b, int c)
{
	struct ct_msg m = {.type = type, .a = a, .b = b, .c = c};
	send(fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* One client, one request: never let a client hold the init up. */
static void handle_endpoint(struct state *s)
{
	int fd = accept4(s->endpoint, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	char buf[256];
	ssize_t n = -1;
	if (poll(&pf, 1, 200) == 1)
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(struct ct_msg)) {
		close(fd);
		return;
	}
	struct ct_msg *m = (struct ct_msg *)buf;
	switch (m->type) {
	case CT_M_KILLALL:
		if (m->a >= 0 && m->a < NSIG) {
			/* Tell the holder first: the deaths must find the record. */
			int when[2];
			stamp(when);
			send_msg(s, CT_M_EXTSENT, m->a, m->b, 0, 0, when, 2);
			signal_members(m->a);
		}
		reply(fd, CT_M_OK, 0, 0, 0);
		break;
	case CT_M_ADOPT:
		if (s->control >= 0) {
			reply(fd, CT_M_BUSY, 0, 0, 0);
			break;
		}
		reply(fd, CT_M_OK, s->command, s->cmd_exited, s->cmd_status);
		s->control = fd;
		s->orphaned = 0;
		return;
	case CT_M_PING:
		reply(fd, CT_M_OK, s->control >= 0, 0, 0);
		break;
	}
	close(fd);
}

/* ---------- main loop ---------- */

static int reap(struct state *s);

static void handle_control(struct state *s)
{
	char buf[256];
	ssize_t n = recv(s->control, buf, sizeof(buf), 0);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		/* The holder is gone (exited or killed). */
		close(s->control);
		s->control = -1;
		s->orphaned = 1;
		if (s->cfg.flags & CT_F_NOORPHAN)
			signal_members(SIGKILL);
		return;
	}
	if ((size_t)n < sizeof(struct ct_msg))
		return;
	struct ct_msg *m = (struct ct_msg *)buf;
	if (m->type == CT_M_WATCHEMPTY) {
		s->watch_empty = 1;
		check_own_empty(s);
		return;
	}
	if (m->type != CT_M_SIGNAL)
		return;
	switch (m->b) {
	case CT_SCOPE_COMMAND:
		/* A command that has exited but is not yet reaped would take
		 * the signal silently: reap first, so it counts as gone. */
		reap(s);
		if (s->command > 0 && kill(s->command, m->a) == 0)
			break;
		/* fall through: the command's process is gone */
	case CT_SCOPE_ALL:
		signal_members(m->a);
		break;
	case CT_SCOPE_PGRP:
		if (m->c > 1)
			kill(-m->c, m->a);
		break;
	case CT_SCOPE_PID:
		if (m->c > 1)
			kill(m->c, m->a);
		break;
	}
}

/* Reap every child that has exited. Returns 1 once no child is left. */
static int reap(struct state *s)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
		if (pid > 0) {
			if (pid == s->command) {
				s->command = 0;
				s->cmd_status = st;
				s->cmd_exited = 1;
				send_msg(s, CT_M_CMDEXIT, st, 0, 0, 0, NULL, 0);
			}
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		return pid < 0 && errno == ECHILD;
	}
}

/*
 * The contract is empty. A holder that let it go (lifetime child or none:
 * the end of the control socket, perhaps not read yet) left the cleanup to
 * the init; one that still holds it does the cleanup itself once the init
 * is gone. Tell that one we are going: should it let go meanwhile, it
 * reads this and still cleans up. Returns 1 when the cleanup is ours. The
 * control socket stays open until we exit, so a holder waiting for its end
 * sees it only once the cleanup is done.
 */
static int holder_let_go(struct state *s)
{
	char buf[256];
	for (;;) {
		ssize_t n = recv(s->control, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue; /* requests about members: there are none left */
		if (n == 0 || errno != EAGAIN)
			return 1;
		struct ct_msg m = {.type = CT_M_EXITING};
		while ((n = send(s->control, &m, sizeof(m), MSG_NOSIGNAL)) < 0 && errno == EINTR)
			;
		return n < 0; /* the holder is gone: ours after all */
	}
}

static int wait_go(struct state *s)
{
	char buf[256];
	for (;;) {
		ssize_t n = recv(s->control, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		struct ct_msg *m = (struct ct_msg *)buf;
		if ((size_t)n < sizeof(*m))
			continue;
		if (m->type == CT_M_GO)
			return m->a;
		if (m->type == CT_M_WHOAMI) {
			/* A holder inside another PID namespace cannot see our
			 * host pid (the contract id): the process connector tells
			 * it, from this change of name. */
			char name[16];
			snprintf(name, sizeof(name), "ctn-%08x", (unsigned)m->a);
			prctl(PR_SET_NAME, name, 0, 0, 0);
			prctl(PR_SET_NAME, "ctrun-init", 0, 0, 0);
			send_msg(s, CT_M_WHOAMI, m->a, 0, 0, 0, NULL, 0);
		}
	}
}

static int start_command(struct state *s)
{
	int status[2];
	int fdsock[2] = {-1, -1};
	if (pipe2(status, O_CLOEXEC) < 0)
		return -1;
	if ((s->cfg.flags & CT_F_NOTIFY) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fdsock) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(status[0]);
		if (fdsock[0] >= 0)
			close(fdsock[0]);
		run_command(s, status[1], fdsock[1]);
		_exit(127);
	}
	s->command = pid;
	close(status[1]);
	if (fdsock[1] >= 0)
		close(fdsock[1]);
	if (fdsock[0] >= 0) {
		/* The child sends the listener (or an errno) before it execs. */
		int err;
		int fd = recv_fd(fdsock[0], &err);
		if (fd >= 0)
			s->notify = fd;
		else if (err > 0)
			send_msg(s, CT_M_NOTIFYOFF, err, 0, 0, 0, NULL, 0);
		close(fdsock[0]);
	}
	int msg[2];
	ssize_t n;
	do {
		n = read(status[0], msg, sizeof(msg));
	} while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n == (ssize_t)sizeof(msg)) {
		send_msg(s, CT_M_EXECFAIL, msg[0], msg[1], 0, 0, NULL, 0);
		return 0;
	}
	send_msg(s, CT_M_STARTED, pid, 0, 0, 0, NULL, 0);
	return 0;
}

static int init_main(void)
{
	struct state s;
	memset(&s, 0, sizeof(s));
	s.control = CT_FD_CONTROL;
	s.notify = -1;
	s.endpoint = -1;

	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_NAME, "ctrun-init", 0, 0, 0);
	int root_err = enter_host_root() < 0 ? errno : 0;

	/* The holder writes the configuration before it says go. */
	int id = wait_go(&s);
	if (read_config(&s.cfg) < 0) {
		send_msg(&s, CT_M_EXECFAIL, EINVAL, CT_STAGE_SETUP, 0, 0, NULL, 0);
		return 1;
	}
	if (id <= 0) {
		remove_rootfs(s.cfg.rootfs);
		/* The holder died before the command could start. */
		s.orphaned = 1;
		cleanup_orphan(&s);
		return 0;
	}
	if (root_err) {
		send_msg(&s, CT_M_EXECFAIL, root_err, CT_STAGE_ROOT, 0, 0, NULL, 0);
		return 1;
	}
	/* Nothing of ours may reach the command. */
	for (int fd = CT_FD_CONTROL; fd < CT_FD_EXTRA + (int)s.cfg.nextra; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	set_ctid(&s.cfg, id);
	s.endpoint = open_endpoint(s.cfg.endpoint);

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

	if (start_command(&s) < 0) {
		send_msg(&s, CT_M_EXECFAIL, errno, CT_STAGE_SETUP, 0, 0, NULL, 0);
		return 1;
	}
	/* The streams belong to the command now. */
	for (int fd = CT_FD_STDIO; fd < CT_FD_EXTRA + (int)s.cfg.nextra; fd++)
		close(fd);
	/* Off the command's path: nobody needs libcontainer's rootfs now. */
	remove_rootfs(s.cfg.rootfs);

	for (;;) {
		if (reap(&s))
			break;
		check_own_empty(&s);
		struct pollfd pf[4];
		int n = 0;
		pf[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		int ci = -1, ni = -1, ei = -1;
		if (s.endpoint >= 0) {
			ei = n;
			pf[n++] = (struct pollfd){.fd = s.endpoint, .events = POLLIN};
		}
		if (s.control >= 0) {
			ci = n;
			pf[n++] = (struct pollfd){.fd = s.control, .events = POLLIN};
		}
		if (s.notify >= 0) {
			ni = n;
			pf[n++] = (struct pollfd){.fd = s.notify, .events = POLLIN};
		}
		if (poll(pf, (nfds_t)n, -1) < 0)
			continue;
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
		}
		if (ni >= 0 && pf[ni].revents) {
			if (pf[ni].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				close(s.notify);
				s.notify = -1;
			} else {
				handle_notification(&s);
			}
		}
		if (ci >= 0 && pf[ci].revents)
			handle_control(&s);
		if (ei >= 0 && pf[ei].revents)
			handle_endpoint(&s);
	}
	if (s.endpoint >= 0 && s.cfg.endpoint && *s.cfg.endpoint)
		unlink(s.cfg.endpoint);
	if (!s.orphaned && s.control >= 0)
		s.orphaned = holder_let_go(&s);
	if (s.orphaned)
		cleanup_orphan(&s);
	return 0;
}

/*
 * Runs before main() in every binary that links this package. glibc passes
 * argc/argv to constructors; anything but "<binary> contract-init" returns
 * at once and the Go program starts as usual.
 */
__attribute__((constructor)) static void ctrun_contract_init(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], INIT_ARG) != 0 || getpid() != 1)
		return;
	_exit(init_main());
}
