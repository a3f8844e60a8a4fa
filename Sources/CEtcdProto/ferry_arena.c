#include "ferry_arena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FERRY_ARENA_BLOCK 65536

struct FerryArenaBlock {
    FerryArenaBlock *next;
    size_t size;
    unsigned char bytes[];
};

static void *arena_alloc_cb(void *data, size_t size) { return ferry_arena_alloc(data, size); }

static void arena_free_cb(void *data, void *pointer) {
    FerryArena *arena = data;
    if (pointer == NULL) return;
    /* Only large allocations are returned early; bump allocations live until the reset. */
    for (size_t i = arena->large_count; i > 0; i--) {
        if (arena->large[i - 1] == pointer) {
            free(pointer);
            arena->large[i - 1] = arena->large[--arena->large_count];
            return;
        }
    }
}

static FerryArenaBlock *block_new(size_t size) {
    FerryArenaBlock *block = malloc(sizeof(FerryArenaBlock) + size);
    if (block == NULL) abort();
    block->next = NULL;
    block->size = size;
    return block;
}

static FerryArena *arena_new(void) {
    FerryArena *arena = calloc(1, sizeof(FerryArena));
    if (arena == NULL) abort();
    arena->allocator.alloc = arena_alloc_cb;
    arena->allocator.free = arena_free_cb;
    arena->allocator.allocator_data = arena;
    arena->blocks = block_new(FERRY_ARENA_BLOCK);
    arena->cursor = arena->blocks->bytes;
    arena->limit = arena->cursor + arena->blocks->size;
    return arena;
}

static void arena_reset(FerryArena *arena) {
    for (size_t i = 0; i < arena->large_count; i++) free(arena->large[i]);
    arena->large_count = 0;
    FerryArenaBlock *keep = arena->blocks;
    while (keep->next != NULL) keep = keep->next; /* the first block is the oldest */
    for (FerryArenaBlock *b = arena->blocks; b != keep;) {
        FerryArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    arena->blocks = keep;
    arena->cursor = keep->bytes;
    arena->limit = keep->bytes + keep->size;
}

static void arena_destroy(FerryArena *arena) {
    arena_reset(arena);
    free(arena->blocks);
    free(arena->large);
    free(arena);
}

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void thread_arena_destroy(void *arena) { arena_destroy(arena); }
static void thread_key_make(void) { pthread_key_create(&thread_key, thread_arena_destroy); }

FerryArena *ferry_arena_acquire(void) {
    pthread_once(&thread_key_once, thread_key_make);
    FerryArena *arena = pthread_getspecific(thread_key);
    if (arena == NULL) {
        arena = arena_new();
        pthread_setspecific(thread_key, arena);
    }
    if (arena->busy) {
        FerryArena *nested = arena_new();
        nested->busy = 2; /* not the thread's: destroyed on release */
        return nested;
    }
    arena->busy = 1;
    return arena;
}

void ferry_arena_release(FerryArena *arena) {
    if (arena->busy == 2) {
        arena_destroy(arena);
        return;
    }
    arena_reset(arena);
    arena->busy = 0;
}

void *ferry_arena_alloc(FerryArena *arena, size_t size) {
    if (size >= FERRY_ARENA_LARGE) {
        if (arena->large_count == arena->large_capacity) {
            size_t capacity = arena->large_capacity ? arena->large_capacity * 2 : 16;
            void **grown = realloc(arena->large, capacity * sizeof(void *));
            if (grown == NULL) abort();
            arena->large = grown;
            arena->large_capacity = capacity;
        }
        void *pointer = malloc(size);
        if (pointer == NULL) abort();
        arena->large[arena->large_count++] = pointer;
        return pointer;
    }
    size = (size + 15) & ~(size_t)15;
    if ((size_t)(arena->limit - arena->cursor) < size) {
        FerryArenaBlock *block = block_new(FERRY_ARENA_BLOCK);
        block->next = arena->blocks;
        arena->blocks = block;
        arena->cursor = block->bytes;
        arena->limit = block->bytes + block->size;
    }
    void *pointer = arena->cursor;
    arena->cursor += size;
    return pointer;
}

int ferry_arena_adopt(FerryArena *arena, void *pointer) {
    for (size_t i = arena->large_count; i > 0; i--) {
        if (arena->large[i - 1] == pointer) {
            arena->large[i - 1] = arena->large[--arena->large_count];
            return 1;
        }
    }
    return 0;
}
