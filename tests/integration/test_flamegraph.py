"""scripts/flamegraph.py: perf script text in, an SVG whose frames are as wide as their share.

The script runs as a process on hand-written `perf script` output, as docs/performance.md runs
it on a real profile; the SVG it prints is parsed and its frames measured.
"""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "flamegraph.py"
SVG = "{http://www.w3.org/2000/svg}"


def sample(thread: str, frames: list[str]) -> str:
    """One sample as perf script prints it: the hit first, the thread's first frame last."""
    lines = [f"{thread} 4242/4243 [001] 100.000001: 1000000 cpu-clock:"]
    for i, frame in enumerate(frames):
        lines.append(f"\t    7f00000{i:04x} {frame} (/usr/bin/spated)")
    return "\n".join(lines) + "\n\n"


def run(text: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], input=text, text=True,
                          capture_output=True, timeout=60)


def frames_of(svg: str) -> dict[str, float]:
    """Each frame's name (from its tooltip) and drawn width."""
    widths = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        name = group.find(f"{SVG}title").text.rsplit(" (", 1)[0]
        widths[name] = float(group.find(f"{SVG}rect").get("width"))
    return widths


def test_each_frame_is_as_wide_as_its_share_of_the_samples():
    text = (sample("spated", ["leaf_b+0x1f", "middle_a+0x10", "main+0x5"]) * 3
            + sample("spated", ["leaf_c+0x2", "main+0x5"])
            + sample("committer thread", ["fdatasync", "run+0x44"]) * 4)
    done = run(text, "--title", "test profile", "--min-share", "0")
    assert done.returncode == 0, done.stderr
    widths = frames_of(done.stdout)
    total = widths["all"]
    assert total > 1000
    # Offsets are dropped, the thread is the bottom frame, and shares are of all 8 samples.
    assert widths["spated"] == pytest.approx(total * 4 / 8, abs=0.2)
    assert widths["main"] == pytest.approx(total * 4 / 8, abs=0.2)
    assert widths["middle_a"] == pytest.approx(total * 3 / 8, abs=0.2)
    assert widths["leaf_b"] == pytest.approx(total * 3 / 8, abs=0.2)
    assert widths["leaf_c"] == pytest.approx(total * 1 / 8, abs=0.2)
    assert widths["committer thread"] == pytest.approx(total * 4 / 8, abs=0.2)
    assert "test profile" in done.stdout


def test_callees_are_drawn_above_their_callers():
    done = run(sample("spated", ["leaf+0x1", "caller+0x2", "main"]) * 2, "--min-share", "0")
    assert done.returncode == 0, done.stderr
    y = {}
    for group in ET.fromstring(done.stdout).iter(f"{SVG}g"):
        y[group.find(f"{SVG}title").text.split(" (")[0]] = float(group.find(f"{SVG}rect").get("y"))
    assert y["all"] > y["spated"] > y["main"] > y["caller"] > y["leaf"]


def test_frames_under_the_minimum_share_are_left_out_with_what_is_above_them():
    text = (sample("spated", ["hot+0x1", "main"]) * 99
            + sample("spated", ["rare_leaf", "rare+0x3", "main"]))
    widths = frames_of(run(text, "--min-share", "2").stdout)
    assert "hot" in widths
    assert "rare" not in widths and "rare_leaf" not in widths
    widths = frames_of(run(text, "--min-share", "0.5").stdout)
    assert "rare" in widths and "rare_leaf" in widths


def test_names_are_escaped_and_unknown_frames_name_their_object():
    text = sample("spated", ["std::vector<int, std::allocator<int> >::push_back+0x9", "[unknown]"])
    done = run(text, "--min-share", "0", "--full-names")
    widths = frames_of(done.stdout)  # parses only if < and > were escaped
    assert "std::vector<int, std::allocator<int> >::push_back" in widths
    assert "[unknown spated]" in widths


def test_template_arguments_are_left_out_unless_asked_for():
    text = sample("spated", ["std::vector<int, std::allocator<int> >::push_back+0x9",
                             "read_op<stream<tcp> >::operator()<handler<int> >",
                             "bool operator< <int>(int const&, int const&)", "main"])
    widths = frames_of(run(text, "--min-share", "0").stdout)
    assert "std::vector<>::push_back" in widths
    assert "read_op<>::operator()<>" in widths
    assert "bool operator< <int>(int const&, int const&)" in widths, "unpaired brackets stay"


def test_input_without_stacks_fails_with_a_message():
    done = run("not perf output\n")
    assert done.returncode == 1
    assert "no samples" in done.stderr
