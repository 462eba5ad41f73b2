"""Type stubs of spate._core, the extension module (python/src). The classes users meet are
re-exported by the spate package: Client, Record, spate.testing.FakeStream."""

from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

__version__: str

class Record:
    sequence_number: str
    partition_key: str
    data: bytes
    shard_id: str
    arrival_ms: int
    sub_sequence_number: int
    aggregated: bool
    @property
    def approximate_arrival_timestamp(self) -> datetime: ...
    @property
    def explicit_hash_key(self) -> Optional[str]: ...
    def __init__(self, *, sequence_number: str, partition_key: str, data: bytes,
                 arrival_ms: int = ..., shard_id: str = ..., explicit_hash_key: Optional[str] = ...,
                 sub_sequence_number: int = ...) -> None: ...

class Client:
    def __init__(self, endpoint: Optional[str] = ..., region: Optional[str] = ...,
                 credentials: Optional[Tuple[str, str, str]] = ..., *,
                 connect_timeout: float = ..., request_timeout: float = ...,
                 max_attempts: int = ..., verify_tls: bool = ...,
                 ca_file: Optional[str] = ...) -> None: ...
    def add_tags_to_stream(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        tags: Dict[str,
        str] = ...,
    ) -> Dict[str, Any]: ...
    def create_stream(
        self,
        *,
        stream_name: str = ...,
        shard_count: Optional[int] = ...,
        mode: Optional[str] = ...,
        tags: Dict[str,
        str] = ...,
    ) -> Dict[str, Any]: ...
    def decrease_stream_retention_period(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        retention_period_hours: int = ...,
    ) -> Dict[str, Any]: ...
    def delete_resource_policy(self, *, resource_arn: str = ...) -> Dict[str, Any]: ...
    def delete_stream(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        enforce_consumer_deletion: bool = ...,
    ) -> Dict[str, Any]: ...
    def deregister_stream_consumer(
        self,
        *,
        stream_arn: str = ...,
        consumer_name: str = ...,
        consumer_arn: str = ...,
    ) -> Dict[str, Any]: ...
    def describe_account_settings(self) -> Dict[str, Any]: ...
    def describe_limits(self) -> Dict[str, Any]: ...
    def describe_stream(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        limit: Optional[int] = ...,
        exclusive_start_shard_id: str = ...,
    ) -> Dict[str, Any]: ...
    def describe_stream_consumer(
        self,
        *,
        stream_arn: str = ...,
        consumer_name: str = ...,
        consumer_arn: str = ...,
    ) -> Dict[str, Any]: ...
    def describe_stream_summary(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
    ) -> Dict[str, Any]: ...
    def disable_enhanced_monitoring(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        shard_level_metrics: List[str] = ...,
    ) -> Dict[str, Any]: ...
    def enable_enhanced_monitoring(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        shard_level_metrics: List[str] = ...,
    ) -> Dict[str, Any]: ...
    def get_records(
        self,
        *,
        shard_iterator: str = ...,
        limit: Optional[int] = ...,
        stream_arn: str = ...,
    ) -> Dict[str, Any]: ...
    def get_resource_policy(self, *, resource_arn: str = ...) -> Dict[str, Any]: ...
    def get_shard_iterator(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        shard_id: str = ...,
        position: Dict[str,
        Any] = ...,
    ) -> Dict[str, Any]: ...
    def increase_stream_retention_period(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        retention_period_hours: int = ...,
    ) -> Dict[str, Any]: ...
    def list_shards(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        next_token: str = ...,
        exclusive_start_shard_id: str = ...,
        max_results: Optional[int] = ...,
        stream_creation_timestamp_ms: int = ...,
        filter: Optional[Dict[str,
        Any]] = ...,
    ) -> Dict[str, Any]: ...
    def list_stream_consumers(
        self,
        *,
        stream_arn: str = ...,
        next_token: str = ...,
        max_results: Optional[int] = ...,
        stream_creation_timestamp_ms: int = ...,
    ) -> Dict[str, Any]: ...
    def list_streams(
        self,
        *,
        limit: Optional[int] = ...,
        exclusive_start_stream_name: str = ...,
        next_token: str = ...,
    ) -> Dict[str, Any]: ...
    def list_tags_for_resource(self, *, resource_arn: str = ...) -> Dict[str, Any]: ...
    def list_tags_for_stream(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        exclusive_start_tag_key: str = ...,
        limit: Optional[int] = ...,
    ) -> Dict[str, Any]: ...
    def merge_shards(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        shard_to_merge: str = ...,
        adjacent_shard_to_merge: str = ...,
    ) -> Dict[str, Any]: ...
    def put_record(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        partition_key: str = ...,
        data: bytes = ...,
        explicit_hash_key: str = ...,
        sequence_number_for_ordering: str = ...,
    ) -> Dict[str, Any]: ...
    def put_records(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        records: List[Dict[str,
        Any]] = ...,
    ) -> Dict[str, Any]: ...
    def put_resource_policy(
        self,
        *,
        resource_arn: str = ...,
        policy: str = ...,
    ) -> Dict[str, Any]: ...
    def register_stream_consumer(
        self,
        *,
        stream_arn: str = ...,
        consumer_name: str = ...,
    ) -> Dict[str, Any]: ...
    def remove_tags_from_stream(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        tag_keys: List[str] = ...,
    ) -> Dict[str, Any]: ...
    def split_shard(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        shard_to_split: str = ...,
        new_starting_hash_key: str = ...,
    ) -> Dict[str, Any]: ...
    def start_stream_encryption(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        encryption: str = ...,
        key_id: str = ...,
    ) -> Dict[str, Any]: ...
    def stop_stream_encryption(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        encryption: str = ...,
        key_id: str = ...,
    ) -> Dict[str, Any]: ...
    def tag_resource(
        self,
        *,
        resource_arn: str = ...,
        tags: Dict[str,
        str] = ...,
    ) -> Dict[str, Any]: ...
    def untag_resource(
        self,
        *,
        resource_arn: str = ...,
        tag_keys: List[str] = ...,
    ) -> Dict[str, Any]: ...
    def update_account_settings(
        self,
        *,
        minimum_throughput_billing_commitment: str = ...,
    ) -> Dict[str, Any]: ...
    def update_max_record_size(
        self,
        *,
        stream_arn: str = ...,
        max_record_size_kib: int = ...,
    ) -> Dict[str, Any]: ...
    def update_shard_count(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        target_shard_count: int = ...,
        scaling: str = ...,
    ) -> Dict[str, Any]: ...
    def update_stream_mode(self, *, stream_arn: str = ..., mode: str = ...) -> Dict[str, Any]: ...
    def update_stream_warm_throughput(
        self,
        *,
        stream_name: str = ...,
        stream_arn: str = ...,
        warm_throughput_mibps: int = ...,
    ) -> Dict[str, Any]: ...
    def subscribe_to_shard(self, consumer_arn: str, shard_id: str,
                           starting_position: Dict[str, Any],
                           on_event: Callable[[Dict[str, Any]], bool]) -> Dict[str, Any]: ...
    def describe_stream_all(self, *, stream_name: Optional[str] = ...,
                            stream_arn: Optional[str] = ...) -> Dict[str, Any]: ...

