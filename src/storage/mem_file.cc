// In-memory files and a directory model that remembers what was made durable.
#include "storage/mem_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace spate::storage {

struct mem_file_system::node {
  mutable std::mutex mu;
  std::string data;
  std::size_t synced = 0;  // bytes a crash keeps
};

namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::error_code sys(int e) {
  return {e, std::system_category()};
}

constexpr std::uint64_t mem_volume = 1;  // every file of a mem_file_system

}  // namespace

class mem_volume_sync final : public volume_sync {
 public:
  explicit mem_volume_sync(mem_file_system& fs) : fs_(fs) {}
  result<void> sync() override { return fs_.sync_volume(); }
  std::uint64_t volume() const override { return mem_volume; }

 private:
  mem_file_system& fs_;
};

class mem_file final : public file {
 public:
  mem_file(mem_file_system& fs, std::shared_ptr<mem_file_system::node> n)
      : fs_(fs), node_(std::move(n)) {}

  result<void> append(std::string_view bytes) override {
    std::uint64_t admitted = fs_.admit_append(bytes.size());
    std::lock_guard lock(node_->mu);
    node_->data.append(bytes.substr(0, admitted));
    if (admitted < bytes.size()) return sys(ENOSPC);
    return {};
  }

  result<std::size_t> read_at(std::uint64_t offset, char* dst,
                              std::size_t dst_size) const override {
    std::lock_guard lock(node_->mu);
    if (offset >= node_->data.size()) return std::size_t{0};
    std::size_t n = std::min<std::size_t>(dst_size, node_->data.size() - offset);
    std::memcpy(dst, node_->data.data() + offset, n);
    return n;
  }

  result<void> sync() override {
    fs_.wait_while_held();
    if (fs_.syncs_fail()) return sys(EIO);
    std::lock_guard lock(node_->mu);
    node_->synced = node_->data.size();
    return {};
  }

  result<void> truncate(std::uint64_t size) override {
    std::lock_guard lock(node_->mu);
    node_->data.resize(size);
    node_->synced = std::min<std::size_t>(node_->synced, size);
    return {};
  }

  std::uint64_t size() const override {
    std::lock_guard lock(node_->mu);
    return node_->data.size();
  }

  std::uint64_t volume() const override { return mem_volume; }

 private:
  mem_file_system& fs_;
  std::shared_ptr<mem_file_system::node> node_;
};

result<std::unique_ptr<file>> mem_file_system::open(const std::string& path, open_mode mode) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(parent_of(path))) return sys(ENOENT);
  auto it = live_.find(path);
  if (it == live_.end()) {
    if (mode == open_mode::open_existing) return sys(ENOENT);
    it = live_.emplace(path, std::make_shared<node>()).first;
  } else if (mode == open_mode::create_new) {
    return sys(EEXIST);
  }
  return std::unique_ptr<file>(new mem_file(*this, it->second));
}

result<std::vector<std::string>> mem_file_system::list(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(dir)) return sys(ENOENT);
  std::vector<std::string> names;
  for (const auto& [path, n] : live_) {
    if (parent_of(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  for (const auto& d : dirs_) {
    if (parent_of(d) == dir && d != dir) names.push_back(d.substr(dir.size() + 1));
  }
  return names;
}

result<void> mem_file_system::remove(const std::string& path) {
  std::lock_guard lock(mu_);
  if (live_.erase(path) == 0) return sys(ENOENT);
  return {};
}

result<void> mem_file_system::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  auto it = live_.find(from);
  if (it == live_.end()) return sys(ENOENT);
  auto n = it->second;
  live_.erase(it);
  live_[to] = std::move(n);
  return {};
}

result<void> mem_file_system::create_dirs(const std::string& dir) {
  std::lock_guard lock(mu_);
  // Directories are modelled as always durable; only file entries need sync_dir.
  for (std::string d = dir; !d.empty(); d = parent_of(d)) dirs_.insert(d);
  dirs_.insert("");
  return {};
}

result<void> mem_file_system::remove_tree(const std::string& dir) {
  std::lock_guard lock(mu_);
  auto under = [&dir](const std::string& path) {
    return path == dir ||
           (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
  };
  std::erase_if(live_, [&](const auto& entry) { return under(entry.first); });
  std::erase_if(dirs_, under);
  return {};
}

result<void> mem_file_system::sync_dir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(dir)) return sys(ENOENT);
  if (fail_syncs_) return sys(EIO);
  std::erase_if(durable_, [&](const auto& entry) { return parent_of(entry.first) == dir; });
  for (const auto& [path, n] : live_) {
    if (parent_of(path) == dir) durable_[path] = n;
  }
  return {};
}

