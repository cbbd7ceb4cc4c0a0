/* What writing the export's 890 MB into a file costs this machine, and whether copying it on
 * more than one thread would help (docs/performance.md, round 7).
 *
 *   cc -O2 -pthread benches/write_cost.c -o /tmp/write_cost
 *   /tmp/write_cost MODE THREADS FILE      e.g. rm -f /dev/shm/w; /tmp/write_cost 1 2 /dev/shm/w
 *
 * MODE 0: one thread, write(2) in 1 MiB pieces (what `mft -o FILE` does, with larger pieces);
 * MODE 1: THREADS threads copy 1 MiB pieces into the file mapped MAP_SHARED;
 * MODE 2: as 1, each piece first populated with MADV_POPULATE_WRITE;
 * MODE 3: THREADS threads pwrite(2) 1 MiB pieces at their own offsets.
 * Run it under /usr/bin/time to see the system time, which is where the cost is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TOTAL (890UL << 20)
#define PIECE (1UL << 20)
#define SOURCE (64UL << 20)

static char *src, *map;
static int mode, threads, fd;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    for (size_t off = (long)arg * PIECE; off < TOTAL; off += threads * PIECE) {
        const char *from = src + off % SOURCE;
        if (mode == 3) {
            if (pwrite(fd, from, PIECE, off) != (ssize_t)PIECE) { perror("pwrite"); exit(1); }
            continue;
        }
        if (mode == 2) madvise(map + off, PIECE, MADV_POPULATE_WRITE);
        memcpy(map + off, from, PIECE);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s MODE THREADS FILE\n", argv[0]); return 2; }
    mode = atoi(argv[1]);
    threads = atoi(argv[2]);
    if (threads < 1 || threads > 16) threads = 1;
    src = malloc(SOURCE);
    memset(src, 'x', SOURCE);
    fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    double start = now();
    if (mode == 0) {
        for (size_t off = 0; off < TOTAL; off += PIECE)
            if (write(fd, src + off % SOURCE, PIECE) != (ssize_t)PIECE) { perror("write"); return 1; }
    } else {
        if (mode != 3) {
            if (ftruncate(fd, TOTAL)) { perror("ftruncate"); return 1; }
            map = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED) { perror("mmap"); return 1; }
        }
        pthread_t t[16];
        for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)i);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        if (mode != 3) munmap(map, TOTAL);
    }
    close(fd);
    printf("mode %d, %d thread(s): %.3f s\n", mode, threads, now() - start);
    return 0;
}
