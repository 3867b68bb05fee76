"""Reading expression matrices, gene sets and clinical tables."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from repurposekit import DataValidationError
from repurposekit.io.expression import gene_id_type, read_clinical, read_expression, read_gene_sets


@pytest.fixture
def matrix_file(tmp_path):
    p = tmp_path / "expr.tsv"
    p.write_text("gene\tS1\tS2\tS3\nPTK2\t1.0\t2.0\t3.0\nKRAS\t4\t5\t6\nMKI67\t0.5\t0.1\t0.2\n")
    return p


def test_read_tsv_csv_gzip(matrix_file, tmp_path):
    a = read_expression(matrix_file)
    assert a.index.tolist() == ["PTK2", "KRAS", "MKI67"]
    assert a.index.name == "gene"
    assert a.dtypes.eq(float).all()
    csv = tmp_path / "expr.csv.gz"
    with gzip.open(csv, "wt") as fh:
        fh.write(matrix_file.read_text().replace("\t", ","))
    b = read_expression(csv)
    pd.testing.assert_frame_equal(a, b)


def test_entrez_ids_stay_strings(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("entrez,a,b\n5747.0,1,2\n3845.0,3,4\n")
    x = read_expression(p)
    assert x.index.tolist() == ["5747", "3845"]
    assert gene_id_type(x.index) == "entrez"
    assert gene_id_type(["ENSG00000169398"]) == "ensembl"


def test_non_numeric_cell_names_row_and_gene(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("gene\tS1\tS2\nPTK2\t1.0\t2.0\nKRAS\tNA?\t5\n")
    with pytest.raises(
        DataValidationError, match=r"bad.tsv: sample column 'S1', row 3 \(gene 'KRAS'\)"
    ):
        read_expression(p)


def test_annotation_columns_can_be_dropped(tmp_path):
    p = tmp_path / "ann.tsv"
    p.write_text(
        "gene\tdescription\tS1\tS2\nPTK2\tfocal adhesion kinase\t1\t2\nKRAS\tGTPase\t3\t4\n"
    )
    with pytest.raises(DataValidationError, match="description"):
        read_expression(p)
    x = read_expression(p, annotation_columns=["description"])
    assert list(x.columns) == ["S1", "S2"]


def test_missing_value_is_an_error(tmp_path):
    p = tmp_path / "na.tsv"
    p.write_text("gene\tS1\tS2\nPTK2\t1.0\t\nKRAS\t4\t5\n")
    with pytest.raises(
        DataValidationError, match="missing value at row 2 \\(gene 'PTK2'\\), sample 'S2'"
    ):
        read_expression(p)


@pytest.fixture
def dup_file(tmp_path):
    p = tmp_path / "dup.tsv"
    p.write_text("gene\tS1\tS2\nPTK2\t1\t2\nKRAS\t3\t4\nPTK2\t5\t8\n")
    return p


def test_duplicates_policies(dup_file):
    with pytest.warns(UserWarning, match="GSVA 1.46"):
        keep = read_expression(dup_file)
    assert keep.shape == (3, 2)
    with pytest.raises(DataValidationError, match="occur more than once \\(PTK2\\)"):
        read_expression(dup_file, duplicates="error")
    assert read_expression(dup_file, duplicates="first").loc["PTK2"].tolist() == [1.0, 2.0]
    assert read_expression(dup_file, duplicates="mean").loc["PTK2"].tolist() == [3.0, 5.0]
    mm = read_expression(dup_file, duplicates="max_mean")
    assert mm.loc["PTK2"].tolist() == [5.0, 8.0]
    assert mm.index.tolist() == ["KRAS", "PTK2"]  # file order of the kept rows


def test_parquet_without_pyarrow_is_explained(tmp_path, monkeypatch):
    """Without a Parquet engine the reader says what to install (whether or not pyarrow is here)."""
    p = tmp_path / "x.parquet"
    p.write_bytes(b"PAR1")
    # a None entry in sys.modules makes `import pyarrow` raise ImportError, as when absent
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(DataValidationError, match=r"x.parquet: reading Parquet needs pyarrow"):
        read_expression(p)
    with pytest.raises(DataValidationError, match=r"missing.parquet: file not found"):
        read_expression(tmp_path / "missing.parquet")


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "x.parquet"
    pd.DataFrame({"gene": ["A", "B"], "S1": [1.0, 2.0]}).to_parquet(p)
    assert read_expression(p).loc["B", "S1"] == 2.0


def test_gmt_and_long_tables(tmp_path):
    g = tmp_path / "s.gmt"
    g.write_text("SET_A\tdesc\tPTK2\tKRAS\tPTK2\nSET_B\thttp://x\tMKI67\n")
    gs = read_gene_sets(g)
    assert gs.names == ["SET_A", "SET_B"]
    assert gs.genes("SET_A") == ["PTK2", "KRAS"]  # duplicate member kept once
    assert gs.descriptions["SET_B"] == "http://x"
    long = tmp_path / "net.csv"
    long.write_text("set,gene,direction\nEMT,VIM,up\nEMT,CDH1,down\n")
    ls = read_gene_sets(long)
    assert ls.genes("EMT", direction="down") == ["CDH1"]
    w = tmp_path / "w.tsv"
    w.write_text("source\ttarget\tweight\nS\tA\t0.5\nS\tB\t-1\n")
    assert read_gene_sets(w).table["weight"].tolist() == [0.5, -1.0]
    bad = tmp_path / "bad.gmt"
    bad.write_text("ONLY_NAME\n")
    with pytest.raises(DataValidationError, match="line 1 has 1 tab-separated"):
        read_gene_sets(bad)
    badd = tmp_path / "bd.csv"
    badd.write_text("set,gene,direction\nS,A,sideways\n")
    with pytest.raises(DataValidationError, match="sideways"):
        read_gene_sets(badd)


def test_match_report_lists_missing_genes(tmp_path):
    g = tmp_path / "s.gmt"
    g.write_text("S\td\tPTK2\tNOPE1\tKRAS\tNOPE2\n")
    rep = read_gene_sets(g).match(["KRAS", "PTK2", "MKI67"]).report.iloc[0]
    assert (rep["n_listed"], rep["n_matched"]) == (4, 2)
    assert rep["missing"] == "NOPE1, NOPE2"


def test_clinical_checks(tmp_path):
    ok = tmp_path / "c.tsv"
    ok.write_text("sample\ttime\tevent\nA\t10\t1\nB\t3.5\t0\n")
    c = read_clinical(ok)
    assert c.loc["B", "time"] == 3.5
    assert c["event"].dtype == np.int64 or c["event"].dtype == int
    neg = tmp_path / "n.tsv"
    neg.write_text("sample\ttime\tevent\nA\t10\t1\nB\t-2\t0\n")
    with pytest.raises(DataValidationError, match=r"'time', row 3.*negative"):
        read_clinical(neg)
    ev = tmp_path / "e.tsv"
    ev.write_text("sample\ttime\tevent\nA\t10\t2\n")
    with pytest.raises(DataValidationError, match="events must be 1"):
        read_clinical(ev)
