"""
Display helpers for amounts in won. Amounts are stored as integers; only these helpers turn
them into 억원 (10^8 won) in Korean or billions of won in English.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _

EOK = 10**8
BILLION = 10**9


def _scaled(won, unit, places=1):
    # Korean and English both group thousands with "," and use "." for decimals, so plain
    # formatting serves both; Django's localized number_format costs more on every amount.
    value = (Decimal(won) / unit).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        places = 0
    return f"{value:,.{places}f}"


def format_won(won):
    """9341억원 in Korean, "934.1 billion won" in English; an em dash for no amount."""
    if won is None:
        return "—"
    if (translation.get_language() or "ko").startswith("en"):
        return _("%(amount)s billion won") % {"amount": _scaled(won, BILLION)}
    return _("%(amount)s억원") % {"amount": _scaled(won, EOK)}


MILLION = 10**6


def format_usd(won, won_per_usd):
    """≈ US$698.6 million: an amount in won at a reference rate."""
    if won is None or not won_per_usd:
        return "—"
    dollars = Decimal(won) / Decimal(won_per_usd)
    if abs(dollars) >= BILLION:
        return _("≈ US$%(amount)s billion") % {"amount": _scaled(dollars, BILLION)}
    return _("≈ US$%(amount)s million") % {"amount": _scaled(dollars, MILLION)}
