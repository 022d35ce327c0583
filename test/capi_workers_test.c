/* The C API's worker pools against a real router, from C: run it under test/fixture/routerctl.py,
 * which starts the router and passes UVWAMP_WS_URL, UVWAMP_RS_URL and UVWAMP_REALM.
 *
 * Two clients on one loop: a callee on WebSocket with JSON, whose procedures run on two pools (of
 * two threads and of one) and one on the loop, and a caller on RawSocket with MessagePack. Phase
 * by phase: calls refused at once; a worker's callback runs off the loop's thread and its answer
 * reaches the caller (answered on the worker, taken and answered later on the loop's thread, taken
 * and freed by its interrupt callback, left unanswered); with every worker of a pool blocked in
 * uvwamp_invocation_wait_for_interrupt the loop still answers a call, and a kill reaches each
 * blocked worker at once, its interrupt callback on the loop's thread; an invocation queued behind
 * a busy one-thread pool and canceled never runs; the pools freed while their registrations live,
 * and a client closed with a busy worker, which the close interrupts.
 *
 * The workers only record what they see, under `shared.mutex`, and signal `shared.cond`; the
 * loop's thread checks it. It waits for a condition by running the loop without blocking and
 * waiting on the condition variable for a few milliseconds at a time, so that neither the loop
 * nor the workers are ever stood in for by a sleep. The loop must close cleanly at the end. */
/* uv.h and pthread_cond_timedwait need POSIX's types and functions, which strict C99 does not
 * declare without this. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <uv.h>
#include <uvwamp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capi_check.h"

static uv_loop_t loop;
static pthread_t loop_thread;

/* Set while a function of the API runs on the loop's thread: a loop callback that sees it set ran
 * inside the call. */
static int in_api;
static int api_rc;
#define API(call) (in_api = 1, api_rc = (call), in_api = 0, api_rc)
#define CHECK_NOT_IN_API() CHECK(!in_api)

/* What the workers and the interrupt callbacks saw. Every field is guarded by `mutex`; each change
 * signals `cond`. */
static struct {
  pthread_mutex_t mutex;
  pthread_cond_t cond;

  int callbacks_on_loop; /* worker callbacks that ran on the loop's thread: must stay 0 */
  int refusals_wrong;    /* calls a worker expected refused, and were not */

  /* where */
  int where_runs;
  uint64_t where_registration;
  char where_procedure[64];

  /* later and parked: taken and handed to the loop's thread */
  uvwamp_invocation* later;
  uvwamp_invocation* parked;
  int parked_freed; /* by its interrupt callback */

  /* block: waits for its interruption */
  int block_started;
  int block_woken;    /* wait_for_interrupt returned 1 */
  int block_unwoken;  /* it returned something else */
  int block_returned; /* callbacks that returned */
  int late_refused;   /* yield after the interruption returned UVWAMP_EALREADY */
  int block_interrupts;
  int interrupts_off_loop; /* interrupt callbacks that ran elsewhere than the loop's thread */
  int interrupt_mode;
  char interrupt_reason[64];

  /* queued: on the one-thread pool */
  int queued_runs;
  int64_t queued_first_arg;
  int queued_returned;
} shared; /* main() initializes the mutex and the condition variable */

static void lock(void) {
  pthread_mutex_lock(&shared.mutex);
}

static void unlock_and_signal(void) {
  pthread_cond_broadcast(&shared.cond);
  pthread_mutex_unlock(&shared.mutex);
}

static void count_if_on_loop(void) {
  if (pthread_equal(pthread_self(), loop_thread)) ++shared.callbacks_on_loop;
}

/* Runs the loop until `done` (called with shared.mutex held) returns non-zero, failing the test
 * after `seconds`. Between turns of the loop it waits on shared.cond, briefly: the workers signal
 * it, the loop's own callbacks come from uv_run. */
