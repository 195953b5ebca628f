"""Write ``staff-survey-simulated.csv``: an ILLUSTRATIVE staff survey for Wigan, made up by this script.

The numbers are simulated (fixed seed), not Wigan Council's results: the file exists to show the
survey format (docs/survey-format.md) and the report section it produces. Run from the repo root:

    python docs/examples/make_staff_survey.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

AREA = "E08000010"
SURVEY = "Illustrative staff survey (simulated)"
SCALE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
# question id, wording, theme, mean agreement shift by wave (simulated), waves asked
QUESTIONS = [
    ("Q1", "I look forward to going to work", "Staff engagement", {"2013": -0.2, "2016": 0.25, "2017": 0.3}),
    ("Q2", "I am enthusiastic about my job", "Staff engagement", {"2013": 0.0, "2016": 0.3, "2017": 0.35}),
    ("Q3", "I would recommend the council as a place to work", "Staff engagement",
     {"2013": -0.4, "2016": 0.2, "2017": 0.25}),
    ("Q4", "The Deal is changing the council for the better", "", {"2017": 0.9}),
]
SERVICES = {"Adult social care": 420, "Children's services": 380, "Place and communities": 300}


def main(out: Path = Path(__file__).with_name("staff-survey-simulated.csv")) -> None:
    rng = np.random.default_rng(20130401)
    rows = []
    for qid, text, theme, waves in QUESTIONS:
        for wave, shift in waves.items():
            for service, n in SERVICES.items():
                base = int(rng.binomial(n, 0.6))
                logits = np.array([-1.2, -0.4, 0.0, 0.6, 0.2]) + shift * np.arange(-2, 3)
                p = np.exp(logits) / np.exp(logits).sum()
                counts = rng.multinomial(base, p)
                for score, (label, c) in enumerate(zip(SCALE, counts), start=1):
                    rows.append({"area_code": AREA, "survey": SURVEY, "wave": wave, "question_id": qid,
                                 "question_text": text, "scale": "agree5", "response": label, "score": score,
                                 "positive": "yes" if score >= 4 else "no", "count": int(c), "base": base,
                                 "deff": "", "theme": theme, "subgroup_type": "service", "subgroup": service,
                                 "note": "SIMULATED: illustrative numbers, not real survey results"})
            # the whole council: the services added up
            for score, label in enumerate(SCALE, start=1):
                sel = [r for r in rows if r["question_id"] == qid and r["wave"] == wave and r["response"] == label
                       and r["subgroup"]]
                tot = sum(r["count"] for r in sel)
                base = sum(r["base"] for r in rows if r["question_id"] == qid and r["wave"] == wave
                           and r["subgroup"] and r["response"] == SCALE[0])
                rows.append({**sel[0], "count": tot, "base": base, "subgroup_type": "", "subgroup": "",
                             "deff": "1.2"})
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
