#!/bin/sh
# Install the optional system packages (speech, graph rendering) when we can.
# Never fails the build: without them Defuse runs with captions only and text graphs.
missing=""
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng libespeak-ng1"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    echo "sysdeps: installing$missing"
    if ! { apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null 2>&1; }; }; then
        echo "sysdeps: could not install$missing; speech and SVG/PNG graphs stay off." >&2
    fi
else
    echo "sysdeps: optional packages missing:$missing" >&2
    echo "sysdeps: on Debian/Ubuntu run: sudo apt-get install$missing" >&2
    echo "sysdeps: without them the customer is shown as captions only and graphs are written as DOT/Mermaid." >&2
fi
exit 0
