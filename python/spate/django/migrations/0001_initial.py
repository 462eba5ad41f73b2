from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("stream", models.CharField(max_length=128)),
                ("application", models.CharField(max_length=255)),
                ("shard_id", models.CharField(max_length=128)),
                ("parent_shard_ids", models.JSONField(default=list)),
                ("checkpoint", models.CharField(blank=True, default="", max_length=128)),
                ("owner", models.CharField(blank=True, default="", max_length=255)),
                ("pending_owner", models.CharField(blank=True, default="", max_length=255)),
                ("renewed_ms", models.BigIntegerField(default=0)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"ordering": ["stream", "application", "shard_id"]},
        ),
        migrations.AddConstraint(
            model_name="checkpoint",
            constraint=models.UniqueConstraint(fields=("stream", "application", "shard_id"),
                                               name="spate_checkpoint_one_row_per_shard"),
        ),
    ]
