"""Metrics: ranking accuracy, rank fidelity between two recommendation lists, monosemanticity."""
