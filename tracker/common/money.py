"""
Display helpers for amounts in won. Amounts are stored as integers; only these helpers turn
them into 억원 (10^8 won) in Korean or billions of won in English.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from tracker.common.i18n import english_active

MAN = 10**4  # 만
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
    if english_active():
        return _("%(amount)s billion won") % {"amount": _scaled(won, BILLION)}
    if abs(won) < JO:
        return _("%(amount)s억원") % {"amount": _scaled(won, EOK)}
    sign = "-" if won < 0 else ""
    jo, eok = divmod((abs(won) + EOK // 2) // EOK, JO // EOK)  # whole 억, rounded half up
    if not eok:
        return _("%(sign)s%(jo)s조원") % {"sign": sign, "jo": f"{jo:,}"}
    return _("%(sign)s%(jo)s조 %(eok)s억원") % {"sign": sign, "jo": f"{jo:,}", "eok": f"{eok:,}"}


def amount_format():
    """How format_won writes an amount under a trillion won in the active language, for scripts
    that write amounts as people type them: (the format with %(amount)s, won per unit)."""
    if english_active():
        return _("%(amount)s billion won"), BILLION
    return _("%(amount)s억원"), EOK


def format_millions(won):
    """An amount in millions of won (백만원), for tables whose heading states that unit."""
    if won is None:
        return "—"
    return _scaled(won, MILLION, places=0)


def format_usd(won, won_per_usd):
    """An amount in won in US dollars at a reference rate: "≈ US$698.6 million" in English,
    "약 6억 9,864만 달러" (in 만 dollars) in Korean."""
    if won is None or not won_per_usd:
        return "—"
    dollars = Decimal(won) / Decimal(won_per_usd)
    if not english_active():
        sign = "-" if dollars < 0 else ""
        if abs(dollars) < MAN:
            return _("약 %(sign)s%(dollars)s달러") % {"sign": sign, "dollars": _scaled(
                abs(dollars), 1, places=0)}
        eok, man = divmod(int(abs(dollars) / MAN + Decimal("0.5")), EOK // MAN)
        if not eok:
            return _("약 %(sign)s%(man)s만 달러") % {"sign": sign, "man": f"{man:,}"}
        if not man:
            return _("약 %(sign)s%(eok)s억 달러") % {"sign": sign, "eok": f"{eok:,}"}
        return _("약 %(sign)s%(eok)s억 %(man)s만 달러") % {
            "sign": sign, "eok": f"{eok:,}", "man": f"{man:,}"}
    if abs(dollars) < MILLION:
        return _("≈ US$%(amount)s") % {"amount": _scaled(dollars, 1, places=0)}
    if abs(dollars) >= BILLION:
        return _("≈ US$%(amount)s billion") % {"amount": _scaled(dollars, BILLION)}
    return _("≈ US$%(amount)s million") % {"amount": _scaled(dollars, MILLION)}
