"""The classification prompt: one cached system block, the forced tool, the user message (workers.md §3.4–§3.6)."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import pytest

from chalicelib.ai.prices import minimum_cacheable_tokens
from chalicelib.ai.prompts import (DOMAINS, GENERIC_CODES, PREFIX_TOKEN_TARGET, AttemptToClassify, Catalog,
                                   CatalogTag, catalog_text, classification_prompt, user_message)
from chalicelib.store.demo_seed import load_rule_engine_error_tags

HAIKU = "claude-haiku-4-5-20251001"


def catalog(code: str = "ARITH", tags: tuple[CatalogTag, ...] | None = None) -> Catalog:
    tags = tags if tags is not None else (
        CatalogTag("ARITH_SUB_BORROW_OMITTED_TENS_G3", "Did not borrow from the tens.", "7 - 2 in the units"),
        CatalogTag("ARITH_ADD_CARRY_OMITTED_G3", "Dropped a carry.", None))
    return Catalog(f"domain-{code.lower()}", code, DOMAINS[code].title if code in DOMAINS else code, tags)


def demo_catalogs() -> list[Catalog]:
    by_domain: dict[str, list[CatalogTag]] = defaultdict(list)
    for row in load_rule_engine_error_tags():
        if row["domain_code"]:
            by_domain[row["domain_code"]].append(CatalogTag(row["code"], row["description"]))
    return [catalog(code, tuple(sorted(tags, key=lambda t: t.code))) for code, tags in sorted(by_domain.items())]


def test_system_is_exactly_one_text_block_marked_for_caching():
    blocks = classification_prompt(catalog()).system_blocks()
    assert len(blocks) == 1
    assert blocks[0]["type"] == "text"
    assert blocks[0]["cache_control"] == {"type": "ephemeral"}


def test_domain_path_tool_enum_is_the_catalogue_plus_the_three_special_values():
    prompt = classification_prompt(catalog())
    tool = prompt.tool()
    item = tool["input_schema"]["properties"]["classifications"]["items"]
    assert tool["name"] == "classify_errors"
    assert item["required"] == ["attempt_id", "error_type", "evidence", "confidence"]
    assert item["properties"]["error_type"]["enum"] == [
        "ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_ADD_CARRY_OMITTED_G3", "CORRECT", "UNCLASSIFIED",
        "TRANSVERSAL_LIKELY"]
    assert item["properties"]["evidence"]["maxLength"] == 300
    assert item["properties"]["confidence"] == {"type": "number", "minimum": 0.0, "maximum": 1.0}
    assert tool["input_schema"]["properties"]["classifications"]["maxItems"] == 25
    assert prompt.tool_choice() == {"type": "tool", "name": "classify_errors"}
    assert prompt.prompt_version == "2.0"


def test_catalogue_text_lists_each_tag_with_its_signal():
    text = catalog_text(catalog())
    header, blank, *lines = text.split("\n")
    assert header.startswith("[") and "ARITH" in header and blank == ""
    assert lines == ["- ARITH_SUB_BORROW_OMITTED_TENS_G3: Did not borrow from the tens. (signal: 7 - 2 in the units)",
                     "- ARITH_ADD_CARRY_OMITTED_G3: Dropped a carry."]
    system = classification_prompt(catalog()).system_text
    assert system.endswith(text)
    assert system.startswith("You are an expert assessor of arithmetic with natural numbers for grades 1–6")
    assert "## Notes for domain ARITH" in system


def test_catalog_hash_is_the_sha256_of_the_sorted_codes():
    codes = ["B_CODE", "A_CODE"]
    expected = hashlib.sha256("A_CODE\nB_CODE".encode()).hexdigest()[:12]
    tags = tuple(CatalogTag(code, "d") for code in codes)
    assert catalog(tags=tags).catalog_hash == expected
    assert classification_prompt(catalog(tags=tags)).catalog_hash == expected


@pytest.mark.parametrize("chosen", [None, "empty", "unregistered"])
def test_generic_path_when_there_is_no_usable_catalogue(chosen):
    given = {None: None, "empty": catalog(tags=()),
             "unregistered": Catalog("d-x", "XYZ", "Unknown", (CatalogTag("XYZ_1", "d"),))}[chosen]
    prompt = classification_prompt(given)
    enum = prompt.tool()["input_schema"]["properties"]["classifications"]["items"]["properties"]["error_type"]["enum"]
    assert prompt.prompt_version == "1.0"
    assert enum == list(GENERIC_CODES) + ["CORRECT", "UNCLASSIFIED"]
    assert len(GENERIC_CODES) == 22
    assert "TRANSVERSAL_LIKELY" not in enum
    assert "grades 3 to 6" in prompt.system_text and "BORROW_OMITTED_TENS" in prompt.system_text


def test_cached_prefix_reaches_haikus_minimum_for_every_registered_domain_even_with_one_tag():
    floor = minimum_cacheable_tokens(HAIKU)
    for code in DOMAINS:
        prompt = classification_prompt(catalog(code, (CatalogTag(f"{code}_X", "x"),)))
        assert prompt.estimated_prefix_tokens >= PREFIX_TOKEN_TARGET > floor, code
    assert classification_prompt(None).estimated_prefix_tokens >= PREFIX_TOKEN_TARGET


def test_cached_prefix_reaches_the_minimum_with_the_demo_catalogue():
    catalogs = demo_catalogs()
    assert {c.domain_code for c in catalogs} >= {"ARITH", "FRACT", "INT", "DEC", "POW", "RATIO", "ALGEBRA"}
    for demo in catalogs:
        assert classification_prompt(demo).estimated_prefix_tokens >= PREFIX_TOKEN_TARGET, demo.domain_code


def test_the_prefix_differs_per_domain_and_catalogue_but_not_per_call():
    arith, fract = classification_prompt(catalog("ARITH")), classification_prompt(catalog("FRACT"))
    assert arith.system_text != fract.system_text
    assert classification_prompt(catalog("ARITH")).system_text == arith.system_text
    assert classification_prompt(catalog("ARITH")).tool() == arith.tool()


def test_user_message_carries_the_attempts_but_never_the_student():
    attempt = AttemptToClassify("att-1", "T-SUB-BORROW", "SUB", "52 - 27 = ?", "25",
                                ({"expression": "52 − 27 = 35", "isFinal": True},), "35")
    text = user_message([attempt], "ARITH")
    header, payload = text.split("\n", 1)
    assert header == "Classify the following 1 attempt of domain ARITH."
    assert json.loads(payload) == [{"attempt_id": "att-1", "topic": "T-SUB-BORROW", "subdomain": "SUB",
                                    "problem": "52 - 27 = ?", "canonical": "25",
                                    "student_steps": [{"expression": "52 − 27 = 35", "isFinal": True}],
                                    "student_answer": "35"}]
    assert "−" in payload  # non-ASCII kept as is
    assert "student_id" not in text
    assert user_message([attempt, attempt], None).startswith("Classify the following 2 attempts.\n")
