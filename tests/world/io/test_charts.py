import pytest

from daedalus.errors import ConfigError
from daedalus.world import KPI_NAMES
from daedalus.world.io import write_charts


def test_charts_are_pngs_one_per_kpi_and_an_overview(tmp_path):
    kpis = {name: [float(t), float(t) * 2, float(t) / 3] for t, name in enumerate(KPI_NAMES)}
    kpis["tick"] = [1.0, 2.0, 3.0]
    written = write_charts(kpis, tmp_path / "charts", title="test")
    assert written[0].name == "overview.png" and len(written) == len(KPI_NAMES)
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_rows_no_charts(tmp_path):
    with pytest.raises(ConfigError, match="no KPI rows"):
        write_charts({"tick": []}, tmp_path)
