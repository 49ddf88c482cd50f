"""A signal whose exception is lost (raised inside a finalizer, which Python ignores) still
stops the command at the next checkpoint: seen in CI, where Ctrl-C during the push landed in a
weakref finalizer and the deploy ran to its end."""

from __future__ import annotations

import gc
import os
import signal
import time
import weakref

import pytest

from flotilla.interrupts import Interrupted, checkpoint, handled


class _Thing:
    pass


def test_a_signal_lost_in_a_finalizer_stops_at_the_next_checkpoint() -> None:
    with handled():
        thing = _Thing()

        def finalizer() -> None:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside the finalizer; its raise is lost

        weakref.finalize(thing, finalizer)
        del thing
        gc.collect()
        with pytest.raises(Interrupted, match="SIGINT"):
            checkpoint()
    with handled():
        checkpoint()  # a new command starts with nothing pending
