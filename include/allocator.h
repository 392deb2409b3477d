/* The seed's header name: everything is in bareheap.h. */
#ifndef ALLOCATOR_H
#define ALLOCATOR_H
#include "bareheap.h"
#endif
