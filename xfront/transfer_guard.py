"""Transfer guards: log or refuse host<->device copies (``xfront.transfer_guard("disallow")``).

Levels per direction (``transfer_guard_host_to_device`` and friends, or all three with
``transfer_guard``): ``"allow"``; ``"log"`` / ``"disallow"`` log or refuse *implicit* transfers;
``"log_explicit"`` / ``"disallow_explicit"`` explicit ones (``device_put``) too.

Checked today: host->device. Implicit is a NumPy array or NumPy scalar becoming an Array because
an operation or a jitted function was given one; explicit is ``xfront.device_put``. Unlike JAX,
Python scalars are never guarded (they are program constants: ``x + 1`` is allowed under
"disallow"). Not checked yet: device->host reads (``np.asarray(x)``, ``float(x)``) and
device->device copies (their options exist so ``transfer_guard`` sets all three).
"""

from __future__ import annotations

import logging

from xfront.core.config import config
from xfront.core.errors import XfrontError

logger = logging.getLogger("xfront.transfer_guard")


class TransferGuardError(XfrontError, RuntimeError):
    """A transfer that the transfer guard disallows."""


def check_host_to_device(x, explicit: bool) -> None:
    level = config.transfer_guard_host_to_device
    if level == "allow":
        return
    if explicit and not level.endswith("_explicit"):
        return
    shape = getattr(x, "shape", ())
    dtype = getattr(x, "dtype", type(x).__name__)
    kind = "explicit" if explicit else "implicit"
    what = f"{kind} host-to-device transfer of a NumPy value (shape {shape}, dtype {dtype})"
    if level.startswith("log"):
        logger.warning("%s", what)
        return
    hint = ("" if explicit else "; move it explicitly with xfront.device_put(x) first, or allow "
            "it with xfront.transfer_guard('allow')")
    raise TransferGuardError(f"disallowed {what} (transfer_guard_host_to_device={level!r}){hint}")
