// The AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis) against spated, with the SDK's
// default transport: NodeHttp2Handler, so HTTP/2 for every operation (h2c with prior knowledge
// on an http:// endpoint, h2 by ALPN on https://). Nothing is configured but the endpoint,
// region and credentials, as a user would.
//
// Usage: node kinesis_sdk_v3.cjs ENDPOINT STREAM_NAME
// (NODE_PATH names the folder the SDK is installed in; NODE_EXTRA_CA_CERTS the certificate to
// trust for https.) Prints one JSON line of what it saw; exits non-zero on the first failure.
"use strict";

const assert = require("node:assert/strict");
const {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordCommand,
  PutRecordsCommand,
  ListShardsCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
  AddTagsToStreamCommand,
  ListTagsForStreamCommand,
  SplitShardCommand,
  RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  ListStreamConsumersCommand,
  SubscribeToShardCommand,
  DeregisterStreamConsumerCommand,
  DeleteStreamCommand,
  ResourceNotFoundException,
} = require("@aws-sdk/client-kinesis");

const [endpoint, streamName] = process.argv.slice(2);
if (!endpoint || !streamName) {
  console.error("usage: node kinesis_sdk_v3.cjs ENDPOINT STREAM_NAME");
  process.exit(2);
}

const client = new KinesisClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "spate", secretAccessKey: "spate" },
  maxAttempts: 1,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (bytes) => Buffer.from(bytes).toString("utf8");

async function waitActive() {
  for (let i = 0; i < 100; i++) {
    const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (s.StreamDescriptionSummary.StreamStatus === "ACTIVE") return s.StreamDescriptionSummary;
    await sleep(50);
  }
  throw new Error("stream never became ACTIVE");
}

async function readShard(shardId) {
  const it = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: "TRIM_HORIZON",
    }),
  );
  const got = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
  return got.Records;
}

async function main() {
  const seen = {};
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
  const summary = await waitActive();
  assert.equal(summary.OpenShardCount, 2);
  assert.ok(summary.StreamCreationTimestamp instanceof Date);

  const one = await client.send(
    new PutRecordCommand({ StreamName: streamName, PartitionKey: "k0", Data: Buffer.from("r0") }),
  );
  assert.match(one.SequenceNumber, /^[0-9]+$/);
  const many = await client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: Array.from({ length: 20 }, (_, i) => ({
        PartitionKey: `k${i + 1}`,
        Data: Buffer.from(`r${i + 1}`),
      })),
    }),
  );
  assert.equal(many.FailedRecordCount, 0);
  assert.equal(many.Records.length, 20);

  const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards;
  assert.equal(shards.length, 2);
  const records = [];
  for (const shard of shards) records.push(...(await readShard(shard.ShardId)));
  assert.equal(records.length, 21);
  assert.deepEqual(
    records.map((r) => text(r.Data)).sort(),
    Array.from({ length: 21 }, (_, i) => `r${i}`).sort(),
  );
  assert.ok(records[0].ApproximateArrivalTimestamp instanceof Date);
  seen.records = records.length;

  // Many requests at once share the one HTTP/2 connection as concurrent streams.
  const parallel = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      client.send(
        new PutRecordCommand({
          StreamName: streamName,
          PartitionKey: `p${i}`,
          Data: Buffer.from(`parallel-${i}`),
        }),
      ),
    ),
  );
  assert.equal(new Set(parallel.map((p) => p.SequenceNumber)).size, 50);

  await client.send(new AddTagsToStreamCommand({ StreamName: streamName, Tags: { team: "js" } }));
  const tags = await client.send(new ListTagsForStreamCommand({ StreamName: streamName }));
  assert.deepEqual(tags.Tags, [{ Key: "team", Value: "js" }]);

  const parent = shards[0];
  const lo = BigInt(parent.HashKeyRange.StartingHashKey);
  const hi = BigInt(parent.HashKeyRange.EndingHashKey);
  await client.send(
    new SplitShardCommand({
      StreamName: streamName,
      ShardToSplit: parent.ShardId,
      NewStartingHashKey: ((lo + hi) / 2n).toString(),
    }),
  );
  await waitActive();
  const after = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards;
  assert.equal(after.length, 4);
  assert.equal(after.filter((s) => s.ParentShardId === parent.ShardId).length, 2);

  const streamARN = summary.StreamARN;
  const registered = await client.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "js-consumer" }),
  );
  const consumerARN = registered.Consumer.ConsumerARN;
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerARN }));
    if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") break;
    await sleep(50);
  }
  const listed = await client.send(new ListStreamConsumersCommand({ StreamARN: streamARN }));
  assert.equal(listed.Consumers.length, 1);

  // SubscribeToShard: the event stream as a long-lived HTTP/2 stream. The second shard is
  // still open; its records from TRIM_HORIZON arrive first, then one put while subscribed.
  const open = shards[1];
  const sub = await client.send(
    new SubscribeToShardCommand({
      ConsumerARN: consumerARN,
      ShardId: open.ShardId,
      StartingPosition: { Type: "TRIM_HORIZON" },
    }),
  );
  const expected = (await readShard(open.ShardId)).map((r) => text(r.Data));
  const pushed = [];
  let putLive = false;
  for await (const event of sub.EventStream) {
    if (!event.SubscribeToShardEvent) continue;
    for (const r of event.SubscribeToShardEvent.Records) pushed.push(text(r.Data));
    if (!putLive && pushed.length >= expected.length) {
      putLive = true;
      // A key whose hash falls in the open shard: reuse one already there.
      const key = (await readShard(open.ShardId))[0].PartitionKey;
      await client.send(
        new PutRecordCommand({ StreamName: streamName, PartitionKey: key, Data: Buffer.from("live") }),
      );
    }
    if (pushed.includes("live")) break;
  }
  assert.deepEqual(pushed.slice(0, expected.length), expected);
  seen.pushed = pushed.length;

  await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerARN }));
  await client.send(
    new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }),
  );
  await assert.rejects(
    () => client.send(new DescribeStreamSummaryCommand({ StreamName: "no-such-stream" })),
    (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 400,
  );
  client.destroy();
  console.log(JSON.stringify({ ok: true, ...seen }));
}

main().catch((e) => {
  console.error(`FAILED: ${e.name}: ${e.message}`);
  console.error(e.stack);
  client.destroy();
  process.exit(1);
});
