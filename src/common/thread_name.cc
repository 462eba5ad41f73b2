// thread_name: pthread_setname_np and pthread_getname_np on the calling thread.
#include "common/thread_name.h"

#include <pthread.h>

namespace spate {

void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, thread_name_limit));
  (void)::pthread_setname_np(::pthread_self(), cut.c_str());
}

std::string this_thread_name() {
  char name[thread_name_limit + 1] = {};
  if (::pthread_getname_np(::pthread_self(), name, sizeof name) != 0) return {};
  return name;
}

}  // namespace spate
