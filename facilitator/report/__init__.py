"""The study report: survey exports in, codes paired, instruments scored from keys stored as data,
paired analysis, and a report (terminal tables, self-contained HTML, CSVs) that identifies nobody.

Modules, one job each: `errors` (user errors with file, row, column), `keys` (instrument keys,
`keys/*.yaml`), `config` (the study's `report.yaml`), `exports` (Qualtrics / REDCap / plain CSV),
`scoring`, `pairing`, `stats` (paired tests, effect sizes, Holm, descriptives), `regression`,
`build` (the whole study, small cells withheld), `tables` (rows shared by the renderers), `text`,
`plots` (SVG), `html`, `csvout`, `output` (the files), `synthetic` (sample exports).
"""
