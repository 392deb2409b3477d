/*
 * The pictures, as plain SVG 1.1 written with stdio (no library):
 *
 *   heap map      the blocks along the address range, wrapped into rows of a
 *                 power-of-two number of bytes; used blocks coloured by their
 *                 power-of-two size class, free blocks grey; a legend and the
 *                 offset of every row. Every block is one <rect class="b">
 *                 (its pieces on following rows are class "bc"); with more
 *                 blocks than merge_threshold_blocks, runs of neighbours each
 *                 smaller than span / merge_threshold_blocks bytes (or than
 *                 a pixel, if that is more) are drawn as one <rect class="m">
 *                 per run of about that size, in the colour of the class
 *                 holding most of its used bytes and paler as more of it is
 *                 free, so a map of a million blocks stays a file a browser
 *                 opens.
 *   fragmentation two line charts over the operations: bytes (live, used with
 *                 headers, span up to the high-water mark) and shares
 *                 (utilisation, free space outside the largest free block).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SVG_WIDTH 1100.0
#define MAP_LEFT 120.0
#define MAP_WIDTH 950.0
#define ROW_HEIGHT 16.0
#define ROW_GAP 4.0
#define TARGET_ROWS 40u
#define CHART_HEIGHT 200.0

/* Invalid sequences (a name's bytes in another encoding) are written as
 * U+FFFD by the SVG's and the JSON report's writers. */
size_t utf8_sequence_bytes(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n, i;
    if (u[0] < 0x80u) {
        return 1;
    }
    if (u[0] >= 0xC2u && u[0] <= 0xDFu) {
        n = 2;
    } else if (u[0] >= 0xE0u && u[0] <= 0xEFu) {
        n = 3;
    } else if (u[0] >= 0xF0u && u[0] <= 0xF4u) {
        n = 4;
    } else {
        return 0; /* a continuation byte, or a lead byte no valid sequence has */
    }
    for (i = 1; i < n; i++) {
        if ((u[i] & 0xC0u) != 0x80u) {
            return 0;
        }
    }
    if ((n == 3u && ((u[0] == 0xE0u && u[1] < 0xA0u) || (u[0] == 0xEDu && u[1] >= 0xA0u))) ||
        (n == 4u && ((u[0] == 0xF0u && u[1] < 0x90u) || (u[0] == 0xF4u && u[1] >= 0x90u)))) {
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    }
    return n;
}

static void text_escaped(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        size_t n = utf8_sequence_bytes(s);
        /* U+FFFE and U+FFFF are valid UTF-8 but not XML characters: an XML
         * parser refuses the whole file for one in a file name. */
        if (n == 3u && (unsigned char)s[0] == 0xEFu && (unsigned char)s[1] == 0xBFu &&
            (unsigned char)s[2] >= 0xBEu) {
            s += 2;
            n = 0;
        }
        if (n == 0u) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD for a byte that is not UTF-8 */
            continue;
        }
        if (n > 1u) {
            fwrite(s, 1, n, f);
            s += n - 1u;
            continue;
        }
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20u) {
                fputc(*s, f);
            }
            break;
        }
    }
}

static unsigned size_class(uint64_t size_bytes)
{
    unsigned c = 0;
    while (size_bytes > 1u) {
        size_bytes >>= 1;
        c++;
    }
    return c;
}

/* The size classes of the used blocks of the map being drawn: colours are
 * spread over them, blue for the smallest to red for the largest. */
static unsigned palette_lo_class, palette_hi_class;

static int class_hue(unsigned cls)
{
    unsigned range = palette_hi_class > palette_lo_class ? palette_hi_class - palette_lo_class : 1u;
    unsigned at = cls < palette_lo_class ? 0u : (cls > palette_hi_class ? range : cls - palette_lo_class);
    return 240 - (int)(240u * at / range);
}

static void class_colour(unsigned cls, char *buf, size_t buf_bytes)
{
    /* neighbouring classes differ in lightness too, for grey-scale prints */
    snprintf(buf, buf_bytes, "hsl(%d,70%%,%d%%)", class_hue(cls), 46 + (int)(cls % 2u) * 10);
}

