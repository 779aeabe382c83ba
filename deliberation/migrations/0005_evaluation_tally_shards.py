"""The live tally in parts (``EvaluationTallyShard``) instead of three counters on the round, so
that ballots cast at the same moment do not queue on the round's row. Each round's counters
become its part 0."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def counters_to_part_zero(apps: Any, schema_editor: Any) -> None:
    EvaluationRound = apps.get_model("deliberation", "EvaluationRound")
    EvaluationTallyShard = apps.get_model("deliberation", "EvaluationTallyShard")
    EvaluationTallyShard.objects.bulk_create(
        EvaluationTallyShard(
            round_id=rnd.pk,
            shard=0,
            satisfied=rnd.satisfied_count,
            basically_satisfied=rnd.basically_satisfied_count,
            dissatisfied=rnd.dissatisfied_count,
        )
        for rnd in EvaluationRound.objects.all()
    )


def parts_to_counters(apps: Any, schema_editor: Any) -> None:
    EvaluationRound = apps.get_model("deliberation", "EvaluationRound")
    EvaluationTallyShard = apps.get_model("deliberation", "EvaluationTallyShard")
    for rnd in EvaluationRound.objects.all():
        parts = EvaluationTallyShard.objects.filter(round_id=rnd.pk).aggregate(
            s=models.Sum("satisfied"),
            b=models.Sum("basically_satisfied"),
            d=models.Sum("dissatisfied"),
        )
        rnd.satisfied_count = parts["s"] or 0
        rnd.basically_satisfied_count = parts["b"] or 0
        rnd.dissatisfied_count = parts["d"] or 0
        rnd.save(
            update_fields=["satisfied_count", "basically_satisfied_count", "dissatisfied_count"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0004_evaluation_tally_counters"),
    ]

    operations = [
        migrations.CreateModel(
            name="EvaluationTallyShard",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("shard", models.PositiveSmallIntegerField()),
                ("satisfied", models.PositiveIntegerField(default=0)),
                ("basically_satisfied", models.PositiveIntegerField(default=0)),
                ("dissatisfied", models.PositiveIntegerField(default=0)),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tally_shards",
                        to="deliberation.evaluationround",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("round", "shard"), name="evaluation_tally_shard")
                ],
            },
        ),
        migrations.RunPython(counters_to_part_zero, parts_to_counters),
        migrations.RemoveField(model_name="evaluationround", name="basically_satisfied_count"),
        migrations.RemoveField(model_name="evaluationround", name="dissatisfied_count"),
        migrations.RemoveField(model_name="evaluationround", name="satisfied_count"),
    ]
