/*
 * endpoint.c: the contract's endpoint, a SOCK_SEQPACKET socket the init
 * listens on (<state dir>/<id>.sock; requests and replies in
 * wire/protocol.h). ctkill -a asks through it for every member to be
 * signalled at once, a new holder takes an orphaned contract over (the
 * connection then becomes its control socket), and a client may ask
 * whether the contract has a holder.
 *
 * Apart because its clients are anyone who can reach the socket, not the
 * holder: one request each, never waited for long.
 */
#include "cinit.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int ct_open_endpoint(const char *path)
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
void ct_handle_endpoint(struct state *s)
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
			ct_stamp(when);
			ct_send_msg(s, CT_M_EXTSENT, m->a, m->b, 0, 0, when, 2);
			/* Answer first: a fatal signal may have the holder kill
			 * us before we could once the members die. */
			reply(fd, CT_M_OK, 0, 0, 0);
			ct_signal_members(s, m->a);
		} else {
			reply(fd, CT_M_OK, 0, 0, 0);
		}
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
