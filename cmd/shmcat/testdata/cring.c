/* The C yardstick of shmcat --stream: a single-producer single-consumer
 * byte ring in shared memory between two processes, waiting on futexes,
 * as a C programmer would write it. The parent reads standard input into
 * the ring with read(2); the child writes the ring to standard output
 * with write(2), at most 1 MiB at a time, like shmcat's chunks.
 *   cring [CAPACITY]   (default 4 MiB, shmcat's default ring) */
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct ring {
	_Atomic uint64_t head, tail; /* bytes written, bytes read */
	_Atomic uint32_t seq;        /* bumped at every move: the futex word */
	_Atomic uint32_t eof, waiting;
};

static void wait_on(struct ring *r, uint32_t seen) {
	atomic_fetch_add(&r->waiting, 1);
	syscall(SYS_futex, &r->seq, FUTEX_WAIT, seen, NULL, NULL, 0);
	atomic_fetch_sub(&r->waiting, 1);
}

static void moved(struct ring *r) {
	atomic_fetch_add(&r->seq, 1);
	if (atomic_load(&r->waiting))
		syscall(SYS_futex, &r->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv) {
	size_t cap = argc > 1 ? strtoul(argv[1], NULL, 0) : 4 << 20, chunk = 1 << 20;
	struct ring *r = mmap(NULL, 4096 + cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) { perror("mmap"); return 1; }
	char *buf = (char *)r + 4096;
	pid_t pid = fork();
	if (pid < 0) { perror("fork"); return 1; }
	if (pid == 0) { /* reader */
		for (;;) {
			uint32_t seen = atomic_load(&r->seq);
			uint64_t h = atomic_load(&r->head), t = atomic_load(&r->tail);
			if (h == t) {
				if (atomic_load(&r->eof)) return 0;
				wait_on(r, seen);
				continue;
			}
			size_t off = t % cap, n = h - t;
			if (n > cap - off) n = cap - off;
			if (n > chunk) n = chunk;
			ssize_t w = write(1, buf + off, n);
			if (w <= 0) { perror("write"); return 1; }
			atomic_store(&r->tail, t + w);
			moved(r);
		}
	}
	for (;;) { /* writer */
		uint32_t seen = atomic_load(&r->seq);
		uint64_t h = atomic_load(&r->head), t = atomic_load(&r->tail);
		if (h - t == cap) { wait_on(r, seen); continue; }
		size_t off = h % cap, n = cap - (h - t);
		if (n > cap - off) n = cap - off;
		if (n > chunk) n = chunk;
		ssize_t got = read(0, buf + off, n);
		if (got < 0) { perror("read"); return 1; }
		if (got == 0) break;
		atomic_store(&r->head, h + got);
		moved(r);
	}
	atomic_store(&r->eof, 1);
	moved(r);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
