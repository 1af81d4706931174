"""The cache: sealed, atomic, locked files, and the digests that key every stored artifact."""
