"""Coordinate transforms against published vectors and an independent implementation."""

import math

import pytest

from org import geo
from org.errors import InvalidCoordinates, UnknownCoordSys

# googollee/eviltransform python/test.py: (wgs lat, wgs lon, gcj lat, gcj lon), 6 places.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# wandergis/coordtransform test/app.js, input (lat 39.915, lon 116.404).
WANDERGIS_BD_TO_GCJ = (39.90865673957631, 116.39762729119315)
WANDERGIS_GCJ_TO_BD = (39.92133699351021, 116.41036949371029)
WANDERGIS_WGS_TO_GCJ = (39.91640428150164, 116.41024449916938)
# Beijing railway station (as quoted by several libraries): WGS-84, GCJ-02, BD-09, 5 places.
STATION = {
    "wgs84": (39.90105, 116.42079),
    "gcj02": (39.90245, 116.42703),
    "bd09": (39.90851, 116.43351),
}

OUTSIDE = [
    (51.5074, -0.1278),
    (40.7128, -74.0060),
    (-33.8688, 151.2093),
    (35.6895, 139.6917),
    (0.0, 0.0),
    (-90.0, 180.0),
]


# --- an independent implementation (eviltransform's layout, bisection inverse) -------------


def _ref_transform(x, y):
    xy, abs_x = x * y, math.sqrt(abs(x))
    x_pi, y_pi = x * math.pi, y * math.pi
    d = 20.0 * math.sin(6.0 * x_pi) + 20.0 * math.sin(2.0 * x_pi)
    lat = d + 20.0 * math.sin(y_pi) + 40.0 * math.sin(y_pi / 3.0)
    lon = d + 20.0 * math.sin(x_pi) + 40.0 * math.sin(x_pi / 3.0)
    lat += 160.0 * math.sin(y_pi / 12.0) + 320 * math.sin(y_pi / 30.0)
    lon += 150.0 * math.sin(x_pi / 12.0) + 300.0 * math.sin(x_pi / 30.0)
    lat = lat * 2.0 / 3.0 - 100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * abs_x
    lon = lon * 2.0 / 3.0 + 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * abs_x
    return lat, lon


def _ref_wgs2gcj(lat, lon):
    a, ee = 6378245.0, 0.00669342162296594323
    d_lat, d_lon = _ref_transform(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) * math.sin(rad)
    d_lat = d_lat * 180.0 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = d_lon * 180.0 / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def _ref_gcj2wgs_bisect(lat, lon):
    lo_lat, lo_lon, hi_lat, hi_lon = lat - 0.02, lon - 0.02, lat + 0.02, lon + 0.02
    for _ in range(60):
        mid_lat, mid_lon = (lo_lat + hi_lat) / 2, (lo_lon + hi_lon) / 2
        g_lat, g_lon = _ref_wgs2gcj(mid_lat, mid_lon)
        lo_lat, hi_lat = (lo_lat, mid_lat) if g_lat > lat else (mid_lat, hi_lat)
        lo_lon, hi_lon = (lo_lon, mid_lon) if g_lon > lon else (mid_lon, hi_lon)
    return (lo_lat + hi_lat) / 2, (lo_lon + hi_lon) / 2


def _china_points():
    return [
        (lat, lon)
        for lat in (18.3, 22.5, 29.6, 36.06, 39.9, 45.8, 53.4)
        for lon in (87.6, 103.8, 113.9, 116.4, 120.38, 126.6, 134.5)
    ]


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform_vectors(wlat, wlon, glat, glon):
    lat, lon = geo.wgs84_to_gcj02(wlat, wlon)
    assert lat == pytest.approx(glat, abs=1e-6)
    assert lon == pytest.approx(glon, abs=1e-6)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_gcj02_to_wgs84_recovers_the_vector_within_half_a_metre(wlat, wlon, glat, glon):
    lat, lon = geo.gcj02_to_wgs84(glat, glon)
    assert geo.distance_m(lat, lon, wlat, wlon) < 0.5


