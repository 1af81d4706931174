"""``python -m recsae.book``: execute the chapters and build the book (``recsae.book.runner``)."""

from recsae.book.runner import main

main()
