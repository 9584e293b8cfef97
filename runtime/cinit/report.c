/*
 * report.c: members' forks and exits, told to the holder by the init
 * itself (CT_F_REPORT, CT_M_PROC) where the kernel's process-events
 * connector cannot be had (it serves only the host's first network
 * namespace, and every container has its own).
 *
 * A member is "sighted" the first time the init learns of it: the command
 * when it is forked, and through the seccomp filter (notify.c) the thread
 * group of every caller of a notified system call (execve and wait4 among
 * them), and, before a wait4 or waitid may go on, every child of the
 * caller, so that a child about to be reaped by its own parent is known
 * while it still exists. Sighting opens a pidfd and puts it in an epoll
 * set. Where the kernel keeps a reaped process's exit for its pidfds
 * (PIDFD_INFO_EXIT, Linux 6.15), the set wakes the init only when a
 * member is reaped (the pidfd hangs up), and the wait status comes from
 * the pidfd; a second set, looked at every ZOMBIE_MS at most, finds the
 * zombies a live parent leaves unreaped, whose status comes from their
 * stat line. On older kernels the pidfd wakes the init at the exit, and
 * the status comes from the zombie's stat line, or is unknown. The init's
 * own children are reported from the init's reaping, with the exact
 * status.
 *
 * Apart because it keeps state of its own (the member table: pid -> pidfd,
 * open-addressed, for thousands of members) that the main loop, the
 * notification handler and the reaping all feed, and each pid must be
 * reported once: its FORK before its EXIT, every EXIT before the init
 * exits.
 */
#include "cinit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

/*
 * Linux 6.15's pidfd information (linux/pidfd.h), which Debian 12's headers
 * predate; named our own way so that newer headers cannot clash. The
 * kernel takes the size from the request: a later, longer layout still
 * answers this one.
 */
struct ct_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, spare1;
};
#define CT_PIDFD_GET_INFO _IOWR(0xFF, 11, struct ct_pidfd_info)
#define CT_PIDFD_INFO_PID (1ULL << 0)
#define CT_PIDFD_INFO_EXIT (1ULL << 3)

/* How many unknown ancestors one sighting names at most. */
#define MAX_CHAIN 64
/* Older kernels (no PIDFD_INFO_EXIT): how often a zombie whose status we
 * may not read is asked again, and how often the zombies already reported
 * are looked for their reaping. */
#define PENDING_MS 20
#define DONE_MS 200
/*
 * An exit is left for its parent's reaping, which nearly always follows at
 * once, rather than read from its zombie's /proc files (a handful of
 * system calls for every member that ends, under a fork storm the init's
 * main cost): the zombies are looked for at most every ZOMBIE_MS, and one
 * found is read as a zombie once it has been one ZOMBIE_MS. (Older
 * kernels: asked again after PATIENT_MS, read as a zombie after
 * ZOMBIE_MS.)
 */
#define PATIENT_MS 3
#define ZOMBIE_MS 30

enum {
	LIVE = 1, /* its pidfd is in the epoll set */
	CHILD,    /* our own child, exited: left to the reaping */
	PENDING,  /* exited, a zombie we may not read: asked again until reaped
		   * (with PIDFD_INFO_EXIT: left to its reaping) */
	DONE,     /* exited and reported while a zombie: kept until reaped, so
		   * that its reaping by the init (it may still be orphaned to
		   * us) reports nothing twice */
	ZOMBIE,   /* with PIDFD_INFO_EXIT: exited, not reaped yet; read as a
		   * zombie if still one ZOMBIE_MS after it was found */
};

struct member {
	int pid, fd, state;
	int cfd, tfd; /* a waiter's children file and task directory, or -1 */
	long long since; /* CLOCK_MONOTONIC ms it went PENDING or ZOMBIE */
};

static struct member *tab; /* open addressing, linear probing; pid 0: free */
static size_t cap, count, pending, done, zombies;
static int epfd = -1;
/* With PIDFD_INFO_EXIT: the set of pidfds that turn readable at an exit
 * (each once: EPOLLONESHOT), looked at every ZOMBIE_MS at most (zdue), to
 * find the zombies a live parent does not reap. epfd then only wakes at a
 * reaping. */
