/*
 * probe: a small misbehaving program for ctrun's integration tests. It dies
 * in the exact ways the tests need — a real fault, a simulated machine
 * check, a double-forked daemon — which a shell cannot do.
 *
 *   probe segv             die of a real SIGSEGV (a fault, sent by the kernel)
 *   probe bus              die of a real SIGBUS (touching a page past the end of a file)
 *   probe mce              die of SIGBUS with si_code BUS_MCEERR_AR, sent to
 *                          itself: a simulated uncorrectable memory error
 *                          (this kernel cannot inject real ones)
 *   probe kill PID SIG     send SIG to PID and exit 0
 *   probe daemon FILE SECS double-fork, setsid, stdio on /dev/null, write the
 *                          daemon's pid (as seen inside) to FILE, sleep SECS
 *   probe spawn N SECS     start N children that sleep SECS, wait for them
 *   probe grandchild SECS  fork a child that forks a grandchild which sleeps
 *                          SECS and is reaped by the child (not by init)
 *   probe alloc            allocate and touch memory until killed
 *   probe ids              print uid, gid and groups
 *   probe argv ...         print each argument on its own line, NUL-safe
 *   probe threads SIG      start threads, then die of SIG sent to the process
 *   probe forkloop N       fork and exit N times, as fast as possible
 *   probe restart FILE [MS] append "start <ns>", wait MS milliseconds, append
 *                          "death <ns>" (CLOCK_REALTIME) to FILE, then die of
 *                          SIGSEGV: a restart benchmark
 *   probe stamp FILE WORD [CODE]  append "WORD <ns>" to FILE and exit CODE (0)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die_default(int sig)
{
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void stamp(const char *file, const char *word)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	FILE *f = fopen(file, "a");
	if (!f)
		return;
	fprintf(f, "%s %lld\n", word, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fclose(f);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: probe what [args]\n");
		return 2;
	}
	const char *what = argv[1];
	if (!strcmp(what, "segv")) {
		die_default(SIGSEGV);
		*(volatile int *)0 = 1;
	} else if (!strcmp(what, "bus")) {
		die_default(SIGBUS);
		char path[] = "/tmp/probe-bus-XXXXXX";
		int fd = mkstemp(path);
		unlink(path);
		char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		p[4096] = 1; /* the file is empty: SIGBUS, BUS_ADRERR */
	} else if (!strcmp(what, "mce")) {
		die_default(SIGBUS);
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGBUS;
		si.si_code = 4; /* BUS_MCEERR_AR */
		syscall(SYS_rt_sigqueueinfo, getpid(), SIGBUS, &si);
		for (;;)
			pause();
	} else if (!strcmp(what, "kill") && argc >= 4) {
		if (kill(atoi(argv[2]), atoi(argv[3])) < 0) {
			perror("kill");
			return 1;
		}
		return 0;
	} else if (!strcmp(what, "daemon") && argc >= 4) {
		if (fork() > 0)
			return 0;
		setsid();
		if (fork() > 0)
			_exit(0);
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		FILE *f = fopen(argv[2], "w");
		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
		sleep((unsigned)atoi(argv[3]));
		return 0;
	} else if (!strcmp(what, "spawn") && argc >= 4) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				sleep((unsigned)atoi(argv[3]));
				_exit(0);
			}
			if (p < 0) {
				perror("fork");
				break;
			}
		}
		printf("spawned\n");
		fflush(stdout);
		while (wait(NULL) > 0)
			;
		return 0;
	} else if (!strcmp(what, "grandchild") && argc >= 3) {
		pid_t c = fork();
		if (c == 0) {
			pid_t g = fork();
			if (g == 0) {
				sleep((unsigned)atoi(argv[2]));
				_exit(7);
			}
			int st;
			waitpid(g, &st, 0);
			_exit(0);
		}
		int st;
		waitpid(c, &st, 0);
		return 0;
	} else if (!strcmp(what, "alloc")) {
		for (;;) {
			char *p = malloc(1 << 20);
			if (!p)
				continue;
			memset(p, 1, 1 << 20);
		}
	} else if (!strcmp(what, "ids")) {
		gid_t groups[256];
		int n = getgroups(256, groups);
		printf("%u %u", getuid(), getgid());
		for (int i = 0; i < n; i++)
			printf(" %u", groups[i]);
		printf("\n");
		return 0;
	} else if (!strcmp(what, "argv")) {
		for (int i = 2; i < argc; i++)
			printf("[%s]\n", argv[i]);
		return 0;
	} else if (!strcmp(what, "threads") && argc >= 3) {
		pthread_t t;
		for (int i = 0; i < 4; i++)
			pthread_create(&t, NULL, sleeper, NULL);
		usleep(20000);
		die_default(atoi(argv[2]));
		kill(getpid(), atoi(argv[2]));
		for (;;)
			pause();
	} else if (!strcmp(what, "forkloop") && argc >= 3) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0)
				_exit(0);
			waitpid(p, NULL, 0);
		}
		return 0;
	} else if (!strcmp(what, "restart") && argc >= 3) {
		stamp(argv[2], "start");
		if (argc >= 4)
			usleep((useconds_t)atoi(argv[3]) * 1000);
		die_default(SIGSEGV);
		stamp(argv[2], "death");
		*(volatile int *)0 = 1;
	} else if (!strcmp(what, "stamp") && argc >= 4) {
		stamp(argv[2], argv[3]);
		return argc >= 5 ? atoi(argv[4]) : 0;
	}
	fprintf(stderr, "probe: unknown request %s\n", what);
	return 2;
}
