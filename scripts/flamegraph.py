#!/usr/bin/python3
"""Draws a flame graph (an SVG file) from the text `perf script` prints.

    perf record -e cpu-clock -F 250 --call-graph dwarf,16384 -p PID -- sleep 5
    perf script | /usr/bin/python3 scripts/flamegraph.py --title "spated, PutRecords" > out.svg

Every sample is one stack. Stacks are merged from the bottom (the thread's name, then its
first frame) to the top (the function the sample hit), and each frame is drawn as wide as
its share of all samples, callees above their callers. Frames narrower than --min-share
(a percentage, 0.2 by default) are left out with everything above them, which keeps the file
small, and so does leaving C++ template arguments out of names (--full-names keeps them).
Hover a frame for its name, sample count and share. Debian 12 packages no flame graph tool, so
docs/performance.md uses this one.
"""

import argparse
import html
import re
import sys
import zlib

FRAME_HEIGHT = 16
WIDTH = 1200
MARGIN = 10
TOP = 40  # room for the title
CHAR_WIDTH = 6.6  # of the 11 px monospace font, to fit labels in their frame

# `perf script` frame line: address, symbol (+offset), then the object in parentheses.
FRAME_LINE = re.compile(r"^\s+[0-9a-fA-F]+\s+(?P<symbol>.*?)\s+\((?P<object>[^()]*)\)\s*$")
OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


class Node:
    __slots__ = ("name", "count", "children")

    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.children: dict[str, "Node"] = {}

    def child(self, name: str) -> "Node":
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = Node(name)
        return node


def frame_name(line: str) -> str | None:
    match = FRAME_LINE.match(line)
    if not match:
        return None
    symbol = OFFSET.sub("", match.group("symbol"))
    if symbol in ("", "[unknown]"):
        return "[unknown " + match.group("object").rsplit("/", 1)[-1] + "]"
    return symbol


def short_name(name: str) -> str:
    """A C++ name with its template arguments left out: `executor_op<...>::do_complete` becomes
    `executor_op<>::do_complete`. Names with a comparison or shift operator stay whole."""
    if re.search(r"operator\s*(<|>|->)", name):
        return name
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            if depth == 0:
                out.append("<>")
            depth += 1
        elif ch == ">":
            depth -= 1
            if depth < 0:
                return name
        elif depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else name


def read_stacks(lines, full_names: bool = False) -> Node:
    """Merges the samples of `perf script` output into one tree under an unnamed root."""
    root = Node("all")
    thread = None
    frames: list[str] = []

    def finish():
        if thread is None or not frames:  # a header without a stack is not a sample
            return
        node = root
        node.count += 1
        node = node.child(thread)
        node.count += 1
        for name in reversed(frames):  # perf prints the hit first, the thread's start last
            node = node.child(name)
            node.count += 1

    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            finish()
            thread, frames = None, []
        elif not line[0].isspace():
            finish()
            # "comm pid/tid time: period event:" — the thread's name may hold spaces.
            head = re.split(r"\s+\d+(/\d+)?\s+", line, maxsplit=1)
            thread, frames = head[0].strip() or "?", []
        elif thread is not None:
            name = frame_name(line)
            if name is not None:
                frames.append(name if full_names else short_name(name))
    finish()
    return root


def color(name: str) -> str:
    """A warm colour chosen from the name, so a function keeps its colour across graphs."""
    h = zlib.crc32(name.encode())
    return f"rgb({205 + h % 50},{(h >> 8) % 200 + 30},{(h >> 16) % 55})"


def draw(root: Node, title: str, min_share: float) -> str:
    total = max(root.count, 1)
    scale = (WIDTH - 2 * MARGIN) / total
    boxes: list[tuple[float, int, float, Node]] = []  # x, depth, width, node

    def place(node: Node, x: float, depth: int):
        boxes.append((x, depth, node.count * scale, node))
        for child in sorted(node.children.values(), key=lambda n: n.name):
            if child.count * 100.0 / total >= min_share:
                place(child, x, depth + 1)
            x += child.count * scale

    place(root, MARGIN, 0)
    depth = max(d for _, d, _, _ in boxes)
    height = TOP + (depth + 1) * FRAME_HEIGHT + MARGIN
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="11">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fdfdf6"/>',
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15">'
        f"{html.escape(title)}</text>",
    ]
    for x, d, w, node in boxes:
        y = height - MARGIN - (d + 1) * FRAME_HEIGHT
        share = node.count * 100.0 / total
        label = f"{node.name} ({node.count} samples, {share:.2f}%)"
        out.append(
            f'<g><title>{html.escape(label)}</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{FRAME_HEIGHT - 1}" '
            f'fill="{color(node.name)}" rx="2"/>'
        )
        fits = int((w - 4) / CHAR_WIDTH)
        if fits >= 3:
            text = node.name if len(node.name) <= fits else node.name[: fits - 2] + ".."
            out.append(f'<text x="{x + 2:.1f}" y="{y + 11}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--title", default="Flame graph")
    parser.add_argument("--min-share", type=float, default=0.2,
                        help="leave out frames under this percentage of all samples")
    parser.add_argument("--full-names", action="store_true",
                        help="keep C++ template arguments in frame names")
    args = parser.parse_args()
    root = read_stacks(sys.stdin, args.full_names)
    if root.count == 0:
        print("flamegraph.py: no samples with stacks in the input", file=sys.stderr)
        return 1
    sys.stdout.write(draw(root, args.title, args.min_share))
    return 0


if __name__ == "__main__":
    sys.exit(main())