static int wait_until(int (*done)(void), const char* what, unsigned seconds) {
  struct timespec deadline, until;
  int reached;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += (time_t)seconds;
  for (;;) {
    uv_run(&loop, UV_RUN_NOWAIT);
    lock();
    reached = done();
    if (!reached) {
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += 5 * 1000 * 1000;
      if (until.tv_nsec >= 1000 * 1000 * 1000) {
        until.tv_nsec -= 1000 * 1000 * 1000;
        ++until.tv_sec;
      }
      pthread_cond_timedwait(&shared.cond, &shared.mutex, &until);
      reached = done();
    }
    pthread_mutex_unlock(&shared.mutex);
    if (reached) return 1;
    clock_gettime(CLOCK_REALTIME, &until);
    if (until.tv_sec > deadline.tv_sec ||
        (until.tv_sec == deadline.tv_sec && until.tv_nsec > deadline.tv_nsec)) {
      fprintf(stderr, "timed out waiting for: %s\n", what);
      ++failures;
      return 0;
    }
  }
}

/* An array of one int64. */
static uvwamp_value* int1(int64_t i) {
  uvwamp_value* array = uvwamp_value_new_array();
  uvwamp_value_array_append(array, uvwamp_value_new_int64(i));
  return array;
}

static int64_t int_at(const uvwamp_value* array, size_t index) {
  int64_t i = -999;
  if (uvwamp_value_get_int64(uvwamp_value_array_get(array, index), &i) != 0) return -999;
  return i;
}

static const char* ws_url;
static const char* rs_url;
static const char* realm;

/* ---------------------------------------------------------------------------------------------
 * Outcomes of requests, on the loop's thread.
 */
struct outcome {
  int done;
  int code; /* 0 or the error's code */
  char uri[128];
  int64_t result; /* the result's first argument, -999 for none */
  uint64_t id;    /* registration or session id */
  void* handle;   /* uvwamp_registration* */
};

static void record_error(struct outcome* out, const uvwamp_error* error) {
  out->done = 1;
  out->code = error == NULL ? 0 : uvwamp_error_code(error);
  if (error != NULL) snprintf(out->uri, sizeof out->uri, "%s", uvwamp_error_uri(error));
}

static void on_call(uvwamp_client* client, const uvwamp_call_result* result,
                    const uvwamp_error* error, void* user_data) {
  struct outcome* out = (struct outcome*)user_data;
  (void)client;
  CHECK_NOT_IN_API();
  CHECK(pthread_equal(pthread_self(), loop_thread));
  CHECK(!out->done);
  CHECK((result == NULL) != (error == NULL));
  record_error(out, error);
  out->result = result != NULL ? int_at(uvwamp_call_result_args(result), 0) : -999;
}

static void on_joined(uvwamp_client* client, const uvwamp_session_info* info,
                      const uvwamp_error* error, void* user_data) {
  struct outcome* out = (struct outcome*)user_data;
  (void)client;
  CHECK_NOT_IN_API();
  record_error(out, error);
  if (info != NULL) out->id = uvwamp_session_info_id(info);
}

static void on_registered(uvwamp_client* client, uvwamp_registration* registration,
                          const uvwamp_error* error, void* user_data) {
  struct outcome* out = (struct outcome*)user_data;
  (void)client;
  CHECK_NOT_IN_API();
  CHECK(pthread_equal(pthread_self(), loop_thread));
  record_error(out, error);
  if (registration != NULL) {
    out->id = uvwamp_registration_id(registration);
    out->handle = registration;
  }
}

struct closing {
  int closed;
};

static void on_closed(uvwamp_client* client, void* user_data) {
  struct closing* c = (struct closing*)user_data;
  (void)client;
  CHECK_NOT_IN_API();
  CHECK(!c->closed);
  c->closed = 1;
}

/* The predicates wait_until takes read these outcomes; they only change on the loop's thread,
 * which is the one that waits. */
static const struct outcome* awaited;
static const int* awaited_flag;
static int outcome_done(void) {
  return awaited->done;
}
static int flag_set(void) {
  return *awaited_flag;
}
static void wait_for_outcome(const struct outcome* out, const char* what) {
  awaited = out;
  wait_until(outcome_done, what, 20);
}
static void wait_for_flag(const int* flag, const char* what) {
  awaited_flag = flag;
  wait_until(flag_set, what, 20);
}

