"""Built-in plugin ``civicgrid.topic_handling``: D6 一事一议 and 三快二提一转 on the kernel.

The default triage classes of :mod:`civicgrid.domain.admissibility` each start this method
with their own trigger and deadline; a city's rule set may point at its own method instead.
"""

from __future__ import annotations

from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.method import Method

__all__ = ["register_methods"]


@hookimpl
def register_methods() -> list[Method]:
    """Provide the method the default triage classes run on."""
    return [builtin_method("topic_handling")]
