/*
 * Returns EXIT_STATUS from main: the board must report a failure for every
 * non-zero status (port/baremetal/board.h), the ones the exit path cannot
 * pass through unchanged included.
 */
int main(void);

int main(void)
{
    return EXIT_STATUS;
}
