"""A Decision as JUnit XML: one test case per requirement, so CI systems show each gate (pure).

Every text goes through :func:`releasegate.render.sanitize.xml_text`, so the output is
well-formed XML whatever a report's names hold (GitLab rejects a report that is not).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any
from xml.etree import ElementTree as ET

from releasegate.model import Decision
from releasegate.render.sanitize import xml_text


def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, tuple):
        return tuple(_xml_safe(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(
            value, **{f.name: _xml_safe(getattr(value, f.name)) for f in fields(value) if f.init}
        )
    return value


def _observed(observed: object, expected: object) -> str:
    """`` (observed X, expected Y)`` with only the parts that are known: never ``None``."""
    parts = [
        f"{label} {value}"
        for label, value in (("observed", observed), ("expected", expected))
        if value is not None and value != ""
    ]
    return f" ({', '.join(parts)})" if parts else ""


def render_junit(decision: Decision) -> str:
    """``decision`` as JUnit XML, one test case per requirement."""
    decision = _xml_safe(decision)
    subject = decision.subject
    suite_name = f"releasegate {decision.kind}" + (
        f" {subject.environment}" if subject.environment else ""
    )
    failures = sum(r.status in ("fail", "missing", "inconclusive") for r in decision.requirements)
    errors = sum(r.status == "error" for r in decision.requirements)
    skipped = sum(r.status == "skipped" for r in decision.requirements)
    suites = ET.Element(
        "testsuites",
        name="releasegate",
        tests=str(len(decision.requirements)),
        failures=str(failures),
        errors=str(errors),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=suite_name,
        tests=str(len(decision.requirements)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        timestamp=decision.time.isoformat(timespec="seconds"),
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("outcome", decision.outcome),
        ("reason", decision.reason),
        ("sha", subject.sha),
        ("policy_sha256", decision.policy_sha256),
        ("break_glass", decision.break_glass),
    ):
        if value:
            ET.SubElement(properties, "property", name=key, value=value)
    classname = f"releasegate.{decision.kind}" + (
        f".{subject.environment}" if subject.environment else ""
    )
    for r in decision.requirements:
        case = ET.SubElement(suite, "testcase", name=r.name, classname=classname, time="0")
        message = r.reason + _observed(r.observed, r.expected)
        if r.status in ("fail", "missing", "inconclusive"):
            ET.SubElement(case, "failure", message=message, type=r.status).text = message
        elif r.status == "error":
            ET.SubElement(case, "error", message=message, type="error").text = message
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = message
    if not decision.requirements:
        case = ET.SubElement(suite, "testcase", name=decision.kind, classname=classname, time="0")
        if decision.exit_code != 0:
            ET.SubElement(case, "failure", message=decision.reason, type=decision.outcome)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
