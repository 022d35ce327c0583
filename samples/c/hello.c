/* hello: the C API in one program. It registers a procedure and subscribes to a topic, then
 * calls the procedure and publishes to the topic, prints what comes back, leaves and closes.
 *
 *   hello-c [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
 *
 * Exits 0 when the call and the event both came back. */

/* uv.h needs POSIX's types, which strict C99 does not declare without this. */
#define _POSIX_C_SOURCE 200809L

#include <uv.h>
#include <uvwamp.h>

#include <inttypes.h>
#include <stdio.h>

#define PROCEDURE "com.example.c.add2"
#define TOPIC "com.example.c.greeting"

struct app {
  int ready;    /* registered and subscribed: 2 */
  int answered; /* the call's result came back */
  int greeted;  /* the event came in */
  int failed;
  uvwamp_subscription* subscription;
  uvwamp_registration* registration;
};

static void on_closed(uvwamp_client* client, void* user_data) {
  (void)client;
  (void)user_data;
  printf("closed\n");
}

static void fail(uvwamp_client* client, struct app* app, const char* what,
                 const uvwamp_error* error) {
  fprintf(stderr, "hello: %s: %s (%s)\n", what, uvwamp_error_message(error),
          uvwamp_error_uri(error));
  app->failed = 1;
  uvwamp_client_close(client, on_closed, app);
}

static void print_value(const char* label, const uvwamp_value* v) {
  char text[256];
  if (uvwamp_value_dump(v, text, sizeof text) >= 0) printf("%s %s\n", label, text);
}

static void on_left(uvwamp_client* client, const char* reason, const uvwamp_error* error,
                    void* user_data) {
  /* Some routers (nexus) close the connection right after their GOODBYE, and the close may
   * overtake it: the session is over either way. */
  if (error != NULL && uvwamp_error_code(error) != UVWAMP_ETRANSPORT) {
    fail(client, (struct app*)user_data, "leave", error);
    return;
  }
  printf("left: %s\n", error == NULL ? reason : "the router closed the connection");
  uvwamp_client_close(client, on_closed, user_data);
}

/* Once both answers are in, say goodbye. */
static void leave_when_done(uvwamp_client* client, struct app* app) {
  if (app->answered && app->greeted) uvwamp_client_leave(client, NULL, on_left, app);
}

/* add2(a, b) -> a + b, or an error the caller sees with its arguments. */
static void add2(uvwamp_client* client, uvwamp_invocation* invocation, void* user_data) {
  const uvwamp_value* args = uvwamp_invocation_args(invocation);
  int64_t a, b;
  uvwamp_value* sum;
  (void)client;
  (void)user_data;
  if (uvwamp_value_get_int64(uvwamp_value_array_get(args, 0), &a) != 0 ||
      uvwamp_value_get_int64(uvwamp_value_array_get(args, 1), &b) != 0) {
    uvwamp_value* why = uvwamp_value_new_array();
    uvwamp_value_array_append(why, uvwamp_value_new_string("add2 takes two integers"));
    uvwamp_invocation_error(invocation, "wamp.error.invalid_argument", why, NULL);
    uvwamp_value_free(why);
    return;
  }
  sum = uvwamp_value_new_array();
  uvwamp_value_array_append(sum, uvwamp_value_new_int64(a + b));
  uvwamp_invocation_yield(invocation, sum, NULL);
  uvwamp_value_free(sum);
}

static void on_result(uvwamp_client* client, const uvwamp_call_result* result,
                      const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  if (error != NULL) {
    fail(client, app, "call", error);
    return;
  }
  print_value("add2(2, 3) =", uvwamp_call_result_args(result));
  app->answered = 1;
  leave_when_done(client, app);
}

static void on_event(uvwamp_client* client, const uvwamp_event* event, void* user_data) {
  struct app* app = (struct app*)user_data;
  printf("event %" PRIu64 " on %s:", uvwamp_event_publication_id(event), uvwamp_event_topic(event));
  print_value("", uvwamp_event_args(event));
  app->greeted = 1;
  leave_when_done(client, app);
}

