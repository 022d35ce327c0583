/* The checks of the C API's tests (test/capi_*_test.c): each failed check prints where and what,
 * and counts in `failures`, which the test's main turns into its exit status. */
#ifndef UVWAMP_TEST_CAPI_CHECK_H
#define UVWAMP_TEST_CAPI_CHECK_H

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_INT(actual, expected)                                                               \
  do {                                                                                            \
    long long actual_ = (long long)(actual);                                                      \
    long long expected_ = (long long)(expected);                                                  \
    if (actual_ != expected_) {                                                                   \
      fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, actual_, \
              expected_);                                                                         \
      ++failures;                                                                                 \
    }                                                                                             \
  } while (0)

#define CHECK_STR(actual, expected)                                                          \
  do {                                                                                       \
    const char* actual_ = (actual);                                                          \
    if (actual_ == NULL || strcmp(actual_, (expected)) != 0) {                               \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
              actual_ ? actual_ : "(null)", (expected));                                     \
      ++failures;                                                                            \
    }                                                                                        \
  } while (0)

#endif /* UVWAMP_TEST_CAPI_CHECK_H */
