/* uvwamp.h: the C API of uvwamp, a WAMP v2 client on the caller's libuv loop.
 *
 * A facade over the C++ client (<uvwamp/client.hpp>) for C programs and for other languages'
 * foreign function interfaces. It compiles as C99 and as C++, and names no type of any library
 * but libuv's loop.
 *
 *   uvwamp_options* options = uvwamp_options_new();
 *   uvwamp_options_add_url(options, "ws://127.0.0.1:8080/ws");
 *   uvwamp_options_set_realm(options, "realm1");
 *   uvwamp_client* client;
 *   if (uvwamp_client_new(loop, options, &client) == 0) uvwamp_client_join(client, on_joined, app);
 *   uvwamp_options_free(options);
 *   uv_run(loop, UV_RUN_DEFAULT);
 *
 * THREADS. A client lives on its loop's thread: call every function that takes a client there,
 * and every function that takes an invocation of a procedure registered with
 * uvwamp_client_register (but uvwamp_invocation_interrupted, which reads an atomic flag). Every
 * callback runs there, from uv_run(), with one exception: the invocation callback of a procedure
 * registered with uvwamp_client_register_on_pool runs on one of the pool's threads, and the
 * invocation it receives may be used on any thread, one thread at a time, while its interrupt
 * callback runs on the loop's thread (see "Worker pools"). Values and option objects may be built
 * and read on any thread, one thread per object at a time; a pool may be made and freed on any
 * thread but its own.
 *
 * ERRORS. Every error is a negative int, UVWAMP_E*, and uvwamp_strerror() names it.
 *  - A function that starts a request (join, leave, call, publish, subscribe, unsubscribe,
 *    register, unregister) returns 0 and then calls its callback exactly once, on a later turn
 *    of the loop, never from inside the function itself. It returns a negative code only for a
 *    mistake the caller can see at once, and then never calls the callback:
 *      UVWAMP_EINVAL  a NULL client, name or required callback; args that are not an array,
 *                     kwargs or options that are not an object;
 *      UVWAMP_ECLOSED uvwamp_client_close() was already called on this client;
 *      UVWAMP_ENOMEM  memory ran out before the request was made.
 *    Everything else (not joined, a URI the router refuses, the connection lost, the router's or
 *    the callee's ERROR, ...) reaches the callback as a uvwamp_error.
 *  - The other functions return 0 or a negative code and call nothing back; their comments say
 *    which codes. The accessors (uvwamp_error_*, uvwamp_event_*, uvwamp_call_result_*,
 *    uvwamp_session_info_*, uvwamp_invocation_* but take, free, the answers, the callback
 *    setters and wait_for_interrupt, and uvwamp_registration_* and uvwamp_subscription_* but
 *    free) return no code and must be given the non-NULL pointer a callback received.
 *  - No C++ exception ever leaves a function of this header.
 *
 * OWNERSHIP. The rules, once for the whole API:
 *  - What a function hands you to free says so: uvwamp_options_new (uvwamp_options_free),
 *    uvwamp_call_options_new (uvwamp_call_options_free), uvwamp_register_options_new
 *    (uvwamp_register_options_free), uvwamp_value_new_* and uvwamp_value_copy
 *    (uvwamp_value_free), the uvwamp_registration and
 *    uvwamp_subscription a register or subscribe callback receives (uvwamp_registration_free,
 *    uvwamp_subscription_free), an invocation you took with uvwamp_invocation_take
 *    (uvwamp_invocation_free), a signing key (uvwamp_signing_key_free), and a worker pool
 *    (uvwamp_worker_pool_free, which drops your hold: the registrations made on the pool hold it
 *    too). A client frees itself after its close callback; a secret request is freed by its
 *    answer, or with its client.
 *  - Everything else is borrowed. Pointers a callback receives (results, events, errors, session
 *    info, an invocation not taken, and the strings and values read from them) are valid until
 *    the callback returns: copy what you want to keep (uvwamp_value_copy, strdup). A pointer read
 * from a value (an element, a member, a string's bytes) is valid until that value is changed or
 * freed.
 *  - Values and option objects you pass to a request (args, kwargs, options) or to an answer
 *    stay yours: they are copied before the function returns. The exceptions are
 *    uvwamp_value_array_append, uvwamp_value_array_set and uvwamp_value_object_set, which take
 *    the item they are given.
 *  - Every `void* user_data` is passed back untouched and never freed; it must stay valid while
 *    a callback that receives it may still run (each request's comment says until when).
 */
#ifndef UVWAMP_H
#define UVWAMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;

/* ---------------------------------------------------------------------------------------------
 * Error codes
 */

enum {
  UVWAMP_EINVAL = -1,         /* an invalid argument; from a callback: the request cannot be
                                 sent as given (a bad URI, a payload the serializer cannot
                                 write, a message over the size limit, a stale handle) */
  UVWAMP_ENOMEM = -2,         /* memory ran out */
  UVWAMP_ETYPE = -3,          /* the value holds another type than the one asked for */
  UVWAMP_ERANGE = -4,         /* a number that does not fit the type asked for, an index
                                 past the end */
  UVWAMP_EWAMP = -5,          /* the router or the callee answered with ERROR or ABORT; the
                                 error's URI says which */
  UVWAMP_ENOTJOINED = -6,     /* no session was open for the request */
  UVWAMP_EALREADYJOINED = -7, /* join while joining or joined */
  UVWAMP_ESESSIONENDED = -8,  /* the session ended before the answer came */
  UVWAMP_ETRANSPORT = -9,     /* the connection to the router was lost */
  UVWAMP_ECLOSED = -10,       /* the client was closed */
  UVWAMP_EPROTOCOL = -11,     /* the router broke the WAMP protocol */
  UVWAMP_ECONNECT = -12,      /* no URL could be connected to */
  UVWAMP_ETIMEDOUT = -13,     /* the router did not answer in time; for a call, its timeout
                                 passed (the URI is then wamp.error.timeout) */
  UVWAMP_EALREADY = -14,      /* the invocation was already answered */
  UVWAMP_EINTERNAL = -15,     /* a failure inside uvwamp that none of the above describes */
  UVWAMP_ENOTSENT = -16,      /* an invocation's answer did not go to the router */
  UVWAMP_EAUTH = -17,         /* this client could not authenticate (see "Authentication") */
  UVWAMP_EKEY = -18,          /* a signing key could not be loaded; a sentence says why */
  UVWAMP_ECANCELED = -19,     /* the call was canceled (uvwamp_client_cancel), here, at the
                                 router or at the callee; the URI is wamp.error.canceled */
  UVWAMP_ENOTSUP = -20,       /* the router does not announce a feature the request needs */
  UVWAMP_ETOOLARGE = -21      /* the request's message is over the router's or the client's
                                 size limit; nothing was sent, the session goes on */
};

/* A sentence for the code ("invalid argument"); "unknown error" for a code not listed above.
 * The string is static. */
const char* uvwamp_strerror(int code);

/* ---------------------------------------------------------------------------------------------
 * Values
 *
 * A uvwamp_value is one of: null, bool, integer, double, string, binary, array, object. Integers
 * have one representation per number: every integer that fits int64_t is UVWAMP_VALUE_INT64,
 * only those above INT64_MAX are UVWAMP_VALUE_UINT64. Strings and object keys are meant to be
 * UTF-8; that is checked when a request is sent (a serializer refuses invalid UTF-8, and the
 * request then fails with UVWAMP_EINVAL), not when a value is built. Object members are kept
 * sorted by key, and setting a key that exists replaces its value.
 *
 * Values from uvwamp_value_new_* and uvwamp_value_copy are owned: free each with
 * uvwamp_value_free, unless you hand it to a function that takes it. Every `const uvwamp_value*`
 * this API returns is borrowed and must never be freed.
 */

typedef struct uvwamp_value uvwamp_value;

typedef enum uvwamp_value_type {
  UVWAMP_VALUE_NULL,
  UVWAMP_VALUE_BOOL,
  UVWAMP_VALUE_INT64,
  UVWAMP_VALUE_UINT64,
  UVWAMP_VALUE_DOUBLE,
  UVWAMP_VALUE_STRING,
  UVWAMP_VALUE_BINARY,
  UVWAMP_VALUE_ARRAY,
  UVWAMP_VALUE_OBJECT
} uvwamp_value_type;

/* Each returns a new owned value, or NULL when memory runs out (or, for the string and binary
 * ones, when `data` is NULL with a non-zero size). The bytes are copied. */
