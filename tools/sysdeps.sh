#!/bin/sh
# System packages, installed with apt-get when we are root on Debian/Ubuntu.
#
#   sh tools/sysdeps.sh              the optional ones: speech, graph rendering, the microphone.
#                                    Never fails the build: without them Defuse runs with
#                                    captions only, text graphs and typed answers.
#   sh tools/sysdeps.sh venv PYTHON  what `PYTHON -m venv` needs to make an environment with pip
#                                    (Debian ships ensurepip apart, in python3-venv). Fails, with
#                                    the command to run, when it is missing and cannot be installed.

apt_install() {
    apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

can_apt() {
    [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1
}

if [ "$1" = "venv" ]; then
    python=${2:-python3}
    has_venv() { "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; }
    has_venv && exit 0
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
    if can_apt; then
        export DEBIAN_FRONTEND=noninteractive
        # python3-venv follows the distribution's python3; pythonX.Y-venv covers another X.Y
        for package in python3-venv ${version:+python$version-venv}; do
            echo "sysdeps: installing $package ($python -m venv needs it)"
            apt_install "$package"
            has_venv && exit 0
        done
    fi
    echo "sysdeps: $python -m venv cannot make an environment with pip here." >&2
    echo "sysdeps: on Debian/Ubuntu run: sudo apt-get install python3-venv${version:+ python$version-venv}" >&2
    exit 1
fi

missing=""
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng libespeak-ng1"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
# PortAudio, for spoken answers through the microphone (sounddevice loads it at run time)
ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so\.2' || missing="$missing libportaudio2"
[ -z "$missing" ] && exit 0
if can_apt; then
    export DEBIAN_FRONTEND=noninteractive
    echo "sysdeps: installing$missing"
    # shellcheck disable=SC2086  # one word per package
    if ! apt_install $missing; then
        echo "sysdeps: could not install$missing; speech, SVG/PNG graphs and spoken answers stay off." >&2
    fi
else
    echo "sysdeps: optional packages missing:$missing" >&2
    echo "sysdeps: on Debian/Ubuntu run: sudo apt-get install$missing" >&2
    echo "sysdeps: without them the customer is shown as captions only, graphs are written as DOT/Mermaid and answers are typed." >&2
fi
exit 0
