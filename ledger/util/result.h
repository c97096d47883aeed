// Errors are values. A Result<T> holds either a T or an Error; nothing in
// ledger/ throws across a module border.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace certledger {

// Stable error codes. api/ maps them to HTTP statuses and problem types;
// ledgerctl maps them to exit codes.
enum class Errc {
  invalid_argument,     // bad input: a field, a format, a value out of range
  not_found,            // the thing named does not exist
  already_exists,       // creating something that is there already
  conflict,             // a concurrent change won, or an idempotency key was reused
  precondition_failed,  // If-Match: the certificate is not at the expected version
  rule_violation,       // the lifecycle or a business rule forbids it
  unauthenticated,      // no or bad credentials
  forbidden,            // credentials valid, action not allowed
  corruption,           // stored or received data fails verification
  io_error,             // the disk or a file said no
  unavailable,          // the writer is stopped or the store failed (fail closed)
  internal,             // a bug
};

const char* errc_name(Errc code);

// Refines a code where callers must act differently on errors of the same
// code. Callers branch on this, never on the message text.
enum class Detail : unsigned char {
  none,
  malformed,               // invalid_argument: the input is not well formed (not JSON,
                           // not UTF-8, nested too deep, an unknown member, the wrong
                           // JSON type) rather than a well-formed value that breaks a
                           // rule; HTTP answers 400 instead of 422
  claim_taken,             // already_exists: a unique claim (a business number, a report
                           // code) is held by another stream; Error::subject is the claim
  idempotency_key_reused,  // conflict: the key was used before for a different request
  locked,                  // unavailable: the store is held by another process
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string field;  // the offending field for validation errors, else empty
  Detail detail = Detail::none;
  std::string subject;  // what `detail` is about (the claim of claim_taken), else empty

  std::string to_string() const;
};

inline Error make_error(Errc code, Detail detail, std::string message, std::string field = {}) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.field = std::move(field);
  e.detail = detail;
  return e;
}

inline Error make_error(Errc code, std::string message, std::string field = {}) {
  return make_error(code, Detail::none, std::move(message), std::move(field));
}

// invalid_argument, Detail::malformed.
inline Error malformed_input(std::string message, std::string field = {}) {
  return make_error(Errc::invalid_argument, Detail::malformed, std::move(message), std::move(field));
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *e_;
  }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace certledger

// Propagate an error from an expression returning Result<...>.
#define CL_TRY(expr)                               \
  do {                                             \
    auto&& cl_try_r_ = (expr);                     \
    if (!cl_try_r_.ok()) return cl_try_r_.error(); \
  } while (0)

#define CL_CONCAT_INNER(a, b) a##b
#define CL_CONCAT(a, b) CL_CONCAT_INNER(a, b)
// Declare `lhs` from a Result<T> or return its error.
#define CL_ASSIGN(lhs, expr) CL_ASSIGN_IMPL(CL_CONCAT(cl_assign_r_, __LINE__), lhs, expr)
#define CL_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                   \
  if (!tmp.ok()) return tmp.error();   \
  lhs = std::move(tmp).value()
