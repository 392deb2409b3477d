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

#include <ctype.h>
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

/* A number of a block line, after optional blanks. strtoull() alone would
 * read a missing number as 0, "-32" as 2^64 - 32 and too many digits as
 * ULLONG_MAX: each a block the log never held, drawn as if it had. */
static bool number_read(const char **p, int base, unsigned long long *out)
{
    const char *s = *p;
    char *end;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s)) {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, base);
    if (errno != 0 || end == s) {
        return false;
    }
    *p = end;
    return true;
}

walk_dump_status walk_dump_read(const char *path, heap_map *map, walk_dump_info *info, char *why, size_t why_bytes)
{
    FILE *f = fopen(path, "r");
    char line[512];
    bool begun = false, ended = false;
    unsigned region = 0;
    uint64_t region_first = 0, region_base = 0, next_address = 0;
    size_t line_number = 0;
    walk_dump_status status = WALK_DUMP_BROKEN;

    memset(map, 0, sizeof *map);
    memset(info, 0, sizeof *info);
    if (f == NULL) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        return WALK_DUMP_CANNOT_READ;
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
            const char *q = p + 6;
            unsigned long long address, size, r;
            uint64_t offset;
            bool used;
            if (!number_read(&q, 16, &address) || !number_read(&q, 10, &size)) {
                snprintf(why, why_bytes, "%s:%zu: a block line is \"bh-walk block ADDRESS SIZE used|free REGION\"",
                         path, line_number);
                goto fail;
            }
            while (*q == ' ') {
                q++;
            }
            used = strncmp(q, "used", 4) == 0;
            if (!used && strncmp(q, "free", 4) != 0) {
                snprintf(why, why_bytes, "%s:%zu: a block is \"used\" or \"free\"", path, line_number);
                goto fail;
            }
            q += 4;
            if (!number_read(&q, 10, &r)) {
                snprintf(why, why_bytes, "%s:%zu: a block line ends with its region's number", path, line_number);
                goto fail;
            }
            if (map->count == 0u || r != region) {
                if (r >= 64u || (map->count != 0u && r < region)) {
                    snprintf(why, why_bytes, "%s:%zu: region %llu: regions are 0..63, in increasing order", path, line_number, r);
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
            /* The map's offsets and the picture's arithmetic need every
             * block's end to be a number: a wrapped end would tile with a
             * block at a lower address and draw beyond every row. */
            offset = region_base + (address - region_first);
            if (size > UINT64_MAX - address || size > UINT64_MAX - offset) {
                snprintf(why, why_bytes, "%s:%zu: a block of %llu bytes at 0x%llx runs past the end of the address "
                         "space", path, line_number, size, address);
                goto fail;
            }
            next_address = address + size;
            if (!heap_map_add(map, offset, size, used, region)) {
                snprintf(why, why_bytes, "out of memory");
                status = WALK_DUMP_OUT_OF_MEMORY;
                goto fail;
            }
        } else if (strncmp(p, "end", 3) == 0 && begun) {
            ended = true;
            info->blocks_declared = (size_t)field_value(p, "blocks=");
        }
    }
    /* fgets() ends the same way at a read error (a directory gives EISDIR)
     * as at the end of the file: not a broken dump, no dump read at all. */
    if (ferror(f)) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        status = WALK_DUMP_CANNOT_READ;
        goto fail;
    }
    fclose(f);
    if (!begun) {
        snprintf(why, why_bytes, "%s: no \"bh-walk begin\" line: not a bh_walk dump", path);
        return WALK_DUMP_BROKEN;
    }
    if (!ended || info->blocks_declared != map->count) {
        snprintf(why, why_bytes, "%s: the dump is cut short (%zu blocks read, %s)", path, map->count,
                 ended ? "the end line counts another number" : "no end line");
        heap_map_free(map);
        return WALK_DUMP_BROKEN;
    }
    return WALK_DUMP_OK;

fail:
    fclose(f);
    heap_map_free(map);
    return status;
}
