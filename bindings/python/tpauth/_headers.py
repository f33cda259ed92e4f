"""A case-insensitive, read-only view of a response's headers."""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, List, Mapping, Tuple


class Headers(Mapping[str, str]):
    """Response headers: names are case-insensitive (iterated lower-cased); a header sent several
    times maps to its values joined with ``", "`` (``get_all`` gives them one by one)."""

    __slots__ = ("_pairs", "_map")

    def __init__(self, pairs: Iterable[Tuple[str, str]] = ()) -> None:
        self._pairs: List[Tuple[str, str]] = [(k.lower(), v) for k, v in pairs]
        self._map: Dict[str, str] = {}
        for k, v in self._pairs:
            self._map[k] = f"{self._map[k]}, {v}" if k in self._map else v

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def get_all(self, name: str) -> List[str]:
        """Every value of a header, in the order received."""
        n = name.lower()
        return [v for k, v in self._pairs if k == n]

    def __repr__(self) -> str:
        return f"Headers({self._map!r})"