static int zfd = -1;
static long long zdue;
static int disabled;      /* no pidfds: only the reaped children are reported */
static int noreport_sent; /* CT_M_NOREPORT goes once */
static int exit_info = -1; /* PIDFD_INFO_EXIT: 1 the kernel has it, 0 not, -1 not yet known */
static int may_ptrace = -1;
static long long due; /* CLOCK_MONOTONIC ms the pending and done are next looked at; 0: not */
static struct rlimit child_nofile;
static int nofile_raised;
static size_t nofile_max, waiters; /* the init's descriptor limit; waiters whose descriptors are kept */

/* ---------- the member table ---------- */

static size_t slot(int pid) { return ((uint32_t)pid * 2654435761u) & (cap - 1); }

static struct member *find(int pid)
{
	if (!cap || pid <= 0)
		return NULL;
	for (size_t i = slot(pid);; i = (i + 1) & (cap - 1)) {
		if (tab[i].pid == pid)
			return &tab[i];
		if (!tab[i].pid)
			return NULL;
	}
}

static int grow(void)
{
	size_t ocap = cap, ncap = cap ? 2 * cap : 1024;
	struct member *old = tab, *v = calloc(ncap, sizeof(*v));
	if (!v)
		return -1;
	tab = v;
	cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].pid)
			continue;
		size_t j = slot(old[i].pid);
		while (tab[j].pid)
			j = (j + 1) & (cap - 1);
		tab[j] = old[i];
	}
	free(old);
	return 0;
}

static struct member *insert(int pid, int fd)
{
	if ((count + 1) * 2 > cap && grow() < 0)
		return NULL;
	size_t i = slot(pid);
	while (tab[i].pid)
		i = (i + 1) & (cap - 1);
	tab[i] = (struct member){.pid = pid, .fd = fd, .state = LIVE, .cfd = -1, .tfd = -1};
	count++;
	return &tab[i];
}

/* Drop an entry (closing its pidfd takes it out of the epoll set), and
 * shift back the entries its slot kept from their own. */
static void forget(struct member *m)
{
	if (m->state == PENDING)
		pending--;
	if (m->state == DONE)
		done--;
	if (m->state == ZOMBIE)
		zombies--;
	close(m->fd);
	if (m->cfd >= 0)
		close(m->cfd);
	if (m->tfd >= 0) {
		close(m->tfd);
		waiters--;
	}
	size_t i = (size_t)(m - tab);
	for (size_t j = i;;) {
		j = (j + 1) & (cap - 1);
		if (!tab[j].pid)
			break;
		size_t k = slot(tab[j].pid);
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			tab[i] = tab[j];
			i = j;
		}
	}
	tab[i].pid = 0;
	count--;
}

int ct_report_known(int pid) { return find(pid) != NULL; }

/* ---------- messages ---------- */

static void noreport(struct state *s, int err)
{
	if (noreport_sent)
		return;
	noreport_sent = 1;
	ct_send_msg(s, CT_M_NOREPORT, err, 0, 0, 0, NULL, 0);
}

/* Outside subreaper mode the holder sees other pids than ours: the
 * credentials name the member, and the kernel translates. */
static void send_fork(struct state *s, int pid, int ppid)
{
	int when[2];
	ct_stamp(when);
	if (!s->subreaper && ct_send_msg_cred(s, pid, CT_M_PROC, CT_PROC_FORK, pid, ppid, 0, when, 2) == 0)
		return;
	ct_send_msg(s, CT_M_PROC, CT_PROC_FORK, pid, ppid, s->subreaper ? 0 : CT_PROC_NOCRED, when, 2);
}

static void send_exit(struct state *s, int pid, int status, int known)
{
	int when[2];
	ct_stamp(when);
	ct_send_msg(s, CT_M_PROC, CT_PROC_EXIT, pid, known ? status : 0, known ? 0 : CT_PROC_NOSTATUS, when, 2);
}

/* ---------- set-up ---------- */

/*
 * The epoll set, a first pidfd (without pidfd_open, Linux < 5.3, only the
 * reaped children can be reported: the holder is told at once), and room
 * for a pidfd per member: the soft descriptor limit goes up to the hard
 * one, and back down in the command (ct_report_child_limits).
 */
