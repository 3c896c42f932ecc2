"""Merging a duplicate patient record into the one that stays (the survivor).

Every row that refers to the duplicate moves to the survivor, in one transaction, in core and in
every loaded plugin: the referencing columns are found from the models themselves, a foreign key to
``Patient`` or an integer column named ``patient_id`` (how plugins refer to patients). A model
whose rows are history that must not change (the audit trail) sets ``merge_moves_rows = False``.
Where a unique constraint allows one row per patient and the survivor already has its own, the
duplicate's row stays with the duplicate and is counted as kept. The duplicate is deactivated with
``merged_into_id`` pointing to the survivor, never deleted. The merge publishes the durable event
``core.patient_merged`` in the same transaction, for plugins that keep figures about patients which a
moved row changes (counts per patient, "last visit" rows).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce

import peewee as pw
from peewee import fn

from . import audit
from .db import db, transaction, utcnow
from .events import EventType, publish
from .models import Patient

PATIENT_MERGED = EventType("core.patient_merged", 1, {"survivor_id": "int", "duplicate_id": "int"},
                           "A duplicate patient record was merged into the one that stays: every row naming the "
                           "duplicate now names the survivor.")


@dataclass
class MergeResult:
    """Rows moved to the survivor and rows kept with the duplicate, per table."""

    moved: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def refers_to_patient(model, column: pw.Field) -> bool:
    """True when ``column`` of ``model`` holds a patient's id."""
    if isinstance(column, pw.ForeignKeyField):
        return column.rel_model._meta.table_name == Patient._meta.table_name and model is not Patient
    return isinstance(column, pw.IntegerField) and column.column_name == "patient_id"


def patient_references(models) -> list[tuple[type[pw.Model], pw.Field]]:
    """(model, column) for every column of ``models`` that refers to a patient and moves on a merge."""
    found = []
    for model in models:
        if not getattr(model, "merge_moves_rows", True):
            continue
        found += [(model, column) for column in model._meta.sorted_fields if refers_to_patient(model, column)]
    return found


def _unique_with(model, column) -> list[list[str]]:
    """The other columns of each unique constraint that includes ``column`` ([] for the column alone)."""
    groups = [[]] if column.unique else []
    for index in model._meta.indexes:
        if isinstance(index, tuple) and index[1] and column.name in index[0]:
            groups.append([name for name in index[0] if name != column.name])
    return groups


def _move(model, column, duplicate_id: int, survivor_id: int) -> tuple[int, int]:
    """Move ``model``'s rows from the duplicate to the survivor; (moved, kept)."""
    where = column == duplicate_id
    for others in _unique_with(model, column):
        # Keep the duplicate's row where the survivor already has one the constraint would clash with.
        twin = model.alias()
        same = [getattr(twin, n) == getattr(model, n) for n in others]
        clash = twin.select(pw.SQL("1")).where(reduce(operator.and_, same, getattr(twin, column.name) == survivor_id))
        where = where & ~fn.EXISTS(clash)
    moved = model.update({column: survivor_id}).where(where).execute()
    kept = model.select().where(column == duplicate_id).count()
    return moved, kept


def merge_patients(survivor_id: int, duplicate_id: int, models) -> MergeResult:
    """Move everything referring to the duplicate to the survivor, deactivate the duplicate with a
    pointer to the survivor, and audit it; one transaction. ``models``: every loaded model."""
    if survivor_id == duplicate_id:
        raise ValueError("A patient cannot be merged into itself.")
    result = MergeResult()
    with transaction():
        survivor = Patient.select().where((Patient.id == survivor_id) & (Patient.active == True)).get()  # noqa: E712
        duplicate = Patient.select().where((Patient.id == duplicate_id) & (Patient.active == True)).get()  # noqa: E712
        existing = set(db.get_tables())
        for model, column in patient_references(models):
            if model._meta.table_name not in existing:
                continue  # a plugin that was never migrated here has no rows
            moved, kept = _move(model, column, duplicate.id, survivor.id)
            table = model._meta.table_name
            if moved:
                result.moved[table] = result.moved.get(table, 0) + moved
            if kept:
                result.kept[table] = result.kept.get(table, 0) + kept
        Patient.update(active=False, merged_into_id=survivor.id, updated_at=utcnow()).where(
            Patient.id == duplicate.id).execute()
        detail = {"duplicate_id": duplicate.id, "duplicate_account": duplicate.account_number,
                  "survivor_id": survivor.id, "survivor_account": survivor.account_number,
                  "moved": result.moved, "kept": result.kept}
        audit.record("patient.merge", "patient", survivor.id, patient_id=survivor.id, detail=detail)
        audit.record("patient.merged_away", "patient", duplicate.id, patient_id=duplicate.id, detail=detail)
        publish(PATIENT_MERGED.name, {"survivor_id": survivor.id, "duplicate_id": duplicate.id})
    return result
