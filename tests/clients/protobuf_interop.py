"""Confluent's Python Protobuf serde on the other side of krest's `protobuf` format.

  read  REGISTRY_URL BOOTSTRAP TOPIC PROTO MESSAGE KEY_PROTO KEY_MESSAGE COUNT
        reads COUNT records with ProtobufDeserializer, values as MESSAGE (e.g. `Order`) and
        keys as KEY_MESSAGE, and prints them as a JSON list of {"key": …, "value": …}
        (null: a Kafka null)
  write REGISTRY_URL BOOTSTRAP TOPIC PROTO KEY_PROTO KEY_MESSAGE RECORDS_JSON
        RECORDS_JSON is a list of [KEY, MESSAGE, VALUE]: KEY is parsed into KEY_MESSAGE, VALUE
        into MESSAGE (`Order`, or a nested one such as `Order.Customer`; null: a Kafka null),
        and both are produced with ProtobufSerializer; prints the serialized values in hex, as
        a JSON list

PROTO and KEY_PROTO are the texts of `order.proto` and `order_key.proto`; their `_pb2`
modules are generated with grpc_tools' protoc into a temporary directory. Values are compared as JSON in
protobuf's JSON mapping (`MessageToDict` printing fields without presence, as Java's
`includingDefaultValueFields` does for proto3), which is how krest's REST API shows them.
Run by tests/protobuf_format.rs.
"""

import importlib
import importlib.resources
import json
import sys
import tempfile
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format
from grpc_tools import protoc

CONF = {"use.deprecated.format": False}


def compile_proto(text, name):
    """The generated module of `NAME.proto` holding `text`."""
    with tempfile.TemporaryDirectory(prefix="krest-protobuf-") as directory:
        with open(f"{directory}/{name}.proto", "w") as proto:
            proto.write(text)
        well_known = importlib.resources.files("grpc_tools") / "_proto"
        status = protoc.main(["protoc", f"-I{directory}", f"-I{well_known}",
                              f"--python_out={directory}", f"{name}.proto"])
        if status != 0:
            sys.exit(f"protoc failed: {status}")
        sys.path.insert(0, directory)
        module = importlib.import_module(f"{name}_pb2")
        sys.path.remove(directory)
        return module


def message_class(module, name):
    """`Order` or `Order.Customer` of the generated module."""
    cls = module
    for part in name.split("."):
        cls = getattr(cls, part)
    return cls


def to_json(message):
    if message is None:
        return None
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def read(registry, bootstrap, topic, value_class, key_class, count):
    values = ProtobufDeserializer(value_class, CONF, registry)
    keys = ProtobufDeserializer(key_class, CONF, registry)
    consumer = Consumer({"bootstrap.servers": bootstrap,
                         "group.id": f"protobuf-interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    records = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        key = keys(message.key(), SerializationContext(topic, MessageField.KEY))
        value = values(message.value(), SerializationContext(topic, MessageField.VALUE))
        records.append({"key": to_json(key), "value": to_json(value)})
        if len(records) == count:
            break
    consumer.close()
    print(json.dumps(records))


def write(registry, bootstrap, topic, module, key_class, records_json):
    keys = ProtobufSerializer(key_class, registry, CONF)
    producer = Producer({"bootstrap.servers": bootstrap})
    serializers, written = {}, []
    for key, name, value in json.loads(records_json):
        cls = message_class(module, name)
        if name not in serializers:
            serializers[name] = ProtobufSerializer(cls, registry, CONF)
        data = None
        if value is not None:
            data = serializers[name](json_format.ParseDict(value, cls()),
                                     SerializationContext(topic, MessageField.VALUE))
            written.append(data.hex())
        key_data = keys(json_format.ParseDict(key, key_class()), SerializationContext(topic, MessageField.KEY))
        producer.produce(topic, key=key_data, value=data)
    if producer.flush(30) != 0:
        sys.exit("records not acknowledged")
    print(json.dumps(written))


def main():
    registry = SchemaRegistryClient({"url": sys.argv[2]})
    if sys.argv[1] == "read":
        url, bootstrap, topic, proto, name, key_proto, key_name, count = sys.argv[2:10]
        value_class = message_class(compile_proto(proto, "order"), name)
        key_class = message_class(compile_proto(key_proto, "order_key"), key_name)
        read(registry, bootstrap, topic, value_class, key_class, int(count))
    else:
        url, bootstrap, topic, proto, key_proto, key_name, records = sys.argv[2:9]
        key_class = message_class(compile_proto(key_proto, "order_key"), key_name)
        write(registry, bootstrap, topic, compile_proto(proto, "order"), key_class, records)


if __name__ == "__main__":
    main()
