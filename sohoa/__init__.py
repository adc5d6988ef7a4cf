"""sohoa: OCR-assisted digitisation of Vietnamese civil-status registers for the 158 import."""

__version__ = "0.1.0"
