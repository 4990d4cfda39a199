#!/usr/bin/env bash
# Start RabbitMQ and PostgreSQL if they are installed here and not running; wait until ready.
set -uo pipefail
if command -v rabbitmq-server >/dev/null; then
  if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    echo "services: starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  rabbitmq-diagnostics -q ping >/dev/null 2>&1 && echo "services: RabbitMQ up" || echo "services: RabbitMQ NOT up"
fi
if command -v pg_ctlcluster >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 && echo "services: PostgreSQL up" || echo "services: PostgreSQL NOT up"
fi
exit 0