void ct_report_init(struct state *s)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	int fd = epfd < 0 ? -1 : (int)syscall(__NR_pidfd_open, s->self, 0);
	if (fd < 0) {
		disabled = 1;
		noreport(s, errno);
		return;
	}
	/* Whether the kernel has pidfd information (Linux 6.13; the exit in
	 * it, 6.15): then a pidfd hangs up when its process is reaped (6.9),
	 * and the exits can wait for it. */
	struct ct_pidfd_info info;
	memset(&info, 0, sizeof(info));
	exit_info = ioctl(fd, CT_PIDFD_GET_INFO, &info) == 0;
	close(fd);
	if (exit_info)
		zfd = epoll_create1(EPOLL_CLOEXEC);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		child_nofile = rl;
		rl.rlim_cur = rl.rlim_max;
		nofile_raised = setrlimit(RLIMIT_NOFILE, &rl) == 0;
	}
}

/* In the command's process, before execve: the limit it would have had. */
void ct_report_child_limits(void)
{
	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &child_nofile);
}

int ct_report_fd(void) { return disabled ? -1 : epfd; }

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Look at the pending and done entries again within ms (at a deadline,
 * not on every wake-up: there may be thousands of them). */
static void schedule(int ms)
{
	long long t = now_ms() + ms;
	if (!due || t < due)
		due = t;
}

/*
 * The set that finds zombies, for the main loop to wait on, or -1: none,
 * or it was looked at less than ZOMBIE_MS ago (a fork storm's every exit
 * would wake the init otherwise; nearly every zombie is reaped by then).
 */
int ct_report_zombie_fd(void)
{
	if (disabled || zfd < 0)
		return -1;
	if (zdue && now_ms() >= zdue)
		zdue = 0;
	return zdue ? -1 : zfd;
}

/* The main loop's poll timeout: the next deadline, and the end of the
 * zombie set's rest while there are members to find among the zombies. */
int ct_report_timeout(void)
{
	long long t = due;
	if (zdue && count && (!t || zdue < t))
		t = zdue;
	if (!t)
		return -1;
	long long left = t - now_ms();
	return left > 0 ? (int)left : 0;
}

/* ---------- sighting ---------- */

/*
 * Watch pid through its pidfd fd (opened here if -1, else ours to keep or
 * close) and report the fork. 1 done; 0 gone already; -1 it cannot be
 * followed (the holder is told once why). With pidfd exit information
 * the pidfd wakes the init once the member is reaped (EPOLLHUP), and
 * the zombie set has it once (EPOLLONESHOT) when it exits.
 */
static int track(struct state *s, int pid, int ppid, int fd)
{
	if (disabled) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0)
		fd = (int)syscall(__NR_pidfd_open, pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return 0;
		noreport(s, errno);
		return -1;
	}
	uint64_t key = (uint64_t)(uint32_t)fd << 32 | (uint32_t)pid;
	struct epoll_event ev = {.events = zfd >= 0 ? EPOLLHUP : EPOLLIN, .data.u64 = key};
	struct epoll_event zev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = key};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 || (zfd >= 0 && epoll_ctl(zfd, EPOLL_CTL_ADD, fd, &zev) < 0) ||
	    !insert(pid, fd)) {
		noreport(s, errno);
		close(fd);
		return -1;
	}
	send_fork(s, pid, ppid);
	return 1;
}

static void resolve(struct state *s, struct member *m, int final);

/* Whether the process of m's pidfd is reaped (its pid free for another). */
static int reaped(const struct member *m)
{
	return syscall(__NR_pidfd_send_signal, m->fd, 0, NULL, 0) < 0 && errno == ESRCH;
}

/* The entry of pid, if any. A pending or done one is looked at first: its
 * process may have been reaped and its pid taken by a new one. */
static struct member *current(struct state *s, int pid)
{
	struct member *m = find(pid);
	if (zfd >= 0)
		return m; /* the reaped ones are dropped as they hang up */
	if (m && m->state == PENDING) {
		resolve(s, m, 0);
		m = find(pid);
	}
	if (m && m->state == DONE && reaped(m)) {
		forget(m);
		m = NULL;
	}
	return m;
}