/* ---------------------------------------------------------------------------------------------
 * The procedures. Those on a pool run on its threads and only record, under shared.mutex.
 */

static struct outcome where_registered, later_registered, parked_registered, ignore_registered,
    block_registered, queued_registered, after_registered, ping_registered;

/* where(n) -> [2n], answered on the worker. */
static void where_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  const int64_t n = int_at(uvwamp_invocation_args(invocation), 0);
  uvwamp_value* result = int1(2 * n);
  int wrong = 0;
  (void)client;
  (void)user_data;
  /* Not interrupted: the wait is over at once. Progressive results were not asked for, and a
   * pool invocation takes no further input. */
  wrong += uvwamp_invocation_wait_for_interrupt(invocation, 0) != 0;
  wrong += uvwamp_invocation_progress(invocation, NULL, NULL) != UVWAMP_EINVAL;
  wrong += uvwamp_invocation_on_input(invocation, NULL, NULL) != UVWAMP_EINVAL;
  wrong += uvwamp_invocation_answered(invocation) != 0;
  wrong += uvwamp_invocation_yield(invocation, result, NULL) != 0;
  wrong += uvwamp_invocation_answered(invocation) != 1;
  wrong += uvwamp_invocation_yield(invocation, result, NULL) != UVWAMP_EALREADY;
  wrong +=
      uvwamp_invocation_error(invocation, "com.capi.error.late", NULL, NULL) != UVWAMP_EALREADY;
  uvwamp_value_free(result);
  lock();
  count_if_on_loop();
  ++shared.where_runs;
  shared.refusals_wrong += wrong;
  shared.where_registration = uvwamp_invocation_registration_id(invocation);
  snprintf(shared.where_procedure, sizeof shared.where_procedure, "%s",
           uvwamp_invocation_procedure(invocation));
  unlock_and_signal();
}

/* later(n): taken and handed to the loop's thread, which answers [n + 1]. */
static void later_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  int taken;
  (void)client;
  (void)user_data;
  taken = uvwamp_invocation_take(invocation);
  lock();
  count_if_on_loop();
  shared.refusals_wrong += taken != 0;
  shared.later = invocation;
  unlock_and_signal();
}

/* parked(): taken and put aside, until its interrupt callback frees it on the loop's thread. */
static void on_parked_interrupt(uvwamp_invocation* invocation, uvwamp_cancel_mode mode,
                                const char* reason, void* user_data) {
  (void)mode;
  (void)reason;
  (void)user_data;
  CHECK(pthread_equal(pthread_self(), loop_thread));
  CHECK_INT(uvwamp_invocation_interrupted(invocation), 1);
  CHECK_INT(uvwamp_invocation_answered(invocation), 1);
  lock();
  CHECK(shared.parked == invocation);
  shared.parked = NULL;
  shared.parked_freed = 1;
  pthread_mutex_unlock(&shared.mutex);
  uvwamp_invocation_free(invocation);
}

static void parked_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  int wrong = 0;
  (void)client;
  (void)user_data;
  wrong += uvwamp_invocation_take(invocation) != 0;
  wrong += uvwamp_invocation_on_interrupt(invocation, on_parked_interrupt, NULL) != 0;
  /* Put aside: the loop's thread cancels the call once it sees it here, and from then on the
   * interrupt callback may free it, so this callback leaves it alone. */
  lock();
  count_if_on_loop();
  shared.refusals_wrong += wrong;
  shared.parked = invocation;
  unlock_and_signal();
}

/* ignore(): returns without answering or taking its invocation. */
static void ignore_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  (void)client;
  (void)invocation;
  (void)user_data;
  lock();
  count_if_on_loop();
  unlock_and_signal();
}

/* block(): waits for its interruption, then tries to answer, too late. Its interrupt callback runs
 * on the loop's thread and may come after the wait woke; it does not run once the invocation is
 * freed, so the callback keeps the invocation until it ran (for at most 10 s). */
