// thread_names: the names of this process's threads as the kernel shows them
// (/proc/self/task/*/comm), for tests that check a component names the threads it starts.
#pragma once

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace spate::testutil {

// Every thread's name, once each; a thread that ends while it is read is skipped.
inline std::set<std::string> thread_names() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

}  // namespace spate::testutil
