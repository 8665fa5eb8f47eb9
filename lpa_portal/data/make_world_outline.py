"""Make `world-110m.json`, the world outline that the reach report's map is drawn from.

Source: the `countries-110m.json` file of the world-atlas package 2.0.2 (npm), TopoJSON made by
Mike Bostock (ISC licence) from Natural Earth's 1:110m countries (public domain). Each country
becomes one SVG path, keyed by its ISO 3166-1 alpha-2 code, in a plain longitude/latitude
projection (2 units a degree, from 85° N to 58° S: no Antarctica). Territories without an ISO
code in the source (e.g. Kosovo, Northern Cyprus, Somaliland) are left out; countries too small
for this scale (many island states) are not in the source, and show in the table beside the map.

Run once, by hand, when the outline changes:
    npm pack world-atlas@2.0.2 && tar -xzf world-atlas-2.0.2.tgz
    DJANGO_SETTINGS_MODULE=lpa_portal.settings SECRET_KEY=x python \\
        lpa_portal/data/make_world_outline.py package/countries-110m.json \\
        > lpa_portal/data/world-110m.json
"""

import json
import sys
from itertools import pairwise

SCALE = 2  # units of the drawing per degree
NORTH, SOUTH = 85, -58


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def _path(rings) -> str:
    parts = []
    for ring in rings:
        if any(abs(a[0] - b[0]) > 180 for a, b in pairwise(ring)):
            # A ring across the 180th meridian (Chukotka, Fiji) is drawn whole east of it, and
            # the edge of the drawing cuts it, rather than with a line across the world.
            ring = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]
        coordinates = [
            (round((lon + 180) * SCALE, 1), round((NORTH - max(lat, SOUTH)) * SCALE, 1))
            for lon, lat in ring
        ]
        start, *rest = coordinates
        parts.append(
            f"M{start[0]:g} {start[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest) + "Z"
        )
    return "".join(parts)


def main(source: str) -> dict:
    import django

    django.setup()
    from django_countries import countries

    with open(source, encoding="utf-8") as file:
        topology = json.load(file)
    arcs = _arcs(topology)
    shapes = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = countries.alpha2(int(geometry["id"])) if geometry.get("id", "").isdigit() else ""
        if not code or code == "AQ":
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        rings = [_ring(ring, arcs) for polygon in polygons for ring in polygon]
        shapes[code] = shapes.get(code, "") + _path(rings)
    return {
        "source": "world-atlas 2.0.2, countries-110m (Natural Earth, public domain; ISC licence)",
        "viewBox": f"0 0 {360 * SCALE} {(NORTH - SOUTH) * SCALE}",
        "countries": dict(sorted(shapes.items())),
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1]), sys.stdout, separators=(",", ":"))
