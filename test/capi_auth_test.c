/* The C API's authentication against Crossbar's authenticating listeners: run it under
 * test/fixture/routerctl.py, which starts Crossbar and passes UVWAMP_WS_AUTH_URL,
 * UVWAMP_RS_AUTH_URL and UVWAMP_REALM. The principals are the fixture's
 * (test/fixture/auth_principals.json); the cryptosign one holds the first private key of the
 * WAMP spec's cryptosign test vectors, and its public key is the one the fixture derived.
 *
 * Each case makes a client, joins, records what join's callback got (the session info's auth
 * fields, or the error), closes the client and runs the loop until everything closed: a ticket
 * given at once, a wampcra secret given later from a timer, a scram password given inside the
 * callback, cryptosign from a seed hex file and from the seed's bytes (over RawSocket), the
 * methods offered in the order added, a wrong ticket, a secret callback that fails, a reply
 * left unanswered when the client closes (ASan's leak check proves it is freed), channel
 * binding without TLS, and the key loader's errors. */
/* uv.h needs POSIX's types (pthread_rwlock_t), and mkstemp, which strict C99 does not declare
 * without this. */
#define _POSIX_C_SOURCE 200809L

#include <uv.h>
#include <uvwamp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capi_check.h"

#define CRYPTOSIGN_SEED_HEX "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
#define CRYPTOSIGN_PUBLIC_KEY_HEX "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d"

static uv_loop_t loop;
static uv_timer_t watchdog;
static uv_timer_t later;
static const char* ws_auth_url;
static const char* rs_auth_url;
static const char* realm;
/* Set while uvwamp_client_join runs: a secret callback must never run inside it. */
static int in_join;
/* Set while a secret reply is answered: join's callback must never run inside the answer. */
static int in_answer;
#define ANSWER(call) (in_answer = 1, answer_rc = (call), in_answer = 0, answer_rc)
static int answer_rc;

/* One join, and what came of it. */
struct attempt {
  const char* what;
  uvwamp_client* client;
  int closing;
  int joined; /* join's callback ran */
  int code;   /* 0, or the join error's code */
  char uri[128];
  char message[256];
  char authid[64];
  char authrole[64];
  char authmethod[64];
  char authprovider[64];
  int authextra_is_object;
  /* The secret callback's doing. */
  const char* secret;
  int asked;
  uvwamp_secret_reply* reply;
};

static struct attempt* current;

static void close_client(struct attempt* a);

static void on_watchdog(uv_timer_t* timer) {
  (void)timer;
  fprintf(stderr, "timed out: %s\n", current->what);
  ++failures;
  close_client(current);
}

static void on_closed(uvwamp_client* client, void* user_data) {
  (void)client;
  (void)user_data;
  uv_timer_stop(&watchdog);
  uv_timer_stop(&later);
}

static void close_client(struct attempt* a) {
  if (a->closing) return;
  a->closing = 1;
  CHECK_INT(uvwamp_client_close(a->client, on_closed, a), 0);
}

static void on_joined(uvwamp_client* client, const uvwamp_session_info* info,
                      const uvwamp_error* error, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  (void)client;
  CHECK(!in_answer);
  CHECK(!a->joined);
  CHECK((info == NULL) != (error == NULL));
  a->joined = 1;
  if (error != NULL) {
    a->code = uvwamp_error_code(error);
    snprintf(a->uri, sizeof a->uri, "%s", uvwamp_error_uri(error));
    snprintf(a->message, sizeof a->message, "%s", uvwamp_error_message(error));
  } else {
    snprintf(a->authid, sizeof a->authid, "%s", uvwamp_session_info_authid(info));
    snprintf(a->authrole, sizeof a->authrole, "%s", uvwamp_session_info_authrole(info));
    snprintf(a->authmethod, sizeof a->authmethod, "%s", uvwamp_session_info_authmethod(info));
    snprintf(a->authprovider, sizeof a->authprovider, "%s", uvwamp_session_info_authprovider(info));
    a->authextra_is_object =
        uvwamp_value_type_of(uvwamp_session_info_authextra(info)) == UVWAMP_VALUE_OBJECT;
  }
  close_client(a);
}

