"""Make the compact ICD-9-CM code tables used by tests/test_codelists.py.

Source: NCHS/CDC ICD-9-CM tabular list, FY2012 (October 2011), file ``dtab12.txt`` as kept in
the public repository dewittpe/medicalcoder (``data-raw/icd/icd9/cdc/dtab12.txt``), which holds
the text of the CDC distribution. ICD-9-CM is a US government work in the public domain.

Kept: every 3-character category and 4-character subcategory (E codes: up to E999.9) with
its title, and the chapter headings with their ranges. Run::

    python tests/reference/make_icd9cm_table.py path/to/dtab12.txt
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
CHAPTER = re.compile(r"^\d+\. (.+) \((\d{3})-(\d{3})\)$")
SUPPLEMENT = re.compile(r"^SUPPLEMENTARY CLASSIFICATION OF (.+) \(([VE]\d{2,3})-([VE]\d{2,3})\)$")
CODE = re.compile(r"^((?:\d{3}|V\d{2}|E\d{3})(?:\.\d{1,2})?) (.+)$")


def main(source: str) -> None:
    codes: dict[str, str] = {}
    chapters: list[tuple[str, str, str]] = []
    for line in Path(source).read_text(encoding="utf-8", errors="replace").splitlines():
        if (m := CHAPTER.match(line)) or (m := SUPPLEMENT.match(line)):
            chapters.append((m.group(2), m.group(3), m.group(1).strip()))
        elif m := CODE.match(line):
            code = m.group(1)
            width = 5 if code.startswith("E") else 4  # E codes carry one more character
            if len(code.replace(".", "")) <= width:
                codes.setdefault(code, m.group(2).strip())
    with open(HERE / "icd9cm_fy2012_categories.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "title"])
        w.writerows(codes.items())
    with open(HERE / "icd9cm_fy2012_chapters.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["first", "last", "title"])
        w.writerows(chapters)


if __name__ == "__main__":
    main(sys.argv[1])
