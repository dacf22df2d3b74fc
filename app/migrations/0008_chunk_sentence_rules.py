from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("groundwork", "0007_chunk_sentence_embeddings"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="sentence_rules",
            field=models.PositiveSmallIntegerField(default=1),
        ),
    ]
