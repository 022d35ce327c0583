#include <uvwamp/auth.hpp>

#include <memory>

namespace uvwamp {
namespace {

class Anonymous final : public Authenticator {
 public:
  std::vector<std::string> methods() const override { return {"anonymous"}; }

  Result<Value::Object, std::string> hello_authextra(const AuthContext&) override {
    return Value::Object{};
  }

  // Anonymous authentication has no challenge; a router that sends one has nothing to get back.
  void answer(const AuthChallenge&, const Value::Object&, std::shared_ptr<AuthContext>,
              AuthAnswerHandler reply) override {
    reply(std::string("the router sent a CHALLENGE for anonymous authentication, which has none"));
  }
};

}  // namespace

std::shared_ptr<Authenticator> auth::anonymous() {
  return std::make_shared<Anonymous>();
}

}  // namespace uvwamp
