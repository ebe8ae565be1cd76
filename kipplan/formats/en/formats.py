# Dates as international readers of a Korean plan expect them: 31 Dec 2024, never 12/31/2024.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# What a date field accepts: the ISO form the date pickers write (first, so that they keep
# writing it), the forms the pages show (31 Dec 2024, 31 December 2024), and the Korean pages'
# (2024. 12. 31.), for whoever copies one.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%Y. %m. %d.", "%Y. %m. %d", "%Y.%m.%d.", "%Y.%m.%d",
    "%Y년 %m월 %d일", "%Y/%m/%d",
]