uvwamp_value* uvwamp_value_new_null(void);
uvwamp_value* uvwamp_value_new_bool(int b); /* any non-zero is true */
uvwamp_value* uvwamp_value_new_int64(int64_t i);
uvwamp_value* uvwamp_value_new_uint64(uint64_t u);
uvwamp_value* uvwamp_value_new_double(double d);
uvwamp_value* uvwamp_value_new_string(const char* s);            /* NUL-terminated */
uvwamp_value* uvwamp_value_new_stringn(const char* s, size_t n); /* may hold NUL bytes */
uvwamp_value* uvwamp_value_new_binary(const void* data, size_t n);
uvwamp_value* uvwamp_value_new_array(void);  /* empty */
uvwamp_value* uvwamp_value_new_object(void); /* empty */

/* A deep copy, owned; NULL for a NULL value or when memory runs out. */
uvwamp_value* uvwamp_value_copy(const uvwamp_value* v);

/* Frees an owned value and everything in it. NULL is allowed and does nothing. */
void uvwamp_value_free(uvwamp_value* v);

/* UVWAMP_VALUE_NULL for a NULL pointer. */
uvwamp_value_type uvwamp_value_type_of(const uvwamp_value* v);

/* 1 when both hold the same value, else 0. Integers compare by number; a double never equals an
 * integer. Two NULL pointers are equal. */
int uvwamp_value_equal(const uvwamp_value* a, const uvwamp_value* b);

/* The getters return 0 and store the value, UVWAMP_EINVAL for a NULL argument, UVWAMP_ETYPE
 * when the value holds another type, or UVWAMP_ERANGE when an integer does not fit. Nothing is
 * stored on failure. */
int uvwamp_value_get_bool(const uvwamp_value* v, int* out); /* stores 0 or 1 */
int uvwamp_value_get_int64(const uvwamp_value* v, int64_t* out);
int uvwamp_value_get_uint64(const uvwamp_value* v, uint64_t* out);
/* A double, or an integer converted to the nearest double (JSON writes 1.0 as 1). */
int uvwamp_value_get_double(const uvwamp_value* v, double* out);
/* Borrowed bytes, valid until the value changes or is freed. A string's bytes are followed by a
 * NUL that `len` does not count (but the string itself may hold NULs); `len` may be NULL. A
 * binary's `data` is never NULL, even when empty. */
int uvwamp_value_get_string(const uvwamp_value* v, const char** data, size_t* len);
int uvwamp_value_get_binary(const uvwamp_value* v, const uint8_t** data, size_t* len);

/* The number of elements of an array or members of an object; 0 for anything else. */
size_t uvwamp_value_size(const uvwamp_value* v);

/* Element `index` of an array, borrowed; NULL when `v` is not an array or index >= size. */
const uvwamp_value* uvwamp_value_array_get(const uvwamp_value* array, size_t index);
/* Appends `item` to the end. Takes `item`, which must be an owned value (never one borrowed from
 * anywhere): whatever the outcome, the handle is gone after the call (its contents moved into
 * the array, or freed on failure), except when it is `array` itself. To read the element
 * afterwards, use uvwamp_value_array_get. Returns 0, UVWAMP_EINVAL (a NULL argument, or `item`
 * is `array`), UVWAMP_ETYPE (not an array) or UVWAMP_ENOMEM. */
int uvwamp_value_array_append(uvwamp_value* array, uvwamp_value* item);
/* Replaces element `index` (freeing the old one) with `item`, taken as by append. Returns as
 * append does, or UVWAMP_ERANGE when index >= size. */
int uvwamp_value_array_set(uvwamp_value* array, size_t index, uvwamp_value* item);

/* The member `key` (NUL-terminated) of an object, borrowed; NULL when `v` is not an object or
 * has no such member. */
const uvwamp_value* uvwamp_value_object_get(const uvwamp_value* object, const char* key);
/* Sets member `key` (copied) to `item`, replacing (and freeing) any member of that key. Takes
 * `item` as uvwamp_value_array_append does, and returns as it does. */
int uvwamp_value_object_set(uvwamp_value* object, const char* key, uvwamp_value* item);
/* Calls `fn` for each member of an object in key order, until `fn` returns non-zero. The key
 * (NUL-terminated; `key_len` counts its bytes) and the member are borrowed for the call; `fn`
 * must not change the object. Returns what the last `fn` returned (0 when it ran for every
 * member or there were none), or UVWAMP_EINVAL / UVWAMP_ETYPE before any call. */
typedef int (*uvwamp_value_member_fn)(const char* key, size_t key_len, const uvwamp_value* member,
                                      void* user_data);
int uvwamp_value_object_foreach(const uvwamp_value* object, uvwamp_value_member_fn fn,
                                void* user_data);

/* Writes a compact JSON-like rendering, for logs and messages (binary shows as b"<hex>"; this is
 * no serialization), like snprintf: at most size - 1 bytes and a NUL into `buf` (when size > 0;
 * `buf` may be NULL when size is 0). Returns the length of the whole rendering, without the NUL,
 * or UVWAMP_EINVAL, UVWAMP_ENOMEM, or UVWAMP_ERANGE for a rendering longer than INT_MAX. */
int uvwamp_value_dump(const uvwamp_value* v, char* buf, size_t size);

/* ---------------------------------------------------------------------------------------------
 * Errors of requests
 *
 * A callback whose request failed receives a uvwamp_error, borrowed until it returns; on success
 * it receives NULL instead. Its strings are NUL-terminated and never NULL.
 */

typedef struct uvwamp_error uvwamp_error;

/* One of the UVWAMP_E* codes: UVWAMP_EWAMP when the router or the callee sent the error, another
 * for a local reason. */
int uvwamp_error_code(const uvwamp_error* e);
/* For UVWAMP_EWAMP the URI the router or the callee sent ("wamp.error.no_such_procedure", or an
 * application's "com.example.error.failed"); for a local reason the URI uvwamp gives it
 * ("uvwamp.error.not_joined", "wamp.error.invalid_uri", ...). */
const char* uvwamp_error_uri(const uvwamp_error* e);
/* A sentence for people, made from the error's payload or saying what happened locally. */
const char* uvwamp_error_message(const uvwamp_error* e);
/* The error's payload: args an array, kwargs and details objects, each empty when absent. */
const uvwamp_value* uvwamp_error_args(const uvwamp_error* e);
const uvwamp_value* uvwamp_error_kwargs(const uvwamp_error* e);
const uvwamp_value* uvwamp_error_details(const uvwamp_error* e);

/* ---------------------------------------------------------------------------------------------
 * Options
 *
 * Built with setters, read by uvwamp_client_new (which copies them: free the options whenever
 * you like after it). Each setter returns 0, UVWAMP_EINVAL for a NULL or invalid argument (the
 * options are then unchanged), or UVWAMP_ENOMEM.
 */

typedef struct uvwamp_options uvwamp_options;

/* NULL when memory runs out. Defaults: no URL, no realm, serializers cbor, msgpack, json, TLS
 * verification against the system's CAs, connect, handshake and join timeouts 10 s, goodbye
 * timeout 5 s, TCP keepalive after 60 s idle, keepalive pings every 30 s answered within 10 s,
 * messages up to 16 MiB both ways, no call timeout, a 10 s request timeout, no reconnect. */
uvwamp_options* uvwamp_options_new(void);
void uvwamp_options_free(uvwamp_options* options); /* NULL is allowed */

/* Adds a router URL; join tries them in the order added until one connects. Forms: ws://,
 * wss://, rs://host:port, rss://host:port, ws://unix:/path, rs://unix:/path. A URL that does not
 * parse is refused here with UVWAMP_EINVAL. */
int uvwamp_options_add_url(uvwamp_options* options, const char* url);
int uvwamp_options_set_realm(uvwamp_options* options, const char* realm);
/* The serializers to offer, most wanted first, by name: "json", "msgpack", "cbor". UVWAMP_EINVAL
 * for an unknown name, a repeated one, or count 0. */
int uvwamp_options_set_serializers(uvwamp_options* options, const char* const* names, size_t count);

/* TLS, for wss:// and rss:// URLs (in a build with TLS). The server's certificate must be valid
 * for the URL's host, or for `server_name` when set (also sent as SNI). */
int uvwamp_options_set_tls_server_name(uvwamp_options* options, const char* server_name);
/* Trusted CAs: a PEM or DER file and/or a directory of them, instead of the system bundle.
 * Either may be NULL, not both. */
int uvwamp_options_set_tls_ca(uvwamp_options* options, const char* ca_file,
                              const char* ca_directory);
/* A client certificate (PEM or DER, chain after it) and its unencrypted private key, both
 * required. */
int uvwamp_options_set_tls_client_certificate(uvwamp_options* options, const char* certificate_file,
                                              const char* private_key_file);
/* Non-zero accepts any certificate for any name: for tests against throwaway certificates only,
 * since anyone on the path can then read and change the traffic. */
int uvwamp_options_set_tls_dangerously_skip_certificate_verification(uvwamp_options* options,
                                                                     int skip);

