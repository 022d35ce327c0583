/* The C API's values and error codes (include/uvwamp.h), from C: building and reading every type,
 * the integer representation rule, the ownership of items handed to containers, deep copies, the
 * debug rendering, and the codes every misuse gets. Compiled as C99; ASan's leak check proves the
 * ownership rules (an item a failed append took must be freed, not leaked). */
#include <uvwamp.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capi_check.h"

/* The rendering of `v`, for comparisons; in a static buffer. */
static const char* dump(const uvwamp_value* v) {
  static char text[512];
  int n = uvwamp_value_dump(v, text, sizeof text);
  if (n < 0 || (size_t)n >= sizeof text) return "(dump failed)";
  return text;
}

static void test_null_and_bool(void) {
  uvwamp_value* null = uvwamp_value_new_null();
  uvwamp_value* yes = uvwamp_value_new_bool(42);
  uvwamp_value* no = uvwamp_value_new_bool(0);
  int b = -1;

  CHECK_INT(uvwamp_value_type_of(null), UVWAMP_VALUE_NULL);
  CHECK_INT(uvwamp_value_type_of(yes), UVWAMP_VALUE_BOOL);
  CHECK_INT(uvwamp_value_get_bool(yes, &b), 0);
  CHECK_INT(b, 1);
  CHECK_INT(uvwamp_value_get_bool(no, &b), 0);
  CHECK_INT(b, 0);
  b = -1;
  CHECK_INT(uvwamp_value_get_bool(null, &b), UVWAMP_ETYPE);
  CHECK_INT(b, -1);
  CHECK_STR(dump(null), "null");
  CHECK_STR(dump(yes), "true");

  uvwamp_value_free(null);
  uvwamp_value_free(yes);
  uvwamp_value_free(no);
}

static void test_integers(void) {
  uvwamp_value* five_signed = uvwamp_value_new_int64(5);
  uvwamp_value* five_unsigned = uvwamp_value_new_uint64(5);
  uvwamp_value* big = uvwamp_value_new_uint64(UINT64_MAX);
  uvwamp_value* negative = uvwamp_value_new_int64(INT64_MIN);
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;

  /* One representation per number: only integers above INT64_MAX are UINT64. */
  CHECK_INT(uvwamp_value_type_of(five_unsigned), UVWAMP_VALUE_INT64);
  CHECK(uvwamp_value_equal(five_signed, five_unsigned));
  CHECK_INT(uvwamp_value_type_of(big), UVWAMP_VALUE_UINT64);

  CHECK_INT(uvwamp_value_get_int64(five_unsigned, &i), 0);
  CHECK_INT(i, 5);
  CHECK_INT(uvwamp_value_get_uint64(five_signed, &u), 0);
  CHECK(u == 5);
  CHECK_INT(uvwamp_value_get_uint64(big, &u), 0);
  CHECK(u == UINT64_MAX);
  CHECK_INT(uvwamp_value_get_int64(negative, &i), 0);
  CHECK(i == INT64_MIN);

  i = 7;
  u = 7;
  CHECK_INT(uvwamp_value_get_int64(big, &i), UVWAMP_ERANGE);
  CHECK_INT(i, 7);
  CHECK_INT(uvwamp_value_get_uint64(negative, &u), UVWAMP_ERANGE);
  CHECK(u == 7);

  /* An integer reads as the nearest double; a double never reads as an integer. */
  CHECK_INT(uvwamp_value_get_double(five_signed, &d), 0);
  CHECK(d == 5.0);
  CHECK_STR(dump(big), "18446744073709551615");
  CHECK_STR(dump(negative), "-9223372036854775808");

  uvwamp_value_free(five_signed);
  uvwamp_value_free(five_unsigned);
  uvwamp_value_free(big);
  uvwamp_value_free(negative);
}