static void bytes_label(uint64_t bytes, char *buf, size_t buf_bytes)
{
    if (bytes >= (uint64_t)1 << 30 && bytes % ((uint64_t)1 << 30) == 0u) {
        snprintf(buf, buf_bytes, "%llu GiB", (unsigned long long)(bytes >> 30));
    } else if (bytes >= (uint64_t)1 << 20 && bytes % ((uint64_t)1 << 20) == 0u) {
        snprintf(buf, buf_bytes, "%llu MiB", (unsigned long long)(bytes >> 20));
    } else if (bytes >= 1024u && bytes % 1024u == 0u) {
        snprintf(buf, buf_bytes, "%llu KiB", (unsigned long long)(bytes >> 10));
    } else if (bytes >= (uint64_t)1 << 20) {
        snprintf(buf, buf_bytes, "%.1f MiB", (double)bytes / 1048576.0);
    } else if (bytes >= 10240u) {
        snprintf(buf, buf_bytes, "%.1f KiB", (double)bytes / 1024.0);
    } else {
        snprintf(buf, buf_bytes, "%llu B", (unsigned long long)bytes);
    }
}

typedef struct map_layout {
    uint64_t row_bytes;
    double top;
    unsigned region_count;
    const heap_map *map;
    unsigned first_row[65]; /* of each region; first_row[region_count] = total rows */
} map_layout;

static uint64_t region_end(const heap_map *map, unsigned r)
{
    return r + 1u < map->region_count ? map->region_start[r + 1u] : map->span_bytes;
}

static void layout_make(map_layout *l, const heap_map *map, double top)
{
    uint64_t span = map->span_bytes == 0u ? 1u : map->span_bytes;
    unsigned r, rows = 0;
    memset(l, 0, sizeof *l);
    l->map = map;
    l->top = top;
    l->region_count = map->region_count == 0u ? 1u : (map->region_count > 64u ? 64u : map->region_count);
    l->row_bytes = 64u;
    /* Not row_bytes * TARGET_ROWS < span: a span near 2^64 (a walk dump is
     * text, any number can be in it) wraps that product, and row_bytes with
     * it, to 0 for ever. */
    while (l->row_bytes < (span - 1u) / TARGET_ROWS + 1u) {
        l->row_bytes *= 2u;
    }
    for (r = 0; r < l->region_count; r++) {
        uint64_t bytes = region_end(map, r) - (map->region_count == 0u ? 0u : map->region_start[r]);
        l->first_row[r] = rows;
        /* Not (bytes + row_bytes - 1) / row_bytes: that wraps for a region
         * near 2^64 bytes, which then had no rows and was drawn below the
         * picture's end. */
        rows += (unsigned)(bytes / l->row_bytes) + (bytes % l->row_bytes != 0u || bytes == 0u ? 1u : 0u);
    }
    l->first_row[l->region_count] = rows;
}

static unsigned region_of(const map_layout *l, uint64_t offset)
{
    unsigned r = 0;
    while (r + 1u < l->region_count && offset >= l->map->region_start[r + 1u]) {
        r++;
    }
    return r;
}

/* Position of [offset, offset + size) within its region's rows: it may run
 * over several rows; pieces after the first are drawn as continuations. */
static void rect_pieces(FILE *f, const map_layout *l, uint64_t offset, uint64_t size, const char *cls,
                        const char *fill, const char *tooltip)
{
    unsigned r = region_of(l, offset);
    uint64_t rel = offset - (l->map->region_count == 0u ? 0u : l->map->region_start[r]);
    bool first = true;
    while (size > 0u || first) {
        uint64_t row = rel / l->row_bytes, in_row = rel % l->row_bytes;
        uint64_t piece = l->row_bytes - in_row < size ? l->row_bytes - in_row : size;
        double x = MAP_LEFT + MAP_WIDTH * (double)in_row / (double)l->row_bytes;
        double w = MAP_WIDTH * (double)piece / (double)l->row_bytes;
        double y = l->top + (double)(l->first_row[r] + row) * (ROW_HEIGHT + ROW_GAP);
        fprintf(f, "<rect class=\"%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.3f\" height=\"%.0f\" fill=\"%s\"",
                first ? cls : "bc", x, y, w, ROW_HEIGHT, fill);
        if (tooltip != NULL && first) {
            fputs("><title>", f);
            text_escaped(f, tooltip);
            fputs("</title></rect>\n", f);
        } else {
            fputs("/>\n", f);
        }
        first = false;
        rel += piece;
        size -= piece;
        if (piece == 0u) {
            break;
        }
    }
}

typedef struct merge_run {
    uint64_t offset, end, used_bytes;
    size_t blocks;
    uint64_t first_size;
    bool first_used;
    uint64_t class_used_bytes[40]; /* used bytes per size class: the run's colour */
} merge_run;

