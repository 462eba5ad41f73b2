// web_assets: the dashboard's files (web/), compiled into the binary by web/embed.cmake: each
// with the URL path it is served at, its content type and an ETag for conditional requests.
#pragma once

#include <span>
#include <string_view>

namespace spate::server {

struct web_asset {
  std::string_view path;  // "/", "/assets/app.js", ...
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // quoted, as sent
};

std::span<const web_asset> web_assets();

}  // namespace spate::server
