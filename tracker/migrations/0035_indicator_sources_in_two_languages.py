from django.db import migrations, models


class Migration(migrations.Migration):
    """An outcome indicator's and its figures' sources in each language apart (the report's
    files read one language each): the source kept is the Korean one, an English one is added
    beside it (the demo's mixed sources are split by `loaddata demo`)."""

    dependencies = [
        ("tracker", "0034_council_meetings"),
    ]

    operations = [
        migrations.RenameField(model_name="indicator", old_name="source", new_name="source_ko"),
        migrations.AlterField(model_name="indicator", name="source_ko",
                              field=models.TextField(verbose_name="source (Korean)")),
        migrations.AddField(model_name="indicator", name="source_en",
                            field=models.TextField(blank=True, verbose_name="source (English)")),
        migrations.RenameField(model_name="indicatorvalue", old_name="source",
                               new_name="source_ko"),
        migrations.AlterField(model_name="indicatorvalue", name="source_ko",
                              field=models.TextField(blank=True,
                                                     verbose_name="source (Korean)")),
        migrations.AddField(model_name="indicatorvalue", name="source_en",
                            field=models.TextField(blank=True, verbose_name="source (English)")),
    ]
