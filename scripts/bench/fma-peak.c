/*
 * FP32 fused-multiply-add peak of this machine, the C side of scripts/bench/fma-peak.sh:
 * twelve independent accumulator chains of the widest vector the compiler targets
 * (-march=native), c = a*b + c contracted to one FMA, on every thread. Twelve chains cover
 * FMA latency x ports (4 x 2 on Zen, Sapphire Rapids and Apple's cores) with room to spare
 * and fit the 16 registers of AVX2 with a and b.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define WIDTH 64
#elif defined(__AVX__)
#define WIDTH 32
#else
#define WIDTH 16
#endif
#define CHAINS 12
typedef float vec __attribute__((vector_size(WIDTH)));

static long iterations = 100000000;
static volatile float sink;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *chains(void *unused) {
    (void) unused;
    vec a, b, c[CHAINS];
    for (int l = 0; l < WIDTH / 4; l++) { a[l] = 0.999f; b[l] = 1e-7f; }
    for (int k = 0; k < CHAINS; k++) c[k] = b - b;
    for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int k = 0; k < CHAINS; k++) c[k] = a * b + c[k];
    }
    float s = 0;
    for (int k = 0; k < CHAINS; k++) s += c[k][0];
    sink = s;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 256) { fprintf(stderr, "usage: fma-peak THREADS (1..256)\n"); return 2; }
    pthread_t t[256];
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        double t0 = seconds();
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, chains, NULL);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double g = threads * (double) iterations * CHAINS * (WIDTH / 4) * 2 / (seconds() - t0) / 1e9;
        if (g > best) best = g;
    }
    printf("c_peak_gflops=%.1f threads=%d vector_bits=%d chains=%d\n", best, threads, WIDTH * 8, CHAINS);
    return 0;
}
