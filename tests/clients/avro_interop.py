"""Confluent's Python Avro serde on the other side of krest's `avro` format.

  read  REGISTRY_URL BOOTSTRAP TOPIC COUNT  reads COUNT records with AvroDeserializer and prints
                                           them as a JSON list in Avro's JSON encoding
  write REGISTRY_URL BOOTSTRAP TOPIC SCHEMA RECORDS_JSON
                                           parses the records (Avro's JSON encoding) and
                                           produces them with AvroSerializer

Avro's JSON encoding (fastavro's json reader/writer) is how krest's REST API shows Avro
values, so both sides can be compared as JSON. Run by tests/avro_format.rs.
"""

import io
import json
import sys
import uuid

import fastavro
from fastavro.json_read import json_reader
from fastavro.json_write import json_writer
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def read(registry, bootstrap, topic, count):
    deserializer = AvroDeserializer(registry)
    context = SerializationContext(topic, MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"avro-interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    records, writer_schema = [], None
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        schema_id = int.from_bytes(message.value()[1:5], "big")
        writer_schema = registry.get_schema(schema_id).schema_str
        records.append(deserializer(message.value(), context))
        if len(records) == count:
            break
    consumer.close()
    out = io.StringIO()
    json_writer(out, fastavro.parse_schema(json.loads(writer_schema)), records)
    print(json.dumps([json.loads(line) for line in out.getvalue().splitlines() if line]))


def write(registry, bootstrap, topic, schema, records_json):
    parsed = fastavro.parse_schema(json.loads(schema))
    lines = "\n".join(json.dumps(record) for record in json.loads(records_json))
    records = list(json_reader(io.StringIO(lines), parsed))
    serializer = AvroSerializer(registry, schema)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in records:
        producer.produce(topic, value=serializer(record, context))
    if producer.flush(30) != 0:
        sys.exit("records not acknowledged")
    print("written")


def main():
    mode, url, bootstrap, topic = sys.argv[1:5]
    registry = SchemaRegistryClient({"url": url})
    if mode == "read":
        read(registry, bootstrap, topic, int(sys.argv[5]))
    else:
        write(registry, bootstrap, topic, sys.argv[5], sys.argv[6])


if __name__ == "__main__":
    main()
