"""The PD validation report's page (validation.html) from its document (validation.json): the shared HTML
shell (`reporting.html`), one section per part of the battery, the IV table at the end. No timestamp: the
page, like the JSON, depends only on its inputs."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from credit_scoring.reporting.html import cell, page, table

TITLE = "PD validation report"
SCALE_SHOWN = ["grade", "pd_lower", "pd_upper", "count", "defaults", "mean_pd", "default_rate", "binomial_p",
               "jeffreys_p", "light"]  # fmt: skip


def _pairs(items: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td class='num'>{cell(v)}</td></tr>" for k, v in items.items()
    )
    return f"<table>{rows}</table>"


def battery_html(section: Mapping[str, Any], name: str) -> str:
    """One labelled population: master scale, calibration, discrimination, concentration."""
    cal, disc = section["calibration"], section["discrimination"]
    auc, gini, ks = disc["roc_auc"], disc["gini"], disc["ks"]
    hl, sp = cal["hosmer_lemeshow"], cal["spiegelhalter"]
    lights = section["lights"]
    level = f"{auc['level']:.0%}"
    scale = pd.DataFrame(section["master_scale"])[SCALE_SHOWN]
    parts = [
        f"<h2>{html.escape(name)}</h2>",
        f"<p>{section['rows']:,} rows, {section['defaults']:,} defaults (rate {cell(section['default_rate'])}, "
        f"mean PD {cell(section['mean_pd'])}). Traffic lights ({html.escape(section['light_test'])} test): "
        f"{lights['green']} green, {lights['amber']} amber, <span class='warn'>{lights['red']} red</span>.</p>",
        "<h3>Master scale</h3>",
        "<p class='muted'>One-sided tests of H0 'the grade's PD is right' against 'it is too low'; "
        "a small p flags a grade whose observed default rate is above its mean PD.</p>",
        table(scale),
        "<h3>Calibration</h3>",
        _pairs({
            f"Hosmer-Lemeshow chi2 ({hl['dof']} dof)": hl["statistic"], "Hosmer-Lemeshow p": hl["p_value"],
            "Spiegelhalter z": sp["z"], "Spiegelhalter p": sp["p_value"], "Brier score": cal["brier"],
            f"ECE ({cal['ece_bins']} bins)": cal["ece"],
        }),
        "<h3>Discrimination</h3>",
        _pairs({
            "ROC AUC": auc["auc"], f"ROC AUC {level} DeLong lower": auc["lower"],
            f"ROC AUC {level} DeLong upper": auc["upper"], "Gini": gini["gini"],
            f"Gini {level} lower": gini["lower"], f"Gini {level} upper": gini["upper"],
            "KS": ks["statistic"],
        }),
        "<h3>Concentration of the grades</h3>",
        _pairs({"Herfindahl index": section["concentration"]["herfindahl"],
                "normalised (0 even, 1 one grade)": section["concentration"]["normalised"]}),
    ]  # fmt: skip
    against = section.get("auc_vs_development")
    if against:
        parts += [
            "<h3>ROC AUC against development (DeLong, unpaired)</h3>",
            _pairs({
                "difference (current - development)": against["difference"], "standard error": against["se"],
                "z": against["z"], "two-sided p": against["p_value"],
                f"{against['level']:.0%} lower": against["lower"], f"{against['level']:.0%} upper": against["upper"],
            }),
        ]  # fmt: skip
    return "".join(parts)


def _production(prod: Mapping[str, Any]) -> str:
    psi = prod["grade_psi"]
    counts = pd.DataFrame({"grade": range(1, len(prod["grade_counts"]) + 1), "rows": prod["grade_counts"]})
    body = [
        "<h2>Production: stability of the grades</h2>",
        _pairs({"rows": prod["rows"], "mean PD": prod["mean_pd"], "PSI of the grades vs development": psi["psi"],
                "Herfindahl index": prod["concentration"]["herfindahl"]}),
        f"<p>PSI band: <b>{html.escape(psi['band'])}</b>.</p>",
        table(counts),
    ]  # fmt: skip
    if prod.get("labelled"):
        body.append(battery_html(prod["labelled"], "Production: labelled rows"))
    else:
        body.append("<p class='muted'>No outcomes have arrived for the production rows.</p>")
    return "".join(body)


def render_validation(doc: Mapping[str, Any]) -> str:
    """The HTML page of a validation document (`stages.validate` builds it)."""
    model = doc.get("model", {})
    head = _pairs({k: v for k, v in model.items() if v is not None}) if model else ""
    body = [head, battery_html(doc["test"], f"Development: {doc.get('test_name', 'test split')}")]
    if doc.get("production"):
        body.append(_production(doc["production"]))
    iv = doc.get("iv")
    if iv:
        body += [
            "<h2>Information value of the features (development rows)</h2>",
            f"<p class='muted'>{iv['rows']:,} training rows, optbinning's optimal binning per feature.</p>",
            table(pd.DataFrame(iv["table"])),
        ]
    return page(TITLE, "".join(body))
