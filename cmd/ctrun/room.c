/*
 * room.c: whether the caller's cgroup has room for ctrun's processes,
 * looked at before the Go runtime starts. The runtime starts threads of
 * its own at once and aborts, with pages of registers and stacks, when
 * one cannot be made: with the pids limit of the caller's cgroup (or an
 * ancestor's) all but reached, ctrun says so in one line and exits 124
 * instead, before anything is started or made.
 *
 * A constructor: it runs before the runtime, in the one thread there is.
 * It acts only for ctrun itself, not for the inits the binary is run as
 * (argv[1] "init", "contract-init"), which start within the room looked
 * at here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What ctrun and a contract's start take at most, measured: the holder's
 * threads, libcontainer's init (threads, its three C stages), the init
 * and the command. */
#define ROOM_NEEDED 20

static long read_number(const char *dir, const char *file)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char buf[64] = "";
	char *ok = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!ok || strncmp(buf, "max", 3) == 0)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	return errno || end == buf ? -1 : v;
}

/*
 * The least room (pids.max less pids.current) of the cgroup rel below the
 * hierarchy mounted at mnt and of its ancestors; LONG_MAX when unlimited.
 * *where, *max and *cur describe the tightest.
 */
static long least_room(const char *mnt, const char *rel, char *where, size_t wlen, long *max, long *cur)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel) >= (int)sizeof(dir))
		return LONG_MAX;
	long least = LONG_MAX;
	size_t base = strlen(mnt);
	for (;;) {
		long m = read_number(dir, "pids.max");
		long c = read_number(dir, "pids.current");
		if (m >= 0 && c >= 0 && m - c < least) {
			least = m - c;
			snprintf(where, wlen, "%s", dir);
			*max = m;
			*cur = c;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < base)
			break;
		*slash = 0;
	}
	return least;
}

__attribute__((constructor)) static void ctrun_room(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "init") == 0 || strcmp(argv[1], "contract-init") == 0))
		return;
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return;
	char line[PATH_MAX + 64], where[PATH_MAX] = "";
	long least = LONG_MAX, max = 0, cur = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *mnt = NULL;
		if (strcmp(c1 + 1, "pids") == 0 || strstr(c1 + 1, ",pids") || strncmp(c1 + 1, "pids,", 5) == 0)
			mnt = "/sys/fs/cgroup/pids";
		else if (c1 + 1 == c2 && strncmp(line, "0", 1) == 0)
			mnt = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
		if (!mnt)
			continue;
		long m = 0, c = 0;
		char w[PATH_MAX];
		long r = least_room(mnt, c2 + 1, w, sizeof(w), &m, &c);
		if (r < least) {
			least = r;
			max = m;
			cur = c;
			snprintf(where, sizeof(where), "%s", w);
		}
	}
	fclose(f);
	if (least >= ROOM_NEEDED)
		return;
	fprintf(stderr, "ctrun: cannot start: the limit on processes of cgroup %s is all but reached (pids.max %ld, %ld in use; ctrun and a contract's start take up to %d)\n",
		where, max, cur, ROOM_NEEDED);
	_exit(124);
}