/* Whether pid is a followed member (ct_report_ready has run). */
int ct_report_followed(struct state *s, int pid) { return current(s, pid) != NULL; }

/*
 * Sight pid (a thread-group id) and the ancestors the init has not seen
 * (eldest first, so that each parent is reported before its child).
 * Returns 1 when pid is a followed member, -1 a member that cannot be
 * followed, 0 no member (a sub-contract's, the init, gone).
 */
int ct_report_sight(struct state *s, int pid) { return ct_report_sight_fd(s, pid, -1); }

/*
 * ct_report_sight, with fd a pidfd of pid (ours to keep or close) opened
 * while pid was a live thread-group leader, or -1. Without a namespace of
 * our own, a process whose parent (as its pidfd tells) is a followed
 * member is one too, and is followed without a walk up /proc: no
 * sub-contract's init is ever followed, nor anything below one. (It is
 * not one itself: such an init never execs, and fd is an exec's.)
 */
int ct_report_sight_fd(struct state *s, int pid, int fd)
{
	if (disabled || pid <= 0 || pid == s->self || current(s, pid)) {
		if (fd >= 0)
			close(fd);
		return disabled || pid <= 0 || pid == s->self ? 0 : 1;
	}
	if (fd >= 0 && s->subreaper) {
		struct ct_pidfd_info info;
		memset(&info, 0, sizeof(info));
		if (ioctl(fd, CT_PIDFD_GET_INFO, &info) == 0 && (info.mask & CT_PIDFD_INFO_PID) && info.ppid > 0 &&
		    (int)info.ppid != s->self && current(s, (int)info.ppid))
			return track(s, pid, (int)info.ppid, fd);
	}
	struct ct_link chain[MAX_CHAIN];
	int n;
	if (!ct_ancestry(s, pid, ct_report_known, chain, MAX_CHAIN, &n) || n == 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int r = 0;
	for (int i = n - 1; i >= 0; i--)
		r = track(s, chain[i].pid, chain[i].ppid, i == 0 && chain[0].pid == pid ? fd : -1);
	if (fd >= 0 && chain[0].pid != pid)
		close(fd);
	return r;
}

/* The command, just forked: our child, still under our name (so no
 * sub-contract's init), not yet able to exit unseen. */
void ct_report_command(struct state *s, int pid)
{
	track(s, pid, s->self, -1);
}

/* Sight the pids listed in buf (a children file) that the init does not
 * know. */
static void sight_listed(struct state *s, char *buf)
{
	for (char *p = buf, *end; *p; p = end) {
		long child = strtol(p, &end, 10);
		if (end == p)
			break;
		/* Listed as a child, a followed one is the same process:
		 * unreaped, its pid cannot have been taken. Only a reported or
		 * pending one may be stale (ct_report_ready has just dropped
		 * the other gone ones). */
		struct member *m = find((int)child);
		if (!m || (zfd < 0 && (m->state == DONE || m->state == PENDING)))
			ct_report_sight(s, (int)child);
	}
}

static void sight_file(struct state *s, const char *path)
{
	char buf[4096];
	if (ct_read_small(AT_FDCWD, path, buf, sizeof(buf)) > 0)
		sight_listed(s, buf);
}

/* Whether a waiter's descriptors may be kept: the pidfds come first, so
 * the kept ones stay within three quarters of the init's descriptor
 * limit with them. */
static int room_to_keep(void)
{
	struct rlimit rl;
	if (!nofile_max) {
		nofile_max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (size_t)rl.rlim_cur : 1 << 20;
	}
	return count + 2 * waiters + 64 < nofile_max / 4 * 3;
}

/*
 * A followed waiter's single thread's children, through descriptors kept
 * from its first wait on (a waiter waits again and again: a shell for
 * every command): 1 done, 0 it has more threads, -1 they cannot be had.
 * They are the process's own, not its pid's: /proc files stay with the
 * process they were opened for.
 */
static int sight_kept(struct state *s, struct member *m)
{
	char path[64];
	if ((m->tfd < 0 || m->cfd < 0) && !room_to_keep())
		return -1;
	if (m->tfd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/task", m->pid);
		m->tfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->tfd < 0)
			return -1;
		waiters++;
	}
	/* A task directory links to itself, its parent and each thread,
	 * counted when asked. */
	struct stat st;
	if (fstat(m->tfd, &st) < 0)
		return -1;
	if (st.st_nlink > 3)
		return 0;
	if (m->cfd < 0) {
		snprintf(path, sizeof(path), "%d/children", m->pid);
		m->cfd = openat(m->tfd, path, O_RDONLY | O_CLOEXEC);
		if (m->cfd < 0)
			return -1;
	}
	char buf[4096];
	ssize_t n = pread(m->cfd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = 0;
	sight_listed(s, buf);
	return 1;
}

/*
 * Before a wait4 or waitid of tgid goes on: sight every child of it the
 * init does not know, zombies included, so that one its parent is about to
 * reap is known while it exists (its status then comes from its pidfd).
 */
void ct_report_children(struct state *s, int tgid)
{
	struct member *m = find(tgid);
	int r = m ? sight_kept(s, m) : -1;
	if (r > 0)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	/* A task directory links to itself, its parent and each thread: a
	 * single thread (nearly every waiter) has one children file to read,
	 * without listing the directory. */
	struct stat st;
	if (stat(path, &st) < 0)
		return;
	if (st.st_nlink <= 3) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", tgid, tgid);
		sight_file(s, path);
		return;
	}
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char f[300];
		snprintf(f, sizeof(f), "/proc/%d/task/%s/children", tgid, e->d_name);
		sight_file(s, f);
	}
	closedir(d);
}

