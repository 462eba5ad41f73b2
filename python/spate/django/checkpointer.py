"""DjangoCheckpointer: leases and checkpoints in the Checkpoint model, with compare-and-set
done by the database (an UPDATE ... WHERE version = expected, or an INSERT the unique
constraint lets only one worker win), so two workers never both advance a shard."""

from django.db import IntegrityError, close_old_connections, transaction

from ..checkpointers import Checkpointer
from .models import Checkpoint

_FIELDS = ("parent_shard_ids", "checkpoint", "owner", "pending_owner", "renewed_ms")


def _split(group):
    application, _, stream = group.rpartition("/")
    return application, stream


class DjangoCheckpointer(Checkpointer):
    """DjangoCheckpointer(using="default"): the database alias to keep rows in."""

    def __init__(self, using="default"):
        self.using = using

    def _rows(self, group):
        application, stream = _split(group)
        return Checkpoint.objects.using(self.using).filter(application=application,
                                                           stream=stream)

    def list(self, group):
        # Called on every pass of the consumer's coordinator: a connection the database
        # dropped, or older than CONN_MAX_AGE, is replaced here rather than failing forever.
        close_old_connections()
        return [{"shard_id": row.shard_id, "parent_shard_ids": list(row.parent_shard_ids),
                 "checkpoint": row.checkpoint, "owner": row.owner,
                 "pending_owner": row.pending_owner, "renewed_ms": row.renewed_ms,
                 "version": row.version}
                for row in self._rows(group).order_by("shard_id")]

    def compare_and_set(self, group, lease, expected_version):
        values = {field: lease.get(field) or ([] if field == "parent_shard_ids" else
                                              0 if field == "renewed_ms" else "")
                  for field in _FIELDS}
        if expected_version == 0:
            application, stream = _split(group)
            try:
                with transaction.atomic(using=self.using):
                    Checkpoint.objects.using(self.using).create(
                        application=application, stream=stream, shard_id=lease["shard_id"],
                        version=1, **values)
                return True
            except IntegrityError:
                return False
        updated = self._rows(group).filter(shard_id=lease["shard_id"],
                                           version=expected_version).update(
            version=expected_version + 1, **values)
        return updated == 1

    def clear(self, group):
        self._rows(group).delete()
