#!/usr/bin/env python3
"""botocore_sign: signs one request with botocore's SigV4Auth at a fixed time, so the client's
SigV4 tests can compare their signature with the one the AWS SDK for Python makes.

Usage: botocore_sign.py REQUEST.json

REQUEST.json holds: method, url (scheme://host[:port]/path[?query]), headers (a list of
[name, value] pairs, repeats allowed), body_hex (the body bytes in hex), access_key,
secret_key, token (may be empty), region, service, timestamp ("YYYYMMDDTHHMMSSZ").
Prints one JSON object: authorization, canonical_request, string_to_sign, and headers (the
signed request's headers as [name, value] pairs).
"""
import datetime
import json
import sys
import types
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)

    signing_time = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")

    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return signing_time

    request = AWSRequest(method=spec["method"], url=spec["url"],
                         data=bytes.fromhex(spec["body_hex"]))
    for name, value in spec["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated

    class RecordingSigner(botocore.auth.SigV4Auth):
        """SigV4Auth that keeps the intermediate texts add_auth() computes."""

        def canonical_request(self, request):
            self.last_canonical_request = super().canonical_request(request)
            return self.last_canonical_request

        def string_to_sign(self, request, canonical_request):
            self.last_string_to_sign = super().string_to_sign(request, canonical_request)
            return self.last_string_to_sign

    creds = Credentials(spec["access_key"], spec["secret_key"], spec["token"] or None)
    signer = RecordingSigner(creds, spec["service"], spec["region"])
    # add_auth reads the time from botocore.auth's datetime module only through
    # datetime.datetime, so a stand-in module with a fixed utcnow() pins the signature.
    with mock.patch.object(botocore.auth, "datetime", types.SimpleNamespace(datetime=FixedClock)):
        signer.add_auth(request)

    json.dump({
        "authorization": request.headers["Authorization"],
        "canonical_request": signer.last_canonical_request,
        "string_to_sign": signer.last_string_to_sign,
        "headers": [[k, v] for k, v in request.headers.items()],
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
