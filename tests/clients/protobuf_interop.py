"""Confluent's Python Protobuf serde on the other side of krest's `protobuf` format.

  read  REGISTRY_URL BOOTSTRAP TOPIC PROTO MESSAGE COUNT
        reads COUNT records with ProtobufDeserializer as MESSAGE (e.g. `Order`) and prints
        them as a JSON list
  write REGISTRY_URL BOOTSTRAP TOPIC PROTO RECORDS_JSON
        RECORDS_JSON is a list of [MESSAGE, value]: each value is parsed into MESSAGE
        (`Order`, or a nested one such as `Order.Customer`) and produced with
        ProtobufSerializer; prints the serialized values in hex, as a JSON list

PROTO is the text of `order.proto`; its `_pb2` module is generated
with grpc_tools' protoc into a temporary directory. Values are compared as JSON in
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


def compile_proto(text):
    """The generated module of `order.proto` holding `text`."""
    with tempfile.TemporaryDirectory(prefix="krest-protobuf-") as directory:
        with open(f"{directory}/order.proto", "w") as proto:
            proto.write(text)
        well_known = importlib.resources.files("grpc_tools") / "_proto"
        status = protoc.main(["protoc", f"-I{directory}", f"-I{well_known}",
                              f"--python_out={directory}", "order.proto"])
        if status != 0:
            sys.exit(f"protoc failed: {status}")
        sys.path.insert(0, directory)
        module = importlib.import_module("order_pb2")
        sys.path.remove(directory)
        return module


def message_class(module, name):
    """`Order` or `Order.Customer` of the generated module."""
    cls = module
    for part in name.split("."):
        cls = getattr(cls, part)
    return cls


def to_json(message):
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def read(registry, bootstrap, topic, module, name, count):
    deserializer = ProtobufDeserializer(message_class(module, name), CONF, registry)
    context = SerializationContext(topic, MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap,
                         "group.id": f"protobuf-interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    records = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        records.append(to_json(deserializer(message.value(), context)))
        if len(records) == count:
            break
    consumer.close()
    print(json.dumps(records))


def write(registry, bootstrap, topic, module, records_json):
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    serializers, written = {}, []
    for name, value in json.loads(records_json):
        cls = message_class(module, name)
        if name not in serializers:
            serializers[name] = ProtobufSerializer(cls, registry, CONF)
        data = serializers[name](json_format.ParseDict(value, cls()), context)
        written.append(data.hex())
        producer.produce(topic, value=data)
    if producer.flush(30) != 0:
        sys.exit("records not acknowledged")
    print(json.dumps(written))


def main():
    mode, url, bootstrap, topic, proto = sys.argv[1:6]
    registry = SchemaRegistryClient({"url": url})
    module = compile_proto(proto)
    if mode == "read":
        read(registry, bootstrap, topic, module, sys.argv[6], int(sys.argv[7]))
    else:
        write(registry, bootstrap, topic, module, sys.argv[6])


if __name__ == "__main__":
    main()
