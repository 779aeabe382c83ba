"""Live tally counters on the evaluation round, filled in from the ballots already cast."""

from typing import Any

from django.db import migrations, models
from django.db.models import Count


def count_existing_ballots(apps: Any, schema_editor: Any) -> None:
    EvaluationRound = apps.get_model("deliberation", "EvaluationRound")
    EvaluationBallot = apps.get_model("deliberation", "EvaluationBallot")
    counts: dict[int, dict[str, int]] = {}
    for round_id, choice, n in (
        EvaluationBallot.objects.values_list("round_id", "choice")
        .annotate(n=Count("id"))
        .values_list("round_id", "choice", "n")
    ):
        counts.setdefault(round_id, {})[f"{choice}_count"] = n
    for round_id, fields in counts.items():
        EvaluationRound.objects.filter(pk=round_id).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0003_budget_ballots"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationround",
            name="basically_satisfied_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="evaluationround",
            name="dissatisfied_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="evaluationround",
            name="satisfied_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_existing_ballots, migrations.RunPython.noop),
    ]