/* Per URL, how long the TCP connection may take, and each handshake after it; how long leave
 * and close wait for the router's GOODBYE. In milliseconds, 1 to INT32_MAX. */
int uvwamp_options_set_connect_timeout(uvwamp_options* options, uint64_t milliseconds);
int uvwamp_options_set_handshake_timeout(uvwamp_options* options, uint64_t milliseconds);
int uvwamp_options_set_goodbye_timeout(uvwamp_options* options, uint64_t milliseconds);
/* The longest message accepted from the router, in bytes; not 0. */
int uvwamp_options_set_max_message_size(uvwamp_options* options, size_t bytes);
/* The timeout of every call whose uvwamp_call_options set none (see
 * uvwamp_call_options_set_timeout): 0 (the default) for none, else 1 to INT32_MAX
 * milliseconds. */
int uvwamp_options_set_call_timeout(uvwamp_options* options, uint64_t milliseconds);
/* How long a join waits for the router after HELLO, and again after each AUTHENTICATE (the time
 * a secret takes to come does not count); then it fails with UVWAMP_ETIMEDOUT. 0 for no limit,
 * else 1 to INT32_MAX milliseconds; 10 s by default. */
int uvwamp_options_set_join_timeout(uvwamp_options* options, uint64_t milliseconds);
/* TCP keepalive's idle time, in seconds (see ClientOptions::tcp_keepalive): 0 turns it off,
 * else 1 to 86400; 60 s by default. */
int uvwamp_options_set_tcp_keepalive(uvwamp_options* options, unsigned seconds);
/* How long register, unregister, subscribe, unsubscribe and an acknowledged publish wait for the
 * router's answer; then they fail with UVWAMP_ETIMEDOUT, and a late answer changes nothing. 0
 * for no limit, else 1 to INT32_MAX milliseconds; 10 s by default. */
int uvwamp_options_set_request_timeout(uvwamp_options* options, uint64_t milliseconds);
/* Keepalive pings (WebSocket ping; RawSocket PING with uvwamp_options_set_rawsocket_ping) every
 * `interval` milliseconds; a router that
 * sends nothing back within `timeout` is taken for lost. `interval` 0 turns it off, else both 1
 * to INT32_MAX; 30 s and 10 s by default. */
int uvwamp_options_set_keepalive(uvwamp_options* options, uint64_t interval, uint64_t timeout);
/* Non-zero: keepalive over RawSocket too, with PING frames (nexus answers them; Crossbar drops
 * the connection at the first). Off by default. */
int uvwamp_options_set_rawsocket_ping(uvwamp_options* options, int ping);
/* The longest message sent, in bytes: a request over it fails with UVWAMP_ETOOLARGE, sending
 * nothing. 0 for no limit of the client's own; 16 MiB by default. */
int uvwamp_options_set_max_outgoing_message_size(uvwamp_options* options, size_t bytes);

/* Backpressure: at most `limit` bytes wait to be written (a request over it fails with
 * UVWAMP_EINVAL); past `high_water` the send-pressure callback (uvwamp_client_set_send_pressure_cb)
 * is told to hold back, and told again once the queue is empty. limit not 0, high_water at most
 * limit (0 for no callback); 16 MiB and 1 MiB by default. */
int uvwamp_options_set_write_queue(uvwamp_options* options, size_t limit, size_t high_water);

/* Reconnecting (docs/resilience.md, ReconnectOptions in reconnect.hpp): with it on, a client
 * whose connection is lost, or whose router ends the session with a reason added by
 * uvwamp_options_add_reconnect_reason ("wamp.close.system_shutdown" is there already), connects
 * and joins again and registers and subscribes again what it held; the registration and
 * subscription handles you hold keep naming them. Off by default. Delays in milliseconds, 0 to
 * INT32_MAX, max_delay at least initial_delay (500 and 30000 by default); multiplier at least 1
 * (2); jitter 0 to 1 (0.2). max_attempts 0 (the default) tries forever. With retry_first_join,
 * uvwamp_client_join retries too. request_wait: how long a request made while reconnecting waits
 * for the rejoin (0, the default: it fails at once with UVWAMP_ENOTJOINED). Each returns 0 or
 * UVWAMP_EINVAL. */
int uvwamp_options_set_reconnect(uvwamp_options* options, int enabled);
int uvwamp_options_set_reconnect_backoff(uvwamp_options* options, uint64_t initial_delay,
                                         uint64_t max_delay, double multiplier, double jitter);
int uvwamp_options_set_reconnect_max_attempts(uvwamp_options* options, unsigned max_attempts);
int uvwamp_options_set_reconnect_retry_first_join(uvwamp_options* options, int retry);
int uvwamp_options_set_reconnect_request_wait(uvwamp_options* options, uint64_t milliseconds);
int uvwamp_options_add_reconnect_reason(uvwamp_options* options, const char* reason);

/* ---------------------------------------------------------------------------------------------
 * Results handed to callbacks, all borrowed until the callback returns
 */

/* The session join opened. */
typedef struct uvwamp_session_info uvwamp_session_info;
uint64_t uvwamp_session_info_id(const uvwamp_session_info* info);
const char* uvwamp_session_info_realm(const uvwamp_session_info* info);
const char* uvwamp_session_info_url(const uvwamp_session_info* info); /* the one that connected */
const char* uvwamp_session_info_serializer(const uvwamp_session_info* info);      /* "json", ... */
const uvwamp_value* uvwamp_session_info_details(const uvwamp_session_info* info); /* WELCOME's */
/* Who the router says the client is, from WELCOME.Details: the authid, authrole, authmethod
 * ("ticket", "anonymous", ...) and authprovider ("static", ...), each "" when the router sent
 * none, and authextra, an object (empty when none was sent). */
const char* uvwamp_session_info_authid(const uvwamp_session_info* info);
const char* uvwamp_session_info_authrole(const uvwamp_session_info* info);
const char* uvwamp_session_info_authmethod(const uvwamp_session_info* info);
const char* uvwamp_session_info_authprovider(const uvwamp_session_info* info);
const uvwamp_value* uvwamp_session_info_authextra(const uvwamp_session_info* info);

/* What a call returned: args an array, kwargs and details objects, each empty when absent. */
typedef struct uvwamp_call_result uvwamp_call_result;
const uvwamp_value* uvwamp_call_result_args(const uvwamp_call_result* result);
const uvwamp_value* uvwamp_call_result_kwargs(const uvwamp_call_result* result);
const uvwamp_value* uvwamp_call_result_details(const uvwamp_call_result* result);

/* One event of a subscription. */
typedef struct uvwamp_event uvwamp_event;
uint64_t uvwamp_event_subscription_id(const uvwamp_event* event);
uint64_t uvwamp_event_publication_id(const uvwamp_event* event);
const char* uvwamp_event_topic(const uvwamp_event* event); /* the topic subscribed to */
const uvwamp_value* uvwamp_event_args(const uvwamp_event* event);
const uvwamp_value* uvwamp_event_kwargs(const uvwamp_event* event);
const uvwamp_value* uvwamp_event_details(const uvwamp_event* event);

/* ---------------------------------------------------------------------------------------------
 * Registrations and subscriptions
 *
 * The handle a register or subscribe callback receives on success is yours: keep it to
 * unregister or unsubscribe, and free it with uvwamp_registration_free /
 * uvwamp_subscription_free when you are done (freeing changes nothing at the router, and may
 * happen before or after the client is closed; unregister and unsubscribe copy what they need,
 * so the handle may be freed right after them). A handle from an earlier session (before a
 * leave or a lost connection) names nothing any more: unregistering or unsubscribing it fails
 * with UVWAMP_EINVAL in the callback.
 */

typedef struct uvwamp_registration uvwamp_registration;
void uvwamp_registration_free(uvwamp_registration* registration); /* NULL is allowed */
uint64_t uvwamp_registration_id(const uvwamp_registration* registration);
const char* uvwamp_registration_procedure(const uvwamp_registration* registration);

typedef struct uvwamp_subscription uvwamp_subscription;
void uvwamp_subscription_free(uvwamp_subscription* subscription);         /* NULL is allowed */
uint64_t uvwamp_subscription_id(const uvwamp_subscription* subscription); /* the router's */
const char* uvwamp_subscription_topic(const uvwamp_subscription* subscription);

