"""Confluent's Python JSON Schema serde on the other side of krest's `jsonschema` format.

  read  REGISTRY_URL BOOTSTRAP TOPIC COUNT
        reads COUNT records with JSONDeserializer (which validates them against the writer
        schema) and prints them as a JSON list of {"key": …, "value": …} (null: a Kafka null)
  write REGISTRY_URL BOOTSTRAP TOPIC KEY_SCHEMA VALUE_SCHEMA RECORDS_JSON
        produces RECORDS_JSON (a list of {"key": …, "value": …}) with JSONSerializer, which
        registers the schemas under TOPIC-key and TOPIC-value

Run by tests/jsonschema_format.rs.
"""

import json
import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def read(registry, bootstrap, topic, count):
    deserializer = JSONDeserializer(None, schema_registry_client=registry)
    keys = SerializationContext(topic, MessageField.KEY)
    values = SerializationContext(topic, MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"jsonschema-interop-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    records = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        records.append({"key": deserializer(message.key(), keys),
                        "value": deserializer(message.value(), values)})
        if len(records) == count:
            break
    consumer.close()
    print(json.dumps(records))


def write(registry, bootstrap, topic, key_schema, value_schema, records_json):
    keys = JSONSerializer(key_schema, registry)
    values = JSONSerializer(value_schema, registry)
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in json.loads(records_json):
        producer.produce(topic, key=keys(record["key"], SerializationContext(topic, MessageField.KEY)),
                         value=values(record["value"], SerializationContext(topic, MessageField.VALUE)))
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