def test_wandergis_vectors():
    assert geo.bd09_to_gcj02(39.915, 116.404) == pytest.approx(WANDERGIS_BD_TO_GCJ, abs=1e-9)
    assert geo.gcj02_to_bd09(39.915, 116.404) == pytest.approx(WANDERGIS_GCJ_TO_BD, abs=1e-9)
    assert geo.wgs84_to_gcj02(39.915, 116.404) == pytest.approx(WANDERGIS_WGS_TO_GCJ, abs=1e-9)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("wgs84", "gcj02"),
        ("wgs84", "bd09"),
        ("gcj02", "bd09"),
        ("bd09", "wgs84"),
        ("gcj02", "wgs84"),
    ],
)
def test_beijing_station_in_three_systems(source, target):
    lat, lon = geo.to_wgs84(*STATION[source], source)
    converted = geo.from_wgs84(lat, lon, target)
    assert converted == pytest.approx(STATION[target], abs=2e-5)  # 5-decimal vector


def test_forward_matches_an_independent_implementation():
    for lat, lon in _china_points():
        assert geo.wgs84_to_gcj02(lat, lon) == pytest.approx(_ref_wgs2gcj(lat, lon), abs=1e-12)


def test_inverse_agrees_with_bisection_and_is_exact_to_1e_7_degrees():
    for lat, lon in _china_points():
        g_lat, g_lon = _ref_wgs2gcj(lat, lon)
        w_lat, w_lon = geo.gcj02_to_wgs84(g_lat, g_lon)
        assert (w_lat, w_lon) == pytest.approx(_ref_gcj2wgs_bisect(g_lat, g_lon), abs=1e-8)
        again = geo.wgs84_to_gcj02(w_lat, w_lon)
        assert again == pytest.approx((g_lat, g_lon), abs=1e-7)


@pytest.mark.parametrize("coord_sys", ["gcj02", "bd09"])
def test_round_trip_error_is_below_half_a_metre(coord_sys):
    for lat, lon in _china_points():
        there = geo.from_wgs84(lat, lon, coord_sys)
        assert geo.distance_m(*there, lat, lon) > 50  # the shift is real: hundreds of metres
        back = geo.to_wgs84(*there, coord_sys)
        assert geo.distance_m(*back, lat, lon) < 0.5


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE)
@pytest.mark.parametrize("coord_sys", ["wgs84", "gcj02", "bd09"])
def test_points_outside_china_are_unchanged(lat, lon, coord_sys):
    assert geo.out_of_china(lat, lon)
    assert geo.from_wgs84(lat, lon, coord_sys) == (lat, lon)
    assert geo.to_wgs84(lat, lon, coord_sys) == (lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (90.01, 120.0),
        (-90.5, 120.0),
        (36.0, 180.5),
        (36.0, -181.0),
        (float("nan"), 120.0),
        (36.0, float("inf")),
        (120.38, 36.06),  # lon/lat swapped
    ],
)
def test_out_of_range_coordinates_are_refused(lat, lon):
    with pytest.raises(InvalidCoordinates) as info:
        geo.to_wgs84(lat, lon, "gcj02")
    assert info.value.code == "geo.invalid_coordinates" and info.value.status == 422


def test_unknown_coordinate_system_is_refused():
    with pytest.raises(UnknownCoordSys):
        geo.to_wgs84(36.06, 120.38, "epsg3857")


def test_haversine_against_the_spherical_law_of_cosines():
    def cosines(lat1, lon1, lat2, lon2):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(
            math.radians(lon2 - lon1)
        )
        return geo.EARTH_RADIUS_M * math.acos(min(1.0, c))

    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert geo.distance_m(*beijing, *shanghai) == pytest.approx(
        cosines(*beijing, *shanghai), rel=1e-9
    )
    assert 1_060_000 < geo.distance_m(*beijing, *shanghai) < 1_075_000
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert geo.distance_m(36.06, 120.38, 36.061, 120.38) == pytest.approx(111.2, abs=0.1)
    assert geo.distance_m(36.06, 120.38, 36.06, 120.38) == 0


def test_initial_bearing():
    assert geo.bearing_deg(36.0, 120.0, 37.0, 120.0) == pytest.approx(0.0, abs=1e-9)
    assert geo.bearing_deg(0.0, 120.0, 0.0, 121.0) == pytest.approx(90.0, abs=1e-9)
    assert geo.bearing_deg(36.0, 120.0, 35.0, 120.0) == pytest.approx(180.0, abs=1e-9)
    assert geo.bearing_deg(0.0, 121.0, 0.0, 120.0) == pytest.approx(270.0, abs=1e-9)
    # Equal north and east distances over a short hop: north-east.
    east = 0.01 / math.cos(math.radians(36.005))
    assert geo.bearing_deg(36.0, 120.0, 36.01, 120.0 + east) == pytest.approx(45.0, abs=0.1)
