from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SessionMirror",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("agent_id", models.CharField(max_length=64)),
                ("key", models.CharField(max_length=255, unique=True)),
                ("session_id", models.CharField(blank=True, max_length=64)),
                ("label", models.CharField(blank=True, max_length=255)),
                ("status", models.CharField(blank=True, choices=[("running", "Running"), ("done", "Done"), ("failed", "Failed"), ("killed", "Stopped"), ("timeout", "Timed out")], max_length=16, null=True)),
                ("started_at", models.DateTimeField(null=True)),
                ("ended_at", models.DateTimeField(null=True)),
                ("aborted_last_run", models.BooleanField(default=False)),
                ("synced_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "indexes": [models.Index(fields=["status"], name="board_sessi_status_5c2e1a_idx")],
            },
        ),
        migrations.CreateModel(
            name="ExportJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("state", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")], default="queued", max_length=16)),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(null=True)),
                ("session", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="exports", to="board.sessionmirror")),
            ],
        ),
    ]