struct block_call {
  int interrupted; /* guarded by shared.mutex */
};

static void on_block_interrupt(uvwamp_invocation* invocation, uvwamp_cancel_mode mode,
                               const char* reason, void* user_data) {
  struct block_call* call = (struct block_call*)user_data;
  const int answered = uvwamp_invocation_answered(invocation);
  lock();
  if (!pthread_equal(pthread_self(), loop_thread)) ++shared.interrupts_off_loop;
  shared.refusals_wrong += answered != 1;
  ++shared.block_interrupts;
  shared.interrupt_mode = (int)mode;
  snprintf(shared.interrupt_reason, sizeof shared.interrupt_reason, "%s", reason);
  call->interrupted = 1;
  unlock_and_signal();
}

static void block_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  struct block_call call = {0};
  struct timespec deadline;
  int set, woken, late;
  (void)client;
  (void)user_data;
  set = uvwamp_invocation_on_interrupt(invocation, on_block_interrupt, &call);
  lock();
  count_if_on_loop();
  shared.refusals_wrong += set != 0;
  ++shared.block_started;
  unlock_and_signal();
  woken = uvwamp_invocation_wait_for_interrupt(invocation, 30000);
  late = uvwamp_invocation_yield(invocation, NULL, NULL);
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  lock();
  while (!call.interrupted) {
    if (pthread_cond_timedwait(&shared.cond, &shared.mutex, &deadline) != 0) break;
  }
  if (woken == 1 && call.interrupted) {
    ++shared.block_woken;
  } else {
    ++shared.block_unwoken;
  }
  if (late == UVWAMP_EALREADY) ++shared.late_refused;
  ++shared.block_returned;
  unlock_and_signal();
}

/* queued(n), on the one-thread pool: records n and waits for its interruption. */
static void queued_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  const int64_t n = int_at(uvwamp_invocation_args(invocation), 0);
  (void)client;
  (void)user_data;
  lock();
  count_if_on_loop();
  if (++shared.queued_runs == 1) shared.queued_first_arg = n;
  unlock_and_signal();
  uvwamp_invocation_wait_for_interrupt(invocation, 30000);
  lock();
  ++shared.queued_returned;
  unlock_and_signal();
}

/* after(), on the one-thread pool: [queued runs so far]. */
static void after_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  int runs;
  uvwamp_value* result;
  (void)client;
  (void)user_data;
  lock();
  count_if_on_loop();
  runs = shared.queued_runs;
  pthread_mutex_unlock(&shared.mutex);
  result = int1(runs);
  uvwamp_invocation_yield(invocation, result, NULL);
  uvwamp_value_free(result);
}

/* ping() -> [1], on the loop. */
static void ping_handler(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  uvwamp_value* result = int1(1);
  (void)client;
  (void)user_data;
  CHECK_NOT_IN_API();
  CHECK(pthread_equal(pthread_self(), loop_thread));
  /* Waiting on the loop's thread would block what interrupts the wait. */
  CHECK_INT(uvwamp_invocation_wait_for_interrupt(invocation, 0), UVWAMP_EINVAL);
  CHECK_INT(API(uvwamp_invocation_yield(invocation, result, NULL)), 0);
  uvwamp_value_free(result);
}

/* ---------------------------------------------------------------------------------------------
 * Phases.
 */

static uvwamp_client* callee;
static uvwamp_client* caller;
static uvwamp_worker_pool* pool2; /* two threads */
static uvwamp_worker_pool* pool1; /* one thread */

static uvwamp_client* make_client(const char* url, const char* serializer) {
  uvwamp_options* options = uvwamp_options_new();
  uvwamp_client* client = NULL;
  const char* names[1];
  names[0] = serializer;
  CHECK_INT(uvwamp_options_add_url(options, url), 0);
  CHECK_INT(uvwamp_options_set_realm(options, realm), 0);
  CHECK_INT(uvwamp_options_set_serializers(options, names, 1), 0);
  CHECK_INT(uvwamp_options_set_connect_timeout(options, 5000), 0);
  CHECK_INT(uvwamp_client_new(&loop, options, &client), 0);
  uvwamp_options_free(options);
  return client;
}

