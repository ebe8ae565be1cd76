from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """A command whose ``help`` is translated (gettext_lazy) into the active language."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)  # argparse wants text, not a lazy string
        return super().create_parser(prog_name, subcommand, **kwargs)
