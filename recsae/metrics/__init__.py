"""Metrics: ranking accuracy, rank fidelity between two recommendation lists, monosemanticity,
and how a code matrix shares its work among latents."""
