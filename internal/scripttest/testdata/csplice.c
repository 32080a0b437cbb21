/* The C yardstick of the pipe tools: standard input to standard output by
 * splice(2), 1 MiB at a time, with every pipe among the two set to SIZE
 * bytes (default 1 MiB) by F_SETPIPE_SZ first, as the tools set theirs.
 * Either end may be a pipe or a FIFO; the input may also be a regular file
 * (page cache to pipe). This is as close to the kernel's limit as a copy
 * between them gets: no byte passes through user space.
 *   csplice [SIZE] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static void size_pipe(int fd, int size) {
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		fcntl(fd, F_SETPIPE_SZ, size); /* best effort, as the tools */
}

int main(int argc, char **argv) {
	int size = argc > 1 ? atoi(argv[1]) : 1 << 20;
	size_pipe(0, size);
	size_pipe(1, size);
	for (;;) {
		ssize_t n = splice(0, NULL, 1, NULL, 1 << 20, SPLICE_F_MOVE);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			perror("csplice: splice");
			return 1;
		}
	}
}
