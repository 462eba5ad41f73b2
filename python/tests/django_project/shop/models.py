from django.db import models


class Order(models.Model):
    """What the test handler writes for each record it receives."""

    data = models.CharField(max_length=64, unique=True)
    shard_id = models.CharField(max_length=128)
