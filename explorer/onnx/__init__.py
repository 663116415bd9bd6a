"""ONNX in and out: anyone's autoencoder imported from two ONNX files (checked as data first), run
behind our model API and in the browser, and our bundles exported for other tools."""
