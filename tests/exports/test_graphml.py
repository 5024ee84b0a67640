import networkx as nx

from daedalus.exports.graphml import (
    GRAPHML_FILES,
    write_exposure_graphml,
    write_graphml,
    write_timeline_graphml,
)


def test_the_timeline_reads_back_with_its_causal_links(record, tmp_path):
    graph = nx.read_graphml(write_timeline_graphml(record, tmp_path / "t.graphml"))
    assert set(graph.nodes) == {"tp-0", "tp-1", "alt.tp-1"}
    assert set(graph.edges) == {("tp-0", "tp-1"), ("tp-0", "alt.tp-1")}
    assert graph.nodes["alt.tp-1"]["branch"] == "alt"
    assert graph.nodes["tp-1"]["event"] == "The council meets about the pier"


def test_the_exposure_dag_traces_told_knowledge(record, tmp_path):
    graph = nx.read_graphml(write_exposure_graphml(record, tmp_path / "e.graphml"))
    assert set(graph.nodes) == {e.id for e in record.exposures}
    assert set(graph.edges) == {("tp-0-ada-report", "dlg-tp-1-told-0-ben"),
                                ("init-ben-0", "dlg-tp-1-told-1-ada")}
    assert graph.nodes["dlg-tp-1-told-0-ben"]["source"] == "ada"
    assert nx.is_directed_acyclic_graph(graph)


def test_both_graphs_into_a_directory_deterministically(record, tmp_path):
    first = write_graphml(record, tmp_path / "a")
    second = write_graphml(record, tmp_path / "b")
    assert {k: p.name for k, p in first.items()} == GRAPHML_FILES
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes()
