"""Validates an OpenAPI document (JSON file named by argv[1]) with openapi-spec-validator,
the reference validator of the OpenAPI 3.0 specification; prints "valid" or raises."""

import json
import sys

from openapi_spec_validator import validate

with open(sys.argv[1], encoding="utf-8") as document:
    validate(json.load(document))
print("valid")
