/**
 * @file export.h
 * @brief Symbol visibility. The library builds with hidden visibility; only
 * declarations marked UCB_API are exported, and all of them carry the ucb_
 * prefix (tests/check_symbols.py enforces both).
 */
#ifndef UCB_EXPORT_H
#define UCB_EXPORT_H

#if defined(UCB_BUILDING_LIBRARY) && defined(__GNUC__)
#define UCB_API __attribute__((visibility("default")))
#else
#define UCB_API
#endif

#endif /* UCB_EXPORT_H */
