/*
 * The hosted shim's remote lists, white-box: this file includes the shim's
 * source (its entry points renamed by shim_tsan_names.h, so that it is an
 * ordinary library beside the C library's malloc) to hold an arena's lock
 * itself. While it holds the lock, a thread frees blocks of that arena and
 * exits: its batch finds the lock taken and goes onto the arena's remote
 * list, deterministically. Each call that must drain that list (aligned
 * allocation and realloc by the arena's thread, malloc_trim by any thread,
 * malloc by the arena's thread) then must leave it empty and the blocks
 * freed; nothing else would free them while the arena's thread lives.
 *
 * Usage: test_shim_drains (ends with "N passed, 0 failed").
 */
#include "bh_malloc.c"

#include "hosted_check.h"

#define BLOCKS 8
#define BLOCK_BYTES 4000

/* The thread that owns the arena: it runs what it is told. */
enum command { WAIT, ALLOCATE, MALLOC, ALIGNED, REALLOC, QUIT };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    enum command command;
    unsigned done; /* commands carried out */
    void *blocks[BLOCKS];
    void *kept;   /* a block of the owner's that realloc grows */
    int arena;    /* the owner's arena */
} owner = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, WAIT, 0, {NULL}, NULL, -1};

static void *owner_main(void *arg) {
    enum command command = WAIT;
    (void)arg;
    owner.kept = malloc(opaque(64));
    owner.arena = bh_hosted_arena_of(owner.kept);
    while (command != QUIT) {
        void *p;
        unsigned i;
        pthread_mutex_lock(&owner.lock);
        while (owner.command == WAIT)
            pthread_cond_wait(&owner.changed, &owner.lock);
        command = owner.command;
        pthread_mutex_unlock(&owner.lock);
        switch (command) {
        case ALLOCATE:
            for (i = 0; i < BLOCKS; i++) {
                owner.blocks[i] = malloc(opaque(BLOCK_BYTES));
                if (owner.blocks[i])
                    memset(owner.blocks[i], 0x5A, BLOCK_BYTES);
            }
            break;
        case MALLOC:
            p = malloc(opaque(24));
            free(p);
            break;
        case ALIGNED:
            p = aligned_alloc(64, opaque(100));
            free(p);
            break;
        case REALLOC:
            p = realloc(owner.kept, opaque(128));
            if (p)
                owner.kept = p;
            break;
        default:
            break;
        }
        pthread_mutex_lock(&owner.lock);
        owner.command = WAIT;
        owner.done++;
        pthread_cond_broadcast(&owner.changed);
        pthread_mutex_unlock(&owner.lock);
    }
    free(owner.kept);
    return NULL;
}

static void owner_run(enum command command) {
    unsigned before;
    pthread_mutex_lock(&owner.lock);
    before = owner.done;
    owner.command = command;
    pthread_cond_broadcast(&owner.changed);
    while (owner.done == before)
        pthread_cond_wait(&owner.changed, &owner.lock);
    pthread_mutex_unlock(&owner.lock);
}

/* Another thread's frees of the owner's blocks: batched, then flushed when
 * the thread exits. It first takes its own arena and says which, and
 * whether its cache, which holds its batch, is on: otherwise (one of the
 * owner's arena, or no cache) its frees would wait for the lock this
 * thread holds. It frees once told to. */
static struct {
    pthread_barrier_t arena_known, go;
    int arena;
    bool batches;
} freer;

static void *freer_main(void *arg) {
    unsigned i;
    void *mine = malloc(opaque(32));
    (void)arg;
    freer.arena = bh_hosted_arena_of(mine);
    free(mine);
    freer.batches = tls_cache.state == CACHE_ON;
    pthread_barrier_wait(&freer.arena_known);
    pthread_barrier_wait(&freer.go);
    for (i = 0; i < BLOCKS; i++)
        free(owner.blocks[i]);
    return NULL;
}

