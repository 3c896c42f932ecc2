"""What the files service contributes through core's hooks (``core_plugin`` returns these): its
permission, the size setting, core's own kind (patient documents) and the doctor check."""
from __future__ import annotations

from ..contributions import Permission, SettingSpec
from ..models import Patient
from .api import MAX_MB_SETTING
from .kinds import SCANS, AttachmentKind

EVERYONE = ("admin", "office_manager", "billing", "front_desk", "hr", "auditor")



def _patient(object_id: str) -> int | None:
    """The patient a patient page's files belong to: the patient itself (DoesNotExist when there is none)."""
    return Patient.get_by_id(int(object_id)).id if object_id.isdecimal() else None


PATIENT_DOCUMENT = AttachmentKind(
    "core.patient_document", "Patient documents", view="core.patients.view", manage="core.patients.edit",
    types=SCANS, patient_bearing=True, patient_of=_patient,
    description="Scans and photos kept with a patient's record: insurance cards, identification, referrals.")


def permissions() -> list[Permission]:
    """The service's permission; each kind adds its own view and manage permissions."""
    return [Permission("core.files.use", "Open and attach files on the pages one may see (each kind of file "
                       "also needs its own permissions)", default_roles=EVERYONE)]


def settings() -> list[SettingSpec]:
    """The size limit of every upload."""
    return [SettingSpec(MAX_MB_SETTING, "Largest file that can be uploaded (MB)", kind="int", default=25,
                        minimum=1, maximum=512,
                        help="A kind of file may set a lower limit of its own; none can go above this one.")]


def kinds() -> list[AttachmentKind]:
    """Core's own kind."""
    return [PATIENT_DOCUMENT]


def demo_data(ctx) -> None:
    """Demo files (after core's demo patients)."""
    from .demo import demo_files

    demo_files(ctx)
