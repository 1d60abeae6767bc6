"""A taxonomy file as large organisations write them: many teams with long names (40 characters),
more than a Slack menu lists and than a Teams card holds at ease."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain import Handoff, Tags
from bot.taxonomy import Taxonomy, load_taxonomy

LABEL_LENGTH = 40


def _label(prefix: str, i: int) -> str:
    return f"{prefix}_{i:03d}_regional_customer_operations_department"[:LABEL_LENGTH].rstrip("_")


def write_taxonomy(path: Path, *, teams: int, stages: int = 12, kinds: int = 20) -> Taxonomy:
    """Write a taxonomy of `teams` teams (and `stages`, `kinds`) to `path`; the taxonomy read back."""

    def axis(prefix: str, count: int) -> list[dict[str, object]]:
        return [{"label": _label(prefix, i), "description": "d", "words": [f"{prefix}cue{i}"]} for i in range(count)]

    data = {"version": 1, "stages": axis("stage", stages), "kinds": axis("kind", kinds), "teams": axis("team", teams)}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_taxonomy(path)


def tags_past_the_first_hundred(taxonomy: Taxonomy) -> Tags:
    """Tags naming the taxonomy's last team (past the 100th) among the teams and as the handoff's end."""
    teams = taxonomy.team_labels
    return Tags(
        stage=taxonomy.stage_labels[0],
        kinds=(taxonomy.kind_labels[0],),
        teams=(teams[0], teams[-1]),
        handoff=Handoff(teams[3], teams[-1]),
        confidence={},
        source="model",
        model_version="fixed-1",
    )
