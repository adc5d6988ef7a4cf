"""Export to the Ministry of Justice's 158 import: one Excel per book and register type, one
PDF per entry (the entry's image), a ZIP and a manifest per book.

Modules: ``values`` (158 value formatting shared with validation), ``excel`` (workbooks),
``pdf`` (per-entry PDFs), ``naming`` (safe, unique file names), ``bundle`` (ZIP + manifest),
``run`` (the export of a workspace: selection, validation, status changes).
"""
