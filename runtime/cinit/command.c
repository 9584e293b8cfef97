/*
 * command.c: the command's process. The init puts the contract id in the
 * command's environment and forks it once the holder says go; between
 * fork and execve the child puts the user's descriptors at their numbers,
 * takes a terminal, a nested user namespace, the seccomp filter and the
 * holder's signal dispositions (and, in report mode, its descriptor
 * limit). Whatever fails there reaches the init
 * through a status pipe (errno and stage), and the init tells the holder.
 *
 * Apart because most of it runs in the child, where the init's state is a
 * copy that must not be acted on and failing means the status pipe and
 * _exit, never a message of its own.
 */
#include "cinit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Replace (or add) CTRUN_CTID in the command's environment. */
void ct_set_ctid(struct config *c, int id)
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
	if (ct_write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof(map), "%u 0 1\n", c->uid);
	if (ct_write_file("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u 0 1\n", c->gid);
	if (ct_write_file("/proc/self/gid_map", map) < 0)
		return -1;
	return 0;
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
 * An inherited descriptor may sit at or above the limit on open files
 * (ulimit -n lowered after it was opened): the command had it at that
 * number, but dup2 cannot make it there. Raise the limit (the hard one
 * too, as root) just for the placing; *orig is what it was. 1 when raised,
 * 0 when no need, -1 with errno when the limit cannot be raised (EPERM:
 * unprivileged, above the hard limit).
 */
static int raise_nofile(const int *dst, int n, struct rlimit *orig)
{
	int top = -1;
	for (int i = 0; i < n; i++)
		if (dst[i] > top)
			top = dst[i];
	if (getrlimit(RLIMIT_NOFILE, orig) < 0)
		return -1;
	if (top < 0 || (rlim_t)top < orig->rlim_cur)
		return 0;
	struct rlimit r = *orig;
	r.rlim_cur = (rlim_t)top + 1;
	if (r.rlim_max != RLIM_INFINITY && r.rlim_max < r.rlim_cur)
		r.rlim_max = r.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0)
		return -1;
	return 1;
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
	struct rlimit lim;
	int raised = raise_nofile(dst, n, &lim);
	if (raised < 0)
		child_fail(status_fd, CT_STAGE_SETUP);
	for (int i = 0; i < n; i++)
		if (dup2(src[i], dst[i]) < 0)
			child_fail(status_fd, CT_STAGE_SETUP);
	/* The descriptors stay where they are: the kernel checks the limit
	 * when one is made, not while it is open. */
	if (raised && setrlimit(RLIMIT_NOFILE, &lim) < 0)
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
	if (c->flags & CT_F_REPORT)
		ct_report_child_limits();
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
		/* Without CAP_SYS_ADMIN (a container's root has none) a filter
		 * needs no_new_privs: only in the modes made for such places. */
		if ((c->flags & (CT_F_SUBREAPER | CT_F_REPORT)) && !ct_has_cap(CAP_SYS_ADMIN))
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int lfd = ct_install_notify((c->flags & CT_F_REPORT) != 0);
		ct_send_fd(fd_sock, lfd, lfd < 0 ? errno : 0);
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

/* ---------- the init's side ---------- */

/*
 * Whether the command's process may be made with vfork: its parent then
 * waits until it has exec'd, which costs the init nothing, and it runs in
 * the init's memory, which spares it copying the init's page tables and
 * faulting in copies of what it writes (on a machine without cheap page
 * faults, most of the time between fork and execve). Not when the init
 * must answer the child before its execve (the seccomp listener it sends,
 * its notified execve in report mode), and not for the nested user
 * namespace, which unshare refuses to a process sharing its memory on
 * some kernels. The child writes nothing of the init's but its own stack
 * below the init's frame, and ends in execve or _exit.
 */
static int shares_nothing(const struct config *c)
{
	return !(c->flags & (CT_F_NOTIFY | CT_F_REPORT | CT_F_USERNS));
}

/*
 * Fork the command and tell the holder how its start went: CT_M_STARTED,
 * or CT_M_EXECFAIL with what the child wrote to the status pipe (which
 * execve closes on success). -1 with errno when it could not be forked.
 */
int ct_start_command(struct state *s)
{
	int status[2];
	int fdsock[2] = {-1, -1};
	if (pipe2(status, O_CLOEXEC) < 0)
		return -1;
	if ((s->cfg.flags & CT_F_NOTIFY) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fdsock) < 0)
		return -1;
	pid_t pid = shares_nothing(&s->cfg) ? vfork() : fork();
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
	if (s->cfg.flags & CT_F_REPORT)
		ct_report_command(s, pid);
	close(status[1]);
	if (fdsock[1] >= 0)
		close(fdsock[1]);
	if (fdsock[0] >= 0) {
		/* The child sends the listener (or an errno) before it execs. */
		int err;
		int fd = ct_recv_fd(fdsock[0], &err);
		if (fd >= 0) {
			s->notify = fd;
			ct_sync_wake(fd);
		}
		else if (err > 0)
			ct_send_msg(s, CT_M_NOTIFYOFF, err, 0, 0, 0, NULL, 0);
		close(fdsock[0]);
	}
	/* In report mode the filter notifies the command's own execve: the
	 * init must answer it while it waits for the outcome. */
	while ((s->cfg.flags & CT_F_REPORT) && s->notify >= 0) {
		struct pollfd pf[2] = {{.fd = status[0], .events = POLLIN}, {.fd = s->notify, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			close(s->notify);
			s->notify = -1;
		} else if (pf[1].revents) {
			ct_handle_notification(s);
		}
		if (pf[0].revents)
			break;
	}
	int msg[2];
	ssize_t n;
	do {
		n = read(status[0], msg, sizeof(msg));
	} while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n == (ssize_t)sizeof(msg)) {
		ct_send_msg(s, CT_M_EXECFAIL, msg[0], msg[1], 0, 0, NULL, 0);
		return 0;
	}
	ct_send_msg(s, CT_M_STARTED, pid, 0, 0, 0, NULL, 0);
	return 0;
}
