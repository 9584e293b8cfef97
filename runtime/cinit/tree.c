/*
 * tree.c: the members of a contract whose init is no PID 1 (subreaper
 * mode): the init's descendants, but for the subtree of any descendant
 * named CT_INIT_NAME and started as one, the init of a sub-contract made
 * by a ctrun run inside (that one and all below it are the
 * sub-contract's). The init is a child subreaper, so an orphan is
 * reparented to it and never leaves the tree: the tree is the contract.
 *
 * Apart because without a PID namespace of its own the init shares /proc,
 * and kill(-1), with every other process of the user: members can only be
 * told by their ancestry, read from /proc (pid -> parent, name, argv), and
 * signalled one by one. Also here: the walk up from one process that
 * tells whether it is a member (in either mode), for the report of forks
 * and the signal records.
 */
#include "cinit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How far up a walk goes before it takes a process for a member: only
 * members (under the contract's seccomp filter) ask, so a chain this long
 * is a member's. */
#define MAX_WALK 4096

/*
 * A sub-contract's init: named CT_INIT_NAME, and started as one (argv[1]
 * is CT_INIT_ARG), so that a member that merely names itself so is not
 * spared a kill. The command's own process carries our name between fork
 * and execve: it is never one.
 */
static int is_sub_init(const struct state *s, int pid, const char *comm)
{
	if (pid == s->self || pid == s->command || strcmp(comm, CT_INIT_NAME) != 0)
		return 0;
	return ct_started_as_init(pid);
}

/* ---------- one snapshot of /proc ---------- */

enum { UNKNOWN, VISITING, MEMBER, OTHER };

struct node {
	int pid, ppid;
	unsigned char init, mark;
};

struct tree {
	struct node *v;
	size_t n;
	int nested; /* a sub-contract's init is among the descendants */
};

static int by_pid(const void *a, const void *b)
{
	int x = ((const struct node *)a)->pid, y = ((const struct node *)b)->pid;
	return (x > y) - (x < y);
}

static struct node *lookup(struct tree *t, int pid)
{
	struct node key = {.pid = pid};
	return bsearch(&key, t->v, t->n, sizeof(*t->v), by_pid);
}

/*
 * Mark x and the ancestors its walk passes: a member when the walk reaches
 * the init, not one when it reaches a sub-contract's init, a process
 * outside the tree, or a loop (parents read at different moments).
 */
static void classify(struct tree *t, struct node *x, int self, struct node **path)
{
	size_t depth = 0;
	unsigned char res = OTHER;
	for (struct node *cur = x;;) {
		if (cur->mark == MEMBER || cur->mark == OTHER) {
			res = cur->mark;
			break;
		}
		if (cur->mark == VISITING || cur->init)
			break;
		cur->mark = VISITING;
		path[depth++] = cur;
		if (cur->ppid == self) {
			res = MEMBER;
			break;
		}
		struct node *p = cur->ppid > 0 ? lookup(t, cur->ppid) : NULL;
		if (!p)
			break;
		cur = p;
	}
	while (depth > 0)
		path[--depth]->mark = res;
}

/* Read /proc once. -1 when it cannot be read. */
static int snapshot(struct state *s, struct tree *t)
{
	memset(t, 0, sizeof(*t));
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		struct ct_pstat st;
		if (pid <= 0 || ct_proc_stat(-1, pid, &st) < 0)
			continue;
		if (t->n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct node *v = realloc(t->v, ncap * sizeof(*v));
			if (!v)
				break;
			t->v = v;
			cap = ncap;
		}
		t->v[t->n++] = (struct node){.pid = pid, .ppid = st.ppid, .init = (unsigned char)is_sub_init(s, pid, st.comm)};
	}
	closedir(d);
	qsort(t->v, t->n, sizeof(*t->v), by_pid);
	struct node **path = malloc((t->n + 1) * sizeof(*path));
	if (!path && t->n) {
		free(t->v);
		t->v = NULL;
		return -1;
	}
	struct node *me = lookup(t, s->self);
	if (me)
		me->mark = OTHER;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].init)
			t->v[i].mark = OTHER;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].mark == UNKNOWN)
			classify(t, &t->v[i], s->self, path);
	free(path);
	/* A sub-contract is present when one of its inits is our child or a
	 * member's: an init below another's is that one's business. */
	for (size_t i = 0; i < t->n && !t->nested; i++) {
		if (!t->v[i].init)
			continue;
		struct node *p = lookup(t, t->v[i].ppid);
		t->nested = t->v[i].ppid == s->self || (p && p->mark == MEMBER);
	}
	return 0;
}

/* Is a member left (nested = 0), or a sub-contract (nested = 1)? unknown
 * is the answer when /proc cannot be read. */
int ct_tree_any(struct state *s, int nested, int unknown)
{
	struct tree t;
	if (snapshot(s, &t) < 0)
		return unknown;
	int found = t.nested;
	if (!nested) {
		found = 0;
		for (size_t i = 0; i < t.n && !found; i++)
			found = t.v[i].mark == MEMBER;
	}
	free(t.v);
	return found;
}

/* ---------- signalling every member ---------- */

/*
 * Does the cgroup at path (or one below it) hold the init? Its cgroup.kill
 * would then kill the init too, which must outlive its members to report
 * them and reap them.
 */
