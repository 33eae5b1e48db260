"""Confluent's Python Avro serde on the other side of krest's `avro` format.

  read  REGISTRY_URL BOOTSTRAP TOPIC COUNT
        reads COUNT records with AvroDeserializer (keys and values) and prints them as a JSON
        list of {"key": …, "value": …} in Avro's JSON encoding (a Kafka null is null)
  write REGISTRY_URL BOOTSTRAP TOPIC KEY_SCHEMA VALUE_SCHEMA RECORDS_JSON
        parses RECORDS_JSON (a list of {"key": …, "value": …} in Avro's JSON encoding, null for
        a Kafka null) and produces them with AvroSerializer

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


def to_json(registry, framed, datum):
    """A datum in Avro's JSON encoding, by the writer schema named in its framing."""
    if framed is None:
        return None
    schema = registry.get_schema(int.from_bytes(framed[1:5], "big")).schema_str
    out = io.StringIO()
    json_writer(out, fastavro.parse_schema(json.loads(schema)), [datum])
    return json.loads(out.getvalue().splitlines()[0])


def from_json(schema, value):
    """A value in Avro's JSON encoding as the datum fastavro (and AvroSerializer) takes."""
    parsed = fastavro.parse_schema(json.loads(schema))
    return next(iter(json_reader(io.StringIO(json.dumps(value)), parsed)))


def read(registry, bootstrap, topic, count):
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"avro-interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    records = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        key = deserializer(message.key(), SerializationContext(topic, MessageField.KEY))
        value = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        records.append({"key": to_json(registry, message.key(), key),
                        "value": to_json(registry, message.value(), value)})
        if len(records) == count:
            break
    consumer.close()
    print(json.dumps(records))


def write(registry, bootstrap, topic, key_schema, value_schema, records_json):
    keys = AvroSerializer(registry, key_schema)
    values = AvroSerializer(registry, value_schema)
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in json.loads(records_json):
        key = keys(from_json(key_schema, record["key"]), SerializationContext(topic, MessageField.KEY))
        value = None
        if record["value"] is not None:
            value = values(from_json(value_schema, record["value"]),
                           SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=key, value=value)
    if producer.flush(30) != 0:
        sys.exit("records not acknowledged")
    print("written")


def main():
    mode, url, bootstrap, topic = sys.argv[1:5]
    registry = SchemaRegistryClient({"url": url})
    if mode == "read":
        read(registry, bootstrap, topic, int(sys.argv[5]))
    else:
        write(registry, bootstrap, topic, sys.argv[5], sys.argv[6], sys.argv[7])


if __name__ == "__main__":
    main()
