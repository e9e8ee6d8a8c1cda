// Open flood load generator: open+close a file in a tight loop for N seconds on each
// of T threads-as-processes; prints opens/s. Used by monitor-load.sh.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	const char *path = argc > 1 ? argv[1] : "/etc/hostname";
	double secs = argc > 2 ? atof(argv[2]) : 5;
	int procs = argc > 3 ? atoi(argv[3]) : 1;
	int pipefd[2];
	if (pipe(pipefd)) return 1;
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			long n = 0;
			double end = now() + secs;
			while (1) {
				for (int i = 0; i < 1000; i++) {
					int fd = open(path, O_RDONLY);
					if (fd >= 0) close(fd);
				}
				n += 1000;
				if (now() >= end) break;
			}
			if (write(pipefd[1], &n, sizeof n) != sizeof n) return 1;
			return 0;
		}
	}
	long total = 0, n;
	for (int p = 0; p < procs; p++) {
		if (read(pipefd[0], &n, sizeof n) == sizeof n) total += n;
		wait(NULL);
	}
	printf("%ld opens in %.1fs = %.0f opens/s\n", total, secs, total / secs);
	return 0;
}
