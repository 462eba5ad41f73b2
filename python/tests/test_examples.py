"""The examples in examples/python run as the README shows them, against a real spated."""

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run(script, *args, endpoint):
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="local",
               AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def handled(output):
    words = output.split()
    assert words[0] == "handled", output
    return int(words[1])


def test_producer_then_consumer_twice_resumes(server, client, stream, tmp_path):
    assert run("producer.py", stream, 500, endpoint=server.endpoint).startswith("500 records")
    db = tmp_path / "cp.db"
    first = handled(run("consumer.py", stream, db, 300, endpoint=server.endpoint))
    assert first >= 300  # it stops after the batch holding the 300th record
    run("producer.py", stream, 500, endpoint=server.endpoint)
    second = handled(run("consumer.py", stream, db, 1000 - first, endpoint=server.endpoint))
    assert first + second == 1000, "the second run resumes where the first stopped"


def test_asyncio_pipeline(server, stream):
    assert run("asyncio_pipeline.py", stream, 200, endpoint=server.endpoint).strip() \
        == "produced and consumed 200 records"
