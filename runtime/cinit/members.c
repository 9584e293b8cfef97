/*
 * members.c: finding and signalling the contract's members. A member is a
 * process of the init's own PID namespace but the init; a ctrun run inside
 * makes sub-contracts, whose processes live in PID namespaces below ours,
 * are seen in our /proc all the same and are no members.
 *
 * Apart because every scan of /proc for members is here, with the one rule
 * that tells members from sub-contracts (ct_ns_depth). In subreaper mode
 * the init has no namespace of its own and members are its descendants:
 * tree.c finds them, and these functions hand over to it.
 */
#include "cinit.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>

/* Every process but us in process group pgrp (at most max, into out):
 * the targets of a kill(0, sig) or kill(-pgrp, sig). */
int ct_collect_pgrp(const struct state *s, int pgrp, int *out, int max)
{
	int n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		int pid = atoi(e->d_name);
		if (pid <= 1 || pid == s->self) /* not 1 in subreaper mode */
			continue;
		if (ct_pgrp_of(pid) == pgrp)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/*
 * Is there a process but us at namespace depth 1 (a member), or deeper
 * (nested: a sub-contract's)? unknown is the answer when /proc cannot be
 * read.
 */
static int any_process(struct state *s, int nested, int unknown)
{
	if (s->subreaper)
		return ct_tree_any(s, nested, unknown);
	DIR *d = opendir("/proc");
	if (!d)
		return unknown;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid > 1) {
			int depth = ct_ns_depth(pid);
			found = nested ? depth > 1 : depth == 1;
		}
	}
	closedir(d);
	return found;
}

static int any_nested(struct state *s) { return any_process(s, 1, 0); }

/*
 * Send sig to every member. Without sub-contracts that is kill(-1): the
 * kernel does it in one pass under its task list lock, so no member forked
 * meanwhile escapes. A sub-contract (a ctrun run inside) lives in a PID
 * namespace below ours and is not a member: kill(-1) would reach it, so its
 * processes are skipped, and the members are signalled one by one, again
 * and again while new ones keep appearing (a fork during a pass).
 */
void ct_signal_members(struct state *s, int sig)
{
	if (s->subreaper) {
		ct_tree_signal(s, sig);
		return;
	}
	if (!any_nested(s)) {
		kill(-1, sig);
		return;
	}
	static int sent[CT_MAX_TARGETS];
	int nsent = 0;
	for (int round = 0; round < 64; round++) {
		DIR *d = opendir("/proc");
		if (!d)
			return;
		int fresh = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid = atoi(e->d_name);
			if (pid <= 1 || ct_ns_depth(pid) != 1)
				continue;
			int seen = 0;
			for (int i = 0; i < nsent && !seen; i++)
				seen = sent[i] == pid;
			if (seen && sig != SIGKILL)
				continue; /* once each, but SIGKILL until gone */
			kill(pid, sig);
			if (!seen) {
				fresh++;
				if (nsent < CT_MAX_TARGETS)
					sent[nsent++] = pid;
			}
		}
		closedir(d);
		if (!fresh)
			return;
	}
}

/* Are members left (processes of our own namespace but us)? */
static int members_left(struct state *s) { return any_process(s, 0, 1); }

/*
 * A holder that cannot tell members from sub-contracts itself (it runs
 * inside a contract: see holder/nested.go) asks to be told when no member
 * is left while sub-contracts are: the contract is then over, and the init
 * stays for them.
 */
void ct_check_own_empty(struct state *s)
{
	if (s->watch_empty && !members_left(s)) {
		ct_send_msg(s, CT_M_OWNEMPTY, 0, 0, 0, 0, NULL, 0);
		s->watch_empty = 0;
	}
}
