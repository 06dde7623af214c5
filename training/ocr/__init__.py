"""The OCR recogniser: dataset, model, training loop and ONNX export (torch lives here)."""
