/* A bump allocator handed to protobuf-c: one decode or encode allocates from it and the whole
 * arena is reset afterwards, instead of one malloc/free pair per struct, array and field.
 * Allocations above FERRY_ARENA_LARGE get a malloc of their own so that a decoded bytes field
 * can be adopted by its Swift owner without a second copy (ferry_arena_adopt). */
#ifndef FERRY_ARENA_H
#define FERRY_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#define FERRY_ARENA_LARGE 4096

typedef struct FerryArenaBlock FerryArenaBlock;

typedef struct FerryArena {
    ProtobufCAllocator allocator; /* allocator_data points back at this arena */
    FerryArenaBlock *blocks;      /* newest first; the first one is kept across resets */
    unsigned char *cursor;
    unsigned char *limit;
    void **large;                 /* separately malloc'ed allocations, freed at reset */
    size_t large_count;
    size_t large_capacity;
    int busy;
} FerryArena;

/* The calling thread's arena, or a new one when that is busy (a nested use); give it back
 * with ferry_arena_release, which resets it. */
FerryArena *ferry_arena_acquire(void);
void ferry_arena_release(FerryArena *arena);

void *ferry_arena_alloc(FerryArena *arena, size_t size);

/* Hands a large allocation over to the caller, who frees it with free(). Returns 0 when the
 * pointer is not a large allocation of this arena (the caller must copy instead). */
int ferry_arena_adopt(FerryArena *arena, void *pointer);

#endif
