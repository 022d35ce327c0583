// End-to-end cost of the client against a real router: one uv loop, and in it two clients, one
// that registers an echo procedure and subscribes to a topic, one that calls and publishes. For
// each serializer and payload given it measures
//
//   - call round trips one at a time: median and 99th percentile, calls per second, and the CPU
//     time (user and system) the process, both clients, spent per call;
//   - calls per second with --in-flight calls outstanding;
//   - events per second reaching the subscriber, the publisher (acknowledge off) keeping at most
//     --window publications ahead of the events received, since nexus drops events for a
//     subscriber whose outbound queue (64 messages) is full;
//
// and prints one Markdown table row per cell. bench/autobahn_bench.py measures the same with
// autobahn-python and prints the same table; scripts/bench.sh runs both; docs/performance.md
// has numbers.
//
//   client_bench URL [--realm R] [--serializers json,msgpack,cbor] [--payloads small,64k]
//                    [--seconds S] [--in-flight N] [--window W] [--no-header]
//
// The RSS column is the process's peak so far (getrusage), so it is the cell's own only when the
// process measures one cell, which is how scripts/bench.sh runs it.
#include <uvwamp/client.hpp>

#include <uv.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using uvwamp::Value;

constexpr const char* kProcedure = "bench.echo";
constexpr const char* kTopic = "bench.events";
constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
constexpr std::uint64_t kTickMs = 20;
// A router that stays silent this long while something is outstanding has stopped answering.
constexpr std::uint64_t kSilenceLimitNs = 10 * kNsPerSecond;
// Publications not seen as events after this long are taken as dropped, so that the publisher
// does not wait for them.
constexpr std::uint64_t kEventLossNs = kNsPerSecond / 2;

struct Settings {
  std::string url;
  std::string realm = "realm1";
  std::vector<std::string> serializers = {"json", "msgpack", "cbor"};
  std::vector<std::string> payloads = {"small", "64k"};
  double seconds = 1.0;
  int in_flight = 32;
  int window = 32;
  bool header = true;
};

struct Measurements {
  double rtt_median_us = 0;
  double rtt_p99_us = 0;
  double sequential_calls_per_s = 0;
  double cpu_us_per_call = 0;  // both clients' share, user and system, of one round trip
  double concurrent_calls_per_s = 0;
  double events_per_s = 0;
  std::uint64_t events_lost = 0;
};

