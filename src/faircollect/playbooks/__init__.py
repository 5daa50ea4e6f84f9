"""Playbooks: versioned, approved collection flows; triggers, conditions and gated steps.

Pure: parsing and validation of the YAML, and the workflow function (state, events, time) →
steps. Running them (the daily cycle) is a service; every step still passes the policy gate.
"""

from faircollect.playbooks.loader import PlaybookError, load_playbook, shipped_playbook
from faircollect.playbooks.model import (
    Account,
    Action,
    Event,
    EventKind,
    PlannedStep,
    Playbook,
    Step,
    Trigger,
)
from faircollect.playbooks.templates import Catalogue, shipped_templates
from faircollect.playbooks.workflow import plan

__all__ = [
    "Account",
    "Action",
    "Catalogue",
    "Event",
    "EventKind",
    "PlannedStep",
    "Playbook",
    "PlaybookError",
    "Step",
    "Trigger",
    "load_playbook",
    "plan",
    "shipped_playbook",
    "shipped_templates",
]