/* Joins with `options` (freed here) and runs the loop until the client is closed. */
static void run_join(struct attempt* a, uvwamp_options* options) {
  current = a;
  if (uvwamp_client_new(&loop, options, &a->client) != 0) {
    fprintf(stderr, "%s: uvwamp_client_new failed\n", a->what);
    ++failures;
    uvwamp_options_free(options);
    return;
  }
  uvwamp_options_free(options);
  uv_timer_start(&watchdog, on_watchdog, 30000, 0);
  in_join = 1;
  CHECK_INT(uvwamp_client_join(a->client, on_joined, a), 0);
  in_join = 0;
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(a->joined);
}

static uvwamp_options* auth_options(const char* url, const char* authid) {
  uvwamp_options* options = uvwamp_options_new();
  CHECK_INT(uvwamp_options_add_url(options, url), 0);
  CHECK_INT(uvwamp_options_set_realm(options, realm), 0);
  if (authid != NULL) CHECK_INT(uvwamp_options_set_authid(options, authid), 0);
  return options;
}

static void check_joined_as(const struct attempt* a, const char* authid, const char* authmethod) {
  if (a->code != 0) fprintf(stderr, "%s: join failed: %s: %s\n", a->what, a->uri, a->message);
  CHECK_INT(a->code, 0);
  CHECK_STR(a->authid, authid);
  CHECK_STR(a->authrole, "user");
  CHECK_STR(a->authmethod, authmethod);
  CHECK_STR(a->authprovider, "static");
  CHECK(a->authextra_is_object);
}

/* ---------------------------------------------------------------------------------------------
 * Secret callbacks. Each records that it was asked, outside join, exactly once.
 */

static void asked(struct attempt* a, uvwamp_client* client, uvwamp_secret_reply* reply) {
  CHECK(!in_join);
  CHECK(client == a->client);
  CHECK(reply != NULL);
  ++a->asked;
}

static void give_now(uvwamp_client* client, uvwamp_secret_reply* reply, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  asked(a, client, reply);
  CHECK_INT(ANSWER(uvwamp_secret_reply_give(reply, a->secret, strlen(a->secret))), 0);
}

static void on_later(uv_timer_t* timer) {
  (void)timer;
  CHECK_INT(uvwamp_secret_reply_give(current->reply, NULL, 1), UVWAMP_EINVAL);
  CHECK_INT(
      ANSWER(uvwamp_secret_reply_give(current->reply, current->secret, strlen(current->secret))),
      0);
  current->reply = NULL;
}

static void give_later(uvwamp_client* client, uvwamp_secret_reply* reply, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  asked(a, client, reply);
  a->reply = reply;
  uv_timer_start(&later, on_later, 50, 0);
}

static void refuse(uvwamp_client* client, uvwamp_secret_reply* reply, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  asked(a, client, reply);
  CHECK_INT(ANSWER(uvwamp_secret_reply_fail(reply, "the vault is locked")), 0);
}

static void never_answer(uvwamp_client* client, uvwamp_secret_reply* reply, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  asked(a, client, reply);
  a->reply = reply;
  close_client(a);
}

static void must_not_be_asked(uvwamp_client* client, uvwamp_secret_reply* reply, void* user_data) {
  struct attempt* a = (struct attempt*)user_data;
  asked(a, client, reply);
  fprintf(stderr, "%s: a method the router did not pick was asked for its secret\n", a->what);
  ++failures;
  CHECK_INT(ANSWER(uvwamp_secret_reply_fail(reply, NULL)), 0);
}

/* ---------------------------------------------------------------------------------------------
 * The cases
 */

