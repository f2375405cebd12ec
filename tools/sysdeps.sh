#!/bin/sh
# Install the optional system packages (speech, graph rendering, the microphone) when we can.
# Never fails the build: without them Defuse runs with captions only, text graphs and typed answers.
missing=""
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng libespeak-ng1"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
# PortAudio, for spoken answers through the microphone (sounddevice loads it at run time)
ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so\.2' || missing="$missing libportaudio2"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    echo "sysdeps: installing$missing"
    if ! { apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null 2>&1; }; }; then
        echo "sysdeps: could not install$missing; speech, SVG/PNG graphs and spoken answers stay off." >&2
    fi
else
    echo "sysdeps: optional packages missing:$missing" >&2
    echo "sysdeps: on Debian/Ubuntu run: sudo apt-get install$missing" >&2
    echo "sysdeps: without them the customer is shown as captions only, graphs are written as DOT/Mermaid and answers are typed." >&2
fi
exit 0
