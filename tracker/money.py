"""
Display helpers for amounts in won. Amounts are stored as integers; only these helpers turn
them into 억원 (10^8 won) in Korean or billions of won in English.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _

EOK = 10**8  # 억
JO = 10**12  # 조
MILLION = 10**6  # 백만
BILLION = 10**9


def _scaled(won, unit, places=1):
    # Korean and English both group thousands with "," and use "." for decimals, so plain
    # formatting serves both; Django's localized number_format costs more on every amount.
    value = (Decimal(won) / unit).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        places = 0
    return f"{value:,.{places}f}"


def format_won(won):
    """Korean: 9,341억원, and with 조 from a trillion won (1조 2,345억원); English: "934.1
    billion won". An em dash for no amount."""
    if won is None:
        return "—"
    if (translation.get_language() or "ko").startswith("en"):
        return _("%(amount)s billion won") % {"amount": _scaled(won, BILLION)}
    if abs(won) < JO:
        return _("%(amount)s억원") % {"amount": _scaled(won, EOK)}
    sign = "-" if won < 0 else ""
    jo, eok = divmod((abs(won) + EOK // 2) // EOK, JO // EOK)  # whole 억, rounded half up
    if not eok:
        return _("%(sign)s%(jo)s조원") % {"sign": sign, "jo": f"{jo:,}"}
    return _("%(sign)s%(jo)s조 %(eok)s억원") % {"sign": sign, "jo": f"{jo:,}", "eok": f"{eok:,}"}


def format_millions(won):
    """An amount in millions of won (백만원), for tables whose heading states that unit."""
    if won is None:
        return "—"
    return _scaled(won, MILLION, places=0)


def format_usd(won, won_per_usd):
    """≈ US$698.6 million: an amount in won at a reference rate."""
    if won is None or not won_per_usd:
        return "—"
    dollars = Decimal(won) / Decimal(won_per_usd)
    if abs(dollars) >= BILLION:
        return _("≈ US$%(amount)s billion") % {"amount": _scaled(dollars, BILLION)}
    return _("≈ US$%(amount)s million") % {"amount": _scaled(dollars, MILLION)}
