// Open flood load generator: open+close a file in a tight loop for N seconds in each of
// P processes; prints opens/s (wall clock) and opens per CPU-second (the rate one
// dedicated core sustains: robust when other work shares the machine).
//   opener PATH SECONDS PROCS [FLAGS]     FLAGS: r (O_RDONLY, default) or w (O_WRONLY)
// Used by monitor-load.sh.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
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
	int flags = (argc > 4 && argv[4][0] == 'w') ? O_WRONLY : O_RDONLY;
	int pipefd[2];
	if (pipe(pipefd)) return 1;
	double start = now();
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			long n = 0;
			double end = now() + secs;
			while (1) {
				for (int i = 0; i < 1000; i++) {
					int fd = openat(AT_FDCWD, path, flags);
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
	double wall = now() - start;
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	printf("%ld opens in %.1fs = %.0f opens/s (%d procs, %.2f CPU-s: %.0f opens per CPU-second)\n",
	       total, wall, total / wall, procs, cpu, cpu > 0 ? total / cpu : 0);
	return 0;
}
