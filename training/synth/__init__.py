"""Synthetic GOST R 50577 plate images with known text, for training the OCR model."""
