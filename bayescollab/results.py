"""Labelled query results: a :class:`Distribution`, and the attributes every xarray result carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # xarray (with pandas, 0.3 s) is imported by to_xarray only
    import xarray as xr

from bayescollab._version import __version__

__all__ = ["Distribution", "result_attrs"]


def result_attrs(evidence: Mapping[str, str] | None, do: Mapping[str, str] | None) -> dict[str, str]:
    """The attributes of a labelled query result: what it is conditional on, and the version."""
    return {
        "evidence": repr(dict(evidence or {})),
        "do": repr(dict(do or {})),
        "bayescollab_version": __version__,
    }


class Distribution(Mapping[str, float]):
    """P(target | evidence) as a read-only mapping state -> probability, in state order.

    It also records what it is conditional on, so a printed or saved result describes itself.
    """

    def __init__(
        self,
        target: str,
        states: Sequence[str],
        probs: np.ndarray,
        *,
        evidence: Mapping[str, str],
        do: Mapping[str, str],
        virtual_evidence: Mapping[str, Any],
    ):
        self.target = target
        self._probs = dict(zip(states, (float(p) for p in probs), strict=True))
        self.evidence = dict(evidence)
        self.do = dict(do)
        self.virtual_evidence = {k: list(np.asarray(v, dtype=float)) for k, v in virtual_evidence.items()}

    def __getitem__(self, state: str) -> float:
        return self._probs[state]

    def __iter__(self) -> Iterator[str]:
        return iter(self._probs)

    def __len__(self) -> int:
        return len(self._probs)

    def __repr__(self) -> str:
        body = ", ".join(f"{s}: {p:.4f}" for s, p in self._probs.items())
        cond = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        dos = ", ".join(f"do({k}={v})" for k, v in self.do.items())
        given = "; ".join(x for x in (cond, dos) if x)
        return f"P({self.target} | {given or 'nothing'}) = {{{body}}}"

    def expected_score(self) -> float:
        """Mean position on a -1 (lowest state) .. +1 (highest state) scale."""
        scores = np.linspace(-1.0, 1.0, len(self._probs))
        return float(np.dot(scores, list(self._probs.values())))

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape: target, evidence, do, distribution."""
        out: dict[str, Any] = {
            "target": self.target,
            "evidence": self.evidence,
            "do": self.do,
            "distribution": dict(self._probs),
        }
        if self.virtual_evidence:
            out["virtual_evidence"] = self.virtual_evidence
        return out

    def to_xarray(self) -> xr.DataArray:
        import xarray as xr

        return xr.DataArray(
            list(self._probs.values()),
            dims=(self.target,),
            coords={self.target: list(self._probs)},
            name=f"P({self.target})",
            attrs=result_attrs(self.evidence, self.do),
        )
