"""The study report: survey exports in, codes paired, instruments scored from keys stored as data,
paired analysis, and a report (terminal tables, self-contained HTML, CSVs) that identifies nobody.

Modules, one job each: `errors` (user errors with file, row, column), `keys` (instrument keys),
`config` (the study's column mapping), `exports` (Qualtrics / REDCap / plain CSV), `scoring`,
`pairing`, `stats` (paired tests, effect sizes, Holm), `regression`, `build` (the whole study),
`text`, `plots`, `html`, `csvout`, `synthetic` (sample exports).
"""
