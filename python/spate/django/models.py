"""Checkpoint: one row per (stream, application, shard), the lease and checkpoint a consumer
group keeps for the shard (see spate.checkpointers for the fields' meaning)."""

from django.db import models


class Checkpoint(models.Model):
    stream = models.CharField(max_length=128)
    application = models.CharField(max_length=255)
    shard_id = models.CharField(max_length=128)
    parent_shard_ids = models.JSONField(default=list)
    checkpoint = models.CharField(max_length=128, blank=True, default="")
    owner = models.CharField(max_length=255, blank=True, default="")
    pending_owner = models.CharField(max_length=255, blank=True, default="")
    renewed_ms = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        app_label = "spate"
        constraints = [models.UniqueConstraint(fields=["stream", "application", "shard_id"],
                                               name="spate_checkpoint_one_row_per_shard")]
        ordering = ["stream", "application", "shard_id"]

    def __str__(self):
        return f"{self.application}/{self.stream}/{self.shard_id} at {self.checkpoint or '-'}"
