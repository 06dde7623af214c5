"""Plate detector training: synthetic scenes, a tiny CenterNet-style net, ONNX export."""