/* ---------------------------------------------------------------------------------------------
 * Invocations
 *
 * One call of a registered procedure. Your invocation callback receives it borrowed, and must
 * answer it once, with uvwamp_invocation_yield or uvwamp_invocation_error, either
 *  - before the callback returns; or
 *  - later: call uvwamp_invocation_take in the callback, which makes the invocation yours, answer
 *    it whenever you like (from a timer, after other requests, ...), and free it with
 *    uvwamp_invocation_free, answered or not.
 * An invocation left unanswered when the callback returns without taking it, or freed unanswered,
 * answers the caller with the error wamp.error.runtime_error, so no caller waits forever. Before
 * the answer, uvwamp_invocation_progress may send progressive results to a caller that asked for
 * them.
 *
 * Interruption. The caller may cancel the call (kill or killnowait), the router's timer for it
 * may run out, or the invocation's own timeout may pass (a registration made with
 * uvwamp_register_options_set_forward_timeout). The invocation is then interrupted:
 * uvwamp_invocation_interrupted turns 1, the interrupt callback (uvwamp_invocation_on_interrupt)
 * runs, and unless that callback answered, uvwamp answers at once with wamp.error.canceled
 * (wamp.error.timeout for the invocation's own timeout), also when the callback freed the
 * invocation. From then on it counts as answered: yield and error return UVWAMP_EALREADY,
 * progress UVWAMP_ECANCELED. Interruptions come from the loop, so only an invocation you took
 * can be interrupted unanswered: one not taken is answered by the time its callback returns
 * (unless it came from a worker pool, whose callbacks run beside the loop: see "Worker pools").
 * The end of the session (left, lost, the client closed) interrupts an invocation still
 * unanswered too, in mode killnowait with the reason the session ended for
 * ("uvwamp.error.closed", say), so that work done for it can stop; nothing answers it then, and
 * yield and error return UVWAMP_ENOTSENT.
 *
 * Progressive input. When the caller sends its input in chunks
 * (uvwamp_call_options_set_progressive_input), the invocation carries the first chunk as its args
 * and kwargs, with uvwamp_invocation_more_input 1, and the input callback
 * (uvwamp_invocation_on_input) receives the others, in order, the last with `more` 0. Take the
 * invocation to receive them, and answer whenever you like; chunks that come after the answer are
 * dropped.
 *
 * The interrupt and input callbacks run on the loop's thread, receive the invocation, and may call
 * any function here: answer it, free it (uvwamp_invocation_free is safe inside them), or close the
 * client (for an invocation from a worker pool, "Worker pools" says what its interrupt callback may
 * do). Each one's user_data must stay valid until the invocation is answered or freed, or its
 * session ends, whichever comes first: none of its callbacks runs after that.
 */

typedef struct uvwamp_invocation uvwamp_invocation;

/* How a call is canceled (uvwamp_client_cancel), and so how its callee is interrupted. */
typedef enum uvwamp_cancel_mode {
  UVWAMP_CANCEL_SKIP,      /* the callee is not told; the call ends at once */
  UVWAMP_CANCEL_KILL,      /* the callee is interrupted, and its answer (an error, or a result
                              that won the race) ends the call */
  UVWAMP_CANCEL_KILLNOWAIT /* the callee is interrupted; the call ends at once */
} uvwamp_cancel_mode;

/* Makes the invocation yours, to answer and free after the callback returned. Call it only in
 * the invocation callback, once. One from a worker pool may then go to another thread, even
 * before the callback returns, as long as the callback leaves it alone from then on. Returns 0
 * or UVWAMP_EINVAL (NULL). */
int uvwamp_invocation_take(uvwamp_invocation* invocation);
/* Frees an invocation you took, answering it with wamp.error.runtime_error when unanswered (or as
 * the interruption would, from its interrupt callback). It may be called inside any callback of
 * the invocation. For one from a worker pool, on the thread that holds it: it waits for its
 * interrupt callback, should that run on the loop's thread at that moment, to return. NULL is
 * allowed; on an invocation not taken (in its callback) it does nothing. */
void uvwamp_invocation_free(uvwamp_invocation* invocation);

/* The answers. `args` (an array) and `kwargs` (an object) may be NULL for empty, and are copied.
 * `uri` is the error's URI ("com.example.error.failed"). Each returns
 *   0                the answer went to the router, and the invocation is answered; for one from
 *                    a worker pool, the answer was taken, to go from the loop's thread (see
 *                    "Worker pools");
 *   UVWAMP_EALREADY  it was answered before (by you, or by uvwamp after an interruption; one
 *                    from a worker pool once it was interrupted at all); nothing is sent;
 *   UVWAMP_ENOTSENT  the answer did not go to the router: the session the invocation came from
 *                    is over (left, lost, the client closed), or this answer cannot be sent (an
 *                    invalid error URI, a payload the serializer cannot write, a message over
 *                    the size limit; from a worker pool: an invalid error URI, or the client is
 *                    gone). The invocation stays unanswered, so another answer may follow; while
 *                    its session lasts, freeing it still answers wamp.error.runtime_error;
 *   UVWAMP_EINVAL    a NULL invocation or uri, args that are not an array, kwargs that are not
 *                    an object; nothing is sent;
 *   UVWAMP_ENOMEM    nothing is sent. */
int uvwamp_invocation_yield(uvwamp_invocation* invocation, const uvwamp_value* args,
                            const uvwamp_value* kwargs);
int uvwamp_invocation_error(uvwamp_invocation* invocation, const char* uri,
                            const uvwamp_value* args, const uvwamp_value* kwargs);
/* 1 once yield or error returned 0, or uvwamp answered an interruption (one from a worker pool:
 * once it was interrupted at all), else 0. */
int uvwamp_invocation_answered(const uvwamp_invocation* invocation);

/* A progressive result, before the final answer (which yield or error still gives); args and
 * kwargs as for yield. Returns
 *   0                 the result went to the router (from a worker pool: was taken; one that then
 *                     cannot be sent is dropped);
 *   UVWAMP_ECANCELED  the invocation was interrupted; nothing is sent;
 *   UVWAMP_EALREADY   it was answered; nothing is sent;
 *   UVWAMP_EINVAL     the caller did not ask for progressive results
 *                     (uvwamp_invocation_receive_progress is 0), a NULL invocation, args that are
 *                     not an array, kwargs that are not an object; nothing is sent;
 *   UVWAMP_ENOTSENT   the session the invocation came from is over, or this result cannot be sent
 *                     (a payload the serializer cannot write, a message over the size limit), or,
 *                     from a worker pool, the client is gone;
 *   UVWAMP_ENOMEM     nothing is sent. */
int uvwamp_invocation_progress(uvwamp_invocation* invocation, const uvwamp_value* args,
                               const uvwamp_value* kwargs);

/* What the caller sent, borrowed from the invocation (valid until it is freed). */
uint64_t uvwamp_invocation_request_id(const uvwamp_invocation* invocation);
uint64_t uvwamp_invocation_registration_id(const uvwamp_invocation* invocation);
/* The procedure called: for a prefix or wildcard registration the one the router names, else the
 * one registered. */
const char* uvwamp_invocation_procedure(const uvwamp_invocation* invocation);
const uvwamp_value* uvwamp_invocation_args(const uvwamp_invocation* invocation);
const uvwamp_value* uvwamp_invocation_kwargs(const uvwamp_invocation* invocation);
const uvwamp_value* uvwamp_invocation_details(const uvwamp_invocation* invocation);

/* What INVOCATION.Details say, typed; a detail the router left out, or sent with another type,
 * reads as absent. */
/* Caller identification: 1 when the router disclosed who calls, storing the caller's session id
 * in *session (which may be NULL), else 0. Routers disclose when the caller asked
 * (uvwamp_call_options_set_disclose_me), when the registration asked
 * (uvwamp_register_options_set_disclose_caller), or as their configuration says. */
int uvwamp_invocation_caller(const uvwamp_invocation* invocation, uint64_t* session);
/* The caller's authid and authrole, when disclosed; else "". */
const char* uvwamp_invocation_caller_authid(const uvwamp_invocation* invocation);
const char* uvwamp_invocation_caller_authrole(const uvwamp_invocation* invocation);
/* 1 when the router gave the call a trust level, storing it in *level (which may be NULL),
 * else 0. */
int uvwamp_invocation_trustlevel(const uvwamp_invocation* invocation, int64_t* level);
/* 1 when the caller takes progressive results, so that uvwamp_invocation_progress may be used;
 * else 0. */
int uvwamp_invocation_receive_progress(const uvwamp_invocation* invocation);
/* The caller's timeout in milliseconds, when the router forwarded it; else 0. */
uint64_t uvwamp_invocation_timeout(const uvwamp_invocation* invocation);
/* 1 when more input follows this invocation's args (see "Progressive input"), else 0. */
int uvwamp_invocation_more_input(const uvwamp_invocation* invocation);

/* 1 once the invocation was interrupted, else 0. It reads an atomic flag, so it may be called on
 * any thread, even for an invocation of a loop registration, by work the invocation handed
 * elsewhere that wants to stop early: as long as the invocation is not freed meanwhile (free it on
 * the loop's thread once that work is done). */
