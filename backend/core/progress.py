"""Progress bars for long management commands (imports), one per phase."""
import sys

from tqdm import tqdm


class PhaseBars:
    """A `progress(phase, done, total)` callback drawing one tqdm bar per phase on stderr."""

    def __init__(self, labels: dict[str, str], *, unit: str, disabled: bool = False) -> None:
        self.labels = labels
        self.unit = unit
        self.disabled = disabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.disabled:
            return
        bar = self.bars.get(phase)
        if bar is None:
            bar = self.bars[phase] = tqdm(total=total, desc=self.labels.get(phase, phase),
                                          unit=self.unit, file=sys.stderr, leave=True)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


phase_bars = PhaseBars