/* ---------- exits ---------- */

/* Ids of a status line ("Uid:" or "Gid:"): real, effective, saved. */
static int same_ids(const char *line, unsigned own)
{
	unsigned r, e, sv;
	if (sscanf(line, "%u %u %u", &r, &e, &sv) != 3)
		return 0;
	return r == own && e == own && sv == own;
}

/*
 * May we read the exit code in the stat line of dfd (an open /proc/<pid>
 * of a zombie)? The kernel shows it only to who may ptrace-read the
 * process, and writes 0 otherwise, which would pass for a clean exit: for
 * a zombie that is CAP_SYS_PTRACE, or the same real, effective and saved
 * uid and gid as ours (a zombie has no mm: its dumpability is not asked).
 */
static int may_read_exit(int dfd)
{
	static unsigned euid, egid;
	if (may_ptrace < 0) {
		may_ptrace = ct_has_cap(CAP_SYS_PTRACE);
		euid = (unsigned)geteuid();
		egid = (unsigned)getegid();
	}
	if (may_ptrace)
		return 1;
	static const char *const keys[] = {"Uid:", "Gid:"};
	char *ids[2] = {NULL, NULL};
	ct_proc_fields(dfd, "status", keys, ids, 2);
	int ok = ids[0] && ids[1] && same_ids(ids[0], euid) && same_ids(ids[1], egid);
	free(ids[0]);
	free(ids[1]);
	return ok;
}

/*
 * The wait status of an exited member. 1: *status has it; 2: the same,
 * from a zombie (not reaped yet); 0: it cannot be learnt; -1: not yet (a
 * zombie whose stat line we may not read, on a kernel whose pidfd will
 * tell once it is reaped).
 */
static int exit_status(struct member *m, int *status, int patient)
{
	for (int attempt = 0;; attempt++) {
		if (exit_info != 0) {
			struct ct_pidfd_info info;
			memset(&info, 0, sizeof(info));
			info.mask = CT_PIDFD_INFO_EXIT;
			if (ioctl(m->fd, CT_PIDFD_GET_INFO, &info) == 0) {
				exit_info = 1;
				if (info.mask & CT_PIDFD_INFO_EXIT) {
					*status = info.exit_code;
					return 1;
				}
			} else if (errno == ENOTTY || errno == EINVAL) {
				exit_info = 0; /* older than 6.13, or than 6.15 */
			}
		}
		if (attempt > 0)
			return 0;
		if (patient && exit_info == 1)
			return -1; /* its reaping will tell */
		/* While a zombie, its stat line has it. Take its /proc directory
		 * first, then ask the pidfd whether it is still unreaped: if so
		 * the directory is this process's, not a newer one's with its
		 * pid. */
		char path[32];
		snprintf(path, sizeof(path), "/proc/%d", m->pid);
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue; /* reaped meanwhile: the pidfd again */
		struct ct_pstat st;
		int here = syscall(__NR_pidfd_send_signal, m->fd, 0, NULL, 0) == 0 || errno == EPERM;
		int r = here ? ct_proc_stat(dfd, m->pid, &st) : -1;
		int readable = r == 0 && st.state == 'Z' && may_read_exit(dfd);
		close(dfd);
		if (r < 0)
			continue;
		if (readable) {
			*status = st.exit_code;
			return 2;
		}
		/* A zombie we may not read: its reaping will tell (and if the
		 * parent never reaps it, it stays a member). */
		return exit_info == 1 ? -1 : 0;
	}
}

