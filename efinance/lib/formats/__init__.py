"""Dates and times as the customers write them, one module per language (`FORMAT_MODULE_PATH`).

Swiss German, French, Italian and English all write a day as 19.12.2026 and a time as 17:41 (CLDR's
de-CH, fr-CH, it-CH and en-CH), so every language here says the same; Django's own modules keep the
rest (numbers, input formats). `efinance.lib.when` formats through these, and so does the support
admin's every date column."""
