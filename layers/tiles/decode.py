"""Reads a Mapbox Vector Tile back: each layer's name, extent and features (for tests and the benchmark).

Only what a check needs, from the protobuf wire format of the MVT 2.1 specification: layer names, extents,
keys, and per feature its id, geometry type, properties (values decoded) and geometry commands, which
``rings`` turns into a polygon's rings in tile coordinates (to check their winding, as the specification asks:
an exterior ring has a positive area by the surveyor's formula, with y down the tile).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Feature:
    """One feature: id (0 when none), geometry type (1 point, 2 line, 3 polygon), properties, and the
    geometry's command integers."""

    id: int
    type: int
    properties: dict[str, Any]
    geometry: list[int] = field(default_factory=list)

    @property
    def commands(self) -> int:
        """How many integers the geometry is drawn with (0: nothing drawn)."""
        return len(self.geometry)


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def rings(feature: Feature) -> list[list[tuple[int, int]]]:
    """A polygon feature's rings, in order, each a list of its points in tile coordinates (not closed)."""
    found: list[list[tuple[int, int]]] = []
    g, i, x, y = feature.geometry, 0, 0, 0
    while i < len(g):
        command, count = g[i] & 7, g[i] >> 3
        i += 1
        if command == 7:  # ClosePath
            continue
        if command == 1:  # MoveTo: a new ring
            found.append([])
        for _ in range(count):
            x, y = x + _zigzag(g[i]), y + _zigzag(g[i + 1])
            i += 2
            found[-1].append((x, y))
    return found


def signed_area(ring: list[tuple[int, int]]) -> float:
    """The surveyor's formula over a ring (positive: an exterior ring, in MVT's y-down tile coordinates)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


@dataclass
class Layer:
    """One layer of a tile."""

    name: str = ""
    extent: int = 4096
    version: int = 1
    features: list[Feature] = field(default_factory=list)


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of a message: varints as int, length-delimited as bytes."""
    out: list[tuple[int, int, Any]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"unknown wire type {wire}")
        out.append((number, wire, value))
    return out


def _value(buf: bytes) -> Any:
    for number, _, v in _fields(buf):
        if number == 1:
            return v.decode()
        if number == 2:
            return struct.unpack("<f", v)[0]
        if number == 3:
            return struct.unpack("<d", v)[0]
        if number in (4, 5):
            return v - (1 << 64) if number == 4 and v >= 1 << 63 else v
        if number == 6:
            return (v >> 1) ^ -(v & 1)
        if number == 7:
            return bool(v)
    return None


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def decode(tile: bytes) -> dict[str, Layer]:
    """The tile's layers by name."""
    layers: dict[str, Layer] = {}
    for number, _, raw in _fields(tile):
        if number != 3:
            continue
        layer = Layer()
        keys: list[str] = []
        values: list[Any] = []
        features: list[tuple[int, int, list[int], list[int]]] = []
        for n, _, v in _fields(raw):
            if n == 1:
                layer.name = v.decode()
            elif n == 15:
                layer.version = v
            elif n == 5:
                layer.extent = v
            elif n == 3:
                keys.append(v.decode())
            elif n == 4:
                values.append(_value(v))
            elif n == 2:
                fid, ftype, tags, geometry = 0, 0, [], []
                for fn, _, fv in _fields(v):
                    if fn == 1:
                        fid = fv
                    elif fn == 2:
                        tags = _packed(fv)
                    elif fn == 3:
                        ftype = fv
                    elif fn == 4:
                        geometry = _packed(fv)
                features.append((fid, ftype, tags, geometry))
        layer.features = [
            Feature(fid, ftype, {keys[t[i]]: values[t[i + 1]] for i in range(0, len(t), 2)}, g)
            for fid, ftype, t, g in features
        ]
        layers[layer.name] = layer
    return layers
