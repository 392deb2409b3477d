/*
 * test_lock_port's configuration (BAREHEAP_CONFIG_HEADER): no lock hooks, a
 * lock compiled into every call instead, here functions of the test that
 * record each enter and exit and the state passed between them. The other
 * options keep their defaults.
 */
#ifndef LOCK_PORT_CONFIG_H
#define LOCK_PORT_CONFIG_H

#define BAREHEAP_LOCK_HOOKS 0
#define BAREHEAP_LOCK_STATE unsigned long
#define BAREHEAP_LOCK_ENTER(heap) test_port_enter(heap)
#define BAREHEAP_LOCK_EXIT(heap, state) test_port_exit((heap), (state))

struct bh_heap;
unsigned long test_port_enter(struct bh_heap *heap);
void test_port_exit(struct bh_heap *heap, unsigned long state);

#endif /* LOCK_PORT_CONFIG_H */