static void test_options_refused(void) {
  uvwamp_options* options = uvwamp_options_new();
  uvwamp_value* array = uvwamp_value_new_array();
  uvwamp_signing_key* key = NULL;
  uint8_t seed[UVWAMP_SIGNING_KEY_SEED_SIZE] = {0};

  CHECK_INT(uvwamp_options_set_authid(NULL, "a"), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_set_authid(options, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_set_authrole(options, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_set_authextra(options, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_set_authextra(options, array), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_anonymous(NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_ticket(options, NULL, 3), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_wampcra(NULL, "s", 1), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_scram_cb(options, NULL, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_ticket_cb(NULL, give_now, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_secret_reply_give(NULL, "s", 1), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_secret_reply_fail(NULL, "why"), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_from_seed(NULL, &key), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_from_seed(seed, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_from_seed(seed, &key), 0);
  CHECK_INT(uvwamp_options_add_auth_cryptosign(options, NULL, 0), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_options_add_auth_cryptosign(options, key, 2), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_public_key_hex(key, NULL), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_public_key_hex(NULL, NULL), UVWAMP_EINVAL);
  uvwamp_signing_key_free(key);
  uvwamp_signing_key_free(NULL);
  uvwamp_value_free(array);
  uvwamp_options_free(options);
}

/* A file in the temporary directory holding `contents`; its path goes into `path`. */
static void write_temporary_file(const char* contents, char* path, size_t size) {
  const char* directory = getenv("TMPDIR");
  FILE* file;
  int fd;
  snprintf(path, size, "%s/uvwamp-capi-auth-XXXXXX", directory ? directory : "/tmp");
  fd = mkstemp(path);
  CHECK(fd >= 0);
  file = fdopen(fd, "w");
  CHECK(file != NULL);
  if (file == NULL) return;
  fputs(contents, file);
  fclose(file);
}

static void test_key_errors(void) {
  char path[256];
  char message[256];
  char tiny[8];
  uvwamp_signing_key* key = NULL;

  write_temporary_file("no key in here\n", path, sizeof path);
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, &key, message, sizeof message), UVWAMP_EKEY);
  CHECK(key == NULL);
  CHECK(strstr(message, path) != NULL);
  /* Like snprintf: cut short, and always terminated. */
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, &key, tiny, sizeof tiny), UVWAMP_EKEY);
  CHECK_INT(strlen(tiny), sizeof tiny - 1);
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, &key, NULL, 0), UVWAMP_EKEY);
  remove(path);

  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, &key, message, sizeof message), UVWAMP_EKEY);
  CHECK(strstr(message, path) != NULL);
  CHECK(strstr(message, "No such file") != NULL);

  CHECK_INT(uvwamp_signing_key_load(NULL, NULL, 0, &key, message, sizeof message), UVWAMP_EINVAL);
  CHECK_STR(message, uvwamp_strerror(UVWAMP_EINVAL));
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 4, &key, NULL, 0), UVWAMP_EINVAL);
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, NULL, NULL, 0), UVWAMP_EINVAL);
}

static void test_ticket_given_at_once(void) {
  struct attempt a = {.what = "ticket given at once"};
  uvwamp_options* options = auth_options(ws_auth_url, "ticket-user");
  uvwamp_value* extra = uvwamp_value_new_object();
  CHECK_INT(uvwamp_value_object_set(extra, "note", uvwamp_value_new_string("from C")), 0);
  CHECK_INT(uvwamp_options_set_authextra(options, extra), 0);
  uvwamp_value_free(extra);
  CHECK_INT(uvwamp_options_set_authrole(options, ""), 0);
  CHECK_INT(uvwamp_options_add_auth_ticket(options, "ticket-secret", strlen("ticket-secret")), 0);
  run_join(&a, options);
  check_joined_as(&a, "ticket-user", "ticket");
}

static void test_wampcra_secret_given_later(void) {
  struct attempt a = {.what = "wampcra secret given later from a timer"};
  uvwamp_options* options = auth_options(ws_auth_url, "cra-user");
  a.secret = "cra-secret";
  CHECK_INT(uvwamp_options_add_auth_wampcra_cb(options, give_later, &a), 0);
  run_join(&a, options);
  CHECK_INT(a.asked, 1);
  CHECK(a.reply == NULL);
  check_joined_as(&a, "cra-user", "wampcra");
}

static void test_scram_password_given_in_the_callback(void) {
  struct attempt a = {.what = "scram password given in the callback"};
  uvwamp_options* options = auth_options(ws_auth_url, "scram-user");
  a.secret = "scram-password";
  CHECK_INT(uvwamp_options_add_auth_scram_cb(options, give_now, &a), 0);
  run_join(&a, options);
  CHECK_INT(a.asked, 1);
  check_joined_as(&a, "scram-user", "scram");
}

