"""Confluent's Python client against a registry, configured as its users configure it.

Usage: confluent_registry_client.py URL USER_INFO SUBJECT
Registers a schema under SUBJECT with basic.auth.user.info = USER_INFO, reads it back by id and as the
subject's latest version, deletes the subject (a bodiless DELETE carrying Confluent's content type), and
prints what happened as one JSON object. A refusal is printed with its HTTP status and error code.
"""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

url, user_info, subject = sys.argv[1:4]
client = SchemaRegistryClient({"url": url, "basic.auth.user.info": user_info})
schema = json.dumps({"type": "record", "name": "PlanChanged", "namespace": "dev.pulse.events", "fields": [{"name": "plan", "type": "string"}]})
try:
    schema_id = client.register_schema(subject, Schema(schema, "AVRO"))
    fetched = client.get_schema(schema_id)
    latest = client.get_latest_version(subject)
    deleted = client.delete_subject(subject)
    print(json.dumps({"ok": True, "id": schema_id, "fetched": json.loads(fetched.schema_str), "latestVersion": latest.version, "latestId": latest.schema_id, "deleted": deleted}))
except SchemaRegistryError as e:
    print(json.dumps({"ok": False, "status": e.http_status_code, "errorCode": e.error_code, "message": e.error_message}))
