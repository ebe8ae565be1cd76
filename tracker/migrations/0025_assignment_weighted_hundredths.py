"""Each assignment's Σ score × weight is kept in hundredths, a whole number, so that the panel
means are reckoned in whole numbers on every database (tracker.models.panel_cents), and the
index by unit holds the totals, so that the evaluation page groups them from the index alone."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Cast, Round


def to_hundredths(apps, schema_editor):
    Assignment = apps.get_model("tracker", "Assignment")
    Assignment.objects.update(weighted_hundredths=Cast(Round(F("weighted_total") * 100),
                                                       models.BigIntegerField()))


def to_decimal(apps, schema_editor):
    Assignment = apps.get_model("tracker", "Assignment")
    Assignment.objects.update(weighted_total=F("weighted_hundredths") * Decimal("0.01"))


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0024_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="weighted_hundredths",
            field=models.PositiveBigIntegerField(default=0, editable=False,
                                                 verbose_name="weighted total (hundredths)"),
        ),
        migrations.RunPython(to_hundredths, to_decimal, elidable=True),
        migrations.RemoveIndex(
            model_name="assignment",
            name="assignment_round_unit_idx",
        ),
        migrations.RemoveField(
            model_name="assignment",
            name="weighted_total",
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(fields=["round", "task", "agency", "weighted_hundredths",
                                       "weight_total"], name="assignment_round_unit_idx"),
        ),
    ]
