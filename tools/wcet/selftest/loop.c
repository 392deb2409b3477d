/* A loop compiled at -O1 with its test at the bottom and its entry a jump
 * to the test (or laid out so that a fall-through closes the cycle): the
 * bound tool must bound it by --loop, not recurse without end. */
struct range {
    unsigned lo, hi;
};
struct table {
    unsigned n;
    struct range r[8];
};

__attribute__((noinline)) const struct range *find(const struct table *t, unsigned a)
{
    unsigned i;
    for (i = 1; i < t->n; i++) {
        if (a >= t->r[i].lo && a < t->r[i].hi) {
            return &t->r[i];
        }
    }
    return 0;
}

void _start(void);
void _start(void)
{
    static struct table t;
    (void)find(&t, 5);
    for (;;) {
    }
}