/* Report m's exit if its status is to be had now (final: the contract is
 * over, whatever can be had), and drop it. */
static void resolve(struct state *s, struct member *m, int final)
{
	int status = 0;
	int patient = !final && (m->state == LIVE || (m->state == PENDING && now_ms() - m->since < ZOMBIE_MS));
	int r = final && m->state == DONE ? 3 : exit_status(m, &status, patient);
	if (r < 0 && !final) {
		if (m->state == LIVE) {
			epoll_ctl(epfd, EPOLL_CTL_DEL, m->fd, NULL);
			m->state = PENDING;
			m->since = now_ms();
			pending++;
		}
		schedule(patient ? PATIENT_MS : PENDING_MS);
		return;
	}
	if (r != 3)
		send_exit(s, m->pid, status, r > 0);
	if (r == 2 && !final) {
		/* Reported, still a zombie: kept until it is reaped. */
		if (m->state == LIVE)
			epoll_ctl(epfd, EPOLL_CTL_DEL, m->fd, NULL);
		if (m->state == PENDING)
			pending--;
		m->state = DONE;
		done++;
		schedule(DONE_MS);
		return;
	}
	forget(m);
}

/* m's pidfd is readable: it has exited. Our own child is left to the
 * reaping, which has its exact status. */
static void exited(struct state *s, struct member *m)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)m->pid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 && si.si_pid == m->pid) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, m->fd, NULL);
		m->state = CHILD;
		return;
	}
	resolve(s, m, 0);
}

/* With PIDFD_INFO_EXIT: m's pidfd hung up, it is reaped. Its exit,
 * unless told already, with the status its pidfd keeps. */
static void reaped_member(struct state *s, struct member *m)
{
	if (m->state != DONE) {
		int status = 0;
		int r = exit_status(m, &status, 0);
		send_exit(s, m->pid, status, r > 0);
	}
	forget(m);
}

/* With PIDFD_INFO_EXIT: m has been a zombie for ZOMBIE_MS, its parent
 * alive and not reaping it. Its exit from its stat line; one we may not
 * read is left to its reaping. */
static void zombie_due(struct state *s, struct member *m)
{
	int status = 0;
	int r = exit_status(m, &status, 0);
	if (r < 0) {
		zombies--;
		m->state = PENDING;
		pending++;
		return;
	}
	send_exit(s, m->pid, status, r > 0);
	if (r != 2) {
		forget(m);
		return;
	}
	zombies--;
	m->state = DONE;
	done++;
}

/* Report the members whose pidfd is readable (with PIDFD_INFO_EXIT:
 * hung up, reaped). Called before every sighting too: a pid seen anew
 * may be that of one that has gone. */
void ct_report_ready(struct state *s)
{
	if (disabled || !count)
		return;
	struct epoll_event ev[64];
	int n;
	do {
		n = epoll_wait(epfd, ev, 64, 0);
		for (int i = 0; i < n; i++) {
			int pid = (int)(uint32_t)ev[i].data.u64, fd = (int)(ev[i].data.u64 >> 32);
			struct member *m = find(pid);
			if (!m || m->fd != fd)
				continue;
			if (zfd >= 0)
				reaped_member(s, m);
			else if (m->state == LIVE)
				exited(s, m);
		}
	} while (n == 64);
}

/* With PIDFD_INFO_EXIT: the zombie set has members that have exited.
 * Those not reaped yet are read as zombies once they have been ones for
 * ZOMBIE_MS; the set rests as long. */