result<std::unique_ptr<volume_sync>> mem_file_system::open_volume_sync(const std::string&) {
  return std::unique_ptr<volume_sync>(new mem_volume_sync(*this));
}

result<void> mem_file_system::sync_volume() {
  wait_while_held();
  std::lock_guard lock(mu_);
  if (fail_syncs_ || fail_volume_syncs_) return sys(EIO);
  for (const auto& [path, n] : live_) {
    std::lock_guard node_lock(n->mu);
    n->synced = n->data.size();
  }
  ++volume_syncs_;
  return {};
}

void mem_file_system::fail_volume_syncs(bool fail) {
  std::lock_guard lock(mu_);
  fail_volume_syncs_ = fail;
}

int mem_file_system::volume_syncs() const {
  std::lock_guard lock(mu_);
  return volume_syncs_;
}

bool mem_file_system::exists(const std::string& path) {
  std::lock_guard lock(mu_);
  return live_.count(path) != 0 || dirs_.count(path) != 0;
}

void mem_file_system::simulate_crash() {
  std::lock_guard lock(mu_);
  live_ = durable_;
  for (auto& [path, n] : live_) {
    std::lock_guard node_lock(n->mu);
    n->data.resize(n->synced);
  }
}

std::unique_ptr<mem_file_system> mem_file_system::crash_image(bool power_loss) const {
  auto image = std::make_unique<mem_file_system>();
  std::lock_guard lock(mu_);
  image->dirs_ = dirs_;
  for (const auto& [path, n] : power_loss ? durable_ : live_) {
    auto copy = std::make_shared<node>();
    {
      std::lock_guard node_lock(n->mu);
      copy->data = power_loss ? n->data.substr(0, n->synced) : n->data;
    }
    copy->synced = copy->data.size();
    image->live_[path] = copy;
    image->durable_[path] = copy;
  }
  return image;
}

void mem_file_system::fail_appends_after(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  append_budget_ = bytes;
}

void mem_file_system::fail_syncs(bool fail) {
  std::lock_guard lock(mu_);
  fail_syncs_ = fail;
}

void mem_file_system::hold_syncs() {
  std::lock_guard lock(mu_);
  holding_ = true;
}

void mem_file_system::release_syncs() {
  {
    std::lock_guard lock(mu_);
    holding_ = false;
  }
  held_cv_.notify_all();
}

int mem_file_system::syncs_waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

void mem_file_system::wait_while_held() {
  std::unique_lock lock(mu_);
  ++waiting_;
  held_cv_.wait(lock, [&] { return !holding_; });
  --waiting_;
}

void mem_file_system::clear_faults() {
  {
    std::lock_guard lock(mu_);
    append_budget_.reset();
    fail_syncs_ = false;
    fail_volume_syncs_ = false;
  }
  release_syncs();
}

std::uint64_t mem_file_system::admit_append(std::uint64_t want) {
  std::lock_guard lock(mu_);
  if (!append_budget_) return want;
  std::uint64_t admitted = std::min(want, *append_budget_);
  *append_budget_ -= admitted;
  return admitted;
}

bool mem_file_system::syncs_fail() const {
  std::lock_guard lock(mu_);
  return fail_syncs_;
}

std::string mem_file_system::contents(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return {};
  std::lock_guard node_lock(it->second->mu);
  return it->second->data;
}

void mem_file_system::set_contents(const std::string& path, std::string bytes) {
  std::lock_guard lock(mu_);
  auto& n = live_[path];
  if (!n) n = std::make_shared<node>();
  std::lock_guard node_lock(n->mu);
  n->data = std::move(bytes);
  n->synced = n->data.size();
}

}  // namespace spate::storage