static long block_draw(FILE *f, const map_layout *l, uint64_t offset, uint64_t size, bool used, bool tooltips,
                       unsigned *class_seen_mask_lo, bool *free_seen)
{
    char fill[40], tip[160];
    unsigned cls = size_class(size);
    if (used) {
        class_colour(cls, fill, sizeof fill);
        if (cls < 32u) {
            *class_seen_mask_lo |= 1u << cls;
        }
    } else {
        snprintf(fill, sizeof fill, "#e4e4e4");
        *free_seen = true;
    }
    snprintf(tip, sizeof tip, "offset %llu (0x%llx), %llu B, %s", (unsigned long long)offset,
             (unsigned long long)offset, (unsigned long long)size, used ? "used" : "free");
    rect_pieces(f, l, offset, size, "b", fill, tooltips ? tip : NULL);
    return 1;
}

static long run_flush(FILE *f, const map_layout *l, merge_run *run, bool tooltips, unsigned *mask, bool *free_seen,
                      bool *merged_seen)
{
    long n = 0;
    if (run->blocks == 1u) {
        n = block_draw(f, l, run->offset, run->first_size, run->first_used, tooltips, mask, free_seen);
    } else if (run->blocks > 1u) {
        char fill[64], tip[160];
        unsigned cls, top = 0;
        double used_share = (double)run->used_bytes / (double)(run->end - run->offset);
        /* The colour of the size class with the most used bytes in the run,
         * paler as more of the run is free. */
        for (cls = 1; cls < 40u; cls++) {
            top = run->class_used_bytes[cls] > run->class_used_bytes[top] ? cls : top;
        }
        if (run->used_bytes == 0u) {
            snprintf(fill, sizeof fill, "#e4e4e4");
            *free_seen = true;
        } else {
            snprintf(fill, sizeof fill, "hsl(%d,%d%%,%d%%)", class_hue(top), 15 + (int)(55.0 * used_share),
                     88 - (int)(40.0 * used_share));
            if (top < 32u) {
                *mask |= 1u << top;
            }
        }
        snprintf(tip, sizeof tip, "%zu blocks merged, %llu B, %llu B used", run->blocks,
                 (unsigned long long)(run->end - run->offset), (unsigned long long)run->used_bytes);
        rect_pieces(f, l, run->offset, run->end - run->offset, "m", fill, tip);
        *merged_seen = true;
        n = 1;
    }
    memset(run, 0, sizeof *run);
    return n;
}

