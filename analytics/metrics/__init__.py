"""Every metric, defined once: SQL in DuckDB, small aggregated Polars frames out.

The pages, the CLI, exports and reports all call these functions, so they cannot disagree.

Definitions (NACE; see DESIGN.md and `DEFINITIONS` below):
- eligible interns: completed internships of final-year interns not continuing their education.
  If `final_year` is unknown for every placement in scope, completed internships (of interns not
  continuing education) count as eligible; `overview()` says which basis it used.
- offers: eligible interns with a full-time offer (an accepted offer implies an offer);
  accepted: eligible interns who accepted one; known outcome: eligible interns whose offer
  outcome is recorded. NULL offer fields are unknown outcomes, not "no".
- offer rate = offers / eligible; acceptance rate = accepted / offers;
  conversion rate = accepted / eligible; knowledge rate = known outcome / eligible.
- Rates are pooled (sum over sum) unless `method="employer_mean"` asks for the unweighted mean of
  employers' rates (NACE publishes that one). Every rate comes as a triple `<rate>`,
  `<rate>_low`, `<rate>_high`: fractions in 0..1 with a 95% Wilson interval (Student-t across
  employers for the employer mean), null when undefined or suppressed.
- Pay is the hourly equivalent (schema.HOURLY_PAY_SQL), only ever aggregated within one
  currency; pay without a currency is not aggregated at all. "Main currency" = the currency with
  the most paid records in scope.
- Medians and quartiles are `quantile_cont` (linear interpolation between order statistics),
  the same definition as pandas' default.

Privacy (DESIGN.md): every metric takes the principal asking, reads only what that principal may
read (access.row_conditions, applied where the WHERE clause is built by scope.base_scope), and
hands its exact aggregates -- with each cell's distinct students and each count's cell key beside
them -- to the one disclosure gate (analytics.disclosure.release), which suppresses, perturbs and
marks them. No metric nulls a column itself. A filter that selects a group its own comparison
hides gets no outcome figures at all (metrics.selection).

Speed: the metrics read `metrics_facts`, a narrow, typed copy of `placements` that this module
brings up to date on the first call after each data change (keyed on the store's data version and
FACTS_FORMAT; the upkeep does not bump the version): an import adds only its batch's rows and an
undo removes only its batch's rows (facts.py); a new format gets a full rebuild. Outcome flags are
precomputed booleans, so a query reads bits instead of re-evaluating three-valued logic per row,
and packed into two bytes (`flags`, `attrs`) that the overview groups a scope's rows by before it
counts (a few thousand groups instead of forty conditional counts per row); employers, terms and
universities carry small integer numbers, so grouping by them is a perfect-hash aggregation
instead of hashing strings; students carry dense numbers, so the distinct-student count is a
bitmap (`bitstring_agg`) instead of a hash table of 64-character pseudonyms. Every number stays
exact, with one stated exception: student numbers are assigned through a 64-bit hash of the
pseudonym, so two students would be counted as one if their pseudonyms shared that hash (for S
students the chance is about S^2 / 2^65: 2 in a million at 7.8M students). Medians of hourly pay
are DuckDB's own `median`; medians of weeks come from exact value counts. A read-only store, or a
failed rebuild, falls back to the same projection computed on the fly from `placements` (same
numbers, slower). """

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any, Final

