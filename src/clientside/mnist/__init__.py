"""The MNIST demo: data sources and the training recipe."""
