/* A plain C pair for mqcat's benchmark: lines of stdin -> messages,
 * messages -> lines of stdout, System V (KEY) or POSIX (/NAME). */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

struct msg { long mtype; char mtext[8192]; };

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: peer send|recv KEY|/NAME COUNT\n"); return 2; }
	int send = strcmp(argv[1], "send") == 0;
	long count = atol(argv[3]);
	static struct msg m;
	static char buf[8192];
	char *line = NULL; size_t cap = 0; ssize_t n;
	if (argv[2][0] == '/') {
		mqd_t q = mq_open(argv[2], send ? O_WRONLY | O_CREAT : O_RDONLY | O_CREAT, 0600, NULL);
		if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
		if (send) {
			while ((n = getline(&line, &cap, stdin)) > 0) {
				if (line[n - 1] == '\n') n--;
				if (mq_send(q, line, n, 0) < 0) { perror("mq_send"); return 1; }
			}
		} else {
			for (long i = 0; i < count; i++) {
				ssize_t r = mq_receive(q, buf, sizeof buf, NULL);
				if (r < 0) { perror("mq_receive"); return 1; }
				fwrite(buf, 1, r, stdout); putchar('\n');
			}
		}
		return 0;
	}
	int id = msgget(strtol(argv[2], NULL, 0), IPC_CREAT | 0600);
	if (id < 0) { perror("msgget"); return 1; }
	if (send) {
		m.mtype = 1;
		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n') n--;
			memcpy(m.mtext, line, n);
			if (msgsnd(id, &m, n, 0) < 0) { perror("msgsnd"); return 1; }
		}
	} else {
		for (long i = 0; i < count; i++) {
			ssize_t r = msgrcv(id, &m, sizeof m.mtext, 0, 0);
			if (r < 0) { perror("msgrcv"); return 1; }
			fwrite(m.mtext, 1, r, stdout); putchar('\n');
		}
	}
	return 0;
}