static void test_double(void) {
  uvwamp_value* half = uvwamp_value_new_double(0.5);
  uvwamp_value* one = uvwamp_value_new_double(1.0);
  uvwamp_value* int_one = uvwamp_value_new_int64(1);
  double d = 0;
  int64_t i = 9;

  CHECK_INT(uvwamp_value_type_of(half), UVWAMP_VALUE_DOUBLE);
  CHECK_INT(uvwamp_value_get_double(half, &d), 0);
  CHECK(d == 0.5);
  CHECK_INT(uvwamp_value_get_int64(one, &i), UVWAMP_ETYPE);
  CHECK_INT(i, 9);
  CHECK(!uvwamp_value_equal(one, int_one));

  uvwamp_value_free(half);
  uvwamp_value_free(one);
  uvwamp_value_free(int_one);
}

static void test_strings(void) {
  static const char with_nul[] = {'a', '\0', 'b'};
  uvwamp_value* plain = uvwamp_value_new_string("h\xc3\xa9llo");
  uvwamp_value* embedded = uvwamp_value_new_stringn(with_nul, sizeof with_nul);
  uvwamp_value* empty = uvwamp_value_new_stringn(NULL, 0);
  const char* data = NULL;
  size_t len = 0;

  CHECK_INT(uvwamp_value_type_of(plain), UVWAMP_VALUE_STRING);
  CHECK_INT(uvwamp_value_get_string(plain, &data, &len), 0);
  CHECK_INT(len, 6);
  CHECK_STR(data, "h\xc3\xa9llo");

  CHECK_INT(uvwamp_value_get_string(embedded, &data, &len), 0);
  CHECK_INT(len, 3);
  CHECK(memcmp(data, with_nul, 3) == 0);
  CHECK_INT(data[3], '\0');

  /* `len` is optional. */
  CHECK_INT(uvwamp_value_get_string(empty, &data, NULL), 0);
  CHECK_STR(data, "");

  CHECK(uvwamp_value_new_string(NULL) == NULL);
  CHECK(uvwamp_value_new_stringn(NULL, 1) == NULL);
  data = NULL;
  {
    uvwamp_value* number = uvwamp_value_new_int64(1);
    CHECK_INT(uvwamp_value_get_string(number, &data, &len), UVWAMP_ETYPE);
    CHECK(data == NULL);
    uvwamp_value_free(number);
  }
  CHECK_STR(dump(plain), "\"h\xc3\xa9llo\"");

  uvwamp_value_free(plain);
  uvwamp_value_free(embedded);
  uvwamp_value_free(empty);
}

static void test_binary(void) {
  static const uint8_t bytes[] = {0x00, 0xff, 0x10};
  uvwamp_value* bin = uvwamp_value_new_binary(bytes, sizeof bytes);
  uvwamp_value* empty = uvwamp_value_new_binary(NULL, 0);
  uvwamp_value* text = uvwamp_value_new_string("abc");
  const uint8_t* data = NULL;
  size_t len = 99;

  CHECK_INT(uvwamp_value_type_of(bin), UVWAMP_VALUE_BINARY);
  CHECK_INT(uvwamp_value_get_binary(bin, &data, &len), 0);
  CHECK_INT(len, 3);
  CHECK(memcmp(data, bytes, 3) == 0);
  CHECK_STR(dump(bin), "b\"00ff10\"");

  CHECK_INT(uvwamp_value_get_binary(empty, &data, &len), 0);
  CHECK(data != NULL);
  CHECK_INT(len, 0);

  CHECK_INT(uvwamp_value_get_binary(text, &data, &len), UVWAMP_ETYPE);
  CHECK(uvwamp_value_new_binary(NULL, 3) == NULL);
  /* Binary and a string of the same bytes are different values. */
  {
    uvwamp_value* abc = uvwamp_value_new_binary("abc", 3);
    CHECK(!uvwamp_value_equal(abc, text));
    uvwamp_value_free(abc);
  }

  uvwamp_value_free(bin);
  uvwamp_value_free(empty);
  uvwamp_value_free(text);
}

