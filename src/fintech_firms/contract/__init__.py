"""The output tables of data contract §4, declared once: `tables.py` (each table's columns in order, their
types, meanings, nullability, grain and row order; the writer checks every frame against it) and `doc.py`
(the tables of docs/data-contract.md §4, generated from it)."""
