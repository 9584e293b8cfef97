/*
 * proc.c: the small kernel files the init reads and writes: a field of a
 * /proc status or fdinfo file, a process's group, its depth in PID
 * namespaces, its parent, name and exit code (stat), and one-line writes
 * such as a uid_map or cgroup.procs.
 *
 * Apart because the seccomp notification handler, the member scan, the
 * command's set-up and the clean-up all need them, and each reading has
 * its own care to take (a status line of any length, a comm with
 * parentheses in it).
 */
#include "cinit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * The parent, process group, state, name and (for a zombie) wait status of a process,
 * from /proc/<pid>/stat, or from "stat" in dirfd (an open /proc/<pid>)
 * when dirfd >= 0. The name may hold spaces and parentheses: it ends at the
 * last ')'. -1 when the process is gone.
 */
int ct_proc_stat(int dirfd, int pid, struct ct_pstat *out)
{
	char path[64], buf[2048];
	int fd;
	if (dirfd >= 0) {
		fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
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
	/* exit_code is field 52; the state (field 3) is the first after ')'. */
	out->exit_code = 0;
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
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	size_t first = strlen(buf) + 1;
	return first < (size_t)n && strcmp(buf + first, CT_INIT_ARG) == 0;
}
