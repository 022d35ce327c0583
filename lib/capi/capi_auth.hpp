// The C API's authentication (include/uvwamp.h, "Authentication"): how uvwamp_options keeps its
// methods until a client is made from them, and the secret requests a client hands to C.
#pragma once

#include <uvwamp.h>
#include <uvwamp/auth.hpp>

#include <functional>
#include <memory>
#include <set>

namespace uvwamp::capi {

// The secret requests of one client that the application has not answered yet. They are the
// client's and go with its handle, after its close callback: no reply outlives the client, and
// none is leaked when the application never answers.
class SecretRequests {
 public:
  SecretRequests() = default;
  SecretRequests(const SecretRequests&) = delete;
  SecretRequests& operator=(const SecretRequests&) = delete;
  ~SecretRequests();

  // A handle that answers `reply`, open until answered. Throws std::bad_alloc, leaving `reply`
  // as it was.
  uvwamp_secret_reply* open(SecretReply& reply);
  // Closes `handle` and gives back what answers it.
  static SecretReply take(uvwamp_secret_reply* handle) noexcept;

 private:
  std::set<uvwamp_secret_reply*> open_;
};

// One method of uvwamp_options, made for each client made from them: a method that asks a C
// callback for its secret hands the callback its client and keeps the replies in the client's
// requests. A method given its secret or key at once ignores both and serves every client.
using AuthMethodMaker = std::function<std::shared_ptr<Authenticator>(
    uvwamp_client* client, const std::weak_ptr<SecretRequests>& requests)>;

}  // namespace uvwamp::capi
