"""Handwriting recognition models: charset, CRNN network, CTC decoding, training, registry.

Nothing heavy is imported here; torch is loaded by the modules that need it.
"""
