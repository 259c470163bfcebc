"""AS9102 forms for people outside the plant: one plain report, then renderers.

- :mod:`report`: Forms 1, 2 and 3 of an FAI as numbered fields in plain text (Rev C or Rev B
  numbering), with signature manifestations; no layout in it.
- :mod:`xlsx` and :mod:`pdf`: that report as a workbook and as a paginated PDF.
- :mod:`package`: the submission package (zip), its manifest and its verification.

Our own layout carrying the standard's field numbers and names; never the SAE form itself.
"""