int uvwamp_invocation_interrupted(const uvwamp_invocation* invocation);

/* Blocks the calling thread until the invocation, one from a worker pool, is interrupted or
 * `milliseconds` passed; a wait of 365 days or more (UINT64_MAX, say) waits for the interruption
 * alone. A callback that works in steps waits with it between steps instead of sleeping, and
 * stops the moment its call is canceled, times out or its session ends. Returns 1 when the
 * invocation was interrupted (at once when it was already), 0 when the time passed, or
 * UVWAMP_EINVAL for a NULL invocation or one of a loop registration (the wait would block the
 * loop that interrupts it). */
int uvwamp_invocation_wait_for_interrupt(uvwamp_invocation* invocation, uint64_t milliseconds);

/* Told that the invocation was interrupted (see "Interruption"): `mode` is UVWAMP_CANCEL_KILL or
 * UVWAMP_CANCEL_KILLNOWAIT (killnowait when the router named none), `reason` the router's
 * ("wamp.error.canceled"), "" when it gave none, or "wamp.error.timeout" for the invocation's own
 * timeout; borrowed until the callback returns. Answer in it to answer otherwise than uvwamp
 * would (not an invocation from a worker pool, which counts as answered by then). */
typedef void (*uvwamp_interrupt_cb)(uvwamp_invocation* invocation, uvwamp_cancel_mode mode,
                                    const char* reason, void* user_data);
/* Sets the invocation's interrupt callback, or removes it (NULL); a second replaces the first. It
 * runs at most once: when the invocation is interrupted unanswered, on the loop's thread, or at
 * once, inside this call (on the calling thread), when it was interrupted already. Returns 0,
 * UVWAMP_EINVAL (NULL invocation) or UVWAMP_ENOMEM. */
int uvwamp_invocation_on_interrupt(uvwamp_invocation* invocation, uvwamp_interrupt_cb on_interrupt,
                                   void* user_data);

/* One further chunk of a progressive call invocation's input: args (an array) and kwargs (an
 * object), borrowed until the callback returns; `more` is 1 when more chunks follow, 0 for the
 * last. */
typedef void (*uvwamp_input_cb)(uvwamp_invocation* invocation, const uvwamp_value* args,
                                const uvwamp_value* kwargs, int more, void* user_data);
/* Sets the invocation's input callback, or removes it (NULL); a second replaces the first. It
 * receives each further chunk in order; chunks that came while no callback was set wait for one,
 * and it receives them at once, inside this call. Returns 0, UVWAMP_EINVAL (NULL invocation, or
 * one from a worker pool, whose first chunk is all it gets) or UVWAMP_ENOMEM. */
int uvwamp_invocation_on_input(uvwamp_invocation* invocation, uvwamp_input_cb on_input,
                               void* user_data);

/* ---------------------------------------------------------------------------------------------
 * Worker pools
 *
 * Threads that run the invocation callbacks of procedures registered on them
 * (uvwamp_client_register_on_pool), so that a procedure doing real work (a query, a computation,
 * a conversion) leaves the loop free for everything else, and learns at once when its call is
 * interrupted. A pool starts its threads when it is made; a client starts none. One pool may
 * serve many clients, on one loop or several.
 *
 * Each invocation of a procedure registered on a pool waits in the pool's queue for the first
 * free thread, which runs its callback. It is a uvwamp_invocation like any other, answered, taken
 * and freed as "Invocations" says, with these differences:
 *  - Threads. Its callback runs on a worker thread and receives the client only to name it: no
 *    function that takes a client may be called there. The invocation may be used on any thread
 *    (take it to keep it past its callback, and hand it on), by one thread at a time.
 *  - Answers. yield, error and progress queue the answer for the loop's thread, which sends the
 *    answers in the order they were made: 0 means the answer was taken, not that it reached the
 *    router. A final answer that then cannot be sent (a payload the serializer cannot write, a
 *    message over the size limit) answers the caller wamp.error.runtime_error instead.
 *  - Interruption. It may be interrupted while its callback runs: uvwamp_invocation_interrupted
 *    turns 1 and uvwamp_invocation_wait_for_interrupt wakes at once, and, unless the session
 *    ended, the caller is answered wamp.error.canceled (or wamp.error.timeout) at once too,
 *    whatever the callback goes on to do. One interrupted while it waits in the queue never runs.
 *    Once interrupted it counts as answered, whatever interrupted it (the end of the session
 *    too): uvwamp_invocation_answered is 1, yield and error return UVWAMP_EALREADY, progress
 *    UVWAMP_ECANCELED.
 *  - The interrupt callback runs on the loop's thread, beside the invocation's own thread. It may
 *    read the invocation (the accessors, interrupted, answered) and set or remove its interrupt
 *    callback; it may free the invocation only when no other thread uses it any more (one taken
 *    and put aside until later). It must not wait for the thread that holds the invocation:
 *    uvwamp_invocation_free there waits for the interrupt callback to return. As for any
 *    invocation, it does not run once the invocation is freed, and here that may come first: the
 *    invocation's own thread may see the interruption before the loop's thread runs the callback,
 *    and free the invocation (or return from its callback without taking it). Keep the
 *    invocation until its interrupt callback ran if it must run.
 *  - Input. Only the first chunk of a progressive call invocation's input reaches it:
 *    uvwamp_invocation_on_input refuses it with UVWAMP_EINVAL.
 *
 * The pool lives while you hold it (from uvwamp_worker_pool_new to uvwamp_worker_pool_free) and
 * while a client uses it: a registration made on it, until unregistered or its session ends, and
 * an invocation of it, until answered. Whatever lets go of it last waits, on its own thread, for
 * the callbacks that still run to return: the loop's thread, when that is a client. The end of a
 * session interrupts what it left unanswered, so callbacks that check
 * uvwamp_invocation_interrupted or wait with uvwamp_invocation_wait_for_interrupt return soon
 * after.
 */

typedef struct uvwamp_worker_pool uvwamp_worker_pool;

/* Makes a pool and starts its `threads` threads. Returns 0 and stores it in *pool, yours to free
 * with uvwamp_worker_pool_free; or, storing nothing, UVWAMP_EINVAL (threads 0, a NULL pool),
 * UVWAMP_ENOMEM, or UVWAMP_EINTERNAL (a thread could not start; those that did are stopped). */
int uvwamp_worker_pool_new(unsigned threads, uvwamp_worker_pool** pool);
/* Drops the hold uvwamp_worker_pool_new gave: the pool lives on while a registration made on it
 * or an invocation of it does. When this is the last hold, it waits for the callbacks that still
 * run to return. Call it on any thread but the pool's own (never in an invocation callback of the
 * pool). NULL is allowed. */
void uvwamp_worker_pool_free(uvwamp_worker_pool* pool);

/* ---------------------------------------------------------------------------------------------
 * The client
 *
 * join connects to the first URL that answers and opens a session in the realm; leave ends the
 * session and closes the connection, after which join may open another; close ends everything
 * for good.
 *
 * Callbacks: each request's callback receives the client, its result (NULL on failure), the
 * error (NULL on success) and the user_data given with the request. A request callback may be
 * NULL (the outcome is then dropped; a registration or subscription handle is freed), except
 * where a comment says otherwise. Callbacks may call any function here, uvwamp_client_close
 * included. Event, invocation and revocation callbacks, and their user_data, are used until the
 * unsubscribe or unregister call, the revocation, the end of the session, or the close callback,
 * whichever comes first (the invocation callbacks of a worker pool, longer: see
 * uvwamp_client_register_on_pool); a call's progress callback until the call's own callback.
 *
 * Ending: when the session ends without a leave (the router says GOODBYE or ABORT, the
 * connection is lost, the router breaks the protocol), the pending requests complete with the
 * reason and then the session-ended callback runs. uvwamp_client_close completes what is
 * pending with UVWAMP_ECLOSED, closes the connection and then calls its callback, the last
 * callback of the client, after which the client is freed.
 */

typedef struct uvwamp_client uvwamp_client;

typedef void (*uvwamp_join_cb)(uvwamp_client* client, const uvwamp_session_info* info,
                               const uvwamp_error* error, void* user_data);
/* `reason` is the router's GOODBYE reason ("wamp.close.goodbye_and_out"); NULL on failure. */
typedef void (*uvwamp_leave_cb)(uvwamp_client* client, const char* reason,
                                const uvwamp_error* error, void* user_data);
typedef void (*uvwamp_close_cb)(uvwamp_client* client, void* user_data);
/* Why the session ended when no leave asked for it. */
typedef void (*uvwamp_session_ended_cb)(uvwamp_client* client, const uvwamp_error* why,
                                        void* user_data);
typedef void (*uvwamp_call_cb)(uvwamp_client* client, const uvwamp_call_result* result,
                               const uvwamp_error* error, void* user_data);