static void test_cryptosign_from_a_seed_file(void) {
  struct attempt a = {.what = "cryptosign from a seed hex file"};
  uvwamp_options* options = auth_options(ws_auth_url, "cryptosign-user");
  uvwamp_signing_key* key = NULL;
  char path[256];
  char message[256] = "";
  char hex[UVWAMP_PUBLIC_KEY_HEX_SIZE];

  write_temporary_file(CRYPTOSIGN_SEED_HEX "\n", path, sizeof path);
  CHECK_INT(uvwamp_signing_key_load(path, NULL, 0, &key, message, sizeof message), 0);
  remove(path);
  CHECK_STR(message, "");
  CHECK(key != NULL);
  if (key == NULL) {
    uvwamp_options_free(options);
    return;
  }
  CHECK_INT(uvwamp_signing_key_public_key_hex(key, hex), 0);
  CHECK_STR(hex, CRYPTOSIGN_PUBLIC_KEY_HEX);
  CHECK_INT(uvwamp_options_add_auth_cryptosign(options, key, 0), 0);
  uvwamp_signing_key_free(key); /* the options copied it */
  run_join(&a, options);
  check_joined_as(&a, "cryptosign-user", "cryptosign");
}

static void test_cryptosign_from_seed_bytes_over_rawsocket(void) {
  struct attempt a = {.what = "cryptosign from the seed's bytes, over RawSocket"};
  uvwamp_options* options = auth_options(rs_auth_url, "cryptosign-user");
  uvwamp_signing_key* key = NULL;
  uint8_t seed[UVWAMP_SIGNING_KEY_SEED_SIZE];
  char hex[UVWAMP_PUBLIC_KEY_HEX_SIZE];
  size_t j;
  unsigned byte;

  for (j = 0; j < sizeof seed; ++j) {
    CHECK_INT(sscanf(CRYPTOSIGN_SEED_HEX + 2 * j, "%2x", &byte), 1);
    seed[j] = (uint8_t)byte;
  }
  CHECK_INT(uvwamp_signing_key_from_seed(seed, &key), 0);
  CHECK_INT(uvwamp_signing_key_public_key_hex(key, hex), 0);
  CHECK_STR(hex, CRYPTOSIGN_PUBLIC_KEY_HEX);
  CHECK_INT(uvwamp_options_add_auth_cryptosign(options, key, 0), 0);
  uvwamp_signing_key_free(key);
  run_join(&a, options);
  check_joined_as(&a, "cryptosign-user", "cryptosign");
}

/* multi-user has both a ticket and a wampcra secret: the router takes the first method offered,
 * so the other one's wrong or missing secret is never needed. */
static void test_methods_offered_in_the_order_added(void) {
  struct attempt cra_first = {.what = "wampcra added before a wrong ticket"};
  struct attempt ticket_first = {.what = "ticket added before wampcra"};
  uvwamp_options* options = auth_options(ws_auth_url, "multi-user");

  cra_first.secret = "multi-secret";
  CHECK_INT(uvwamp_options_add_auth_wampcra_cb(options, give_now, &cra_first), 0);
  CHECK_INT(uvwamp_options_add_auth_ticket(options, "wrong", 5), 0);
  CHECK_INT(uvwamp_options_add_auth_anonymous(options), 0);
  run_join(&cra_first, options);
  CHECK_INT(cra_first.asked, 1);
  check_joined_as(&cra_first, "multi-user", "wampcra");

  options = auth_options(ws_auth_url, "multi-user");
  CHECK_INT(uvwamp_options_add_auth_ticket(options, "multi-ticket", 12), 0);
  CHECK_INT(uvwamp_options_add_auth_wampcra_cb(options, must_not_be_asked, &ticket_first), 0);
  run_join(&ticket_first, options);
  CHECK_INT(ticket_first.asked, 0);
  check_joined_as(&ticket_first, "multi-user", "ticket");
}

static void test_wrong_ticket_is_the_routers_error(void) {
  struct attempt a = {.what = "a wrong ticket"};
  uvwamp_options* options = auth_options(ws_auth_url, "ticket-user");
  CHECK_INT(uvwamp_options_add_auth_ticket(options, "not-the-ticket", 14), 0);
  run_join(&a, options);
  CHECK_INT(a.code, UVWAMP_EWAMP);
  CHECK_STR(a.uri, "wamp.error.not_authorized");
  CHECK(strstr(a.message, "not-the-ticket") == NULL);
}

