/*
 * trim.c: once the command runs, the init lets go of the pages of its
 * binary that its start mapped. The init is a few kilobytes of C in ctrun's
 * static binary of several megabytes: with the page cache's large folios,
 * each page fault of the start (glibc's start-up, moving to the host's root,
 * starting the command) maps a whole folio, about a megabyte in all. The
 * pages stay in the page cache, shared with every other ctrun; the init's
 * loop maps again, by a minor fault, the few it runs. The holder does the
 * same for its own (holder/trim.go).
 */
#include "cinit.h"

#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define CT_TRIM_MAX 16

/*
 * Unmap (MADV_DONTNEED) the private read-only mappings of the binary that
 * hold no private copy of a page (smaps' Anonymous is 0): nothing but
 * page-cache pages, which a later access maps again as they were. A
 * private copy (a relocation written at start) would be lost: such a
 * mapping is left alone. Best effort: any failure leaves things as they are.
 */
void ct_drop_own_pages(void)
{
	struct stat exe;
	if (stat("/proc/self/exe", &exe) < 0)
		return;
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	unsigned long start[CT_TRIM_MAX], end[CT_TRIM_MAX];
	int n = 0, cand = 0;
	long rss = -1, anon = -1;
	unsigned long a = 0, z = 0; /* the mapping being read */
	char line[512];
	while (n < CT_TRIM_MAX) {
		int more = fgets(line, sizeof(line), f) != NULL;
		char perms[5];
		unsigned long na, nz, off, ino;
		unsigned maj, min;
		int header = more && sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &na, &nz, perms, &off, &maj, &min, &ino) == 7;
		if (!more || header) {
			/* The previous mapping is complete. */
			if (cand && rss > 0 && anon == 0) {
				start[n] = a;
				end[n] = z;
				n++;
			}
			cand = 0;
			rss = anon = -1;
		}
		if (!more)
			break;
		if (header) {
			a = na;
			z = nz;
			cand = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && ino == exe.st_ino &&
			       makedev(maj, min) == exe.st_dev;
			/* Kept for when the mapping is complete. */
			continue;
		}
		long v;
		if (sscanf(line, "Rss: %ld", &v) == 1)
			rss = v;
		else if (sscanf(line, "Anonymous: %ld", &v) == 1)
			anon = v;
	}
	fclose(f);
	for (int i = 0; i < n; i++)
		madvise((void *)start[i], end[i] - start[i], MADV_DONTNEED);
}