/* One progressive result of a call, before its final one (see uvwamp_call_options_set_progress_cb);
 * `user_data` is the call's. */
typedef void (*uvwamp_progress_cb)(uvwamp_client* client, const uvwamp_call_result* progress,
                                   void* user_data);
/* `publication_id` is the router's id for an acknowledged publish, 0 for an unacknowledged one
 * (which completes once the message is queued for the router) and on failure. */
typedef void (*uvwamp_publish_cb)(uvwamp_client* client, uint64_t publication_id,
                                  const uvwamp_error* error, void* user_data);
/* On success `subscription` is yours to free (see "Registrations and subscriptions"). */
typedef void (*uvwamp_subscribe_cb)(uvwamp_client* client, uvwamp_subscription* subscription,
                                    const uvwamp_error* error, void* user_data);
typedef void (*uvwamp_event_cb)(uvwamp_client* client, const uvwamp_event* event, void* user_data);
/* On success `registration` is yours to free (see "Registrations and subscriptions"). */
typedef void (*uvwamp_register_cb)(uvwamp_client* client, uvwamp_registration* registration,
                                   const uvwamp_error* error, void* user_data);
typedef void (*uvwamp_invocation_cb)(uvwamp_client* client, uvwamp_invocation* invocation,
                                     void* user_data);
/* The router revoked a registration (see uvwamp_register_options_set_revoked_cb): no invocation
 * reaches it any more, and its handle names nothing (unregistering it fails with UVWAMP_EINVAL;
 * free it as usual). `registration` names it, borrowed; `reason` is the router's
 * ("wamp.error.unregistered"), "" when it gave none; `user_data` is the register call's. */
typedef void (*uvwamp_revoked_cb)(uvwamp_client* client, const uvwamp_registration* registration,
                                  const char* reason, void* user_data);
/* For unsubscribe and unregister. */
typedef void (*uvwamp_done_cb)(uvwamp_client* client, const uvwamp_error* error, void* user_data);

/* Makes a client on `loop` from `options` (copied). Returns 0 and stores it in *client, or
 * UVWAMP_EINVAL (a NULL argument, no URL, no realm) or UVWAMP_ENOMEM, storing nothing. The
 * client must be closed with uvwamp_client_close, and the loop run until its callback. */
int uvwamp_client_new(struct uv_loop_s* loop, const uvwamp_options* options,
                      uvwamp_client** client);

/* Ends the session and the connection for good: pending requests complete with UVWAMP_ECLOSED,
 * then `on_closed` (may be NULL) runs, after which the client is freed and must not be used;
 * the loop may then be closed once it has run out. From this call until then, every function
 * that starts a request or sets a callback refuses with UVWAMP_ECLOSED. Returns 0, UVWAMP_EINVAL
 * (NULL client) or UVWAMP_ECLOSED (a second close, whose callback never runs). */
int uvwamp_client_close(uvwamp_client* client, uvwamp_close_cb on_closed, void* user_data);

/* Runs `on_ended` (NULL to stop) each time the session ends in a way leave did not ask for.
 * Returns 0, UVWAMP_EINVAL or UVWAMP_ECLOSED. */
int uvwamp_client_set_session_ended_cb(uvwamp_client* client, uvwamp_session_ended_cb on_ended,
                                       void* user_data);
/* What a reconnecting client tells (see uvwamp_options_set_reconnect); any member may be NULL.
 * on_disconnected: the session was lost and a reconnect follows. on_reconnecting: attempt
 * `attempt` (from 1) starts in `delay` milliseconds. on_restore_failed: a registration
 * (`is_registration` 1, `uri` its procedure) or subscription (0, its topic) could not be
 * restored; its handle names nothing any more. on_rejoined: joined again, with how many
 * registrations and subscriptions came back and how many did not. on_given_up: no more attempts
 * (max_attempts ran out, or the router refused the authentication); the session-ended callback
 * follows. Everything passed is borrowed for the call. */
typedef struct uvwamp_reconnect_cbs {
  void (*on_disconnected)(uvwamp_client* client, const uvwamp_error* why, void* user_data);
  void (*on_reconnecting)(uvwamp_client* client, unsigned attempt, uint64_t delay, void* user_data);
  void (*on_restore_failed)(uvwamp_client* client, const char* uri, int is_registration,
                            const uvwamp_error* error, void* user_data);
  void (*on_rejoined)(uvwamp_client* client, const uvwamp_session_info* info, size_t restored,
                      size_t failed, void* user_data);
  void (*on_given_up)(uvwamp_client* client, const uvwamp_error* why, void* user_data);
} uvwamp_reconnect_cbs;
/* Copies `cbs` (NULL to stop them all). Returns 0, UVWAMP_EINVAL or UVWAMP_ECLOSED. */
int uvwamp_client_set_reconnect_cbs(uvwamp_client* client, const uvwamp_reconnect_cbs* cbs,
                                    void* user_data);
/* `congested` 1: the write queue passed the high-water mark (uvwamp_options_set_write_queue);
 * 0: it is empty again. */
typedef void (*uvwamp_send_pressure_cb)(uvwamp_client* client, int congested, void* user_data);
/* Runs `on_pressure` (NULL to stop) as the write queue rises past the mark and empties. Returns
 * 0, UVWAMP_EINVAL or UVWAMP_ECLOSED. */
int uvwamp_client_set_send_pressure_cb(uvwamp_client* client, uvwamp_send_pressure_cb on_pressure,
                                       void* user_data);
/* The bytes waiting to be written to the router; 0 without a connection (also for NULL). */
size_t uvwamp_client_queued_bytes(const uvwamp_client* client);
/* 1 while a session is open, else 0 (also for NULL). */
int uvwamp_client_is_joined(const uvwamp_client* client);

/* Connects and opens a session: HELLO, then WELCOME, or ABORT (UVWAMP_EWAMP with the reason as
 * the URI). */
int uvwamp_client_join(uvwamp_client* client, uvwamp_join_cb on_joined, void* user_data);
/* Says GOODBYE with `reason` (NULL for "wamp.close.close_realm"), waits for the router's, then
 * closes the connection. Pending requests complete with UVWAMP_ESESSIONENDED. */
int uvwamp_client_leave(uvwamp_client* client, const char* reason, uvwamp_leave_cb on_left,
                        void* user_data);

/* How a call is made, for uvwamp_client_call: built with setters, and copied by each call, so
 * that one may serve many calls and be freed whenever you like. Each setter returns 0,
 * UVWAMP_EINVAL for a NULL or invalid argument (the options are then unchanged), or
 * UVWAMP_ENOMEM. docs/rpc.md says which router supports which feature. */
typedef struct uvwamp_call_options uvwamp_call_options;

/* NULL when memory runs out. Defaults: the client's call timeout, no progressive results, the
 * input in one piece, the caller not disclosed, no extra options. */
uvwamp_call_options* uvwamp_call_options_new(void);
void uvwamp_call_options_free(uvwamp_call_options* options); /* NULL is allowed */
/* The longest the call may take: 0 for no limit, else 1 to INT32_MAX milliseconds. When it
 * passes, the call completes with UVWAMP_ETIMEDOUT (the URI wamp.error.timeout) and, where the
 * router supports canceling, the callee is interrupted (killnowait). With progressive results
 * the time counts from the last one. Unset: the client's (uvwamp_options_set_call_timeout). */
int uvwamp_call_options_set_timeout(uvwamp_call_options* options, uint64_t milliseconds);
/* Progressive call results: with `on_progress` set, the call asks for them (receive_progress),
 * and each one reaches `on_progress`, in order, with the call's user_data, before the call's
 * callback. NULL (the default) asks for none; a progressive result a router sends anyway is then
 * dropped. */
int uvwamp_call_options_set_progress_cb(uvwamp_call_options* options,
                                        uvwamp_progress_cb on_progress);
/* Progressive call invocation: non-zero sends the call's args and kwargs as the first chunk of
 * its input, the others to follow with uvwamp_client_call_continue. It needs a router that
 * announces progressive_call_invocations (nexus does, Crossbar does not): elsewhere the call
 * fails with UVWAMP_ENOTSUP and nothing is sent. */
int uvwamp_call_options_set_progressive_input(uvwamp_call_options* options, int progressive);
/* Caller identification: non-zero asks the router to tell the callee who calls (disclose_me). */
int uvwamp_call_options_set_disclose_me(uvwamp_call_options* options, int disclose);
/* Options for router features uvwamp has no setting for: an object (copied), sent in
 * CALL.Options as it is; the settings above win over members of the same name. */
int uvwamp_call_options_set_extra(uvwamp_call_options* options, const uvwamp_value* extra);

