/*
 * Reading a bh_walk dump (printed by examples/walk_dump.c): the lines that
 * contain "bh-walk " anywhere, so that a whole console log (QEMU output,
 * semihosting, a serial capture) can be given as it is.
 *
 *   bh-walk begin word=4 align=8 heap=65536 control=760
 *   bh-walk block 0x20001000 32 used 0      address, size (header included), used|free, region
 *   bh-walk end blocks=45
 *
 * Blocks of one region are contiguous in the map; each region starts where
 * the previous one ended, and the picture starts it on a new row.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define WALK_PREFIX "bh-walk "

static unsigned long long field_value(const char *line, const char *name)
{
    const char *p = strstr(line, name);
    if (p == NULL) {
        return 0;
    }
    return strtoull(p + strlen(name), NULL, 0);
}

bool walk_dump_read(const char *path, heap_map *map, walk_dump_info *info, char *why, size_t why_bytes)
{
    FILE *f = fopen(path, "r");
    char line[512];
    bool begun = false, ended = false;
    unsigned region = 0;
    uint64_t region_first = 0, region_base = 0, next_address = 0;
    size_t line_number = 0;

    memset(map, 0, sizeof *map);
    memset(info, 0, sizeof *info);
    if (f == NULL) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        return false;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p = strstr(line, WALK_PREFIX);
        line_number++;
        if (p == NULL) {
            continue;
        }
        p += strlen(WALK_PREFIX);
        if (strncmp(p, "begin", 5) == 0) {
            /* A log may hold several dumps: the last one counts. */
            heap_map_free(map);
            begun = true;
            ended = false;
            info->word_bytes = (unsigned)field_value(p, "word=");
            info->align_bytes = (unsigned)field_value(p, "align=");
            info->heap_bytes = field_value(p, "heap=");
            info->control_bytes = field_value(p, "control=");
        } else if (strncmp(p, "block ", 6) == 0 && begun && !ended) {
            char *end;
            unsigned long long address, size, r;
            bool used;
            p += 6;
            address = strtoull(p, &end, 16);
            size = strtoull(end, &end, 10);
            while (*end == ' ') {
                end++;
            }
            used = strncmp(end, "used", 4) == 0;
            if (!used && strncmp(end, "free", 4) != 0) {
                snprintf(why, why_bytes, "%s:%zu: a block is \"used\" or \"free\"", path, line_number);
                goto fail;
            }
            r = strtoull(end + 4, NULL, 10);
            if (map->count == 0u || r != region) {
                if (map->count != 0u && (r < region || r >= 64u)) {
                    snprintf(why, why_bytes, "%s:%zu: regions out of order", path, line_number);
                    goto fail;
                }
                region = (unsigned)r;
                region_first = address;
                region_base = map->span_bytes;
                map->region_start[map->region_count < 64u ? map->region_count : 63u] = region_base;
                map->region_count++;
            } else if (address != next_address) {
                snprintf(why, why_bytes, "%s:%zu: block at 0x%llx, expected 0x%llx (blocks tile a region)", path,
                         line_number, address, (unsigned long long)next_address);
                goto fail;
            }
            next_address = address + size;
            if (!heap_map_add(map, region_base + (address - region_first), size, used, region)) {
                snprintf(why, why_bytes, "out of memory");
                goto fail;
            }
        } else if (strncmp(p, "end", 3) == 0 && begun) {
            ended = true;
            info->blocks_declared = (size_t)field_value(p, "blocks=");
        }
    }
    fclose(f);
    if (!begun) {
        snprintf(why, why_bytes, "%s: no \"bh-walk begin\" line: not a bh_walk dump", path);
        return false;
    }
    if (!ended || info->blocks_declared != map->count) {
        snprintf(why, why_bytes, "%s: the dump is cut short (%zu blocks read, %s)", path, map->count,
                 ended ? "the end line counts another number" : "no end line");
        heap_map_free(map);
        return false;
    }
    return true;

fail:
    fclose(f);
    heap_map_free(map);
    return false;
}
