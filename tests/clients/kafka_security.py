"""Kafka users and ACLs for the principal propagation tests, through Kafka's Admin API.

Run by tests/propagation.rs: python kafka_security.py BOOTSTRAP COMMAND ARGS...
  scram USER PASSWORD               create (or reset) a SCRAM-SHA-256 user
  allow USER TOPIC GROUP            let User:USER describe, write and read TOPIC, read GROUP
BOOTSTRAP is the broker's unauthenticated listener (its principal is a super user).
"""

import sys

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)


def main(bootstrap, command, *args):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if command == "scram":
        user, password = args
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096)
        upsert = UserScramCredentialUpsertion(user, info, password.encode())
        for future in admin.alter_user_scram_credentials([upsert]).values():
            future.result(timeout=30)
    elif command == "allow":
        user, topic, group = args
        principal = f"User:{user}"

        def allow(kind, name, operation):
            return AclBinding(kind, name, ResourcePatternType.LITERAL, principal, "*",
                              operation, AclPermissionType.ALLOW)

        bindings = [allow(ResourceType.TOPIC, topic, op)
                    for op in (AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.READ)]
        bindings.append(allow(ResourceType.GROUP, group, AclOperation.READ))
        for future in admin.create_acls(bindings).values():
            future.result(timeout=30)
    else:
        sys.exit(f"unknown command {command}")
    print("ok")


if __name__ == "__main__":
    main(*sys.argv[1:])
