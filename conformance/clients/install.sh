#!/usr/bin/env bash
# Installs, from Debian's packages, what the client compatibility matrix needs. Idempotent and quiet:
# a package already installed is left alone, `apt-get update` runs at most once (only when something
# is missing), and a package that cannot be installed is reported and skipped (exit 0): the runner
# then lists that client as not runnable, with the reason.
set -u

PACKAGES=(
  python3-pika                            # pika
  python3-aio-pika                        # aio-pika (pulls python3-aiormq)
  python3-kombu                           # kombu
  golang-go                               # Debian's Go
  golang-github-rabbitmq-amqp091-go-dev   # amqp091-go, as source under /usr/share/gocode
  default-jdk-headless                    # javac + java
  librabbitmq-client-java                 # com.rabbitmq.client (/usr/share/java/rabbitmq-client.jar)
  php-cli                                 # php
  php-amqplib                             # PhpAmqpLib (/usr/share/php/PhpAmqpLib)
  libanyevent-rabbitmq-perl               # AnyEvent::RabbitMQ (pulls libnet-amqp-perl)
  amqp-tools                              # rabbitmq-c's amqp-declare-queue, amqp-publish, amqp-get, amqp-consume
)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: not root, cannot install: ${missing[*]}" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing from Debian's packages: ${missing[*]}"
apt-get update -qq >/dev/null 2>&1 || echo "install.sh: apt-get update failed" >&2
# All at once first (fast); if that fails, one at a time so one unavailable package doesn't block the rest.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  for p in "${missing[@]}"; do
    installed "$p" && continue
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || echo "install.sh: could not install $p (that client will be listed as not runnable)" >&2
  done
fi
exit 0
