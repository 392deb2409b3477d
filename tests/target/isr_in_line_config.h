/*
 * isr_heap_in_line's configuration (BAREHEAP_CONFIG_HEADER): the interrupt
 * mask compiled into every call (BAREHEAP_LOCK_HOOKS 0), through functions
 * of isr_heap.c that take the mask as bareheap_lock_mask_in_line.h does and
 * also set the flag its timer handler checks.
 */
#ifndef ISR_IN_LINE_CONFIG_H
#define ISR_IN_LINE_CONFIG_H

#define BAREHEAP_LOCK_HOOKS 0
#define BAREHEAP_LOCK_STATE unsigned long
#define BAREHEAP_LOCK_ENTER(heap) isr_in_line_enter()
#define BAREHEAP_LOCK_EXIT(heap, state) isr_in_line_exit(state)

unsigned long isr_in_line_enter(void);
void isr_in_line_exit(unsigned long state);

#endif /* ISR_IN_LINE_CONFIG_H */
