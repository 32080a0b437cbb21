/* The C yardstick of sockcat's stream benchmark: a plain socket pair.
 *   cpair recv tcp PORT | cpair recv unix PATH   accept one peer, copy it to stdout
 *   cpair send tcp PORT | cpair send unix PATH   connect, copy stdin to the socket
 * read(2)/write(2) with a 128 KiB buffer, as a C programmer would write it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[128 << 10];

static int copy(int in, int out) {
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0) { perror("read"); return 1; }
		if (n == 0) return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, n - off);
			if (w < 0) { perror("write"); return 1; }
			off += w;
		}
	}
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: cpair recv|send tcp PORT|unix PATH\n"); return 2; }
	int recv = strcmp(argv[1], "recv") == 0, tcp = strcmp(argv[2], "tcp") == 0;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr *sa = (struct sockaddr *)&in;
	socklen_t len = sizeof in;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!tcp) {
		strncpy(un.sun_path, argv[3], sizeof un.sun_path - 1);
		sa = (struct sockaddr *)&un, len = sizeof un;
	}
	int s = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
	if (s < 0) { perror("socket"); return 1; }
	if (recv) {
		int one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(s, sa, len) < 0 || listen(s, 1) < 0) { perror("bind/listen"); return 1; }
		int c = accept(s, NULL, NULL);
		if (c < 0) { perror("accept"); return 1; }
		return copy(c, 1);
	}
	if (connect(s, sa, len) < 0) { perror("connect"); return 1; }
	int rc = copy(0, s);
	shutdown(s, SHUT_WR);
	return rc;
}
