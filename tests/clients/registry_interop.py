"""Confluent's own Python client against krest's Schema Registry and a real Kafka broker.

Avro, JSON Schema and Protobuf serializers register their schemas in the registry, produce
records in Confluent's wire format, and the matching deserializers read them back; the
registry client's admin calls see what was registered. Exits non-zero on any mismatch.

Run by tests/registry_clients.rs: python registry_interop.py REGISTRY_URL BOOTSTRAP TOPIC_PREFIX
"""

import importlib
import subprocess
import sys
import tempfile
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

AVRO_SCHEMA = """{"type": "record", "name": "User", "namespace": "krest.test",
  "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"},
             {"name": "email", "type": ["null", "string"], "default": null}]}"""
JSON_SCHEMA = """{"$schema": "http://json-schema.org/draft-07/schema#", "title": "User",
  "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
  "required": ["name"]}"""
PROTO = """syntax = "proto3";
package krest.test;
message User {
  string name = 1;
  int32 age = 2;
}
"""

USERS = [{"name": "ada", "age": 36, "email": None}, {"name": "", "age": 0, "email": "x@y"}]


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def round_trip(bootstrap, topic, serialize, deserialize, values):
    """Produces `values` serialized, reads them back and returns them deserialized."""
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=serialize(value, context))
    check(producer.flush(30) == 0, f"{topic}: records not acknowledged")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    read = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        payload = message.value()
        check(payload[0] == 0, f"{topic}: not Confluent's wire format (magic byte {payload[0]})")
        read.append(deserialize(payload, context))
        if len(read) == len(values):
            break
    consumer.close()
    return read


def avro(registry, bootstrap, topic):
    serializer = AvroSerializer(registry, AVRO_SCHEMA)
    deserializer = AvroDeserializer(registry)
    read = round_trip(bootstrap, topic, serializer, deserializer, USERS)
    check(read == USERS, f"avro round trip: {read}")
    latest = registry.get_latest_version(f"{topic}-value")
    check(latest.schema.schema_type == "AVRO", f"avro schema type: {latest.schema.schema_type}")
    check(registry.get_schema(latest.schema_id).schema_str == latest.schema.schema_str, "avro by id")
    # A compatible evolution is accepted, an incompatible one refused with 409.
    evolved = AVRO_SCHEMA.replace('"default": null}]', '"default": null}, {"name": "tag", "type": "string", "default": ""}]')
    check(registry.test_compatibility(f"{topic}-value", Schema(evolved, "AVRO")), "avro evolution compatible")
    broken = AVRO_SCHEMA.replace('{"name": "age", "type": "int"}', '{"name": "age", "type": "int"}, {"name": "x", "type": "int"}')
    try:
        registry.register_schema(f"{topic}-value", Schema(broken, "AVRO"))
        check(False, "an incompatible avro schema was registered")
    except Exception as error:  # SchemaRegistryError
        check(getattr(error, "http_status_code", None) == 409, f"incompatible avro: {error}")


def json_schema(registry, bootstrap, topic):
    serializer = JSONSerializer(JSON_SCHEMA, registry)
    deserializer = JSONDeserializer(JSON_SCHEMA)
    values = [{"name": "ada", "age": 36}, {"name": "bob"}]
    read = round_trip(bootstrap, topic, serializer, deserializer, values)
    check(read == values, f"json round trip: {read}")
    check(registry.get_latest_version(f"{topic}-value").schema.schema_type == "JSON", "json schema type")


def protobuf(registry, bootstrap, topic):
    with tempfile.TemporaryDirectory() as directory:
        with open(f"{directory}/user.proto", "w") as proto:
            proto.write(PROTO)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{directory}",
                        f"--python_out={directory}", "user.proto"], check=True)
        sys.path.insert(0, directory)
        user_pb2 = importlib.import_module("user_pb2")
    serializer = ProtobufSerializer(user_pb2.User, registry, {"use.deprecated.format": False})
    deserializer = ProtobufDeserializer(user_pb2.User, {"use.deprecated.format": False})
    values = [user_pb2.User(name="ada", age=36), user_pb2.User(name="bob", age=0)]
    read = round_trip(bootstrap, topic, serializer, deserializer, values)
    check(read == values, f"protobuf round trip: {read}")
    check(registry.get_latest_version(f"{topic}-value").schema.schema_type == "PROTOBUF", "protobuf schema type")


def main():
    url, bootstrap, prefix = sys.argv[1:4]
    registry = SchemaRegistryClient({"url": url})
    avro(registry, bootstrap, f"{prefix}-avro")
    json_schema(registry, bootstrap, f"{prefix}-json")
    protobuf(registry, bootstrap, f"{prefix}-protobuf")
    subjects = registry.get_subjects()
    for kind in ("avro", "json", "protobuf"):
        check(f"{prefix}-{kind}-value" in subjects, f"subject of {kind}: {subjects}")
    print("interop ok")


if __name__ == "__main__":
    main()
