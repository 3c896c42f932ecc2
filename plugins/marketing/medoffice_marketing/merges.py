"""Patient merges: core moves the duplicate's visits, kept last visits and recall list entries to the record
that stays, without marketing taking part, and publishes ``core.patient_merged``. This subscriber recounts
at once what those rows decide: which of the two patients' kept last visits a due list counts, and the
figures of every recall list either patient is on. (The morning job recounts everything as well.)"""
from __future__ import annotations

from medoffice.events import Subscription

from .lastvisits import count_last_visits
from .listfigures import recount_lists
from .models import LastVisit, RecallEntry


def recount_after_merge(event) -> None:
    """Recount the due-list rows and recall lists of the merged pair of ``event``."""
    patients = [event.data["survivor_id"], event.data["duplicate_id"]]
    count_last_visits(LastVisit.patient.in_(patients))
    lists = [list_id for (list_id,) in RecallEntry.select(RecallEntry.recall_list).distinct()
             .where(RecallEntry.patient.in_(patients)).tuples()]
    if lists:
        recount_lists(lists)


MERGE_SUBSCRIPTION = Subscription("marketing.patient_merges", ["core.patient_merged"], recount_after_merge,
                                  title="Patient merges for marketing's recall lists")