/* Calls `procedure`. args (array) and kwargs (object) may be NULL for empty, options NULL for
 * the defaults. `user_data` must stay valid until the call's callback. `call_id` (may be NULL)
 * receives the id that names the call for uvwamp_client_cancel and uvwamp_client_call_continue
 * until its callback runs: never 0, and never used again by this client. It receives 0 when
 * the call failed before it went out (the callback then tells why; a progressive call on a
 * router that cannot take one, say) or the function returned a negative code. */
int uvwamp_client_call(uvwamp_client* client, const char* procedure, const uvwamp_value* args,
                       const uvwamp_value* kwargs, const uvwamp_call_options* options,
                       uvwamp_call_cb on_result, void* user_data, uint64_t* call_id);

/* Cancels the call in flight that `call_id` names, with CANCEL in `mode` where the router
 * announces call_canceling:
 *  - UVWAMP_CANCEL_SKIP and UVWAMP_CANCEL_KILLNOWAIT end the call at once: its callback runs on
 *    a later turn, with UVWAMP_ECANCELED;
 *  - UVWAMP_CANCEL_KILL interrupts the callee and waits for the router, whose answer ends the
 *    call: UVWAMP_ECANCELED (the URI wamp.error.canceled), or the result or error that won the
 *    race. Crossbar answers only once the callee did: pair kill with a timeout.
 * Where the router cannot cancel, the call ends at once, with UVWAMP_ECANCELED, and the callee
 * is not told. This is no request: it acts at once, and calls nothing back itself. Returns 0;
 * UVWAMP_EINVAL for a NULL client, a mode not listed, or a call not in flight (an unknown id, a
 * call that completed or ended here already, one of an earlier session), and nothing changes;
 * UVWAMP_ECLOSED after uvwamp_client_close. */
int uvwamp_client_cancel(uvwamp_client* client, uint64_t call_id, uvwamp_cancel_mode mode);

/* Sends the next chunk of the input of a call made with
 * uvwamp_call_options_set_progressive_input: args and kwargs as for the call, `progress`
 * non-zero while more chunks follow, 0 for the last. This is no request: it acts at once.
 * Returns 0 when the chunk went to the router, or, sending nothing: UVWAMP_EINVAL for a NULL
 * client, mistyped args or kwargs, a call not in flight, one that takes no more input (it was
 * not made progressive, or its last chunk went), or a chunk that cannot be sent (a payload the
 * serializer cannot write, a message over the size limit); UVWAMP_ETRANSPORT when the
 * connection is gone; UVWAMP_ECLOSED after uvwamp_client_close; UVWAMP_ENOMEM. */
int uvwamp_client_call_continue(uvwamp_client* client, uint64_t call_id, const uvwamp_value* args,
                                const uvwamp_value* kwargs, int progress);

/* Flags of uvwamp_client_publish. */
enum {
  /* Ask the router to confirm the publication (the callback gets its id) or refuse it (the
   * callback gets the error). */
  UVWAMP_PUBLISH_ACKNOWLEDGE = 1
};
/* Publishes to `topic`; args and kwargs as for call, options (an object, may be NULL) sent as
 * PUBLISH.Options. `flags` is 0 or UVWAMP_PUBLISH_* (UVWAMP_EINVAL for any other bit). */
int uvwamp_client_publish(uvwamp_client* client, const char* topic, const uvwamp_value* args,
                          const uvwamp_value* kwargs, const uvwamp_value* options, unsigned flags,
                          uvwamp_publish_cb on_done, void* user_data);

/* Subscribes to `topic`: `on_event` (required) gets each event, `on_subscribed` the outcome,
 * both with `user_data`. options (an object, may be NULL) is sent as SUBSCRIBE.Options. Several
 * subscriptions to one topic share the router's subscription; each gets every event and is
 * unsubscribed on its own. */
int uvwamp_client_subscribe(uvwamp_client* client, const char* topic, const uvwamp_value* options,
                            uvwamp_event_cb on_event, uvwamp_subscribe_cb on_subscribed,
                            void* user_data);
/* No event reaches the subscription's callback once this returned 0. */
int uvwamp_client_unsubscribe(uvwamp_client* client, const uvwamp_subscription* subscription,
                              uvwamp_done_cb on_done, void* user_data);

/* How a procedure is registered, for uvwamp_client_register: built and copied like
 * uvwamp_call_options, with setters that return the same codes. */
typedef struct uvwamp_register_options uvwamp_register_options;

/* Pattern-based registration: which procedures the registered URI stands for. */
typedef enum uvwamp_match {
  UVWAMP_MATCH_EXACT,   /* itself alone */
  UVWAMP_MATCH_PREFIX,  /* every procedure whose URI starts with it */
  UVWAMP_MATCH_WILDCARD /* its empty components match any component: "com.example..get" */
} uvwamp_match;

/* Shared registration: whether other callees may register the same procedure, and which of them
 * a call goes to. Every callee of the procedure must ask for the same policy. */
typedef enum uvwamp_invoke {
  UVWAMP_INVOKE_SINGLE, /* this callee alone */
  UVWAMP_INVOKE_ROUNDROBIN,
  UVWAMP_INVOKE_RANDOM,
  UVWAMP_INVOKE_FIRST,
  UVWAMP_INVOKE_LAST
} uvwamp_invoke;

/* NULL when memory runs out. Defaults: UVWAMP_MATCH_EXACT, UVWAMP_INVOKE_SINGLE, no concurrency
 * limit, callers disclosed as the router decides, the router times the calls, no revocation
 * callback, no extra options. */
uvwamp_register_options* uvwamp_register_options_new(void);
void uvwamp_register_options_free(uvwamp_register_options* options); /* NULL is allowed */
int uvwamp_register_options_set_match(uvwamp_register_options* options, uvwamp_match match);
int uvwamp_register_options_set_invoke(uvwamp_register_options* options, uvwamp_invoke invoke);
/* The most invocations the router runs at once on this registration; 0 for no limit. Crossbar
 * honours it (a call beyond it fails with crossbar.error.max_concurrency_reached); nexus ignores
 * it. */
int uvwamp_register_options_set_concurrency(uvwamp_register_options* options, unsigned concurrency);
/* Caller identification: non-zero asks the router to disclose every caller to this callee
 * (disclose_caller; see uvwamp_invocation_caller). */
int uvwamp_register_options_set_disclose_caller(uvwamp_register_options* options, int disclose);
/* Non-zero: this callee, not the router, keeps each caller's timeout. The router forwards it
 * (uvwamp_invocation_timeout), and uvwamp interrupts the invocation when it passes, answering
 * wamp.error.timeout (see "Interruption"). */
int uvwamp_register_options_set_forward_timeout(uvwamp_register_options* options, int forward);
/* Registration revocation: `on_revoked` (NULL for none, the default) runs when the router
 * revokes the registration, with the register call's user_data. */
int uvwamp_register_options_set_revoked_cb(uvwamp_register_options* options,
                                           uvwamp_revoked_cb on_revoked);
/* Options for router features uvwamp has no setting for (Crossbar's force_reregister, say): an
 * object (copied), sent in REGISTER.Options as it is; the settings above win over members of the
 * same name. */
int uvwamp_register_options_set_extra(uvwamp_register_options* options, const uvwamp_value* extra);

/* Registers `procedure`: `on_invocation` (required) gets each call, `on_registered` the
 * outcome, both with `user_data`, as does the revocation callback of `options` (NULL for the
 * defaults). A session registers a procedure once per match policy: another registration of it
 * fails with UVWAMP_EINVAL, so a second callee of a shared registration needs a client of its
 * own. */
int uvwamp_client_register(uvwamp_client* client, const char* procedure,
                           const uvwamp_register_options* options,
                           uvwamp_invocation_cb on_invocation, uvwamp_register_cb on_registered,
                           void* user_data);
/* Registers `procedure` as uvwamp_client_register does, with the same callbacks, rules and codes,
 * but `on_invocation` runs on one of `pool`'s threads (see "Worker pools"): the loop goes on while
 * it works, and it learns at once when its call is interrupted. The registration holds the pool,
 * so yours may be freed whenever you like. `on_invocation` and `user_data` are used on the pool's
 * threads, and for longer than on the loop: an invocation queued before the unregister call still
 * runs after it, and a callback that runs when the session ends (the client closed, say) goes on
 * until it returns. Keep them valid until the pool is gone: once uvwamp_worker_pool_free was
 * called and the loop has run out after the close of every client that used the pool, whichever
 * let go of it last waited for its callbacks. Returns as uvwamp_client_register does, and
 * UVWAMP_EINVAL for a NULL pool. */
int uvwamp_client_register_on_pool(uvwamp_client* client, const char* procedure,
                                   const uvwamp_register_options* options, uvwamp_worker_pool* pool,
                                   uvwamp_invocation_cb on_invocation,
                                   uvwamp_register_cb on_registered, void* user_data);
