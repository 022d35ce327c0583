#include <uvwamp/auth.hpp>

#include <memory>
#include <utility>

namespace uvwamp {
namespace {

class Ticket final : public Authenticator {
 public:
  explicit Ticket(SecretSource ticket) : ticket_(std::move(ticket)) {}

  std::vector<std::string> methods() const override { return {"ticket"}; }

  Result<Value::Object, std::string> hello_authextra(const AuthContext&) override {
    return Value::Object{};
  }

  void answer(const AuthChallenge&, const Value::Object&, std::shared_ptr<AuthContext>,
              AuthAnswerHandler reply) override {
    ticket_.fetch([reply = std::move(reply)](Result<Secret, std::string> ticket) {
      if (!ticket) return reply(ticket.error());
      reply(AuthAnswer{std::move(*ticket), {}, {}});
    });
  }

 private:
  SecretSource ticket_;
};

}  // namespace

std::shared_ptr<Authenticator> auth::ticket(SecretSource ticket) {
  return std::make_shared<Ticket>(std::move(ticket));
}

}  // namespace uvwamp
