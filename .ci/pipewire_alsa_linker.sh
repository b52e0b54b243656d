#!/usr/bin/env bash
# The part of a session manager (WirePlumber on a desktop) that the test
# PipeWire daemon of .ci/pipewire_loopback.sh needs for ALSA clients: every
# new "ALSA Playback" / "ALSA Capture" stream node (pipewire-alsa) gets its
# two ports configured (PortConfig, dsp mode, FL/FR) and linked:
#   playback FL -> system:playback_1   (jconvolver: known IR 1 -> capture_1)
#   playback FR -> system:playback_8   (plain loopback -> capture_8)
#   capture  FL <- system:capture_1
#   capture  FR <- system:capture_8
# so an ALSA client sees a 2-channel interface whose channel 1 is driver 1
# through its known IR and whose channel 2 is a loopback cable.
#
# Event driven and without a process per action (spawning pw-link on a busy
# machine took up to a second, longer than a client waits): `pw-mon` reports
# every object as it is added, awk keeps the port ids and writes commands to
# one long-lived `pw-cli`. Runs until killed; started and stopped by
# pipewire_loopback.sh.
set -u
: "${PIPEWIRE_RUNTIME_DIR:?}"

pw-mon 2>/dev/null | awk '
  # Acts on the property line that completes what it needs (pw-mon has no
  # end-of-object marker): a node on its node.name, a port on its port.alias.
  function link(a,   other) {
    other = want[a]
    if (!(a in port) || !(other in port) || (a in linked)) return
    linked[a] = 1
    if (a ~ /^ALSA Playback/) {
      printf "create-link %s %s %s %s\n", portnode[a], port[a], portnode[other], port[other]
    } else {
      printf "create-link %s %s %s %s\n", portnode[other], port[other], portnode[a], port[a]
    }
    fflush()
  }
  function value(key,   v) { v = $0; sub(".*" key " = \"", "", v); sub(/".*$/, "", v); return v }
  function forget(gone,   a) {
    for (a in port) if (port[a] == gone) { delete port[a]; delete linked[a] }
  }
  BEGIN {
    want["ALSA Playback:output_FL"] = "system:playback_1"
    want["ALSA Playback:output_FR"] = "system:playback_8"
    want["ALSA Capture:input_FL"] = "system:capture_1"
    want["ALSA Capture:input_FR"] = "system:capture_8"
  }
  /^(added|changed|removed):/ {
    event = substr($1, 1, length($1) - 1)
    type = ""; id = ""; serial = ""; node = ""; name = ""; alias = ""
    next
  }
  /^[[:space:]]+id: [0-9]+$/ && id == "" { id = $2; if (event == "removed") forget(id) }
  /type: PipeWire:Interface:Node/ { type = "Node" }
  /type: PipeWire:Interface:Port/ { type = "Port" }
  /object.serial = "/ { serial = value("object.serial") }
  /node.id = "/ { node = value("node.id") }
  /node.name = "/ { name = value("node.name") }
  /port.alias = "/ { alias = value("port.alias") }
  type == "Node" && serial != "" && (name == "ALSA Playback" || name == "ALSA Capture") && !(serial in seen) {
    seen[serial] = 1
    dir = name == "ALSA Playback" ? "Output" : "Input"
    printf "s %s PortConfig { \"direction\": \"%s\", \"mode\": \"dsp\", \"format\": { \"mediaType\": \"audio\", \"mediaSubtype\": \"raw\", \"format\": \"F32P\", \"rate\": 48000, \"channels\": 2, \"position\": [ \"FL\", \"FR\" ] } }\n", id, dir
    fflush()
  }
  type == "Port" && alias != "" && node != "" && event != "removed" {
    if (port[alias] != id) { port[alias] = id; portnode[alias] = node; delete linked[alias] }
    for (w in want) link(w)
    alias = ""
  }
' | tee -a "${PIPEWIRE_LINKER_LOG:-/dev/null}" | pw-cli >/dev/null 2>&1
