import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [
        migrations.CreateModel(
            name="FlagMember",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("start_date", models.DateField()),
                ("end_date", models.DateField()),
                ("created_at", models.DateTimeField()),
                ("flag", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="members", to="waffle.flag")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="flags", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
