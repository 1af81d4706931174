"""The data: find and verify the archives, parse them, hold the interactions, split them, sample negatives."""
