# Dates as Korean public documents write them: 2024년 12월 31일, and 2024. 12. 31. in tables.
DATE_FORMAT = "Y년 n월 j일"
SHORT_DATE_FORMAT = "Y. n. j."
DATETIME_FORMAT = "Y년 n월 j일 H:i"
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
MONTH_DAY_FORMAT = "n월 j일"
YEAR_MONTH_FORMAT = "Y년 n월"
# What a date field accepts: the ISO form the date pickers write (first, so that they keep
# writing it), the forms the pages show (2024. 12. 31., 2024년 12월 31일), with or without the
# spaces and the last dot, and the English pages' (31 Dec 2024), for whoever copies one.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d", "%Y. %m. %d.", "%Y. %m. %d", "%Y.%m.%d.", "%Y.%m.%d", "%Y년 %m월 %d일",
    "%Y/%m/%d", "%d %b %Y", "%d %B %Y",
]
