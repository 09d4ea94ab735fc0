/*
 * For ThreadSanitizer runs only (scripts/test preloads it): glibc's C11 thrd_create and thrd_join start and
 * join threads without passing through pthread_create and pthread_join, which ThreadSanitizer intercepts, so the
 * threads librdkafka starts are unknown to it and it crashes in them. These versions go through pthreads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
    thrd_start_t func;
    void *arg;
};

static void *trampoline(void *p) {
    struct start s = *(struct start *)p;
    free(p);
    return (void *)(intptr_t)s.func(s.arg);
}

int tsan_thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
    struct start *s = malloc(sizeof *s);
    if (s == NULL) return thrd_nomem;
    s->func = func;
    s->arg = arg;
    pthread_t t;
    int err = pthread_create(&t, NULL, trampoline, s);
    if (err != 0) {
        free(s);
        return thrd_error;
    }
    *thr = (thrd_t)t;
    return thrd_success;
}

int tsan_thrd_join(thrd_t thr, int *res) {
    void *value;
    if (pthread_join((pthread_t)thr, &value) != 0) return thrd_error;
    if (res != NULL) *res = (int)(intptr_t)value;
    return thrd_success;
}

__asm__(".symver tsan_thrd_create,thrd_create@@GLIBC_2.28");
__asm__(".symver tsan_thrd_join,thrd_join@@GLIBC_2.28");
