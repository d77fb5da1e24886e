"""What `make bench` prints beside its ratios, so that a ratio near its goal is read
against the noise of the floor it is divided by."""

from __future__ import annotations

from harness import BENCH_DIR, load_script

bench = load_script("ocs_bench_run", BENCH_DIR / "run.py")


def _floors(*walls: float) -> dict[str, list[dict[str, float]]]:
    return {"floor": [{"wall_s": w} for w in walls]}


def test_the_spread_of_every_floor_run_is_given_against_their_median() -> None:
    # Two repeats, two floor runs each: 162, 170, 175, 181 s (median 172.5).
    line = bench.floor_spread([_floors(181.0, 162.0), _floors(170.0, 175.0)])
    assert line == (
        "The floor's 4 runs took 162 to 181 s wall, 11% apart: ratios move by about that "
        "much from one run to the next."
    )


def test_a_single_floor_run_has_no_spread() -> None:
    assert bench.floor_spread([_floors(3.1)]) is None
    assert bench.floor_spread([]) is None


def test_the_goal_line_is_followed_by_the_floor_spread() -> None:
    to_floor = {"sync": {"wall": 1.25, "cpu": 1.24}}
    result = {
        "goal": bench.goal_of(to_floor, 5000, "inventory"),
        "runs": [_floors(196.8, 191.0)],
    }
    printed: list[str] = []
    bench._report_goal(result, printed.append)
    text = [line for line in printed if line]
    assert text[0].startswith("Goal: site.yml in sync at most 1.3x the floor (at 5000 hosts")
    assert "Wall time 1.25x: met" in text[0]
    assert text[1] == (
        "The floor's 2 runs took 191 to 197 s wall, 3% apart: ratios move by about that "
        "much from one run to the next."
    )
