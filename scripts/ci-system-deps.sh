#!/usr/bin/env bash
# Installs the Debian packages the test suite needs and pip cannot provide:
#   prometheus               promtool and the Prometheus server that tests/deploy runs
#   chromium                 the headless browser that loads the status page of `newswire run`
#   kcat                     the librdkafka command-line client that tests/consumers reads with
#   openjdk-17-jre-headless  only when no Java 17+ is on the PATH (the embedded Kafka broker)
# Idempotent: when everything is installed it only asks dpkg, and exits in well under a second.
set -euo pipefail

packages=(prometheus chromium kcat)
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' || true)
if [ -z "$java_major" ] || [ "${java_major%%.*}" -lt 17 ]; then
  packages+=(openjdk-17-jre-headless)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

# Debian starts a package's service on install; the tests start their own Prometheus on a free
# port instead, so a policy that forbids service starts is put in place if there is none.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" > /dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

echo "installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
