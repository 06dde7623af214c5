"""A stand-in image provider for trying plate-service without the real upstream."""
