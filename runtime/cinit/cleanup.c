/*
 * cleanup.c: letting go of what libcontainer and the holder leave behind.
 * At start the init moves to the host's root so that libcontainer's rootfs
 * directory can go; once it is the last process of an orphaned contract it
 * removes what the holder would have removed: the cgroup, the endpoint,
 * the contract's record, stale holder sockets and an empty state
 * directory.
 *
 * Apart because all of it removes things outside the contract, by paths
 * the holder gave: each step is careful never to follow what it should not.
 */
#include "cinit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Make the host's root (bound at /host by libcontainer) the contract's
 * root, with the contract's own /proc on it, and let go of libcontainer's
 * rootfs directory.
 */
int ct_enter_host_root(void)
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
void ct_remove_rootfs(const char *rootfs)
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
 * SIGKILL leaves its socket; nobody answering on it is the proof). They
 * are named CT_HOLDER_SOCK_PREFIX <host pid> CT_SOCK_SUFFIX.
 */
static void remove_stale_holder_sockets(const char *record)
{
	const size_t plen = sizeof(CT_HOLDER_SOCK_PREFIX) - 1, slen = sizeof(CT_SOCK_SUFFIX) - 1;
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
		if (strncmp(e->d_name, CT_HOLDER_SOCK_PREFIX, plen) != 0 || n < plen + slen ||
		    strcmp(e->d_name + n - slen, CT_SOCK_SUFFIX) != 0)
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

/*
 * Remove the holder's claim on what it made for the contract (see
 * registry/claim.go): "<name>.claim" beside the rootfs "<name>.root". It
 * goes last, once everything it names is gone, so that a collector still
 * finds it should the init be killed half-way.
 */
static void remove_claim(const char *rootfs)
{
	const size_t slen = sizeof(CT_ROOTFS_SUFFIX) - 1;
	if (!rootfs || rootfs[0] != '/')
		return;
	size_t n = strlen(rootfs);
	if (n <= slen || strcmp(rootfs + n - slen, CT_ROOTFS_SUFFIX) != 0)
		return;
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%.*s" CT_CLAIM_SUFFIX, (int)(n - slen), rootfs) >= sizeof(path))
		return;
	unlink(path);
	remove_parent_if_empty(path);
}

void ct_cleanup_orphan(struct state *s)
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
		ct_write_file(procs, "0");
		rmdir(c->cgroups[i]);
	}
	if (c->endpoint && *c->endpoint)
		unlink(c->endpoint);
	if (c->record && *c->record) {
		unlink(c->record);
		remove_stale_holder_sockets(c->record);
		remove_parent_if_empty(c->record);
	}
	/* The rootfs went with the command's start (or just before this). */
	remove_claim(c->rootfs);
}