static long long arena_used(int index) {
    bh_stats stats;
    return bh_hosted_arena_stats(index, &stats) ? (long long)stats.used_bytes : -1;
}

/* The owner allocates blocks, and another thread frees them while this one
 * holds the arena's lock: they wait on the arena's remote list. */
static void blocks_to_remote_list(void) {
    arena *a = &arenas[owner.arena];
    long long used;
    pthread_t thread;
    unsigned i;
    bool made = true, held;
    owner_run(ALLOCATE);
    for (i = 0; i < BLOCKS; i++)
        made &= owner.blocks[i] != NULL && bh_hosted_arena_of(owner.blocks[i]) == owner.arena;
    CHECK(made);
    used = arena_used(owner.arena);
    CHECK(pthread_barrier_init(&freer.arena_known, NULL, 2) == 0);
    CHECK(pthread_barrier_init(&freer.go, NULL, 2) == 0);
    CHECK(pthread_create(&thread, NULL, freer_main, NULL) == 0);
    pthread_barrier_wait(&freer.arena_known);
    held = freer.arena >= 0 && freer.arena != owner.arena && freer.batches;
    if (!held)
        fprintf(stderr, "test_shim_drains: the freeing thread is in arena %d (the owner's: %d), its cache %s: "
                "it needs BAREHEAP_ARENAS >= 3 and the thread cache\n", freer.arena, owner.arena,
                freer.batches ? "on" : "off");
    CHECK(held);
    if (held)
        shim_lock_enter(&a->lock);
    pthread_barrier_wait(&freer.go);
    CHECK(pthread_join(thread, NULL) == 0);
    if (held)
        shim_lock_exit(&a->lock);
    pthread_barrier_destroy(&freer.arena_known);
    pthread_barrier_destroy(&freer.go);
    CHECK(atomic_load(&a->remote_head) != NULL);
    CHECK(arena_used(owner.arena) == used);
}

/* Runs command (or malloc_trim() here, for QUIT) and checks that it left
 * the list empty and the blocks freed. The call itself changes little
 * (a block of at most 128 bytes). */
static bool drains(enum command command, const char *what) {
    int failures_before = failures;
    long long used, freed;
    blocks_to_remote_list();
    used = arena_used(owner.arena);
    if (command == QUIT)
        CHECK(malloc_trim(0) >= 0);
    else
        owner_run(command);
    freed = used - arena_used(owner.arena);
    if (atomic_load(&arenas[owner.arena].remote_head) != NULL || freed < (long long)BLOCKS * BLOCK_BYTES - 256) {
        fprintf(stderr, "test_shim_drains: %s did not drain: %lld of %d bytes freed\n", what, freed,
                BLOCKS * BLOCK_BYTES);
        failures++;
    }
    return failures == failures_before;
}

int main(void) {
    pthread_t owner_thread;
    int passed = 0, cases = 0;
    CHECK(pthread_create(&owner_thread, NULL, owner_main, NULL) == 0);
    owner_run(MALLOC); /* the owner has its arena */
    CHECK(owner.arena >= 0);
    {
        /* The control: a call that does not drain (this thread's stats,
         * another thread's malloc) leaves the list as it is. */
        int failures_before = failures;
        blocks_to_remote_list();
        free(malloc(opaque(24)));
        CHECK(atomic_load(&arenas[owner.arena].remote_head) != NULL);
        passed += failures == failures_before;
        cases++;
        owner_run(MALLOC); /* drains it */
    }
    passed += drains(MALLOC, "malloc");
    passed += drains(ALIGNED, "aligned_alloc");
    passed += drains(REALLOC, "realloc");
    passed += drains(QUIT, "malloc_trim");
    cases += 4;
    owner_run(QUIT);
    CHECK(pthread_join(owner_thread, NULL) == 0);
    printf("%d passed, %d failed\n", passed, cases - passed + (failures != 0 && passed == cases));
    return failures == 0 ? 0 : 1;
}
