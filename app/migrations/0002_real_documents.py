from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("groundwork", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="page_label",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
    ]
