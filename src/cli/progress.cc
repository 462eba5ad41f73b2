// progress: the in-place status line of long CLI commands, on terminals only.
#include "progress.h"

#include <cstdio>
#include <unistd.h>

namespace spate::cli {

progress::progress()
    : enabled_(::isatty(STDERR_FILENO) == 1), started_(std::chrono::steady_clock::now()) {}

progress::~progress() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

void progress::update(const std::string& text) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

std::chrono::seconds progress::elapsed() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                          started_);
}

std::string with_commas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace spate::cli