static void call(const char* procedure, int64_t n, struct outcome* out, uint64_t* call_id) {
  uvwamp_value* args = int1(n);
  memset(out, 0, sizeof *out);
  CHECK_INT(API(uvwamp_client_call(caller, procedure, args, NULL, NULL, on_call, out, call_id)), 0);
  uvwamp_value_free(args);
}

static void test_refused(void) {
  uvwamp_worker_pool* pool = NULL;
  uvwamp_client* unjoined;

  CHECK_INT(uvwamp_worker_pool_new(0, &pool), UVWAMP_EINVAL);
  CHECK(pool == NULL);
  CHECK_INT(uvwamp_worker_pool_new(1, NULL), UVWAMP_EINVAL);
  uvwamp_worker_pool_free(NULL);
  CHECK_INT(uvwamp_invocation_wait_for_interrupt(NULL, 0), UVWAMP_EINVAL);

  CHECK_INT(uvwamp_worker_pool_new(2, &pool2), 0);
  CHECK_INT(uvwamp_worker_pool_new(1, &pool1), 0);
  unjoined = make_client(ws_url, "json");
  CHECK_INT(API(uvwamp_client_register_on_pool(NULL, "com.capi.worker.x", NULL, pool2,
                                               where_handler, NULL, NULL)),
            UVWAMP_EINVAL);
  CHECK_INT(API(uvwamp_client_register_on_pool(unjoined, "com.capi.worker.x", NULL, NULL,
                                               where_handler, NULL, NULL)),
            UVWAMP_EINVAL);
  CHECK_INT(
      API(uvwamp_client_register_on_pool(unjoined, NULL, NULL, pool2, where_handler, NULL, NULL)),
      UVWAMP_EINVAL);
  CHECK_INT(API(uvwamp_client_register_on_pool(unjoined, "com.capi.worker.x", NULL, pool2, NULL,
                                               NULL, NULL)),
            UVWAMP_EINVAL);
  CHECK_INT(API(uvwamp_client_close(unjoined, NULL, NULL)), 0);
  /* Closed: refused as every request is, before the pool is looked at. */
  CHECK_INT(API(uvwamp_client_register_on_pool(unjoined, "com.capi.worker.x", NULL, NULL,
                                               where_handler, NULL, NULL)),
            UVWAMP_ECLOSED);
  uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_join_and_register(void) {
  struct outcome callee_joined, caller_joined;
  struct {
    const char* name;
    uvwamp_worker_pool* pool; /* two threads, one, or NULL: on the loop */
    uvwamp_invocation_cb handler;
    struct outcome* registered;
  } procedures[] = {
      {"com.capi.worker.where", pool2, where_handler, &where_registered},
      {"com.capi.worker.later", pool2, later_handler, &later_registered},
      {"com.capi.worker.parked", pool2, parked_handler, &parked_registered},
      {"com.capi.worker.ignore", pool2, ignore_handler, &ignore_registered},
      {"com.capi.worker.block", pool2, block_handler, &block_registered},
      {"com.capi.worker.queued", pool1, queued_handler, &queued_registered},
      {"com.capi.worker.after", pool1, after_handler, &after_registered},
      {"com.capi.worker.ping", NULL, ping_handler, &ping_registered},
  };
  size_t j;

  memset(&callee_joined, 0, sizeof callee_joined);
  memset(&caller_joined, 0, sizeof caller_joined);
  callee = make_client(ws_url, "json");
  caller = make_client(rs_url, "msgpack");
  CHECK_INT(API(uvwamp_client_join(callee, on_joined, &callee_joined)), 0);
  CHECK_INT(API(uvwamp_client_join(caller, on_joined, &caller_joined)), 0);
  wait_for_outcome(&callee_joined, "the callee to join");
  wait_for_outcome(&caller_joined, "the caller to join");
  CHECK_INT(callee_joined.code, 0);
  CHECK_INT(caller_joined.code, 0);

  for (j = 0; j < sizeof procedures / sizeof procedures[0]; ++j) {
    if (procedures[j].pool != NULL) {
      CHECK_INT(API(uvwamp_client_register_on_pool(callee, procedures[j].name, NULL,
                                                   procedures[j].pool, procedures[j].handler,
                                                   on_registered, procedures[j].registered)),
                0);
    } else {
      CHECK_INT(API(uvwamp_client_register(callee, procedures[j].name, NULL, procedures[j].handler,
                                           on_registered, procedures[j].registered)),
                0);
    }
  }
  for (j = 0; j < sizeof procedures / sizeof procedures[0]; ++j) {
    wait_for_outcome(procedures[j].registered, procedures[j].name);
    CHECK_INT(procedures[j].registered->code, 0);
  }
}

static int later_arrived(void) {
  return shared.later != NULL;
}
static int parked_arrived(void) {
  return shared.parked != NULL;
}

/* A worker's callback runs off the loop's thread, and what it answers, there or later on another
 * thread, reaches the caller. */
static void test_answers(void) {
  struct outcome where, later, parked, ignored;
  uvwamp_invocation* invocation;
  uvwamp_value* result;
  uint64_t call_id = 0;

  call("com.capi.worker.where", 21, &where, NULL);
  wait_for_outcome(&where, "the worker's answer");
  CHECK_INT(where.code, 0);
  CHECK_INT(where.result, 42);
  lock();
  CHECK_INT(shared.where_runs, 1);
  CHECK_INT(shared.where_registration, where_registered.id);
  CHECK_STR(shared.where_procedure, "com.capi.worker.where");
  pthread_mutex_unlock(&shared.mutex);

  /* Taken on the worker, answered on the loop's thread. */
  call("com.capi.worker.later", 6, &later, NULL);
  wait_until(later_arrived, "the worker to hand the invocation over", 20);
  lock();
  invocation = shared.later;
  shared.later = NULL;
  pthread_mutex_unlock(&shared.mutex);
  CHECK_INT(uvwamp_invocation_wait_for_interrupt(invocation, 0), 0);
  result = int1(int_at(uvwamp_invocation_args(invocation), 0) + 1);
  CHECK_INT(API(uvwamp_invocation_yield(invocation, result, NULL)), 0);
  CHECK_INT(uvwamp_invocation_answered(invocation), 1);
  uvwamp_value_free(result);
  uvwamp_invocation_free(invocation);
  wait_for_outcome(&later, "the answer given on the loop's thread");
  CHECK_INT(later.code, 0);
  CHECK_INT(later.result, 7);

  /* Taken and put aside; its interrupt callback frees it on the loop's thread, and the caller
   * learns that its call was canceled. */
  call("com.capi.worker.parked", 0, &parked, &call_id);
  wait_until(parked_arrived, "the worker to put the invocation aside", 20);
  CHECK_INT(API(uvwamp_client_cancel(caller, call_id, UVWAMP_CANCEL_KILL)), 0);
  wait_for_outcome(&parked, "the call whose invocation was put aside");
  CHECK_INT(parked.code, UVWAMP_ECANCELED);
  CHECK_STR(parked.uri, "wamp.error.canceled");
  wait_for_flag(&shared.parked_freed, "the interrupt callback to free the invocation");

  /* Left unanswered and not taken, as on the loop. */
  call("com.capi.worker.ignore", 0, &ignored, NULL);
  wait_for_outcome(&ignored, "the ignored invocation's answer");
  CHECK_INT(ignored.code, UVWAMP_EWAMP);
  CHECK_STR(ignored.uri, "wamp.error.runtime_error");
}

static int blocks_started_2(void) {
  return shared.block_started == 2;
}
static int blocks_returned_2(void) {
  return shared.block_returned == 2 && shared.block_interrupts == 2;
}

/* With both threads of the pool blocked, the loop still answers; a kill reaches each blocked
 * worker at once. */
static void test_blocked_pool(void) {
  struct outcome first, second, pong;
  uint64_t first_id = 0, second_id = 0;

  call("com.capi.worker.block", 1, &first, &first_id);
  call("com.capi.worker.block", 2, &second, &second_id);
  wait_until(blocks_started_2, "both workers to block", 20);
  call("com.capi.worker.ping", 0, &pong, NULL);
  wait_for_outcome(&pong, "the loop's procedure while the workers block");
  CHECK_INT(pong.code, 0);
  CHECK_INT(pong.result, 1);
  CHECK(!first.done && !second.done);
  lock();
  CHECK_INT(shared.block_returned, 0);
  CHECK_INT(shared.block_interrupts, 0);
  pthread_mutex_unlock(&shared.mutex);

  /* kill: the callee's session answers canceled at once (Crossbar passes that on only once the
   * callee answered), and the worker wakes with 1. */
  CHECK_INT(API(uvwamp_client_cancel(caller, first_id, UVWAMP_CANCEL_KILL)), 0);
  CHECK_INT(API(uvwamp_client_cancel(caller, second_id, UVWAMP_CANCEL_KILL)), 0);
  wait_for_outcome(&first, "the first killed call");
  wait_for_outcome(&second, "the second killed call");
  CHECK_INT(first.code, UVWAMP_ECANCELED);
  CHECK_STR(first.uri, "wamp.error.canceled");
  CHECK_INT(second.code, UVWAMP_ECANCELED);
  CHECK_STR(second.uri, "wamp.error.canceled");
  wait_until(blocks_returned_2, "both workers to wake", 20);
  lock();
  CHECK_INT(shared.block_woken, 2);
  CHECK_INT(shared.block_unwoken, 0);
  CHECK_INT(shared.late_refused, 2);
  CHECK_INT(shared.interrupts_off_loop, 0);
  CHECK_INT(shared.interrupt_mode, UVWAMP_CANCEL_KILL);
  pthread_mutex_unlock(&shared.mutex);
}

static int queued_first_ran(void) {
  return shared.queued_runs == 1;
}
static int queued_first_returned(void) {
  return shared.queued_returned == 1;
}

/* A call queued behind a busy one-thread pool, canceled before it started, never runs. */
static void test_queued_cancel(void) {
  struct outcome running, queued, probe, after;
  uint64_t running_id = 0, queued_id = 0;

  call("com.capi.worker.queued", 1, &running, &running_id);
  wait_until(queued_first_ran, "the pool's one thread to take the first call", 20);
  call("com.capi.worker.queued", 2, &queued, &queued_id);
  /* The router forwards invocations to the callee in the order of the calls: once the probe's
   * answer is back, the second invocation waits in the pool's queue. */
  call("com.capi.worker.ping", 0, &probe, NULL);
  wait_for_outcome(&probe, "the probe behind the queued call");
  CHECK(!queued.done);

  CHECK_INT(API(uvwamp_client_cancel(caller, queued_id, UVWAMP_CANCEL_KILL)), 0);
  wait_for_outcome(&queued, "the queued call, canceled");
  CHECK_INT(queued.code, UVWAMP_ECANCELED);
  CHECK_STR(queued.uri, "wamp.error.canceled");
  CHECK(!running.done);

  CHECK_INT(API(uvwamp_client_cancel(caller, running_id, UVWAMP_CANCEL_KILL)), 0);
  wait_for_outcome(&running, "the running call, canceled");
  CHECK_INT(running.code, UVWAMP_ECANCELED);
  wait_until(queued_first_returned, "the pool's one thread to come free", 20);
  /* Queued after both: had the canceled one been left to run, it would have run first. */
  call("com.capi.worker.after", 0, &after, NULL);
  wait_for_outcome(&after, "the call after the canceled one");
  CHECK_INT(after.code, 0);
  CHECK_INT(after.result, 1);
  lock();
  CHECK_INT(shared.queued_runs, 1);
  CHECK_INT(shared.queued_first_arg, 1);
  pthread_mutex_unlock(&shared.mutex);
}

static int third_block_started(void) {
  return shared.block_started == 3;
}
static int third_block_returned(void) {
  return shared.block_returned == 3 && shared.block_interrupts == 3;
}

/* The pools go before the clients; the registrations keep them. Closing the callee with a busy
 * worker interrupts it, as the end of its session. */
static void test_close_with_busy_worker(void) {
  struct outcome blocked;
  struct closing callee_closing = {0}, caller_closing = {0};

  uvwamp_worker_pool_free(pool2);
  uvwamp_worker_pool_free(pool1);
  pool2 = NULL;
  pool1 = NULL;
  call("com.capi.worker.block", 3, &blocked, NULL);
  wait_until(third_block_started, "a worker of the freed pool to block", 20);

  CHECK_INT(API(uvwamp_client_close(callee, on_closed, &callee_closing)), 0);
  wait_until(third_block_returned, "the close to wake the worker", 20);
  lock();
  CHECK_INT(shared.block_woken, 3);
  CHECK_INT(shared.block_unwoken, 0);
  CHECK_INT(shared.late_refused, 3);
  CHECK_INT(shared.interrupts_off_loop, 0);
  CHECK_INT(shared.interrupt_mode, UVWAMP_CANCEL_KILLNOWAIT);
  CHECK_STR(shared.interrupt_reason, "uvwamp.error.closed");
  pthread_mutex_unlock(&shared.mutex);
  wait_for_flag(&callee_closing.closed, "the callee to close");

  /* The caller's call ends one way or another: the router's error, or the close. */
  CHECK_INT(API(uvwamp_client_close(caller, on_closed, &caller_closing)), 0);
  wait_for_flag(&caller_closing.closed, "the caller to close");
  CHECK(blocked.done && blocked.code != 0);
}

static void free_handles(void) {
  struct outcome* registered[8];
  size_t j;
  registered[0] = &where_registered;
  registered[1] = &later_registered;
  registered[2] = &parked_registered;
  registered[3] = &ignore_registered;
  registered[4] = &block_registered;
  registered[5] = &queued_registered;
  registered[6] = &after_registered;
  registered[7] = &ping_registered;
  for (j = 0; j < 8; ++j)
    uvwamp_registration_free((uvwamp_registration*)registered[j]->handle);
}

static void on_watchdog(uv_timer_t* timer) {
  (void)timer;
  fprintf(stderr, "capi_workers_test: the whole test took longer than its limit\n");
  abort();
}

int main(void) {
  uv_timer_t watchdog;
  int rc;

  ws_url = getenv("UVWAMP_WS_URL");
  rs_url = getenv("UVWAMP_RS_URL");
  realm = getenv("UVWAMP_REALM");
  if (ws_url == NULL || rs_url == NULL || realm == NULL) {
    fprintf(stderr,
            "capi_workers_test: UVWAMP_WS_URL, UVWAMP_RS_URL and UVWAMP_REALM must be set; run it "
            "as: python3 test/fixture/routerctl.py run nexus -- capi_workers_test\n");
    return 1;
  }
  loop_thread = pthread_self();
  CHECK_INT(pthread_mutex_init(&shared.mutex, NULL), 0);
  CHECK_INT(pthread_cond_init(&shared.cond, NULL), 0);
  CHECK_INT(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &watchdog);
  uv_timer_start(&watchdog, on_watchdog, 120000, 0);
  uv_unref((uv_handle_t*)&watchdog);

  test_refused();
  test_join_and_register();
  test_answers();
  test_blocked_pool();
  test_queued_cancel();
  test_close_with_busy_worker();

  lock();
  CHECK_INT(shared.callbacks_on_loop, 0);
  CHECK_INT(shared.refusals_wrong, 0);
  pthread_mutex_unlock(&shared.mutex);

  uv_close((uv_handle_t*)&watchdog, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&loop);
  CHECK_INT(rc, 0);
  free_handles();
  pthread_cond_destroy(&shared.cond);
  pthread_mutex_destroy(&shared.mutex);

  if (failures != 0) {
    fprintf(stderr, "capi_workers_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_workers_test: all checks passed\n");
  return 0;
}
