// SPATE_ASSERT: invariant checks that stay on in release builds. A failed check is a bug, not
// an expected error: it prints where and why to stderr and aborts (redpanda's vassert habit).
#pragma once

#include <cstdio>
#include <cstdlib>

#define SPATE_ASSERT(cond, msg)                                                             \
  do {                                                                                      \
    if (!(cond)) [[unlikely]] {                                                             \
      std::fprintf(stderr, "%s:%d: assertion '%s' failed: %s\n", __FILE__, __LINE__, #cond, \
                   (msg));                                                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
