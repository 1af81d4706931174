"""recsae: sparse autoencoders on the embeddings of frozen two-tower recommenders."""

__version__ = "0.1.0"
