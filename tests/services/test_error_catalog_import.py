"""Error catalogue import: validation with line numbers, idempotent set-based upsert, lifecycle kept."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib import cli
from chalicelib.services.error_catalog_import import import_catalog, read_catalog_file
from tests.factories import add_error_tag, add_taxonomy


def _entry(code: str, **fields) -> dict:
    domain, subdomain = code.split("_")[0], code.split("_")[1]
    return {"code": code, "name": f"Nombre {code}", "description": f"Descripción {code}", "domain": domain,
            "subdomain_code": subdomain, "severity": "HIGH", "applicable_grades": [3, 4],
            "evidence_required": ["steps", "final answer"], "references": ["MINEDUC 2024"], **fields}


def _write_jsonl(path, lines: list) -> str:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
                    encoding="utf-8")
    return str(path)


def _tag(db, code: str) -> dict | None:
    return db.fetch_one(
        """SELECT t.code, t.name, t.description, d.code AS domain, t.subdomain_code, t.source::text AS source,
                  t.status::text AS status, t.severity::text AS severity, t.applicable_grades, t.evidence_required,
                  t."references", t.updated_at, s.code AS successor
           FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id
           LEFT JOIN error_tags s ON s.id = t.deprecated_by_id WHERE t.code = :c""", {"c": code})


def test_jsonl_import_inserts_with_import_defaults_and_reports_bad_lines(db, tmp_path):
    add_taxonomy(db)
    path = _write_jsonl(tmp_path / "catalog.jsonl", [
        _entry("ARITH_SUB_BORROW_OMITTED_TENS_G3"),
        "{not json",
        _entry("ARITH_ADD_CARRY_FORGOTTEN_G3", applicable_grades=[0, 13]),
        {"code": "lower_case_code", "description": "x", "domain": "ARITH", "subdomain_code": "ADD"},
        _entry("GEOM_ANGLE_RIGHT_ANGLE_G5"),  # unknown domain
        _entry("ARITH_SUB_BORROW_OMITTED_TENS_G3", name="repeated"),
        {"code": "ARITH_TRANSV_DIGIT_TRANSPOSITION", "description": "Dígitos invertidos", "domain": "ARITH"},
        _entry("INT_SUB_SIGN_LOST_G6", name="", status="ACTIVE", source="CURATED"),
    ])
    report = import_catalog(db, read_catalog_file(path))
    assert (report.read, report.inserted, report.updated, report.unchanged) == (8, 3, 0, 0)
    rejected = {r.line: r.reason for r in report.rejected}
    assert set(rejected) == {2, 3, 4, 5, 6}
    assert "not valid JSON" in rejected[2]
    assert "applicable_grades" in rejected[3]
    assert "upper snake case" in rejected[4]
    assert "unknown domain GEOM" in rejected[5]
    assert "already given on line 1" in rejected[6]
    borrow = _tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3")
    assert borrow["status"] == "DRAFT" and borrow["source"] == "LLM_GENERATED"  # domain.md §6.3 defaults
    assert borrow["domain"] == "ARITH" and borrow["subdomain_code"] == "SUB" and borrow["severity"] == "HIGH"
    assert borrow["applicable_grades"] == [3, 4] and borrow["references"] == ["MINEDUC 2024"]
    assert _tag(db, "ARITH_TRANSV_DIGIT_TRANSPOSITION")["subdomain_code"] is None  # cross-cutting
    explicit = _tag(db, "INT_SUB_SIGN_LOST_G6")
    assert (explicit["status"], explicit["source"], explicit["name"]) == ("ACTIVE", "CURATED", "")


def test_reimport_is_a_no_op_and_changes_update_content_but_not_lifecycle(db, tmp_path):
    add_taxonomy(db)
    entries = [_entry("ARITH_SUB_BORROW_OMITTED_TENS_G3"), _entry("ARITH_ADD_CARRY_FORGOTTEN_G3")]
    path = _write_jsonl(tmp_path / "a.jsonl", entries)
    first = import_catalog(db, read_catalog_file(path))
    assert first.inserted == 2
    before = _tag(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")["updated_at"]
    again = import_catalog(db, read_catalog_file(path))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert _tag(db, "ARITH_ADD_CARRY_FORGOTTEN_G3")["updated_at"] == before  # really untouched
    assert db.fetch_value("SELECT count(*) FROM error_tags") == 2

    db.execute("UPDATE error_tags SET status = 'DEPRECATED' WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'")
    changed = [_entry("ARITH_SUB_BORROW_OMITTED_TENS_G3", description="Nueva descripción", status="ACTIVE"),
               entries[1]]
    report = import_catalog(db, read_catalog_file(_write_jsonl(tmp_path / "b.jsonl", changed)))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    tag = _tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3")
    assert tag["description"] == "Nueva descripción"
    assert tag["status"] == "DEPRECATED"  # the admin's lifecycle decision survives a re-import


def test_activate_mode_creates_active_and_promotes_drafts(db, tmp_path):
    add_taxonomy(db)
    add_error_tag(db, "ARITH_MUL_TABLE_CONFUSION_G3", domain="ARITH", subdomain="MUL", status="DRAFT",
                  description="Descripción ARITH_MUL_TABLE_CONFUSION_G3")
    add_error_tag(db, "ARITH_ADD_OLD_G3", domain="ARITH", subdomain="ADD", status="DEPRECATED")
    path = _write_jsonl(tmp_path / "c.jsonl", [
        _entry("ARITH_SUB_NEW_G3"),
        {"code": "ARITH_MUL_TABLE_CONFUSION_G3", "description": "Descripción ARITH_MUL_TABLE_CONFUSION_G3",
         "domain": "ARITH", "subdomain_code": "MUL"},
        _entry("ARITH_ADD_OLD_G3", description="Descripción de ARITH_ADD_OLD_G3"),
    ])
    report = import_catalog(db, read_catalog_file(path), activate=True)
    assert report.inserted == 1 and report.rejected == []
    assert _tag(db, "ARITH_SUB_NEW_G3")["status"] == "ACTIVE"
    assert _tag(db, "ARITH_MUL_TABLE_CONFUSION_G3")["status"] == "ACTIVE"
    assert _tag(db, "ARITH_ADD_OLD_G3")["status"] == "DEPRECATED"  # only drafts are promoted


def test_successors_are_linked_after_all_batches(db, tmp_path):
    add_taxonomy(db)
    path = _write_jsonl(tmp_path / "d.jsonl", [
        _entry("ARITH_SUB_OLD_G3", status="DEPRECATED", deprecated_by="ARITH_SUB_NEW_G3"),
        _entry("ARITH_ADD_OLD_G3", status="DEPRECATED", deprecated_by="ARITH_ADD_MISSING_G3"),
        _entry("ARITH_SUB_NEW_G3", status="ACTIVE"),
    ])
    report = import_catalog(db, read_catalog_file(path), batch_size=1)
    assert _tag(db, "ARITH_SUB_OLD_G3")["successor"] == "ARITH_SUB_NEW_G3"
    assert [(m.line, m.reason) for m in report.missing_successors] == [
        (2, "deprecated_by ARITH_ADD_MISSING_G3 does not exist")]


def test_csv_with_list_cells_and_line_numbers(db, tmp_path):
    add_taxonomy(db)
    path = tmp_path / "catalog.csv"
    path.write_text(
        "code,name,description,domain,subdomain_code,severity,applicable_grades,evidence_required\n"
        "ARITH_SUB_BORROW_OMITTED_TENS_G3,Sin préstamo,\"No pidió prestado,\nen las decenas\",ARITH,SUB,LOW,3;4,steps|final\n"
        "ARITH_ADD_CARRY_FORGOTTEN_G3,,Olvidó la reserva,ARITH,ADD,HUGE,[3],\n"
        "INT_ADD_SIGN_G6,Signo,Suma con signo,INT,ADD,MED,\"[6,7]\",\n"
        "ARITH_MUL_X_G3,X,Y,ARITH,MUL,LOW,3,a,extra-cell\n",
        encoding="utf-8")
    report = import_catalog(db, read_catalog_file(path))
    assert report.inserted == 2
    assert [(r.line, r.reason.split(" ")[0]) for r in report.rejected] == [(4, "severity"), (6, "more")]
    tag = _tag(db, "ARITH_SUB_BORROW_OMITTED_TENS_G3")
    assert tag["description"] == "No pidió prestado,\nen las decenas"
    assert tag["applicable_grades"] == [3, 4] and tag["evidence_required"] == ["steps", "final"]
    assert _tag(db, "INT_ADD_SIGN_G6")["applicable_grades"] == [6, 7]


def test_cli_imports_3000_entries_and_prints_the_time(db, database_url, tmp_path, capsys):
    """The issue's volume: 3,000 generated entries through the command (time printed, not asserted)."""
    add_taxonomy(db, {"ARITH": ["ADD", "SUB", "MUL", "DIV"], "FRACT": ["ADDSUB", "MUL"]})
    subs = [("ARITH", "ADD"), ("ARITH", "SUB"), ("ARITH", "MUL"), ("ARITH", "DIV"), ("FRACT", "ADDSUB"),
            ("FRACT", "MUL")]
    lines = []
    for i in range(3000):
        domain, sub = subs[i % len(subs)]
        lines.append({"code": f"{domain}_{sub}_GENERATED_{i:04d}_G{3 + i % 4}", "name": f"Error {i}",
                      "description": f"Descripción generada {i}", "domain": domain, "subdomain_code": sub,
                      "applicable_grades": [3 + i % 4], "evidence_required": ["steps"]})
    lines[1234] = "{broken"
    path = _write_jsonl(tmp_path / "big.jsonl", lines)
    started = time.perf_counter()
    exit_code = cli.main(["import-catalog", path])
    elapsed = time.perf_counter() - started
    out = capsys.readouterr()
    assert exit_code == 1  # one malformed line
    assert "line 1235: not valid JSON" in out.err
    assert "3000 read, 2999 inserted, 0 updated, 0 unchanged, 1 rejected" in out.out
    assert db.fetch_value("SELECT count(*) FROM error_tags") == 2999
    with capsys.disabled():  # a figure for the report, not a threshold
        print(f"\nimport-catalog: 3,000 entries in {elapsed:.2f} s (bar, validation, 6 upserts)")
    rerun = cli.main(["import-catalog", path])
    assert rerun == 1 and "0 inserted, 0 updated, 2999 unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("raw, problem", [
    ({"code": "CORRECT", "description": "x", "domain": "ARITH"}, "carries no domain"),
    ({"code": "ARITH_SUB_X_G3", "description": "x", "domain": "INT", "subdomain_code": "SUB"}, "start with"),
    ({"code": "ARITH_SUB_X_G3", "domain": "ARITH", "subdomain_code": "SUB"}, "description is required"),
    ({"code": "ARITH_SUB_X_G3", "description": "x", "domain": "ARITH"}, "subdomain_code is required"),
    ({"code": "ARITH_SUB_X_G3", "description": "x", "domain": "ARITH", "subdomain_code": "SUB",
      "status": "LIVE"}, "status must be one of"),
])
def test_entry_rules(raw, problem):
    from chalicelib.domain.error_taxonomy import InvalidEntry, parse_entry

    with pytest.raises(InvalidEntry) as caught:
        parse_entry(raw)
    assert problem in str(caught.value)
