/*
 * cinit.c: the init (PID 1) of every contract.
 *
 * libcontainer builds the contract's namespaces, mounts and cgroup, then
 * execs "ctrun contract-init". That exec lands here, in a constructor that
 * runs before the Go runtime starts: the init never boots Go, so it costs a
 * few hundred kilobytes and no runtime start-up, the way tini and s6 keep an
 * init tiny. Where no PID namespace can be had, the holder forks and execs
 * "ctrun contract-init subreaper" itself: the init is then its child, a
 * child subreaper that no descendant can leave (tree.c tells its members),
 * in the holder's own namespaces. It
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
 *     contract's record;
 *   - where the holder has no process connector (CT_F_REPORT), tells it of
 *     members' forks and exits itself.
 *
 * Nothing here may print to the user's streams: errors travel to the holder
 * as messages.
 *
 * This file is the main loop: the constructor, the wait for go, the
 * holder's requests on the control socket, reaping, and the end. The rest
 * is split by concern, behind cinit.h:
 *
 *   protocol.c  messages, the configuration, descriptor passing
 *   command.c   the command's process, between fork and execve
 *   notify.c    signals sent by members (seccomp user notification), and
 *               in report mode their execs and waits
 *   members.c   finding and signalling members
 *   tree.c      members as the init's descendants (subreaper mode)
 *   report.c    members' forks and exits (report mode)
 *   endpoint.c  the contract's endpoint (ctkill -a, adoption)
 *   cleanup.c   the host root, and the end of an orphaned contract
 *   proc.c      small kernel files (/proc, cgroupfs), capabilities
 *   trim.c      letting go of the binary's pages the start mapped
 */