Value::Array make_payload(const std::string& name) {
  if (name == "small") {
    // Built element by element: GCC 12 with ASan at -O2 warns (falsely) that the initializer
    // list's temporary Values may be used uninitialized.
    Value::Array few_ints;
    for (int i = 1; i <= 3; ++i)
      few_ints.emplace_back(i);
    return few_ints;
  }
  Value::Binary bytes(64 * 1024);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::uint8_t>(i * 31);
  return {Value(std::move(bytes))};
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_between(std::uint64_t from_ns, std::uint64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / static_cast<double>(kNsPerSecond);
}

// One cell: joins both clients, runs the phases one after the other, and closes both. Every
// phase ends by starting the next, so the cell is over when uv_run() returns.
class Cell {
 public:
  Cell(uv_loop_t* loop, const Settings& settings, const uvwamp::Serializer& serializer,
       Value::Array payload)
      : loop_(loop), settings_(settings), serializer_(serializer), payload_(std::move(payload)) {
    uvwamp::ClientOptions options;
    options.urls = {settings.url};
    options.realm = settings.realm;
    options.serializers = {&serializer};
    server_ = std::make_unique<uvwamp::Client>(loop, options);
    client_ = std::make_unique<uvwamp::Client>(loop, options);
    phase_ns_ = static_cast<std::uint64_t>(settings.seconds * kNsPerSecond);
  }

  bool run(Measurements& out) {
    uv_timer_init(loop_, &tick_);
    tick_.data = this;
    uv_timer_start(
        &tick_, [](uv_timer_t* timer) { static_cast<Cell*>(timer->data)->on_tick(); }, kTickMs,
        kTickMs);
    progress();
    join_both();
    uv_run(loop_, UV_RUN_DEFAULT);
    out = result_;
    return !failed_;
  }

 private:
  enum class Phase { setup, calls, events, closing };

  void progress() { last_progress_ns_ = uv_hrtime(); }

  void fail(const std::string& what) {
    if (phase_ == Phase::closing) return;
    std::fprintf(stderr, "client_bench: %s %s: %s\n", std::string(serializer_.name()).c_str(),
                 settings_.url.c_str(), what.c_str());
    failed_ = true;
    finish();
  }
  void fail(const uvwamp::WampError& error) { fail(error.message + " (" + error.uri + ")"); }

  void finish() {
    phase_ = Phase::closing;
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    server_->close([] {});
    client_->close([] {});
  }

  void on_tick() {
    const std::uint64_t now = uv_hrtime();
    if (phase_ == Phase::events && outstanding_events() > 0 &&
        now - last_progress_ns_ > kEventLossNs) {
      written_off_ = published_ - received_;
      progress();
      continue_events(now);
      return;
    }
    if (now - last_progress_ns_ > kSilenceLimitNs) fail("the router stopped answering");
  }

  void join_both() {
    auto joined = [this](uvwamp::WampResult<uvwamp::SessionInfo> session) {
      if (!session) return fail(session.error());
      if (session->serializer != &serializer_) return fail("the router chose another serializer");
      if (++joined_ == 2) register_echo();
    };
    server_->join(joined);
    client_->join(joined);
  }

  void register_echo() {
    auto echo = [](uvwamp::Invocation invocation) { invocation.yield(std::move(invocation.args)); };
    server_->register_procedure(kProcedure, echo,
                                [this](uvwamp::WampResult<uvwamp::Registration> registered) {
                                  if (!registered) return fail(registered.error());
                                  subscribe();
                                });
  }

  void subscribe() {
    auto on_event = [this](const uvwamp::Event& event) { on_event_received(event); };
    server_->subscribe(kTopic, on_event,
                       [this](uvwamp::WampResult<uvwamp::Subscription> subscribed) {
                         if (!subscribed) return fail(subscribed.error());
                         phase_ = Phase::calls;
                         warm_up();
                       });
  }

  // The first calls pay for allocations and the router's caches; they are not measured.
  void warm_up() {
    const std::uint64_t until = uv_hrtime() + phase_ns_ / 4;
    call_sequentially(until, nullptr, [this](std::uint64_t, std::uint64_t) { measure_latency(); });
  }

  void measure_latency() {
    const std::uint64_t start = uv_hrtime();
    const double cpu_start = cpu_seconds();
    rtts_ns_.clear();
    call_sequentially(
        start + phase_ns_, &rtts_ns_, [this, cpu_start](std::uint64_t from, std::uint64_t to) {
          std::sort(rtts_ns_.begin(), rtts_ns_.end());
          const std::size_t n = rtts_ns_.size();
          const std::size_t p99 =
              static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(n)));
          result_.rtt_median_us = static_cast<double>(rtts_ns_[n / 2]) / 1e3;
          result_.rtt_p99_us = static_cast<double>(rtts_ns_[p99 - 1]) / 1e3;
          result_.sequential_calls_per_s = static_cast<double>(n) / seconds_between(from, to);
          result_.cpu_us_per_call = (cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(n);
          measure_concurrent_calls();
        });
  }

  // Calls one at a time until `until`, recording each round trip when `rtts` is given; then
  // `done(start, end)`.
  void call_sequentially(std::uint64_t until, std::vector<std::uint64_t>* rtts,
                         std::function<void(std::uint64_t, std::uint64_t)> done) {
    sequence_start_ns_ = uv_hrtime();
    sequence_until_ns_ = until;
    sequence_rtts_ = rtts;
    sequence_done_ = std::move(done);
    call_next_in_sequence();
  }

  void call_next_in_sequence() {
    const std::uint64_t sent = uv_hrtime();
    client_->call(kProcedure, payload_,
                  [this, sent](uvwamp::WampResult<uvwamp::CallResult> result) {
                    if (!result) return fail(result.error());
                    const std::uint64_t now = uv_hrtime();
                    progress();
                    if (!echo_checked_) {
                      if (result->args != payload_)
                        return fail("the echo differs from the call's payload");
                      echo_checked_ = true;
                    }
                    if (sequence_rtts_ != nullptr) sequence_rtts_->push_back(now - sent);
                    if (now < sequence_until_ns_) return call_next_in_sequence();
                    // Moved out first: `done` may start another sequence, which sets sequence_done_
                    // anew.
                    auto done = std::move(sequence_done_);
                    done(sequence_start_ns_, now);
                  });
  }

  void measure_concurrent_calls() {
    calls_start_ns_ = uv_hrtime();
    calls_completed_ = 0;
    calls_outstanding_ = 0;
    for (int i = 0; i < settings_.in_flight; ++i)
      issue_concurrent_call();
  }

  void issue_concurrent_call() {
    ++calls_outstanding_;
    client_->call(kProcedure, payload_, [this](uvwamp::WampResult<uvwamp::CallResult> result) {
      if (!result) return fail(result.error());
      progress();
      --calls_outstanding_;
      ++calls_completed_;
      const std::uint64_t now = uv_hrtime();
      if (now < calls_start_ns_ + phase_ns_) return issue_concurrent_call();
      if (calls_outstanding_ > 0) return;
      result_.concurrent_calls_per_s =
          static_cast<double>(calls_completed_) / seconds_between(calls_start_ns_, now);
      measure_events();
    });
  }

  void measure_events() {
    phase_ = Phase::events;
    events_start_ns_ = uv_hrtime();
    progress();
    continue_events(events_start_ns_);
  }

  std::uint64_t outstanding_events() const {
    const std::uint64_t accounted = received_ + written_off_;
    return published_ > accounted ? published_ - accounted : 0;
  }

  void continue_events(std::uint64_t now) {
    if (now >= events_start_ns_ + phase_ns_) {
      if (outstanding_events() > 0) return;
      if (received_ == 0) return fail("no event reached the subscriber");
      result_.events_per_s =
          static_cast<double>(received_) / seconds_between(events_start_ns_, last_event_ns_);
      result_.events_lost = published_ > received_ ? published_ - received_ : 0;
      return finish();
    }
    while (outstanding_events() < static_cast<std::uint64_t>(settings_.window)) {
      ++published_;
      client_->publish(kTopic, payload_, [this](uvwamp::WampResult<uvwamp::Publication> done) {
        if (!done) fail(done.error());
      });
    }
  }

  void on_event_received(const uvwamp::Event& event) {
    if (phase_ != Phase::events) return;
    if (received_ == 0 && event.args != payload_) return fail("the event differs from the payload");
    ++received_;
    last_event_ns_ = uv_hrtime();
    progress();
    continue_events(last_event_ns_);
  }

  uv_loop_t* loop_;
  const Settings& settings_;
  const uvwamp::Serializer& serializer_;
  const Value::Array payload_;
  std::unique_ptr<uvwamp::Client> server_;  // callee and subscriber
  std::unique_ptr<uvwamp::Client> client_;  // caller and publisher
  uv_timer_t tick_{};
  Phase phase_ = Phase::setup;
  bool failed_ = false;
  int joined_ = 0;
  bool echo_checked_ = false;
  std::uint64_t phase_ns_ = 0;
  std::uint64_t last_progress_ns_ = 0;
  std::vector<std::uint64_t> rtts_ns_;
  std::uint64_t sequence_start_ns_ = 0;
  std::uint64_t sequence_until_ns_ = 0;
  std::vector<std::uint64_t>* sequence_rtts_ = nullptr;
  std::function<void(std::uint64_t, std::uint64_t)> sequence_done_;
  std::uint64_t calls_start_ns_ = 0;
  std::uint64_t calls_completed_ = 0;
  int calls_outstanding_ = 0;
  std::uint64_t events_start_ns_ = 0;
  std::uint64_t last_event_ns_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t written_off_ = 0;
  Measurements result_;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// "ws", "rs", or with a Unix socket "ws-unix", "rs-unix".
std::string transport_name(const std::string& url) {
  std::string scheme = url.substr(0, url.find("://"));
  if (url.find("://unix:") != std::string::npos) scheme += "-unix";
  return scheme;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr,
               "client_bench: %s\n"
               "usage: client_bench URL [--realm R] [--serializers json,msgpack,cbor]\n"
               "                        [--payloads small,64k] [--seconds S] [--in-flight N]\n"
               "                        [--window W] [--no-header]\n",
               what.c_str());
  std::exit(2);
}