static int holds_self(const char *path, int self, int depth)
{
	char f[4200];
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	FILE *fp = fopen(f, "re");
	if (fp) {
		int pid, found = 0;
		while (!found && fscanf(fp, "%d", &pid) == 1)
			found = pid == self;
		fclose(fp);
		if (found)
			return 1;
	}
	if (depth >= 16)
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4200];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < sizeof(sub))
			found = holds_self(sub, self, depth + 1);
	}
	closedir(d);
	return found;
}

/*
 * SIGKILL every process of the contract's cgroup v2 at once (cgroup.kill:
 * no fork escapes it), when there is one and it does not hold the init.
 * Returns 1 when it was written.
 */
static int cgroup_kill(struct state *s)
{
	for (uint32_t i = 0; i < s->cfg.ncgroups; i++) {
		char f[4200];
		const char *cg = s->cfg.cgroups[i];
		if (!cg || cg[0] != '/')
			continue;
		snprintf(f, sizeof(f), "%s/cgroup.kill", cg);
		if (access(f, W_OK) < 0 || holds_self(cg, s->self, 0))
			continue;
		if (ct_write_file(f, "1") == 0)
			return 1;
	}
	return 0;
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/*
 * Send sig to every member. Never kill(-1): without a PID namespace of our
 * own it reaches every process of the user (and, when the holder is a
 * container's PID 1, every process entered with docker exec: a debugging
 * shell, a ctwatch). When no sub-contract is present (the kernel's way
 * could not spare it) a SIGKILL can go through the contract's cgroup.kill.
 * Otherwise, and after cgroup.kill (for any member outside the cgroup),
 * the members are walked: each is signalled once (SIGKILL: again each
 * round until gone), and /proc is read again while new ones appear (a
 * fork during a pass), as often as ct_signal_members does.
 */
void ct_tree_signal(struct state *s, int sig)
{
	int *sent = NULL;
	size_t nsent = 0, cap = 0;
	for (int round = 0; round < 64; round++) {
		struct tree t;
		if (snapshot(s, &t) < 0)
			break;
		if (round == 0 && !t.nested && sig == SIGKILL)
			cgroup_kill(s);
		size_t before = nsent;
		for (size_t i = 0; i < t.n; i++) {
			if (t.v[i].mark != MEMBER)
				continue;
			int pid = t.v[i].pid;
			int seen = bsearch(&pid, sent, before, sizeof(int), by_int) != NULL;
			if (seen && sig != SIGKILL)
				continue; /* once each, but SIGKILL until gone */
			kill(pid, sig);
			if (seen)
				continue;
			if (nsent == cap) {
				size_t ncap = cap ? 2 * cap : 256;
				int *v = realloc(sent, ncap * sizeof(int));
				if (!v)
					continue;
				sent = v;
				cap = ncap;
			}
			sent[nsent++] = pid;
		}
		free(t.v);
		if (nsent == before)
			break;
		qsort(sent, nsent, sizeof(int), by_int);
	}
	free(sent);
}

/* ---------- one process: member or not ---------- */

/*
 * Is pid a member? 1 yes, 0 no (or gone). Namespace mode: a process of our
 * own namespace (depth 1 in our /proc), as members.c counts them;
 * subreaper mode: a descendant not below a sub-contract's init. Walks up
 * from pid, stopping at the init or at a process known(pid) says is a
 * member already; when chain is given, it gets (up to max) pid and the
 * ancestors the walk passed, nearest first, with their parents, so that a
 * report can name the unknown ones, eldest first.
 */
int ct_ancestry(struct state *s, int pid, int (*known)(int pid), struct ct_link *chain, int max, int *n)
{
	*n = 0;
	if (pid <= 0 || pid == s->self)
		return 0;
	if (!s->subreaper) {
		if (ct_ns_depth(pid) != 1)
			return 0;
		/* Every ancestor of a process of our namespace is one too. */
		for (int x = pid, steps = 0; chain && *n < max && steps < MAX_WALK; steps++) {
			struct ct_pstat st;
			if (x <= 0 || x == s->self || (x != pid && known && known(x)))
				break;
			if (ct_proc_stat(-1, x, &st) < 0) {
				if (x == pid)
					return 0;
				break;
			}
			chain[(*n)++] = (struct ct_link){x, st.ppid};
			x = st.ppid;
		}
		return 1;
	}
	/* A parent that goes during the walk reparents its children: walk
	 * again once. */
	for (int attempt = 0; attempt < 2; attempt++) {
		*n = 0;
		int x = pid, lost = 0;
		for (int steps = 0; steps < MAX_WALK; steps++) {
			if (x == s->self || (x != pid && known && known(x)))
				return 1;
			if (x <= 1)
				return 0; /* outside the tree */
			struct ct_pstat st;
			if (ct_proc_stat(-1, x, &st) < 0) {
				if (x == pid)
					return 0;
				lost = 1;
				break;
			}
			if (is_sub_init(s, x, st.comm))
				return 0;
			if (chain && *n < max)
				chain[(*n)++] = (struct ct_link){x, st.ppid};
			x = st.ppid;
		}
		if (!lost)
			return 1; /* a very long chain: only members ask */
	}
	return 0;
}