static void on_published(uvwamp_client* client, uint64_t publication_id, const uvwamp_error* error,
                         void* user_data) {
  if (error != NULL) {
    fail(client, (struct app*)user_data, "publish", error);
    return;
  }
  printf("published %" PRIu64 "\n", publication_id);
}

/* Registered and subscribed: call and publish. The event comes to this same session because
 * the publication asks for it with exclude_me = false. */
static void start_when_ready(uvwamp_client* client, struct app* app) {
  uvwamp_value* operands;
  uvwamp_value* greeting;
  uvwamp_value* options;
  if (++app->ready < 2) return;

  operands = uvwamp_value_new_array();
  uvwamp_value_array_append(operands, uvwamp_value_new_int64(2));
  uvwamp_value_array_append(operands, uvwamp_value_new_int64(3));
  uvwamp_client_call(client, PROCEDURE, operands, NULL, NULL, on_result, app, NULL);
  uvwamp_value_free(operands);

  greeting = uvwamp_value_new_array();
  uvwamp_value_array_append(greeting, uvwamp_value_new_string("hello from C"));
  options = uvwamp_value_new_object();
  uvwamp_value_object_set(options, "exclude_me", uvwamp_value_new_bool(0));
  uvwamp_client_publish(client, TOPIC, greeting, NULL, options, UVWAMP_PUBLISH_ACKNOWLEDGE,
                        on_published, app);
  uvwamp_value_free(greeting);
  uvwamp_value_free(options);
}

static void on_registered(uvwamp_client* client, uvwamp_registration* registration,
                          const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  if (error != NULL) {
    fail(client, app, "register", error);
    return;
  }
  printf("registered %s\n", uvwamp_registration_procedure(registration));
  app->registration = registration;
  start_when_ready(client, app);
}

static void on_subscribed(uvwamp_client* client, uvwamp_subscription* subscription,
                          const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  if (error != NULL) {
    fail(client, app, "subscribe", error);
    return;
  }
  printf("subscribed to %s\n", uvwamp_subscription_topic(subscription));
  app->subscription = subscription;
  start_when_ready(client, app);
}

static void on_joined(uvwamp_client* client, const uvwamp_session_info* info,
                      const uvwamp_error* error, void* user_data) {
  struct app* app = (struct app*)user_data;
  if (error != NULL) {
    fail(client, app, "join", error);
    return;
  }
  printf("joined session %" PRIu64 " on %s (%s)\n", uvwamp_session_info_id(info),
         uvwamp_session_info_url(info), uvwamp_session_info_serializer(info));
  uvwamp_client_register(client, PROCEDURE, NULL, add2, on_registered, app);
  uvwamp_client_subscribe(client, TOPIC, NULL, on_event, on_subscribed, app);
}

int main(int argc, char** argv) {
  const char* url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws";
  const char* realm = argc > 2 ? argv[2] : "realm1";
  struct app app = {0, 0, 0, 0, NULL, NULL};
  uv_loop_t loop;
  uvwamp_options* options;
  uvwamp_client* client;
  int rc;

  uv_loop_init(&loop);
  options = uvwamp_options_new();
  if (options == NULL) return 1;
  rc = uvwamp_options_add_url(options, url);
  if (rc == 0) rc = uvwamp_options_set_realm(options, realm);
  if (rc == 0) rc = uvwamp_client_new(&loop, options, &client);
  uvwamp_options_free(options);
  if (rc != 0) {
    fprintf(stderr, "hello: %s %s: %s\n", url, realm, uvwamp_strerror(rc));
    return 1;
  }

  uvwamp_client_join(client, on_joined, &app);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  /* The handles outlive the client; they only name what was registered and subscribed. */
  uvwamp_registration_free(app.registration);
  uvwamp_subscription_free(app.subscription);
  return app.failed || !app.answered || !app.greeted ? 1 : 0;
}
