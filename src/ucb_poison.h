/*
 * Forced first include of every library source (see src/meson.build).
 * The library never allocates or prints: buffers and state belong to the
 * caller, diagnostics go to callbacks. Poisoning the identifiers makes any
 * use, and any header that declares them (stdlib.h, stdio.h), a build error.
 */
#ifndef UCB_POISON_H
#define UCB_POISON_H

#if defined(__GNUC__)
#pragma GCC poison malloc calloc realloc free aligned_alloc
#pragma GCC poison printf fprintf sprintf snprintf vprintf vfprintf vsprintf vsnprintf puts fputs putchar
#endif

#endif /* UCB_POISON_H */
