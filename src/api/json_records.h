// json_records: the JSON text of a page of records, for the two paths that send records by
// the thousand: GetRecords answers and SubscribeToShard events (the Kinesis shape), and the
// WebSocket feed (its own shape, websocket_feed.h).
//
// The bytes are exactly what the token encoder writes for the same page (json_records_test.cc
// compares the two on random pages), at a fraction of the cost: a record's length is worked
// out first, then it is written in place with one resize, instead of ten virtual calls that
// each grow the string. The sequence number's digits, the base64 data and the partition key
// go straight into the answer, and the arrival time's text is formatted once per run of
// records that share it (a PutRecords batch does).
#pragma once

#include "engine/types.h"

#include <string>

namespace spate::api {

// [{"SequenceNumber":"…","ApproximateArrivalTimestamp":…,"Data":"…","PartitionKey":"…"},…]
// appended to `out`: the Records list of GetRecords and of a SubscribeToShard event.
void append_kinesis_records_json(const engine::records_page& page, std::string& out);

// [{"sequenceNumber":"…","partitionKey":"…","data":"…","arrival":…},…] appended to `out`: the
// records of a WebSocket feed message (arrival in epoch milliseconds).
void append_feed_records_json(const engine::records_page& page, std::string& out);

}  // namespace spate::api