#include "cinit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
			ct_signal_members(s, SIGKILL);
		return;
	}
	if ((size_t)n < sizeof(struct ct_msg))
		return;
	struct ct_msg *m = (struct ct_msg *)buf;
	if (m->type == CT_M_WATCHEMPTY) {
		s->watch_empty = 1;
		ct_check_own_empty(s);
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
		/* fall through - the command's process is gone */
	case CT_SCOPE_ALL:
		ct_signal_members(s, m->a);
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

/*
 * reap in report mode: each child is looked at before it is reaped, while
 * it still exists, so that a member never seen before is reported (with
 * its parent) before its exit.
 */
static int reap_reporting(struct state *s)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return errno == ECHILD;
		}
		pid_t pid = si.si_pid;
		if (pid <= 0)
			return 0;
		int reported = ct_report_reaping(s, pid);
		int st;
		pid_t r;
		while ((r = waitpid(pid, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (r != pid)
			continue;
		ct_report_reaped(s, pid, st, reported);
		if (pid == s->command) {
			s->command = 0;
			s->cmd_status = st;
			s->cmd_exited = 1;
			ct_send_msg(s, CT_M_CMDEXIT, st, 0, 0, 0, NULL, 0);
		}
	}
}

/* Reap every child that has exited. Returns 1 once no child is left. */
static int reap(struct state *s)
{
	if (s->cfg.flags & CT_F_REPORT)
		return reap_reporting(s);
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
		if (pid > 0) {
			if (pid == s->command) {
				s->command = 0;
				s->cmd_status = st;
				s->cmd_exited = 1;
				ct_send_msg(s, CT_M_CMDEXIT, st, 0, 0, 0, NULL, 0);
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

/*
 * Wait for go; *tidied is set when the rootfs was removed meanwhile (an
 * instance made ahead of its run is told to, so that it is off the
 * command's path and beside nothing when go comes).
 */
static int wait_go(struct state *s, int *tidied)
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
		if (m->type == CT_M_TIDY) {
			/* Not done (the rootfs goes after the start, as
			 * always) when the configuration could not be read. */
			if (!*tidied && ct_tidy_rootfs() == 0)
				*tidied = 1;
			ct_send_msg(s, CT_M_TIDY, 0, 0, 0, 0, NULL, 0);
		}
		if (m->type == CT_M_WHOAMI) {
			/* A holder inside another PID namespace cannot see our
			 * host pid (the contract id): the process connector tells
			 * it, from this change of name. */
			char name[16];
			snprintf(name, sizeof(name), CT_NONCE_FORMAT, (unsigned)m->a);
			prctl(PR_SET_NAME, name, 0, 0, 0);
			prctl(PR_SET_NAME, CT_INIT_NAME, 0, 0, 0);
			ct_send_msg(s, CT_M_WHOAMI, m->a, 0, 0, 0, NULL, 0);
		}
	}
}

static int init_main(int subreaper)
{
	/* Before anything can be orphaned: every orphan below stays ours. */
	if (subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	struct state s;
	memset(&s, 0, sizeof(s));
	s.control = CT_FD_CONTROL;
	s.notify = -1;
	s.endpoint = -1;

	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_NAME, CT_INIT_NAME, 0, 0, 0);
	/* In subreaper mode we are already where the holder is: no host root
	 * to move to, no rootfs to let go of. */
	int root_err = subreaper ? 0 : (ct_enter_host_root() < 0 ? errno : 0);

	/* The holder writes the configuration before it says go. */
	int tidied = 0;
	int id = wait_go(&s, &tidied);
	if (ct_read_config(&s.cfg) < 0) {
		ct_send_msg(&s, CT_M_EXECFAIL, EINVAL, CT_STAGE_SETUP, 0, 0, NULL, 0);
		return 1;
	}
	if (subreaper)
		s.cfg.flags |= CT_F_SUBREAPER;
	if (s.cfg.flags & CT_F_REPORT)
		s.cfg.flags |= CT_F_NOTIFY;
	s.subreaper = (s.cfg.flags & CT_F_SUBREAPER) != 0;
	s.self = getpid();
	s.holder = getppid();
	if (id <= 0) {
		ct_remove_rootfs(s.cfg.rootfs);
		/* The holder died before the command could start. */
		s.orphaned = 1;
		ct_cleanup_orphan(&s);
		return 0;
	}
	if (root_err) {
		ct_send_msg(&s, CT_M_EXECFAIL, root_err, CT_STAGE_ROOT, 0, 0, NULL, 0);
		return 1;
	}
	/* Nothing of ours may reach the command. */
	for (int fd = CT_FD_CONTROL; fd < CT_FD_EXTRA + (int)s.cfg.nextra; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	ct_set_ctid(&s.cfg, id);
	s.endpoint = ct_open_endpoint(s.cfg.endpoint);

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

	if (s.cfg.flags & CT_F_REPORT)
		ct_report_init(&s);
	if (ct_start_command(&s) < 0) {
		ct_send_msg(&s, CT_M_EXECFAIL, errno, CT_STAGE_SETUP, 0, 0, NULL, 0);
		return 1;
	}
	/* The streams belong to the command now. */
	for (int fd = CT_FD_STDIO; fd < CT_FD_EXTRA + (int)s.cfg.nextra; fd++)
		close(fd);
	/* Off the command's path: nobody needs libcontainer's rootfs now. */
	if (!tidied)
		ct_remove_rootfs(s.cfg.rootfs);
	/* The init waits from now on: what its start mapped can go. */
	ct_drop_own_pages();

	/* Children change only with a SIGCHLD: reap at the start and after
	 * one, not at every wake-up (under a fork storm the init wakes for
	 * every notification). */
	int reap_due = 1;
	for (;;) {
		if (reap_due && reap(&s))
			break;
		reap_due = 0;
		ct_check_own_empty(&s);
		struct pollfd pf[6];
		int n = 0;
		pf[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		int ci = -1, ni = -1, ei = -1, ri = -1, zi = -1;
		int rep = (s.cfg.flags & CT_F_REPORT) && ct_report_fd() >= 0;
		if (rep) {
			ri = n;
			pf[n++] = (struct pollfd){.fd = ct_report_fd(), .events = POLLIN};
			int zfd = ct_report_zombie_fd();
			if (zfd >= 0) {
				zi = n;
				pf[n++] = (struct pollfd){.fd = zfd, .events = POLLIN};
			}
		}
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
		if (poll(pf, (nfds_t)n, rep ? ct_report_timeout() : -1) < 0)
			continue;
		if (rep) {
			/* Exits first: a notification below sights pids, and
			 * one of them may be a gone member's, taken anew. */
			if (ri >= 0 && pf[ri].revents)
				ct_report_ready(&s);
			if (zi >= 0 && pf[zi].revents)
				ct_report_zombies(&s);
			ct_report_retry(&s);
		}
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
			reap_due = 1;
		}
		if (ni >= 0 && pf[ni].revents) {
			if (pf[ni].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				close(s.notify);
				s.notify = -1;
			} else {
				ct_handle_notification(&s);
			}
		}
		if (ci >= 0 && pf[ci].revents)
			handle_control(&s);
		if (ei >= 0 && pf[ei].revents)
			ct_handle_endpoint(&s);
	}
	/* No child left, so no member: every exit not yet told. */
	if (s.cfg.flags & CT_F_REPORT)
		ct_report_finish(&s);
	if (s.endpoint >= 0 && s.cfg.endpoint && *s.cfg.endpoint)
		unlink(s.cfg.endpoint);
	if (!s.orphaned && s.control >= 0)
		s.orphaned = holder_let_go(&s);
	if (s.orphaned)
		ct_cleanup_orphan(&s);
	return 0;
}

/*
 * Runs before main() in every binary that links this package. glibc passes
 * argc/argv to constructors; anything but "<binary> contract-init" as PID
 * 1, "<binary> contract-init subreaper" or "<binary> contract-init probe"
 * returns at once and the Go program starts as usual. The probe only tells
 * its holder that it could be started (in a new PID namespace): it must
 * cost nothing.
 */
__attribute__((constructor)) static void ctrun_contract_init(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], CT_INIT_ARG) != 0)
		return;
	if (argc >= 3 && strcmp(argv[2], CT_INIT_PROBE_ARG) == 0)
		_exit(0);
	int subreaper = argc >= 3 && strcmp(argv[2], CT_INIT_SUBREAPER_ARG) == 0;
	if (!subreaper && getpid() != 1)
		return;
	_exit(init_main(subreaper));
}
