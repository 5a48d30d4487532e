"""The taxonomy (topics, departments, places) as data loaded from ``corpora/taxonomy``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from nlp_service.errors import TaxonomyError


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    responsibilities: tuple[str, ...] = ()
    level: str = "city"  # "district": a district or county government, which takes matters confined to it

    @property
    def names(self) -> tuple[str, ...]:
        """Every surface form, the full name first; the 市 prefix is optional in text."""
        forms = [self.name, *self.aliases]
        forms += [f[1:] for f in forms if f.startswith("市") and len(f) > 3]
        return tuple(dict.fromkeys(forms))


@dataclass
class Taxonomy:
    topics: list[Topic]
    departments: list[Department]
    city: str = ""
    places: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def topic_by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in self.topics}

    @cached_property
    def department_by_id(self) -> dict[str, Department]:
        return {d.id: d for d in self.departments}

    @cached_property
    def department_alias_index(self) -> dict[str, str]:
        """Surface form -> department id. An alias claimed by two units is ambiguous and left out."""
        index: dict[str, str] = {}
        clash: set[str] = set()
        for d in self.departments:
            for form in d.names:
                if form in index and index[form] != d.id:
                    clash.add(form)
                index.setdefault(form, d.id)
        return {k: v for k, v in index.items() if k not in clash}

    @cached_property
    def district_units(self) -> dict[str, str]:
        """District or county name -> the id of its government (the unit of level "district" whose name
        starts with it)."""
        units = [d for d in self.departments if d.level == "district"]
        return {district: d.id for district in self.places for d in units if d.name.startswith(district)}

    @cached_property
    def district_of_place(self) -> dict[str, str]:
        """Every district name and every street, town or village under one -> its district."""
        out = {district: district for district in self.places}
        for district, subs in self.places.items():
            out.update({sub: district for sub in subs})
        return out

    @cached_property
    def place_names(self) -> list[str]:
        names = [self.city] if self.city else []
        for district, subs in self.places.items():
            names.append(district)
            names.extend(subs)
        return names


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise TaxonomyError(f"taxonomy file missing: {path}") from e
    except yaml.YAMLError as e:
        raise TaxonomyError(f"taxonomy file is not valid YAML: {path}: {e}") from e


def load_taxonomy(corpora_dir: Path) -> Taxonomy:
    base = corpora_dir / "taxonomy"
    topics_raw = _read_yaml(base / "topics.yaml")
    deps_raw = _read_yaml(base / "departments.yaml")
    places_raw = _read_yaml(base / "places.yaml") or {}
    if not isinstance(topics_raw, list) or not isinstance(deps_raw, list) or not isinstance(places_raw, dict):
        raise TaxonomyError("topics.yaml and departments.yaml must be lists, places.yaml a mapping")
    topics = [
        Topic(t["id"], t["name"], t.get("description", ""), tuple(t.get("aliases") or ())) for t in topics_raw
    ]
    deps = [
        Department(d["id"], d["name"], tuple(d.get("aliases") or ()), tuple(d.get("responsibilities") or ()),
                   str(d.get("level") or "city"))
        for d in deps_raw
    ]
    for kind, items in (("topic", topics), ("department", deps)):
        ids = [i.id for i in items]
        if len(ids) != len(set(ids)):
            raise TaxonomyError(f"duplicate {kind} ids in {base}")
    return Taxonomy(topics, deps, places_raw.get("city", ""), places_raw.get("districts") or {})
