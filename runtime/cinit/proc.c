/*
 * proc.c: what the init asks the kernel of processes: the small /proc
 * files it reads (a field of a status or fdinfo file, a process's group,
 * its depth in PID namespaces, its parent, name and exit code from stat,
 * its argv, a children list), one-line writes such as a uid_map or
 * cgroup.procs, and the capabilities of the caller.
 *
 * Apart because the seccomp notification handler, the member scan, the
 * report, the command's set-up and the clean-up all need them, and each
 * reading has its own care to take (a status line of any length, a comm
 * with parentheses in it): one reader for each kind of file.
 */
#include "cinit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ct_write_file(const char *path, const char *data)
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
 * A small kernel file (path relative to dirfd, or AT_FDCWD) in one read,
 * into buf with a NUL after it: how many bytes were read, <= 0 when none
 * could be.
 */
ssize_t ct_read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n > 0)
		buf[n] = 0;
	return n;
}

/*
 * The values of the lines of a /proc file such as status or fdinfo (path
 * relative to dirfd, or AT_FDCWD) that start with keys[0..n-1]: vals[i]
 * gets a malloc'd copy of what follows keys[i], or stays NULL. Read line
 * by line: the file has no size limit (a Groups line can be long) and what
 * follows a line must not be cut off; the reading stops once every key is
 * found. Returns how many were, -1 when the file cannot be opened.
 */
int ct_proc_fields(int dirfd, const char *path, const char *const *keys, char **vals, int n)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (found < n && getline(&line, &cap, f) >= 0) {
		for (int i = 0; i < n; i++) {
			size_t klen = strlen(keys[i]);
			if (!vals[i] && strncmp(line, keys[i], klen) == 0) {
				vals[i] = strdup(line + klen);
				found++;
				break;
			}
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* The value of the "key" line of a /proc file: a malloc'd string or NULL. */
static char *proc_field(const char *path, const char *key)
{
	char *val = NULL;
	ct_proc_fields(AT_FDCWD, path, &key, &val, 1);
	return val;
}

long ct_read_long_field(const char *path, const char *key)
{
	char *v = proc_field(path, key);
	if (!v)
		return -1;
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* The process group of a namespace pid, from its stat line. */
long ct_pgrp_of(int pid)
{
	struct ct_pstat st;
	return ct_proc_stat(-1, pid, &st) < 0 ? -1 : st.pgrp;
}

/* How many PID namespaces /proc/<pid> is in, as this namespace sees it
 * (1: ours; more: a sub-contract made by a ctrun inside), 0 if gone. */
int ct_ns_depth(int pid)
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
 * The parent, process group, state, name and (for a zombie) wait status of
 * a process, from /proc/<pid>/stat, or from "stat" in dirfd (an open
 * /proc/<pid>) when dirfd >= 0. The name may hold spaces and parentheses:
 * it ends at the last ')'. -1 when the process is gone.
 */
int ct_proc_stat(int dirfd, int pid, struct ct_pstat *out)
{
	char path[64], buf[2048];
	const char *name = "stat";
	if (dirfd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		dirfd = AT_FDCWD;
		name = path;
	}
	if (ct_read_small(dirfd, name, buf, sizeof(buf)) <= 0)
		return -1;
	char *open_paren = strchr(buf, '('), *p = strrchr(buf, ')');
	if (!open_paren || !p || p < open_paren)
		return -1;
	size_t len = (size_t)(p - open_paren - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, len);
	out->comm[len] = 0;
	if (sscanf(p + 1, " %c %d %d", &out->state, &out->ppid, &out->pgrp) != 3)
		return -1;
	/* Only a zombie's exit_code is a wait status: a scan of /proc does
	 * not walk every process's fields to it. */
	out->exit_code = 0;
	if (out->state != 'Z')
		return 0;
	/* exit_code is field 52; the state (field 3) is the first after ')'. */
	char *save = NULL;
	int field = 3;
	for (char *t = strtok_r(p + 1, " \n", &save); t; t = strtok_r(NULL, " \n", &save), field++) {
		if (field == 52) {
			out->exit_code = (int)strtol(t, NULL, 10);
			break;
		}
	}
	return 0;
}

/* Whether pid was started as a contract's init: argv[1] is CT_INIT_ARG. */
int ct_started_as_init(int pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	ssize_t n = ct_read_small(AT_FDCWD, path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	size_t first = strlen(buf) + 1;
	return first < (size_t)n && strcmp(buf + first, CT_INIT_ARG) == 0;
}

/* Whether the caller has capability cap_nr in its user namespace (where
 * seccomp and ptrace ask). */
int ct_has_cap(int cap_nr)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[cap_nr / 32].effective >> (cap_nr % 32)) & 1;
}
