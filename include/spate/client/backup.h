// backup: spated's GET /v1/backup, which is not a Kinesis action: a consistent copy of the
// server's data directory (every stream's records, sequence numbers, shard lineage, tags,
// consumers and settings) as a POSIX tar archive, streamed as it is read. Unpacked, the
// archive is a data directory that `spated --data-dir DIR` serves as it was. AWS Kinesis has no
// such call; against it this fails (403 or 404).
#pragma once

#include <spate/client/error.h>
#include <spate/client/options.h>

#include <functional>
#include <string_view>

namespace spate::client {

// Receives the archive's bytes in order as they arrive; returns false to stop reading.
using backup_sink = std::function<bool(std::string_view bytes)>;

// Asks the server in `options` for a backup (signed with SigV4 like any call) and passes the
// archive to `sink`. Connection failures before the first byte are retried as
// options.retry says; a failure once bytes have arrived ends the call (the archive is then
// incomplete: it lacks the two zero blocks that end a tar archive).
outcome<void> download_backup(client_options options, const backup_sink& sink);

}  // namespace spate::client