static void test_arrays(void) {
  uvwamp_value* array = uvwamp_value_new_array();
  uvwamp_value* inner = uvwamp_value_new_array();
  uvwamp_value* not_array = uvwamp_value_new_object();
  const uvwamp_value* element;
  int64_t i = 0;

  CHECK_INT(uvwamp_value_type_of(array), UVWAMP_VALUE_ARRAY);
  CHECK_INT(uvwamp_value_size(array), 0);
  CHECK_INT(uvwamp_value_array_append(inner, uvwamp_value_new_bool(1)), 0);
  CHECK_INT(uvwamp_value_array_append(array, uvwamp_value_new_int64(1)), 0);
  CHECK_INT(uvwamp_value_array_append(array, uvwamp_value_new_string("two")), 0);
  CHECK_INT(uvwamp_value_array_append(array, inner), 0);
  CHECK_INT(uvwamp_value_size(array), 3);
  CHECK_STR(dump(array), "[1,\"two\",[true]]");

  element = uvwamp_value_array_get(array, 0);
  CHECK_INT(uvwamp_value_get_int64(element, &i), 0);
  CHECK_INT(i, 1);
  CHECK_INT(uvwamp_value_type_of(uvwamp_value_array_get(array, 2)), UVWAMP_VALUE_ARRAY);
  CHECK_INT(uvwamp_value_size(uvwamp_value_array_get(array, 2)), 1);
  CHECK(uvwamp_value_array_get(array, 3) == NULL);
  CHECK(uvwamp_value_array_get(not_array, 0) == NULL);
  CHECK(uvwamp_value_array_get(NULL, 0) == NULL);

  CHECK_INT(uvwamp_value_array_set(array, 1, uvwamp_value_new_null()), 0);
  CHECK_STR(dump(array), "[1,null,[true]]");

  /* Every failure still takes the item (the leak check would see it otherwise), except the
   * container itself, which stays intact. */
  CHECK_INT(uvwamp_value_array_set(array, 3, uvwamp_value_new_int64(4)), UVWAMP_ERANGE);
  CHECK_INT(uvwamp_value_array_append(not_array, uvwamp_value_new_int64(4)), UVWAMP_ETYPE);
  CHECK_INT(uvwamp_value_array_set(not_array, 0, uvwamp_value_new_int64(4)), UVWAMP_ETYPE);
  CHECK_INT(uvwamp_value_array_append(NULL, uvwamp_value_new_int64(4)), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_array_append(array, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_array_append(array, array), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_array_set(array, 0, array), UVWAMP_EINVAL);
  CHECK_STR(dump(array), "[1,null,[true]]");

  CHECK_INT(uvwamp_value_size(not_array), 0);
  CHECK_INT(uvwamp_value_size(NULL), 0);

  uvwamp_value_free(array);
  uvwamp_value_free(not_array);
}

struct seen_members {
  char keys[8][16];
  size_t key_lens[8];
  int64_t values[8];
  int count;
  int stop_after;
};

static int collect_member(const char* key, size_t key_len, const uvwamp_value* member,
                          void* user_data) {
  struct seen_members* seen = (struct seen_members*)user_data;
  if (seen->count < 8 && key_len < sizeof seen->keys[0]) {
    memcpy(seen->keys[seen->count], key, key_len + 1);
    seen->key_lens[seen->count] = key_len;
    if (uvwamp_value_get_int64(member, &seen->values[seen->count]) != 0) {
      seen->values[seen->count] = -1;
    }
  }
  ++seen->count;
  return seen->count == seen->stop_after ? 77 : 0;
}

static void test_objects(void) {
  uvwamp_value* object = uvwamp_value_new_object();
  uvwamp_value* array = uvwamp_value_new_array();
  struct seen_members seen;
  int64_t i = 0;

  CHECK_INT(uvwamp_value_type_of(object), UVWAMP_VALUE_OBJECT);
  CHECK_INT(uvwamp_value_object_set(object, "b", uvwamp_value_new_int64(2)), 0);
  CHECK_INT(uvwamp_value_object_set(object, "a", uvwamp_value_new_int64(1)), 0);
  CHECK_INT(uvwamp_value_object_set(object, "cc", uvwamp_value_new_int64(3)), 0);
  CHECK_INT(uvwamp_value_size(object), 3);
  CHECK_STR(dump(object), "{\"a\":1,\"b\":2,\"cc\":3}");

  CHECK_INT(uvwamp_value_get_int64(uvwamp_value_object_get(object, "b"), &i), 0);
  CHECK_INT(i, 2);
  CHECK(uvwamp_value_object_get(object, "missing") == NULL);
  CHECK(uvwamp_value_object_get(object, NULL) == NULL);
  CHECK(uvwamp_value_object_get(array, "a") == NULL);

  /* Setting a key that exists replaces its value. */
  CHECK_INT(uvwamp_value_object_set(object, "b", uvwamp_value_new_string("two")), 0);
  CHECK_INT(uvwamp_value_size(object), 3);
  CHECK_STR(dump(object), "{\"a\":1,\"b\":\"two\",\"cc\":3}");

  memset(&seen, 0, sizeof seen);
  CHECK_INT(uvwamp_value_object_foreach(object, collect_member, &seen), 0);
  CHECK_INT(seen.count, 3);
  CHECK_STR(seen.keys[0], "a");
  CHECK_STR(seen.keys[1], "b");
  CHECK_STR(seen.keys[2], "cc");
  CHECK_INT(seen.key_lens[2], 2);
  CHECK_INT(seen.values[0], 1);
  CHECK_INT(seen.values[1], -1);
  CHECK_INT(seen.values[2], 3);

  /* A non-zero return stops the walk and is returned. */
  memset(&seen, 0, sizeof seen);
  seen.stop_after = 2;
  CHECK_INT(uvwamp_value_object_foreach(object, collect_member, &seen), 77);
  CHECK_INT(seen.count, 2);

  memset(&seen, 0, sizeof seen);
  CHECK_INT(uvwamp_value_object_foreach(array, collect_member, &seen), UVWAMP_ETYPE);
  CHECK_INT(uvwamp_value_object_foreach(object, NULL, &seen), UVWAMP_EINVAL);
  CHECK_INT(seen.count, 0);

  CHECK_INT(uvwamp_value_object_set(array, "a", uvwamp_value_new_int64(1)), UVWAMP_ETYPE);
  CHECK_INT(uvwamp_value_object_set(object, NULL, uvwamp_value_new_int64(1)), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_object_set(NULL, "a", uvwamp_value_new_int64(1)), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_object_set(object, "self", object), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_size(object), 3);

  uvwamp_value_free(object);
  uvwamp_value_free(array);
}

static void test_copy_is_deep(void) {
  uvwamp_value* original = uvwamp_value_new_object();
  uvwamp_value* list = uvwamp_value_new_array();
  uvwamp_value* copy;

  uvwamp_value_array_append(list, uvwamp_value_new_int64(1));
  uvwamp_value_object_set(original, "list", list);
  copy = uvwamp_value_copy(original);
  CHECK(copy != NULL);
  CHECK(copy != original);
  CHECK(uvwamp_value_equal(copy, original));

  /* `list` went into `original` (the handle is gone); changing `original` must not reach the
   * copy. */
  uvwamp_value_object_set(original, "more", uvwamp_value_new_int64(2));
  CHECK(!uvwamp_value_equal(copy, original));
  CHECK_STR(dump(copy), "{\"list\":[1]}");
  CHECK_STR(dump(original), "{\"list\":[1],\"more\":2}");

  CHECK(uvwamp_value_copy(NULL) == NULL);
  uvwamp_value_free(original);
  uvwamp_value_free(copy);
}

static void test_equal(void) {
  uvwamp_value* a = uvwamp_value_new_string("x");
  uvwamp_value* b = uvwamp_value_new_string("x");
  uvwamp_value* c = uvwamp_value_new_string("y");

  CHECK(uvwamp_value_equal(a, b));
  CHECK(!uvwamp_value_equal(a, c));
  CHECK(uvwamp_value_equal(NULL, NULL));
  CHECK(!uvwamp_value_equal(a, NULL));
  CHECK(!uvwamp_value_equal(NULL, a));

  uvwamp_value_free(a);
  uvwamp_value_free(b);
  uvwamp_value_free(c);
}

static void test_dump_truncates_like_snprintf(void) {
  uvwamp_value* text = uvwamp_value_new_string("abcdef");
  char buf[5];

  memset(buf, 'z', sizeof buf);
  CHECK_INT(uvwamp_value_dump(text, buf, sizeof buf), 8);
  CHECK_STR(buf, "\"abc");
  CHECK_INT(uvwamp_value_dump(text, NULL, 0), 8);
  CHECK_INT(uvwamp_value_dump(text, NULL, 4), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_dump(NULL, buf, sizeof buf), UVWAMP_EINVAL);
  buf[0] = 'z';
  CHECK_INT(uvwamp_value_dump(text, buf, 1), 8);
  CHECK_INT(buf[0], '\0');

  uvwamp_value_free(text);
}

static void test_null_arguments(void) {
  int b;
  int64_t i;
  uint64_t u;
  double d;
  const char* s;
  const uint8_t* bytes;
  uvwamp_value* v = uvwamp_value_new_int64(1);

  CHECK_INT(uvwamp_value_type_of(NULL), UVWAMP_VALUE_NULL);
  CHECK_INT(uvwamp_value_get_bool(NULL, &b), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_int64(NULL, &i), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_uint64(NULL, &u), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_double(NULL, &d), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_string(NULL, &s, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_binary(NULL, &bytes, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_int64(v, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_value_get_string(v, NULL, NULL), UVWAMP_EINVAL);
  uvwamp_value_free(NULL);
  uvwamp_value_free(v);
}

static void test_strerror(void) {
  static const int codes[] = {
      UVWAMP_EINVAL,     UVWAMP_ENOMEM,     UVWAMP_ETYPE,          UVWAMP_ERANGE,
      UVWAMP_EWAMP,      UVWAMP_ENOTJOINED, UVWAMP_EALREADYJOINED, UVWAMP_ESESSIONENDED,
      UVWAMP_ETRANSPORT, UVWAMP_ECLOSED,    UVWAMP_EPROTOCOL,      UVWAMP_ECONNECT,
      UVWAMP_ETIMEDOUT,  UVWAMP_EALREADY,   UVWAMP_EINTERNAL,      UVWAMP_ENOTSENT,
      UVWAMP_EAUTH,      UVWAMP_EKEY,
  };
  const size_t count = sizeof codes / sizeof codes[0];
  size_t j, k;

  for (j = 0; j < count; ++j) {
    const char* text = uvwamp_strerror(codes[j]);
    CHECK(codes[j] < 0);
    CHECK(text != NULL && text[0] != '\0');
    CHECK(strcmp(text, "unknown error") != 0);
    for (k = 0; k < j; ++k) {
      CHECK(codes[j] != codes[k]);
      CHECK(strcmp(text, uvwamp_strerror(codes[k])) != 0);
    }
  }
  CHECK_STR(uvwamp_strerror(-1000), "unknown error");
  CHECK_STR(uvwamp_strerror(1), "unknown error");
  CHECK_STR(uvwamp_strerror(UVWAMP_EINVAL), "invalid argument");
}

int main(void) {
  test_null_and_bool();
  test_integers();
  test_double();
  test_strings();
  test_binary();
  test_arrays();
  test_objects();
  test_copy_is_deep();
  test_equal();
  test_dump_truncates_like_snprintf();
  test_null_arguments();
  test_strerror();
  if (failures != 0) {
    fprintf(stderr, "capi_value_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_value_test: all checks passed\n");
  return 0;
}
