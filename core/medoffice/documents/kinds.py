"""Document kinds: what a plugin declares about a family of documents (``medoffice_document_kinds``).

HR declares the employee manual, compliance its privacy and security policies, marketing its
patient-education pieces; core declares the general office policy. A kind says who may read every
document of the kind (besides the people a document is addressed to), who writes and publishes them,
and whether a newly published version asks its audience for an acknowledgment by default.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from ..auth.access import can

_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*")
POLICY = "core.policy"


@dataclass(frozen=True)
class DocumentKind:
    """A family of documents a plugin keeps, named ``<plugin>.<what>`` (``hr.employee_manual``).

    :param view_permission: who may open any published document of this kind (the people a
        document is addressed to may always open it).
    :param manage_permission: who writes drafts, publishes, retires, sees everyone's status and
        records paper signatures.
    :param requires_acknowledgment: whether publishing a version asks its audience to acknowledge
        it, unless the publisher decides otherwise for that version.
    """

    name: str
    title: str
    view_permission: str
    manage_permission: str
    requires_acknowledgment: bool = True
    description: str = ""

    def __post_init__(self):
        if not _NAME.fullmatch(self.name or ""):
            raise ValueError(f"document kind {self.name!r}: name it <plugin>.<what> in lowercase")
        if not (self.title or "").strip():
            raise ValueError(f"document kind {self.name!r}: give it a title")
        for permission in (self.view_permission, self.manage_permission):
            if not isinstance(permission, str) or "." not in permission:
                raise ValueError(f"document kind {self.name!r}: permissions are names such as 'hr.manual.view'")

    @property
    def plugin(self) -> str:
        """The plugin that declares the kind (the prefix of its name)."""
        return self.name.split(".", 1)[0]


POLICY_KIND = DocumentKind(
    POLICY, "Office policy", view_permission="core.documents.read", manage_permission="core.documents.manage",
    description="A rule of the practice everyone concerned reads and acknowledges: workstation use, "
                "clean desk, phone etiquette.")


def kinds() -> dict[str, DocumentKind]:
    """Every kind declared by a loaded plugin, enabled or not (a disabled module's documents keep
    their kind's title), by name.

    :raises ValueError: a kind is not named after the plugin declaring it, or two plugins declare one name.
    """
    runtime = current_app.extensions["medoffice"]

    def build() -> dict[str, DocumentKind]:
        found: dict[str, DocumentKind] = {}
        for plugin in runtime.host.ordered():
            for kind in runtime.host.call_for(plugin.name, "medoffice_document_kinds"):
                if kind.plugin != plugin.name:
                    raise ValueError(f"document kind {kind.name!r} of plugin {plugin.name!r}: "
                                     f"name it {plugin.name}.<what>")
                if kind.name in found:
                    raise ValueError(f"document kind {kind.name!r} is declared twice")
                found[kind.name] = kind
        return found

    return runtime.derived("documents.kinds", build)


def kind_of(name: str) -> DocumentKind | None:
    """The kind called ``name``, or None when no installed plugin declares it any more."""
    return kinds().get(name)


def kind_title(name: str) -> str:
    """The kind's title, or its name when no installed plugin declares it any more."""
    kind = kind_of(name)
    return kind.title if kind else name


def enabled_kinds() -> list[DocumentKind]:
    """The kinds of the plugins that are on (a disabled module's documents are hidden)."""
    host = current_app.extensions["medoffice"].host
    return [kind for kind in kinds().values() if host.is_enabled(kind.plugin)]


def may_manage_kind(name: str, user=None) -> bool:
    """Whether the user (default: the current one) may write and publish documents of kind ``name``."""
    kind = kind_of(name)
    return kind is not None and can(kind.manage_permission, user)


def may_view_kind(name: str, user=None) -> bool:
    """Whether the user may open every published document of kind ``name`` (or manages them)."""
    kind = kind_of(name)
    return kind is not None and (can(kind.view_permission, user) or can(kind.manage_permission, user))


def managed_kinds(user=None) -> list[DocumentKind]:
    """The kinds of enabled plugins whose documents the user may write, by title."""
    return sorted((k for k in enabled_kinds() if can(k.manage_permission, user)), key=lambda k: k.title.lower())