class FakeStream(Client):
    def __init__(self) -> None: ...
    def inject_call_failures(self, n: int, code: str = ..., message: str = ...) -> None: ...
    def inject_put_failures(self, partition_keys: List[str] = ..., every: int = ...) -> None: ...

class Checkpointer:
    def __init__(self, uri: str) -> None: ...
    def list(self, group: str) -> List[Dict[str, Any]]: ...
    def compare_and_set(self, group: str, lease: Dict[str, Any], expected_version: int) -> bool: ...
    def clear(self, group: str) -> None: ...

def group_key(application: str, stream_name: str) -> str: ...
def _end_abandoned_calls(timeout: float) -> int: ...

class ProducerCore:
    def __init__(self, client: Client, stream_name: Optional[str], stream_arn: Optional[str],
                 max_batch_records: int, max_batch_bytes: int, linger: float,
                 max_in_flight: int, max_queued_records: int, max_queued_bytes: int,
                 block: bool, record_ttl: float, ordered: bool, aggregate: bool) -> None: ...
    def put(self, partition_key: str, data: Any, explicit_hash_key: Optional[str], token: int,
            timeout: Optional[float]) -> None: ...
    def take_completions(self) -> List[Tuple[int, Optional[str], Optional[str], int, int,
                                             Optional[Exception]]]: ...
    def flush(self, timeout: Optional[float]) -> bool: ...
    def close(self, timeout: Optional[float]) -> None: ...
    def stats(self) -> Dict[str, int]: ...
    def fileno(self) -> int: ...

class ConsumerCore:
    worker_id: str
    def __init__(self, client: Client, application: str, stream_name: Optional[str],
                 stream_arn: Optional[str], worker_id: Optional[str], checkpointer: Any,
                 initial_position: Any, efo_consumer_arn: Optional[str],
                 max_records_per_call: int, idle_poll_interval: float,
                 checkpoint_every_records: int, checkpoint_interval: float,
                 lease_duration: float, shard_sync_interval: float, max_leases: int,
                 unreachable_timeout: float) -> None: ...
    def start(self) -> None: ...
    def next_batch(self, timeout: Optional[float]) -> Optional[Tuple[str, List[Record], int]]: ...
    def batch_done(self, failure: Optional[str] = ...) -> None: ...
    def ended(self) -> bool: ...
    def failure(self) -> Optional[Exception]: ...
    def stop(self) -> None: ...
    def stats(self) -> Dict[str, Any]: ...
    def fileno(self) -> int: ...
