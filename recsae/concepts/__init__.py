"""Concepts: what each SAE neuron means, read off the items and users it fires for, and baselines."""
