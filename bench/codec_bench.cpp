// Encode and decode cost of the three serializers on two messages that bracket real traffic: a
// small CALL and an EVENT carrying a 64 KiB binary payload. Numbers and how to reproduce them:
// docs/performance.md.
#include <uvwamp/serializer.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>

namespace {

using uvwamp::Value;

Value typical_call() {
  return Value::Array{48,
                      7814135,
                      Value::Object{{"receive_progress", true}, {"timeout", 5000}},
                      "com.myapp.add",
                      Value::Array{23, 7, "text argument"},
                      Value::Object{{"precision", 0.001}, {"round", false}}};
}

Value event_with_binary_payload() {
  Value::Binary payload(64 * 1024);
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<std::uint8_t>(i * 31);
  return Value::Array{36, 5512315355, 4429313566, Value::Object{{"publisher", 3335656}},
                      Value::Array{std::move(payload)}};
}

const uvwamp::Serializer& serializer_named(const char* name) {
  const uvwamp::Serializer* serializer = uvwamp::find_serializer(name);
  if (serializer == nullptr) std::abort();
  return *serializer;
}

void encode(benchmark::State& state, const char* codec, Value (*make)()) {
  const uvwamp::Serializer& serializer = serializer_named(codec);
  const Value message = make();
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    out.clear();
    if (!serializer.encode(message, out)) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
  state.counters["bytes"] = static_cast<double>(out.size());
}

void decode(benchmark::State& state, const char* codec, Value (*make)()) {
  const uvwamp::Serializer& serializer = serializer_named(codec);
  std::vector<std::uint8_t> bytes;
  if (!serializer.encode(make(), bytes)) std::abort();
  for (auto _ : state) {
    auto value = serializer.decode(bytes.data(), bytes.size());
    if (!value) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

#define UVWAMP_CODEC_BENCHMARKS(codec)                                             \
  BENCHMARK_CAPTURE(encode, codec##_call, #codec, typical_call);                   \
  BENCHMARK_CAPTURE(decode, codec##_call, #codec, typical_call);                   \
  BENCHMARK_CAPTURE(encode, codec##_event_64k, #codec, event_with_binary_payload); \
  BENCHMARK_CAPTURE(decode, codec##_event_64k, #codec, event_with_binary_payload)

UVWAMP_CODEC_BENCHMARKS(json);
UVWAMP_CODEC_BENCHMARKS(msgpack);
UVWAMP_CODEC_BENCHMARKS(cbor);

}  // namespace

BENCHMARK_MAIN();