/* No invocation reaches the registration's callback once this returned 0. */
int uvwamp_client_unregister(uvwamp_client* client, const uvwamp_registration* registration,
                             uvwamp_done_cb on_done, void* user_data);

/* ---------------------------------------------------------------------------------------------
 * Authentication
 *
 * What HELLO says about who the client is (authid, authrole, authextra) and the methods it
 * offers to prove it: anonymous, ticket, wampcra, scram and cryptosign, in the order they were
 * added to the options. The router picks one and challenges it; with no method added HELLO
 * offers none and the router decides (anonymous, or by the transport). Each setter returns 0,
 * UVWAMP_EINVAL for a NULL or invalid argument (the options are then unchanged) or
 * UVWAMP_ENOMEM. uvwamp_session_info_authid and its siblings tell what the router made of it.
 *
 * A failed authentication fails the join: with UVWAMP_EWAMP when the router refused (its ABORT
 * reason as the URI, such as "wamp.error.not_authorized"), or with UVWAMP_EAUTH
 * ("wamp.error.authentication_failed") when this client could not answer: a secret callback
 * failed, a challenge it cannot answer, a router that failed to prove itself (scram).
 *
 * Secrets (tickets, wampcra secrets, scram passwords, key passphrases and seeds) are bytes with a
 * length and may hold any byte. Every function that takes one copies it at once into memory that
 * uvwamp wipes when it is done with it, so wipe your copy whenever you like after the call.
 * Secrets never appear in an error message. Give a secret to a method either at once, or through
 * a uvwamp_secret_cb that is asked for it each time the router challenges that method.
 */

/* uvwamp_options_set_authid and _set_authrole copy a NUL-terminated string; "" (the default)
 * sends none. uvwamp_options_set_authextra copies an object (UVWAMP_EINVAL for anything else),
 * sent as HELLO.Details.authextra together with what the methods add to it (a scram nonce, a
 * cryptosign public key), which wins over a member of the same name. */
int uvwamp_options_set_authid(uvwamp_options* options, const char* authid);
int uvwamp_options_set_authrole(uvwamp_options* options, const char* authrole);
int uvwamp_options_set_authextra(uvwamp_options* options, const uvwamp_value* authextra);

/* One request for a secret, handed to a uvwamp_secret_cb. */
typedef struct uvwamp_secret_reply uvwamp_secret_reply;

/* Asked for the secret of a method when the router challenges it, on the loop's thread, during a
 * join of `client`; `user_data` is the one given with the method. Answer `reply` exactly once,
 * with uvwamp_secret_reply_give or uvwamp_secret_reply_fail, before the callback returns or
 * later, on the loop's thread (from a timer, after asking a person or a vault): the join waits
 * for the answer. The answer frees the reply. A reply never answered is freed with its client,
 * after the client's close callback returned; until then the join waits (close completes it
 * with UVWAMP_ECLOSED, and a router may give up and abort it first). A reply may still be
 * answered after its join ended for another reason (the router gave up, the connection was lost,
 * a leave): the answer is then dropped. `user_data` must stay valid until the close callback of
 * every client made from the options. */
typedef void (*uvwamp_secret_cb)(uvwamp_client* client, uvwamp_secret_reply* reply,
                                 void* user_data);
/* Answers with the `len` bytes at `secret` (copied). Returns 0: the reply is answered and freed.
 * On UVWAMP_EINVAL (a NULL reply, or a NULL secret with len > 0) or UVWAMP_ENOMEM the reply is
 * left unanswered, still to be answered. */
int uvwamp_secret_reply_give(uvwamp_secret_reply* reply, const void* secret, size_t len);
/* Answers that there is no secret: the join fails with UVWAMP_EAUTH, and `why` (NUL-terminated,
 * copied; NULL for a sentence of uvwamp's) becomes its message, so it must not hold the secret.
 * Returns as uvwamp_secret_reply_give does. */
int uvwamp_secret_reply_fail(uvwamp_secret_reply* reply, const char* why);

/* "anonymous", offered explicitly: as a fallback after other methods, say. */
int uvwamp_options_add_auth_anonymous(uvwamp_options* options);
/* "ticket": the ticket is sent as it is, so use it over TLS. */
int uvwamp_options_add_auth_ticket(uvwamp_options* options, const void* ticket, size_t len);
int uvwamp_options_add_auth_ticket_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                      void* user_data);
/* "wampcra": an HMAC-SHA256 of the router's challenge, keyed with the secret, or with a key
 * derived from it (PBKDF2) when the router names a salt. */
int uvwamp_options_add_auth_wampcra(uvwamp_options* options, const void* secret, size_t len);
int uvwamp_options_add_auth_wampcra_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                       void* user_data);
/* "scram", SCRAM-SHA-256 as Crossbar.io and autobahn-python speak it, with the router's KDF
 * (argon2id or pbkdf2); the router's proof in WELCOME is checked. The key derivation runs off
 * the loop. */
int uvwamp_options_add_auth_scram(uvwamp_options* options, const void* password, size_t len);
int uvwamp_options_add_auth_scram_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                     void* user_data);
/* "wamp-scram", SCRAM in the spec's dialect (see docs/auth-scram.md for how it differs);
 * Crossbar.io refuses a HELLO that offers it. */
int uvwamp_options_add_auth_wamp_scram(uvwamp_options* options, const void* password, size_t len);
int uvwamp_options_add_auth_wamp_scram_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                          void* user_data);

/* An Ed25519 private key for "cryptosign". Keys are plain data: they may be loaded and used on
 * any thread, one thread per key at a time. */
typedef struct uvwamp_signing_key uvwamp_signing_key;

enum {
  UVWAMP_SIGNING_KEY_SEED_SIZE = 32, /* bytes of an Ed25519 seed (the private key) */
  UVWAMP_PUBLIC_KEY_HEX_SIZE = 65    /* 64 hex digits and a NUL */
};

/* Reads and parses the key file at `path`: an OpenSSH private key (from ssh-keygen -t ed25519),
 * a PuTTY .ppk file or PKCS#8 in PEM or DER, each unencrypted or encrypted, or the 32-byte seed
 * as 64 hex digits or base64. `passphrase` (`passphrase_len` bytes; NULL with 0 for none)
 * decrypts an encrypted key. It reads the file before returning: load keys before the loop
 * runs, or off its thread. Returns 0 and stores the key in *key, yours to free with
 * uvwamp_signing_key_free; or, storing nothing, UVWAMP_EINVAL (a NULL path or key, a NULL
 * passphrase with passphrase_len > 0), UVWAMP_ENOMEM, or UVWAMP_EKEY: the file cannot be read,
 * is in no format above, is damaged, holds another type of key, or needs a passphrase that is
 * missing or wrong. On failure a sentence saying why (naming the file, never the passphrase)
 * goes into `message` as snprintf would write it: at most message_size - 1 bytes and a NUL
 * (`message` may be NULL when message_size is 0). */
int uvwamp_signing_key_load(const char* path, const void* passphrase, size_t passphrase_len,
                            uvwamp_signing_key** key, char* message, size_t message_size);
/* The key of a seed of UVWAMP_SIGNING_KEY_SEED_SIZE bytes (copied). Returns 0 and stores it in
 * *key, or UVWAMP_EINVAL (NULL) or UVWAMP_ENOMEM, storing nothing. */
int uvwamp_signing_key_from_seed(const uint8_t* seed, uvwamp_signing_key** key);
/* Wipes the key and frees it. NULL is allowed. */
void uvwamp_signing_key_free(uvwamp_signing_key* key);
/* Writes the public key as 64 lower-case hex digits and a NUL into `hex`, which must have room
 * for UVWAMP_PUBLIC_KEY_HEX_SIZE bytes: what a Crossbar principal's "authorized_keys" lists.
 * Returns 0 or UVWAMP_EINVAL (NULL). */
int uvwamp_signing_key_public_key_hex(const uvwamp_signing_key* key, char* hex);

/* Flags of uvwamp_options_add_auth_cryptosign. */
enum {
  /* Sign the challenge combined with the TLS channel's tls-unique id, so that the signature is
   * worthless on any other connection: the join then fails with UVWAMP_EAUTH on a URL without
   * TLS. */
  UVWAMP_CRYPTOSIGN_CHANNEL_BINDING = 1
};
/* "cryptosign": an Ed25519 signature of the router's challenge with `key`, which is copied (free
 * it whenever you like after the call). `flags` is 0 or UVWAMP_CRYPTOSIGN_* (UVWAMP_EINVAL for
 * any other bit). */
int uvwamp_options_add_auth_cryptosign(uvwamp_options* options, const uvwamp_signing_key* key,
                                       unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* UVWAMP_H */
