"""Write one documentation page per shipped code list, rendered from its CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TITLES = {
    "substance": "Substance of a substance-use diagnosis",
    "sud_level": "Level of a substance-use diagnosis (use, dependence, psychosis ...)",
    "alcohol_somatic": "Somatic conditions caused by alcohol",
    "drug_poisoning": "Drug poisonings",
    "cause_group": "Cause-of-death groups (alcohol- and drug-induced deaths)",
    "chapter": "ICD chapters",
    "charlson_ludvigsson": "Charlson comorbidity (Ludvigsson, Nordic ICD versions)",
    "charlson_quan": "Charlson comorbidity (Quan, ICD-10)",
    "charlson_weights": "Charlson weights",
    "elixhauser_quan": "Elixhauser comorbidity (Quan, ICD-10 and ICD-9-CM)",
    "substance_comorbidity": "Comorbidity of substance use disorders",
    "comorbidity_weights": "Elixhauser weights (van Walraven)",
    "cause_group_definitions": "Cause-of-death groups: definitions",
    "cause_group_changes": "Cause-of-death groups: changes across revisions and coding",
}


def _cell(value) -> str:
    text = "" if pd.isna(value) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def write_pages(app) -> None:
    """Render ``harkit/codelists/*.csv`` as Markdown tables under ``generated/codelists``."""
    docs = Path(app.srcdir)
    source = docs.parent / "harkit" / "codelists"
    target = docs / "generated" / "codelists"
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for csv in sorted(source.glob("*.csv")):
        if csv.stem not in TITLES:
            continue
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
        lines = [f"# {csv.stem}: {TITLES[csv.stem]}", "",
                 f"`harkit/codelists/{csv.name}`, {len(table):,} rows. Sources are given per row; "
                 "`[V]` verified against the source, `[P]` partly, `[U]` unverified.", "",
                 "| " + " | ".join(table.columns) + " |",
                 "|" + "---|" * len(table.columns)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |"
                  for row in table.itertuples(index=False)]
        (target / f"{csv.stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        names.append(csv.stem)
    toc = ["# The code lists, table by table", "",
           "Rendered from the CSV files shipped in `harkit/codelists/`; see "
           "[Code lists](../../code-lists.md) for how they are used and overridden.", "",
           "```{toctree}", ":maxdepth: 1", "", *names, "```"]
    (target / "index.md").write_text("\n".join(toc) + "\n", encoding="utf-8")


def setup(app):
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True}
