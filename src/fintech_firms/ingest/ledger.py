"""Where every input row went: kept, merged as a duplicate, blank, or quarantined with a reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from ..contract.tables import TABLES
from ..tabular.reader import ROW, RawTable

QUARANTINE_SCHEMA = TABLES["quarantine"].schema
CELL_ISSUE_SCHEMA = TABLES["cell_issues"].schema


@dataclass
class FileAccount:
    source: str
    encoding: str
    rows_read: int
    blank_rows: int
    kept: int = 0
    merged_duplicates: int = 0
    quarantined: Counter = field(default_factory=Counter)

    @property
    def accounted(self) -> bool:
        total = self.blank_rows + self.kept + self.merged_duplicates + sum(self.quarantined.values())
        return total == self.rows_read

    def as_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "blank_rows": self.blank_rows,
            "kept": self.kept,
            "merged_duplicates": self.merged_duplicates,
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(sorted(self.quarantined.items())),
            "accounted": self.accounted,
        }


class Ledger:
    def __init__(self) -> None:
        self.files: dict[str, FileAccount] = {}
        self._quarantine: list[pl.DataFrame] = []
        self._cell_issues: list[pl.DataFrame] = []
        self.cell_issue_counts: Counter = Counter()

    def open(self, table: RawTable) -> FileAccount:
        account = FileAccount(table.source, table.encoding, 0, 0)
        if table.provided:
            self.files[table.source] = account
        self.read_more(account, table)
        return account

    def read_more(self, account: FileAccount, table: RawTable) -> None:
        """Count the rows of `table`, a chunk of the file that `account` was opened with, as read (blank
        or not), and set aside the ones the reader rejected (tabular.reader.read_chunks)."""
        account.rows_read += table.rows_read
        account.blank_rows += table.blank_rows
        if table.rejected:
            self._quarantine.append(pl.DataFrame(
                {
                    "source": [table.source] * len(table.rejected),
                    "row": [r.row for r in table.rejected],
                    "reason": [r.reason for r in table.rejected],
                    "record": [r.record for r in table.rejected],
                },
                schema=QUARANTINE_SCHEMA,
            ))
            account.quarantined.update(r.reason for r in table.rejected)

    def read_chunk(self, account: FileAccount | None, table: RawTable) -> FileAccount:
        """The file's account with `table`, the next of its chunks, counted: opened on the first chunk
        (`account` None), read_more on the others."""
        if account is None:
            return self.open(table)
        self.read_more(account, table)
        return account

    def absorb(self, other: Ledger) -> None:
        """Take over what `other` recorded: a file worked on in a ledger of its own, so that its
        records can be dropped if the work on it starts over (see tabular.reader.NotStreamed)."""
        self.files.update(other.files)
        self._quarantine += other._quarantine
        self._cell_issues += other._cell_issues
        self.cell_issue_counts.update(other.cell_issue_counts)

    def quarantine(self, table: RawTable, rows: pl.DataFrame, reason_column: str = "_reason") -> None:
        """Set aside `rows` (a slice of table.frame with a reason column)."""
        if rows.is_empty():
            return
        frame = pl.DataFrame(
            {
                "source": [table.source] * rows.height,
                "row": rows[ROW],
                "reason": rows[reason_column],
                "record": table.records(rows),
            },
            schema=QUARANTINE_SCHEMA,
        )
        self._quarantine.append(frame)
        self.files[table.source].quarantined.update(rows[reason_column].to_list())

    def cell_issues(self, source: str, column: str, rows: pl.DataFrame, reason_column: str) -> None:
        """Record values of the file `source` that were unusable and read as blank; the row itself is
        kept."""
        if rows.is_empty():
            return
        self._cell_issues.append(pl.DataFrame(
            {
                "source": [source] * rows.height,
                "row": rows[ROW],
                "column": [column] * rows.height,
                "value": rows[column],
                "reason": rows[reason_column],
            },
            schema=CELL_ISSUE_SCHEMA,
        ))
        for reason, n in Counter(rows[reason_column].to_list()).items():
            self.cell_issue_counts[(source, column, reason)] += n

    def quarantine_frame(self) -> pl.DataFrame:
        return _stack(self._quarantine, QUARANTINE_SCHEMA)

    def cell_issue_frame(self) -> pl.DataFrame:
        return _stack(self._cell_issues, CELL_ISSUE_SCHEMA)


def _stack(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).sort("source", "row", "reason")
