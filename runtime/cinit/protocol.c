/*
 * protocol.c: the init's end of wire/protocol.h. Messages to the holder
 * (some with credentials that name a member), the time stamp signal
 * records carry, the configuration the holder writes to a memfd, and the
 * passing of a descriptor over a unix socket (the command's child hands
 * the init its seccomp listener).
 *
 * Kept apart from what the init does with them, so that every byte the
 * init puts on the wire or reads from the holder is written here, next to
 * the header that defines it.
 */
#include "cinit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---------- messages to the holder ---------- */

/*
 * The message in one buffer for all: the init sends one at a time, and
 * under a fork storm it sends one for every exec, wait and exit of every
 * member. The largest is a CT_M_SENT record: a time and the targets.
 */
static union {
	struct ct_msg m;
	char bytes[sizeof(struct ct_msg) + (2 + CT_MAX_TARGETS) * sizeof(int)];
} out;

static struct ct_msg *build_msg(size_t *len, int type, int a, int b, int c, int d, const int *data, int n)
{
	if (n < 0 || (size_t)n > 2 + CT_MAX_TARGETS)
		return NULL;
	*len = sizeof(struct ct_msg) + (size_t)n * sizeof(int);
	struct ct_msg *m = &out.m;
	m->type = type;
	m->a = a;
	m->b = b;
	m->c = c;
	m->d = d;
	m->n = n;
	if (n > 0)
		memcpy(m->data, data, (size_t)n * sizeof(int));
	return m;
}

/* MSG_NOSIGNAL: a dead holder must not kill the init with SIGPIPE. */
static void send_one(struct state *s, const void *m, size_t len)
{
	while (send(s->control, m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* Queued messages are kept as a length word and the message. */
static int queue(struct state *s, const void *m, size_t len)
{
	size_t need = s->outq_len + sizeof(size_t) + len;
	if (need > s->outq_cap) {
		size_t cap = s->outq_cap ? s->outq_cap * 2 : 4096;
		while (cap < need)
			cap *= 2;
		char *q = realloc(s->outq, cap);
		if (!q)
			return -1;
		s->outq = q;
		s->outq_cap = cap;
	}
	memcpy(s->outq + s->outq_len, &len, sizeof(size_t));
	memcpy(s->outq + s->outq_len + sizeof(size_t), m, len);
	s->outq_len = need;
	return 0;
}

void ct_send_msg(struct state *s, int type, int a, int b, int c, int d, const int *data, int n)
{
	if (s->control < 0)
		return;
	size_t len;
	struct ct_msg *m = build_msg(&len, type, a, b, c, d, data, n);
	if (!m)
		return;
	if (s->deferring && queue(s, m, len) == 0)
		return;
	send_one(s, m, len);
}

/*
 * Hold back the messages to the holder until ct_flush_msgs: a member's
 * call waits for the init's answer, and a send that wakes the holder
 * costs a wake-up on another CPU, dear on a virtual machine, that the
 * member would wait for too. Only for reports (forks, exits), never for a
 * signal's record, which must reach the holder before the signal can.
 */
void ct_defer_msgs(struct state *s) { s->deferring = 1; }

void ct_flush_msgs(struct state *s)
{
	s->deferring = 0;
	for (size_t off = 0; off < s->outq_len;) {
		size_t len;
		memcpy(&len, s->outq + off, sizeof(size_t));
		send_one(s, s->outq + off + sizeof(size_t), len);
		off += sizeof(size_t) + len;
	}
	s->outq_len = 0;
}

/*
 * ct_send_msg with SCM_CREDENTIALS naming process pid (a pid of our
 * namespace) and our own uid and gid: the kernel gives the receiver the
 * pid in its own PID namespace, which is how a holder outside learns a
 * member's pid. Naming another process needs CAP_SYS_ADMIN over our PID
 * namespace (the init is root of its user namespace). -1 with errno when
 * the kernel refused the credentials (ESRCH: pid is gone; EPERM) and
 * nothing was sent, so that the caller can send without them.
 */
int ct_send_msg_cred(struct state *s, pid_t pid, int type, int a, int b, int c, int d, const int *data, int n)
{
	if (s->control < 0)
		return 0;
	size_t len;
	struct ct_msg *m = build_msg(&len, type, a, b, c, d, data, n);
	if (!m)
		return 0;
	/* Our ids never change: asked once, not for every member's fork. */
	static uid_t uid = (uid_t)-1;
	static gid_t gid;
	if (uid == (uid_t)-1) {
		uid = getuid();
		gid = getgid();
	}
	struct ucred cred = {.pid = pid, .uid = uid, .gid = gid};
	struct iovec iov = {.iov_base = m, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
	ssize_t r;
	while ((r = sendmsg(s->control, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	int err = errno;
	if (r < 0 && (err == ESRCH || err == EPERM || err == EINVAL)) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * ct_stamp writes CLOCK_MONOTONIC in ns (low, high word) to out: a signal
 * record carries the time the init saw the request, not the time its
 * holder reads it (which, under load, may be milliseconds later), so that
 * it is never taken to explain the death of a process born after it.
 */
void ct_stamp(int out[2])
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	out[0] = (int)(uint32_t)ns;
	out[1] = (int)(uint32_t)(ns >> 32);
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

/* The holder's side is wire.Config.Encode (wire/protocol.go). */
static int parse_config(struct config *c, const char *buf, size_t len)
{
	struct reader r = {buf, len, 0, 0};
	if (len < CT_CONFIG_MAGIC_LEN || memcmp(buf, CT_CONFIG_MAGIC, CT_CONFIG_MAGIC_LEN) != 0)
		return -1;
	r.off = CT_CONFIG_MAGIC_LEN;
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

/*
 * Read the configuration. keep: leave the memfd open, to be read again
 * (a tidy before go reads it once, go once more).
 */
static int read_config(struct config *c, int keep)
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
		if (n <= 0) {
			free(buf);
			return -1;
		}
		got += (size_t)n;
	}
	if (!keep)
		close(CT_FD_CONFIG);
	int err = parse_config(c, buf, got);
	free(buf);
	return err;
}

int ct_read_config(struct config *c) { return read_config(c, 0); }

static void free_strs(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void ct_free_config(struct config *c)
{
	free(c->path);
	free(c->cwd);
	free_strs(c->argv);
	free_strs(c->envp);
	free_strs(c->cgroups);
	free(c->rootfs);
	free(c->record);
	free(c->endpoint);
	free(c->extra_targets);
	memset(c, 0, sizeof(*c));
}

int ct_tidy_rootfs(void)
{
	struct config c;
	memset(&c, 0, sizeof(c));
	int err = read_config(&c, 1);
	if (err == 0)
		ct_remove_rootfs(c.rootfs);
	ct_free_config(&c);
	return err;
}

/* ---------- descriptor passing ---------- */

/*
 * The command's child hands the init its seccomp listener: a 4-byte
 * payload (0, or the errno that kept the filter from being installed) and,
 * on success, the descriptor.
 */
int ct_send_fd(int sock, int fd, int err)
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

/* The other end of ct_send_fd: the descriptor, or -1 with *err set (0 when
 * the child died before it could say). */
int ct_recv_fd(int sock, int *err)
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
