// private_file: writing a file that holds a secret (the server key, a TLS private key) so that
// nobody can redirect or read it: the bytes go to a new temporary file in the target's own
// directory, created exclusively (mkstemp: O_CREAT|O_EXCL, so a planted name or symlink makes
// it fail instead of being followed) with mode 0600 from the start, synced, then renamed over
// the target (rename replaces a symlink at the target, never writes through it) and the
// directory synced. A crash leaves the old file or the new one, never a mix.
//
// Thread safety: a free function; concurrent writers of one path leave one of their files.
#pragma once

#include "common/result.h"

#include <string>
#include <string_view>
#include <sys/types.h>

namespace spate {

// Replaces `path` with `contents`, the file's mode `mode` (0600 for secrets; 0644 for a
// certificate others may read).
result<void> write_private_file(const std::string& path, std::string_view contents,
                                mode_t mode = 0600);

}  // namespace spate
