// file_system helpers shared by every implementation.
#include "storage/file.h"

namespace spate::storage {

result<void> file_system::write_file_atomically(const std::string& path,
                                                std::string_view contents) {
  const std::string temp = path + ".tmp";
  {
    SPATE_TRY(auto f, open(temp, open_mode::create_or_open));
    SPATE_TRY_VOID(f->truncate(0));
    SPATE_TRY_VOID(f->append(contents));
  }
  return rename(temp, path);
}

result<std::string> file_system::read_file(const std::string& path) {
  SPATE_TRY(auto f, open(path, open_mode::open_existing));
  std::string contents(f->size(), '\0');
  SPATE_TRY(auto n, f->read_at(0, contents.data(), contents.size()));
  contents.resize(n);
  return contents;
}

}  // namespace spate::storage
