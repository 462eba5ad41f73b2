"""The record handler `manage.py spate_consume` runs in the tests."""
from .models import Order


def store_order(record):
    Order.objects.create(data=record.data.decode(), shard_id=record.shard_id)
