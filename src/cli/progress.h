// progress: one status line on stderr for a command a person waits on ("waiting for clicks
// to be ACTIVE (3 s)", "read 120,000 records from 4 shards"), redrawn in place at most ten
// times a second and erased when done. Only when stderr is a terminal: piped or redirected, it
// writes nothing, so scripts and logs see only the command's own output.
#pragma once

#include <chrono>
#include <string>

namespace spate::cli {

class progress {
 public:
  progress();   // shown only if stderr is a terminal
  ~progress();  // erases the line
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  bool shown() const { return enabled_; }
  // Redraws the line with `text`, unless it was redrawn less than 100 ms ago.
  void update(const std::string& text);
  // The time since this progress began, for "(3 s)".
  std::chrono::seconds elapsed() const;

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_, last_;
};

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n);

}  // namespace spate::cli
