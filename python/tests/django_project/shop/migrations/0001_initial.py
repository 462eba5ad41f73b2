from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("data", models.CharField(max_length=64, unique=True)),
                ("shard_id", models.CharField(max_length=128)),
            ],
        ),
    ]
