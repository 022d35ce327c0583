/* worker: a daemon's long-running procedure on a worker pool, from C. com.example.c.convert works
 * in steps on one of the pool's threads, so that the loop stays free, and reports each step as a
 * progressive result. Between steps it waits for an interruption instead of sleeping, so it stops
 * the moment its call is canceled. A second client calls it and cancels the call once three steps
 * are done; the program ends once the worker said it stopped.
 *
 *   worker-c [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
 *
 * Exits 0 when the call ended canceled and the worker stopped early. */

/* uv.h needs POSIX's types, which strict C99 does not declare without this. */
#define _POSIX_C_SOURCE 200809L

#include <uv.h>
#include <uvwamp.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PROCEDURE "com.example.c.convert"

struct app {
  uvwamp_worker_pool* pool;
  uvwamp_client* daemon; /* the callee */
  uvwamp_client* caller;
  uvwamp_registration* registration;
  uv_async_t worker_stopped; /* sent by the worker, from its thread; it never holds the loop */
  uint64_t call_id;
  int canceled; /* the call ended with UVWAMP_ECANCELED */
  int stopped;  /* the worker said it stopped early */
  int closing;
  int failed;
};

/* Runs on one of the pool's threads: `steps` steps of 50 ms each, reported one by one to a caller
 * that wants progressive results, ending early when interrupted. Nothing of the clients may be
 * used here; the worker tells the loop through a uv_async_t, which any thread may send. */
static void convert(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  struct app* app = (struct app*)user_data;
  int64_t steps = 0, step;
  uvwamp_value* result;
  (void)client;
  uvwamp_value_get_int64(uvwamp_value_array_get(uvwamp_invocation_args(invocation), 0), &steps);
  for (step = 0; step < steps; ++step) {
    if (uvwamp_invocation_wait_for_interrupt(invocation, 50) == 1) {
      /* The caller was answered already: the invocation takes no answer any more. */
      printf("worker: stopped after %" PRId64 " of %" PRId64 " steps\n", step, steps);
      uv_async_send(&app->worker_stopped);
      return;
    }
    if (uvwamp_invocation_receive_progress(invocation)) {
      uvwamp_value* done = uvwamp_value_new_array();
      uvwamp_value_array_append(done, uvwamp_value_new_int64(step + 1));
      uvwamp_invocation_progress(invocation, done, NULL);
      uvwamp_value_free(done);
    }
  }
  result = uvwamp_value_new_array();
  uvwamp_value_array_append(result, uvwamp_value_new_string("converted"));
  uvwamp_invocation_yield(invocation, result, NULL);
  uvwamp_value_free(result);
}

/* Everything below runs on the loop's thread. */

/* Closing a client interrupts what its procedures still work on. */
static void finish(struct app* app) {
  if (app->closing) return;
  app->closing = 1;
  uvwamp_client_close(app->caller, NULL, NULL);
  uvwamp_client_close(app->daemon, NULL, NULL);
}

static void fail(struct app* app, const char* what, const uvwamp_error* error) {
  fprintf(stderr, "worker: %s: %s (%s)\n", what, uvwamp_error_message(error),
          uvwamp_error_uri(error));
  app->failed = 1;
  finish(app);
}

static void finish_when_done(struct app* app) {
  if (app->canceled && app->stopped) finish(app);
}

static void on_worker_stopped(uv_async_t* async) {
  struct app* app = (struct app*)async->data;
  app->stopped = 1;
  finish_when_done(app);
}

static void on_progress(uvwamp_client* client, const uvwamp_call_result* progress,
                        void* user_data) {
  struct app* app = (struct app*)user_data;
  int64_t done = 0;
  uvwamp_value_get_int64(uvwamp_value_array_get(uvwamp_call_result_args(progress), 0), &done);
  printf("caller: step %" PRId64 " done\n", done);
  if (done == 3) {
    printf("caller: canceling the conversion\n");
    uvwamp_client_cancel(client, app->call_id, UVWAMP_CANCEL_KILL);
  }
}

static void on_result(uvwamp_client* client, const uvwamp_call_result* result,
                      const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  (void)client;
  (void)result;
  if (error == NULL || uvwamp_error_code(error) != UVWAMP_ECANCELED) {
    fprintf(stderr, "worker: the conversion was not canceled\n");
    app->failed = 1;
    finish(app);
    return;
  }
  printf("caller: the call ended: %s\n", uvwamp_error_uri(error));
  app->canceled = 1;
  finish_when_done(app);
}

static void on_caller_joined(uvwamp_client* client, const uvwamp_session_info* info,
                             const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  uvwamp_call_options* options;
  uvwamp_value* steps;
  (void)info;
  if (error != NULL) {
    fail(app, "join", error);
    return;
  }
  options = uvwamp_call_options_new();
  uvwamp_call_options_set_progress_cb(options, on_progress);
  steps = uvwamp_value_new_array();
  uvwamp_value_array_append(steps, uvwamp_value_new_int64(1000));
  uvwamp_client_call(client, PROCEDURE, steps, NULL, options, on_result, app, &app->call_id);
  uvwamp_value_free(steps);
  uvwamp_call_options_free(options);
}

static void on_registered(uvwamp_client* client, uvwamp_registration* registration,
                          const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  (void)client;
  if (error != NULL) {
    fail(app, "register", error);
    return;
  }
  printf("daemon: registered %s on a pool\n", uvwamp_registration_procedure(registration));
  app->registration = registration;
  uvwamp_client_join(app->caller, on_caller_joined, app);
}

static void on_daemon_joined(uvwamp_client* client, const uvwamp_session_info* info,
                             const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  (void)info;
  if (error != NULL) {
    fail(app, "join", error);
    return;
  }
  uvwamp_client_register_on_pool(client, PROCEDURE, NULL, app->pool, convert, on_registered, app);
}

static int new_client(uv_loop_t* loop, const char* url, const char* realm, uvwamp_client** client) {
  uvwamp_options* options = uvwamp_options_new();
  int rc;
  if (options == NULL) return UVWAMP_ENOMEM;
  rc = uvwamp_options_add_url(options, url);
  if (rc == 0) rc = uvwamp_options_set_realm(options, realm);
  if (rc == 0) rc = uvwamp_client_new(loop, options, client);
  uvwamp_options_free(options);
  return rc;
}

int main(int argc, char** argv) {
  const char* url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws";
  const char* realm = argc > 2 ? argv[2] : "realm1";
  struct app app;
  uv_loop_t loop;
  int rc;

  memset(&app, 0, sizeof app);
  uv_loop_init(&loop);
  rc = uvwamp_worker_pool_new(2, &app.pool);
  if (rc == 0) rc = new_client(&loop, url, realm, &app.daemon);
  if (rc == 0) rc = new_client(&loop, url, realm, &app.caller);
  if (rc != 0) {
    fprintf(stderr, "worker: %s %s: %s\n", url, realm, uvwamp_strerror(rc));
    return 1;
  }
  uv_async_init(&loop, &app.worker_stopped, on_worker_stopped);
  app.worker_stopped.data = &app;
  uv_unref((uv_handle_t*)&app.worker_stopped);

  uvwamp_client_join(app.daemon, on_daemon_joined, &app);
  uv_run(&loop, UV_RUN_DEFAULT);

  /* The clients are gone; the pool goes with this last hold, once its workers returned (the
   * close interrupted any still working). No worker sends to the loop after that. */
  uvwamp_worker_pool_free(app.pool);
  uv_close((uv_handle_t*)&app.worker_stopped, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  uvwamp_registration_free(app.registration);
  return app.failed || !app.canceled || !app.stopped ? 1 : 0;
}
