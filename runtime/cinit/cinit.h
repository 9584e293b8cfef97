/*
 * cinit.h: what the init's C files share (see cinit.c for what the init
 * does): its configuration, its state, and the functions one file calls in
 * another. Internal to the init; the format it shares with its holder is
 * wire/protocol.h.
 *
 * Every .c file includes this first: it asks for the GNU interfaces before
 * any system header is read.
 *
 * A function one file calls in another has a name that starts with ct_:
 * the init is linked into one static binary with glibc and the Go runtime,
 * where a plain name such as reap or stamp could clash. It is also hidden,
 * so that it is never exported should the binary be linked dynamically.
 */
#ifndef CTRUN_CINIT_H
#define CTRUN_CINIT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <sys/types.h>

#include "wire/protocol.h"

/* What the holder wrote to the configuration memfd (ct_read_config). */
struct config {
	uint32_t flags;
	uint32_t uid, gid;
	uint64_t sigign, sigblk;
	uint32_t stdio_open;
	char *path, *cwd;
	char **argv, **envp;
	uint32_t nenv;
	char **cgroups;
	uint32_t ncgroups;
	char *rootfs, *record, *endpoint;
	int *extra_targets;
	uint32_t nextra;
};

struct state {
	struct config cfg;
	int control; /* -1 once the holder is gone */
	int orphaned;
	pid_t command;
	int cmd_status, cmd_exited; /* the command's end, for an adopter */
	int notify;   /* seccomp listener, -1 if none */
	int endpoint; /* listening socket, -1 if none */
	int watch_empty; /* the holder asked for CT_M_OWNEMPTY (not yet sent) */
	/* Subreaper mode (CT_F_SUBREAPER): members are descendants of self,
	 * not the processes of a namespace of our own. */
	int subreaper;
	pid_t self; /* our pid, as /proc and the members see it */
	pid_t holder; /* the holder's pid (subreaper mode: our parent at start) */
	/* Messages held back while a member's call waits for our answer
	 * (ct_defer_msgs): sent once it goes on. */
	int deferring;
	char *outq;
	size_t outq_len, outq_cap;
};

/* A process and its parent, as a walk up the tree found them. */
struct ct_link {
	int pid, ppid;
};

/* What ct_proc_stat reads of a /proc/<pid>/stat line. */
struct ct_pstat {
	int ppid, pgrp;
	char state;
	char comm[16];
	int exit_code; /* a zombie's wait status; 0 for the living, or unless we may read it */
};

#pragma GCC visibility push(hidden)

/* protocol.c: messages, the configuration, descriptor passing */
void ct_send_msg(struct state *s, int type, int a, int b, int c, int d, const int *data, int n);
void ct_defer_msgs(struct state *s);
void ct_flush_msgs(struct state *s);
int ct_send_msg_cred(struct state *s, pid_t pid, int type, int a, int b, int c, int d, const int *data, int n);
void ct_stamp(int out[2]);
int ct_read_config(struct config *c);
void ct_free_config(struct config *c);
/* Before go, on CT_M_TIDY: remove the rootfs the configuration names;
 * -1 when the configuration could not be read. */
int ct_tidy_rootfs(void);
int ct_send_fd(int sock, int fd, int err);
int ct_recv_fd(int sock, int *err);

/* proc.c: small kernel files (/proc, cgroupfs), capabilities */
int ct_write_file(const char *path, const char *data);
ssize_t ct_read_small(int dirfd, const char *path, char *buf, size_t size);
int ct_proc_fields(int dirfd, const char *path, const char *const *keys, char **vals, int n);
long ct_read_long_field(const char *path, const char *key);
long ct_pgrp_of(int pid);
int ct_ns_depth(int pid);
int ct_started_as_init(int pid);
int ct_proc_stat(int dirfd, int pid, struct ct_pstat *out);
int ct_has_cap(int cap_nr);

/* command.c: the command's process */
void ct_set_ctid(struct config *c, int id);
int ct_start_command(struct state *s);

/* notify.c: signals sent by members (and, CT_F_REPORT, their execs and waits) */
int ct_install_notify(int report);
void ct_handle_notification(struct state *s);
void ct_sync_wake(int listener);

/* members.c: finding and signalling members */
int ct_collect_pgrp(const struct state *s, int pgrp, int *out, int max);
void ct_signal_members(struct state *s, int sig);
void ct_check_own_empty(struct state *s);

/* tree.c: members as the init's descendants (subreaper mode) */
int ct_tree_any(struct state *s, int nested, int unknown);
void ct_tree_signal(struct state *s, int sig);
int ct_ancestry(struct state *s, int pid, int (*known)(int pid), struct ct_link *chain, int max, int *n);

/* report.c: members' forks and exits (CT_F_REPORT) */
void ct_report_init(struct state *s);
void ct_report_child_limits(void);
int ct_report_fd(void);
int ct_report_zombie_fd(void);
int ct_report_timeout(void);
void ct_report_ready(struct state *s);
void ct_report_zombies(struct state *s);
void ct_report_retry(struct state *s);
int ct_report_known(int pid);
int ct_report_followed(struct state *s, int pid);
int ct_report_sight(struct state *s, int pid);
int ct_report_sight_fd(struct state *s, int pid, int fd);
void ct_report_command(struct state *s, int pid);
void ct_report_children(struct state *s, int tgid);
int ct_report_reaping(struct state *s, int pid);
void ct_report_reaped(struct state *s, int pid, int status, int reported);
void ct_report_finish(struct state *s);

/* endpoint.c: the contract's endpoint */
int ct_open_endpoint(const char *path);
void ct_handle_endpoint(struct state *s);

/* cleanup.c: the end of an orphaned contract */
int ct_enter_host_root(void);
void ct_remove_rootfs(const char *rootfs);
void ct_cleanup_orphan(struct state *s);

/* trim.c: the binary's pages the start mapped */
void ct_drop_own_pages(void);

#pragma GCC visibility pop

#endif