void ct_report_zombies(struct state *s)
{
	if (disabled || zfd < 0)
		return;
	long long now = now_ms();
	zdue = now + ZOMBIE_MS;
	ct_report_ready(s); /* the reaped are in the set too: drop them first */
	struct epoll_event ev[64];
	int n;
	do {
		n = epoll_wait(zfd, ev, 64, 0);
		for (int i = 0; i < n; i++) {
			int pid = (int)(uint32_t)ev[i].data.u64, fd = (int)(ev[i].data.u64 >> 32);
			struct member *m = find(pid);
			if (m && m->fd == fd && m->state == LIVE) {
				m->state = ZOMBIE;
				m->since = now;
				zombies++;
			}
		}
	} while (n == 64);
	if (zombies)
		schedule(ZOMBIE_MS);
}

/* With PIDFD_INFO_EXIT, once ct_report_timeout is up: the zombies found
 * ZOMBIE_MS ago and still not reaped. */
static void zombies_due(struct state *s)
{
	long long now = now_ms(), next = 0;
	size_t n = 0;
	int *pids = zombies ? malloc(zombies * sizeof(int)) : NULL;
	if (!pids)
		return;
	for (size_t i = 0; i < cap && n < zombies; i++)
		if (tab[i].pid && tab[i].state == ZOMBIE)
			pids[n++] = tab[i].pid;
	for (size_t i = 0; i < n; i++) {
		struct member *m = find(pids[i]);
		if (!m || m->state != ZOMBIE)
			continue;
		if (now - m->since >= ZOMBIE_MS)
			zombie_due(s, m);
		else if (!next || m->since + ZOMBIE_MS < next)
			next = m->since + ZOMBIE_MS;
	}
	free(pids);
	if (next)
		schedule((int)(next - now));
}

/* Once ct_report_timeout is up: ask the pending zombies again, and drop
 * the reported ones that are reaped (their pidfds would pile up). */
void ct_report_retry(struct state *s)
{
	if (!due || now_ms() < due)
		return;
	due = 0;
	if (zfd >= 0) {
		zombies_due(s);
		return;
	}
	size_t want = pending + done, n = 0;
	int *pids = want ? malloc(want * sizeof(int)) : NULL;
	if (pids) {
		for (size_t i = 0; i < cap && n < want; i++)
			if (tab[i].pid && (tab[i].state == PENDING || tab[i].state == DONE))
				pids[n++] = tab[i].pid;
		for (size_t i = 0; i < n; i++)
			current(s, pids[i]);
		free(pids);
	}
	if (pending)
		schedule(PENDING_MS);
	else if (done)
		schedule(DONE_MS);
}

/*
 * The init is about to reap its child pid (still a zombie): make sure it
 * has been reported, as every pid is, from a notification or just now.
 * Returns whether it is reported (ct_report_reaped then reports its
 * exit). One that cannot be followed is reported here all the same: its
 * exit follows at once.
 */
int ct_report_reaping(struct state *s, int pid)
{
	ct_report_ready(s);
	if (current(s, pid))
		return 1; /* known (done: its exit is told already) */
	struct ct_link chain[1];
	int n;
	if (!ct_ancestry(s, pid, NULL, chain, 1, &n) || n == 0)
		return 0; /* a sub-contract's init */
	if (track(s, pid, chain[0].ppid, -1) == 1)
		return 1;
	send_fork(s, pid, chain[0].ppid);
	return 1;
}

/* The init has reaped pid with status: its exit, exact, unless it was
 * told already. */
void ct_report_reaped(struct state *s, int pid, int status, int reported)
{
	struct member *m = find(pid);
	if (m) {
		if (m->state != DONE)
			send_exit(s, pid, status, 1);
		forget(m);
	} else if (reported) {
		send_exit(s, pid, status, 1);
	}
}

/*
 * The init has no child left, so no member is left: report every exit not
 * reported yet, before the holder reads the end of the control socket.
 */
void ct_report_finish(struct state *s)
{
	ct_report_ready(s);
	while (count) {
		for (size_t i = 0; i < cap;) {
			if (tab[i].pid)
				resolve(s, &tab[i], 1); /* an entry shifted back may take the slot: look again */
			else
				i++;
		}
	}
}