# Each public name and the module that defines it. Importing this package imports none of
# them: a name's module is imported the first time the name is asked for (PEP 562), so a command
# that needs only the facts upkeep (`internships ingest`) does not pay for numpy, Polars and every
# metric module at start-up (about a quarter of a second per command).
_EXPORTS: Final[dict[str, tuple[str, ...]]] = {
    "breakdowns": ("returning_outcomes", "training_outcomes"),
    "conversion": ("conversion_by", "duration_vs_conversion", "funnel"),
    "coverage": ("fields_present",),
    "definitions": ("CONVERSION_DIMENSIONS", "DEFAULT_MIN_CELL", "DEFINITIONS", "GROUP_DIMENSIONS",
                    "RATES", "RETENTION_DIMENSIONS", "TIMELINE_DIMENSIONS", "MetricsError"),
    "durations": ("credit_share_by", "duration_by", "duration_distribution", "schedule_mix"),
    "employers": ("comparison_basis", "employer_comparison", "employer_funnel", "funnel_plot",
                  "pay_vs_conversion", "university_view"),
    "equity": ("EQUITY_DIMENSIONS", "equity_by"),
    "evaluations": ("RATINGS", "conversion_by_rating", "rating_distribution", "rating_summary"),
    "facts": ("FACTS_TABLE", "META_TABLE", "rebuild_facts", "refresh_facts"),
    "flows": ("flows",),
    "knowledge": ("KNOWLEDGE_TARGET", "below_target", "knowledge_by", "unknown_outcome_count",
                  "unknown_outcomes"),
    "overview": ("overview",),
    "pay": ("paid_share_by_term", "pay_by", "pay_currencies", "pay_distribution"),
    "retention": ("data_date", "retention_by", "retention_curve"),
    "tables": ("benchmarks", "options", "record_count", "records", "summary_table"),
    "timeline": ("timeline_by", "timeline_distribution"),
}
__all__ = [  # a literal list, for type checkers; tests hold it to _EXPORTS
    "CONVERSION_DIMENSIONS",
    "DEFAULT_MIN_CELL",
    "DEFINITIONS",
    "EQUITY_DIMENSIONS",
    "FACTS_TABLE",
    "GROUP_DIMENSIONS",
    "KNOWLEDGE_TARGET",
    "META_TABLE",
    "RATES",
    "RATINGS",
    "RETENTION_DIMENSIONS",
    "TIMELINE_DIMENSIONS",
    "MetricsError",
    "below_target",
    "benchmarks",
    "comparison_basis",
    "conversion_by",
    "conversion_by_rating",
    "credit_share_by",
    "data_date",
    "duration_by",
    "duration_distribution",
    "duration_vs_conversion",
    "employer_comparison",
    "employer_funnel",
    "equity_by",
    "fields_present",
    "flows",
    "funnel",
    "funnel_plot",
    "knowledge_by",
    "options",
    "overview",
    "paid_share_by_term",
    "pay_by",
    "pay_currencies",
    "pay_distribution",
    "pay_vs_conversion",
    "rating_distribution",
    "rating_summary",
    "rebuild_facts",
    "record_count",
    "records",
    "refresh_facts",
    "retention_by",
    "retention_curve",
    "returning_outcomes",
    "schedule_mix",
    "summary_table",
    "timeline_by",
    "timeline_distribution",
    "training_outcomes",
    "university_view",
    "unknown_outcome_count",
    "unknown_outcomes",
]

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from analytics.metrics.breakdowns import (
        returning_outcomes,
        training_outcomes,
    )
    from analytics.metrics.conversion import (
        conversion_by,
        duration_vs_conversion,
        funnel,
    )
    from analytics.metrics.coverage import fields_present
    from analytics.metrics.definitions import (
        CONVERSION_DIMENSIONS,
        DEFAULT_MIN_CELL,
        DEFINITIONS,
        GROUP_DIMENSIONS,
        RATES,
        RETENTION_DIMENSIONS,
        TIMELINE_DIMENSIONS,
        MetricsError,
    )
    from analytics.metrics.durations import (
        credit_share_by,
        duration_by,
        duration_distribution,
        schedule_mix,
    )
    from analytics.metrics.employers import (
        comparison_basis,
        employer_comparison,
        employer_funnel,
        funnel_plot,
        pay_vs_conversion,
        university_view,
    )
    from analytics.metrics.equity import EQUITY_DIMENSIONS, equity_by
    from analytics.metrics.evaluations import (
        RATINGS,
        conversion_by_rating,
        rating_distribution,
        rating_summary,
    )
    from analytics.metrics.facts import (
        FACTS_TABLE,
        META_TABLE,
        rebuild_facts,
        refresh_facts,
    )
    from analytics.metrics.flows import flows
    from analytics.metrics.knowledge import (
        KNOWLEDGE_TARGET,
        below_target,
        knowledge_by,
        unknown_outcome_count,
        unknown_outcomes,
    )
    from analytics.metrics.overview import overview
    from analytics.metrics.pay import (
        paid_share_by_term,
        pay_by,
        pay_currencies,
        pay_distribution,
    )
    from analytics.metrics.retention import (
        data_date,
        retention_by,
        retention_curve,
    )
    from analytics.metrics.tables import (
        benchmarks,
        options,
        record_count,
        records,
        summary_table,
    )
    from analytics.metrics.timeline import (
        timeline_by,
        timeline_distribution,
    )


_MODULE_OF: Final = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once: later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Two public names are also the names of their modules (`overview`, `flows`). Importing
    such a module makes the import system bind the package's attribute of that name to the
    module; the package's name means the function, so that binding is refused (the eager
    imports used to overwrite it straight after) and the name resolves as any other."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _MODULE_OF:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
