// memory_budget: a server-wide cap on bytes of one kind held in memory (request bodies in
// flight, answers queued to readers, messages queued to subscribers), shared by every
// connection and protocol, so that what the server holds is a function of its configuration
// and not of its traffic.
//
// Whoever is about to allocate asks first: try_reserve() either grants the whole amount or
// refuses (and counts the refusal), before any byte is allocated. A `reservation` is the
// grant: it returns its bytes when destroyed (RAII), and can be shrunk once the real size is
// known or grown for data that arrives in pieces. `charge()` accounts for memory that exists
// whatever the budget says (an answer already produced): it is never refused, but it counts,
// so later try_reserve() calls see it.
//
// Thread safety: every method may be called from any thread; counters are atomics, grants
// are a compare-and-swap loop (no lock). A reservation belongs to one thread at a time and
// must not outlive its budget.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace spate {

class memory_budget {
 public:
  class reservation {
   public:
    reservation() = default;
    reservation(reservation&& other) noexcept
        : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
    reservation& operator=(reservation&& other) noexcept {
      if (this != &other) {
        release();
        budget_ = std::exchange(other.budget_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
      }
      return *this;
    }
    reservation(const reservation&) = delete;
    reservation& operator=(const reservation&) = delete;
    ~reservation() { release(); }

    std::size_t bytes() const { return bytes_; }
    explicit operator bool() const { return budget_ != nullptr; }

    // Adds `more` bytes if the budget has room; false (nothing changed, a refusal counted)
    // otherwise. A default-constructed reservation cannot grow.
    bool grow(std::size_t more);
    // Returns everything above `bytes` to the budget (no-op if already smaller).
    void shrink_to(std::size_t bytes);
    // Makes the reservation exactly `bytes`: shrinks, or grows without asking (for memory
    // that already exists, like charge()).
    void resize(std::size_t bytes);
    // Returns all bytes; the reservation is empty afterwards.
    void release();

   private:
    friend class memory_budget;
    reservation(memory_budget* budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {}
    memory_budget* budget_ = nullptr;
    std::size_t bytes_ = 0;
  };

  // `name` labels the budget in /metrics ("request_bodies", ...). A limit of 0 means
  // unlimited: every request is granted (and still counted).
  memory_budget(std::string name, std::size_t limit) : name_(std::move(name)), limit_(limit) {}
  memory_budget(const memory_budget&) = delete;
  memory_budget& operator=(const memory_budget&) = delete;

  // The whole of `bytes`, or nullopt (counted as a refusal) when it would exceed the limit.
  std::optional<reservation> try_reserve(std::size_t bytes);
  // Accounts for `bytes` that are already allocated; never refused.
  reservation charge(std::size_t bytes);

  const std::string& name() const { return name_; }
  std::size_t limit() const { return limit_; }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  // Bytes that may still be granted (saturates at 0 when charges went past the limit).
  std::size_t available() const;
  std::uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  std::size_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  bool take(std::size_t bytes);  // all or nothing, within the limit
  void add(std::size_t bytes);   // unconditionally
  void give_back(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  void note_peak(std::size_t now);

  const std::string name_;
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> peak_{0};
  std::atomic<std::uint64_t> refusals_{0};
};

}  // namespace spate
