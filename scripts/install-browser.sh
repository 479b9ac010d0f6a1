#!/usr/bin/env bash
# Installs Debian's Chromium for the gallery test. Optional: without it that test is
# skipped with a reason, never passed silently.
command -v chromium >/dev/null 2>&1 && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the gallery test (one time)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
    >/tmp/jianghua-chromium.log 2>&1 || echo "chromium could not be installed; see /tmp/jianghua-chromium.log"
else
  echo "chromium not found and cannot be installed here; the gallery browser test will be skipped"
fi
