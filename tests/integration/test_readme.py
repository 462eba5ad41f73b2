"""The README's commands, run in order as written, against a real spated.

Proves: the AWS CLI block (Debian's /usr/bin/aws) and the five-minute tour run one after the
other with `set -e`, each command exiting 0, with no stream created twice; the tour's
`tail -n 3` prints three JSON records; the put after the split lands in a child shard of the
one split, as the comment says; the example consumer reads all 1003 records. Only the address
(127.0.0.1:4567 -> the test server's), the build folder and /tmp/example.db (-> a temporary
file) are substituted.
"""

from __future__ import annotations

import json
import re
import subprocess

from spate_harness import REPO_ROOT, build_dir


def shell_blocks(after_heading: str | None = None) -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    if after_heading:
        text = text[text.index(after_heading):]
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def test_the_readme_commands_work_in_order(spated_factory, tmp_path):
    server = spated_factory()
    first_blocks = shell_blocks()
    aws_block = next(b for b in first_blocks if "/usr/bin/aws" in b)
    tour = shell_blocks("## Five-minute tour")[0]
    script = "\n".join([
        "set -e",
        "shopt -s expand_aliases",
        aws_block,
        tour,
    ])
    script = (script.replace("127.0.0.1:4567", f"127.0.0.1:{server.port}")
              .replace("build/bin/", f"{build_dir()}/bin/")
              .replace("/tmp/example.db", str(tmp_path / "example.db")))
    done = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                            "AWS_ENDPOINT_URL": server.endpoint})
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    out = done.stdout
    # list-shards of `orders`, from the AWS CLI block.
    assert '"ShardId": "shardId-000000000001"' in out
    records = [json.loads(line) for line in out.splitlines() if line.startswith('{"shardId"')]
    assert len(records) == 3 and all(r["data"].startswith("click-") for r in records), out
    assert "created clicks" in out and "deleted clicks" in out
    described = out[out.index("name       clicks"):]
    assert "shardId-000000000002" in described
    # The example consumer prints "SHARD PARTITION_KEY DATA" per record, all 1003 of them.
    consumed = re.findall(r"^(shardId-\d+) \S+ (.*)$", out, re.MULTILINE)
    assert len({data for _, data in consumed}) == 1003, len(consumed)
    assert [shard for shard, data in consumed if data == "after-the-split"][0] in (
        "shardId-000000000002", "shardId-000000000003")
