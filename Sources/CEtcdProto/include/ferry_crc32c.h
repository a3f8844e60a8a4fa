/* CRC-32C with the CPU's own instruction (SSE 4.2 on x86-64, the CRC extension on arm64),
 * for the checksums of WAL records, snapshots and Hash. Swift keeps a table-driven fallback
 * for CPUs without it. */
#ifndef FERRY_CRC32C_H
#define FERRY_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* 1 when ferry_crc32c_update may be called on this CPU. */
int ferry_crc32c_available(void);

/* Continues `crc` over `count` bytes as Go's crc32.Update with the Castagnoli table does. */
uint32_t ferry_crc32c_update(uint32_t crc, const void *bytes, size_t count);
#endif
