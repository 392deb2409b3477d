/*
 * Runs the fuzz target on files named on the command line, without libFuzzer:
 * the committed corpus as a regression test on every build (gcc, 32-bit under
 * qemu, every configuration variant).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT_BYTES ((size_t)1 << 20)

static uint8_t input[MAX_INPUT_BYTES];

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        size_t n;
        if (!f) {
            fprintf(stderr, "fuzz_replay: cannot open %s\n", argv[i]);
            return 1;
        }
        n = fread(input, 1, sizeof input, f);
        fclose(f);
        LLVMFuzzerTestOneInput(input, n);
    }
    printf("fuzz_replay: %d inputs passed\n", argc - 1);
    return 0;
}