double positive_number(const std::string& option, const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  usage_error(option + " needs a positive number, not '" + text + "'");
}

int positive_integer(const std::string& option, const std::string& text) {
  const double value = positive_number(option, text);
  if (value != std::floor(value) || value > 1e6) usage_error(option + " needs a whole number");
  return static_cast<int>(value);
}

Settings parse_arguments(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(argument + " needs a value");
      return argv[++i];
    };
    if (argument == "--realm") {
      settings.realm = value();
    } else if (argument == "--serializers") {
      settings.serializers = split_list(value());
    } else if (argument == "--payloads") {
      settings.payloads = split_list(value());
    } else if (argument == "--seconds") {
      settings.seconds = positive_number(argument, value());
    } else if (argument == "--in-flight") {
      settings.in_flight = positive_integer(argument, value());
    } else if (argument == "--window") {
      settings.window = positive_integer(argument, value());
    } else if (argument == "--no-header") {
      settings.header = false;
    } else if (argument.rfind("--", 0) == 0 || !settings.url.empty()) {
      usage_error("unexpected argument '" + argument + "'");
    } else {
      settings.url = argument;
    }
  }
  if (settings.url.empty()) usage_error("no router URL given");
  for (const std::string& name : settings.serializers)
    if (uvwamp::find_serializer(name) == nullptr) usage_error("no serializer named '" + name + "'");
  for (const std::string& name : settings.payloads)
    if (name != "small" && name != "64k") usage_error("payloads are small and 64k, not " + name);
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse_arguments(argc, argv);
  if (settings.header) {
    std::printf(
        "| client | transport | serializer | payload | rtt median µs | rtt p99 µs | calls/s 1 "
        "in flight | CPU µs/call | calls/s %d in flight | events/s | events lost | peak RSS MiB "
        "|\n",
        settings.in_flight);
    std::printf("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int status = 0;
  for (const std::string& serializer_name : settings.serializers) {
    for (const std::string& payload_name : settings.payloads) {
      Measurements m;
      bool ok = false;
      try {
        Cell cell(&loop, settings, *uvwamp::find_serializer(serializer_name),
                  make_payload(payload_name));
        ok = cell.run(m);
      } catch (const std::invalid_argument& bad_options) {
        usage_error(bad_options.what());
      }
      uv_run(&loop, UV_RUN_DEFAULT);  // the destroyed clients' handles finish closing
      if (!ok) {
        status = 1;
        continue;
      }
      std::printf(
          "| uvwamp | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %llu | %.1f |\n",
          transport_name(settings.url).c_str(), serializer_name.c_str(), payload_name.c_str(),
          m.rtt_median_us, m.rtt_p99_us, m.sequential_calls_per_s, m.cpu_us_per_call,
          m.concurrent_calls_per_s, m.events_per_s, static_cast<unsigned long long>(m.events_lost),
          peak_rss_mib());
      std::fflush(stdout);
    }
  }
  if (uv_loop_close(&loop) != 0) {
    std::fprintf(stderr, "client_bench: the loop still had handles open\n");
    status = 1;
  }
  return status;
}
