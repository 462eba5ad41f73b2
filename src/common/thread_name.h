// thread_name: naming the calling thread, so that `top -H`, `ps -L`, /proc/PID/task/*/comm,
// `perf sched` and the flame graphs of docs/performance.md tell a process's threads apart
// (spated's I/O threads from its committer, a load tool's producer from its readers).
//
// Thread safety: a free function; it names only the thread that calls it.
#pragma once

#include <string>
#include <string_view>

namespace spate {

// Linux keeps at most this many bytes of a thread's name.
inline constexpr std::size_t thread_name_limit = 15;

// Names the calling thread `name`, cut to thread_name_limit bytes. Best effort: if the kernel
// refuses, the thread keeps the name it had and nothing else changes.
void name_this_thread(std::string_view name);

// The calling thread's name, or "" if it cannot be read.
std::string this_thread_name();

}  // namespace spate
