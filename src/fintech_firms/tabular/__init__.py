"""Reading tabular files: CSV in any of the encodings real exports use, and .xlsx (calamine fast path,
openpyxl reference path). Knows nothing of firms or patents: headers are mapped by the caller's aliases."""
