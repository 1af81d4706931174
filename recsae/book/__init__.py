"""What only the book needs: the chapter runner, profiles, the paper's numbers, results, tables, plots."""