static long map_write(FILE *f, const heap_map *map, double top, size_t merge_threshold, double *bottom)
{
    map_layout l;
    size_t i;
    unsigned r, row, mask = 0, cls;
    bool free_seen = false, merged_seen = false;
    bool merge = map->count > merge_threshold;
    bool tooltips = map->count <= 2000u;
    merge_run run;
    long rects = 0;
    double y, x;
    char label[48];
    uint64_t pixel_bytes;

    palette_lo_class = 64u;
    palette_hi_class = 0u;
    for (i = 0; i < map->count; i++) {
        if (map->blocks[i].used) {
            cls = size_class(map->blocks[i].size_bytes);
            palette_lo_class = cls < palette_lo_class ? cls : palette_lo_class;
            palette_hi_class = cls > palette_hi_class ? cls : palette_hi_class;
        }
    }
    layout_make(&l, map, top + 34.0);
    bytes_label(l.row_bytes, label, sizeof label);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"h\">Heap map</text>\n", MAP_LEFT, top + 14.0);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"s\">one row = %s; a block's width is its size, header "
               "included</text>\n", MAP_LEFT, top + 28.0, label);
    /* Row labels: the offset where each row starts. A region is named by
     * the number its blocks carry (a dump may skip numbers), found with one
     * cursor over the blocks, which are in offset order. */
    i = 0;
    for (r = 0; r < l.region_count; r++) {
        unsigned rows = l.first_row[r + 1u] - l.first_row[r];
        unsigned number = r;
        while (i < map->count && map->region_count != 0u && map->blocks[i].offset_bytes < map->region_start[r]) {
            i++;
        }
        if (i < map->count) {
            number = map->blocks[i].region;
        }
        for (row = 0; row < rows; row++) {
            y = l.top + (double)(l.first_row[r] + row) * (ROW_HEIGHT + ROW_GAP) + ROW_HEIGHT - 4.0;
            bytes_label((uint64_t)row * l.row_bytes, label, sizeof label);
            if (l.region_count > 1u && row == 0u) {
                fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"l\">region %u: %s</text>\n", MAP_LEFT - 6.0, y,
                        number, label);
            } else if (row % ((rows + 31u) / 32u) == 0u) {
                fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"l\">%s</text>\n", MAP_LEFT - 6.0, y, label);
            }
        }
    }
    fputs("<g class=\"map\">\n", f);
    memset(&run, 0, sizeof run);
    /* A merged run covers about span / threshold bytes, so a map never has
     * many more rectangles than the threshold; at least a pixel. */
    pixel_bytes = l.row_bytes / (uint64_t)MAP_WIDTH + 1u;
    if (merge && map->span_bytes / merge_threshold > pixel_bytes) {
        pixel_bytes = map->span_bytes / merge_threshold;
    }
    for (i = 0; i < map->count; i++) {
        const map_block *b = &map->blocks[i];
        bool tiny = merge && b->size_bytes < pixel_bytes;
        if (run.blocks != 0u && (!tiny || run.end != b->offset_bytes || run.end - run.offset >= pixel_bytes ||
                                 region_of(&l, run.offset) != region_of(&l, b->offset_bytes))) {
            rects += run_flush(f, &l, &run, tooltips, &mask, &free_seen, &merged_seen);
        }
        if (tiny) {
            if (run.blocks == 0u) {
                run.offset = b->offset_bytes;
                run.first_size = b->size_bytes;
                run.first_used = b->used;
            }
            run.end = b->offset_bytes + b->size_bytes;
            run.used_bytes += b->used ? b->size_bytes : 0u;
            if (b->used) {
                cls = size_class(b->size_bytes);
                run.class_used_bytes[cls < 40u ? cls : 39u] += b->size_bytes;
            }
            run.blocks++;
        } else {
            rects += block_draw(f, &l, b->offset_bytes, b->size_bytes, b->used, tooltips, &mask, &free_seen);
        }
    }
    rects += run_flush(f, &l, &run, tooltips, &mask, &free_seen, &merged_seen);
    fputs("</g>\n", f);

    /* Legend */
    y = l.top + (double)l.first_row[l.region_count] * (ROW_HEIGHT + ROW_GAP) + 12.0;
    x = MAP_LEFT;
    fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"l\">used, by size:</text>\n", x - 6.0, y + 10.0);
    for (cls = 0; cls < 32u; cls++) {
        char fill[40], lo[24];
        if ((mask & (1u << cls)) == 0u) {
            continue;
        }
        if (x > MAP_LEFT + MAP_WIDTH - 90.0) {
            x = MAP_LEFT;
            y += 18.0;
        }
        class_colour(cls, fill, sizeof fill);
        bytes_label((uint64_t)1 << cls, lo, sizeof lo);
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" class=\"s\">%s+</text>\n", x, y, fill, x + 16.0, y + 10.0, lo);
        x += 80.0;
    }
    y += 18.0;
    x = MAP_LEFT;
    if (free_seen) {
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#e4e4e4\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" class=\"s\">free</text>\n", x, y, x + 16.0, y + 10.0);
        x += 80.0;
    }
    if (merged_seen) {
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"6\" height=\"12\" fill=\"hsl(200,70%%,48%%)\"/>"
                   "<rect x=\"%.0f\" y=\"%.1f\" width=\"6\" height=\"12\" fill=\"hsl(200,30%%,78%%)\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" class=\"s\">runs of small blocks, merged: the colour of the size "
                   "holding most of their used bytes, paler as more of the run is free</text>\n",
                x, y, x + 6.0, y, x + 16.0, y + 10.0);
    }
    *bottom = y + 24.0;
    return rects;
}

typedef struct series {
    const char *name;
    const char *colour;
    int field; /* see sample_value() */
} series;

static double sample_value(const replay_sample *s, int field)
{
    switch (field) {
    case 0: return (double)s->live_bytes;
    case 1: return (double)s->used_bytes;
    case 2: return (double)s->span_bytes;
    case 3: return s->span_bytes == 0u ? 0.0 : 100.0 * (double)s->held_bytes / (double)s->span_bytes;
    default:
        return s->free_bytes == 0u ? 0.0
                                   : 100.0 * (1.0 - (double)s->largest_free_bytes / (double)s->free_bytes);
    }
}

