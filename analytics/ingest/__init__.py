"""Importing placements: read file -> map headers -> parse messy values -> validate -> load.

The public API (the CLI and the Upload page call only these):

- `inspect_file(path, file_name, mapping)` -> Inspection: the file read enough to suggest a mapping.
- `import_file(store, path, ...)` -> ImportReport: one file as one batch, or a dry run.
- `list_batches(store)`, `undo_batch(store, batch_id)`, `quarantine_rows(store, batch_id)`,
  `rejected_csv(frame)`: the ledger, undo, and the rejected rows.
- `Mapping` (to / from JSON), `FileError`, `MappingError`, `IngestError`.
"""

from analytics.ingest.mapping import Mapping, MappingError
from analytics.ingest.pipeline import (
    ELIGIBILITY_BASES,
    ImportReport,
    IngestError,
    Inspection,
    UndoResult,
    import_file,
    inspect_file,
    list_batches,
    quarantine_rows,
    rejected_csv,
    undo_batch,
)
from analytics.ingest.read import FileError

__all__ = [
    "ELIGIBILITY_BASES",
    "FileError",
    "ImportReport",
    "IngestError",
    "Inspection",
    "Mapping",
    "MappingError",
    "UndoResult",
    "import_file",
    "inspect_file",
    "list_batches",
    "quarantine_rows",
    "rejected_csv",
    "undo_batch",
]
