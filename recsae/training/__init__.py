"""Training: the frozen recommenders, the SAEs against them, and the compiled steps both use."""
