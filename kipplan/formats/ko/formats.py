# Dates as Korean public documents write them: 2024년 12월 31일, and 2024. 12. 31. in tables.
DATE_FORMAT = "Y년 n월 j일"
SHORT_DATE_FORMAT = "Y. n. j."
DATETIME_FORMAT = "Y년 n월 j일 H:i"
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
MONTH_DAY_FORMAT = "n월 j일"
YEAR_MONTH_FORMAT = "Y년 n월"
