"""Evaluation: a trained recommender against held-out interactions, an SAE against its recommender."""
