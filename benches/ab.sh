#!/usr/bin/env bash
# Alternates commands one start at a time and prints, for each, the median
# wall time of a start and the median CPU time (user and system) of
# everything it started and reaped, with the CPU's quartiles: the
# precise A/B of one change (two builds, two profiles). A start is
# measured whole, from before `main` to the last process reaped, which
# `--timings` (from `main`) is not. Kernel workers' CPU (the network
# namespace's teardown, RCU) is in no process's account: benches/cpu.sh
# charges it.
#
#   bash benches/ab.sh 'OLD run -q -p strict -- /bin/true' 'NEW run -q -p strict -- /bin/true'
#   N=2500 bash benches/ab.sh CMD...    # starts of each (default 1000)
#
# A process its parent leaves to be reaped by another (bubblewrap's
# sandbox init, orphaned when bubblewrap's parent exits) is in no
# account here: compare CPU only between commands whose processes are
# all waited for (stockade's are).
#
# Commands are split at spaces (no quoting); the first word is run as a
# path or looked up in PATH. Run the pair a second time in the other
# order: what the first command leaves behind (the page cache, the
# kernel's queued teardown) reaches the second.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,22p' "$0" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/ab.c" <<'C'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
// CPU of every reaped descendant: a child's account includes the
// descendants it reaped (PID 1 reaps the payload, the launcher PID 1).
static double cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_CHILDREN, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}
int main(int argc, char **argv) {
  int n = atoi(argv[1]), k = argc - 2;
  char ***cmds = calloc(k, sizeof *cmds);
  for (int j = 0; j < k; j++) {
    cmds[j] = calloc(strlen(argv[2 + j]) + 2, sizeof(char *));
    int m = 0;
    for (char *t = strtok(strdup(argv[2 + j]), " "); t; t = strtok(NULL, " ")) cmds[j][m++] = t;
  }
  double *w = calloc((size_t)n * k, sizeof *w), *c = calloc((size_t)n * k, sizeof *c);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < k; j++) {
      double t0 = now(), c0 = cpu();
      pid_t pid;
      int st;
      int rc = posix_spawnp(&pid, cmds[j][0], NULL, NULL, cmds[j], environ);
      if (rc) {
        fprintf(stderr, "ab: %s: %s\n", cmds[j][0], strerror(rc));
        return 1;
      }
      if (waitpid(pid, &st, 0) < 0) return 1;
      w[(size_t)j * n + i] = now() - t0;
      c[(size_t)j * n + i] = cpu() - c0;
      if (st) {
        fprintf(stderr, "ab: '%s' ended with status %#x\n", argv[2 + j], st);
        return 1;
      }
    }
  printf("%d starts of each, alternated; medians, us\n", n);
  printf("| wall | CPU | CPU p25-p75 | command |\n|---|---|---|---|\n");
  for (int j = 0; j < k; j++) {
    double *wj = w + (size_t)j * n, *cj = c + (size_t)j * n;
    qsort(wj, n, sizeof *wj, cmp);
    qsort(cj, n, sizeof *cj, cmp);
    printf("| %.0f | %.0f | %.0f-%.0f | `%s` |\n", wj[n / 2], cj[n / 2], cj[n / 4], cj[3 * n / 4], argv[2 + j]);
  }
  return 0;
}
C
cc -O2 -o "$work/ab" "$work/ab.c"
"$work/ab" "${N:-1000}" "$@"
