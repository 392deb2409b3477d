/*
 * Console buffering, arguments and fault report shared by every board. The
 * board file provides board_console_flush() (write a NUL-terminated line) and
 * board_exit_now() (end the emulation with a status of 0..255).
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"

void board_console_flush(const char *line);
void board_exit_now(int status) __attribute__((noreturn));

static char g_program_name[] = "firmware";
__attribute__((weak)) int board_argc = 1;
__attribute__((weak)) char *board_argv[] = {g_program_name, NULL};

const void *board_fdt;
const void *board_multiboot_info;

/* Boards with memory at the top of the address space override this. */
__attribute__((weak)) void *board_top_memory(size_t *size_bytes)
{
    *size_bytes = 0;
    return NULL;
}

static char g_line[128];
static size_t g_line_len;

static void line_flush(void)
{
    if (g_line_len > 0u) {
        g_line[g_line_len] = '\0';
        board_console_flush(g_line);
        g_line_len = 0u;
    }
}

void board_write(const char *text, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        g_line[g_line_len++] = text[i];
        if (text[i] == '\n' || g_line_len == sizeof g_line - 1u) {
            line_flush();
        }
    }
}

void board_exit(int status)
{
    line_flush();
    /* The exit paths carry 8 bits: a status outside 0..255 (256, negative)
     * goes on as 255, so that no failure arrives as 0. */
    board_exit_now(status >= 0 && status <= 0xFF ? status : 0xFF);
}

static void write_str(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    board_write(s, n);
}

void board_write_hex(unsigned long v)
{
    char buf[2 + 2 * sizeof v];
    size_t i;
    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0; i < 2 * sizeof v; i++) {
        unsigned digit = (unsigned)(v >> (4u * (2u * sizeof v - 1u - i))) & 0xFu;
        buf[2 + i] = (char)(digit < 10u ? '0' + digit : 'a' + digit - 10u);
    }
    board_write(buf, sizeof buf);
}

void board_fault(const char *what, unsigned long pc, unsigned long detail)
{
    /* The fault may have come in the middle of a line. */
    board_write("\n", 1);
    write_str("FAULT: ");
    write_str(what);
    write_str(" pc=");
    board_write_hex(pc);
    write_str(" detail=");
    board_write_hex(detail);
    board_write("\n", 1);
    board_exit(3);
}
