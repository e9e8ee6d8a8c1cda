// Exec load generator: fork+exec `/bin/true` at a target rate for N seconds; prints
// how many execs ran. Used by monitor-load.sh.
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
	double rate = argc > 1 ? atof(argv[1]) : 4000;
	double secs = argc > 2 ? atof(argv[2]) : 5;
	const char *prog = argc > 3 ? argv[3] : "/bin/true";
	double start = now(), end = start + secs;
	long n = 0;
	while (now() < end) {
		double due = start + n / rate;
		double t = now();
		if (t < due) {
			struct timespec d = {0, (long)((due - t) * 1e9)};
			nanosleep(&d, NULL);
		}
		pid_t p = fork();
		if (p == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (p > 0) n++;
		while (waitpid(-1, NULL, WNOHANG) > 0) {}
	}
	while (wait(NULL) > 0) {}
	printf("%ld execs in %.1fs = %.0f execs/s\n", n, now() - start, n / (now() - start));
	return 0;
}