/* Crossbar knows SCRAM only as "scram": its refusal names the method that went out. */
static void test_the_specs_scram_is_offered_by_its_own_name(void) {
  struct attempt a = {.what = "wamp-scram"};
  uvwamp_options* options = auth_options(ws_auth_url, "scram-user");
  CHECK_INT(uvwamp_options_add_auth_wamp_scram(options, "scram-password", 14), 0);
  run_join(&a, options);
  CHECK_INT(a.code, UVWAMP_EWAMP);
  CHECK(strstr(a.message, "invalid authmethod \"wamp-scram\"") != NULL);
}

static void test_failing_secret_callback(void) {
  struct attempt a = {.what = "a secret callback that fails"};
  uvwamp_options* options = auth_options(ws_auth_url, "ticket-user");
  CHECK_INT(uvwamp_options_add_auth_ticket_cb(options, refuse, &a), 0);
  run_join(&a, options);
  CHECK_INT(a.asked, 1);
  CHECK_INT(a.code, UVWAMP_EAUTH);
  CHECK_STR(a.uri, "wamp.error.authentication_failed");
  CHECK(strstr(a.message, "the vault is locked") != NULL);
}

/* The reply is freed with the client: ASan's leak check fails the test otherwise. */
static void test_reply_never_answered(void) {
  struct attempt a = {.what = "a reply never answered, the client closed"};
  uvwamp_options* options = auth_options(ws_auth_url, "ticket-user");
  CHECK_INT(uvwamp_options_add_auth_ticket_cb(options, never_answer, &a), 0);
  run_join(&a, options);
  CHECK_INT(a.asked, 1);
  CHECK(a.reply != NULL);
  CHECK_INT(a.code, UVWAMP_ECLOSED);
}

static void test_channel_binding_needs_tls(void) {
  struct attempt a = {.what = "cryptosign channel binding on a connection without TLS"};
  uvwamp_options* options = auth_options(ws_auth_url, "cryptosign-user");
  uint8_t seed[UVWAMP_SIGNING_KEY_SEED_SIZE] = {1};
  uvwamp_signing_key* key = NULL;
  CHECK_INT(uvwamp_signing_key_from_seed(seed, &key), 0);
  CHECK_INT(uvwamp_options_add_auth_cryptosign(options, key, UVWAMP_CRYPTOSIGN_CHANNEL_BINDING), 0);
  uvwamp_signing_key_free(key);
  run_join(&a, options);
  CHECK_INT(a.code, UVWAMP_EAUTH);
}

int main(void) {
  int rc;

  ws_auth_url = getenv("UVWAMP_WS_AUTH_URL");
  rs_auth_url = getenv("UVWAMP_RS_AUTH_URL");
  realm = getenv("UVWAMP_REALM");
  if (ws_auth_url == NULL || rs_auth_url == NULL || realm == NULL) {
    fprintf(stderr,
            "capi_auth_test: UVWAMP_WS_AUTH_URL, UVWAMP_RS_AUTH_URL and UVWAMP_REALM must be set; "
            "run it as: python3 test/fixture/routerctl.py run crossbar -- capi_auth_test\n");
    return 1;
  }
  CHECK_INT(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &watchdog);
  uv_unref((uv_handle_t*)&watchdog);
  uv_timer_init(&loop, &later);

  test_options_refused();
  test_key_errors();
  test_ticket_given_at_once();
  test_wampcra_secret_given_later();
  test_scram_password_given_in_the_callback();
  test_cryptosign_from_a_seed_file();
  test_cryptosign_from_seed_bytes_over_rawsocket();
  test_methods_offered_in_the_order_added();
  test_wrong_ticket_is_the_routers_error();
  test_the_specs_scram_is_offered_by_its_own_name();
  test_failing_secret_callback();
  test_reply_never_answered();
  test_channel_binding_needs_tls();

  uv_close((uv_handle_t*)&watchdog, NULL);
  uv_close((uv_handle_t*)&later, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&loop);
  CHECK_INT(rc, 0);

  if (failures != 0) {
    fprintf(stderr, "capi_auth_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_auth_test: all checks passed\n");
  return 0;
}