static void chart_write(FILE *f, const svg_input *in, double top, const char *heading, const series *lines,
                        size_t line_count, bool percent, double *bottom)
{
    double max = percent ? 100.0 : 0.0, x0 = MAP_LEFT, y0 = top + 24.0, h = CHART_HEIGHT;
    double ops = in->op_count == 0u ? 1.0 : (double)in->op_count, legend_x = MAP_LEFT;
    size_t i, k;
    int t;
    char label[48];

    for (i = 0; i < in->sample_count && !percent; i++) {
        for (k = 0; k < line_count; k++) {
            double v = sample_value(&in->samples[i], lines[k].field);
            if (v > max) {
                max = v;
            }
        }
    }
    if (max <= 0.0) {
        max = 1.0;
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"h\">%s</text>\n", x0, top + 14.0, heading);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n", x0,
            y0, MAP_WIDTH, h);
    for (t = 0; t <= 4; t++) {
        double v = max * t / 4.0, y = y0 + h - h * t / 4.0;
        if (percent) {
            snprintf(label, sizeof label, "%.0f%%", v);
        } else {
            /* (double)UINT64_MAX is 2^64, which does not convert back: a
             * trace with absurd sizes would be undefined behaviour here. */
            bytes_label(v < (double)UINT64_MAX ? (uint64_t)v : UINT64_MAX, label, sizeof label);
        }
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" class=\"l\">%s</text>\n", x0, y, x0 + MAP_WIDTH, y, x0 - 6.0, y + 4.0,
                label);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"s\" text-anchor=\"middle\">%.0f</text>\n",
                x0 + MAP_WIDTH * t / 4.0, y0 + h + 14.0, ops * t / 4.0);
    }
    if (in->failure_op != SIZE_MAX) {
        double x = x0 + MAP_WIDTH * (double)in->failure_op / ops;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#d00\" stroke-dasharray=\"4 3\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\" class=\"s\" fill=\"#d00\">first failure</text>\n",
                x, y0, x, y0 + h, x + 4.0, y0 + 12.0);
    }
    for (k = 0; k < line_count; k++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", lines[k].colour);
        for (i = 0; i < in->sample_count; i++) {
            double v = sample_value(&in->samples[i], lines[k].field);
            fprintf(f, "%s%.1f,%.1f", i == 0u ? "" : " ", x0 + MAP_WIDTH * (double)(in->samples[i].op_index + 1u) / ops,
                    y0 + h - h * v / max);
        }
        fputs("\"/>\n", f);
        fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\" class=\"s\">%s</text>\n", legend_x, y0 + h + 26.0,
                lines[k].colour, legend_x + 16.0, y0 + h + 31.0, lines[k].name);
        legend_x += 40.0 + 6.0 * (double)strlen(lines[k].name);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"s\" text-anchor=\"end\">operation</text>\n", x0 + MAP_WIDTH,
            y0 + h + 44.0);
    *bottom = y0 + h + 52.0;
}

long svg_write(const char *path, const svg_input *in)
{
    static const series byte_lines[] = {
        {"live bytes (requested)", "#1f6fb4", 0},
        {"used bytes (blocks, headers included)", "#e67e00", 1},
        {"first block to high-water mark", "#777", 2},
    };
    static const series share_lines[] = {
        {"utilisation: live bytes held / span to high-water mark", "#2a9d3a", 3},
        {"free space outside the largest free block", "#c0392b", 4},
    };
    char *body = NULL;
    size_t body_bytes = 0;
    FILE *f = open_memstream(&body, &body_bytes), *out;
    long rects = 0;
    double y = 60.0;
    bool ok;

    /* The body goes to memory first: the height it takes goes in the header. */
    if (f == NULL) {
        return -1;
    }
    fputs("<style>.h{font-size:14px;font-weight:bold}.s{font-size:11px;fill:#333}"
          ".l{font-size:10px;fill:#555;text-anchor:end}.b,.bc,.m{stroke:#fff;stroke-width:0.3}</style>\n", f);
    fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", f);
    fputs("<text x=\"20\" y=\"24\" class=\"h\">", f);
    text_escaped(f, in->title != NULL ? in->title : "bareheap");
    fputs("</text>\n<text x=\"20\" y=\"42\" class=\"s\">", f);
    text_escaped(f, in->subtitle != NULL ? in->subtitle : "");
    fputs("</text>\n", f);
    if (in->map != NULL) {
        rects = map_write(f, in->map, y, in->merge_threshold_blocks, &y);
    }
    if (in->samples != NULL && in->sample_count != 0u) {
        chart_write(f, in, y + 10.0, "Over time: bytes", byte_lines, 3, false, &y);
        chart_write(f, in, y + 10.0, "Over time: fragmentation", share_lines, 2, true, &y);
    }
    if (fclose(f) != 0 || body == NULL) {
        free(body);
        return -1;
    }
    out = fopen(path, "w");
    if (out == NULL) {
        free(body);
        return -1;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
            SVG_WIDTH, y + 10.0, SVG_WIDTH, y + 10.0);
    fwrite(body, 1, body_bytes, out);
    fputs("</svg>\n", out);
    free(body);
    ok = ferror(out) == 0;
    if (fclose(out) != 0 || !ok) {
        return -1;
    }
    return rects;
}
