"""recsae: sparse autoencoders on the embeddings of frozen two-tower recommenders."""

from recsae.training.determinism import pin_cpu_arithmetic

__version__ = "0.1.0"

pin_cpu_arithmetic()
